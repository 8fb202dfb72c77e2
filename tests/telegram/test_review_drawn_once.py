"""A review picture is drawn once (issue 17, point 3): shown again (back from "Change
something", the review after changing an answer back) it is re-sent by its Telegram file id,
and no reply draws the same picture twice, even when editing the tapped message fails and the
picture goes out as a new message instead."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import pytest
from telegram.error import BadRequest

from bot.render import screens
from bot.render.cards import CardStyle
from bot.render.cards.review import ReviewLine
from bot.telegram.delivery import Delivery
from tests.conftest import World
from tests.telegram.test_card_uploads import WORDS, card_sends, to_the_review


@pytest.fixture
def drawn(monkeypatch: pytest.MonkeyPatch) -> Counter[tuple[str, str]]:
    """How many times each list picture (title, lines) was drawn."""
    counts: Counter[tuple[str, str]] = Counter()
    real = screens.render_text_card

    def counting(title: str, lines: Sequence[ReviewLine], style: CardStyle,
                 parts: object = None) -> bytes:
        counts[(title, repr(lines))] += 1
        return real(title, lines, style, parts)  # type: ignore[arg-type]

    monkeypatch.setattr(screens, "render_text_card", counting)
    return counts


async def test_a_review_shown_again_is_sent_by_its_file_id(
        world: World, drawn: Counter[tuple[str, str]]) -> None:
    jo = await world.young_person(await world.therapist(), "Jo")
    await to_the_review(jo)
    await jo.tap("Change something")
    assert "Which one do you want to change?" in (jo.last().caption or "")
    await jo.tap("Back")  # back at the same review
    assert "This is what you told me" in (jo.last().caption or "")
    await jo.tap("Change something")  # the same change list again
    sends = card_sends(world, jo.user_id, WORDS)
    assert len(sends) >= 3
    assert sends[-2].reused_file_ids and not sends[-2].files, "the review: by its file id"
    assert sends[-1].reused_file_ids and not sends[-1].files, "the change list: by file id"
    assert drawn and max(drawn.values()) == 1, drawn


async def test_an_edit_that_fails_sends_the_picture_drawn_for_it(
        world: World, drawn: Counter[tuple[str, str]], monkeypatch: pytest.MonkeyPatch) -> None:
    jo = await world.young_person(await world.therapist(), "Jo")
    await to_the_review(jo)

    async def refuse(*_: object, **__: object) -> None:
        raise BadRequest("Message can't be edited")

    real_edit = Delivery._edit

    async def edit(self: Delivery, message: object, reply: object) -> None:
        monkeypatch.setattr(type(message), "edit_media", refuse)
        await real_edit(self, message, reply)  # type: ignore[arg-type]

    monkeypatch.setattr(Delivery, "_edit", edit)
    await jo.tap("Change something")  # the edit is refused: the change list is sent anew
    assert "Which one do you want to change?" in (jo.last().caption or "")
    assert drawn and max(drawn.values()) == 1, drawn
