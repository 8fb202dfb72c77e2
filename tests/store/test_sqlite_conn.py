"""SQLite connections: short calls inside a transaction on the event loop, waits on the thread."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.store import sqlite_conn
from bot.store.db import Database


async def _traced(db: Database) -> tuple[sqlite_conn.LoopSideConnection, list[tuple[str, int]]]:
    """The pool's one connection, with every statement SQLite runs noted with its thread."""
    seen: list[tuple[str, int]] = []
    async with db.engine.connect() as conn:
        raw = await conn.get_raw_connection()
        driver = raw.driver_connection
        assert isinstance(driver, sqlite_conn.LoopSideConnection)
        driver._conn.set_trace_callback(lambda sql: seen.append((sql, threading.get_ident())))
    return driver, seen


async def test_statements_run_on_the_loop_while_the_disk_syncs_quickly(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # "Quickly" is fixed by the test, not by how busy the machine is: no commit counts as slow.
    monkeypatch.setattr(sqlite_conn, "SLOW_COMMIT_SECONDS", 3600.0)
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'loop.sqlite3'}")
    try:
        await db.upgrade()
        _, seen = await _traced(db)
        seen.clear()
        async with db.transaction() as session:
            await session.execute(text("CREATE TABLE IF NOT EXISTS notes (words TEXT)"))
            await session.execute(text("INSERT INTO notes VALUES ('kept')"))
        loop_thread = threading.get_ident()
        where = {sql.split()[0].upper(): thread for sql, thread in seen}
        assert where["BEGIN"] == loop_thread  # the write lock was free: taken without waiting
        assert where["INSERT"] == loop_thread and where["CREATE"] == loop_thread
        assert where["COMMIT"] == loop_thread  # this disk syncs in well under 5 ms
        async with db.transaction() as session:
            assert (await session.execute(text("SELECT words FROM notes"))).scalar() == "kept"
    finally:
        await db.dispose()


async def test_slow_commits_move_to_the_thread_for_good(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    # Setting up counts no commit as slow, however busy the machine, so the count starts at 0.
    monkeypatch.setattr(sqlite_conn, "SLOW_COMMIT_SECONDS", 3600.0)
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'slow.sqlite3'}")
    try:
        await db.upgrade()
        driver, seen = await _traced(db)
        monkeypatch.setattr(sqlite_conn, "SLOW_COMMIT_SECONDS", 0.0)  # every commit is "slow"
        loop_thread = threading.get_ident()
        commits: list[bool] = []
        with caplog.at_level(logging.INFO, logger="bot.store.sqlite_conn"):
            for n in range(sqlite_conn.SLOW_COMMITS_IN_A_ROW + 2):
                seen.clear()
                async with db.transaction() as session:
                    await session.execute(text(f"CREATE TABLE IF NOT EXISTS t{n} (x INTEGER)"))
                commits.append(next(t for sql, t in seen if sql.startswith("COMMIT"))
                               == loop_thread)
        # The first few ran on the loop (and were slow); from then on, on the thread.
        assert commits == [True] * sqlite_conn.SLOW_COMMITS_IN_A_ROW + [False, False]
        assert not driver.commit_here
        assert "syncing on aiosqlite's thread" in caplog.text
    finally:
        await db.dispose()


async def test_waiting_for_another_writer_does_not_stall_the_event_loop(tmp_path: Path) -> None:
    path = tmp_path / "busy.sqlite3"
    db = Database(f"sqlite+aiosqlite:///{path}")
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        await db.upgrade()
        other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        ticks = 0

        async def ticking() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.01)

        async def write() -> None:
            async with db.transaction() as session:
                await session.execute(text("CREATE TABLE IF NOT EXISTS notes (words TEXT)"))

        clock = asyncio.create_task(ticking())
        writer = asyncio.create_task(write())
        await asyncio.sleep(0.5)
        assert not writer.done()  # still queued for the lock...
        assert ticks >= 20  # ...while the loop kept running
        other.execute("COMMIT")
        await asyncio.wait_for(writer, 10)
        clock.cancel()
        async with db.engine.connect() as conn:  # the wait did not leave the lock switched off
            raw = await conn.get_raw_connection()
            driver = raw.driver_connection
            assert isinstance(driver, sqlite_conn.LoopSideConnection)
            timeout = driver._conn.execute("PRAGMA busy_timeout").fetchone()[0]
        assert timeout == sqlite_conn.BUSY_TIMEOUT_MS
    finally:
        other.close()
        await db.dispose()


async def test_a_failed_statement_rolls_back_and_the_connection_stays_usable(
        tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'fail.sqlite3'}")
    try:
        await db.upgrade()
        async with db.transaction() as session:
            await session.execute(text("CREATE TABLE notes (words TEXT NOT NULL)"))
        try:
            async with db.transaction() as session:
                await session.execute(text("INSERT INTO notes VALUES ('first')"))
                await session.execute(text("INSERT INTO notes VALUES (NULL)"))
        except Exception as error:  # the NOT NULL constraint, raised from the loop-side call
            assert "NOT NULL" in str(error)
        else:
            raise AssertionError("the NULL insert should have failed")
        async with db.transaction() as session:
            count = (await session.execute(text("SELECT count(*) FROM notes"))).scalar()
        assert count == 0  # the first insert went with the rollback
    finally:
        await db.dispose()
