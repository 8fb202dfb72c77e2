"""Queries for gentle reminders (bot.service.features.settings): who is due one now."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.models import Person, Role

DUE_PER_ROUND = 200  # reminders claimed per job round; the rest wait for the next round


async def claim_due_reminders(session: AsyncSession, now: datetime,
                              limit: int = DUE_PER_ROUND) -> Sequence[Person]:
    """Active young people whose next reminder is at or before `now` (UTC), at most `limit`,
    each locked until the caller's transaction ends. Rows another process holds are skipped
    (SKIP LOCKED), so two bot processes never claim the same reminder; the caller claims each
    by moving its `next_reminder_at` on in the same transaction."""
    query = (select(Person).where(Person.role == Role.YOUNG_PERSON, Person.active.is_(True),
                                  Person.next_reminder_at.is_not(None),
                                  Person.next_reminder_at <= now)
             .with_for_update(skip_locked=True).limit(limit))
    return (await session.scalars(query)).all()
