"""Queries for privacy and safeguarding: alerts, deletion requests, a young person's own runs,
and who is responsible for whom. Each takes the caller's session (one transaction)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.models import (
    Alert,
    DeletionRequest,
    FlowRun,
    Invitation,
    Link,
    Person,
    Role,
)
from bot.timeutil import utcnow

FINISHED = "finished"
CONTACT_NAME = "Safeguarding contact"

# --- who is responsible ----------------------------------------------------------------------


async def therapists_of(session: AsyncSession, young_person_id: int) -> Sequence[Person]:
    """The therapists this young person is with now (active links only)."""
    query = (select(Person).join(Link, Link.therapist_id == Person.id)
             .where(Link.young_person_id == young_person_id, Link.ended_at.is_(None))
             .order_by(Person.id))
    return (await session.scalars(query)).all()


async def admins(session: AsyncSession) -> Sequence[Person]:
    return (await session.scalars(select(Person).where(Person.role == Role.ADMIN)
                                  .order_by(Person.id))).all()


async def safeguarding_contact(session: AsyncSession, telegram_user_id: int | None
                               ) -> Person | None:
    """The service's safeguarding contact as a MySay person, made on first need.

    They are staff, not a young person: their Telegram id is kept so alerts can reach them
    and their Acknowledge taps are recognised. If they are already in MySay (often a
    therapist), that person is used as they are.
    """
    if telegram_user_id is None:
        return None
    person = await session.scalar(select(Person).where(
        Person.telegram_user_id == telegram_user_id))
    if person is not None:
        return person
    now = utcnow()
    person = Person(telegram_user_id=telegram_user_id, chat_id=telegram_user_id,
                    role=Role.ADMIN, display_name=CONTACT_NAME, created_at=now,
                    consented_at=now, active=True)
    session.add(person)
    await session.flush()
    return person


# --- alerts ----------------------------------------------------------------------------------


async def add_alert(session: AsyncSession, *, young_person: Person, therapist: Person | None,
                    source: str, words: str | None, matched: str | None) -> Alert:
    now = utcnow()
    alert = Alert(young_person_id=young_person.id,
                  therapist_id=therapist.id if therapist else None, source=source,
                  words=words, matched=matched[:120] if matched else None, created_at=now,
                  notified_at=now)
    session.add(alert)
    await session.flush()
    return alert


async def open_alert(session: AsyncSession, young_person_id: int) -> Alert | None:
    """The newest alert about this young person that nobody has acknowledged yet."""
    return await session.scalar(
        select(Alert).where(Alert.young_person_id == young_person_id,
                            Alert.acknowledged_at.is_(None))
        .order_by(Alert.id.desc()).limit(1).with_for_update())


async def alert_by_id(session: AsyncSession, alert_id: int) -> Alert | None:
    return await session.scalar(select(Alert).where(Alert.id == alert_id).with_for_update())


async def alerts_due(session: AsyncSession, now: datetime, wait: timedelta) -> Sequence[Alert]:
    """Unacknowledged alerts whose last message went out `wait` ago or more, claimed for this
    process (rows another process is already sending are skipped, not waited for)."""
    last_sent = func.coalesce(Alert.reminded_at, Alert.notified_at, Alert.created_at)
    query = (select(Alert)
             .where(Alert.acknowledged_at.is_(None), last_sent <= now - wait)
             .order_by(Alert.id).with_for_update(skip_locked=True))
    return (await session.scalars(query)).all()


async def all_alerts(session: AsyncSession, *, only_open: bool = False,
                     limit: int = 200) -> Sequence[Alert]:
    query = select(Alert).order_by(Alert.id.desc()).limit(limit)
    if only_open:
        query = query.where(Alert.acknowledged_at.is_(None))
    return (await session.scalars(query)).all()


# --- deletion requests -----------------------------------------------------------------------


async def open_deletion(session: AsyncSession, young_person_id: int) -> DeletionRequest | None:
    return await session.scalar(
        select(DeletionRequest).where(DeletionRequest.young_person_id == young_person_id,
                                      DeletionRequest.decision.is_(None))
        .order_by(DeletionRequest.id.desc()).limit(1))


async def add_deletion(session: AsyncSession, young_person: Person) -> DeletionRequest:
    request = DeletionRequest(young_person_id=young_person.id, requested_at=utcnow())
    session.add(request)
    await session.flush()
    return request


async def all_deletions(session: AsyncSession, limit: int = 200) -> Sequence[DeletionRequest]:
    query = select(DeletionRequest).order_by(DeletionRequest.id.desc()).limit(limit)
    return (await session.scalars(query)).all()


async def deletion_by_id(session: AsyncSession, request_id: int) -> DeletionRequest | None:
    return await session.scalar(select(DeletionRequest)
                                .where(DeletionRequest.id == request_id).with_for_update())


# --- a young person's own runs (/mine) -------------------------------------------------------


async def finished_runs(session: AsyncSession, person_id: int, *, offset: int = 0,
                        limit: int = 8) -> tuple[Sequence[FlowRun], int]:
    """Their finished flows, newest first, one page at a time, and how many there are."""
    where = and_(FlowRun.person_id == person_id, FlowRun.status == FINISHED)
    total = int(await session.scalar(select(func.count()).select_from(FlowRun).where(where))
                or 0)
    query = (select(FlowRun).where(where)
             .order_by(FlowRun.finished_at.desc(), FlowRun.id.desc())
             .offset(offset).limit(limit))
    return (await session.scalars(query)).all(), total


async def own_finished_run(session: AsyncSession, run_id: int, person_id: int
                           ) -> FlowRun | None:
    """A finished run, only if it is this person's own (a forged id finds nothing)."""
    return await session.scalar(select(FlowRun).where(
        FlowRun.id == run_id, FlowRun.person_id == person_id, FlowRun.status == FINISHED)
        .with_for_update())


# --- retention -------------------------------------------------------------------------------


async def young_people(session: AsyncSession) -> Sequence[Person]:
    return (await session.scalars(select(Person).where(Person.role == Role.YOUNG_PERSON)
                                  .order_by(Person.id))).all()


async def left_caseload_at(session: AsyncSession, young_person: Person) -> datetime | None:
    """When they stopped being on anyone's caseload: None while any link is active. With no
    link at all (their therapist left MySay), their last activity counts."""
    links = (await session.execute(select(Link.ended_at).where(
        Link.young_person_id == young_person.id))).scalars().all()
    if any(ended is None for ended in links):
        return None
    if links:
        return max(ended for ended in links if ended is not None)
    return young_person.last_active_at or young_person.created_at


async def claim_for_erasure(session: AsyncSession, young_person_id: int) -> Person | None:
    """Lock this young person's row for the caller's transaction, or None if another process
    holds it (SKIP LOCKED: it is erasing them already) or they are gone. The retention job
    claims each person this way, so two processes never erase the same one at once."""
    return await session.scalar(select(Person).where(Person.id == young_person_id)
                                .with_for_update(skip_locked=True))


async def forget_unused_invitations(session: AsyncSession, expired_before: datetime) -> int:
    """Delete invitations never used that expired before `expired_before` (UTC). Returns how
    many went (0 where the driver cannot tell)."""
    gone = await session.execute(delete(Invitation).where(
        Invitation.used_at.is_(None), Invitation.expires_at < expired_before))
    return int(getattr(gone, "rowcount", 0) or 0)


async def people_named_in(session: AsyncSession, ids: Sequence[int | None]) -> dict[int, Person]:
    wanted = [i for i in set(ids) if i is not None]
    if not wanted:
        return {}
    rows = await session.scalars(select(Person).where(Person.id.in_(wanted)))
    return {p.id: p for p in rows}
