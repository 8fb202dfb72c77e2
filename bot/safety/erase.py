"""Erasing a young person: every row about them, then no copy left in SQLite's files.

Used when their therapist confirms a deletion request and by the retention job. Each table is
named on purpose (not left to ON DELETE rules alone), so a new table that holds something
about a young person shows up here in review, and rows whose foreign keys only SET NULL
(alerts, invitations, audit entries) do not keep their words behind.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy import event as sa_event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import Session

from bot.render.cards.parts import forget_personal
from bot.store.models import (
    Alert,
    Answer,
    Assignment,
    AuditEntry,
    CardUpload,
    DeletionRequest,
    FlowRun,
    Invitation,
    Link,
    MediaFile,
    Meeting,
    MeetingRecord,
    Outcome,
    Person,
    PersonalCard,
    RunNote,
    SupporterLink,
    YouSaid,
)

log = logging.getLogger(__name__)

# How often to try the WAL checkpoint while other connections are busy reading.
_CHECKPOINT_TRIES = 50
_CHECKPOINT_PAUSE = 0.1


@dataclass
class Erased:
    """How many rows went, by table (for the audit log and the retention report)."""

    counts: dict[str, int] = field(default_factory=dict)

    def add(self, table: str, count: int) -> None:
        if count:
            self.counts[table] = self.counts.get(table, 0) + count

    def __str__(self) -> str:
        return ", ".join(f"{table} {count}" for table, count in sorted(self.counts.items()))


async def _media_ids(session: AsyncSession, person_id: int, run_ids: list[int]) -> set[int]:
    ids = set((await session.scalars(
        select(MediaFile.id).where(MediaFile.owner_id == person_id))).all())
    ids |= set((await session.scalars(select(PersonalCard.media_id).where(
        PersonalCard.young_person_id == person_id))).all())
    ids |= {m for m in (await session.scalars(select(Outcome.media_id).where(
        Outcome.young_person_id == person_id))).all() if m is not None}
    if run_ids:
        for media in (await session.scalars(
                select(Answer.media).where(Answer.run_id.in_(run_ids)))).all():
            ids |= {int(m["id"]) if isinstance(m, dict) else int(m) for m in media or ()}
    return ids


async def _count_delete(session: AsyncSession, statement: Any) -> int:
    result = await session.execute(statement)
    return int(getattr(result, "rowcount", 0) or 0)


async def erase_young_person(session: AsyncSession, person: Person) -> Erased:
    """Delete everything MySay holds about this young person, in the caller's transaction.

    After the transaction commits, SQLite's WAL is checkpointed and truncated (see
    `checkpoint_after_commit`), so deleted pages do not linger in the -wal file.
    """
    erased = Erased()
    pid = person.id
    run_ids = list((await session.scalars(select(FlowRun.id).where(
        or_(FlowRun.person_id == pid, FlowRun.about_id == pid)))).all())
    media_ids = await _media_ids(session, pid, run_ids)
    if run_ids:
        # The therapist's notes on these activities are about the young person too.
        erased.add("run_notes", await _count_delete(
            session, delete(RunNote).where(RunNote.run_id.in_(run_ids))))
        erased.add("answers", await _count_delete(
            session, delete(Answer).where(Answer.run_id.in_(run_ids))))
        erased.add("flow_runs", await _count_delete(
            session, delete(FlowRun).where(FlowRun.id.in_(run_ids))))
    for table, statement in (
        ("personal_cards", delete(PersonalCard).where(PersonalCard.young_person_id == pid)),
        ("outcomes", delete(Outcome).where(Outcome.young_person_id == pid)),
        # Pictures drawn from their words, photos or mat, and their Telegram file ids.
        ("card_uploads", delete(CardUpload).where(CardUpload.owner_id == pid)),
        ("assignments", delete(Assignment).where(Assignment.young_person_id == pid)),
        ("you_said", delete(YouSaid).where(YouSaid.young_person_id == pid)),
        # What was agreed at their meetings (before the meetings it belongs to).
        ("meeting_records", delete(MeetingRecord).where(MeetingRecord.young_person_id == pid)),
        ("meetings", delete(Meeting).where(Meeting.young_person_id == pid)),
        ("supporter_links", delete(SupporterLink).where(SupporterLink.young_person_id == pid)),
        ("links", delete(Link).where(Link.young_person_id == pid)),
        # Alerts keep the young person's words: they go too (an open one blocks erasure
        # before we get here, see safety.erase.blocking_alert).
        ("alerts", delete(Alert).where(Alert.young_person_id == pid)),
        ("invitations", delete(Invitation).where(or_(Invitation.used_by_id == pid,
                                                     Invitation.young_person_id == pid))),
    ):
        erased.add(table, await _count_delete(session, statement))
    if media_ids:
        erased.add("media_files", await _count_delete(
            session, delete(MediaFile).where(MediaFile.id.in_(media_ids))))
    # Kept as a record that a request was handled, with nothing that says who it was about.
    await session.execute(update(DeletionRequest).where(DeletionRequest.young_person_id == pid)
                          .values(reason=None, young_person_id=None))
    await session.execute(update(AuditEntry)
                          .where(or_(AuditEntry.subject_id == pid, AuditEntry.actor_id == pid))
                          .values(detail=""))
    await session.execute(update(AuditEntry).where(AuditEntry.subject_id == pid)
                          .values(subject_id=None))
    await session.execute(update(AuditEntry).where(AuditEntry.actor_id == pid)
                          .values(actor_id=None))
    await session.delete(person)
    erased.add("people", 1)
    await session.flush()
    checkpoint_after_commit(session)
    # Drawn parts of pictures of their content live only in this process's memory: drop them.
    forget_personal()
    return erased


async def blocking_alert(session: AsyncSession, young_person_id: int) -> Alert | None:
    """An alert nobody has acknowledged yet: erasing now could hide a disclosure."""
    return await session.scalar(select(Alert).where(Alert.young_person_id == young_person_id,
                                                    Alert.acknowledged_at.is_(None)).limit(1))


# --- the SQLite WAL checkpoint, after the erasing transaction commits -----------------------

_tasks: set[asyncio.Task[bool]] = set()


def checkpoint_after_commit(session: AsyncSession) -> None:
    """Once this transaction commits, fold the WAL into the database file and truncate it.

    With `secure_delete` on, SQLite zeroes deleted content in the pages it writes, but the
    older copies of those pages stay in the -wal file until a checkpoint; TRUNCATE also
    empties the file. PostgreSQL needs nothing here (values are encrypted; autovacuum
    reclaims the dead rows).
    """
    engine = session.bind
    if not isinstance(engine, AsyncEngine) or engine.dialect.name != "sqlite":
        return

    def committed(_session: Session) -> None:
        task = asyncio.get_running_loop().create_task(checkpoint(engine))
        _tasks.add(task)
        task.add_done_callback(_tasks.discard)

    sa_event.listen(session.sync_session, "after_commit", committed, once=True)


async def checkpoint(engine: AsyncEngine) -> bool:
    """PRAGMA wal_checkpoint(TRUNCATE), retried while readers hold old pages. True if done."""
    for _ in range(_CHECKPOINT_TRIES):
        async with engine.connect() as conn:
            raw = await conn.get_raw_connection()
            driver = raw.driver_connection
            assert driver is not None
            cursor = await driver.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            busy, _log, _done = await cursor.fetchone()
            await cursor.close()
        if not busy:
            return True
        await asyncio.sleep(_CHECKPOINT_PAUSE)
    log.warning("could not truncate the SQLite WAL after an erasure; it will be retried "
                "by SQLite's own checkpoints")
    return False


async def settled() -> None:
    """Wait for checkpoints still running (before shutdown, and in tests)."""
    while _tasks:
        await asyncio.gather(*list(_tasks), return_exceptions=True)
