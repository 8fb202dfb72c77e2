"""Queries for the therapist's side: caseload overview, meetings, "you said", supporters and
what a summary needs. Every function takes the caller's session (one transaction)."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.store import repo
from bot.store.models import (
    Answer,
    AuditEntry,
    FlowRun,
    Invitation,
    InvitationKind,
    Link,
    MediaFile,
    Meeting,
    Person,
    Role,
    SupporterLink,
    YouSaid,
)
from bot.timeutil import utcnow

INT32_MAX = 2**31 - 1
FINISHED = "finished"  # engine RunStatus.FINISHED, kept as a plain string for queries
READ_SUMMARY = "read_summary"  # the audit action written when a therapist reads a summary


def day_start(day: date) -> datetime:
    """Midnight UTC at the start of a day, for comparing dates with stored timestamps."""
    return datetime.combine(day, time.min, tzinfo=UTC)


# --- people -----------------------------------------------------------------------------------


async def find_young_person(session: AsyncSession, ident: int) -> list[Person]:
    """Young people whose MySay id or Telegram user id is `ident` (both are accepted on the
    command line). Usually one; two means the number is ambiguous and the caller must say so."""
    query = select(Person).where(Person.role == Role.YOUNG_PERSON.value, _either_id(ident))
    return list((await session.scalars(query.order_by(Person.id))).all())


def _either_id(ident: int) -> ColumnElement[bool]:
    """MySay id or Telegram id. MySay ids are 32-bit: a bigger number can only be Telegram's
    (and PostgreSQL refuses to compare an integer column with it)."""
    if 0 < ident <= INT32_MAX:
        return or_(Person.id == ident, Person.telegram_user_id == ident)
    return Person.telegram_user_id == ident


async def find_therapist(session: AsyncSession, ident: int) -> Person | None:
    return await session.scalar(select(Person).where(
        Person.role == Role.THERAPIST.value, _either_id(ident)).order_by(Person.id).limit(1))


async def therapist_of(session: AsyncSession, young_person_id: int) -> Person | None:
    """The therapist whose caseload the young person is on now (the newest link)."""
    query = (select(Person).join(Link, Link.therapist_id == Person.id)
             .where(Link.young_person_id == young_person_id, Link.ended_at.is_(None),
                    Person.role == Role.THERAPIST.value)
             .order_by(Link.id.desc()).limit(1))
    return await session.scalar(query)


# --- supporters -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Supporter:
    person: Person
    relationship: str


async def supporters_of(session: AsyncSession, young_person_id: int,
                        include_ended: bool = False) -> list[Supporter]:
    query = (select(Person, SupporterLink.relationship)
             .join(SupporterLink, SupporterLink.supporter_id == Person.id)
             .where(SupporterLink.young_person_id == young_person_id)
             .order_by(SupporterLink.id))
    if not include_ended:
        query = query.where(SupporterLink.ended_at.is_(None))
    return [Supporter(p, rel) for p, rel in (await session.execute(query)).all()]


async def supported_by(session: AsyncSession, supporter_id: int) -> list[Supporter]:
    """The young people a supporter may add their view about (active links only)."""
    query = (select(Person, SupporterLink.relationship)
             .join(SupporterLink, SupporterLink.young_person_id == Person.id)
             .where(SupporterLink.supporter_id == supporter_id, SupporterLink.ended_at.is_(None),
                    Person.role == Role.YOUNG_PERSON.value)
             .order_by(SupporterLink.id))
    return [Supporter(p, rel) for p, rel in (await session.execute(query)).all()]


async def supporter_link(session: AsyncSession, supporter_id: int,
                         young_person_id: int) -> SupporterLink | None:
    return await session.scalar(select(SupporterLink).where(
        SupporterLink.supporter_id == supporter_id,
        SupporterLink.young_person_id == young_person_id))


async def link_supporter(session: AsyncSession, supporter: Person, young_person_id: int,
                         relationship: str) -> SupporterLink:
    existing = await supporter_link(session, supporter.id, young_person_id)
    if existing is not None:
        existing.ended_at = None
        existing.relationship = relationship
        return existing
    row = SupporterLink(supporter_id=supporter.id, young_person_id=young_person_id,
                        relationship=relationship, created_at=utcnow())
    session.add(row)
    await session.flush()
    return row


async def create_supporter_invitation(session: AsyncSession, *, therapist: Person,
                                      young_person: Person, relationship: str,
                                      days: int) -> str:
    """A one-time code for a supporter of one young person. Only its hash is stored."""
    code = secrets.token_urlsafe(16)
    now = utcnow()
    session.add(Invitation(code_hash=repo.hash_code(code), kind=InvitationKind.SUPPORTER.value,
                           created_by_id=therapist.id, created_at=now,
                           expires_at=now + timedelta(days=days),
                           young_person_id=young_person.id, relationship=relationship))
    await session.flush()
    return code


async def supporter_invitation_made_since(session: AsyncSession, *, therapist_id: int,
                                          young_person_id: int, relationship: str,
                                          since: datetime) -> bool:
    """Whether the young person already said yes to this request (a second tap on Yes)."""
    found = await session.scalar(select(Invitation.id).where(
        Invitation.kind == InvitationKind.SUPPORTER.value,
        Invitation.created_by_id == therapist_id,
        Invitation.young_person_id == young_person_id,
        Invitation.relationship == relationship,
        Invitation.created_at >= since).limit(1))
    return found is not None


async def supporter_declined_since(session: AsyncSession, *, young_person_id: int,
                                   relationship: str, since: datetime) -> bool:
    """Whether the young person already said "not now" to this request (kept in the audit)."""
    found = await session.scalar(select(AuditEntry.id).where(
        AuditEntry.actor_id == young_person_id, AuditEntry.action == "supporter_declined",
        AuditEntry.detail == relationship, AuditEntry.at >= since).limit(1))
    return found is not None


# --- meetings ---------------------------------------------------------------------------------


async def upcoming_meeting(session: AsyncSession, young_person_id: int,
                           today: date) -> Meeting | None:
    query = (select(Meeting)
             .where(Meeting.young_person_id == young_person_id, Meeting.cancelled_at.is_(None),
                    Meeting.held_on >= today)
             .order_by(Meeting.held_on, Meeting.id).limit(1))
    return await session.scalar(query)


async def past_meetings(session: AsyncSession, young_person_id: int,
                        today: date) -> list[Meeting]:
    """Meetings already held (before today), newest first."""
    query = (select(Meeting)
             .where(Meeting.young_person_id == young_person_id, Meeting.cancelled_at.is_(None),
                    Meeting.held_on < today)
             .order_by(Meeting.held_on.desc(), Meeting.id.desc()))
    return list((await session.scalars(query)).all())


async def set_meeting(session: AsyncSession, *, therapist: Person, young_person: Person,
                      held_on: date, today: date) -> Meeting:
    """The young person's next meeting. Any other upcoming one is cancelled: one at a time."""
    now = utcnow()
    await session.execute(
        update(Meeting)
        .where(Meeting.young_person_id == young_person.id, Meeting.cancelled_at.is_(None),
               Meeting.held_on >= today)
        .values(cancelled_at=now))
    meeting = Meeting(young_person_id=young_person.id, therapist_id=therapist.id,
                      held_on=held_on, created_at=now)
    session.add(meeting)
    await session.flush()
    return meeting


async def cancel_upcoming(session: AsyncSession, young_person_id: int, today: date) -> int:
    result = await session.execute(
        update(Meeting)
        .where(Meeting.young_person_id == young_person_id, Meeting.cancelled_at.is_(None),
               Meeting.held_on >= today)
        .values(cancelled_at=utcnow()))
    return int(getattr(result, "rowcount", 0) or 0)


async def meetings_between(session: AsyncSession, first: date, last: date) -> list[Meeting]:
    """Meetings not cancelled, held between two dates (inclusive), soonest first."""
    query = (select(Meeting)
             .where(Meeting.cancelled_at.is_(None), Meeting.held_on >= first,
                    Meeting.held_on <= last)
             .order_by(Meeting.held_on, Meeting.id))
    return list((await session.scalars(query)).all())


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


# --- what a summary reads ---------------------------------------------------------------------


async def shared_runs_about(session: AsyncSession, young_person_id: int,
                            supporter_ids: Sequence[int], since: datetime | None) -> list[FlowRun]:
    """Finished, shared runs by the young person, and by their supporters about them, oldest
    first, with answers. Private runs never leave the database through here."""
    whose = FlowRun.person_id == young_person_id
    if supporter_ids:
        whose = or_(and_(FlowRun.person_id == young_person_id, FlowRun.about_id.is_(None)),
                    and_(FlowRun.person_id.in_(list(supporter_ids)),
                         FlowRun.about_id == young_person_id))
    else:
        whose = and_(whose, FlowRun.about_id.is_(None))
    query = (select(FlowRun).options(selectinload(FlowRun.answers))
             .where(whose, FlowRun.shared.is_(True), FlowRun.status == FINISHED)
             .order_by(FlowRun.finished_at, FlowRun.id))
    if since is not None:
        query = query.where(FlowRun.finished_at >= since)
    return list((await session.scalars(query)).all())


async def private_count(session: AsyncSession, young_person_id: int,
                        since: datetime | None) -> int:
    """How many finished flows the young person kept just for themself (a number only)."""
    query = select(func.count(FlowRun.id)).where(
        FlowRun.person_id == young_person_id, FlowRun.about_id.is_(None),
        FlowRun.status == FINISHED, FlowRun.shared.is_(False))
    if since is not None:
        query = query.where(FlowRun.finished_at >= since)
    return int(await session.scalar(query) or 0)


@dataclass(frozen=True)
class MediaMeta:
    media_id: int
    owner_id: int
    kind: str
    mime_type: str
    created_at: datetime


async def media_meta(session: AsyncSession, owner_ids: Sequence[int],
                     ids: Sequence[int]) -> dict[int, MediaMeta]:
    """What each media row is, without decrypting its content."""
    if not ids or not owner_ids:
        return {}
    rows = await session.execute(
        select(MediaFile.id, MediaFile.owner_id, MediaFile.kind, MediaFile.mime_type,
               MediaFile.created_at)
        .where(MediaFile.id.in_(set(ids)), MediaFile.owner_id.in_(set(owner_ids))))
    return {r[0]: MediaMeta(*r) for r in rows.all()}


async def media_content(session: AsyncSession, ids: Sequence[int]) -> dict[int, bytes]:
    if not ids:
        return {}
    rows = await session.execute(select(MediaFile.id, MediaFile.content)
                                 .where(MediaFile.id.in_(set(ids))))
    return {mid: content for mid, content in rows.all()}


async def sent_you_said(session: AsyncSession, young_person_id: int) -> list[YouSaid]:
    query = (select(YouSaid)
             .where(YouSaid.young_person_id == young_person_id, YouSaid.sent_at.is_not(None))
             .order_by(YouSaid.sent_at, YouSaid.id))
    return list((await session.scalars(query)).all())


async def you_said_by_id(session: AsyncSession, you_said_id: int) -> YouSaid | None:
    return await session.get(YouSaid, you_said_id)


async def you_said_draft(session: AsyncSession, therapist_id: int,
                         young_person_id: int) -> YouSaid:
    """This therapist's unsent "you said" for this young person, or a new empty one."""
    draft = await session.scalar(
        select(YouSaid).where(YouSaid.therapist_id == therapist_id,
                              YouSaid.young_person_id == young_person_id,
                              YouSaid.sent_at.is_(None))
        .order_by(YouSaid.id.desc()).limit(1))
    if draft is None:
        draft = YouSaid(young_person_id=young_person_id, therapist_id=therapist_id, items="[]",
                        created_at=utcnow())
        session.add(draft)
        await session.flush()
    return draft


async def shared_answer(session: AsyncSession, young_person_id: int,
                        answer_id: int) -> Answer | None:
    """An answer, only if the young person gave it in a run they shared."""
    return await session.scalar(
        select(Answer).join(FlowRun, FlowRun.id == Answer.run_id)
        .where(Answer.id == answer_id, FlowRun.person_id == young_person_id,
               FlowRun.about_id.is_(None), FlowRun.shared.is_(True),
               FlowRun.status == FINISHED))


# --- the caseload at a glance -----------------------------------------------------------------


@dataclass(frozen=True)
class CaseloadRow:
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
    held = func.max(Meeting.held_on) if past else func.min(Meeting.held_on)
    when = Meeting.held_on < today if past else Meeting.held_on >= today
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
