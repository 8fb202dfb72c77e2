"""Where pictures are drawn: a small pool of worker threads, off the event loop.

Drawing is CPU work (Pillow releases the GIL for most of it). On asyncio's default executor
every young person tapping at once gets a thread of their own (up to CPUs + 4), each holding
a 1080 px canvas and its parts: more threads than cores buys no speed, only memory
(bench/throughput.py: peak memory under 200 MB with every cache full, issue 17 point 4). So
pictures are drawn by at most `DRAWING_THREADS` threads, and the rest wait their turn.

`tune_memory` fixes glibc's mmap threshold, so a freed canvas goes back to the system instead
of staying in a fragmented heap (glibc otherwise raises the threshold after the first big
free and keeps later canvases in the heap: measured 262 -> 222 MB peak drawing every flow card
at every size, bench/throughput.py's peak falls alike).
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import functools
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

log = logging.getLogger(__name__)

DRAWING_THREADS = 2  # this machine's cores; more threads only hold more canvases at once
MMAP_THRESHOLD_BYTES = 256 * 1024  # allocations above this are mapped and unmapped on free
_M_MMAP_THRESHOLD = -3  # mallopt's parameter number (glibc malloc.h)

P = ParamSpec("P")
T = TypeVar("T")

_POOL = ThreadPoolExecutor(max_workers=DRAWING_THREADS, thread_name_prefix="mysay-draw")


async def drawn(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """`fn(*args, **kwargs)` run in the drawing pool; returns what it returns and raises what
    it raises. For drawing and encoding pictures only (short CPU work)."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_POOL, functools.partial(fn, *args, **kwargs))


def tune_memory() -> bool:
    """On glibc, fix malloc's mmap threshold at MMAP_THRESHOLD_BYTES (mallopt
    M_MMAP_THRESHOLD), so freed picture buffers return to the system. Returns True when set;
    False (and nothing changed) on a C library without mallopt, such as musl or macOS."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        mallopt = getattr(libc, "mallopt", None)
    except OSError:
        mallopt = None
    if mallopt is None:
        return False
    done = bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES))
    log.debug("malloc mmap threshold %s", "set" if done else "not set")
    return done
