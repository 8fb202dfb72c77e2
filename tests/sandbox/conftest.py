"""Fixtures of the sandbox's browser tests: a headless Debian Chromium, and a started sandbox
(the fake Telegram, the real bot, the web chat) on a free port."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.sandbox.browser_support import CHROMIUM, CHROMIUM_FLAGS, async_playwright
from tests.sandbox.test_sandbox import RunningSandbox, running_sandbox


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    """A launched Chromium (playwright's Browser), closed afterwards."""
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=str(CHROMIUM),
                                                    args=CHROMIUM_FLAGS)
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
async def sandbox(tmp_path: Path) -> AsyncIterator[RunningSandbox]:
    """A started sandbox with its HTTP client; stopped (and its data wiped) afterwards."""
    async with running_sandbox(tmp_path) as started:
        yield started
