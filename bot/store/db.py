"""Opening the database: engine, connection settings, migrations, one transaction per unit."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from bot.store import sqlite_conn

log = logging.getLogger(__name__)

T = TypeVar("T")

# The database is away (down, unreachable, out of connections): nothing was committed, so the
# update can be handled again later as if it had just arrived.
DATABASE_AWAY: tuple[type[BaseException], ...] = (OperationalError, DBAPIError, OSError,
                                                   TimeoutError, PoolTimeout)


MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Any constant will do: it keeps two processes from migrating the same PostgreSQL at once.
_MIGRATION_LOCK_ID = 727_2026

# Settings every SQLite connection needs. `synchronous=FULL` because WAL with NORMAL can lose the
# last commits on power loss (an answer lost before the meeting); foreign keys and secure delete
# are per-connection, so they are set on every connection, not once.
SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA secure_delete=ON",
    "PRAGMA busy_timeout=10000",
)


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the driver, decide when transactions begin (see _on_sqlite_begin).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    for pragma in SQLITE_PRAGMAS:
        cursor.execute(pragma)
    cursor.close()


def _on_sqlite_begin(connection: Connection) -> None:
    # IMMEDIATE takes the write lock up front: a read-then-write transaction then waits its turn
    # (busy_timeout) instead of failing with "database is locked" half way through.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


class Database:
    """The one way MySay reaches its database."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        parsed = make_url(url)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        if self.is_sqlite and parsed.database:
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        kwargs: dict[str, Any] = {"echo": echo}
        if not self.is_sqlite:
            # Enough kept-open connections for the updates handled at once: past the pool,
            # each extra connection is opened and closed per update (issue 6 benchmark).
            # No ping on every checkout (a round trip per update): a connection the server
            # dropped fails its first statement, SQLAlchemy then replaces the pool's
            # connections, and the update is tried once more (bot/service/unit_of_work.py).
            kwargs.update(pool_size=25, max_overflow=10, pool_recycle=1800)
        else:
            # SQLite has one writer at a time: queue for it here, first come first served,
            # rather than in SQLite's busy-wait, which lets some wait seconds (issue 6).
            kwargs.update(pool_size=1, max_overflow=0, pool_timeout=60)
            if parsed.get_driver_name() == "aiosqlite":
                kwargs["async_creator"] = sqlite_conn.creator(parsed.database or ":memory:")
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _on_sqlite_connect)
            event.listen(self.engine.sync_engine, "begin", _on_sqlite_begin)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        async with self._sessions() as session, session.begin():
            yield session

    async def upgrade(self) -> None:
        """Apply every migration not yet applied. Safe to call from several processes at once."""
        async with self.engine.begin() as conn:
            if not self.is_sqlite:
                await conn.execute(text(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK_ID})"))
            await conn.run_sync(_upgrade_sync)

    async def dispose(self) -> None:
        await self.engine.dispose()


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def _upgrade_sync(connection: Connection) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


async def in_transaction(db: Database, work: Callable[[AsyncSession], Awaitable[T]],
                         what: str) -> T:
    """`work` in one transaction, committed when it returns (rolled back if it raises).

    A pooled connection the database dropped while idle (it restarted, or a network hop timed
    it out) fails its first statement: SQLAlchemy has replaced the pool's connections and
    nothing was committed, so `work` runs once more on a fresh one. Cheaper than pinging on
    every checkout (bot/store/db.py). `what` names the work in the log. Raises whatever else
    `work` or the database raises (DATABASE_AWAY when the database is away).
    """
    for attempt in range(2):
        try:
            async with db.transaction() as session:
                return await work(session)
        except DBAPIError as error:
            if attempt or not error.connection_invalidated:
                raise
            log.info("database connection dropped; trying %s again", what)
    raise AssertionError("not reached")
