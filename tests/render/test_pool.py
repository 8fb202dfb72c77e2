"""Pictures are drawn in a small pool of threads (bot.render.pool), never more at once than
DRAWING_THREADS, so twenty young people tapping together hold two canvases, not twenty."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from bot.render import pool


async def test_drawing_runs_off_the_loop_in_the_pool_and_says_what_it_raises() -> None:
    name = await pool.drawn(lambda: threading.current_thread().name)
    assert name.startswith("mysay-draw")
    with pytest.raises(ValueError, match="bad picture"):
        await pool.drawn(_raise)


def _raise() -> None:
    raise ValueError("bad picture")


async def test_no_more_pictures_are_drawn_at_once_than_the_pool_has_threads() -> None:
    lock = threading.Lock()
    running = [0]
    most = [0]

    def draw() -> None:
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.05)
        with lock:
            running[0] -= 1

    await asyncio.gather(*(pool.drawn(draw) for _ in range(8)))
    assert most[0] == pool.DRAWING_THREADS


def test_memory_tuning_takes_on_glibc_and_is_harmless_elsewhere() -> None:
    import platform

    tuned = pool.tune_memory()
    assert tuned is (platform.libc_ver()[0] == "glibc")
