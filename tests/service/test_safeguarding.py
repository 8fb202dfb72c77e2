"""Safeguarding (issue 4, point 6): "I don't feel safe", worrying words, alerts that are
acknowledged, reminded and escalated, and never lost. Driven through the fake Bot API."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PIL import Image
from sqlalchemy import select

from bot.config import Settings
from bot.engine.datafile import DataFileError
from bot.safety import hours, keywords
from bot.sandbox.fake_api import SentMessage
from bot.service import callbacks
from bot.store.models import Alert, Answer, AuditEntry, Person
from bot.telegram import jobs
from bot.timeutil import as_utc
from tests.conftest import DATA_KEY, World
from tests.service.test_privacy import join, tap_on
from tests.support.driver import World as ChatWorld
from tests.support.driver import forge_callback as chat_forge_callback
from tests.support.harness import Person as ChatPerson
from tests.support.harness import RunningBot

CONTACT = 6_100_001  # the service's safeguarding contact (a Telegram user id)
JOB = "safeguarding-alerts"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"safeguarding_contact": CONTACT, "alert_ack_minutes": 30})


@pytest.fixture
def offline_settings(offline_settings: Settings) -> Settings:
    return offline_settings.model_copy(update={"safeguarding_contact": CONTACT,
                                               "alert_ack_minutes": 30})


def everything(person: ChatPerson) -> str:
    return "\n".join(m.display_text or "" for m in person.messages())


def said_with(person: ChatPerson, words: str) -> str:
    found = [m.display_text or "" for m in person.messages() if words in (m.display_text or "")]
    assert found, f"nothing with {words!r} in {everything(person)!r}"
    return found[-1]


async def alerts(bot: RunningBot) -> list[Alert]:
    async with bot.services.db.transaction() as session:
        return list((await session.scalars(select(Alert).order_by(Alert.id))).all())


async def setup(world: World | ChatWorld) -> tuple[ChatPerson, ChatPerson, ChatPerson]:
    contact = world.person("Lee", CONTACT)
    sam = await world.therapist("Sam")
    jo = await join(world, sam, "Jo")
    return contact, sam, jo


def assert_safe_reply(text: str, who: str = "Sam") -> None:
    """What every safety reply must say (FIELD-NOTES: safeguarding norms)."""
    assert "A person does not read these messages all the time" in text
    assert f"{who} should read it" in text or "Someone should read it" in text
    assert "999" in text and "Childline" in text and "0800 1111" in text
    lowered = text.lower()
    assert "secret" not in lowered and "won't tell" not in lowered and "just between" not in \
        lowered


# --- triggers ---------------------------------------------------------------------------------


async def test_the_button_gets_an_honest_reply_and_alerts_therapist_and_contact(
        chat: ChatWorld) -> None:
    contact, sam, jo = await setup(chat)
    assert any("I don't feel safe" in b for b in jo.buttons())
    await jo.tap("I don't feel safe")
    reply = said_with(jo, "Thank you for telling me")
    assert_safe_reply(reply)
    assert "Sam, your therapist" in reply
    # The safety reply is the last message, a picture with the numbers large; no menu after
    # it until they ask (issue 15, point 7).
    assert jo.last().photo and "0800 1111" in jo.text()
    assert jo.buttons()[-1] == "⬅️ Back to my activities"
    await jo.tap("Back to my activities")
    assert "What would you like to do?" in jo.text()  # and they are back where they were
    assert said_with(jo, "Thank you for telling me") == reply  # the reply stays as it was
    for staff in (sam, contact):
        alert = said_with(staff, "Safety alert about Jo")
        assert 'Jo tapped "I don\'t feel safe"' in alert and "Their therapist: Sam" in alert
        assert "✅ I have seen this" in staff.buttons()
    [stored] = await alerts(chat.bot)
    assert stored.source == "button" and stored.acknowledged_at is None
    assert stored.words is None and stored.notified_at is not None


async def test_the_button_is_there_at_the_end_of_every_flow(chat: ChatWorld) -> None:
    _, _, jo = await setup(chat)
    menu = chat.bot.services.conversation.ctx.engine.flows
    # (How am I getting on? is only in the menu of a young person with outcomes.)
    offered = [f for f in menu.values() if f.audience == "young_person" and not f.asks_outcomes]
    for flow in offered[:3]:
        await jo.tap(flow.title)
        while "Share with my therapist" not in " ".join(jo.buttons()):
            labels = jo.buttons()
            await jo.tap("Skip" if any("Skip" in b for b in labels) else
                         next(b for b in labels if "On my own" in b or "right" in b.lower()))
            if any("Done" in b for b in jo.buttons()) and "Who helped" in jo.text():
                await jo.tap("Done")
        await jo.tap("Keep it just for me")
        assert "🆘 I don't feel safe" in jo.buttons(), flow.id


async def test_worrying_words_in_a_flow_are_passed_on_and_the_flow_goes_on(chat: ChatWorld) -> None:
    contact, sam, jo = await setup(chat)
    await jo.tap("How was today")
    await jo.tap("Bad")
    await jo.tap("Skip")
    await jo.send("my brother hits me when mum is out")
    assert_safe_reply(said_with(jo, "Thank you for telling me"))
    await jo.tap("Carry on")
    assert "This is what you told me" in jo.text()  # the flow carried on
    alert = said_with(sam, "Safety alert about Jo")
    assert 'Jo wrote: "my brother hits me when mum is out"' in alert
    assert "Words noticed: being hurt: hit me" in alert and "MySay only noticed this" in alert
    assert "Safety alert about Jo" in everything(contact)
    [stored] = await alerts(chat.bot)
    assert stored.source == "words" and stored.words == "my brother hits me when mum is out"
    async with chat.bot.services.db.transaction() as session:
        kept = await session.scalar(select(Answer.own_words).where(Answer.step_id == "own_words"))
    assert kept == "my brother hits me when mum is out"  # still their answer, theirs to share


async def test_words_typed_at_the_menu_and_photo_captions_are_checked(chat: ChatWorld) -> None:
    _, sam, jo = await setup(chat)
    await jo.send("I want to run away")  # not in a flow: still seen before anything else
    assert_safe_reply(said_with(jo, "Thank you for telling me"))
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 200)).save(buffer, "JPEG")
    await jo.send(photo=buffer.getvalue(), caption="he hurts me")
    assert "I have sent this to Sam, your therapist too" in everything(jo)
    stored = await alerts(chat.bot)
    # Each is an alert of its own, with its own button (issue 11, point 7).
    assert [(a.source, a.words) for a in stored] == [("words", "I want to run away"),
                                                     ("caption", "he hurts me")]
    assert 'Jo sent a photo or voice note with these words: "he hurts me"' in everything(sam)


async def test_words_added_by_editing_a_message_are_checked_too(chat: ChatWorld) -> None:
    _, sam, jo = await setup(chat)
    await jo.tap("How was today")
    await jo.send("I am fine")
    await jo.send("I am not safe at home", edited=True)
    assert_safe_reply(said_with(jo, "Thank you for telling me"))
    assert "I keep your first answer" not in everything(jo)  # only the safety reply
    [stored] = await alerts(chat.bot)
    assert (stored.source, stored.words) == ("edited", "I am not safe at home")
    assert "Safety alert about Jo" in everything(sam)


def photo_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 200)).save(buffer, "JPEG")
    return buffer.getvalue()


def chat_now(person: ChatPerson) -> list[tuple[int, str, str]]:
    return [(m.message_id, m.display_text or "", repr(m.inline_keyboard))
            for m in person.messages()]


# Where worrying words can arrive: (place, what they send, alert source, answer kept).
PLACES = [
    ("menu", "I want to run away", "words", None),
    ("step", "my brother hits me when mum is out", "words", "my brother hits me when mum is out"),
    ("caption", "he hurts me", "caption", "he hurts me"),
    ("edit", "I am not safe at home", "edited", "I am fine"),
]


@pytest.mark.parametrize(("place", "words", "source", "kept"), PLACES,
                         ids=[p[0] for p in PLACES])
async def test_after_worrying_words_the_safety_reply_is_all_they_get(
        chat: ChatWorld, place: str, words: str, source: str, kept: str | None) -> None:
    """Issue 12, point 8: a menu, "Please use the buttons" or the step again after the safety
    reply reads as "not understood". What the words did still stands (the answer is kept, the
    step moves on); mid-flow "Carry on" on the safety reply shows where they are now."""
    _, sam, jo = await setup(chat)
    if place != "menu":
        await jo.tap("How was today")
        await jo.tap("Bad")
        await jo.tap("Skip")  # at "Tell me in your own words"
    if place == "edit":
        await jo.send("I am fine")  # answered: now at the review
    before = chat_now(jo)
    if place == "caption":
        await jo.send(photo=photo_bytes(), caption=words)
    else:
        await jo.send(words, edited=place == "edit")
    after = chat_now(jo)
    assert after[:len(before)] == before  # nothing earlier was changed
    [(_, reply, _)] = after[len(before):]  # one new message: the safety reply
    assert_safe_reply(reply)
    assert "Thank you for telling me" in reply
    for not_understood in ("Please use the buttons", "What would you like to do?",
                           "I keep your first answer", "This is what you told me"):
        assert not_understood not in reply
    mid_flow = place != "menu"
    carry_on = ["▶️ Carry on where I was"] if mid_flow else []
    assert jo.buttons() == ["✏️ I want to say more", *carry_on, "⬅️ Back to my activities"]
    [stored] = await alerts(chat.bot)
    assert (stored.source, stored.words) == (source, words)
    assert "Safety alert about Jo" in everything(sam)
    async with chat.bot.services.db.transaction() as session:
        answer = await session.scalar(select(Answer).where(Answer.step_id == "own_words"))
    assert (answer.own_words if answer else None) == kept  # their answer, kept as it was
    if place == "caption":
        assert answer is not None and [m["kind"] for m in answer.media] == ["photo"]
    if mid_flow:
        await jo.tap("Carry on")
        assert "This is what you told me" in jo.text()  # the words moved them on
        assert chat_now(jo)[len(before)] == after[len(before)]  # the safety reply stays


async def test_ordinary_words_raise_nothing(chat: ChatWorld) -> None:
    _, sam, jo = await setup(chat)
    await jo.tap("How was today")
    await jo.tap("Good")
    await jo.tap("Skip")
    await jo.send("we had white meat and I hit the ball in games")
    assert await alerts(chat.bot) == []
    assert "Safety alert" not in everything(sam)


async def test_saying_more_reaches_the_therapist_as_words_and_voice(chat: ChatWorld) -> None:
    _, sam, jo = await setup(chat)
    await jo.tap("I don't feel safe")
    await tap_on(jo, "Thank you for telling me", "I want to say more")
    assert "Type what you want to say" in jo.text()
    await jo.send("it happens at night")
    assert "Thank you. I have passed it on" in everything(jo)
    assert 'Jo added: "it happens at night"' in everything(sam)
    await jo.send("this is just a normal answer now")  # the next words are not captured
    assert [(a.source, a.words) for a in await alerts(chat.bot)] == [
        ("button", None), ("more", "it happens at night")]
    await jo.tap("I don't feel safe")
    await tap_on(jo, "I have sent this to Sam, your therapist too", "I want to say more")
    await jo.send(voice=b"OggS-voice-note-about-home")
    voices = [m for m in sam.messages() if m.voice]
    assert voices and chat.bot.api.file_bytes(voices[-1].voice) == b"OggS-voice-note-about-home"


async def test_a_failed_alert_never_stops_the_young_persons_reply(world: World) -> None:
    """The contact has never opened MySay (Telegram: "chat not found"): Sam is still told,
    and Jo still gets her reply and her menu, with no apology for an error."""
    sam = await world.therapist("Sam")
    jo = await join(world, sam, "Jo")
    await jo.tap("I don't feel safe")
    assert_safe_reply(said_with(jo, "Thank you for telling me"))
    assert "Thank you for telling me" in jo.text()  # the last message: no menu after it
    assert "something went wrong" not in everything(jo)
    assert "Safety alert about Jo" in everything(sam)
    [stored] = await alerts(world.bot)
    assert stored.acknowledged_at is None  # so the job will send it to the contact again


# --- acknowledging ----------------------------------------------------------------------------


async def test_acknowledging_tells_everyone_and_the_young_person(world: World) -> None:
    contact, sam, jo = await setup(world)
    await jo.tap("I don't feel safe")
    await sam.tap("I have seen this")
    assert "✅ Seen by Sam" in sam.text() and sam.last().inline_keyboard == []
    assert "Sam has seen the safety alert about Jo" in contact.text()
    assert "Sam has read your message" in jo.text()
    await contact.tap("I have seen this")  # their copy of the same alert
    answered = world.bot.api.answered_callback_queries
    assert any("Already seen by Sam" in str(a.get("text")) for a in answered.values())
    [stored] = await alerts(world.bot)
    async with world.bot.services.db.transaction() as session:
        sam_id = await session.scalar(select(Person.id).where(Person.role == "therapist"))
        actions = (await session.scalars(select(AuditEntry.action))).all()
    assert stored.acknowledged_by_id == sam_id and "alert_acknowledged" in actions


def alert_messages(person: ChatPerson, about: str) -> list[SentMessage]:
    """The alerts about `about` in this person's chat, oldest first, as they look now."""
    return [m for m in person.messages() if f"Safety alert about {about}" in (m.display_text or "")]


def ack_data(message: SentMessage) -> list[str]:
    return [str(b["callback_data"]) for row in message.inline_keyboard for b in row]


async def test_two_alerts_about_one_young_person_are_acknowledged_one_at_a_time(
        world: World) -> None:
    """Issue 11, point 7: the second alert had the first one's button, so acknowledging it
    left the first still asking "I have seen this"."""
    contact, sam, jo = await setup(world)
    await jo.tap("I don't feel safe")
    await jo.send("my brother hits me")
    first, second = await alerts(world.bot)
    assert "I have sent this to Sam, your therapist too" in everything(jo)
    for staff in (sam, contact):
        shown = alert_messages(staff, "Jo")
        # Each alert's own id, in the wire format buttons have always had ("ga:<id>").
        assert [ack_data(m) for m in shown] == [[callbacks.AlertAck(first.id).pack()],
                                                [callbacks.AlertAck(second.id).pack()]]
        assert callbacks.AlertAck(first.id).pack() == f"ga:{first.id}"
    await sam.tap("I have seen this", message_id=alert_messages(sam, "Jo")[1].message_id)
    early, late = alert_messages(sam, "Jo")
    assert "Seen by Sam" in (late.display_text or "") and late.inline_keyboard == []
    assert "Seen by" not in (early.display_text or "")
    assert ack_data(early) == [callbacks.AlertAck(first.id).pack()]  # still its own button
    assert [a.acknowledged_at is None for a in await alerts(world.bot)] == [True, False]
    # A double tap on the first: both taps land before the message changes.
    api = world.bot.api
    taps = [api.push_callback(sam.user_id, early.message_id, callbacks.AlertAck(first.id).pack())[0]
            for _ in range(2)]
    for update_id in taps:
        await world.bot.wait_processed(update_id)
    assert all(a.acknowledged_at is not None for a in await alerts(world.bot))
    assert all("Seen by Sam" in (m.display_text or "") and m.inline_keyboard == []
               for m in alert_messages(sam, "Jo"))
    # The second tap, and the contact's copy: a kind answer, and the tapped message says who
    # saw it instead of a button that does nothing now.
    await contact.tap("I have seen this", message_id=alert_messages(contact, "Jo")[0].message_id)
    answers = [str(a.get("text")) for a in api.answered_callback_queries.values()]
    assert answers.count("Already seen by Sam.") == 2
    copy, other = alert_messages(contact, "Jo")
    assert "Seen by Sam" in (copy.display_text or "") and copy.inline_keyboard == []
    assert ack_data(other) == [callbacks.AlertAck(second.id).pack()]  # not tapped yet: unchanged
    assert [a.acknowledged_by_id for a in await alerts(world.bot)] == [
        first.therapist_id, first.therapist_id]


async def test_acknowledging_an_alert_about_one_young_person_leaves_another_alone(
        chat: ChatWorld) -> None:
    contact, sam, jo = await setup(chat)
    ali = await join(chat, sam, "Ali")
    await jo.tap("I don't feel safe")
    await ali.send("I want to run away")
    jos, alis = await alerts(chat.bot)
    await sam.tap("I have seen this", message_id=alert_messages(sam, "Ali")[0].message_id)
    assert "Seen by Sam" in (alert_messages(sam, "Ali")[0].display_text or "")
    assert ack_data(alert_messages(sam, "Jo")[0]) == [callbacks.AlertAck(jos.id).pack()]
    assert "Sam has read your message" in everything(ali)
    assert "has read your message" not in everything(jo)
    # The contact's copy of Ali's alert, tapped after Sam saw it, shows that; Jo's is unseen.
    await contact.tap("I have seen this", message_id=alert_messages(contact, "Ali")[0].message_id)
    assert "Seen by Sam" in (alert_messages(contact, "Ali")[0].display_text or "")
    assert ack_data(alert_messages(contact, "Jo")[0]) == [callbacks.AlertAck(jos.id).pack()]
    assert [a.acknowledged_at is None for a in await alerts(chat.bot)] == [True, False]
    await contact.tap("I have seen this", message_id=alert_messages(contact, "Jo")[0].message_id)
    assert "Seen by Safeguarding contact" in (alert_messages(contact, "Jo")[0].display_text or "")
    assert alis.id != jos.id and all(a.acknowledged_at for a in await alerts(chat.bot))


async def test_the_safeguarding_contact_can_acknowledge(chat: ChatWorld) -> None:
    contact, sam, jo = await setup(chat)
    await jo.tap("I don't feel safe")
    await contact.tap("I have seen this")
    assert "✅ Seen by Safeguarding contact" in contact.text()
    assert "Someone who can help has read your message" in jo.text()
    assert "has seen the safety alert about Jo" in sam.text()
    await contact.send("/help")
    assert "safeguarding contact" in contact.text()


async def test_nobody_else_can_acknowledge_or_read_an_alert(chat: ChatWorld) -> None:
    _, _, jo = await setup(chat)
    await jo.tap("I don't feel safe")
    [stored] = await alerts(chat.bot)
    kim = await chat.therapist("Kim")
    ali = await join(chat, kim, "Ali")
    for person, data in ((kim, callbacks.AlertAck(stored.id).pack()),
                         (kim, callbacks.AlertMore(stored.id).pack()),
                         (ali, callbacks.AlertAck(stored.id).pack()),
                         (ali, callbacks.AlertMore(stored.id).pack())):
        update_id = chat_forge_callback(chat.bot.api, person.user_id,
                                        person.last().message_id, data)
        await chat.bot.wait_processed(update_id)
    for person in (kim, ali):
        assert "Jo" not in everything(person) and "Safety alert" not in everything(person)
    [after] = await alerts(chat.bot)
    assert after.acknowledged_at is None
    async with chat.bot.services.db.transaction() as session:
        refused = (await session.scalars(select(AuditEntry.action)
                                         .where(AuditEntry.action == "refused_alert"))).all()
    assert len(refused) == 2  # Kim's ack and Ali's "say more" (Ali has no ack button at all)


# --- reminders, escalation, restarts ----------------------------------------------------------


async def test_an_unacknowledged_alert_is_sent_again_then_escalated(world: World) -> None:
    contact, sam, jo = await setup(world)
    await jo.tap("I don't feel safe")
    [stored] = await alerts(world.bot)
    raised = as_utc(stored.created_at)
    app = world.bot.application
    assert app is not None
    assert await jobs.run_now(app, JOB, now=raised + timedelta(minutes=29)) == 0
    assert await jobs.run_now(app, JOB, now=raised + timedelta(minutes=31)) == 2
    assert "Reminder: nobody has acknowledged" in sam.text()
    assert "Reminder: nobody has acknowledged" in contact.text()
    assert await jobs.run_now(app, JOB, now=raised + timedelta(minutes=45)) == 0
    assert await jobs.run_now(app, JOB, now=raised + timedelta(minutes=62)) == 2
    assert "Nobody acknowledged this after 60 minutes" in contact.text()
    assert "safeguarding contact" in contact.text()
    [escalated] = await alerts(world.bot)
    assert escalated.escalated_at is not None
    assert await jobs.run_now(app, JOB, now=raised + timedelta(minutes=93)) == 2
    await contact.tap("I have seen this")
    assert await jobs.run_now(app, JOB, now=raised + timedelta(days=2)) == 0


async def test_no_alert_is_lost_over_a_restart(world: World) -> None:
    _, sam, jo = await setup(world)
    world.bot.api.block_user(sam.user_id)  # the first message cannot reach Sam
    await jo.tap("I don't feel safe")
    assert "Safety alert" not in everything(sam)
    await world.bot.restart()  # nothing in memory survives; the alert is in the database
    world.bot.api.unblock_user(sam.user_id)
    [stored] = await alerts(world.bot)
    app = world.bot.application
    assert app is not None
    await jobs.run_now(app, JOB, now=as_utc(stored.created_at) + timedelta(minutes=31))
    assert "Safety alert about Jo" in sam.text()
    await sam.tap("I have seen this")
    assert "Seen by Sam" in sam.text()
    listed = run_cli(world.bot.settings, "admin", "alerts", "--words")
    assert listed.returncode == 0, listed.stderr
    assert f"#{stored.young_person_id} Jo" in listed.stdout and "seen" in listed.stdout
    assert "button" in listed.stdout


def run_cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("TELEGRAM_", "MYSAY_", "DATABASE_URL"))}
    env.update(DATABASE_URL=settings.resolved_database_url, MYSAY_DATA_KEYS=DATA_KEY,
               MYSAY_DATA_DIR=str(settings.data_dir))
    return subprocess.run([sys.executable, "-m", "bot", *args], env=env, capture_output=True,
                          text=True, timeout=60, check=False, cwd=Path(__file__).parents[2])


async def test_admin_alerts_lists_open_ones_and_words_only_when_asked(chat: ChatWorld) -> None:
    _, _, jo = await setup(chat)
    await jo.send("I want to kill myself")
    plain = run_cli(chat.bot.settings, "admin", "alerts", "--open")
    assert plain.returncode == 0, plain.stderr
    assert "OPEN" in plain.stdout and "self harm: kill myself" in plain.stdout
    assert "I want to kill myself" not in plain.stdout
    worded = run_cli(chat.bot.settings, "admin", "alerts", "--words")
    assert "words: I want to kill myself" in worded.stdout
    async with chat.bot.services.db.transaction() as session:
        listed = (await session.scalars(select(AuditEntry.detail)
                                        .where(AuditEntry.action == "listed_alerts"))).all()
    assert len(listed) == 2 and any("with words" in d for d in listed)


async def test_without_a_therapist_the_contact_still_gets_it(chat: ChatWorld) -> None:
    contact, sam, jo = await setup(chat)
    async with chat.bot.services.db.transaction() as session:
        from bot.store.models import Link
        for link in (await session.scalars(select(Link))).all():
            link.ended_at = datetime.now(UTC)
    await jo.tap("I don't feel safe")
    reply = said_with(jo, "Thank you for telling me")
    assert "someone who can help" in reply and "Someone should read it" in reply
    assert_safe_reply(reply)
    assert "They have no therapist in MySay now" in said_with(contact, "Safety alert")
    assert "Safety alert" not in everything(sam)


# --- the pure parts ---------------------------------------------------------------------------

LONDON = hours.working_time("Mon-Fri", "09:00-17:00", ZoneInfo("Europe/London"))


@pytest.mark.parametrize(("moment", "kind", "day"), [
    (datetime(2026, 11, 25, 10, 0, tzinfo=UTC), hours.WhenKind.NOW, "wed"),
    (datetime(2026, 11, 25, 7, 0, tzinfo=UTC), hours.WhenKind.LATER_TODAY, "wed"),
    (datetime(2026, 11, 25, 17, 0, tzinfo=UTC), hours.WhenKind.TOMORROW, "thu"),
    (datetime(2026, 11, 27, 18, 30, tzinfo=UTC), hours.WhenKind.ON_DAY, "mon"),  # Friday night
    (datetime(2026, 11, 28, 12, 0, tzinfo=UTC), hours.WhenKind.ON_DAY, "mon"),  # Saturday
    (datetime(2026, 11, 29, 12, 0, tzinfo=UTC), hours.WhenKind.TOMORROW, "mon"),  # Sunday
    # British Summer Time: 08:30 UTC is 09:30 in London, inside working hours.
    (datetime(2026, 7, 1, 8, 30, tzinfo=UTC), hours.WhenKind.NOW, "wed"),
])
def test_when_someone_will_read_it(moment: datetime, kind: hours.WhenKind, day: str) -> None:
    found = hours.next_read(moment, LONDON)
    assert (found.kind, hours.DAYS[found.day]) == (kind, day)


async def test_the_reply_uses_the_clock_it_is_given(chat: ChatWorld) -> None:
    import time_machine

    from bot.service.features.safeguarding import when_someone_reads

    ctx = chat.bot.services.conversation.ctx
    with time_machine.travel(datetime(2026, 11, 27, 18, 30, tzinfo=UTC), tick=False):
        from bot.timeutil import utcnow
        assert when_someone_reads(ctx, utcnow(), "Sam") == "Sam should read it on Monday, " \
                                                            "after 9am."
    assert when_someone_reads(ctx, datetime(2026, 11, 25, 10, 0, tzinfo=UTC), None) == \
        "Someone should read it today, before 5pm."


def test_working_time_settings_are_checked_at_start_up() -> None:
    for bad in ({"MYSAY_WORKING_DAYS": "Weekdays"}, {"MYSAY_TIMEZONE": "Mars/Olympus"},
                {"MYSAY_WORKING_HOURS": "9-5"}):
        with pytest.raises(ValueError):
            Settings(_env_file=None, **bad)  # type: ignore[arg-type]
    assert hours.parse_days("Fri-Mon") == frozenset({4, 5, 6, 0})
    assert hours.clock(hours.parse_hours("08:30-16:45")[1]) == "4:45pm"


@pytest.mark.parametrize("text", [
    "My dad HITS me", "he is hitting me!!", "I don't feel safe at home", "i dont feel safe",
    "I’m going to hurt myself", "I want to   run away", "she touched me there", "kms",
    "Sometimes I want to die",
])
def test_worrying_words_match_generously(text: str) -> None:
    assert keywords.word_list().find(text), text


@pytest.mark.parametrize("text", [
    "white meat for lunch", "the bus was late", "I hit the ball", "a safe place to play",
    "we ran a race", "dying my hair blue",
])
def test_ordinary_words_do_not_match(text: str) -> None:
    assert keywords.word_list().find(text) == [], text


def test_a_broken_words_file_is_refused_clearly_and_a_broken_edit_keeps_the_old_list(
        tmp_path: Path) -> None:
    path = tmp_path / "words.yaml"
    path.write_text("not_safe: [hello world]\n")
    assert [m.phrase for m in keywords.word_list(path).find("Hello, World!")] == ["hello world"]
    broken = tmp_path / "broken.yaml"
    broken.write_text("not_safe: [\"!!!\"]\n")
    with pytest.raises(DataFileError, match=r"broken\.yaml"):
        keywords.word_list(broken)
    path.write_text("just: a string\n")
    os.utime(path, (1, 1))  # a different modification time: read again
    assert keywords.word_list(path).find("hello world")  # the last good list stays in use


async def test_a_custom_words_file_from_the_settings_is_used(
        tmp_path: Path, settings: Settings, fake_api: object) -> None:
    custom = tmp_path / "our-words.yaml"
    custom.write_text("our_service: [purple elephant]\n")
    running = await RunningBot(settings.model_copy(
        update={"safeguarding_words_file": custom}), fake_api).start()  # type: ignore[arg-type]
    try:
        world = World(running)
        _, sam, jo = await setup(world)
        await jo.send("I saw a purple elephant")
        assert "our service: purple elephant" in said_with(sam, "Safety alert")
        await jo.send("he hits me")  # not on this service's list
        [stored] = await alerts(running)
        assert stored.words == "I saw a purple elephant"
    finally:
        await running.stop()
