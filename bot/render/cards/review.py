"""The review picture ("this is what you said"): the title, then one row per line with its
symbol, words and the chosen symbols drawn small, growing up to a height cap."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from PIL import Image, ImageDraw

from bot.render import fonts, scripts, symbol_set
from bot.render.cards.draw import _draw_title
from bot.render.cards.layout import layout_card
from bot.render.cards.parts import PartsCache, digest
from bot.render.cards.shapes import _png, _rounded_box, emoji_image
from bot.render.cards.style import (
    _BOTTOM,
    _MARGIN,
    _TITLE_GAP,
    DEFAULT_STYLE,
    MAX_TEXT_CARD_HEIGHT,
    PALETTES,
    WIDTH,
    Card,
    CardStyle,
    Palette,
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

In = TypeVar("In")
Out = TypeVar("Out")

_PAD = 22  # a row's inner padding
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


@dataclass(frozen=True)
class _Geometry:
    """Sizes every row of a review picture shares at one text size (pixels)."""

    size: int  # the words' starting font size
    symbol: int  # the line's symbol box
    text_w: int  # the words' width
    small: int  # a chosen symbol drawn small
    per_row: int  # small symbols per strip row
    more_h: int  # room kept for "…and N more"


def _geometry(style: CardStyle) -> _Geometry:
    scale = _scale(style)
    symbol = round(96 * min(scale, 1.25))
    text_w = WIDTH - 2 * _MARGIN - 2 * _PAD - symbol - 28
    small = round(64 * min(scale, 1.25))
    return _Geometry(round(50 * scale), symbol, text_w, small,
                     max(1, (text_w + 12) // (small + 12)), round(44 * scale * _LINE) + 24)


def _layout_row(item: tuple[str, str, tuple[str, ...]], style: CardStyle, geo: _Geometry) -> _Row:
    """One line's row: its words fitted and the row's height. `item`: (emoji, words as shown,
    symbols)."""
    emoji, text, symbols = item
    block = _row_text(text, style, geo.text_w, geo.size)
    strip = -(-len(symbols) // geo.per_row) * (geo.small + 12) if symbols else 0
    height = max(geo.symbol, block.height + strip) + 2 * _PAD
    return _Row(emoji, block, height, symbols, geo.small)


def _items(lines: Sequence[ReviewLine], style: CardStyle) -> list[tuple[str, str, tuple[str, ...]]]:
    # Words no font covers are in the caption (bot.service.present.caption), not boxes here.
    return [(emoji, scripts.shown(text, style.font), symbols)
            for emoji, text, symbols in map(_split_line, lines)]


def _review_rows(items: Sequence[In], measure: Callable[[In], tuple[Out, int]], more_h: int,
                 top: int) -> tuple[list[Out], int]:
    """The rows that fit under the height cap, and how many lines were left out. `items`: one
    per line; `measure(item)`: its row (laid out or drawn) and the row's height in pixels.
    Lines are measured only as far as needed: the first row that does not fit ends it."""
    rows: list[Out] = []
    y = top
    for index, item in enumerate(items):
        row, height = measure(item)
        reserve = more_h if len(items) - index - 1 else 0
        if y + height + reserve > MAX_TEXT_CARD_HEIGHT - _BOTTOM and rows:
            return rows, len(items) - index
        rows.append(row)
        y += height + 16
    return rows, 0


def _draw_row(canvas: Image.Image, draw: ImageDraw.ImageDraw, row: _Row, y: int, pal: Palette,
              symbol: int) -> None:
    """One row (rounded box, symbol, words, chosen symbols small) with its top at `y`, full
    width: the full redraw draws it on the picture, the parts cache on an image of its own
    (y = 0), so both paths draw the same pixels."""
    box = (_MARGIN, y, WIDTH - _MARGIN, y + row.height)
    colours = (pal.background, pal.outline, pal.tile)
    _rounded_box(canvas, box, 28, colours, max(3, pal.outline_width - 1))
    sym_left = _MARGIN + _PAD
    text_left = sym_left + (symbol + 28 if row.emoji else 6)
    picture = emoji_image(row.emoji, symbol) if row.emoji else None
    if picture is not None:
        px = sym_left + (symbol - picture.width) // 2
        py = y + (row.height - picture.height) // 2
        canvas.paste(picture, (px, py), picture)
    per_row = max(1, (WIDTH - _MARGIN - _PAD - text_left + 12) // (row.symbol_size + 12))
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


def _style_key(style: CardStyle) -> tuple[object, ...]:
    """Everything of the reader's style that changes a part's pixels (see cache._style_fields,
    which this must not import: cache imports this module)."""
    pal = style.palette if style.palette in PALETTES else "standard"
    return (round(_scale(style), 4), pal, style.font, fonts.text_font_path(style.font).name,
            fonts.has_raqm())


def _title_part(title: str, style: CardStyle, parts: PartsCache) -> Image.Image:
    """The title banner with the gap under it (the picture's top rows), drawn once per title
    and style; its height is where the first row starts. `title`: as shown."""
    def make() -> Image.Image:
        pal = palette_for(style)
        head = layout_card(Card(title=title), style)
        canvas = Image.new("RGB", (WIDTH, head.title_box[3] + _TITLE_GAP), pal.background)
        _draw_title(canvas, ImageDraw.Draw(canvas), head, pal)
        return canvas

    return parts.get(("review-title", digest(title), _style_key(style)), make)


def _row_part(item: tuple[str, str, tuple[str, ...]], style: CardStyle, geo: _Geometry,
              parts: PartsCache) -> Image.Image:
    """One row as an image (full width, the row's height), drawn once per content and style.
    The key holds the line's content only as a digest (a young person's words); the fitting
    (_row_text) happens only when the row is drawn, so a cached row costs no text fitting.
    Its height is the image's height."""
    emoji, text, symbols = item
    own = symbol_set.active().marks((emoji, *symbols))
    key = ("review-row", digest(emoji, text, symbols), _style_key(style), tuple(own))

    def make() -> Image.Image:
        row = _layout_row(item, style, geo)
        pal = palette_for(style)
        canvas = Image.new("RGB", (WIDTH, row.height), pal.background)
        _draw_row(canvas, ImageDraw.Draw(canvas), row, 0, pal, geo.symbol)
        return canvas

    return parts.get(key, make)


def _more_block(left_out: int, style: CardStyle) -> TextBlock:
    """ "…and N more" under the last row (empty when nothing was left out)."""
    if not left_out:
        return TextBlock((), 24, style.font)
    return fit_text(f"…and {left_out} more", style.font, WIDTH - 2 * _MARGIN, 10_000, 1,
                    round(44 * _scale(style)), 24)


def draw_text_card(title: str, lines: Sequence[ReviewLine], style: CardStyle = DEFAULT_STYLE,
                   parts: PartsCache | None = None) -> Image.Image:
    """A 'this is what you said' picture: the title, then one row per (emoji, text) line, as
    an RGB image WIDTH px wide and 540 to MAX_TEXT_CARD_HEIGHT px high.

    Long lines wrap; a line's chosen symbols are drawn small under its words. The picture
    grows to fit, up to MAX_TEXT_CARD_HEIGHT, then ends with "…and N more" (the review is sent
    in pages of a few lines, bot/service/present.py, so its pictures stay under the cap). A
    plain string is accepted as a line with no symbol.

    `parts`: None draws everything now. Given a cache (bot.render.cards.parts; PERSONAL_PARTS
    for a young person's review), the title banner and each row are drawn once into images
    of their own and pasted, so a review grown by one line draws one row; the pixels are the
    same either way (tests/render/test_cached_review.py)."""
    pal = palette_for(style)
    shown_title = scripts.shown(title, style.font)
    if parts is None:
        head = layout_card(Card(title=shown_title), style)
        top = head.title_box[3] + _TITLE_GAP
    else:  # the banner's height says where the rows start: no title layout when cached
        banner = _title_part(shown_title, style, parts)
        top = banner.height
    geo = _geometry(style)
    items = _items(lines, style)
    rows: list[_Row] = []
    images: list[Image.Image] = []
    if parts is None:
        def laid_out(item: tuple[str, str, tuple[str, ...]]) -> tuple[_Row, int]:
            row = _layout_row(item, style, geo)
            return row, row.height

        rows, left_out = _review_rows(items, laid_out, geo.more_h, top)
    else:
        def drawn(item: tuple[str, str, tuple[str, ...]]) -> tuple[Image.Image, int]:
            image = _row_part(item, style, geo, parts)
            return image, image.height

        images, left_out = _review_rows(items, drawn, geo.more_h, top)
    more = _more_block(left_out, style)
    heights = [row.height for row in rows] + [image.height for image in images]
    body = sum(h + 16 for h in heights) + (more.height + 8 if more.lines else 0)
    height = max(540, top + body + _BOTTOM)
    canvas = Image.new("RGB", (WIDTH, height), pal.background)
    draw = ImageDraw.Draw(canvas)
    if parts is None:
        _draw_title(canvas, draw, head, pal)
    else:
        canvas.paste(banner, (0, 0))
    y = top
    for row in rows:
        _draw_row(canvas, draw, row, y, pal, geo.symbol)
        y += row.height + 16
    for image in images:
        canvas.paste(image, (0, y))
        y += image.height + 16
    if more.lines:
        _draw_block(draw, more, WIDTH // 2, y, pal.muted)
    return canvas


def render_text_card(title: str, lines: Sequence[ReviewLine], style: CardStyle = DEFAULT_STYLE,
                     parts: PartsCache | None = None) -> bytes:
    """`draw_text_card` encoded as the bytes MySay sends (bot.render.cards.shapes._png)."""
    return _png(draw_text_card(title, lines, style, parts))
