"""The therapist's notes on finished activities (issue 14, point 9), and the finished shared
activities a note can go on.

Every function takes the caller's session (one transaction)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.models import FlowRun, Person, RunNote
from bot.store.therapist_repo.common import FINISHED


def _about(young_person_id: int) -> object:
    """A young person's own runs, or a supporter's run about them."""
    return or_(and_(FlowRun.person_id == young_person_id, FlowRun.about_id.is_(None)),
               FlowRun.about_id == young_person_id)


def _noteable(young_person_id: int) -> object:
    return and_(_about(young_person_id), FlowRun.shared.is_(True), FlowRun.status == FINISHED)


async def finished_shared_runs(session: AsyncSession, young_person_id: int, offset: int,
                               limit: int) -> tuple[list[FlowRun], int]:
    """A page of the finished, shared activities by or about a young person, newest first,
    and how many there are in all. Private (kept) activities are never listed."""
    where = _noteable(young_person_id)
    total = await session.scalar(select(func.count(FlowRun.id)).where(where)) or 0
    query = (select(FlowRun).where(where)
             .order_by(FlowRun.finished_at.desc(), FlowRun.id.desc())
             .offset(max(0, offset)).limit(limit))
    return list((await session.scalars(query)).all()), int(total)


async def noteable_run(session: AsyncSession, run_id: int) -> FlowRun | None:
    """The finished, shared run `run_id`, or None (no such run, unfinished or kept private)."""
    run = await session.get(FlowRun, run_id)
    if run is None or run.status != FINISHED or not run.shared:
        return None
    return run


def run_subject(run: FlowRun) -> int:
    """The young person a run is about: its author, or the one a supporter wrote about."""
    return run.about_id if run.about_id is not None else run.person_id


def add_note(session: AsyncSession, run: FlowRun, author: Person, text: str) -> RunNote:
    """Keep a therapist's note on `run` (added to the session; flushed with the transaction)."""
    note = RunNote(run_id=run.id, author_id=author.id, text=text)
    session.add(note)
    return note


async def notes_for_runs(session: AsyncSession, run_ids: Sequence[int]
                         ) -> dict[int, list[tuple[RunNote, str]]]:
    """Every note on these runs, oldest first, with its author's name ("" when the author's
    account is gone), by run id."""
    if not run_ids:
        return {}
    query = (select(RunNote, Person.display_name)
             .outerjoin(Person, Person.id == RunNote.author_id)
             .where(RunNote.run_id.in_(list(run_ids)))
             .order_by(RunNote.created_at, RunNote.id))
    found: dict[int, list[tuple[RunNote, str]]] = {}
    for note, name in (await session.execute(query)).all():
        found.setdefault(note.run_id, []).append((note, name or ""))
    return found
