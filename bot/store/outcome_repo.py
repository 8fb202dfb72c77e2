"""The outcomes in a young person's EHC plan (/outcomes): listing, adding, changing, ending.

Each function takes the caller's session (one transaction). An outcome taken off the list is
never deleted here: its row keeps its words for the runs and summaries that name it (deleting
the young person deletes it, bot.safety.erase).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.engine.flows import MAX_OUTCOMES, outcome_slots
from bot.store.models import Outcome
from bot.timeutil import utcnow


async def current(session: AsyncSession, young_person_id: int) -> Sequence[Outcome]:
    """The young person's outcomes not taken off the list, in their order (position, then id)."""
    return (await session.scalars(
        select(Outcome).where(Outcome.young_person_id == young_person_id,
                              Outcome.ended_at.is_(None))
        .order_by(Outcome.position, Outcome.id))).all()


async def every(session: AsyncSession, young_person_id: int) -> Sequence[Outcome]:
    """All of the young person's outcomes, ended ones too (for their data export), by id."""
    return (await session.scalars(select(Outcome)
                                  .where(Outcome.young_person_id == young_person_id)
                                  .order_by(Outcome.id))).all()


async def one(session: AsyncSession, young_person_id: int, outcome_id: int,
              *, for_update: bool = False) -> Outcome | None:
    """The current outcome `outcome_id`, only if it is this young person's (a forged or old id,
    or one taken off the list, finds nothing)."""
    query = select(Outcome).where(Outcome.id == outcome_id,
                                  Outcome.young_person_id == young_person_id,
                                  Outcome.ended_at.is_(None))
    if for_update:
        query = query.with_for_update()
    return await session.scalar(query)


async def add(session: AsyncSession, *, young_person_id: int, created_by_id: int | None,
              words: str, symbol_id: str | None = None,
              media_id: int | None = None) -> Outcome:
    """A new outcome at the end of the list. Returns it (flushed, with its id).

    Raises ValueError when the young person already has MAX_OUTCOMES current outcomes (the
    activity asks about that many at most) or `words` is empty."""
    words = words.strip()
    if not words:
        raise ValueError("an outcome needs words")
    count = int(await session.scalar(
        select(func.count()).select_from(Outcome).where(
            Outcome.young_person_id == young_person_id, Outcome.ended_at.is_(None))) or 0)
    if count >= MAX_OUTCOMES:
        raise ValueError(f"at most {MAX_OUTCOMES} outcomes at a time")
    last = await session.scalar(select(func.max(Outcome.position))
                                .where(Outcome.young_person_id == young_person_id))
    now = utcnow()
    row = Outcome(young_person_id=young_person_id, created_by_id=created_by_id, words=words,
                  symbol_id=symbol_id, media_id=media_id, position=int(last or 0) + 1,
                  created_at=now, updated_at=now)
    session.add(row)
    await session.flush()
    return row


def change(outcome: Outcome, *, words: str | None = None, symbol_id: str | None = None,
           media_id: int | None = None, clear_picture: bool = False) -> None:
    """Change an outcome in place: new words, or a symbol or picture (one replaces the other;
    `clear_picture` takes both away). Raises ValueError for empty words."""
    if words is not None:
        if not words.strip():
            raise ValueError("an outcome needs words")
        outcome.words = words.strip()
    if clear_picture or symbol_id is not None or media_id is not None:
        outcome.symbol_id, outcome.media_id = symbol_id, media_id
    outcome.updated_at = utcnow()


def end(outcome: Outcome) -> None:
    """Take an outcome off the list: kept (with its words) for earlier views, never asked
    about again."""
    outcome.ended_at = utcnow()
    outcome.updated_at = outcome.ended_at


def as_run_options(outcomes: Sequence[Outcome]) -> dict[str, dict[str, Any]]:
    """The outcomes as a run's options: {slot: {"id", "words", "symbol", "media"}} with slots
    "outcome_1"... in list order (at most MAX_OUTCOMES). The words are copied into the run, so
    its answers keep the words as they were when asked."""
    return {slot: {"id": o.id, "words": o.words, "symbol": o.symbol_id, "media": o.media_id}
            for slot, o in zip(outcome_slots(), outcomes, strict=False)}
