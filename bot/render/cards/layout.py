"""Where everything on a card goes: the tile grid, the title, shared label sizes, the symbol
and label inside each tile. Geometry only; nothing is drawn here."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from functools import lru_cache

from bot.render.cards.style import (
    _BOTTOM,
    _GAP,
    _MARGIN,
    _TITLE_GAP,
    _TOP,
    BASE_HEIGHT,
    DEFAULT_STYLE,
    MAX_TILES,
    WIDTH,
    Box,
    Card,
    CardStyle,
    Tile,
    _scale,
)
from bot.render.cards.text import _LINE, _MANY_LINES, TextBlock, _complete, fit_text, fit_tiered

_MIN_GRID = 640  # tiles never get shorter than this, even with huge text (the card grows)
# Larger text sizes (/settings): at most this many tiles per row, so each tile is wide enough
# for its words at the larger size (issue 15, point 5). Normal keeps grid_shape's columns.
_MAX_COLUMNS = ((1.5, 2), (1.25, 3))
_LABEL_LINES = 3  # lines a label may take before it shrinks or the tiles get wider
_LABEL_FLOOR = 0.7  # a label shrinks to 70% of its size before the tiles get wider


def grid_shape(count: int) -> tuple[int, int]:
    """(columns, rows): 1 -> 1x1, 2 -> 2x1, 3-4 -> 2x2, 5-6 -> 3x2, 7-9 -> 3x3, 10-12 -> 4x3."""
    if count <= 0:
        return (0, 0)
    if count == 1:
        return (1, 1)
    if count == 2:
        return (2, 1)
    if count <= 4:
        return (2, 2)
    if count <= 6:
        return (3, 2)
    if count <= 9:
        return (3, 3)
    return (4, 3)


@dataclass(frozen=True)
class TileLayout:
    """Where one tile, its symbol and its words go."""

    box: Box
    symbol: Box  # where the symbol or photo goes
    label_top: int
    label: TextBlock
    radius: int
    badge: int  # tick badge diameter
    label_width: int = 0  # the widest a label line may be (its box), for tests and checks


@dataclass(frozen=True)
class CardLayout:
    """Where everything on one card goes (canvas size, title, tiles, footer)."""

    width: int
    height: int
    title: TextBlock
    title_box: Box
    tiles: tuple[TileLayout, ...]
    footer: TextBlock
    footer_top: int



def _fit_title(title: str, family: str, scale: float) -> TextBlock:
    """One line if it fits at >= 82% size, else two at >= 78%, else three (shrinking to fit):
    a slightly smaller title keeps the card square and the tiles big."""
    box = (WIDTH - 2 * _MARGIN - 56, 10_000)  # 10_000: the card grows for a long title
    start = round(80 * scale)
    smallest = round(42 * min(scale, 1.25))
    return fit_tiered(title, family, box, ((1, 0.82), (2, 0.78), (3, 0.0)), start, smallest)



def _fit_labels(
    texts: list[str], family: str, box: tuple[float, float], base: int, smallest: int
) -> list[TextBlock]:
    """Labels of one card share a size where they can, so the card reads calmly.

    All on one line if every label fits at >= 86% of the base size; otherwise up to two lines
    at the largest size every label fits (not below 85% of base: a label that needs less
    shrinks alone rather than shrinking all the others)."""
    max_w, max_h = box
    one = [fit_text(t, family, max_w, max_h, 1, base, round(base * 0.86)) for t in texts]
    if all(_complete(block, text) for block, text in zip(one, texts, strict=True)):
        common = min(block.size for block in one)
        return [fit_text(t, family, max_w, max_h, 1, common, common) for t in texts]
    two = [fit_text(t, family, max_w, max_h, 2, base, smallest) for t in texts]
    common = max(min(block.size for block in two), round(base * 0.85))
    return [fit_text(t, family, max_w, max_h, 2, common, smallest) for t in texts]


def _label_base(unit: int, scale: float) -> int:
    return round(min(88, max(30, unit * 0.175)) * scale)


def _tile_grid(count: int, top: int, grid_h: int) -> list[Box]:
    cols, rows = grid_shape(count)
    if not cols:
        return []
    tile_w = (WIDTH - 2 * _MARGIN - _GAP * (cols - 1)) // cols
    tile_h = (grid_h - _GAP * (rows - 1)) // rows
    return _boxes(count, cols, top, tile_w, tile_h)


def _layout_tiles(card: Card, style: CardStyle, boxes: list[Box]) -> tuple[TileLayout, ...]:
    """The fixed grid (Normal text): labels fitted into the room under a symbol of at least
    46% of the tile. Its labels may come back not whole; layout_card then grows the card."""
    if not boxes:
        return ()
    tile_w = boxes[0][2] - boxes[0][0]
    tile_h = boxes[0][3] - boxes[0][1]
    unit = min(tile_w, tile_h)
    scale = _scale(style)
    pad, inner_gap = _pads(unit)
    inner_w = tile_w - 2 * pad
    min_symbol = round(tile_h * 0.46)
    label_max_h = tile_h - 2 * pad - inner_gap - min_symbol
    base = _label_base(unit, scale)
    smallest = max(18, min(round(base * 0.62), int(label_max_h / _LINE)))
    label_box = (inner_w - 16, label_max_h)  # keep words clear of the outline
    labels = _fit_labels([t.label for t in card.tiles], style.font, label_box, base, smallest)
    label_h = max(block.height for block in labels)
    room = tile_h - 2 * pad - label_h - (inner_gap if label_h else 0)
    symbol = min(room, inner_w, round(unit * 0.80))
    return _place(card, boxes, labels, symbol, (pad, inner_gap), inner_w - 16)


def _pads(unit: int) -> tuple[int, int]:
    """(padding inside a tile, gap between its symbol and its words) for a tile's short side."""
    return max(14, round(unit * 0.06)), max(8, round(unit * 0.03))


def _place(
    card: Card,
    boxes: list[Box],
    labels: list[TextBlock],
    symbol: int,
    pads: tuple[int, int],
    label_width: int,
) -> tuple[TileLayout, ...]:
    """Each tile's symbol and words, centred together in its box. pads = (padding inside a
    tile, gap between symbol and words); label_width = the widest a label line may be."""
    tile_w = boxes[0][2] - boxes[0][0]
    tile_h = boxes[0][3] - boxes[0][1]
    unit = min(tile_w, tile_h)
    pad, inner_gap = pads
    inner_w = tile_w - 2 * pad
    label_h = max(block.height for block in labels)
    has_photo = any(t.image for t in card.tiles)
    symbol_w = inner_w if has_photo else symbol
    group = symbol + (inner_gap if label_h else 0) + label_h
    radius = max(16, min(40, unit // 9))
    badge = max(44, min(92, round(unit * 0.22)))
    result: list[TileLayout] = []
    for box, label in zip(boxes, labels, strict=True):
        left, top = box[0], box[1]
        sym_top = top + (tile_h - group) // 2
        sym_left = left + (tile_w - symbol_w) // 2
        sym_box = (sym_left, sym_top, sym_left + symbol_w, sym_top + symbol)
        label_top = sym_top + symbol + inner_gap + (label_h - label.height) // 2
        result.append(TileLayout(box, sym_box, label_top, label, radius, badge, label_width))
    return tuple(result)


def max_columns(style: CardStyle) -> int:
    """The most tiles per row at the style's text size: 2 at "Very big", 3 at "Big", else 4."""
    scale = _scale(style)
    return next((cols for floor, cols in _MAX_COLUMNS if scale >= floor - 1e-6), 4)


@lru_cache(maxsize=16)
def normal_symbol(count: int) -> int:
    """The symbol size of a card of `count` tiles at Normal text with one-line labels: the
    least a symbol may be at any text size, so symbols never shrink as the words grow."""
    card = Card("Normal", tuple(Tile("OK", "🙂") for _ in range(count)))
    lay = _normal_layout(card, DEFAULT_STYLE, _fit_footer("", DEFAULT_STYLE))
    box = lay.tiles[0].symbol
    return box[3] - box[1]


def _grown_labels(
    texts: list[str], family: str, width: int, base: int, floor: int
) -> list[TextBlock] | None:
    """Labels of whole words on up to _LABEL_LINES lines at one shared size where they can
    (the largest every label fits, not below 85% of base: a label that needs less shrinks
    alone, down to floor); None when a label does not fit whole at floor."""
    blocks = [fit_text(t, family, width, 10_000, _LABEL_LINES, base, floor) for t in texts]
    if not all(_complete(b, t) for b, t in zip(blocks, texts, strict=True)):
        return None
    common = max(min(b.size for b in blocks), min(base, round(base * 0.85)))
    return [fit_text(t, family, width, 10_000, _LABEL_LINES, common, floor) for t in texts]


def _last_resort_labels(texts: list[str], family: str, width: int, base: int) -> list[TextBlock]:
    """One column and still a word too wide: shrink down to 18 px on as many lines as it
    takes (a word is cut only when it is wider than the whole card at 18 px)."""
    return [fit_text(t, family, width, 10_000, _MANY_LINES, base, 18) for t in texts]


def _grown_tiles(
    card: Card, style: CardStyle, top: int, min_grid: int
) -> tuple[tuple[TileLayout, ...], int]:
    """Tiles for larger text (or labels too long for the fixed grid): at most max_columns
    per row, labels of whole words wrapped on up to three lines, symbols never smaller than
    at Normal text, and the card as tall as the tiles need. Returns (tiles, grid height)."""
    count = len(card.tiles)
    texts = [t.label for t in card.tiles]
    scale = _scale(style)
    normal_cols, normal_rows = grid_shape(count)
    normal_tile_h = (min_grid - _GAP * (normal_rows - 1)) // normal_rows
    normal_w = (WIDTH - 2 * _MARGIN - _GAP * (normal_cols - 1)) // normal_cols
    base = _label_base(min(normal_w, normal_tile_h), scale)
    symbol_min = normal_symbol(count)
    cols = min(normal_cols, max_columns(style))
    # the smallest a label may get before the tiles get wider: Normal's smallest label
    floor = max(18, round(_label_base(min(normal_w, normal_tile_h), 1.0) * 0.62))
    while True:
        tile_w = (WIDTH - 2 * _MARGIN - _GAP * (cols - 1)) // cols
        pad, inner_gap = _pads(min(tile_w, normal_tile_h))
        width = tile_w - 2 * pad - 16
        labels = _grown_labels(texts, style.font, width, base, round(base * _LABEL_FLOOR))
        if labels is None:  # a smaller size for this card before fewer columns
            labels = _grown_labels(texts, style.font, width, base, min(floor, base))
        if labels is not None:
            break
        if cols == 1:
            labels = _last_resort_labels(texts, style.font, width, base)
            break
        cols -= 1
    rows = math.ceil(count / cols)
    label_h = max(block.height for block in labels)
    needed = 2 * pad + symbol_min + (inner_gap + label_h if label_h else 0)
    tile_h = max(needed, (min_grid - _GAP * (rows - 1)) // rows)
    boxes = _boxes(count, cols, top, tile_w, tile_h)
    room = tile_h - 2 * pad - label_h - (inner_gap if label_h else 0)
    unit = min(tile_w, tile_h)
    symbol = max(symbol_min, min(room, tile_w - 2 * pad, round(unit * 0.80)))
    grid_h = rows * tile_h + _GAP * (rows - 1)
    return _place(card, boxes, labels, symbol, (pad, inner_gap), width), grid_h


def _boxes(count: int, cols: int, top: int, tile_w: int, tile_h: int) -> list[Box]:
    """count boxes of tile_w x tile_h in rows of cols, an incomplete last row centred."""
    used_w = tile_w * cols + _GAP * (cols - 1)
    boxes: list[Box] = []
    for index in range(count):
        row, col = divmod(index, cols)
        in_row = min(cols, count - row * cols)
        offset = (WIDTH - used_w) // 2 + (cols - in_row) * (tile_w + _GAP) // 2
        left = offset + col * (tile_w + _GAP)
        y = top + row * (tile_h + _GAP)
        boxes.append((left, y, left + tile_w, y + tile_h))
    return boxes


def layout_card(card: Card, style: CardStyle = DEFAULT_STYLE) -> CardLayout:
    """Where everything goes. The canvas is 1080 wide and 1080 high unless the title needs
    three lines, or the words need taller tiles (then it grows), or there are no tiles (then
    it is as high as its text).

    At Normal text the tiles sit in grid_shape's fixed grid. At larger text, or when a label
    does not fit whole in that grid, the tiles are laid out by _grown_tiles (fewer columns,
    whole words on up to three lines, symbols no smaller than at Normal, a taller card).
    Every label and the title is then whole: no cut word, no ellipsis (issue 15, point 5)."""
    return _normal_or_grown(card, style, _fit_footer(card.footer, style))


def _normal_or_grown(card: Card, style: CardStyle, footer: TextBlock) -> CardLayout:
    """layout_card with its footer already fitted (`footer`; card.footer is not read)."""
    lay = _normal_layout(card, style, footer)
    if _scale(style) <= 1.0 and all(
        _complete(t.label, tile.label) for t, tile in zip(lay.tiles, card.tiles, strict=True)
    ):
        return lay
    return _normal_layout(card, style, footer, grow=True)


_LAYOUTS = 1024  # remembered layouts (a few hundred bytes each): every flow card at a few styles
_PHOTO = b"photo"  # stands for any photo in a remembered layout's card: only "has one" counts


def remembered_layout(card: Card, style: CardStyle = DEFAULT_STYLE) -> CardLayout:
    """layout_card, remembered for the last _LAYOUTS cards by what the layout depends on (the
    title, the words, whether any tile has a photo, the style, and the footer's height only:
    the footer's own words are fitted afresh, so "Part 2 of 5" and "Part 3 of 5" share one),
    so a card seen again, or with another tile ticked, is not measured again. Only for cards
    that show nothing of one young person: a remembered layout holds the words in the clear."""
    footer = _fit_footer(card.footer, style)
    has_photo = any(t.image for t in card.tiles)
    lay = _remembered(card.title, tuple(t.label for t in card.tiles), has_photo,
                      (len(footer.lines), footer.size), style)
    return replace(lay, footer=footer)


@lru_cache(maxsize=_LAYOUTS)
def _remembered(title: str, labels: tuple[str, ...], has_photo: bool,
                footer_shape: tuple[int, int], style: CardStyle) -> CardLayout:
    tiles = tuple(Tile(label, image=_PHOTO if has_photo else None) for label in labels)
    lines, size = footer_shape
    # A stand-in as tall as the real footer: the rest of the layout uses only its height.
    stand_in = TextBlock(("",) * lines, size, style.font)
    return _normal_or_grown(Card(title, tiles), style, stand_in)


def forget_layouts() -> None:
    """Forget remembered layouts (bot.render.cards.clear_render_caches, cold benchmarks)."""
    _remembered.cache_clear()


def _fit_footer(footer: str, style: CardStyle) -> TextBlock:
    return fit_tiered(footer, style.font, (WIDTH - 2 * _MARGIN, 10_000), ((1, 0.0),),
                      round(38 * _scale(style)), 24)


def _normal_layout(
    card: Card, style: CardStyle, footer: TextBlock, grow: bool = False
) -> CardLayout:
    """The card laid out in the fixed grid, or (grow) with _grown_tiles, under `footer`."""
    if len(card.tiles) > MAX_TILES:
        raise ValueError(f"a card holds at most {MAX_TILES} tiles, got {len(card.tiles)}")
    scale = _scale(style)
    title = _fit_title(card.title, style.font, scale)
    banner_pad = round(20 * min(scale, 1.25))
    title_box = (_MARGIN, _TOP - banner_pad // 2, WIDTH - _MARGIN, _TOP + title.height + banner_pad)
    header = title_box[3] + _TITLE_GAP
    footer_h = footer.height + 20 if footer.lines else 0
    if card.tiles:
        two_lines = _TOP + round(80 * scale * _LINE) * 2 + banner_pad + _TITLE_GAP
        min_grid = max(_MIN_GRID, BASE_HEIGHT - two_lines - _BOTTOM - footer_h)
        grid_h = max(min_grid, BASE_HEIGHT - header - _BOTTOM - footer_h)
    else:
        grid_h = 0
    if grow and card.tiles:
        tiles, grid_h = _grown_tiles(card, style, header, grid_h)
    else:
        tiles = _layout_tiles(card, style, _tile_grid(len(card.tiles), header, grid_h))
    footer_top = header + grid_h + (12 if tiles else 0)
    height = header + grid_h + footer_h + _BOTTOM
    if not tiles:
        height = max(height, 540)
    return CardLayout(WIDTH, height, title, title_box, tiles, footer, footer_top)
