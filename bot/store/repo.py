"""Queries and writes, each taking the caller's session (one transaction per update)."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.engine.core import AnswerKind, AnswerRecord, RunState, RunStatus
from bot.store.models import (
    Answer,
    AppState,
    AuditEntry,
    FlowRun,
    Invitation,
    Link,
    Person,
    ProcessedUpdate,
)
from bot.timeutil import as_utc, utcnow

# --- updates ----------------------------------------------------------------------------------


async def already_processed(session: AsyncSession, update_id: int) -> bool:
    return await session.get(ProcessedUpdate, update_id) is not None


def mark_processed(session: AsyncSession, update_id: int) -> None:
    """Recorded in the same transaction as the update's effect: both land, or neither."""
    session.add(ProcessedUpdate(update_id=update_id))


# --- people -----------------------------------------------------------------------------------


async def person_by_telegram_id(session: AsyncSession, telegram_user_id: int) -> Person | None:
    return await session.scalar(select(Person).where(Person.telegram_user_id == telegram_user_id))


async def person_by_id(session: AsyncSession, person_id: int) -> Person | None:
    return await session.get(Person, person_id)


async def add_person(session: AsyncSession, *, telegram_user_id: int, chat_id: int, role: str,
                     display_name: str, consented: bool = False) -> Person:
    now = utcnow()
    person = Person(telegram_user_id=telegram_user_id, chat_id=chat_id, role=role,
                    display_name=display_name, created_at=now, last_active_at=now,
                    consented_at=now if consented else None, active=True)
    session.add(person)
    await session.flush()
    return person


async def all_people(session: AsyncSession) -> Sequence[Person]:
    return (await session.scalars(select(Person).order_by(Person.id))).all()


# --- invitations ------------------------------------------------------------------------------


def hash_code(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8")).hexdigest()


async def create_invitation(session: AsyncSession, *, kind: str, days: int,
                            created_by: Person | None = None, label: str | None = None) -> str:
    """A one-time code with 128 bits of randomness. Only its hash is stored."""
    code = secrets.token_urlsafe(16)
    now = utcnow()
    session.add(Invitation(code_hash=hash_code(code), kind=kind, label=label,
                           created_by_id=created_by.id if created_by else None,
                           created_at=now, expires_at=now + timedelta(days=days)))
    await session.flush()
    return code


async def find_invitation(session: AsyncSession, code: str) -> Invitation | None:
    return await session.scalar(select(Invitation).where(Invitation.code_hash == hash_code(code)))


def invitation_problem(invitation: Invitation | None, now: datetime) -> str | None:
    """None if the code can be used now, else the locale key that explains why not."""
    if invitation is None:
        return "code_unknown"
    if invitation.used_at is not None:
        return "code_used"
    if as_utc(invitation.expires_at) <= now:
        return "code_expired"
    return None


# --- caseload ---------------------------------------------------------------------------------


async def link(session: AsyncSession, therapist: Person, young_person: Person) -> Link:
    row = Link(therapist_id=therapist.id, young_person_id=young_person.id)
    session.add(row)
    await session.flush()
    return row


async def caseload(session: AsyncSession, therapist_id: int) -> Sequence[Person]:
    query = (select(Person).join(Link, Link.young_person_id == Person.id)
             .where(Link.therapist_id == therapist_id, Link.ended_at.is_(None))
             .order_by(Person.id))
    return (await session.scalars(query)).all()


async def is_on_caseload(session: AsyncSession, therapist_id: int, young_person_id: int) -> bool:
    found = await session.scalar(select(Link.id).where(
        Link.therapist_id == therapist_id, Link.young_person_id == young_person_id,
        Link.ended_at.is_(None)))
    return found is not None


async def shared_counts(session: AsyncSession, person_ids: Sequence[int]) -> dict[int, int]:
    if not person_ids:
        return {}
    rows = await session.execute(
        select(FlowRun.person_id, func.count(FlowRun.id))
        .where(FlowRun.person_id.in_(person_ids), FlowRun.shared.is_(True))
        .group_by(FlowRun.person_id))
    return {pid: count for pid, count in rows.all()}


# --- runs and answers -------------------------------------------------------------------------


async def current_run(session: AsyncSession, person_id: int,
                      for_update: bool = False) -> FlowRun | None:
    """The run the young person is in (active or stopped for now), newest first."""
    query = (select(FlowRun)
             .where(FlowRun.person_id == person_id,
                    FlowRun.status.in_([RunStatus.ACTIVE.value, RunStatus.PAUSED.value]))
             .order_by(FlowRun.updated_at.desc(), FlowRun.id.desc()).limit(1))
    if for_update:
        query = query.with_for_update()
    return await session.scalar(query)


async def run_for_person(session: AsyncSession, run_id: int, person_id: int) -> FlowRun | None:
    """A run, only if it belongs to this person (a forged run id finds nothing)."""
    return await session.scalar(select(FlowRun).where(
        FlowRun.id == run_id, FlowRun.person_id == person_id).with_for_update())


async def start_run(session: AsyncSession, person_id: int, state: RunState) -> FlowRun:
    now = utcnow()
    run = FlowRun(person_id=person_id, flow_id=state.flow_id, step_id=state.step_id,
                  status=state.status.value, state=state.extra(), version=1,
                  started_at=now, updated_at=now, shared=False, options=dict(state.options))
    session.add(run)
    await session.flush()
    return run


def run_state(run: FlowRun) -> RunState:
    return RunState.restore(run.flow_id, run.step_id, run.status, run.shared, run.state or {},
                            run.options or {})


def save_state(run: FlowRun, state: RunState) -> None:
    now = utcnow()
    run.step_id = state.step_id
    run.status = state.status.value
    run.state = state.extra()
    run.version += 1
    run.updated_at = now
    if state.status is RunStatus.FINISHED and run.finished_at is None:
        run.finished_at = now
    if state.shared != run.shared:
        run.shared = state.shared
        run.shared_at = now if state.shared else None


async def answers_of(session: AsyncSession, run_id: int) -> dict[str, AnswerRecord]:
    rows = await session.scalars(select(Answer).where(Answer.run_id == run_id))
    return {a.step_id: _record(a) for a in rows}


def _record(row: Answer) -> AnswerRecord:
    media = tuple((int(m["id"]), str(m["kind"])) for m in (row.media or ()))
    return AnswerRecord(row.step_id, AnswerKind(row.kind), tuple(row.choices), row.own_words,
                        media)


async def put_answer(session: AsyncSession, run_id: int, record: AnswerRecord) -> None:
    existing = await session.scalar(
        select(Answer).where(Answer.run_id == run_id, Answer.step_id == record.step_id))
    now = utcnow()
    # Stored as [{"id": 5, "kind": "voice"}]: the media_files ids with what they are.
    media = [{"id": media_id, "kind": kind} for media_id, kind in record.media]
    if existing is None:
        session.add(Answer(run_id=run_id, step_id=record.step_id, kind=record.kind.value,
                           choices=list(record.choices), own_words=record.own_words,
                           media=media, created_at=now, updated_at=now))
    else:
        existing.kind = record.kind.value
        existing.choices = list(record.choices)
        existing.own_words = record.own_words
        existing.media = media
        existing.updated_at = now


async def drop_answers_except(session: AsyncSession, run_id: int, keep: frozenset[str]) -> None:
    await session.execute(delete(Answer).where(Answer.run_id == run_id,
                                               Answer.step_id.not_in(keep)))


async def shared_runs(session: AsyncSession, person_id: int) -> Sequence[FlowRun]:
    """Finished runs the young person chose to share, newest first. Private runs never leave."""
    query = (select(FlowRun)
             .where(FlowRun.person_id == person_id, FlowRun.shared.is_(True),
                    FlowRun.status == RunStatus.FINISHED.value)
             .order_by(FlowRun.shared_at.desc(), FlowRun.id.desc()))
    return (await session.scalars(query)).all()


# --- small facts and the audit log -----------------------------------------------------------


async def get_fact(session: AsyncSession, key: str) -> str | None:
    row = await session.get(AppState, key)
    return row.value if row else None


async def set_fact(session: AsyncSession, key: str, value: str) -> None:
    row = await session.get(AppState, key)
    if row is None:
        session.add(AppState(key=key, value=value))
    else:
        row.value = value


def audit(session: AsyncSession, actor: Person | None, action: str,
          subject: Person | None = None, detail: str = "") -> None:
    session.add(AuditEntry(actor_id=actor.id if actor else None, action=action,
                           subject_id=subject.id if subject else None, detail=detail[:256]))


async def audit_entries(session: AsyncSession, limit: int = 200) -> Sequence[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    return (await session.scalars(query)).all()
