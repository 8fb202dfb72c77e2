"""What a summary reads: shared runs (never private ones), the private count, and media.

Every function takes the caller's session (one transaction)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.store.models import FlowRun, MediaFile
from bot.store.therapist_repo.common import FINISHED


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
    """What a kept media row is (never its content)."""

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
    """The (decrypted) content of media rows by id; callers check ownership with media_meta."""
    if not ids:
        return {}
    rows = await session.execute(select(MediaFile.id, MediaFile.content)
                                 .where(MediaFile.id.in_(set(ids))))
    return {mid: content for mid, content in rows.all()}
