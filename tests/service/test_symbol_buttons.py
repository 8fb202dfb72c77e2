"""OpenMoji extras on buttons and in messages (issue 15, point 1).

A symbol may be one of OpenMoji's own pictograms at a Private Use Area code point (the Teaching
assistant, Be there, Safe...). The picture card draws it with OpenMoji; Telegram draws button and
message text with the phone's font, which has no glyph there and would show an empty box. So the
button shows the words alone, and the card still shows the picture.
"""

from __future__ import annotations

import io

import pytest
from PIL import Image

from bot.engine.core import Action, ActionKind
from bot.engine.screen import OWN_CARD_MARK, Screen, ScreenKind
from bot.engine.vocabulary import is_private_use, text_emoji, without_private_use
from bot.render.cards import DEFAULT_STYLE, emoji_image
from bot.render.screens import picture_for
from bot.service import present
from bot.service.types import Button, Reply
from bot.services import load_content

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


def test_no_button_or_message_carries_an_extra_whoever_made_it() -> None:
    extra = VOCABULARY["safe"].emoji
    assert Button(f"{extra} Safe", "x").label == "Safe"
    assert Reply(f"You chose:\n{extra} Safe\n🏠 Home").text == "You chose:\nSafe\n🏠 Home"
    assert Reply("Nothing to change 🎉").text == "Nothing to change 🎉"


def test_text_helpers() -> None:
    assert text_emoji("\ue083") == "" and text_emoji("🧑‍🏫") == "🧑‍🏫"
    assert without_private_use("\ue083 Teaching assistant") == "Teaching assistant"
    assert without_private_use("a \ue083 b") == "a b"
