"""The shipped flows, symbols and words, loaded once per test process.

Loading and validating them takes a second or more; they are data files no test changes in
place (a test with its own flows builds its own Content), so every bot and driver a test
starts shares this one."""

from __future__ import annotations

from functools import cache

from bot.services import Content, load_content


@cache
def shipped_content() -> Content:
    """bot.services.load_content(), once per process. Returns the shared Content."""
    return load_content()
