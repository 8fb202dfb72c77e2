"""Only their own words are stored as their own words (issue 12, point 4): a forward is kept
marked as sent on from someone else and never shown as theirs; an album answers one step once;
the words sent with a file are kept. Driven through the fake Bot API."""

from __future__ import annotations

import io
import json
import time
import zipfile
from typing import Any

import pytest
from sqlalchemy import select

from bot.store import repo
from bot.store.models import Answer
from tests.conftest import World
from tests.service.test_privacy import documents, everything
from tests.service.test_visual_flows import jpeg
from tests.support.harness import Person
from tests.support.spec_check import check_object

TOLD = "You sent something from someone else. I kept it, marked as from someone else."
LABEL = "(sent on from someone else)"
OWN_WORDS = "Tell me in your own words"


def origin(kind: str) -> dict[str, Any]:
    """A Bot API MessageOrigin of each kind a young person's forward can have."""
    now = int(time.time()) - 60
    return {
        "user": {"type": "user", "date": now,
                 "sender_user": {"id": 777, "is_bot": False, "first_name": "Mum"}},
        "hidden_user": {"type": "hidden_user", "date": now, "sender_user_name": "Mum"},
        "channel": {"type": "channel", "date": now, "message_id": 5, "chat": {
            "id": -100123, "type": "channel", "title": "Quotes"}},
    }[kind]


def push(person: Person, text: str | None = None, **kwargs: Any) -> int:
    """Queue a message from `person`, after checking the update against the Bot API spec."""
    api = person.api
    update_id = api.push_message(person.user_id, text, first_name=person.first_name, **kwargs)
    update = api._updates[update_id]  # the update as it will be delivered
    assert check_object(update, "Update") == []
    return update_id


async def send(person: Person, text: str | None = None, **kwargs: Any) -> None:
    await person.bot.wait_processed(push(person, text, **kwargs))


async def at_own_words(world: World) -> tuple[Person, Person]:
    sam = await world.therapist("Sam")
    jo = await world.young_person(sam, "Jo")
    await jo.tap("How was today")
    await jo.tap("Good")
    await jo.tap("Friend")
    await jo.tap("Done")
    assert OWN_WORDS in jo.text()
    return sam, jo


async def stored(world: World) -> dict[str, Any]:
    """The own-words answer as the bot reads it back (detail decrypted)."""
    async with world.bot.services.db.transaction() as session:
        row = (await session.scalars(select(Answer).where(Answer.step_id == "own_words"))).one()
        return {"record": repo.answer_record(row.step_id, row.kind, row.choices, row.own_words,
                                             row.media, row.detail), "detail": row.detail}


def said_since(person: Person, since: int) -> list[str]:
    return [m.display_text or "" for m in person.messages()[since:]]


@pytest.mark.parametrize("kind", ["user", "hidden_user", "channel"])
async def test_a_forwarded_text_is_kept_marked_and_they_are_told(
        world: World, kind: str) -> None:
    _, jo = await at_own_words(world)
    since = len(jo.messages())
    await send(jo, "words my mum wrote", forward_origin=origin(kind))
    said = said_since(jo, since)
    assert len(said) == 1 and TOLD in said[0]
    answer = (await stored(world))["record"]
    assert answer.own_words == "words my mum wrote" and answer.forwarded


@pytest.mark.parametrize("old_fields", [
    {"forward_from": {"id": 777, "is_bot": False, "first_name": "Mum"}},
    {"forward_sender_name": "Mum"},
    {"forward_from_chat": {"id": -100123, "type": "channel", "title": "Quotes"},
     "forward_from_message_id": 5},
])
async def test_a_forward_with_the_older_fields_is_kept_marked_too(
        world: World, old_fields: dict[str, Any]) -> None:
    """Before Bot API 7.0 a forward carried forward_from* fields instead of forward_origin (a
    server that still sends them: not in the 10.1 spec, so not checked against it)."""
    _, jo = await at_own_words(world)
    message = {"message_id": 91_000, "date": int(time.time()), "text": "words my mum wrote",
               "from": {"id": jo.user_id, "is_bot": False, "first_name": jo.first_name},
               "chat": {"id": jo.user_id, "type": "private", "first_name": jo.first_name},
               "forward_date": int(time.time()) - 60, **old_fields}
    await world.bot.wait_processed(jo.api.push_raw({"message": message}))
    assert TOLD in jo.text()
    answer = (await stored(world))["record"]
    assert answer.own_words == "words my mum wrote" and answer.forwarded


async def test_a_forward_is_never_shown_as_their_own_words(world: World) -> None:
    sam, jo = await at_own_words(world)
    await send(jo, "words my mum wrote", forward_origin=origin("user"))
    review = jo.text()
    assert "This is what you told me" in review
    assert f"words my mum wrote {LABEL}" in review and "“words my mum wrote”" not in review
    await jo.tap("Share")

    await sam.send("/summary")
    await sam.tap("Jo")
    summary = " ".join(m.display_text or "" for m in sam.messages()[-3:])
    # Each answer in context, labelled as sent on (never in quotation marks as theirs).
    assert f"My own words: words my mum wrote {LABEL}" in summary
    assert "“words my mum wrote”" not in summary

    await jo.send("/mydata")
    files = documents(jo, world.bot.api)
    archive = zipfile.ZipFile(io.BytesIO(files["my-mysay-data.zip"]))
    data = json.loads(archive.read("my-mysay-data.json"))
    answer = data["flows"][0]["answers"][-1]
    assert answer["own_words"] == "words my mum wrote" and answer["forwarded"] is True


async def test_a_photo_sent_on_is_named_as_sent_on_in_the_summary(world: World) -> None:
    """A forwarded photo with no words is not the young person's picture: the summary names
    it as sent on from someone else (📷), and does not count or show it as theirs."""
    from bot.summary import load
    from bot.timeutil import utcnow

    sam, jo = await at_own_words(world)
    await send(jo, photo=jpeg((90, 120, 200)), forward_origin=origin("hidden_user"))
    assert LABEL in jo.text()
    await jo.tap("Share")
    content = world.bot.services.content
    async with world.bot.services.db.transaction() as session:
        therapist = await repo.person_by_telegram_id(session, sam.user_id)
        young = await repo.person_by_telegram_id(session, jo.user_id)
        assert therapist is not None and young is not None
        summary = await load.summary_for(session, content.engine, content.locale, therapist,
                                         young.id, utcnow())
    items = [i for s in summary.sections for i in s.items]
    sent = [i for i in items if i.sent_on]
    assert [i.sent_on for i in sent] == ["📷"] and not any(i.photos for i in items)


async def test_their_own_text_is_not_marked(world: World) -> None:
    _, jo = await at_own_words(world)
    await send(jo, "my own words")
    assert TOLD not in everything(jo) and LABEL not in jo.text()
    assert (await stored(world))["detail"] is None


@pytest.mark.parametrize("arrival", ["one batch", "separate batches", "across a restart"])
async def test_an_album_answers_one_step_once_with_every_photo_and_the_caption(
        world: World, arrival: str) -> None:
    _, jo = await at_own_words(world)
    since = len(jo.messages())
    items = [{"photo": jpeg((200, 40 * n, 40))} for n in range(3)]
    items[1]["caption"] = "me and my friends"
    if arrival == "one batch":
        ids = [push(jo, media_group_id="13000000000000999", **item) for item in items]
        for update_id in ids:
            await world.bot.wait_processed(update_id)
    else:
        for n, item in enumerate(items):
            await send(jo, media_group_id="13000000000000999", **item)
            if n == 0 and arrival == "across a restart":
                await world.bot.restart()
    said = said_since(jo, since)
    assert len(said) == 1, said  # one acknowledgement, not one per photo
    assert "Got your photo" in said[0] and "This is what you told me" in said[0]
    answer = (await stored(world))["record"]
    assert [kind for _, kind in answer.media] == ["photo"] * 3
    assert answer.own_words == "me and my friends"
    assert answer.media_group == "13000000000000999"
    # Share on that first review shares nothing unseen: the review comes again, whole.
    await jo.tap("Share with my therapist")
    assert jo.text().count("(a photo)") == 3 and "me and my friends" in jo.text()
    async with world.bot.services.db.transaction() as session:
        run = await repo.current_run(session, (await repo.person_by_telegram_id(
            session, jo.user_id)).id)
    assert run is not None and not run.shared


def push_video(person: Person, album: str, number: int) -> int:
    """Queue a video in an album (the fake API keeps no videos: the update is written here,
    and checked against the Bot API spec)."""
    message = {"message_id": 90_000 + number, "date": int(time.time()),
               "from": {"id": person.user_id, "is_bot": False, "first_name": person.first_name},
               "chat": {"id": person.user_id, "type": "private",
                        "first_name": person.first_name},
               "media_group_id": album,
               "video": {"file_id": f"video{number}", "file_unique_id": f"v{number}",
                         "width": 320, "height": 240, "duration": 3}}
    assert check_object({"update_id": 1, "message": message}, "Update") == []
    return person.api.push_raw({"message": message})


@pytest.mark.parametrize("video_first", [True, False])
async def test_an_album_of_photos_and_videos_keeps_every_photo(world: World,
                                                               video_first: bool) -> None:
    """Photos and videos sent together: the videos are not kept (said once), and the photos
    still answer the step once, whichever item comes first."""
    _, jo = await at_own_words(world)
    since = len(jo.messages())
    album = "13000000000000777"
    ids = [push_video(jo, album, 1)] if video_first else []
    ids += [push(jo, media_group_id=album, photo=jpeg((200, 40 * n, 40)),
                 caption="at the park" if n else None) for n in range(2)]
    ids += [push_video(jo, album, 2)]
    for update_id in ids:
        await world.bot.wait_processed(update_id)
    said = " ".join(said_since(jo, since))
    assert said.count("I can't keep videos") == 1, said
    assert said.count("Got your photo") == 1, said
    answer = (await stored(world))["record"]
    assert [kind for _, kind in answer.media] == ["photo", "photo"]
    assert answer.own_words == "at the park"


async def test_an_album_at_the_menu_gets_one_kind_answer(world: World) -> None:
    sam = await world.therapist("Sam")
    jo = await world.young_person(sam, "Jo")
    since = len(jo.messages())
    ids = [push(jo, photo=jpeg(), media_group_id="13000000000000777") for _ in range(3)]
    for update_id in ids:
        await world.bot.wait_processed(update_id)
    assert len(said_since(jo, since)) == 1


async def test_words_sent_with_a_file_are_kept_as_their_answer(world: World) -> None:
    _, jo = await at_own_words(world)
    since = len(jo.messages())
    await send(jo, document=b"%PDF-1.4", caption="this is my plan")
    said = said_since(jo, since)
    assert len(said) == 1
    assert "I kept your words. I can't keep that kind of file." in said[0]
    assert "This is what you told me" in said[0] and "this is my plan" in said[0]
    answer = (await stored(world))["record"]
    assert answer.own_words == "this is my plan" and not answer.forwarded
