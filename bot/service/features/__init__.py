"""Feature modules: each registers its commands, buttons and jobs in bot.service.routes.

Every module in this package is imported at start-up (see `load_all`), so a feature is added
by adding a module here.
"""

from __future__ import annotations

import importlib
import pkgutil


def load_all() -> list[str]:
    names = sorted(m.name for m in pkgutil.iter_modules(__path__))
    for name in names:
        importlib.import_module(f"{__name__}.{name}")
    return names
