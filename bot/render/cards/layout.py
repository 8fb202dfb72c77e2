"""Where everything on a card goes: the tile grid, the title, shared label sizes, the symbol
and label inside each tile. Geometry only; nothing is drawn here."""

from __future__ import annotations

from dataclasses import dataclass

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
    _scale,
)
from bot.render.cards.text import _LINE, TextBlock, _complete, fit_text, fit_tiered

_MIN_GRID = 640  # tiles never get shorter than this, even with huge text (the card grows)


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
    box = (WIDTH - 2 * _MARGIN - 56, 10_000)
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
    used_w = tile_w * cols + _GAP * (cols - 1)
    boxes: list[Box] = []
    for index in range(count):
        row, col = divmod(index, cols)
        in_row = min(cols, count - row * cols)
        # centre an incomplete last row
        offset = (WIDTH - used_w) // 2 + (cols - in_row) * (tile_w + _GAP) // 2
        left = offset + col * (tile_w + _GAP)
        y = top + row * (tile_h + _GAP)
        boxes.append((left, y, left + tile_w, y + tile_h))
    return boxes


def _layout_tiles(card: Card, style: CardStyle, boxes: list[Box]) -> tuple[TileLayout, ...]:
    if not boxes:
        return ()
    tile_w = boxes[0][2] - boxes[0][0]
    tile_h = boxes[0][3] - boxes[0][1]
    unit = min(tile_w, tile_h)
    scale = _scale(style)
    pad = max(14, round(unit * 0.06))
    inner_gap = max(8, round(unit * 0.03))
    inner_w = tile_w - 2 * pad
    min_symbol = round(tile_h * 0.46)
    label_max_h = tile_h - 2 * pad - inner_gap - min_symbol
    base = _label_base(unit, scale)
    smallest = max(18, min(round(base * 0.62), int(label_max_h / _LINE)))
    label_box = (inner_w - 16, label_max_h)  # keep words clear of the outline
    labels = _fit_labels([t.label for t in card.tiles], style.font, label_box, base, smallest)
    label_h = max(block.height for block in labels)
    room = tile_h - 2 * pad - label_h - (inner_gap if label_h else 0)
    has_photo = any(t.image for t in card.tiles)
    symbol = min(room, inner_w, round(unit * 0.80))
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
        result.append(TileLayout(box, sym_box, label_top, label, radius, badge))
    return tuple(result)


def layout_card(card: Card, style: CardStyle = DEFAULT_STYLE) -> CardLayout:
    """Where everything goes. The canvas is 1080 wide and 1080 high unless the title needs
    three lines (then it grows), or there are no tiles (then it is as high as its text)."""
    if len(card.tiles) > MAX_TILES:
        raise ValueError(f"a card holds at most {MAX_TILES} tiles, got {len(card.tiles)}")
    scale = _scale(style)
    title = _fit_title(card.title, style.font, scale)
    banner_pad = round(20 * min(scale, 1.25))
    title_box = (_MARGIN, _TOP - banner_pad // 2, WIDTH - _MARGIN, _TOP + title.height + banner_pad)
    header = title_box[3] + _TITLE_GAP
    footer = fit_text(
        card.footer, style.font, WIDTH - 2 * _MARGIN, 10_000, 1, round(38 * scale), 24
    )
    footer_h = footer.height + 20 if footer.lines else 0
    if card.tiles:
        two_lines = _TOP + round(80 * scale * _LINE) * 2 + banner_pad + _TITLE_GAP
        min_grid = max(_MIN_GRID, BASE_HEIGHT - two_lines - _BOTTOM - footer_h)
        grid_h = max(min_grid, BASE_HEIGHT - header - _BOTTOM - footer_h)
    else:
        grid_h = 0
    boxes = _tile_grid(len(card.tiles), header, grid_h)
    tiles = _layout_tiles(card, style, boxes)
    footer_top = header + grid_h + (12 if tiles else 0)
    height = header + grid_h + footer_h + _BOTTOM
    if not tiles:
        height = max(height, 540)
    return CardLayout(WIDTH, height, title, title_box, tiles, footer, footer_top)
