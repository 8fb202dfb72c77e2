"""/meeting: setting the date with buttons or by typing, and the young person's gentle
invitations to get ready in the days before (a periodic job, run here with a chosen clock)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.service.features.meetings import parse_date
from bot.store.models import AuditEntry, Meeting
from bot.store.models import Person as PersonRow
from bot.telegram import jobs
from tests.conftest import World
from tests.summary.test_summary_loop import check_in, set_meeting, young_person_id
from tests.support.driver import World as ChatWorld
from tests.support.driver import forge_callback as chat_forge_callback

LONDON = ZoneInfo("Europe/London")


def at(day: date, hour: int = 16, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=LONDON).astimezone(UTC)


async def meetings(world: World | ChatWorld) -> list[Meeting]:
    async with world.bot.services.db.transaction() as session:
        return list((await session.scalars(select(Meeting).order_by(Meeting.id))).all())


@pytest.mark.parametrize(("typed", "expected"), [
    ("14/05/2027", date(2027, 5, 14)), ("14-5-27", date(2027, 5, 14)),
    ("2027-05-14", date(2027, 5, 14)), ("14 May 2027", date(2027, 5, 14)),
    ("Friday 14th May 2027", date(2027, 5, 14)), ("May 14, 2027", date(2027, 5, 14)),
    ("14 may", date(2027, 5, 14)), ("3 Feb", date(2027, 2, 3)), ("1 sept", date(2026, 9, 1)),
    ("31/02/2027", None), ("tomorrow-ish", None), ("14/13/2027", None), ("", None),
    ("99 May", None), ("14 Mayy 2027", None)])
def test_typed_dates_in_uk_order(typed: str, expected: date | None) -> None:
    assert parse_date(typed, date(2026, 6, 1)) == expected


async def test_set_a_date_with_buttons_and_change_it(chat: ChatWorld) -> None:
    sam = await chat.therapist("Sam")
    await chat.young_person(sam, "Jo")
    first = await set_meeting(sam)
    today = datetime.now(LONDON).date()
    assert first.weekday() == 1 and 8 <= (first - today).days <= 20
    await sam.send("/meeting")
    await sam.tap("Jo")
    assert f"Jo's next meeting is on {first:%A} {first.day}" in sam.text()
    await sam.tap("In 1 week")
    days = sam.buttons()
    assert len(days) in (6, 5, 4, 3, 2) and days[-1] == "⬅️ Back"  # Mon-Fri, then Back
    await sam.tap("Back")
    assert "When is the meeting?" in sam.text()
    await sam.tap("In 4 weeks")
    await sam.tap(sam.buttons()[0])  # the Monday
    rows = await meetings(chat)
    assert [m.cancelled_at is None for m in rows] == [False, True]  # one meeting at a time
    assert rows[1].held_on.weekday() == 0
    await sam.send("/meeting")
    await sam.tap("Jo")
    await sam.tap("Cancel the meeting")
    assert "Jo's meeting is cancelled" in sam.text()
    assert all(m.cancelled_at is not None for m in await meetings(chat))


async def test_typing_a_date_with_kind_replies(chat: ChatWorld) -> None:
    sam = await chat.therapist("Sam")
    await chat.young_person(sam, "Jo")
    await sam.send("/meeting")
    await sam.tap("Jo")
    await sam.tap("Type a date")
    assert "Type the date of Jo's meeting" in sam.text()
    for typed, reply in (("next tuesday-ish", "I could not read that date"),
                         ("01/01/2020", "The meeting has happened\" button"),
                         ("01/01/2099", "more than two years away")):
        await sam.send(typed)
        assert reply in sam.text()
    await sam.send(sticker=True)
    assert "Type the date of Jo's meeting" in sam.text()
    target = datetime.now(LONDON).date() + timedelta(days=30)
    await sam.send(f"{target:%d/%m/%Y}")
    assert "Saved: Jo's meeting is on" in sam.text()
    assert [m.held_on for m in await meetings(chat)] == [target]
    await sam.send("hello")  # no longer waiting for a date: the help, not a new meeting
    assert len(await meetings(chat)) == 1


async def test_the_young_person_is_invited_gently_once_per_stage(world: World) -> None:
    bot = world.bot
    sam = await world.therapist("Sam")
    jo = await world.young_person(sam, "Jo")
    await check_in(jo, "Good", "Friend", "shared words for the meeting", share=True)
    await check_in(jo, "Bad", None, "words just for me", share=False)
    held_on = await set_meeting(sam)
    before = len(jo.messages())
    too_early = await jobs.run_now(bot.application, "meeting_invites",
                                   now=at(held_on - timedelta(days=9)))
    at_night = await jobs.run_now(bot.application, "meeting_invites",
                                  now=at(held_on - timedelta(days=7), hour=23))
    assert (too_early, at_night) == (0, 0) and len(jo.messages()) == before
    week = at(held_on - timedelta(days=7))
    assert await jobs.run_now(bot.application, "meeting_invites", now=week) == 1
    assert await jobs.run_now(bot.application, "meeting_invites",
                              now=week + timedelta(hours=1)) == 0  # claimed: never twice
    invite = jo.last()
    assert invite.photo and "Your meeting about your plans is on" in (invite.display_text or "")
    assert set(jo.buttons()) >= {"🤝 Get ready for my meeting", "👀 See what I will share",
                                 "👍 Not now"}
    await jo.tap("Not now")
    assert "That's OK" in jo.text()
    assert await jobs.run_now(bot.application, "meeting_invites",
                              now=at(held_on - timedelta(days=5))) == 0
    assert await jobs.run_now(bot.application, "meeting_invites",
                              now=at(held_on - timedelta(days=2))) == 1
    reminder = jo.last()
    assert reminder.photo and f"{held_on:%A} {held_on.day}" in (reminder.display_text or "")
    assert await jobs.run_now(bot.application, "meeting_invites",
                              now=at(held_on - timedelta(days=1))) == 0
    await jo.tap("See what I will share")
    shared = jo.last()
    assert shared.photo and "Shared: 1. Just for you: 1" in (shared.display_text or "")
    await jo.tap("Get ready for my meeting")  # the invitation becomes the first question
    started = bot.api.message(jo.user_id, reminder.message_id)
    assert started is not None
    assert "What do you want to talk about at your meeting?" in (started.display_text or "")
    async with bot.services.db.transaction() as session:
        sent = (await session.scalars(select(AuditEntry.detail).where(
            AuditEntry.action == "meeting_invite_sent"))).all()
    assert sent == ["7 days before", "2 days before"]


async def test_no_invitation_for_a_cancelled_meeting_or_someone_who_blocked_us(
        world: World) -> None:
    bot = world.bot
    sam = await world.therapist("Sam")
    jo = await world.young_person(sam, "Jo")
    ali = await world.young_person(sam, "Ali")
    held_on = await set_meeting(sam, "Jo")
    await set_meeting(sam, "Ali")
    await sam.send("/meeting")
    await sam.tap("Jo")
    await sam.tap("Cancel the meeting")
    async with bot.services.db.transaction() as session:
        row = await session.scalar(select(PersonRow).where(
            PersonRow.telegram_user_id == ali.user_id))
        assert row is not None
        row.active = False  # Ali blocked the bot
    before = (len(jo.messages()), len(ali.messages()))
    assert await jobs.run_now(bot.application, "meeting_invites",
                              now=at(held_on - timedelta(days=6))) == 0
    assert (len(jo.messages()), len(ali.messages())) == before


async def test_a_meeting_set_three_days_ahead_gets_both_stages(world: World) -> None:
    bot = world.bot
    sam = await world.therapist("Sam")
    jo = await world.young_person(sam, "Jo")
    await sam.send("/meeting")
    await sam.tap("Jo")
    await sam.tap("Type a date")
    held_on = datetime.now(LONDON).date() + timedelta(days=3)
    await sam.send(f"{held_on:%d/%m/%Y}")
    start = at(held_on - timedelta(days=3))
    assert await jobs.run_now(bot.application, "meeting_invites", now=start) == 1
    assert jo.last().photo and f"{held_on:%A} {held_on.day}" in jo.text()
    assert await jobs.run_now(bot.application, "meeting_invites",
                              now=at(held_on - timedelta(days=2))) == 1
    assert await jobs.run_now(bot.application, "meeting_invites", now=at(held_on)) == 0


async def test_forged_meeting_buttons_are_refused(chat: ChatWorld) -> None:
    bot = chat.bot
    sam = await chat.therapist("Sam")
    jo = await chat.young_person(sam, "Jo")
    await chat.young_person(sam, "Ali")
    await set_meeting(sam, "Ali")
    async with bot.services.db.transaction() as session:
        ali_meeting = await session.scalar(select(Meeting.id))
    jo_id = await young_person_id(bot, "Jo")
    for data in (f"gr:s:{ali_meeting}", f"gr:n:{ali_meeting}"):  # Ali's meeting, not Jo's
        update_id = chat_forge_callback(bot.api, jo.user_id, jo.last().message_id, data)
        await bot.wait_processed(update_id)
    assert "Shared:" not in jo.text()
    for data in (f"mg:d:{jo_id}:20200101", f"mg:d:{jo_id}:20261399", f"mg:w:{jo_id}:5"):
        update_id = chat_forge_callback(bot.api, sam.user_id, sam.last().message_id, data)
        await bot.wait_processed(update_id)
    assert len(await meetings(chat)) == 1  # only Ali's
