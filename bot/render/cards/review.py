"""The review picture ("this is what you said"): the title, then one row per line with its
symbol, words and the chosen symbols drawn small, growing up to a height cap."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image, ImageDraw

from bot.render import scripts
from bot.render.cards.draw import _draw_title
from bot.render.cards.layout import layout_card
from bot.render.cards.shapes import _png, _rounded_box, emoji_image
from bot.render.cards.style import (
    _BOTTOM,
    _MARGIN,
    _TITLE_GAP,
    DEFAULT_STYLE,
    MAX_TEXT_CARD_HEIGHT,
    WIDTH,
    Card,
    CardStyle,
    _scale,
    palette_for,
)
from bot.render.cards.text import (
    _LINE,
    _MANY_LINES,
    TextBlock,
    _draw_block,
    _draw_block_left,
    fit_text,
)

_REVIEW_LINES = 10  # lines of text per row before the words may shrink further or take more

# (emoji, text), or (emoji, text, symbols): the symbols of the choices, drawn small under the
# words so every chosen picture is on the card. A plain string is a line with no symbol.
ReviewLine = tuple[str, str] | tuple[str, str, tuple[str, ...]] | str


def _split_line(line: ReviewLine) -> tuple[str, str, tuple[str, ...]]:
    if isinstance(line, str):
        return ("", line, ())
    emoji, text = line[0], line[1]
    symbols = tuple(line[2]) if len(line) > 2 else ()  # type: ignore[misc]
    return (emoji or "", text or "", symbols)


@dataclass(frozen=True)
class _Row:
    emoji: str
    text: TextBlock
    height: int
    symbols: tuple[str, ...] = ()
    symbol_size: int = 0


def _row_text(text: str, style: CardStyle, width: int, size: int) -> TextBlock:
    """A row's words, whole (issue 15, point 5): up to _REVIEW_LINES lines at 80-100% of
    size, else as many lines as they need (the row grows; the review is paged by
    bot/service/present.py). A word is cut only when wider than the row at 28 px."""
    floor = max(28, round(size * 0.8))
    block = fit_text(text, style.font, width, 10_000, _REVIEW_LINES, size, floor)
    if block.whole:
        return block
    return fit_text(text, style.font, width, 10_000, _MANY_LINES, size, min(floor, 28))


def _review_rows(lines: Sequence[ReviewLine], style: CardStyle, top: int) -> tuple[list[_Row], int]:
    """Rows that fit under the height cap, and how many lines were left out."""
    scale = _scale(style)
    size = round(50 * scale)
    pad = 22
    symbol = round(96 * min(scale, 1.25))
    text_w = WIDTH - 2 * _MARGIN - 2 * pad - symbol - 28
    more_h = round(44 * scale * _LINE) + 24
    small = round(64 * min(scale, 1.25))
    per_row = max(1, (text_w + 12) // (small + 12))
    rows: list[_Row] = []
    y = top
    # Words no font covers are in the caption (bot.service.present.caption), not boxes here.
    items = [(emoji, scripts.shown(text, style.font), symbols)
             for emoji, text, symbols in map(_split_line, lines)]
    for index, (emoji, text, symbols) in enumerate(items):
        block = _row_text(text, style, text_w, size)
        strip = -(-len(symbols) // per_row) * (small + 12) if symbols else 0
        height = max(symbol, block.height + strip) + 2 * pad
        remaining = len(items) - index - 1
        reserve = more_h if remaining else 0
        if y + height + reserve > MAX_TEXT_CARD_HEIGHT - _BOTTOM and rows:
            return rows, len(items) - index
        rows.append(_Row(emoji, block, height, symbols, small))
        y += height + 16
    return rows, 0


def render_text_card(
    title: str, lines: Sequence[ReviewLine], style: CardStyle = DEFAULT_STYLE
) -> bytes:
    """A 'this is what you said' picture: the title, then one row per (emoji, text) line.

    Long lines wrap; a line's chosen symbols are drawn small under its words. The picture
    grows to fit, up to MAX_TEXT_CARD_HEIGHT, then ends with "…and N more" (the review is sent
    in pages of a few lines, bot/service/present.py, so its pictures stay under the cap). A
    plain string is accepted as a line with no symbol.
    """
    pal = palette_for(style)
    scale = _scale(style)
    head = layout_card(Card(title=scripts.shown(title, style.font)), style)
    top = head.title_box[3] + _TITLE_GAP
    rows, left_out = _review_rows(lines, style, top)
    more = (
        fit_text(
            f"…and {left_out} more",
            style.font,
            WIDTH - 2 * _MARGIN,
            10_000,
            1,
            round(44 * scale),
            24,
        )
        if left_out
        else TextBlock((), 24, style.font)
    )
    body = sum(row.height + 16 for row in rows) + (more.height + 8 if more.lines else 0)
    height = max(540, top + body + _BOTTOM)
    canvas = Image.new("RGB", (WIDTH, height), pal.background)
    draw = ImageDraw.Draw(canvas)
    _draw_title(canvas, draw, head, pal)
    symbol = round(96 * min(scale, 1.25))
    y = top
    for row in rows:
        box = (_MARGIN, y, WIDTH - _MARGIN, y + row.height)
        colours = (pal.background, pal.outline, pal.tile)
        _rounded_box(canvas, box, 28, colours, max(3, pal.outline_width - 1))
        sym_left = _MARGIN + 22
        text_left = sym_left + (symbol + 28 if row.emoji else 6)
        picture = emoji_image(row.emoji, symbol) if row.emoji else None
        if picture is not None:
            px = sym_left + (symbol - picture.width) // 2
            py = y + (row.height - picture.height) // 2
            canvas.paste(picture, (px, py), picture)
        per_row = max(1, (WIDTH - _MARGIN - 22 - text_left + 12) // (row.symbol_size + 12))
        strip = -(-len(row.symbols) // per_row) * (row.symbol_size + 12) if row.symbols else 0
        text_top = y + (row.height - row.text.height - strip) // 2
        _draw_block_left(draw, row.text, text_left, text_top, pal.text)
        for n, sym in enumerate(row.symbols):
            small = emoji_image(sym, row.symbol_size)
            if small is None:
                continue
            sx = text_left + (n % per_row) * (row.symbol_size + 12)
            sy = text_top + row.text.height + 12 + (n // per_row) * (row.symbol_size + 12)
            canvas.paste(small, (sx, sy), small)
        y += row.height + 16
    if more.lines:
        _draw_block(draw, more, WIDTH // 2, y, pal.muted)
    return _png(canvas)
