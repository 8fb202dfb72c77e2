"""Read to me keeps the screen in view and reaches every young person (issue 15, point 6),
driven over the fake Bot API.

- The voice note comes just before the screen it reads, and the screen with its buttons is
  the chat's last message after every tap: a screen that would replace the tapped message
  is sent after the voice instead, and the tapped message loses its buttons
  (bot.telegram.delivery). With Read to me off, screens are still edited in place.
- Words only reads what pictures-on reads (the question and its choices, not every control
  button) and plays the therapist's recording (bot.service.present keeps the screen).
- A message a young person gets from someone else's action ("Sam has read your message", a
  reminder) is read by their own setting (bot.service.reading.read_for_others).
"""

from __future__ import annotations

from datetime import UTC, timedelta

from sqlalchemy import select

from bot.sandbox.fake_api import FakeBotAPI
from bot.sandbox.fake_api.records import SentMessage
from bot.store.models import Person as PersonRow
from bot.telegram import jobs
from tests.conftest import World
from tests.service.test_privacy import join
from tests.support.harness import Person
from tests.telegram.test_read_aloud import chat_requests, read_to_me, spoken, voices
from tests.telegram.test_reminders import reminder_time

__all__ = ["spoken"]  # the fixture, shared with test_read_aloud


def from_bot(person: Person) -> list[SentMessage]:
    return [m for m in person.messages() if m.from_bot and not m.deleted]


def assert_screen_last_after_its_voice(person: Person, step: str) -> None:
    """The chat ends [voice note][screen with its buttons]."""
    *_, voice, screen = from_bot(person)
    assert screen.inline_keyboard and not screen.voice, f"{step}: last is not the screen"
    assert voice.voice, f"{step}: no voice note just before the screen"


async def test_the_screen_with_its_buttons_stays_last_after_every_tap(
        world: World, spoken: list[str]) -> None:
    """A whole check-in with Read to me on: after every tap the screen with its buttons is
    the last message and its voice note is just before it; the screen tapped on keeps no
    buttons (voice notes never pile up under a question edited in place)."""
    sam = await world.therapist("Sam")
    jo = await join(world, sam, "Jo")
    await read_to_me(world.bot, jo)
    await jo.send("/menu")
    assert_screen_last_after_its_voice(jo, "/menu")
    steps = (("tap", "How was today"), ("tap", "Good"), ("tap", "Friend"), ("tap", "Done"),
             ("send", "we played at the park"), ("tap", "Share"))
    for how, words in steps:
        tapped = from_bot(jo)[-1]
        await (jo.tap(words) if how == "tap" else jo.send(words))
        assert_screen_last_after_its_voice(jo, words)
        if how == "tap" and words != "Friend":  # a tick redraws the same screen in place
            old = world.bot.api.message(jo.user_id, tapped.message_id)
            assert old is not None and old.inline_keyboard == [], f"{words}: old buttons"
    assert "This is what you told me" in "\n".join(m.display_text or "" for m in from_bot(jo))


async def test_with_read_to_me_off_screens_are_edited_in_place(world: World,
                                                             spoken: list[str]) -> None:
    sam = await world.therapist("Sam")
    jo = await join(world, sam, "Jo")
    api: FakeBotAPI = world.bot.api
    await jo.tap("How was today")
    for label in ("Good", "Friend", "Done"):
        count, since = len(from_bot(jo)), len(api.requests)
        await jo.tap(label)
        methods = [r.method for r in chat_requests(api, jo, since)]
        assert len(from_bot(jo)) == count, f"{label}: a new message, not an edit"
        assert "sendVoice" not in methods and any(m.startswith("editMessage") for m in methods)


async def test_words_only_reads_what_pictures_read(world: World, spoken: list[str]) -> None:
    """Words only + Read to me: the question and its choices, not the control buttons; the
    same words as with pictures on (so the same voice note, re-sent by its file id)."""
    sam = await world.therapist("Sam")
    ali, jo = await join(world, sam, "Ali"), await join(world, sam, "Jo")
    await read_to_me(world.bot, ali)
    await read_to_me(world.bot, jo)
    async with world.bot.services.db.transaction() as session:
        row = await session.scalar(select(PersonRow).where(
            PersonRow.telegram_user_id == ali.user_id))
        assert row is not None
        row.preferences = {**(row.preferences or {}), "pictures": "words"}
    since = len(world.bot.api.requests)
    await ali.tap("How was today")
    assert not ali.last().photo  # words only: no picture card
    [words] = spoken
    assert "Good." in words and "Bad." in words
    for control in ("Skip", "Something else", "Read it to me", "Stop for now"):
        assert control not in words, words
    [alis] = voices(world.bot.api, ali, since)
    since = len(world.bot.api.requests)
    await jo.tap("How was today")
    assert jo.last().photo
    [jos] = voices(world.bot.api, jo, since)
    assert spoken == [words]  # nothing new to say: the very same words
    assert jos.reused_file_ids and alis.files


async def test_words_only_plays_the_therapists_recording(world: World,
                                                         spoken: list[str]) -> None:
    therapist = await world.therapist("Sam")
    jo = await join(world, therapist, "Jo")
    await therapist.send("/record")
    await therapist.tap("How was today")
    await therapist.tap("How was today?")
    recorded = b"OggS" + b"therapist voice" * 20
    await therapist.send(voice=recorded)
    await jo.send("/settings")
    await jo.tap("Words only")
    await jo.send("/menu")
    await read_to_me(world.bot, jo)
    since = len(world.bot.api.requests)
    await jo.tap("How was today")
    assert not jo.last().photo  # words only
    [voice] = voices(world.bot.api, jo, since)
    assert voice.reused_file_ids and not voice.files, "speech, not the recording"
    assert world.bot.api.file_bytes(voice.reused_file_ids[0]) == recorded


async def test_has_read_your_message_is_read_by_their_own_setting(
        world: World, spoken: list[str]) -> None:
    """A therapist acknowledges each young person's safety alert: "Sam has read your message"
    comes with a voice note just before it for Jo (Read to me on), none for Ali (off)."""
    sam = await world.therapist("Sam")
    jo, ali = await join(world, sam, "Jo"), await join(world, sam, "Ali")
    await read_to_me(world.bot, jo)
    api: FakeBotAPI = world.bot.api
    for person, on in ((jo, True), (ali, False)):
        await person.tap("I don't feel safe")
        since = len(api.requests)
        await sam.tap("I have seen this")
        assert "Sam has read your message" in person.text()
        said = voices(api, person, since)
        assert bool(said) == on, person.first_name
        if on:
            *_, voice, told = from_bot(person)
            assert voice.voice and "has read your message" in (told.display_text or "")
            assert any("Sam has read your message" in words for words in spoken)
    assert voices(api, sam) == []  # read-aloud is a young person's setting


async def test_a_reminder_is_read_by_their_own_setting(world: World,
                                                       spoken: list[str]) -> None:
    sam = await world.therapist("Sam")
    jo = await join(world, sam, "Jo")
    await jo.send("/settings")
    await jo.tap("Weekly")
    await jo.tap("Evening")
    api: FakeBotAPI = world.bot.api
    for on in (False, True):
        await read_to_me(world.bot, jo, on)
        due = await reminder_time(world)
        assert due is not None
        since = len(api.requests)
        sent = await jobs.run_now(world.bot.application, "reminders",
                                  now=due.replace(tzinfo=UTC) + timedelta(minutes=1))
        assert "Do you want to tell me about your week?" in jo.text()
        assert bool(voices(api, jo, since)) == on and sent == (2 if on else 1)
        if on:
            assert any("Do you want to tell me about your week?" in w for w in spoken)
            assert_screen_last_after_its_voice(jo, "reminder")
