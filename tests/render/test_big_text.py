"""Big text that never cuts words (issue 15, point 5).

Every card of every flow (each choice and multi-choice step's options, the text and photo
steps, the activity menu), the Talking Mat's topic, scale and cards, and the review's lines are
laid out at every text size in /settings and every card font that is installed. Each piece of
text must be whole: the fitted lines joined are the words, no "…", and every line's measured
width is within its box. Larger text uses fewer tiles per row and symbols never shrink below
their Normal size.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.engine.flows import StepType
from bot.engine.screen import MatCard, MatView
from bot.render import fonts
from bot.render.cards import WIDTH, Card, CardStyle, TextBlock, Tile, layout_card
from bot.render.cards.text import _width
from bot.service.features.settings import CHOICES
from bot.service.young_person import MENU_PAGE
from bot.services import load_content

CONTENT = load_content()
ENGINE = CONTENT.engine
SIZES = [value for value, _key, _emoji in CHOICES["z"][1]]  # Normal, Big, Very big
FAMILIES = ["atkinson"] + (
    ["opendyslexic"] if any(p.is_file() for p in fonts.OPENDYSLEXIC_PLACES) else []
)
STYLES = [CardStyle(text_scale=size, font=family) for family in FAMILIES for size in SIZES]
TITLE_WIDTH = WIDTH - 2 * 40 - 56  # bot/render/cards/layout.py _fit_title
FOOTER_WIDTH = WIDTH - 2 * 40


def _tiles(symbol_ids: list[str]) -> tuple[Tile, ...]:
    vocabulary = ENGINE.vocabulary
    return tuple(Tile(vocabulary[s].words, vocabulary[s].emoji) for s in symbol_ids[:12])


def every_card() -> Iterator[tuple[str, Card]]:
    """(where, card) for the menu pages and every step's question card, as the bot draws them
    (bot/render/screens.py picture_for, bot/service/young_person.py menu)."""
    say = CONTENT.locale
    footer = say("part_of", n=12, total=12)
    flows = [f for f in ENGINE.flows.values() if f.audience == "young_person"]
    for start in range(0, len(flows), MENU_PAGE):
        tiles = tuple(Tile(f.title, ENGINE.vocabulary[f.symbol].emoji)
                      for f in flows[start:start + MENU_PAGE])
        yield f"menu page {start // MENU_PAGE + 1}", Card(say("menu_prompt"), tiles)
    for flow in ENGINE.flows.values():
        for step in flow.steps:
            where = f"{flow.id}/{step.id}"
            if step.type in (StepType.CHOICE, StepType.MULTI) and step.choices:
                yield where, Card(step.prompt, _tiles(step.choices), footer)
            elif step.type is StepType.TEXT:
                yield where, Card(step.prompt, (Tile("Type it", "⌨️"), Tile("Say it", "🎤")),
                                  footer)
            elif step.type is StepType.PHOTO:
                yield where, Card(step.prompt, (Tile("Send a photo", "📷"),), footer)


def every_mat() -> Iterator[tuple[str, MatView]]:
    """Each Talking Mat topic: all its cards in one column with one being placed, and spread
    over the three columns with some left off."""
    vocabulary = ENGINE.vocabulary

    def card(symbol_id: str) -> MatCard:
        return MatCard(symbol_id, vocabulary[symbol_id].words, vocabulary[symbol_id].emoji)

    for flow in ENGINE.flows.values():
        for step in flow.steps:
            if step.type is not StepType.MAT:
                continue
            scale = tuple(card(s) for s in step.scale)
            for topic, ids in step.topics.items():
                cards = [card(s) for s in ids]
                yield f"{flow.id}/{topic} stacked", MatView(
                    card(topic), scale, (tuple(cards[:-1]), (), ()), cards[-1])  # type: ignore[arg-type]
                yield f"{flow.id}/{topic} spread", MatView(
                    card(topic), scale, (tuple(cards[0::3]), tuple(cards[1::3]), ()),  # type: ignore[arg-type]
                    None, tuple(cards[2::3]))


def every_review_line() -> Iterator[tuple[str, tuple[str, str, tuple[str, ...]]]]:
    """A review line per step, as if every choice had been picked (the longest it gets)."""
    vocabulary = ENGINE.vocabulary
    for flow in ENGINE.flows.values():
        for step in flow.steps:
            if not step.choices:
                continue
            words = ", ".join(vocabulary[s].words for s in step.choices)
            line = (vocabulary[step.choices[0]].emoji, f"{step.label or step.prompt}: {words}",
                    tuple(vocabulary[s].emoji for s in step.choices))
            yield f"{flow.id}/{step.id}", line


def whole_problems(where: str, text: str, block: TextBlock, width: float) -> list[str]:
    """What is wrong with a fitted block: words missing or cut, an ellipsis, a line too wide."""
    wanted = " ".join(text.split())
    problems = []
    if " ".join(block.lines) != wanted:
        problems.append(f"{where}: {wanted!r} drawn as {block.lines!r}")
    elif any("…" in line for line in block.lines) and "…" not in wanted:
        problems.append(f"{where}: an ellipsis in {block.lines!r}")
    elif not block.whole:
        problems.append(f"{where}: {wanted!r} not whole")
    font = block.font
    for line in block.lines:
        if _width(font, line) > width + 0.5:
            problems.append(f"{where}: {line!r} is {_width(font, line):.0f} px wide, box {width}")
    return problems


def _style_id(style: CardStyle) -> str:
    return f"{style.font}-{style.text_scale}"


@pytest.mark.parametrize("style", STYLES, ids=_style_id)
def test_every_card_label_is_whole_at_every_size(style: CardStyle) -> None:
    problems: list[str] = []
    for where, card in every_card():
        lay = layout_card(card, style)
        problems += whole_problems(f"{where} title", card.title, lay.title, TITLE_WIDTH)
        problems += whole_problems(f"{where} footer", card.footer, lay.footer, FOOTER_WIDTH)
        for tile, spot in zip(card.tiles, lay.tiles, strict=True):
            width = spot.box[2] - spot.box[0]
            problems += whole_problems(f"{where} {tile.label!r}", tile.label, spot.label, width)
            problems += whole_problems(f"{where} {tile.label!r} (box)", tile.label, spot.label,
                                       spot.label_width)
    assert not problems, "\n".join(problems[:20])


@pytest.mark.parametrize("style", STYLES, ids=_style_id)
def test_bigger_text_means_fewer_wider_tiles_and_symbols_no_smaller(style: CardStyle) -> None:
    from bot.render.cards.layout import max_columns

    for where, card in every_card():
        lay = layout_card(card, style)
        normal = layout_card(card, CardStyle(font=style.font))
        columns = len({spot.box[0] for spot in lay.tiles if spot.box[1] == lay.tiles[0].box[1]})
        assert columns <= max_columns(style), where
        for spot, at_normal in zip(lay.tiles, normal.tiles, strict=True):
            symbol = spot.symbol[3] - spot.symbol[1]
            least = at_normal.symbol[3] - at_normal.symbol[1]
            assert symbol >= least, f"{where}: symbol {symbol} px, {least} px at Normal"
        # Telegram takes a photo up to width + height 10000 and a side ratio of 20 (Bot API
        # sendPhoto); a card stays within three screens' width so it reads on a phone.
        assert lay.width + lay.height <= 10_000 and lay.height <= 3 * lay.width, where


def test_larger_sizes_use_at_most_three_and_two_columns() -> None:
    from bot.render.cards.layout import max_columns

    assert [max_columns(CardStyle(text_scale=size)) for size in SIZES] == [4, 3, 2]


@pytest.mark.parametrize("style", STYLES, ids=_style_id)
def test_every_mat_card_is_whole_at_every_size(style: CardStyle) -> None:
    from bot.render.mat import layout_mat

    problems: list[str] = []
    for where, view in every_mat():
        for text, block, width in layout_mat(view, style).labels:
            problems += whole_problems(f"{where} {text!r}", text, block, width)
    assert not problems, "\n".join(problems[:20])


@pytest.mark.parametrize("style", STYLES, ids=_style_id)
def test_every_review_line_is_whole_at_every_size(style: CardStyle) -> None:
    from bot.render.cards.review import (
        _geometry,
        _items,
        _layout_row,
        _review_rows,
        _Row,
        _split_line,
    )
    from bot.render.cards.style import _MARGIN

    geo = _geometry(style)

    def laid_out(item: tuple[str, str, tuple[str, ...]]) -> tuple[_Row, int]:
        row = _layout_row(item, style, geo)
        return row, row.height

    problems: list[str] = []
    for where, line in every_review_line():
        rows, left_out = _review_rows(_items([line], style), laid_out, geo.more_h, 300)
        assert len(rows) == 1 and not left_out
        row = rows[0]
        text_left = _MARGIN + 22 + (round(96 * min(style.text_scale, 1.25)) + 28)
        width = WIDTH - _MARGIN - 22 - text_left  # the row's box, right of the symbol
        problems += whole_problems(where, _split_line(line)[1], row.text, width)
    assert not problems, "\n".join(problems[:20])


WORDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJ,'?", min_size=1, max_size=14)
LABELS = st.lists(WORDS, min_size=1, max_size=4).map(" ".join)


@settings(max_examples=30, deadline=None)
@given(labels=st.lists(LABELS, min_size=1, max_size=12), size=st.sampled_from(SIZES))
def test_any_labels_are_laid_out_whole(labels: list[str], size: float) -> None:
    """Whatever words a card holds (a personal card's own words too), at any size."""
    card = Card("Pick one", tuple(Tile(label, "🙂") for label in labels))
    lay = layout_card(card, CardStyle(text_scale=size))
    problems: list[str] = []
    for tile, spot in zip(card.tiles, lay.tiles, strict=True):
        problems += whole_problems(repr(tile.label), tile.label, spot.label, spot.label_width)
    assert not problems, "\n".join(problems)
