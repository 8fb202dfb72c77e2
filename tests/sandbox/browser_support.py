"""What the sandbox's browser tests share: Debian's Chromium driven by Playwright, its flags,
the phone viewport, and the marks that skip a browser test (with the reason) when Chromium or
the playwright package is missing. CI installs both and fails if a browser test was skipped
(.ci/run). The `browser` and `sandbox` fixtures are in tests/sandbox/conftest.py."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"]
PHONE = {"width": 360, "height": 740}

try:
    from playwright.async_api import async_playwright
except ImportError:  # pragma: no cover - depends on the machine
    async_playwright = None  # type: ignore[assignment]

BROWSER_MARKS = [
    pytest.mark.slow,
    pytest.mark.skipif(async_playwright is None,
                       reason="browser test needs the playwright package "
                              "(pip install playwright; do not run 'playwright install')"),
    pytest.mark.skipif(not CHROMIUM.exists() or shutil.which(str(CHROMIUM)) is None,
                       reason="browser test needs Debian's chromium at /usr/bin/chromium "
                              "(apt-get install -y chromium)"),
]
