"""Queries for reliability: who can still be reached on Telegram."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.models import Person


async def mark_chat_inactive(session: AsyncSession, chat_id: int) -> bool:
    """The person in this private chat blocked the bot (or left Telegram): stop messaging them
    until they write again. True if someone was marked just now."""
    result = await session.execute(
        update(Person).where(Person.chat_id == chat_id, Person.active.is_(True))
        .values(active=False))
    return bool(result.rowcount)  # type: ignore[attr-defined]
