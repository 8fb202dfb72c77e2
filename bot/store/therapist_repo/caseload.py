"""The caseload at a glance (/caseload), in a fixed number of queries whatever its size.

Every function takes the caller's session (one transaction)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store import repo
from bot.store.models import AuditEntry, FlowRun, Meeting, Person, YouSaid
from bot.store.therapist_repo.common import FINISHED, READ_SUMMARY, day_start


@dataclass(frozen=True)
class CaseloadRow:
    """One young person's line on /caseload."""

    person: Person
    last_meeting: date | None
    next_meeting: date | None
    done_since: int  # finished flows since the last meeting (shared or not: a count only)
    shared_since: int
    new_shared: int  # shared since this therapist last read the summary
    shared_total: int
    listened: str | None  # the young person's answer to the newest "you said"
    you_said_waiting: bool  # a "you said" sent and not answered yet


async def caseload_overview(session: AsyncSession, therapist_id: int,
                            today: date) -> list[CaseloadRow]:
    """Everything /caseload shows, in a fixed number of queries whatever the caseload size."""
    people = list(await repo.caseload(session, therapist_id))
    if not people:
        return []
    ids = [p.id for p in people]
    last = await _meeting_dates(session, ids, today, past=True)
    upcoming = await _meeting_dates(session, ids, today, past=False)
    read_at = await _last_summary_reads(session, therapist_id, ids)
    # Runs before everyone's last meeting cannot count: skip them when all have had one.
    oldest = min(last.values()) if last and len(last) == len(ids) else None
    runs = await _run_facts(session, ids, oldest)
    shared_total = await repo.shared_counts(session, ids)
    listened = await _latest_you_said(session, ids)
    rows = []
    for person in people:
        since = day_start(last[person.id]) if person.id in last else None
        seen = read_at.get(person.id)
        done = shared = new = 0
        for finished_at, was_shared, shared_at in runs.get(person.id, ()):
            if since is None or (finished_at is not None and _utc(finished_at) >= since):
                done += 1
                shared += 1 if was_shared else 0
            if was_shared and shared_at is not None and (seen is None or _utc(shared_at) > seen):
                new += 1
        rows.append(CaseloadRow(person, last.get(person.id), upcoming.get(person.id), done,
                                shared, new, shared_total.get(person.id, 0),
                                listened.get(person.id), person.id in listened
                                and listened[person.id] is None))
    return rows


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


async def _meeting_dates(session: AsyncSession, ids: list[int], today: date,
                         past: bool) -> dict[int, date]:
    # A meeting the therapist said has happened (happened_at, set before its date passed) is
    # a past meeting, never still the next one (as in therapist_repo.meetings).
    held = func.max(Meeting.held_on) if past else func.min(Meeting.held_on)
    when = (or_(Meeting.held_on < today, Meeting.happened_at.is_not(None)) if past
            else and_(Meeting.held_on >= today, Meeting.happened_at.is_(None)))
    rows = await session.execute(
        select(Meeting.young_person_id, held)
        .where(Meeting.young_person_id.in_(ids), Meeting.cancelled_at.is_(None), when)
        .group_by(Meeting.young_person_id))
    return {pid: day for pid, day in rows.all() if day is not None}


async def _last_summary_reads(session: AsyncSession, therapist_id: int,
                              ids: list[int]) -> dict[int, datetime]:
    rows = await session.execute(
        select(AuditEntry.subject_id, func.max(AuditEntry.at))
        .where(AuditEntry.actor_id == therapist_id, AuditEntry.action == READ_SUMMARY,
               AuditEntry.subject_id.in_(ids))
        .group_by(AuditEntry.subject_id))
    return {pid: _utc(at) for pid, at in rows.all() if pid is not None and at is not None}


async def _run_facts(session: AsyncSession, ids: list[int], since: date | None
                     ) -> dict[int, list[tuple[datetime | None, bool, datetime | None]]]:
    """(finished_at, shared, shared_at) of each finished own run; only recent ones when every
    young person has had a meeting (older runs cannot count)."""
    query = select(FlowRun.person_id, FlowRun.finished_at, FlowRun.shared, FlowRun.shared_at) \
        .where(FlowRun.person_id.in_(ids), FlowRun.about_id.is_(None),
               FlowRun.status == FINISHED)
    if since is not None:
        query = query.where(or_(FlowRun.finished_at >= day_start(since),
                                FlowRun.shared_at >= day_start(since)))
    facts: dict[int, list[tuple[datetime | None, bool, datetime | None]]] = {}
    for pid, finished_at, shared, shared_at in (await session.execute(query)).all():
        facts.setdefault(pid, []).append((finished_at, bool(shared), shared_at))
    return facts


async def _latest_you_said(session: AsyncSession, ids: list[int]) -> dict[int, str | None]:
    """The answer to each young person's newest "you said" (None: sent, not answered yet)."""
    newest = (select(YouSaid.young_person_id, func.max(YouSaid.id).label("newest"))
              .where(YouSaid.young_person_id.in_(ids), YouSaid.sent_at.is_not(None))
              .group_by(YouSaid.young_person_id).subquery())
    rows = await session.execute(
        select(YouSaid.young_person_id, YouSaid.listened)
        .join(newest, newest.c.newest == YouSaid.id))
    return {pid: listened for pid, listened in rows.all()}
