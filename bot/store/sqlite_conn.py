"""SQLite connections for the async engine: aiosqlite, with the short calls kept on the loop.

aiosqlite runs every call (make a cursor, execute, fetch, close) on its own thread and hands
the result back through the event loop: about 0.75 ms of CPU per statement here, against
0.1 ms for the same call made directly (bench/throughput.py, issue 6). Inside a transaction
that MySay began with BEGIN IMMEDIATE this connection already holds SQLite's write lock, so
reads and writes there only touch pages in memory and never wait: those run directly on the
event loop, as do making and closing cursors, the no-op rollback when the pool takes a
connection back, and BEGIN when the write lock is free (tried without waiting). COMMIT writes
the log and syncs it to disk: where that takes a few milliseconds (the usual SSD) it runs on
the loop too, which cuts the CPU per tap by about a quarter with twenty people at once (the
hop back from the thread kept the one connection waiting); three commits in a row slower
than SLOW_COMMIT_SECONDS send every later one to aiosqlite's thread. Anything else that can
wait (BEGIN while another process writes, which queues for the lock; a real ROLLBACK; anything
else outside a transaction; opening and closing) goes through aiosqlite's thread, so a busy
database never stalls the event loop and a slow disk stalls it three times, by one commit.

Access is never concurrent: SQLAlchemy uses one connection for one transaction at a time and
awaits each call before the next, and sqlite3 is built thread-safe (serialized) besides.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable
from typing import Any

import aiosqlite

# How long BEGIN waits for another process's write lock (on aiosqlite's thread) before
# "database is locked".
BUSY_TIMEOUT_MS = 10_000
# A commit (write and sync the log) that takes longer than this is too slow for the event
# loop; this many in a row and commits move to aiosqlite's thread for good.
SLOW_COMMIT_SECONDS = 0.005
SLOW_COMMITS_IN_A_ROW = 3

log = logging.getLogger(__name__)


class LoopSideConnection(aiosqlite.Connection):
    """aiosqlite.Connection that makes the calls that cannot wait directly."""

    # Commits run here while the disk syncs quickly; a few slow ones in a row (not one large
    # migration) send every later commit to the thread.
    commit_here = True
    _slow_commits = 0

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if self._runs_here(fn):
            return fn(*args, **kwargs)
        if self._is_begin(fn, args) and self._begin_if_free(fn, args):
            return None
        if self.commit_here and self._is_commit(fn):
            return self._timed_commit(fn)
        return await super()._execute(fn, *args, **kwargs)

    def _is_commit(self, fn: Callable[..., Any]) -> bool:
        return (self._connection is not None and self._running
                and getattr(fn, "__self__", None) is self._connection
                and getattr(fn, "__name__", "") == "commit")

    def _timed_commit(self, fn: Callable[..., Any]) -> Any:
        started = time.perf_counter()
        try:
            return fn()
        finally:
            took = time.perf_counter() - started
            self._slow_commits = self._slow_commits + 1 if took > SLOW_COMMIT_SECONDS else 0
            if self._slow_commits >= SLOW_COMMITS_IN_A_ROW:
                self.commit_here = False
                log.info("SQLite commits take %.0f ms here: syncing on aiosqlite's thread "
                         "from now on", took * 1000)

    def _is_begin(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> bool:
        return (self._connection is not None and self._running
                and not self._connection.in_transaction
                and getattr(fn, "__name__", "") == "execute"
                and bool(args) and str(args[0]).strip().upper().startswith("BEGIN"))

    def _begin_if_free(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> bool:
        """Take the write lock here if nobody holds it (the usual case: this process's pool
        has one connection); if another process does, say so and let the thread wait."""
        connection = self._connection
        assert connection is not None
        connection.execute("PRAGMA busy_timeout=0")
        try:
            fn(*args)
            return True
        except sqlite3.OperationalError as error:
            if "locked" in str(error) or "busy" in str(error):
                return False
            raise
        finally:
            connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")

    def _runs_here(self, fn: Callable[..., Any]) -> bool:
        connection = self._connection
        if connection is None or not self._running:
            return False  # let aiosqlite report the closed connection
        owner, name = getattr(fn, "__self__", None), getattr(fn, "__name__", "")
        if owner is connection:
            if name == "cursor":
                return True  # makes an object; touches no file
            if name == "rollback":
                return not connection.in_transaction  # nothing to undo: a no-op
            if name in ("commit", "close"):
                return False
            return connection.in_transaction
        if isinstance(owner, sqlite3.Cursor):
            return name == "close" or connection.in_transaction
        return False


def creator(database: str) -> Callable[[], Any]:
    """An `async_creator` for create_async_engine: a LoopSideConnection to this file."""

    def connect() -> sqlite3.Connection:
        # check_same_thread=False: the connection is made on aiosqlite's thread and used from
        # the event loop's too (never at the same time; see above).
        return sqlite3.connect(database, check_same_thread=False, isolation_level=None)

    async def open_connection() -> LoopSideConnection:
        connection = LoopSideConnection(connect, iter_chunk_size=64)
        connection._thread.daemon = True  # as SQLAlchemy does for aiosqlite's own connections
        return await connection

    return open_connection
