"""Gentle reminders (issue 3, point 7): off by default, scheduled in the database, stop on
request, and sent by a periodic job that survives a restart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.service.features.settings import next_reminder
from bot.store.models import Person
from bot.telegram import jobs
from tests.conftest import World


def test_next_reminder_is_on_the_chosen_days_at_the_chosen_time() -> None:
    monday_noon = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)  # a Monday, UK winter (UTC+0)
    weekly = next_reminder({"reminders": "weekly", "remind_at": "after_school"}, monday_noon)
    assert weekly == datetime(2026, 11, 23, 16, 30, tzinfo=UTC)
    twice = next_reminder({"reminders": "twice", "remind_at": "morning"}, monday_noon)
    assert twice == datetime(2026, 11, 26, 9, 30, tzinfo=UTC)  # Thursday morning
    assert next_reminder({"reminders": "never"}, monday_noon) is None
    summer = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)  # Monday, UK summer time (UTC+1)
    assert next_reminder({"reminders": "weekly", "remind_at": "evening"}, summer) == datetime(
        2026, 6, 1, 17, 30, tzinfo=UTC)


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
