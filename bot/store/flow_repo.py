"""What a young person has been given to do, and what they said before (to offer it again)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.models import Answer, Assignment, FlowRun, Link

FINISHED = "finished"


async def assignments(session: AsyncSession, young_person_id: int) -> Sequence[Assignment]:
    query = (select(Assignment)
             .where(Assignment.young_person_id == young_person_id, Assignment.active.is_(True))
             .order_by(Assignment.id))
    return (await session.scalars(query)).all()


async def assign(session: AsyncSession, *, young_person_id: int, assigned_by_id: int,
                 flows: dict[str, dict[str, Any]]) -> None:
    """Replace what the young person has to do with `flows` (flow id -> options)."""
    await session.execute(update(Assignment)
                          .where(Assignment.young_person_id == young_person_id,
                                 Assignment.active.is_(True))
                          .values(active=False))
    for flow_id, options in flows.items():
        session.add(Assignment(young_person_id=young_person_id, flow_id=flow_id,
                               options=options, assigned_by_id=assigned_by_id, active=True))
    await session.flush()


async def earlier_choices(session: AsyncSession, person_id: int, flow_id: str,
                          step_ids: Sequence[str]) -> list[str]:
    """Symbols the young person picked at those steps the last time they finished that flow
    (their own answers, offered back to them; kept or shared alike, since only they see it)."""
    run_id = await session.scalar(
        select(FlowRun.id).where(FlowRun.person_id == person_id, FlowRun.flow_id == flow_id,
                                 FlowRun.status == FINISHED)
        .order_by(FlowRun.finished_at.desc(), FlowRun.id.desc()).limit(1))
    if run_id is None:
        return []
    rows = await session.scalars(select(Answer).where(Answer.run_id == run_id,
                                                      Answer.step_id.in_(list(step_ids))))
    picked: list[str] = []
    for answer in rows:
        picked += [c for c in answer.choices if c not in picked]
    return picked


async def therapists_of(session: AsyncSession, young_person_id: int) -> list[int]:
    rows = await session.scalars(select(Link.therapist_id).where(
        Link.young_person_id == young_person_id, Link.ended_at.is_(None)))
    return list(rows)
