"""Anything unexpected gets a kind answer and the step again, never silence (issue 2, point 9)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.store.models import Answer
from tests.conftest import World
from tests.support.harness import Person, forge_callback


async def in_check_in(world: World) -> tuple[Person, Person]:
    therapist = await world.therapist()
    jo = await world.young_person(therapist, "Jo")
    await jo.tap("How was today")
    return therapist, jo


async def answer_count(world: World) -> int:
    async with world.bot.services.db.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(Answer)) or 0)


# Photos and voice notes are answers (tests/service/test_visual_flows.py); these are not.
@pytest.mark.parametrize("kind", [
    {"sticker": True}, {"location": (51.5, -0.1)}, {"contact": True},
    {"document": b"%PDF-1.4"},
])
async def test_unexpected_messages_get_a_kind_answer_and_the_step_again(
        world: World, kind: dict) -> None:
    _, jo = await in_check_in(world)
    before = len(jo.messages())
    reply = await jo.send(**kind)
    assert len(jo.messages()) == before + 1
    assert "Please use the buttons, or type your answer" in (reply.display_text or "")
    assert "How was today?" in (reply.display_text or "")
    assert "⏭️ Skip" in jo.buttons()
    assert await answer_count(world) == 0


async def test_a_very_long_text_is_refused_kindly_and_nothing_is_lost(world: World) -> None:
    _, jo = await in_check_in(world)
    await jo.tap("Good")
    reply = await jo.send("a" * 4096)
    assert "shorter parts" in (reply.display_text or "")
    assert "What made it good?" in (reply.display_text or "")
    await jo.tap("Friend")
    await jo.tap("Done")
    assert "own words" in jo.text()


async def test_whitespace_only_text_is_not_an_answer(world: World) -> None:
    _, jo = await in_check_in(world)
    await jo.tap("Good")
    await jo.tap("Done")  # nothing picked
    await jo.tap("Skip")
    reply = await jo.send("   ")
    assert "Please type some words, or tap Skip" in (reply.display_text or "")


async def test_edited_messages_do_not_change_answers(world: World) -> None:
    _, jo = await in_check_in(world)
    await jo.tap("Good")
    await jo.tap("Friend")
    await jo.tap("Done")
    await jo.send("first words")
    reply = await jo.send("edited words", edited=True)
    assert "I keep your first answer" in (reply.display_text or "")
    async with world.bot.services.db.transaction() as session:
        words = (await session.scalars(select(Answer.own_words))).all()
    assert "first words" in words and "edited words" not in words


async def test_the_same_update_twice_is_processed_once(world: World) -> None:
    _, jo = await in_check_in(world)
    update_id, _ = world.bot.api.push_callback(
        jo.user_id, jo.last().message_id, world.bot.api.button_data(jo.user_id, "Good"))
    await world.bot.wait_processed(update_id)
    sent = len(world.bot.api.requests)
    world.bot.api.push_duplicate(update_id)
    await world.bot.wait_processed(update_id, times=2)
    repeated = [r.method for r in world.bot.api.requests[sent:]
                if r.method not in ("getUpdates", "answerCallbackQuery")]
    assert repeated == []  # nothing sent, nothing stored again
    assert await answer_count(world) == 1


async def test_a_double_tap_is_acknowledged_quietly(world: World) -> None:
    _, jo = await in_check_in(world)
    screen = jo.last()
    data = world.bot.api.button_data(jo.user_id, "Bad")
    await jo.tap_data(screen.message_id, data)
    # The tapped message now shows the next question, so replay the old press directly.
    second = forge_callback(world.bot.api, jo.user_id, screen.message_id, data)
    await world.bot.wait_processed(second)
    answered = world.bot.api.answered_callback_queries
    assert any("Got it already" in str(a.get("text")) for a in answered.values())
    assert await answer_count(world) == 1
    assert "What made it bad?" in jo.text()


async def test_a_button_from_three_steps_ago_shows_where_you_are(world: World) -> None:
    _, jo = await in_check_in(world)
    first = jo.last()
    old_data = world.bot.api.button_data(jo.user_id, "Good")
    await jo.tap("Good")
    await jo.tap("Friend")
    await jo.tap("Done")
    update_id = forge_callback(world.bot.api, jo.user_id, first.message_id, old_data)
    await world.bot.wait_processed(update_id)
    assert "That button is from before" in jo.text()
    assert "own words" in jo.text()
    assert await answer_count(world) == 2


async def test_typing_at_the_review_asks_for_the_buttons(world: World) -> None:
    _, jo = await in_check_in(world)
    await jo.tap("Good")
    await jo.tap("Skip")
    await jo.send("ok")
    assert "Share" in repr(jo.last().inline_keyboard)  # the review: buttons only
    await jo.send("can I change it")
    assert "Please use the buttons for this one" in jo.text()
    assert "from before" not in jo.text()
    assert "Share" in repr(jo.last().inline_keyboard)  # the review again, nothing lost
    assert await answer_count(world) == 3


async def test_a_button_from_a_finished_flow(world: World) -> None:
    _, jo = await in_check_in(world)
    await jo.tap("Good")
    await jo.tap("Skip")
    await jo.send("ok")
    review = jo.last()
    share = world.bot.api.button_data(jo.user_id, "Share")
    await jo.tap("Share")
    update_id = forge_callback(world.bot.api, jo.user_id, review.message_id, share)
    await world.bot.wait_processed(update_id)
    assert "What would you like to do?" in jo.text()


@pytest.mark.parametrize("data", ["r:1:1:z", "garbage", "r:99999:1:c0", "s:1", "f:no_such_flow",
                                  "r:1:1:c99", "é" * 10])
async def test_callback_data_we_never_issued_is_refused(world: World, data: str) -> None:
    _, jo = await in_check_in(world)
    update_id = forge_callback(world.bot.api, jo.user_id, jo.last().message_id, data)
    await world.bot.wait_processed(update_id)
    assert await answer_count(world) == 0
    assert "How was today?" in jo.text() or "What would you like to do?" in jo.text()


async def test_group_chats_are_refused_and_left(world: World) -> None:
    api = world.bot.api
    update_id = api.push_message(7_000_001, "/start", chat_id=-100123, chat_type="group")
    await world.bot.wait_processed(update_id)
    said = api.messages_in(-100123)
    assert said and "only works in a private chat" in (said[-1].display_text or "")
    assert -100123 in api.left_chats


async def test_unknown_update_types_are_ignored(world: World) -> None:
    api = world.bot.api
    sent = len(api.requests)
    update_id = api.push_raw({"message_reaction": {
        "chat": {"id": 7_000_002, "type": "private"}, "message_id": 1, "date": 1,
        "user": {"id": 7_000_002, "is_bot": False, "first_name": "R"},
        "old_reaction": [], "new_reaction": [{"type": "emoji", "emoji": "👍"}]}})
    await world.bot.wait_processed(update_id)
    assert [r.method for r in api.requests[sent:] if r.method != "getUpdates"] == []
