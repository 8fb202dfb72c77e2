"""Words-only answers over the real chat (issue 15, point 4): the adapter sends a question as
a message with word buttons and no picture card; with pictures on, the same question is a
photo (tests/service/test_grown_up_style.py drives the rest through the conversation)."""

from __future__ import annotations

from tests.conftest import World


async def test_a_words_only_question_is_a_message_without_a_picture(world: World) -> None:
    sam = await world.therapist()
    jo = await world.young_person(sam, "Jo")
    await jo.tap("How was today")
    assert jo.last().photo  # pictures on: a picture card
    await jo.tap("Stop for now")
    await jo.send("/settings")
    await jo.tap("Words only")
    await jo.tap("Grown-up")
    sent = len(world.bot.api.requests)
    await jo.send("/continue")
    question = jo.last()
    assert not question.photo and question.display_text
    assert "Good" in jo.buttons()  # a word button, no symbol
    methods = [r.method for r in world.bot.api.requests[sent:]]
    assert "sendMessage" in methods and "sendPhoto" not in methods
