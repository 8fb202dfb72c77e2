"""Voice notes, photos and pictures kept for a young person (encrypted at rest)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.models import MediaFile, PersonalCard, Recording

MAX_MEDIA_BYTES = 10 * 1024 * 1024  # Telegram's photo limit; a long voice note fits too


async def keep(session: AsyncSession, *, owner_id: int, kind: str, mime_type: str,
               data: bytes, telegram_file_id: str | None = None) -> int:
    if len(data) > MAX_MEDIA_BYTES:
        raise ValueError("media too large to keep")
    row = MediaFile(owner_id=owner_id, kind=kind, mime_type=mime_type, content=data,
                    telegram_file_id=telegram_file_id)
    session.add(row)
    await session.flush()
    return row.id


async def contents(session: AsyncSession, ids: Iterable[int]) -> dict[int, bytes]:
    wanted = list(set(ids))
    if not wanted:
        return {}
    rows = await session.execute(select(MediaFile.id, MediaFile.content)
                                 .where(MediaFile.id.in_(wanted)))
    return {media_id: content for media_id, content in rows.all()}


async def personal_cards(session: AsyncSession, young_person_id: int) -> dict[str, dict]:
    """This young person's own picture cards, as run options: {"card_<id>": {words, media}}."""
    rows = await session.scalars(select(PersonalCard)
                                 .where(PersonalCard.young_person_id == young_person_id)
                                 .order_by(PersonalCard.id))
    return {f"card_{c.id}": {"words": c.words, "media": c.media_id} for c in rows}


async def recording(session: AsyncSession, therapist_ids: Iterable[int], flow_id: str,
                    step_id: str) -> bytes | None:
    ids = list(therapist_ids)
    if not ids:
        return None
    row = await session.scalar(select(Recording).where(
        Recording.therapist_id.in_(ids), Recording.flow_id == flow_id,
        Recording.step_id == step_id).order_by(Recording.id.desc()).limit(1))
    if row is None:
        return None
    return (await contents(session, [row.media_id])).get(row.media_id)


async def replace_recording(session: AsyncSession, *, therapist_id: int, flow_id: str,
                            step_id: str, media_id: int) -> None:
    """A therapist's new recording of a question replaces their old one."""
    old = await session.scalar(select(Recording).where(
        Recording.therapist_id == therapist_id, Recording.flow_id == flow_id,
        Recording.step_id == step_id))
    if old is not None:
        previous = await session.get(MediaFile, old.media_id)
        await session.delete(old)
        if previous is not None:
            await session.delete(previous)
        await session.flush()
    session.add(Recording(therapist_id=therapist_id, flow_id=flow_id, step_id=step_id,
                          media_id=media_id))
