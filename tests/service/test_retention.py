"""Retention (issue 4, point 3): the daily job, with a frozen clock.

History is written while time-machine holds the clock at a chosen moment (the code reads the
time from bot.timeutil.utcnow everywhere); the job is then run with the `now` it is given.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import time_machine
from sqlalchemy import func, select

from bot.engine.core import AnswerKind, AnswerRecord, RunState
from bot.safety import erase
from bot.service.features.retention import apply_retention, birthday
from bot.services import Services
from bot.store import privacy_repo, repo
from bot.store.models import (
    Alert,
    Answer,
    AuditEntry,
    CardUpload,
    FlowRun,
    Invitation,
    Link,
    Person,
    ProcessedUpdate,
    Role,
)
from bot.telegram import jobs
from bot.timeutil import utcnow
from tests.conftest import World
from tests.service.test_privacy import card_file_ids, check_in, join

JOINED = datetime(2025, 1, 6, 10, 0, tzinfo=UTC)


async def young(services: Services, therapist: Person, telegram_id: int, *,
                born: date | None = None, left: datetime | None = None,
                words: str = "my words") -> int:
    async with services.db.transaction() as session:
        person = await repo.add_person(session, telegram_user_id=telegram_id,
                                       chat_id=telegram_id, role=Role.YOUNG_PERSON,
                                       display_name=f"yp{telegram_id}", consented=True)
        person.date_of_birth = born
        link = await repo.link(session, therapist, person)
        link.ended_at = left
        run = await repo.start_run(session, person.id, RunState("check_in", "own_words"))
        await repo.put_answer(session, run.id, AnswerRecord("own_words", AnswerKind.ANSWERED,
                                                            (), words))
        return person.id


async def remaining(services: Services) -> set[str]:
    async with services.db.transaction() as session:
        return {p.display_name for p in await privacy_repo.young_people(session)}


async def run_job(services: Services, now: datetime) -> None:
    async with services.db.transaction() as session:
        await apply_retention(services.conversation.ctx, session, now)
    await erase.settled()  # the SQLite checkpoint that follows an erasure


async def test_the_policy_with_a_frozen_clock(services: Services) -> None:
    services.settings.retention_days = 365
    with time_machine.travel(JOINED, tick=False):
        async with services.db.transaction() as session:
            sam = await repo.add_person(session, telegram_user_id=1, chat_id=1,
                                        role=Role.THERAPIST, display_name="Sam", consented=True)
        assert utcnow() == JOINED  # everything below is written "on" that day
        await young(services, sam, 101)  # still on the caseload
        await young(services, sam, 102, left=JOINED)  # left on the day they joined
        await young(services, sam, 103, left=JOINED + timedelta(days=200))
        await young(services, sam, 104, born=date(2001, 3, 2))  # 25 on 2 March 2026
        await young(services, sam, 105, born=date(2001, 3, 3))
        await young(services, sam, 106, born=date(2000, 2, 29))  # 25 on 1 March 2025

    await run_job(services, JOINED + timedelta(days=364))
    assert await remaining(services) == {"yp101", "yp102", "yp103", "yp104", "yp105"}

    await run_job(services, JOINED + timedelta(days=365))  # a year after 102 left
    assert await remaining(services) == {"yp101", "yp103", "yp104", "yp105"}

    await run_job(services, datetime(2026, 3, 2, 0, 1, tzinfo=UTC))
    assert await remaining(services) == {"yp101", "yp103", "yp105"}

    await run_job(services, JOINED + timedelta(days=200 + 365))
    assert await remaining(services) == {"yp101"}
    async with services.db.transaction() as session:
        answers = await session.scalar(select(func.count()).select_from(Answer))
        runs = await session.scalar(select(func.count()).select_from(FlowRun))
        links = await session.scalar(select(func.count()).select_from(Link))
        why = (await session.scalars(select(AuditEntry.detail).where(
            AuditEntry.action == "retention_erased"))).all()
    assert (answers, runs, links) == (1, 1, 1)  # only 101's are left
    assert sum("reached age 25" in w for w in why) == 3
    assert sum("left the caseload over 365 days ago" in w for w in why) == 2


async def test_an_open_safety_alert_holds_retention_back(services: Services) -> None:
    with time_machine.travel(JOINED, tick=False):
        async with services.db.transaction() as session:
            sam = await repo.add_person(session, telegram_user_id=1, chat_id=1,
                                        role=Role.THERAPIST, display_name="Sam", consented=True)
        person_id = await young(services, sam, 201, left=JOINED)
        async with services.db.transaction() as session:
            person = await session.get(Person, person_id)
            assert person is not None
            await privacy_repo.add_alert(session, young_person=person, therapist=sam,
                                         source="words", words="help", matched=None)
    later = JOINED + timedelta(days=400)
    await run_job(services, later)
    assert await remaining(services) == {"yp201"}
    async with services.db.transaction() as session:
        for alert in (await session.scalars(select(Alert))).all():
            alert.acknowledged_at = later
    await run_job(services, later)
    assert await remaining(services) == set()


async def test_old_unused_invitations_go_used_ones_stay_until_their_person_goes(
        services: Services) -> None:
    with time_machine.travel(JOINED, tick=False):
        async with services.db.transaction() as session:
            await repo.create_invitation(session, kind="therapist", days=14, label="Dr Old")
            await repo.create_invitation(session, kind="therapist", days=14, label="Dr Used")
            used = await session.scalar(select(Invitation).order_by(Invitation.id.desc()))
            assert used is not None
            used.used_at = JOINED
    await run_job(services, JOINED + timedelta(days=14 + 364))
    await run_job(services, JOINED + timedelta(days=14 + 366))
    async with services.db.transaction() as session:
        labels = (await session.scalars(select(Invitation.label))).all()
    assert labels == ["Dr Used"]


async def test_handled_update_ids_are_forgotten_after_a_week(services: Services) -> None:
    now = utcnow()
    async with services.db.transaction() as session:
        session.add(ProcessedUpdate(update_id=1, processed_at=now - timedelta(days=8)))
        session.add(ProcessedUpdate(update_id=2, processed_at=now - timedelta(days=6)))
    await run_job(services, now)
    async with services.db.transaction() as session:
        kept = (await session.scalars(select(ProcessedUpdate.update_id))).all()
    assert kept == [2]


def test_birthdays() -> None:
    assert birthday(date(2001, 3, 2), 25) == date(2026, 3, 2)
    assert birthday(date(2000, 2, 29), 25) == date(2025, 3, 1)
    assert birthday(date(2000, 2, 29), 24) == date(2024, 2, 29)


async def test_the_daily_job_runs_in_the_bot_and_the_person_is_a_stranger_after(
        world: World) -> None:
    sam = await world.therapist("Sam")
    jo = await join(world, sam, "Jo")
    await check_in(jo, "words kept for a while", share=True)
    # The review picture with Jo's words was uploaded: its file id is kept, as Jo's.
    review_cards = card_file_ids(world.bot.api, jo.user_id, ["words kept for a while"])
    assert review_cards & await kept_card_file_ids(world)
    async with world.bot.services.db.transaction() as session:
        for link in (await session.scalars(select(Link))).all():
            link.ended_at = utcnow()  # Sam took Jo off the caseload today
    app = world.bot.application
    assert app is not None
    await jobs.run_now(app, "retention", now=utcnow() + timedelta(days=364))
    await jo.send("/menu")
    assert "What would you like to do?" in jo.text()
    await jobs.run_now(app, "retention", now=utcnow() + timedelta(days=366))
    await jo.send("/menu")
    assert "need a link from your speech and language therapist" in jo.text()
    async with world.bot.services.db.transaction() as session:
        left = await session.scalar(select(func.count()).select_from(Answer))
    assert left == 0
    assert not review_cards & await kept_card_file_ids(world)  # erased with Jo (issue 11)


async def kept_card_file_ids(world: World) -> set[str]:
    async with world.bot.services.db.transaction() as session:
        return set((await session.scalars(select(CardUpload.file_id))).all())
