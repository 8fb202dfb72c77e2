"""Meetings: the next one, past ones, setting and cancelling, and claiming an invitation so
it is sent once.

Every function takes the caller's session (one transaction)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.models import Meeting, Person
from bot.timeutil import utcnow


async def upcoming_meeting(session: AsyncSession, young_person_id: int,
                           today: date) -> Meeting | None:
    """The young person's next meeting (today or later, not cancelled, not yet said to have
    happened), or None."""
    query = (select(Meeting)
             .where(Meeting.young_person_id == young_person_id, Meeting.cancelled_at.is_(None),
                    Meeting.held_on >= today, Meeting.happened_at.is_(None))
             .order_by(Meeting.held_on, Meeting.id).limit(1))
    return await session.scalar(query)


async def past_meetings(session: AsyncSession, young_person_id: int,
                        today: date) -> list[Meeting]:
    """Meetings already held (before today, or said by the therapist to have happened), newest
    first."""
    query = (select(Meeting)
             .where(Meeting.young_person_id == young_person_id, Meeting.cancelled_at.is_(None),
                    or_(Meeting.held_on < today, Meeting.happened_at.is_not(None)))
             .order_by(Meeting.held_on.desc(), Meeting.id.desc()))
    return list((await session.scalars(query)).all())


async def set_meeting(session: AsyncSession, *, therapist: Person, young_person: Person,
                      held_on: date, today: date) -> Meeting:
    """The young person's next meeting. Any other upcoming one is cancelled: one at a time (a
    meeting already said to have happened is not upcoming, and keeps its record)."""
    now = utcnow()
    await session.execute(
        update(Meeting)
        .where(Meeting.young_person_id == young_person.id, Meeting.cancelled_at.is_(None),
               Meeting.held_on >= today, Meeting.happened_at.is_(None))
        .values(cancelled_at=now))
    meeting = Meeting(young_person_id=young_person.id, therapist_id=therapist.id,
                      held_on=held_on, created_at=now)
    session.add(meeting)
    await session.flush()
    return meeting


async def cancel_upcoming(session: AsyncSession, young_person_id: int, today: date) -> int:
    """Cancel every upcoming meeting of the young person; returns how many were cancelled."""
    result = await session.execute(
        update(Meeting)
        .where(Meeting.young_person_id == young_person_id, Meeting.cancelled_at.is_(None),
               Meeting.held_on >= today, Meeting.happened_at.is_(None))
        .values(cancelled_at=utcnow()))
    return int(getattr(result, "rowcount", 0) or 0)


async def meetings_between(session: AsyncSession, first: date, last: date) -> list[Meeting]:
    """Meetings not cancelled and not yet happened, held between two dates (inclusive),
    soonest first."""
    query = (select(Meeting)
             .where(Meeting.cancelled_at.is_(None), Meeting.happened_at.is_(None),
                    Meeting.held_on >= first,
                    Meeting.held_on <= last)
             .order_by(Meeting.held_on, Meeting.id))
    return list((await session.scalars(query)).all())


async def last_held_meeting(session: AsyncSession, young_person_id: int,
                            today: date) -> Meeting | None:
    """The newest meeting already held (see `past_meetings`), or None."""
    held = await past_meetings(session, young_person_id, today)
    return held[0] if held else None


async def mark_meeting_happened(session: AsyncSession, *, young_person_id: int,
                                meeting_id: int, today: date, now: datetime) -> Meeting | None:
    """The therapist says one named meeting of the young person has happened: only if it is
    still upcoming (see `upcoming_meeting`: not cancelled, not already said to have happened,
    today or later) is it marked as happened, moved to today if it was set for later. Returns
    that meeting, or None when it is not (or no longer) upcoming: a button from before must not
    move or make a meeting."""
    meeting = await session.scalar(
        select(Meeting).where(Meeting.id == meeting_id,
                              Meeting.young_person_id == young_person_id,
                              Meeting.cancelled_at.is_(None), Meeting.happened_at.is_(None),
                              Meeting.held_on >= today))
    if meeting is None:
        return None
    meeting.held_on = today
    meeting.happened_at = now
    await session.flush()
    return meeting


async def first_meeting_held_today(session: AsyncSession, *, therapist: Person,
                                   young_person: Person, today: date,
                                   now: datetime) -> Meeting | None:
    """A meeting held today, made only when the young person has no meeting at all (none held,
    none upcoming, apart from cancelled ones): "The meeting has happened" when no date was
    ever set. Returns it, or None when they have one (then nothing is made: a second meeting
    would cut the next summary's period short and offer what was said after the real one)."""
    found = await session.scalar(
        select(Meeting.id).where(Meeting.young_person_id == young_person.id,
                                 Meeting.cancelled_at.is_(None)).limit(1))
    if found is not None:
        return None
    meeting = Meeting(young_person_id=young_person.id, therapist_id=therapist.id,
                      held_on=today, created_at=now, happened_at=now)
    session.add(meeting)
    await session.flush()
    return meeting


async def claim_meeting(session: AsyncSession, meeting: Meeting, now: datetime) -> bool:
    """Mark a meeting's invitation as sent, only if no other process did it first.

    The UPDATE names the prepared_at value we saw: a second process (or a second run of the
    job) finds it changed, updates nothing, and so sends nothing.
    """
    seen = meeting.prepared_at
    condition = (Meeting.prepared_at.is_(None) if seen is None
                 else Meeting.prepared_at == seen)
    result = await session.execute(
        update(Meeting).where(Meeting.id == meeting.id, Meeting.cancelled_at.is_(None), condition)
        .values(prepared_at=now).execution_options(synchronize_session=False))
    claimed = int(getattr(result, "rowcount", 0) or 0) == 1
    if claimed:
        meeting.prepared_at = now
    return claimed
