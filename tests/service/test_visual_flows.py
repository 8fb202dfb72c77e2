"""The six co-production tools, each driven start to finish through the fake Bot API (issue 3):
picture cards, back, skip, stop and resume after a restart, own words, voice notes and photos."""

from __future__ import annotations

import io
import re
from itertools import pairwise
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import select

from bot.render import speech
from bot.store.models import Answer, FlowRun, MediaFile
from tests.conftest import World
from tests.support.harness import Person, RunningBot


def jpeg(colour: tuple[int, int, int] = (200, 120, 40), size: tuple[int, int] = (640, 480)
         ) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG")
    return buffer.getvalue()


VOICE = b"OggS\x00\x02" + b"\x00" * 200  # a voice note's bytes (not played, only kept)


async def young(world: World) -> tuple[Person, Person]:
    therapist = await world.therapist()
    return therapist, await world.young_person(therapist, "Jo")


async def runs(bot: RunningBot) -> list[FlowRun]:
    async with bot.services.db.transaction() as session:
        return list((await session.scalars(select(FlowRun).order_by(FlowRun.id))).all())


async def answers_of(bot: RunningBot, flow_id: str) -> dict[str, Any]:
    async with bot.services.db.transaction() as session:
        run = await session.scalar(select(FlowRun).where(FlowRun.flow_id == flow_id)
                                   .order_by(FlowRun.id.desc()))
        assert run is not None
        rows = (await session.scalars(select(Answer).where(Answer.run_id == run.id))).all()
        return {a.step_id: a for a in rows}


def photo_of(message: Any, api: Any) -> Image.Image:
    assert message.photo, "expected a picture card"
    return Image.open(io.BytesIO(api.file_bytes(message.photo)))


async def test_good_day_bad_day_walks_through_the_day(world: World) -> None:
    therapist, jo = await young(world)
    await jo.tap("Good day, bad day")
    card = jo.last()
    assert "How is the morning for you?" in (card.display_text or "")
    assert photo_of(card, world.bot.api).size[0] == 1080  # every question is a picture card
    await jo.tap("Good")
    assert "What makes the morning good?" in jo.text()
    await jo.tap("Friend")
    await jo.tap("Calm")
    await jo.tap("Done")
    assert "How is getting to school for you?" in jo.text()
    await jo.tap("Bad")
    await jo.tap("Too loud")
    await jo.tap("Done")
    await jo.tap("Back")  # back to "what makes getting to school bad?", ticks kept
    assert "What makes getting to school bad?" in jo.text()
    assert "Too loud" in jo.ticked()
    await jo.tap("Worried")
    await jo.tap("Done")
    assert "How are lessons for you?" in jo.text()
    for _ in ("lessons", "break", "after school", "evening", "bedtime"):
        await jo.tap("Skip")
    assert "What would make more good days?" in jo.text()
    await jo.tap("Quiet place")
    await jo.tap("Done")
    await jo.send(voice=VOICE)  # own words as a voice note
    assert "Got your voice note" in jo.text()
    assert "Who helped you answer?" in jo.text()
    await jo.tap("On my own")
    await jo.tap("Done")  # more than one can help: tick, then Done
    review = jo.text()
    assert "This is what you told me" in review and "(a voice note)" in review
    await jo.tap("Share")
    kept = await answers_of(world.bot, "good_day_bad_day")
    assert kept["why_good_morning"].choices == ["friend", "calm"]
    assert kept["why_bad_getting_to_school"].choices == ["too_loud", "worried"]
    assert kept["how_lessons"].kind == "skipped"
    assert kept["own_words"].media and kept["own_words"].media[0]["kind"] == "voice"
    run = (await runs(world.bot))[-1]
    assert run.shared and run.helped_by == "helped_alone"
    del therapist


def part_of(text: str) -> tuple[int, int]:
    found = re.findall(r"Part (\d+) of (\d+)", text)
    assert len(found) == 1, f"no single part number in {text!r}"
    return int(found[0][0]), int(found[0][1])


async def test_good_day_bad_day_keeps_a_steady_part_number(world: World) -> None:
    """Branches and Back do not move the end: "Part N of 10" all the way (issue 12, point 5)."""
    _, jo = await young(world)
    seen: list[tuple[str, tuple[int, int]]] = []

    async def step(label: str) -> None:
        await jo.tap(label)
        if "Part " in jo.text():
            seen.append((label, part_of(jo.text())))

    await jo.tap("Good day, bad day")
    seen.append(("start", part_of(jo.text())))
    for label in ("Good", "Friend", "Done",  # the morning, and what made it good
                  "Bad", "Too loud", "Done",  # getting to school, and what made it bad
                  "Back", "Worried", "Done",  # back from lessons to change that
                  "Not sure",  # lessons: no follow-up question
                  "Bad", "Skip",  # break and lunch
                  "Skip", "Skip", "Good", "Skip",  # after school, evening, bedtime
                  "Quiet place", "Done", "Skip"):  # more good days, own words
        await step(label)
    assert "Who helped you answer?" in jo.text()
    assert {total for _, (_, total) in seen} == {10}
    assert [n for _, (n, _) in seen] == [
        1, 1, 1, 2, 2, 2, 3, 2, 2, 3, 4, 4, 5, 6, 7, 7, 8, 8, 9, 10]
    for (_, (was, _)), (label, (now, _)) in pairwise(seen):
        assert now - was in ((-1, 0) if label == "Back" else (0, 1)), label
    await jo.tap("On my own")
    await jo.tap("Done")  # more than one can help: tick, then Done
    assert "This is what you told me" in jo.text() and "Part " not in jo.text()


async def test_repeated_prompts_read_right_in_words_and_aloud(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """The prompt a repeated item gets is the one on the card, in the caption and read aloud
    (issue 12, point 6): "How are lessons for you?", never "How is lessons"."""
    spoken: list[str] = []

    async def speak(text: str, *args: Any, **kwargs: Any) -> bytes:
        spoken.append(text)
        return VOICE

    monkeypatch.setattr(speech, "speak", speak)
    _, jo = await young(world)
    await jo.tap("Good day, bad day")
    await jo.tap("Skip")
    await jo.tap("Skip")
    assert "How are lessons for you?" in jo.text()
    await jo.tap("Read it to me")
    voice = next(r for r in reversed(world.bot.api.requests) if r.method == "sendVoice")
    assert voice.params.get("caption") == "How are lessons for you?"
    assert spoken and spoken[-1].startswith("How are lessons for you?")
    await jo.tap("Good")
    question = next(m for m in reversed(jo.messages()) if m.inline_keyboard)
    assert "What makes lessons good?" in (question.display_text or "")


async def test_important_to_me_then_for_me(world: World) -> None:
    _, jo = await young(world)
    await jo.tap("Important to me")
    assert "Who is important to you?" in jo.text()
    await jo.tap("Pet")
    await jo.tap("Done")
    await jo.tap("I don't know")  # places
    await jo.send("Drawing comics with my cousin")  # activities: own words
    await jo.tap("Skip")  # things
    await jo.tap("Stop for now")
    assert "Stopped for now" in jo.text()
    await world.bot.restart()
    await jo.send("/continue")
    assert "What helps your day go well?" in jo.text()
    await jo.tap("Sleep")
    await jo.tap("Done")
    await jo.send("my cat Biscuit")
    assert "What keeps you healthy and safe?" in jo.text()
    await jo.tap("Medicine")
    await jo.tap("Done")
    await jo.tap("Skip")
    await jo.tap("My family")
    await jo.tap("Done")  # more than one can help: tick, then Done
    await jo.tap("Keep it just for me")
    kept = await answers_of(world.bot, "important_to_for")
    assert kept["people"].choices == ["pet"]
    assert kept["places"].kind == "dont_know"
    assert kept["activities"].own_words == "Drawing comics with my cousin"
    assert kept["for_health"].choices == ["medicine"]
    assert not (await runs(world.bot))[-1].shared


async def test_working_not_working_with_why_in_own_words(world: World) -> None:
    _, jo = await young(world)
    await jo.tap("Working, not working")
    assert "How are things at school?" in jo.text()
    await jo.tap("Not working")
    await jo.send("It is too noisy in class")
    await jo.tap("Working")
    await jo.tap("Skip")
    await jo.tap("Not sure")
    await jo.tap("Skip")
    await jo.tap("Working")
    await jo.send("My TA uses pictures")
    await jo.tap("School staff")
    await jo.tap("Done")  # more than one can help: tick, then Done
    review = jo.text()
    assert "It is too noisy in class" in review and "Not working" in review
    await jo.tap("Share")
    kept = await answers_of(world.bot, "working_not_working")
    assert kept["school"].choices == ["not_working"]
    assert kept["talking_why"].own_words == "My TA uses pictures"


async def test_talking_mat_one_card_at_a_time_then_move_one(world: World) -> None:
    _, jo = await young(world)
    await jo.tap("Talking Mat")
    first = jo.last()
    assert "where does Lessons go?" in (first.display_text or "")
    before = photo_of(first, world.bot.api)
    await jo.tap("Like")
    after = jo.last()
    assert after.message_id == first.message_id  # the mat is redrawn in place
    assert photo_of(after, world.bot.api).tobytes() != before.tobytes()
    assert "Like: Lessons" in (after.display_text or "")
    for column in ("Like", "Don't like", "Not sure", "Like", "Don't like", "Like"):
        await jo.tap(column)
    await jo.tap("Skip")  # homework: left off the mat
    review = jo.text()
    assert "This is your mat about School. Is it right?" in review
    assert "Left off the mat: Homework" in review
    await jo.tap("Move a card")
    await jo.tap("Maths")
    await jo.tap("Not sure")
    assert "Not sure: Maths" in jo.text() or "Maths" in jo.text().split("Not sure:")[1]
    await jo.tap("This is right")
    sent = [m for m in jo.messages() if m.photo and "finished mat" in (m.display_text or "")]
    assert sent, "the finished mat is sent as a picture"
    await jo.send("I like art best")
    await jo.tap("My therapist")
    await jo.tap("Done")  # more than one can help: tick, then Done
    await jo.tap("Share")
    run = (await runs(world.bot))[-1]
    assert run.options["topic"] == "school"
    assert run.options["scale"] == ["like", "not_sure", "dont_like"]
    assert run.options["placements"]["maths"] == 1 and run.options["placements"]["homework"] == -1
    kept = await answers_of(world.bot, "talking_mat")
    mat_media = kept["mat"].media[0]
    assert mat_media["kind"] == "mat"
    async with world.bot.services.db.transaction() as session:
        stored = await session.get(MediaFile, mat_media["id"])
        assert stored is not None and stored.kind == "mat"
        picture = Image.open(io.BytesIO(stored.content))
    assert picture.width == 1080 and picture.height > 600


async def test_one_page_profile_offers_what_was_said_and_ends_with_a_picture(
        world: World) -> None:
    _, jo = await young(world)
    await jo.tap("Important to me")
    await jo.tap("Pet")
    await jo.tap("Done")
    await jo.tap("Stop for now")  # unfinished runs are not offered; finish it quickly
    await jo.send("/continue")
    for _ in range(7):
        await jo.tap("Skip")
    await jo.tap("On my own")
    await jo.tap("Done")  # more than one can help: tick, then Done
    await jo.tap("Keep it just for me")

    await jo.tap("About me")
    await jo.tap("Kind")
    await jo.tap("Funny")
    await jo.tap("Done")
    await jo.send("I make people laugh")
    assert "What is important to you?" in jo.text()
    assert jo.buttons()[0] == "🐶 Pet"  # what they said in "Important to me" comes first
    await jo.tap("Pet")
    await jo.tap("Done")
    await jo.tap("Give me time")
    await jo.tap("Use pictures")
    await jo.tap("Done")
    assert "Send a photo of you" in jo.text()
    await jo.send(photo=jpeg((30, 160, 90)))
    await jo.tap("On my own")
    await jo.tap("Done")  # more than one can help: tick, then Done
    await jo.tap("Share")
    profile = next(m for m in reversed(jo.messages())
                   if m.photo and "one-page profile" in (m.display_text or ""))
    image = photo_of(profile, world.bot.api)
    assert image.width == 1080 and image.height > 1000
    run = (await runs(world.bot))[-1]
    assert run.options.get("profile_media")


async def test_my_meeting(world: World) -> None:
    _, jo = await young(world)
    await jo.tap("My meeting")
    assert "What do you want to talk about at your meeting?" in jo.text()
    await jo.tap("School")
    await jo.tap("older")
    await jo.tap("Done")
    await jo.send("Can I do art GCSE?")
    await jo.tap("Mum")
    await jo.tap("Teacher")
    await jo.tap("Done")
    await jo.tap("Send pictures")
    await jo.tap("Done")
    await jo.tap("My family")
    await jo.tap("Done")  # more than one can help: tick, then Done
    assert "Can I do art GCSE?" in jo.text()
    await jo.tap("Share")
    kept = await answers_of(world.bot, "my_meeting")
    assert kept["talk_about"].choices == ["school", "future"]
    assert kept["who"].choices == ["mum", "teacher"]


async def test_a_photo_can_answer_a_picture_question(world: World) -> None:
    _, jo = await young(world)
    await jo.tap("How was today")
    await jo.send(photo=jpeg(), caption="this was my lunch")
    assert "Got your photo" in jo.text()
    kept = await answers_of(world.bot, "check_in")
    assert kept["how"].own_words == "this was my lunch"
    assert kept["how"].media[0]["kind"] == "photo"
    async with world.bot.services.db.transaction() as session:
        raw = (await session.execute(select(MediaFile.content))).scalar_one()
    assert raw[:2] == b"\xff\xd8"  # decrypted back to the JPEG the young person sent


async def test_a_voice_note_on_a_mat_is_refused_kindly(world: World) -> None:
    _, jo = await young(world)
    await jo.tap("Talking Mat")
    await jo.send(voice=VOICE)
    assert "I can't use that here" in jo.text()
    assert "where does Lessons go?" in jo.text()


async def test_cards_are_uploaded_once_then_sent_by_file_id(world: World) -> None:
    _, jo = await young(world)
    await jo.tap("How was today")
    await jo.tap("Stop for now")
    await jo.send("/menu")
    await jo.tap("How was today")  # resumes: the same card again
    sends = [r for r in world.bot.api.requests
             if r.method in ("sendPhoto", "editMessageMedia") and "How was today" in str(
                 r.params.get("caption") or r.params.get("media"))]
    assert len(sends) >= 2
    uploads = [r for r in sends if r.files]
    by_id = [r for r in sends if not r.files]
    assert len(uploads) == 1 and by_id, "the second time the card goes by its file_id"


async def test_read_it_to_me(world: World) -> None:
    _, jo = await young(world)
    await jo.tap("How was today")
    await jo.tap("Read it to me")
    if speech.available():
        voice = next(r for r in reversed(world.bot.api.requests) if r.method == "sendVoice")
        assert voice.files["voice"].data.startswith(b"OggS")
    else:
        assert "can't read it out loud" in jo.text()


async def test_read_it_to_me_uses_the_therapists_recording(world: World) -> None:
    therapist, jo = await young(world)
    await therapist.send("/record")
    await therapist.tap("How was today")
    await therapist.tap("How was today?")
    assert "Send a voice note reading" in therapist.text()
    recorded = b"OggS" + b"therapist voice" * 20
    await therapist.send(voice=recorded)
    assert "Saved" in therapist.text()
    await jo.tap("How was today")
    await jo.tap("Read it to me")
    voice = next(r for r in reversed(world.bot.api.requests) if r.method == "sendVoice")
    assert voice.files["voice"].data == recorded


async def test_settings_change_how_cards_look(world: World) -> None:
    _, jo = await young(world)
    await jo.tap("How was today")
    normal = photo_of(jo.last(), world.bot.api)
    await jo.tap("Stop for now")
    await jo.send("/settings")
    assert "My settings" in jo.text()
    await jo.tap("Very big")
    await jo.tap("Strong")
    assert "Very big" in jo.ticked() and "Strong" in jo.ticked()
    await jo.send("/continue")
    bigger = photo_of(jo.last(), world.bot.api)
    assert bigger.tobytes() != normal.tobytes()
    # Warm off-white became the high-contrast pure white.
    assert normal.convert("RGB").getpixel((3, 3)) == (255, 252, 245)
    assert bigger.convert("RGB").getpixel((3, 3)) == (255, 255, 255)


async def test_personal_card_from_the_therapist_appears_on_the_mat(world: World) -> None:
    therapist, jo = await young(world)
    await therapist.send("/addcard")
    await therapist.tap("Jo")
    await therapist.send("not a photo")
    assert "Please send a photo" in therapist.text()
    await therapist.send(photo=jpeg((10, 10, 200)))
    await therapist.send("Grandma's dog")
    assert "Saved" in therapist.text()
    await jo.tap("Talking Mat")
    for _ in range(8):
        await jo.tap("Like")
    assert "where does Grandma's dog go?" in jo.text()


async def test_assign_sets_the_menu_and_the_mat_topic(world: World) -> None:
    therapist, jo = await young(world)
    await therapist.send("/assign")
    await therapist.tap("Jo")
    await therapist.tap("Talking Mat")
    await therapist.tap("My meeting")
    await therapist.tap("Done")
    await therapist.tap("Food")
    await therapist.tap("Sweets")  # untick two of the offered food cards
    await therapist.tap("Snack")
    await therapist.tap("Save")
    saved = therapist.text()
    assert "Jo now has:" in saved and "Talking Mat" in saved and "My meeting" in saved
    await jo.send("/menu")
    labels = jo.buttons()
    assert any("Talking Mat" in b for b in labels) and any("My meeting" in b for b in labels)
    assert not any("Good day, bad day" in b for b in labels)
    await jo.tap("Talking Mat")
    assert "Food: where does Breakfast go?" in jo.text()


@pytest.mark.parametrize("flow_button", ["Good day, bad day", "Important to me",
                                         "Working, not working", "Talking Mat", "About me",
                                         "My meeting"])
async def test_every_flow_can_be_skipped_to_the_end(world: World, flow_button: str) -> None:
    """Skip is as easy as answering: all the way through, every tool still ends in a review."""
    _, jo = await young(world)
    await jo.tap(flow_button)
    for _ in range(40):
        if "This is what you told me" in jo.text():
            break
        await jo.tap("Skip")
    assert "This is what you told me" in jo.text()
    await jo.tap("Keep it just for me")
    assert "Kept just for you" in jo.text()
