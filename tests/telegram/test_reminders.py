"""Gentle reminders (issue 3, point 7): off by default, scheduled in the database, stop on
request, and sent by a periodic job that survives a restart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine
from sqlalchemy import select

from bot.config import Settings
from bot.sandbox.fake_api import FakeBotAPI
from bot.service.features.settings import next_reminder
from bot.store.models import Person
from bot.telegram import jobs
from tests.conftest import World
from tests.support.harness import RunningBot

LONDON = ZoneInfo("Europe/London")


def test_next_reminder_is_on_the_chosen_days_at_the_chosen_time() -> None:
    monday_noon = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)  # a Monday, UK winter (UTC+0)
    weekly = next_reminder({"reminders": "weekly", "remind_at": "after_school"}, monday_noon,
                           LONDON)
    assert weekly == datetime(2026, 11, 23, 16, 30, tzinfo=UTC)
    twice = next_reminder({"reminders": "twice", "remind_at": "morning"}, monday_noon, LONDON)
    assert twice == datetime(2026, 11, 26, 9, 30, tzinfo=UTC)  # Thursday morning
    assert next_reminder({"reminders": "never"}, monday_noon, LONDON) is None
    summer = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)  # Monday, UK summer time (UTC+1)
    assert next_reminder({"reminders": "weekly", "remind_at": "evening"}, summer,
                         LONDON) == datetime(2026, 6, 1, 17, 30, tzinfo=UTC)


async def reminder_time(world: World) -> datetime | None:
    async with world.bot.services.db.transaction() as session:
        person = await session.scalar(select(Person).where(Person.role == "young_person"))
        assert person is not None
        return person.next_reminder_at


async def test_reminders_are_sent_when_due_and_stop_when_asked(world: World) -> None:
    therapist = await world.therapist()
    jo = await world.young_person(therapist, "Jo")
    assert await reminder_time(world) is None  # never, unless they choose
    await jo.send("/settings")
    await jo.tap("Weekly")
    await jo.tap("Evening")
    due = await reminder_time(world)
    assert due is not None
    await world.bot.restart()  # the schedule is in the database, not in memory

    before = len(jo.messages())
    early = await jobs.run_now(world.bot.application, "reminders",
                               now=due.replace(tzinfo=UTC) - timedelta(minutes=1))
    assert early == 0 and len(jo.messages()) == before
    sent = await jobs.run_now(world.bot.application, "reminders",
                              now=due.replace(tzinfo=UTC) + timedelta(minutes=1))
    assert sent == 1
    assert "Do you want to tell me about your week?" in jo.text()
    again = await jobs.run_now(world.bot.application, "reminders",
                               now=due.replace(tzinfo=UTC) + timedelta(minutes=2))
    assert again == 0  # claimed: the next one is a week later
    later = await reminder_time(world)
    assert later is not None and later.replace(tzinfo=UTC) - due.replace(tzinfo=UTC) == \
        timedelta(days=7)

    await jo.tap("No more reminders")
    assert await reminder_time(world) is None
    quiet = await jobs.run_now(world.bot.application, "reminders",
                               now=later.replace(tzinfo=UTC) + timedelta(days=1))
    assert quiet == 0


async def test_reminders_follow_mysay_timezone_not_london(
        settings: Settings, fake_api: FakeBotAPI) -> None:
    """Issue 11, point 7: a service in New Zealand reminds at 6:30pm New Zealand time, on
    New Zealand's Monday (which starts while it is still Sunday in London)."""
    auckland = settings.model_copy(update={"service_timezone": "Pacific/Auckland"})
    bot = await RunningBot(auckland, fake_api).start()
    try:
        world = World(bot)
        jo = await world.young_person(await world.therapist(), "Jo")
        # Sunday 20:00 in London and UTC; Monday 09:00 in Auckland (summer, UTC+13).
        with time_machine.travel(datetime(2026, 11, 29, 20, 0, tzinfo=UTC), tick=False):
            await jo.send("/settings")
            await jo.tap("Weekly")
            await jo.tap("Evening")
        due = await reminder_time(world)
        # Monday 18:30 in Auckland, that same day; London's would be Monday 18:30 UTC.
        assert due is not None and due.replace(tzinfo=UTC) == datetime(
            2026, 11, 30, 5, 30, tzinfo=UTC)
        assert await jobs.run_now(bot.application, "reminders",
                                  now=datetime(2026, 11, 30, 5, 31, tzinfo=UTC)) == 1
        assert "Do you want to tell me about your week?" in jo.text()
        # Claimed, and the next is a week on at 18:30 in Auckland again.
        later = await reminder_time(world)
        assert later is not None and later.replace(tzinfo=UTC) == datetime(
            2026, 12, 7, 5, 30, tzinfo=UTC)
    finally:
        await bot.stop()
