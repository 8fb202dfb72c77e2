"""Queries and writes, each taking the caller's session (one transaction per update)."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import Executable, bindparam, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

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
    Role,
)
from bot.timeutil import as_utc, utcnow

# --- updates ----------------------------------------------------------------------------------


# Statements on the path of every tap are built once, with bound parameters: building and
# keying a statement costs more than running it on SQLite (bench/throughput.py, issue 6).


def _dialect(session: AsyncSession) -> str:
    return session.bind.dialect.name if session.bind is not None else "sqlite"


@cache
def _claim_statement(dialect: str) -> Executable:
    # On the table, not the mapped class: an ORM-enabled INSERT takes the bulk-insert path,
    # which builds and keys a new statement on every call.
    table = ProcessedUpdate.__table__
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (insert(table)
            .values(update_id=bindparam("update_id"), processed_at=bindparam("at"))
            .on_conflict_do_nothing(index_elements=[table.c.update_id])
            .returning(table.c.update_id))


async def claim_update(session: AsyncSession, update_id: int) -> bool:
    """Record the update as handled, in the same transaction as its effect: both land or
    neither. False if it was handled before. One statement: a second process claiming the
    same update waits for the first to commit and then finds it taken."""
    claimed = await session.execute(_claim_statement(_dialect(session)),
                                    {"update_id": update_id, "at": utcnow()})
    return claimed.first() is not None


async def claimed_at(session: AsyncSession, update_id: int) -> datetime | None:
    """When the update was claimed (UTC), or None if it never was."""
    at = await session.scalar(
        select(ProcessedUpdate.processed_at).where(ProcessedUpdate.update_id == update_id))
    return None if at is None else as_utc(at)


async def forget_processed_before(session: AsyncSession, before: datetime) -> int:
    """Telegram redelivers an update for at most a day, so older ids need not be kept."""
    result = await session.execute(
        delete(ProcessedUpdate).where(ProcessedUpdate.processed_at < before))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


# --- people -----------------------------------------------------------------------------------


async def person_by_telegram_id(session: AsyncSession, telegram_user_id: int, *,
                                for_update: bool = False) -> Person | None:
    """for_update: hold the person's row until commit, so one person's updates are handled
    one at a time even across bot processes (PostgreSQL; SQLite has one writer anyway)."""
    query = _PERSON_FOR_UPDATE if for_update else _PERSON
    return await session.scalar(query, {"telegram_user_id": telegram_user_id})


_PERSON = select(Person).where(Person.telegram_user_id == bindparam("telegram_user_id"))
_PERSON_FOR_UPDATE = _PERSON.with_for_update()


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


async def young_people_in_chats(session: AsyncSession,
                                chat_ids: Collection[int]) -> Sequence[Person]:
    """The young people whose private chats these are (Person.chat_id): whom a message sent
    to one of `chat_ids` reaches. [] for none."""
    if not chat_ids:
        return []
    return (await session.scalars(select(Person).where(
        Person.chat_id.in_(list(chat_ids)), Person.role == Role.YOUNG_PERSON))).all()


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
    query = _CURRENT_RUN_FOR_UPDATE if for_update else _CURRENT_RUN
    return await session.scalar(query, {"person_id": person_id})


_CURRENT_RUN = (select(FlowRun)
                .where(FlowRun.person_id == bindparam("person_id"),
                       FlowRun.status.in_([RunStatus.ACTIVE.value, RunStatus.PAUSED.value]))
                .order_by(FlowRun.updated_at.desc(), FlowRun.id.desc()).limit(1))
_CURRENT_RUN_FOR_UPDATE = _CURRENT_RUN.with_for_update()


async def run_for_person(session: AsyncSession, run_id: int, person_id: int, *,
                         for_update: bool = True) -> FlowRun | None:
    """A run, only if it belongs to this person (a forged run id finds nothing); its row
    held until commit unless `for_update` is False (a read that changes nothing, such as
    the Talking Mat page's state or pictures, issue 16)."""
    query = _RUN_OF_PERSON_FOR_UPDATE if for_update else _RUN_OF_PERSON
    return await session.scalar(query, {"run_id": run_id, "person_id": person_id})


_RUN_OF_PERSON = select(FlowRun).where(FlowRun.id == bindparam("run_id"),
                                       FlowRun.person_id == bindparam("person_id"))
_RUN_OF_PERSON_FOR_UPDATE = _RUN_OF_PERSON.with_for_update()


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


async def save_state(session: AsyncSession, run: FlowRun, state: RunState) -> None:
    """Write where the run is now with one prepared UPDATE (not a unit-of-work flush, on every
    tap); the loaded run then shows the new values as stored."""
    now = utcnow()
    finished = state.status is RunStatus.FINISHED
    values = {
        "step_id": state.step_id, "status": state.status.value, "state": state.extra(),
        "version": run.version + 1, "updated_at": now,
        "finished_at": run.finished_at or (now if finished else None),
        "shared": state.shared,
        "shared_at": run.shared_at if state.shared == run.shared else (
            now if state.shared else None),
    }
    await session.execute(_SAVE_STATE, {"run_id": run.id, **values})
    for name, value in values.items():
        set_committed_value(run, name, value)


_SAVE_STATE = (update(FlowRun.__table__)
               .where(FlowRun.__table__.c.id == bindparam("run_id"))
               .values({name: bindparam(name) for name in (
                   "step_id", "status", "state", "version", "updated_at", "finished_at",
                   "shared", "shared_at")}))


async def answers_of(session: AsyncSession, run_id: int) -> dict[str, AnswerRecord]:
    # Plain rows, not ORM objects: put_answer writes with one statement, so there is no
    # loaded object that could go stale within the transaction.
    rows = await session.execute(_ANSWERS, {"run_id": run_id})
    return {row.step_id: answer_record(row.step_id, row.kind, row.choices, row.own_words,
                                       row.media, row.detail)
            for row in rows}


_ANSWERS = (select(Answer.step_id, Answer.kind, Answer.choices, Answer.own_words, Answer.media,
                   Answer.detail)
            .where(Answer.run_id == bindparam("run_id")))


def answer_record(step_id: str, kind: str, choices: list[str] | None, own_words: str | None,
                  media: list[dict[str, object]] | None,
                  detail: Mapping[str, Any] | None) -> AnswerRecord:
    """The engine's AnswerRecord from a stored `answers` row's values (see models.Answer).

    `media` is [{"id": 5, "kind": "voice"}, ...]; `detail` holds a Talking Mat's placements,
    whether the answer was forwarded and the album it came from. Raises ValueError for an
    unknown answer kind."""
    kept = tuple((int(str(m["id"])), str(m["kind"])) for m in (media or ()))
    group = (detail or {}).get("media_group")
    return AnswerRecord(step_id, AnswerKind(kind), tuple(choices or ()), own_words, kept,
                        placements_in(detail), forwarded_in(detail),
                        str(group) if group is not None else None)


def placements_in(detail: Mapping[str, Any] | None) -> tuple[tuple[str, int], ...]:
    """A Talking Mat's placements from `answers.detail`: (card, scale column 0-2 or -1 left
    off), in the order placed; () for any other answer."""
    return tuple((str(card), int(column))
                 for card, column in (detail or {}).get("placements", ()))


def forwarded_in(detail: Mapping[str, Any] | None) -> bool:
    """Whether `answers.detail` marks the answer as sent on from someone else."""
    return bool((detail or {}).get("forwarded"))


def answer_detail(record: AnswerRecord) -> dict[str, Any] | None:
    """What of an AnswerRecord goes into `answers.detail` (None when there is nothing)."""
    detail: dict[str, Any] = {}
    if record.placements:
        detail["placements"] = [[card, column] for card, column in record.placements]
    if record.forwarded:
        detail["forwarded"] = True
    if record.media_group is not None:
        detail["media_group"] = record.media_group
    return detail or None


@cache
def _put_answer_statement(dialect: str) -> Executable:
    table = Answer.__table__  # the table, not the class: see _claim_statement
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    replaced = ("kind", "choices", "own_words", "media", "detail", "updated_at")
    return (insert.values({c: bindparam(c) for c in ("run_id", "step_id", "created_at",
                                                     *replaced)})
            .on_conflict_do_update(index_elements=[table.c.run_id, table.c.step_id],
                                   set_={c: insert.excluded[c] for c in replaced}))


async def put_answer(session: AsyncSession, run_id: int, record: AnswerRecord) -> None:
    """Insert or replace the answer to one step (Back then re-answer replaces it), in one
    statement."""
    now = utcnow()
    await session.execute(_put_answer_statement(_dialect(session)), {
        "run_id": run_id, "step_id": record.step_id, "created_at": now, "updated_at": now,
        "kind": record.kind.value, "choices": list(record.choices),
        "own_words": record.own_words,
        # Stored as [{"id": 5, "kind": "voice"}]: the media_files ids with what they are.
        "media": [{"id": media_id, "kind": kind} for media_id, kind in record.media],
        "detail": answer_detail(record)})


async def drop_answers_except(session: AsyncSession, run_id: int, keep: frozenset[str]) -> None:
    await session.execute(delete(Answer).where(Answer.run_id == run_id,
                                               Answer.step_id.not_in(keep)))


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
