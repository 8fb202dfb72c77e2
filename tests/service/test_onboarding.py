"""Invitations, roles and consent (issue 2, point 6 and 7): driven through the fake Bot API."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from bot.service import callbacks
from bot.store.models import Base, Invitation, Link, Person
from bot.timeutil import utcnow
from tests.support.driver import Driver, World
from tests.support.driver import Person as RunningPerson


async def count(bot: Driver, model: type) -> int:
    async with bot.services.db.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_stranger_is_told_what_mysay_is_and_nothing_is_stored(chat: World) -> None:
    stranger = chat.person("Robin")
    await stranger.send("/start")
    assert "need a link from your speech and language therapist" in stranger.text()
    await stranger.send("hello?")
    assert "need a link" in stranger.text()
    assert await count(chat.bot, Person) == 0


async def test_therapist_code_makes_a_therapist_once(chat: World) -> None:
    code = await chat.therapist_code("Alex")
    alex = chat.person("Alex")
    await alex.send(f"/start {code}")
    assert "set up as a therapist" in alex.text()
    other = chat.person("Other")
    await other.send(f"/start {code}")
    assert "used already" in other.text()
    async with chat.bot.services.db.transaction() as session:
        people = (await session.scalars(select(Person))).all()
    assert [(p.role, p.display_name) for p in people] == [("therapist", "Alex")]


async def test_invite_link_is_a_deep_link_with_a_long_random_code(chat: World) -> None:
    therapist = await chat.therapist()
    reply = (await therapist.send("/invite")).display_text or ""
    link = next(w for w in reply.split() if w.startswith("https://t.me/"))
    code = link.split("?start=", 1)[1]
    assert link.startswith("https://t.me/MySayTestBot?start=")
    assert len(code) >= 22  # 16 random bytes, base64url
    async with chat.bot.services.db.transaction() as session:
        stored = (await session.scalars(select(Invitation.code_hash))).all()
    assert code not in stored and len(stored) == 2  # only hashes are kept


async def test_young_person_agrees_before_anything_is_stored(chat: World) -> None:
    therapist = await chat.therapist()
    code = ((await therapist.send("/invite")).display_text or "").rsplit("Code: ", 1)[1].strip()
    jo = chat.person("Jo")
    hello = await jo.send(f"/start {code}")
    assert "You choose what your therapist sees" in (hello.display_text or "")
    assert "we must tell someone who can help" in (hello.display_text or "")
    assert await count(chat.bot, Person) == 1  # only the therapist
    await jo.tap("Not now")
    assert "when you are ready" in jo.text()
    assert await count(chat.bot, Person) == 1
    await jo.send(f"/start {code}")
    await jo.tap("Yes")
    assert "What would you like to do?" in jo.text()
    assert await count(chat.bot, Person) == 2
    assert await count(chat.bot, Link) == 1


async def test_used_expired_and_unknown_codes_change_nothing(chat: World) -> None:
    therapist = await chat.therapist()
    jo = await chat.young_person(therapist, "Jo")
    del jo
    used = ((await therapist.send("/invite")).display_text or "").rsplit("Code: ", 1)[1].strip()
    first = chat.person("First")
    await first.send(f"/start {used}")
    await first.tap("Yes")
    second = chat.person("Second")
    await second.send(f"/start {used}")
    assert "used already" in second.text()

    old = ((await therapist.send("/invite")).display_text or "").rsplit("Code: ", 1)[1].strip()
    async with chat.bot.services.db.transaction() as session:
        await session.execute(update(Invitation).where(Invitation.used_at.is_(None)).values(
            expires_at=utcnow() - timedelta(seconds=1)))
    late = chat.person("Late")
    await late.send(f"/start {old}")
    assert "too old" in late.text()

    guess = chat.person("Guess")
    await guess.send("/start AAAAAAAAAAAAAAAAAAAAAA")
    assert "don't know that link" in guess.text()
    assert await count(chat.bot, Person) == 3  # therapist, Jo, First


async def test_code_checked_again_when_consent_is_tapped(chat: World) -> None:
    """Two people open the same link; only the first to agree gets in."""
    therapist = await chat.therapist()
    code = ((await therapist.send("/invite")).display_text or "").rsplit("Code: ", 1)[1].strip()
    a, b = chat.person("A"), chat.person("B")
    await a.send(f"/start {code}")
    await b.send(f"/start {code}")
    await a.tap("Yes")
    await b.tap("Yes")
    assert "used already" in b.text()
    assert await count(chat.bot, Link) == 1


async def test_existing_people_cannot_take_other_codes(chat: World) -> None:
    therapist = await chat.therapist()
    jo = await chat.young_person(therapist, "Jo")
    await jo.send(f"/start {await chat.therapist_code()}")
    assert "already in MySay" in jo.text()
    fresh = ((await therapist.send("/invite")).display_text or "").rsplit("Code: ", 1)[1].strip()
    await therapist.send(f"/start {fresh}")
    assert "already in MySay" in therapist.text()
    async with chat.bot.services.db.transaction() as session:
        roles = {p.display_name: p.role for p in (await session.scalars(select(Person))).all()}
        unused = await session.scalar(select(func.count()).select_from(Invitation)
                                      .where(Invitation.used_at.is_(None)))
    assert roles == {"Sam": "therapist", "Jo": "young_person"}
    assert unused == 2  # neither code was spent


async def test_young_person_cannot_use_therapist_commands(chat: World) -> None:
    therapist = await chat.therapist()
    jo = await chat.young_person(therapist, "Jo")
    for command in ("/invite", "/caseload", "/summary"):
        await jo.send(command)
        assert "Tap the buttons to answer" in jo.text()
        assert "https://t.me/" not in jo.text()


# Tables that change whatever anyone sends: the update ids handled, and the cached upload of a
# picture card everyone shares. Nothing in them is about a person.
NOT_ABOUT_ANYONE = {"processed_updates", "card_uploads", "app_state"}


async def rows(bot: Driver) -> dict[str, int]:
    """How many rows each table holds (but those that are about nobody)."""
    async with bot.services.db.transaction() as session:
        return {table.name: int(await session.scalar(select(func.count()).select_from(table))
                                or 0)
                for table in Base.metadata.sorted_tables if table.name not in NOT_ABOUT_ANYONE}


async def invite_code(therapist: RunningPerson) -> str:
    return ((await therapist.send("/invite")).display_text or "").rsplit("Code: ", 1)[1].strip()


async def test_not_now_keeps_a_way_back_and_stores_nothing(
        chat: World, caplog: pytest.LogCaptureFixture) -> None:
    """Issue 12, point 7: after "Not now" an "I'm ready now" button shows the hello again.
    The code rides in the button, as in "Yes": nothing about them is kept before they agree."""
    caplog.set_level(logging.DEBUG, logger="bot")
    therapist = await chat.therapist()
    code = await invite_code(therapist)
    before = await rows(chat.bot)
    jo = chat.person("Jo")
    await jo.send(f"/start {code}")
    await jo.tap("Not now")
    not_now = jo.last()
    assert "when you are ready" in (not_now.display_text or "")
    assert jo.buttons(not_now.message_id) == ["👋 I'm ready now"]
    ready = chat.bot.api.button_data(jo.user_id, "I'm ready now")
    assert ready == callbacks.ReadyNow(code).pack() == f"h:{code}" and len(ready.encode()) <= 64
    await jo.send("hello?")  # a stranger still: nothing says who they are
    assert "need a link" in jo.text()
    assert jo.buttons(not_now.message_id) == ["👋 I'm ready now"]  # the way back stays
    assert await rows(chat.bot) == before
    hello = await jo.tap("I'm ready now", message_id=not_now.message_id)
    assert "You choose what your therapist sees" in (hello.display_text or "")
    assert hello.photo and jo.buttons(hello.message_id) == ["✅ Yes, let's start", "✋ Not now"]
    await jo.tap("Not now")  # and round again: never a dead end
    await jo.tap("I'm ready now")
    assert await rows(chat.bot) == before
    assert code not in caplog.text and str(jo.user_id) not in caplog.text
    await jo.tap("Yes")
    assert "What would you like to do?" in jo.text()
    assert await count(chat.bot, Person) == 2 and await count(chat.bot, Link) == 1


async def test_im_ready_now_checks_the_link_again(chat: World) -> None:
    """A link used or too old by the time they tap "I'm ready now" gets the usual answer, and
    nobody is added."""
    therapist = await chat.therapist()
    code = await invite_code(therapist)
    a, b = chat.person("A"), chat.person("B")
    await a.send(f"/start {code}")
    await a.tap("Not now")
    await b.send(f"/start {code}")
    await b.tap("Yes")
    assert "used already" in (await a.tap("I'm ready now")).display_text
    assert a.last().inline_keyboard == []

    old = await invite_code(therapist)
    late = chat.person("Late")
    await late.send(f"/start {old}")
    await late.tap("Not now")
    async with chat.bot.services.db.transaction() as session:
        await session.execute(update(Invitation).where(Invitation.used_at.is_(None)).values(
            expires_at=utcnow() - timedelta(seconds=1)))
    assert "too old" in (await late.tap("I'm ready now")).display_text
    assert await count(chat.bot, Person) == 2  # the therapist and B

    # A "Not now" from before the code rode in it ("n") still answers, with the old words.
    guess = chat.person("Guess")
    await guess.send(f"/start {await invite_code(therapist)}")
    await guess.tap_data(guess.last().message_id, "n")
    assert "link from your therapist" in guess.text()
    assert callbacks.decode("n") == callbacks.Decline(None)
