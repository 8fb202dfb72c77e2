"""A card pasted together from cached parts is the card drawn whole, pixel for pixel (issue 17,
point 1).

Every card of every flow (the activity menu, each choice and multi-choice step's card, the
text and photo steps' cards) is drawn at every text size in /settings and in every palette:
once straight onto the canvas (`parts=None`), and once from one warm cache shared by the
whole run, which has drawn other cards, other palettes and the same card's other ticks
first, so a part kept under a key that misses something that changes its pixels would be
pasted where it does not belong and show here. In the first palette each card is also drawn
from a fresh PartsCache (each part drawn just now), and each choice step's card is checked
with its first tile ticked and with every tile ticked (ticks in every palette: the photo
test below).

Kept short enough to run with the rest of tests/render (a few minutes on a busy two-core
machine): the second card font (OpenDyslexic, when installed) at Normal text only, ticks in
the first palette only, and the whole drawing's layout (pure: it reads neither
the palette nor the ticks) computed once per card, text size and font, not once per palette
and tick. The parts' layouts are remembered by the renderer itself
(layout.remembered_layout), so the pixels also show a remembered layout is the right one.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import replace
from functools import lru_cache

import pytest
from PIL import Image, ImageChops

from bot.engine.flows import StepType
from bot.render import fonts
from bot.render.cards import PALETTES, Card, CardLayout, CardStyle, Tile, draw, draw_card
from bot.render.cards.layout import layout_card
from bot.render.cards.parts import PERSONAL_PARTS, SHARED_PARTS, PartsCache
from bot.render.flow_cards import flow_cards, multi_steps
from bot.render.screens import Picture
from bot.service.features.settings import CHOICES
from bot.service.young_person import MENU_PAGE
from bot.services import load_content

CONTENT = load_content()
ENGINE = CONTENT.engine
SIZES = [value for value, _key, _emoji in CHOICES["z"][1]]  # Normal, Big, Very big
FAMILIES = ["atkinson"] + (
    ["opendyslexic"] if any(p.is_file() for p in fonts.OPENDYSLEXIC_PLACES) else []
)
CHOICE_STEPS = {f"{flow.id}/{step.id}" for flow in ENGINE.flows.values() for step in flow.steps
                if step.type in (StepType.CHOICE, StepType.MULTI)} | multi_steps(ENGINE)
# One warm cache for the whole run (bounded: it keeps the last few dozen cards' parts).
WARM = PartsCache(max_bytes=160 * 1024 * 1024)


@lru_cache(maxsize=64)
def _plain_layout(card: Card, style: CardStyle) -> CardLayout:
    return layout_card(card, style)


def _whole_layout(card: Card, style: CardStyle) -> CardLayout:
    """layout_card for the whole drawing, computed once for a card's palettes and ticks."""
    return _plain_layout(_ticked(card, set()), replace(style, palette="standard"))


@pytest.fixture(autouse=True)
def _layout_once(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(draw, "layout_card", _whole_layout)
    yield


def _ticked(card: Card, which: set[int]) -> Card:
    return replace(card, tiles=tuple(replace(t, selected=i in which)
                                     for i, t in enumerate(card.tiles)))


def every_card() -> list[tuple[str, Card, bool]]:
    """(where, card, in every palette): every flow card, in every palette; each choice
    step's card with its first tile ticked and with every tile ticked, in the first palette
    (ticks in every palette: test_a_personal_photo_tile_and_its_tick)."""
    cards: list[tuple[str, Card, bool]] = []
    for where, card in flow_cards(ENGINE, CONTENT.locale, MENU_PAGE):
        cards.append((where, card, True))
        if where in CHOICE_STEPS:
            every = set(range(len(card.tiles)))
            cards.append((f"{where} first ticked", _ticked(card, {0}), False))
            cards.append((f"{where} all ticked", _ticked(card, every), False))
    return cards


CARDS = every_card()


def _same(a: Image.Image, b: Image.Image) -> bool:
    """Pixel for pixel: same mode and size, and no pixel differs (as a.tobytes() ==
    b.tobytes(), without copying the pixels out twice)."""
    return (a.mode, a.size) == (b.mode, b.size) and ImageChops.difference(a, b).getbbox() is None


def _check(card: Card, style: CardStyle, where: str, fresh: bool = True) -> None:
    whole = draw_card(card, style, None)
    if fresh:
        new = draw_card(card, style, PartsCache(max_bytes=64 * 1024 * 1024))
        assert _same(whole, new), f"{where} {style}: fresh parts differ from the whole drawing"
    warm = draw_card(card, style, WARM)
    assert _same(whole, warm), f"{where} {style}: warm parts differ from the whole drawing"


FIRST_PALETTE = next(iter(PALETTES))
STYLES = [("atkinson", size) for size in SIZES] + [(family, 1.0) for family in FAMILIES[1:]]


@pytest.mark.parametrize(("family", "size"), STYLES)
def test_every_flow_card_from_parts_is_the_card_drawn_whole(family: str, size: float) -> None:
    for where, card, every_palette in CARDS:
        for palette in PALETTES if every_palette else (FIRST_PALETTE,):
            style = CardStyle(text_scale=size, palette=palette, font=family)
            unticked = not any(t.selected for t in card.tiles)
            _check(card, style, where, fresh=palette == FIRST_PALETTE and unticked)
    assert WARM.hits > 0  # the warm cache was used, not only filled


def _photo(colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (320, 240), colour).save(out, "JPEG")
    return out.getvalue()


@pytest.mark.parametrize("size", SIZES)
def test_a_personal_photo_tile_and_its_tick(size: float) -> None:
    tiles = (Tile("My dog", image=_photo((200, 120, 40))),
             Tile("My bike", image=_photo((20, 90, 200))), Tile("Something else", "🤷"))
    card = Card("Which of your things?", tiles, "Part 1 of 3")
    for palette in PALETTES:
        style = CardStyle(text_scale=size, palette=palette)
        for which in (set(), {0}, {0, 1, 2}):
            _check(_ticked(card, which), style, f"photos ticked {sorted(which)}")
    # Another photo under the same words is another part, not the first one pasted again.
    other = replace(card, tiles=(Tile("My dog", image=_photo((10, 200, 10))), *tiles[1:]))
    _check(other, CardStyle(text_scale=size), "another photo")


@pytest.mark.parametrize("size", SIZES)
def test_a_title_that_wraps_and_one_that_does_not(size: float) -> None:
    tiles = (Tile("Yes", "👍"), Tile("No", "👎"))
    long = ("When you think about the last week at school and at home, which of these felt "
            "most like you on most of the days?")
    for palette in PALETTES:
        style = CardStyle(text_scale=size, palette=palette)
        for title in (long, "Yes or no?", long[:60], ""):
            _check(Card(title, tiles, "Part 2 of 4"), style, f"title {title[:20]!r}")


def test_the_menu_card_as_the_menu_draws_it() -> None:
    say = CONTENT.locale
    flows = [f for f in ENGINE.flows.values() if f.audience == "young_person"]
    for count in range(1, MENU_PAGE + 1):
        tiles = tuple(Tile(f.title, ENGINE.vocabulary[f.symbol].emoji) for f in flows[:count])
        for palette in PALETTES:
            _check(Card(say("menu_prompt"), tiles), CardStyle(palette=palette), f"menu {count}")


def test_a_picture_uses_shared_parts_for_everyone_and_personal_parts_for_one_person() -> None:
    SHARED_PARTS.clear()
    PERSONAL_PARTS.clear()
    style = CardStyle()
    tiles = (Tile("Good", "😀"), Tile("OK", "😐"), Tile("Bad", "🙁"))
    Picture("How was today?", tiles, shared=True).render(None, style)
    assert len(SHARED_PARTS) == 4 and len(PERSONAL_PARTS) == 0  # three tiles and the title
    mine = (Tile("My dog", image=_photo((200, 120, 40))), *tiles[1:])
    Picture("How was today?", mine).render(None, style)
    assert len(PERSONAL_PARTS) == 4
    # A tick on a multi-select card: one new part (the ticked tile); the rest are pasted.
    before = PERSONAL_PARTS.misses
    ticked = (replace(mine[0], selected=True), *mine[1:])
    Picture("How was today?", ticked).render(None, style)
    assert PERSONAL_PARTS.misses == before + 1
    SHARED_PARTS.clear()
    PERSONAL_PARTS.clear()
