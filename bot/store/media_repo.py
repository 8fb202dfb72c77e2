"""Voice notes, photos and pictures kept for a young person (encrypted at rest)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.models import Answer, FlowRun, MediaFile, PersonalCard, Recording

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
    """The newest recording of this question by one of `therapist_ids`, or None."""
    found = await recording_file(session, therapist_ids, flow_id, step_id)
    return found[0] if found is not None else None


async def recording_file(session: AsyncSession, therapist_ids: Iterable[int], flow_id: str,
                         step_id: str) -> tuple[bytes, str | None] | None:
    """The newest recording of this question by one of `therapist_ids`: its bytes and the
    Telegram file id it came with (a file id works in any chat of the same bot), or None."""
    ids = list(therapist_ids)
    if not ids:
        return None
    row = await session.scalar(select(Recording).where(
        Recording.therapist_id.in_(ids), Recording.flow_id == flow_id,
        Recording.step_id == step_id).order_by(Recording.id.desc()).limit(1))
    if row is None:
        return None
    media = await session.get(MediaFile, row.media_id)
    return None if media is None else (media.content, media.telegram_file_id)


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


async def keep_drawn(session: AsyncSession, *, owner_id: int, kind: str, run_id: int,
                     step_id: str | None, data: bytes, mime_type: str) -> int | None:
    """Keep a picture drawn after its answer committed (bot.service.drawing), `data` of type
    `mime_type` (the drawing's own encoding, bot.render.cards.shapes.encode: JPEG), as the
    young person's media, and name it where it belongs: kind "mat" on the answer to `step_id` of
    run `run_id` (answers.media, as [{"id": .., "kind": "mat"}]); kind "profile" in the run's
    options as `profile_media`. Returns the media id, or None when there is nowhere to put it
    any more (the answer or run is gone) or the answer already has its mat picture (a
    reopened mat keeps its first one)."""
    if kind == "mat":
        answer = await session.scalar(select(Answer).where(Answer.run_id == run_id,
                                                           Answer.step_id == step_id))
        if answer is None or any(m.get("kind") == "mat" for m in answer.media or ()):
            return None
        media_id = await keep(session, owner_id=owner_id, kind=kind, mime_type=mime_type,
                              data=data)
        answer.media = [*(answer.media or ()), {"id": media_id, "kind": kind}]
        return media_id
    run = await session.get(FlowRun, run_id)
    if run is None:
        return None
    media_id = await keep(session, owner_id=owner_id, kind=kind, mime_type=mime_type, data=data)
    run.options = {**(run.options or {}), "profile_media": media_id}
    return media_id
