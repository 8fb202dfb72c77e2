"""PostgreSQL's own files, read through the server, for raw-bytes scans in privacy tests."""

from __future__ import annotations

from sqlalchemy import text

from tests.support.harness import RunningBot


async def pg_relation_bytes(bot: RunningBot) -> dict[str, bytes]:
    """The table (and TOAST) files exactly as PostgreSQL wrote them to disk, by relation name
    (dead rows not yet vacuumed included)."""
    found = {}
    async with bot.services.db.transaction() as session:
        await session.execute(text("CHECKPOINT"))  # write shared buffers out to the files
        rows = await session.execute(text(
            "SELECT c.relname, pg_relation_filepath(c.oid) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE (n.nspname = 'public' AND c.relkind = 'r') OR (n.nspname = 'pg_toast' AND "
            "c.oid IN (SELECT reltoastrelid FROM pg_class WHERE relnamespace = "
            "'public'::regnamespace))"))
        for name, path in rows.all():
            found[name] = bytes(await session.scalar(
                text("SELECT pg_read_binary_file(:p)"), {"p": path}))
    return found
