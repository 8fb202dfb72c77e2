"""Meeting records: what was agreed at a meeting and the next steps (/agreed).

Every function takes the caller's session (one transaction)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.models import Meeting, MeetingRecord
from bot.timeutil import utcnow


async def meeting_record_by_id(session: AsyncSession, record_id: int) -> MeetingRecord | None:
    """A meeting record by id, or None."""
    return await session.get(MeetingRecord, record_id)


async def meeting_record_of(session: AsyncSession, meeting_id: int) -> MeetingRecord | None:
    """The record of one meeting (final or not), or None when nothing was recorded."""
    return await session.scalar(select(MeetingRecord).where(MeetingRecord.meeting_id == meeting_id))


async def open_meeting_record(session: AsyncSession, meeting: Meeting,
                              therapist_id: int) -> MeetingRecord:
    """The meeting's record, made (empty, not final) if there is none yet."""
    found = await meeting_record_of(session, meeting.id)
    if found is None:
        now = utcnow()
        found = MeetingRecord(meeting_id=meeting.id, young_person_id=meeting.young_person_id,
                              therapist_id=therapist_id, agreed=[], next_steps=[],
                              created_at=now, updated_at=now)
        session.add(found)
        await session.flush()
    return found

