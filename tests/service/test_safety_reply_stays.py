"""The safety reply stays in view (issue 15, point 7).

After 🆘 or worrying words, the safety reply (999, Childline 0800 1111) is the last message the
young person gets: a picture card with the numbers large, the words as its caption, and
"Back to my activities". No menu follows it until they tap that button; the alerts to their
therapist and the safeguarding contact go out as before (tests/service/test_safeguarding.py).
"""

from __future__ import annotations

import io

import pytest
from PIL import Image

from bot.render.cards import CardStyle
from bot.service.features.safeguarding import safety_card
from tests.service.test_privacy import join
from tests.service.test_safeguarding import assert_safe_reply
from tests.support.driver import Person, World

BACK = "⬅️ Back to my activities"


def assert_safety_reply_is_last(jo: Person, before: int) -> None:
    """The newest message in Jo's chat is the safety reply, as a picture with its words, and
    nothing else came after it (one new message since `before`)."""
    new = jo.messages()[before:]
    assert len(new) == 1, [m.text[:40] for m in new]
    [reply] = new
    assert reply.kind == "photo" and reply.reply is not None and reply.reply.picture is not None
    assert_safe_reply(reply.text)
    assert reply.labels[-1] == BACK
    assert "What would you like to do?" not in reply.text


@pytest.mark.parametrize("trigger", ["button", "words"])
@pytest.mark.parametrize("mid_flow", [False, True])
async def test_the_safety_reply_is_the_last_message_until_they_ask(
        chat: World, trigger: str, mid_flow: bool) -> None:
    sam = await chat.therapist("Sam")
    jo = await join(chat, sam, "Jo")
    if mid_flow:
        await jo.tap("How was today")
        await jo.tap("Good")
        await jo.send("/menu")  # the menu, with the activity still under way
    before = len(jo.messages())
    if trigger == "button":
        await jo.tap("I don't feel safe")
    else:
        await jo.send("he hits me")
    assert_safety_reply_is_last(jo, before)
    assert ("▶️ Carry on where I was" in jo.buttons()) == mid_flow
    assert "Safety alert about Jo" in "\n".join(m.text for m in sam.messages())
    safety = jo.last()
    await jo.tap("Back to my activities")
    assert "What would you like to do?" in jo.text()
    assert jo.messages()[before] is safety and safety.text == jo.messages()[before].text
    assert len(jo.messages()) == before + 2  # the menu came as a new message below it


async def test_saying_more_also_ends_on_the_safety_reply(chat: World) -> None:
    sam = await chat.therapist("Sam")
    jo = await join(chat, sam, "Jo")
    await jo.tap("I don't feel safe")
    await jo.tap("I want to say more")
    before = len(jo.messages())
    await jo.send("it happens at night")
    assert "Thank you. I have passed it on" in jo.text()
    assert_safety_reply_is_last(jo, before)


def test_the_safety_card_shows_999_and_childline_large(chat: World) -> None:
    """The card's tiles are 999 and Childline's number, as the locale's safety words say
    (safeguarding.yaml: safety.tail), and it renders (a 1080 px card)."""
    ctx = chat.services.conversation.ctx
    card = safety_card(ctx)
    tail = ctx.locale("safety.tail", when="")
    labels = [tile.label for tile in card.tiles]
    assert any("999" in label for label in labels) and "999" in tail
    assert any("0800 1111" in label and "Childline" in label for label in labels)
    assert "0800 1111" in tail and card.shared
    _, png = card.render(None, CardStyle())
    assert Image.open(io.BytesIO(png)).width == 1080
