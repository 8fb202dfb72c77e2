"""OpenMoji extras on buttons and in messages (issue 15, point 1).

A symbol may be one of OpenMoji's own pictograms at a Private Use Area code point (the Teaching
assistant, Be there, Safe...). The picture card draws it with OpenMoji; Telegram draws button and
message text with the phone's font, which has no glyph there and would show an empty box. So the
button shows the words alone, and the card still shows the picture.
"""

from __future__ import annotations

import io
from types import SimpleNamespace
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import select

from bot.engine.core import Action, ActionKind
from bot.engine.screen import OWN_CARD_MARK, ReviewLine, Screen, ScreenKind
from bot.engine.vocabulary import is_private_use, labelled, text_emoji
from bot.render.cards import DEFAULT_STYLE, emoji_image
from bot.render.screens import picture_for
from bot.service import present
from bot.service.features import assign, outcomes
from bot.service.types import Button, Reply
from bot.services import load_content
from bot.store.models import Answer
from tests.service.test_privacy import join
from tests.support.driver import World as ChatWorld

CONTENT = load_content()
ENGINE = CONTENT.engine
VOCABULARY = ENGINE.vocabulary
EXTRAS = [i for i in VOCABULARY.ids() if is_private_use(VOCABULARY[i].emoji)]


def _screen_offering(symbol_id: str, flow_id: str = "my_meeting") -> Screen:
    """The screen of `flow_id` that offers `symbol_id`, skipping every step before it (the
    "Who helped you?" step at the end of a flow offers the helped_* cards)."""
    state, screen = ENGINE.start(flow_id)
    while not any(o.symbol_id == symbol_id for o in screen.options):
        assert screen.kind is not ScreenKind.REVIEW, f"{flow_id} never offers {symbol_id}"
        outcome = ENGINE.apply(state, {}, Action(ActionKind.SKIP))
        state, screen = outcome.state, outcome.screen
    return screen


def test_some_symbols_are_openmoji_extras() -> None:
    assert {"teaching_assistant", "be_there", "safe", "helped_family"} <= set(EXTRAS)
    assert all(VOCABULARY[i].button_emoji == "" for i in EXTRAS)
    assert VOCABULARY["home"].button_emoji == VOCABULARY["home"].emoji == "🏠"


@pytest.mark.parametrize("symbol_id", ["helped_family", "helped_therapist"])
def test_the_button_shows_the_words_and_the_card_draws_the_picture(symbol_id: str) -> None:
    screen = _screen_offering(symbol_id)
    symbol = VOCABULARY[symbol_id]
    labels = [b.label for row in present.keyboard(screen, 1, 1, CONTENT.locale) for b in row]
    assert symbol.words in labels  # the words alone: no empty box, no 🖼️ stand-in
    assert not any(is_private_use(label) for label in labels)
    picture = picture_for(screen, "A question")
    assert picture is not None
    tile = next(t for t in picture.tiles if t.label == symbol.words)
    assert tile.emoji == symbol.emoji  # the card still draws the OpenMoji extra
    _, png = picture.render(None, DEFAULT_STYLE)
    assert Image.open(io.BytesIO(png)).size[0] > 0
    assert emoji_image(symbol.emoji, 96) is not None  # drawn, not the missing-glyph box


def test_labels_of_a_ticked_extra_a_plain_emoji_and_a_photo_card() -> None:
    extra = VOCABULARY["be_there"].emoji
    assert present._label(True, extra, "Be there") == "✅ Be there"
    assert present._label(False, extra, "Be there") == "Be there"
    assert present._label(False, "🏠", "Home") == "🏠 Home"
    assert present._label(False, "", "Grandma") == f"{OWN_CARD_MARK} Grandma"  # own card


def test_a_symbols_emoji_is_dropped_where_it_goes_into_words_and_nothing_else_is() -> None:
    """Only the symbol's emoji, where a label or line is made: a Button or Reply keeps its
    words as made (a phone's own Private Use Area characters, an iPhone's U+F8FF, included)."""
    extra = VOCABULARY["safe"].emoji
    assert text_emoji("\ue083") == "" and text_emoji("🧑‍🏫") == "🧑‍🏫"
    assert labelled(extra, "Safe") == "Safe" and labelled("🏠", "Home") == "🏠 Home"
    assert labelled(extra, "  my  \uf8ff words ") == "  my  \uf8ff words "
    assert Button("\uf8ff  Apple", "x").label == "\uf8ff  Apple"
    assert Reply("I have an \uf8ff  phone").text == "I have an \uf8ff  phone"
    line = ReviewLine("s", "Where?", "Safe", extra, topic="Where")
    assert present.review_words((line,)) == "Where: Safe"


def test_therapist_pickers_show_an_extras_words_alone() -> None:
    """/outcomes' pictures and /assign's mat topics (Talking is an OpenMoji extra)."""
    ctx: Any = SimpleNamespace(engine=ENGINE, locale=CONTENT.locale)
    young: Any = SimpleNamespace(id=7, display_name="Jo")
    talking = VOCABULARY["talking"]
    assert is_private_use(talking.emoji)
    outcome: Any = SimpleNamespace(id=3, words="Talk more", symbol_id="talking", media_id=None)
    labels = [b.label for row in outcomes._picture_buttons(ctx, young, outcome) for b in row]
    labels += [b.label for row in assign._topic_reply(
        ctx, young, ENGINE.flows["talking_mat"]).buttons for b in row]
    assert labels.count(talking.words) == 2
    assert not any(is_private_use(label) for label in labels)
    assert labelled(outcomes._emoji(ctx, outcome), outcome.words) == "Talk more"


async def test_own_words_reach_the_review_and_the_store_exactly(chat: ChatWorld) -> None:
    """A young person's own words, with an iPhone's Apple logo (U+F8FF, Private Use Area) and
    double spaces, are shown on the review, kept, listed on /mine, and passed on in a safety
    alert exactly as typed."""
    sam = await chat.therapist("Sam")
    jo = await join(chat, sam, "Jo")
    words = "my new \uf8ff  phone  is  the best"
    await jo.tap("How was today")
    await jo.tap("Good")
    await jo.tap("Friend")
    await jo.tap("Done")
    await jo.send(words)
    assert words in jo.text()
    await jo.tap("Keep it just for me")
    async with chat.services.db.transaction() as session:
        kept = (await session.scalars(select(Answer.own_words))).all()
    assert words in kept
    await jo.send("/mine")
    await jo.tap("🔒")
    assert words in jo.text()
    worry = "he hits me  \uf8ff  at home"
    await jo.send(worry)
    assert worry in "\n".join(m.text for m in sam.messages())
