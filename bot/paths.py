"""Where MySay's data folders live, in a source checkout and in an installed wheel.

The wheel carries `flows/` and `media/` inside the package as `bot/_data/...` (see pyproject's
force-include); a checkout or editable install reads them from the repository root.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _data_dir(name: str) -> Path:
    installed = _PACKAGE / "_data" / name
    if installed.is_dir():
        return installed
    checkout = _PACKAGE.parent / name
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(
        f"MySay cannot find its '{name}' folder (looked in {installed} and {checkout}). "
        "Reinstall the package with 'pip install .'."
    )


def flows_dir() -> Path:
    return _data_dir("flows")


def media_dir() -> Path:
    return _data_dir("media")
