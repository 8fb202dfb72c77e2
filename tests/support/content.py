"""The flows, symbols and words, loaded once per test process and flows folder.

Loading and validating them takes a second or more; they are data files no test changes in
place (a test with its own flows points MYSAY_FLOWS_DIR at a folder of its own), so every bot
and driver a test starts with the same folder shares one Content."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from bot.services import Content, load_content


def shipped_content(folder: Path | None = None) -> Content:
    """bot.services.load_content(folder), once per process for each folder (None: the shipped
    flows/). Takes the settings' `flows_dir`; returns the shared Content."""
    if folder is None:
        return _loaded(None, ())
    # A test may add or edit a flow file and restart: the folder's files are part of the key.
    files = tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size)
                  for p in sorted(folder.resolve().glob("*.yaml")))
    return _loaded(folder.resolve(), files)


@cache
def _loaded(folder: Path | None, files: tuple[tuple[str, int, int], ...]) -> Content:
    return load_content(folder)
