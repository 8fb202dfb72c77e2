""""You said": the therapist's drafts and sent ones, and the shared answers they quote.

Every function takes the caller's session (one transaction)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.models import Answer, FlowRun, YouSaid
from bot.store.therapist_repo.common import FINISHED
from bot.timeutil import utcnow


async def sent_you_said(session: AsyncSession, young_person_id: int) -> list[YouSaid]:
    """The "you said" messages sent to the young person, oldest first."""
    query = (select(YouSaid)
             .where(YouSaid.young_person_id == young_person_id, YouSaid.sent_at.is_not(None))
             .order_by(YouSaid.sent_at, YouSaid.id))
    return list((await session.scalars(query)).all())


async def you_said_by_id(session: AsyncSession, you_said_id: int) -> YouSaid | None:
    """A "you said" by id, or None."""
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


async def shared_answer_ids(session: AsyncSession, young_person_id: int,
                            answer_ids: Iterable[int]) -> set[int]:
    """Which of `answer_ids` the young person gave in a run they share now (see
    `shared_answer`): an answer made private since, or gone, is not among them."""
    wanted = sorted({int(i) for i in answer_ids})
    if not wanted:
        return set()
    found = await session.scalars(
        select(Answer.id).join(FlowRun, FlowRun.id == Answer.run_id)
        .where(Answer.id.in_(wanted), FlowRun.person_id == young_person_id,
               FlowRun.about_id.is_(None), FlowRun.shared.is_(True),
               FlowRun.status == FINISHED))
    return set(found.all())
