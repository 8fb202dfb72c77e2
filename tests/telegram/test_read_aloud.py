"""Read to me on every screen (issue 15, point 6), driven over the fake Bot API.

With "Read to me" on, every message the young person is sent that says something comes with
a voice note just before it (bot.service.reading): the first question of every flow, later
questions, the review, the finished screen, the menu and the safety reply. With it off, no
voice note is sent unless they tap "Read it to me". A therapist's recording is played for
the question it reads; a voice note of words that are the same for everyone is re-sent by
its file id. And a voice note the bot sends carries its real length."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from telegram import InputFile

from bot.render import speech
from bot.sandbox.fake_api import FakeBotAPI
from bot.sandbox.web import message_view
from bot.service import callbacks
from bot.store.models import Person as PersonRow
from tests.conftest import World
from tests.service.test_fuzz import give_outcomes
from tests.service.test_privacy import join
from tests.support.content import shipped_content
from tests.support.harness import Person, RunningBot

# A stand-in for speech (espeak-ng is slow, and not on every machine): OGG bytes per call.
SPOKEN = b"OggS" + b"\x00" * 60
# The requests that put a screen in the chat (a reply markup change alone only retires buttons).
SCREENS = ("sendMessage", "sendPhoto", "editMessageText", "editMessageMedia",
           "editMessageCaption")
YOUNG_FLOWS = sorted(f.id for f in shipped_content().engine.flows.values()
                     if f.audience == "young_person")


@pytest.fixture
def spoken(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Speech as if espeak-ng were here: the words each voice note was made of."""
    said: list[str] = []

    async def speak(text: str, *args: Any, **kwargs: Any) -> bytes:
        said.append(text)
        return SPOKEN

    monkeypatch.setattr(speech, "speak", speak)
    monkeypatch.setattr(speech, "available", lambda: True)
    return said


async def read_to_me(bot: RunningBot, person: Person, on: bool = True) -> None:
    """Turn "Read to me" on (or off) for `person`, as /settings stores it."""
    async with bot.services.db.transaction() as session:
        row = await session.scalar(select(PersonRow).where(
            PersonRow.telegram_user_id == person.user_id))
        assert row is not None
        row.preferences = {**(row.preferences or {}), "read_aloud": on}


def chat_requests(api: FakeBotAPI, person: Person, since: int = 0) -> list[Any]:
    """The Bot API calls made to `person`'s chat since request number `since`."""
    return [r for r in api.requests[since:]
            if str(r.params.get("chat_id")) == str(person.user_id)]


def unread_screens(api: FakeBotAPI, person: Person, since: int = 0) -> list[str]:
    """Each screen sent to `person` since `since` that no voice note came before (after the
    screen before it): the words of each, for the failure message. [] when all were read."""
    unread, voiced = [], False
    for request in chat_requests(api, person, since):
        if request.method == "sendVoice":
            voiced = True
        elif request.method in SCREENS:
            if not voiced:
                unread.append(str(request.params.get("text") or request.params.get("caption")
                                  or request.params.get("media"))[:80])
            voiced = False
    return unread


def voices(api: FakeBotAPI, person: Person, since: int = 0) -> list[Any]:
    return [r for r in chat_requests(api, person, since) if r.method == "sendVoice"]


async def start(person: Person, flow_id: str) -> None:
    """Tap the flow's button on the newest menu (by its callback data: titles overlap)."""
    menu = next(m for m in reversed(person.messages())
                if "What would you like to do?" in (m.display_text or ""))
    await person.tap_data(menu.message_id, callbacks.StartFlow(flow_id).pack())


async def test_every_flows_first_question_is_read_and_nothing_when_off(
        world: World, spoken: list[str]) -> None:
    """For every flow a young person can do: its first screen comes with a voice note when
    "Read to me" is on, and none comes when it is off."""
    sam = await world.therapist("Sam")
    api = world.bot.api
    jo, ali = await join(world, sam, "Jo"), await join(world, sam, "Ali")
    for person, on in ((jo, True), (ali, False)):
        await give_outcomes(world.bot, person.user_id)  # so "How am I getting on?" is offered
        await read_to_me(world.bot, person, on)
        await person.send("/menu")
    for flow_id in YOUNG_FLOWS:
        for person, on in ((jo, True), (ali, False)):
            since = len(api.requests)
            await start(person, flow_id)
            await person.send("/menu")
            if on:
                assert voices(api, person, since), f"{flow_id}: the first question was not read"
                assert unread_screens(api, person, since) == [], flow_id
            else:
                assert voices(api, person, since) == [], f"{flow_id}: read with it off"
    assert voices(api, ali) == []


async def test_questions_review_finish_and_safety_are_all_read(
        world: World, spoken: list[str]) -> None:
    """A whole check-in with "Read to me" on: every screen (each question, the review "This
    is what you told me", the finished menu) and the safety reply after 🆘 and after worrying
    words, each with its voice note before it; the review's voice says what they told. A
    tick on a picture (the same question again, ticked) is not read again."""
    sam = await world.therapist("Sam")
    api = world.bot.api
    jo = await join(world, sam, "Jo")
    await read_to_me(world.bot, jo)

    async def read(step: Any, reads: bool = True) -> None:
        since = len(api.requests)
        await step
        assert bool(voices(api, jo, since)) == reads, jo.text()[:80]
        if reads:
            assert unread_screens(api, jo, since) == [], jo.text()[:80]

    await read(jo.send("/menu"))
    await read(jo.tap("How was today"))
    await read(jo.tap("Good"))
    await read(jo.tap("Friend"), reads=False)  # a tick: the same question, not read again
    await read(jo.tap("Done"))
    await read(jo.send("we played at the park"))
    assert "This is what you told me" in jo.text()
    assert any("This is what you told me" in words and "we played at the park" in words
               for words in spoken), spoken
    assert all("😀" not in words for words in spoken)  # symbols are not read out as names
    await read(jo.tap("Share"))  # finished: the menu, with what happened
    await read(jo.tap("I don't feel safe"))
    assert "0800 1111" in jo.text()
    assert any("Childline" in words and "999" in words for words in spoken)
    await read(jo.tap("Back to my activities"))
    await read(jo.send("he hits me"))
    assert "Thank you" in jo.text() and "0800 1111" in jo.text()
    # The alerts Sam got were not read (read-aloud is Jo's setting, for Jo's chat).
    assert voices(api, sam) == []


async def test_a_tap_on_read_it_to_me_is_not_read_twice(world: World,
                                                        spoken: list[str]) -> None:
    sam = await world.therapist("Sam")
    jo = await join(world, sam, "Jo")
    await read_to_me(world.bot, jo)
    await jo.tap("How was today")
    since = len(world.bot.api.requests)
    await jo.tap("Read it to me")
    assert len(voices(world.bot.api, jo, since)) == 1


async def test_the_therapists_recording_reads_the_first_question(
        world: World, spoken: list[str]) -> None:
    """The therapist's own recording comes first (by the file id Telegram gave it), speech
    only where there is none."""
    therapist = await world.therapist("Sam")
    jo = await join(world, therapist, "Jo")
    await therapist.send("/record")
    await therapist.tap("How was today")
    await therapist.tap("How was today?")
    recorded = b"OggS" + b"therapist voice" * 20
    await therapist.send(voice=recorded)
    await read_to_me(world.bot, jo)
    since = len(world.bot.api.requests)
    await jo.tap("How was today")
    [voice] = voices(world.bot.api, jo, since)
    assert not voice.files and voice.reused_file_ids  # the recording, by its file id
    assert world.bot.api.file_bytes(voice.reused_file_ids[0]) == recorded


async def test_the_same_question_is_spoken_once_then_sent_by_its_file_id(
        world: World, spoken: list[str]) -> None:
    """Speech of a flow's question (the same for everyone) is made and uploaded once; the next
    young person gets it by its file id. Words of their own are never re-used."""
    sam = await world.therapist("Sam")
    jo, ali = await join(world, sam, "Jo"), await join(world, sam, "Ali")
    for person in (jo, ali):
        await read_to_me(world.bot, person)
    firsts = []
    for person in (jo, ali):
        since = len(world.bot.api.requests)
        await person.tap("How was today")
        firsts += voices(world.bot.api, person, since)
    uploaded, by_id = firsts
    assert uploaded.files and not by_id.files and by_id.reused_file_ids
    assert spoken.count(spoken[-1]) == 1


async def test_a_sent_voice_note_carries_its_real_length(world: World) -> None:
    """Real speech (espeak-ng and opusenc, as CI installs them): the voice note the bot sends
    says how long it plays, read from the OGG Opus data, and the fake Bot API (so the
    sandbox page) gives the same length without being told."""
    if not speech.available():
        pytest.skip("needs espeak-ng and opus-tools (Debian packages; CI installs them)")
    ogg = await speech.speak("How was today? Good. Bad. Not sure. I don't know.")
    assert ogg is not None
    seconds = speech.seconds(ogg)
    assert seconds is not None and 2 <= seconds <= 10  # about 3 s at 140 words a minute
    sam = await world.therapist("Sam")
    jo = await join(world, sam, "Jo")
    since = len(world.bot.api.requests)
    await jo.tap("How was today")
    await jo.tap("Read it to me")
    [voice] = voices(world.bot.api, jo, since)
    assert int(voice.params["duration"]) == speech.seconds(voice.files["voice"].data)
    stored = world.bot.api.files[jo.last().voice]
    assert stored.duration == int(voice.params["duration"]) > 1
    # Sent without a length (as a bot may), the fake Bot API reads it from the data, as
    # Telegram does: the sandbox page shows and plays the note at its real length.
    assert world.bot.application is not None
    sent = await world.bot.application.bot.send_voice(jo.user_id, InputFile(ogg, "v.ogg"))
    assert sent.voice is not None and sent.voice.duration == seconds
    shown = world.bot.api.message(jo.user_id, sent.message_id)
    assert shown is not None
    assert message_view(world.bot.api, shown)["voice"]["duration"] == seconds  # the page's
