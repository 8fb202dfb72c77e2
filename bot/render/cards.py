"""Picture cards: a question with 1-12 symbol tiles, drawn with Pillow as a PNG for Telegram.

Symbols come from the OpenMoji COLRv0 font (CC BY-SA 4.0), words are set in Atkinson Hyperlegible
Bold (or OpenDyslexic when installed). Every tile always carries its words, because Telegram
clients are hard to use with a screen reader and some young people read the word, not the picture.

Public API: `Tile`, `CardStyle`, `Card`, `render_card`, `render_text_card`, `card_key`,
`text_card_key`, `CardCache`, `layout_card` (geometry, for tests and previews), `PALETTES`.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont, ImageOps, PngImagePlugin

from bot.render import fonts, safe_image

log = logging.getLogger(__name__)

RENDER_VERSION = "3"
WIDTH = 1080
BASE_HEIGHT = 1080
MAX_TILES = 12
MAX_TEXT_CARD_HEIGHT = 2600

_MARGIN = 40
_GAP = 24
_TOP = 44
_BOTTOM = 40
_TITLE_GAP = 34
_MIN_GRID = 640  # tiles never get shorter than this, even with huge text (the card grows)
_LINE = 1.2  # line pitch as a multiple of the font size
_BALANCE_WORDS = 16  # balance line lengths for short texts only (the search is quadratic)
_REVIEW_LINES = 10  # lines of text per row on the review picture before an ellipsis
_PNG_LEVEL = 3  # zlib level: ~2x faster than the default 6 for ~15% more bytes

Box = tuple[int, int, int, int]  # left, top, right, bottom
RGB = tuple[int, int, int]


# --------------------------------------------------------------------------------- data types --


@dataclass(frozen=True)
class Tile:
    label: str  # the words under the symbol (always drawn)
    emoji: str = ""  # emoji sequence drawn with OpenMoji; "" when image is given
    image: bytes | None = None  # a personal photo card instead of an emoji (JPEG/PNG bytes)
    selected: bool = False  # multi-select: tick badge and a thicker, coloured border


@dataclass(frozen=True)
class CardStyle:
    text_scale: float = 1.0  # 1.0 normal, 1.25 large, 1.5 extra large
    palette: str = "standard"  # "standard", "high_contrast" or "calm"
    font: str = "atkinson"  # "atkinson" or "opendyslexic"


@dataclass(frozen=True)
class Card:
    title: str  # the question, wrapped on up to 3 lines, shrunk to fit
    tiles: tuple[Tile, ...] = ()  # 0..12 tiles
    footer: str = ""  # optional small line at the bottom (e.g. "Step 2 of 5")


@dataclass(frozen=True)
class Palette:
    background: RGB
    tile: RGB
    outline: RGB
    text: RGB
    muted: RGB  # footer and secondary text; still >= 7:1 on background and tile
    accent: RGB  # selected border and tick badge
    selected_fill: RGB
    banner: RGB  # behind the question
    outline_width: int
    selected_width: int


def _hex(value: str) -> RGB:
    value = value.lstrip("#")
    return (int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16))


PALETTES: dict[str, Palette] = {
    "standard": Palette(
        background=_hex("#FFFCF5"),
        tile=_hex("#FFFFFF"),
        outline=_hex("#2B2B2B"),
        text=_hex("#1F1F1F"),
        muted=_hex("#3D3D3D"),
        accent=_hex("#1D4ED8"),
        selected_fill=_hex("#E8F0FF"),
        banner=_hex("#FFF0C7"),
        outline_width=5,
        selected_width=13,
    ),
    "high_contrast": Palette(
        background=_hex("#FFFFFF"),
        tile=_hex("#FFFFFF"),
        outline=_hex("#000000"),
        text=_hex("#000000"),
        muted=_hex("#000000"),
        accent=_hex("#000000"),
        selected_fill=_hex("#FFEB3B"),
        banner=_hex("#FFFFFF"),
        outline_width=8,
        selected_width=18,
    ),
    "calm": Palette(
        background=_hex("#E4F1ED"),
        tile=_hex("#F7FBFA"),
        outline=_hex("#5C7D77"),
        text=_hex("#1D2B29"),
        muted=_hex("#2F403D"),
        accent=_hex("#2C6A61"),
        selected_fill=_hex("#D5EBE5"),
        banner=_hex("#D2E7E1"),
        outline_width=4,
        selected_width=12,
    ),
}


def palette_for(style: CardStyle) -> Palette:
    palette = PALETTES.get(style.palette)
    if palette is None:
        log.warning("Unknown card palette %r; using 'standard'.", style.palette)
        return PALETTES["standard"]
    return palette


def _scale(style: CardStyle) -> float:
    return min(2.0, max(0.75, float(style.text_scale)))


# ------------------------------------------------------------------------------ text fitting --


@dataclass(frozen=True)
class TextBlock:
    lines: tuple[str, ...]
    size: int
    family: str

    @property
    def font(self) -> ImageFont.FreeTypeFont:
        return fonts.text_font(self.family, self.size)

    @property
    def pitch(self) -> int:
        return round(self.size * _LINE)

    @property
    def height(self) -> int:
        return self.pitch * len(self.lines) if self.lines else 0


def _balanced(words: list[str], widths: list[float], space: float, n: int) -> list[list[str]]:
    """Split words into n lines so the widest line is as narrow as possible (small n, few words)."""
    count = len(words)
    prefix = [0.0]
    for width in widths:
        prefix.append(prefix[-1] + width)

    def span(i: int, j: int) -> float:
        return prefix[j] - prefix[i] + space * (j - i - 1)

    # best[k][j]: (widest line, split points) for the first j words on k lines
    best: dict[tuple[int, int], tuple[float, tuple[int, ...]]] = {(0, 0): (0.0, ())}
    for k in range(1, n + 1):
        for j in range(k, count + 1):
            options = [
                (max(best[(k - 1, i)][0], span(i, j)), (*best[(k - 1, i)][1], j))
                for i in range(k - 1, j)
                if (k - 1, i) in best
            ]
            if options:
                best[(k, j)] = min(options)
    cuts = (0, *best[(n, count)][1])
    return [words[cuts[i] : cuts[i + 1]] for i in range(n)]


def _wrap(text: str, font: ImageFont.FreeTypeFont, max_w: float, max_lines: int) -> list[str]:
    """The fewest balanced lines (<= max_lines) that fit max_w, or [] when none fit."""
    words = text.split()
    if not words:
        return []
    widths = [font.getlength(word) for word in words]
    if max(widths) > max_w:
        return []
    if len(words) > _BALANCE_WORDS:  # long free text: plain greedy wrap is enough
        lines = _greedy(words, font, max_w)
        return lines if len(lines) <= max_lines else []
    space = font.getlength(" ")
    for n in range(1, min(max_lines, len(words)) + 1):
        split = _balanced(words, widths, space, n)
        if all(font.getlength(" ".join(line)) <= max_w for line in split):
            return [" ".join(line) for line in split]
    return []


def _greedy(tokens: list[str], font: ImageFont.FreeTypeFont, max_w: float) -> list[str]:
    lines: list[str] = []
    current = ""
    for token in tokens:
        candidate = f"{current} {token}" if current else token
        if not current or font.getlength(candidate) <= max_w:
            current = candidate
            continue
        lines.append(current)
        current = token
    lines.append(current)
    return lines


def _pieces(word: str, font: ImageFont.FreeTypeFont, max_w: float) -> list[str]:
    """A word cut into parts that each fit max_w (only for words wider than a whole line)."""
    parts: list[str] = []
    current = ""
    for char in word:
        if current and font.getlength(current + char) > max_w:
            parts.append(current)
            current = ""
        current += char
    return [*parts, current] if current else parts


def _truncate(text: str, font: ImageFont.FreeTypeFont, max_w: float, max_lines: int) -> list[str]:
    """Last resort: greedy wrap (cutting only over-long words), ellipsis on the last line."""
    tokens: list[str] = []
    for word in text.split():
        tokens.extend(_pieces(word, font, max_w) if font.getlength(word) > max_w else [word])
    lines = _greedy(tokens, font, max_w)
    if len(lines) <= max_lines:
        return lines
    last = lines[max_lines - 1]
    while last and font.getlength(last + "…") > max_w:
        last = last[:-1]
    return [*lines[: max_lines - 1], last.rstrip() + "…"]


def _sizes(start: int, stop: int) -> list[int]:
    sizes: list[int] = []
    size = float(start)
    while size > stop:
        sizes.append(round(size))
        size *= 0.93
    sizes.append(stop)
    return sorted(set(sizes), reverse=True)


def fit_text(
    text: str,
    family: str,
    max_w: float,
    max_h: float,
    max_lines: int,
    start: int,
    smallest: int,
) -> TextBlock:
    """The biggest size (from start down to smallest) whose balanced wrap fits the box."""
    text = " ".join(text.split())
    if not text:
        return TextBlock((), smallest, family)
    for size in _sizes(start, smallest):
        fit_lines = min(max_lines, int(max_h // round(size * _LINE)))
        if fit_lines < 1:
            continue
        font = fonts.text_font(family, size)
        lines = _wrap(text, font, max_w, fit_lines)
        if lines:
            return TextBlock(tuple(lines), size, family)
    font = fonts.text_font(family, smallest)
    fit_lines = max(1, min(max_lines, int(max_h // round(smallest * _LINE))))
    return TextBlock(tuple(_truncate(text, font, max_w, fit_lines)), smallest, family)


def _draw_block(
    draw: ImageDraw.ImageDraw, block: TextBlock, centre_x: int, top: int, fill: RGB
) -> None:
    font = block.font
    for i, line in enumerate(block.lines):
        middle = top + block.pitch * i + block.pitch // 2
        draw.text((centre_x, middle), line, font=font, fill=fill, anchor="mm")


def _draw_block_left(
    draw: ImageDraw.ImageDraw, block: TextBlock, left: int, top: int, fill: RGB
) -> None:
    font = block.font
    for i, line in enumerate(block.lines):
        middle = top + block.pitch * i + block.pitch // 2
        draw.text((left, middle), line, font=font, fill=fill, anchor="lm")


# ---------------------------------------------------------------------------- shapes & images --


@lru_cache(maxsize=64)
def _rounded_mask(width: int, height: int, radius: int) -> Image.Image:
    """An anti-aliased rounded-rectangle mask (drawn at 4x, then box-reduced)."""
    big = Image.new("L", (width * 4, height * 4), 0)
    ImageDraw.Draw(big).rounded_rectangle(
        (0, 0, width * 4 - 1, height * 4 - 1), radius=radius * 4, fill=255
    )
    return big.reduce(4)


@lru_cache(maxsize=128)
def _corner(radius: int, width: int, colours: tuple[RGB, RGB, RGB], turn: int) -> Image.Image:
    """One anti-aliased corner (background, outline, fill) of a rounded box, rotated by turn."""
    background, outline, fill = colours
    k = 4
    side = radius * k
    big = Image.new("RGB", (side, side), background)
    draw = ImageDraw.Draw(big)
    draw.rounded_rectangle((0, 0, side * 3, side * 3), radius=side, fill=outline)
    inner = width * k
    draw.rounded_rectangle(
        (inner, inner, side * 3, side * 3), radius=max(0, side - inner), fill=fill
    )
    patch = big.reduce(k)
    return patch.rotate(-90 * turn) if turn else patch


def _rounded_box(
    canvas: Image.Image,
    box: Box,
    radius: int,
    colours: tuple[RGB, RGB, RGB],
    width: int,
) -> None:
    """A rounded box with an outline: plain rectangles plus four small anti-aliased corners
    (much faster than pasting a full-size mask). colours = (background, outline, fill)."""
    left, top, right, bottom = box
    _, outline, fill = colours
    radius = max(width + 1, min(radius, (right - left) // 2, (bottom - top) // 2))
    draw = ImageDraw.Draw(canvas)
    draw.rectangle((left, top, right - 1, bottom - 1), fill=outline)
    draw.rectangle((left + width, top + width, right - 1 - width, bottom - 1 - width), fill=fill)
    spots = (
        (left, top),
        (right - radius, top),
        (right - radius, bottom - radius),
        (left, bottom - radius),
    )
    for turn, spot in enumerate(spots):
        canvas.paste(_corner(radius, width, colours, turn), spot)


@lru_cache(maxsize=16)
def _tick_badge(diameter: int, accent: RGB, ring: RGB) -> Image.Image:
    """A round badge with a tick drawn from shapes (not a font glyph), anti-aliased."""
    k = 4
    d = diameter * k
    img = Image.new("RGBA", (d, d), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    draw.ellipse((0, 0, d - 1, d - 1), fill=ring)
    edge = max(k * 3, d // 14)
    draw.ellipse((edge, edge, d - 1 - edge, d - 1 - edge), fill=accent)
    stroke = max(k * 4, d // 9)
    points = [(d * 0.28, d * 0.53), (d * 0.44, d * 0.69), (d * 0.73, d * 0.36)]
    draw.line(points, fill=ring, width=stroke, joint="curve")
    for x, y in (points[0], points[-1]):
        r = stroke / 2
        draw.ellipse((x - r, y - r, x + r, y + r), fill=ring)
    return img.reduce(k)


_MISSING = "\u0378"  # an unassigned code point: FreeType draws the font's "missing" box


def _glyph(text: str, size: int) -> Image.Image | None:
    """The text drawn with OpenMoji at a font size, cropped to its ink (None when blank)."""
    side = round(size * 1.7)
    img = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    ImageDraw.Draw(img).text(
        (side // 2, side // 2), text, font=fonts.emoji_font(size), embedded_color=True, anchor="mm"
    )
    ink = img.getchannel("A").getbbox()
    return img.crop(ink) if ink else None


@lru_cache(maxsize=32)
def _missing_glyph(size: int) -> Image.Image | None:
    return _glyph(_MISSING, size)


def _same_image(a: Image.Image, b: Image.Image | None) -> bool:
    return b is not None and a.size == b.size and a.tobytes() == b.tobytes()


@lru_cache(maxsize=512)
def emoji_image(emoji: str, box: int) -> Image.Image | None:
    """The OpenMoji glyph, cropped to its ink and fitted inside a box x box square.

    COLRv0 outlines scale cleanly, so the glyph is rendered straight at the target size; only
    glyphs whose ink is wider than the em (flags, balls) are scaled down, with LANCZOS.
    """
    if not emoji or box < 4:
        return None
    size = max(4, round(box * 0.95))
    img = _glyph(emoji, size)
    if img is None or _same_image(img, _missing_glyph(size)):
        log.warning("OpenMoji has no picture for %r", emoji)
        return None
    if img.width > box or img.height > box:
        ratio = box / max(img.width, img.height)
        new_size = (max(1, round(img.width * ratio)), max(1, round(img.height * ratio)))
        img = img.resize(new_size, Image.Resampling.LANCZOS)
    return img


PHOTO_PLACEHOLDER = "🖼️"  # drawn where a kept photo cannot be opened


def _photo_image(data: bytes, width: int, height: int, radius: int) -> Image.Image | None:
    """A kept photo cropped to fill width x height with rounded corners, or None if it cannot
    be opened (bot.render.safe_image, the one way kept pictures are opened)."""
    # Twice the box, so the crop to fill it still has pixels to spare.
    opened = safe_image.open_stored(data, 2 * max(width, height))
    if opened is None:
        return None
    photo = ImageOps.fit(opened.convert("RGB"), (width, height), Image.Resampling.LANCZOS)
    photo.putalpha(_rounded_mask(width, height, radius))
    return photo


# -------------------------------------------------------------------------------------- layout --


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
    box: Box
    symbol: Box  # where the symbol or photo goes
    label_top: int
    label: TextBlock
    radius: int
    badge: int  # tick badge diameter


@dataclass(frozen=True)
class CardLayout:
    width: int
    height: int
    title: TextBlock
    title_box: Box
    tiles: tuple[TileLayout, ...]
    footer: TextBlock
    footer_top: int


def fit_tiered(
    text: str,
    family: str,
    box: tuple[float, float],
    tiers: Sequence[tuple[int, float]],
    start: int,
    smallest: int,
) -> TextBlock:
    """Fewer lines first: for each (lines, floor) tier try sizes from start down to
    start * floor; if no tier fits the whole text, shrink to smallest on the last tier's lines
    (ending with an ellipsis if even that is too long). box = (max width, max height)."""
    flat = " ".join(text.split())
    max_w, max_h = box
    for lines, floor in tiers:
        block = fit_text(
            flat, family, max_w, max_h, lines, start, max(smallest, round(start * floor))
        )
        if _complete(block, flat):
            return block
    return fit_text(flat, family, max_w, max_h, tiers[-1][0], start, smallest)


def _fit_title(title: str, family: str, scale: float) -> TextBlock:
    """One line if it fits at >= 82% size, else two at >= 78%, else three (shrinking to fit):
    a slightly smaller title keeps the card square and the tiles big."""
    box = (WIDTH - 2 * _MARGIN - 56, 10_000)
    start = round(80 * scale)
    smallest = round(42 * min(scale, 1.25))
    return fit_tiered(title, family, box, ((1, 0.82), (2, 0.78), (3, 0.0)), start, smallest)


def _complete(block: TextBlock, text: str) -> bool:
    return " ".join(block.lines) == " ".join(text.split())


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


def layout_card(card: Card, style: CardStyle = CardStyle()) -> CardLayout:
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


# ------------------------------------------------------------------------------------ drawing --


def _draw_symbol(canvas: Image.Image, tile: Tile, spot: TileLayout) -> None:
    left, top, right, bottom = spot.symbol
    width, height = right - left, bottom - top
    picture: Image.Image | None = None
    if tile.image:
        picture = _photo_image(tile.image, width, height, max(12, spot.radius - 8))
        if picture is None:
            picture = emoji_image(PHOTO_PLACEHOLDER, min(width, height))
    else:
        picture = emoji_image(tile.emoji, min(width, height))
    if picture is None:
        return
    x = left + (width - picture.width) // 2
    y = top + (height - picture.height) // 2
    canvas.paste(picture, (x, y), picture)


def _draw_tile(
    canvas: Image.Image, draw: ImageDraw.ImageDraw, tile: Tile, spot: TileLayout, pal: Palette
) -> None:
    if tile.selected:
        colours = (pal.background, pal.accent, pal.selected_fill)
        _rounded_box(canvas, spot.box, spot.radius, colours, pal.selected_width)
    else:
        colours = (pal.background, pal.outline, pal.tile)
        _rounded_box(canvas, spot.box, spot.radius, colours, pal.outline_width)
    _draw_symbol(canvas, tile, spot)
    centre = (spot.box[0] + spot.box[2]) // 2
    _draw_block(draw, spot.label, centre, spot.label_top, pal.text)
    if tile.selected:
        badge = _tick_badge(spot.badge, pal.accent, (255, 255, 255))
        inset = pal.selected_width // 2
        canvas.paste(badge, (spot.box[2] - badge.width - inset, spot.box[1] + inset), badge)


def _draw_title(
    canvas: Image.Image, draw: ImageDraw.ImageDraw, lay: CardLayout, pal: Palette
) -> None:
    if not lay.title.lines:
        return
    if pal.banner != pal.background:
        _rounded_box(canvas, lay.title_box, 28, (pal.background, pal.banner, pal.banner), 0)
    box = lay.title_box
    top = box[1] + (box[3] - box[1] - lay.title.height) // 2
    _draw_block(draw, lay.title, WIDTH // 2, top, pal.text)


ATTRIBUTION = (
    "Symbols: OpenMoji (openmoji.org), CC BY-SA 4.0. Text: Atkinson Hyperlegible, SIL OFL 1.1."
)


def _png(canvas: Image.Image) -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Copyright", ATTRIBUTION)
    out = io.BytesIO()
    canvas.save(out, "PNG", compress_level=_PNG_LEVEL, pnginfo=info)
    return out.getvalue()


def render_card(card: Card, style: CardStyle = CardStyle()) -> bytes:
    """The card as PNG bytes (RGB, 1080 px wide)."""
    pal = palette_for(style)
    lay = layout_card(card, style)
    canvas = Image.new("RGB", (lay.width, lay.height), pal.background)
    draw = ImageDraw.Draw(canvas)
    _draw_title(canvas, draw, lay, pal)
    for tile, spot in zip(card.tiles, lay.tiles, strict=True):
        _draw_tile(canvas, draw, tile, spot, pal)
    if lay.footer.lines:
        _draw_block(draw, lay.footer, WIDTH // 2, lay.footer_top, pal.muted)
    return _png(canvas)


# ---------------------------------------------------------------------------- review picture --

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
    items = [_split_line(line) for line in lines]
    for index, (emoji, text, symbols) in enumerate(items):
        block = fit_text(
            text, style.font, text_w, 10_000, _REVIEW_LINES, size, max(28, round(size * 0.8))
        )
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
    title: str, lines: Sequence[ReviewLine], style: CardStyle = CardStyle()
) -> bytes:
    """A 'this is what you said' picture: the title, then one row per (emoji, text) line.

    Long lines wrap; a line's chosen symbols are drawn small under its words. The picture
    grows to fit, up to MAX_TEXT_CARD_HEIGHT, then ends with "…and N more" (the review is sent
    in pages of a few lines, bot/service/present.py, so its pictures stay under the cap). A
    plain string is accepted as a line with no symbol.
    """
    pal = palette_for(style)
    scale = _scale(style)
    head = layout_card(Card(title=title), style)
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


# ------------------------------------------------------------------------------- keys & cache --


def _style_fields(style: CardStyle) -> list[object]:
    return [
        round(_scale(style), 4),
        style.palette if style.palette in PALETTES else "standard",
        fonts.text_font_path(style.font).name,
        fonts.has_raqm(),
    ]


def _digest(payload: object) -> str:
    raw = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def card_key(card: Card, style: CardStyle) -> str:
    """A stable sha256 of everything that changes the pixels (including RENDER_VERSION)."""
    tiles = [
        [
            t.label,
            t.emoji,
            hashlib.sha256(t.image).hexdigest() if t.image else None,
            bool(t.selected),
        ]
        for t in card.tiles
    ]
    return _digest(["card", RENDER_VERSION, card.title, tiles, card.footer, _style_fields(style)])


def text_card_key(title: str, lines: Sequence[ReviewLine], style: CardStyle) -> str:
    items = [[emoji, text, list(symbols)] for emoji, text, symbols in map(_split_line, lines)]
    return _digest(["text", RENDER_VERSION, title, items, _style_fields(style)])


class CardCache:
    """An in-process LRU of rendered PNG bytes, keyed by card_key. Thread-safe."""

    def __init__(self, max_entries: int = 256) -> None:
        self.max_entries = max(1, max_entries)
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._items)

    def _get(self, key: str) -> bytes | None:
        with self._lock:
            png = self._items.get(key)
            if png is not None:
                self._items.move_to_end(key)
                self.hits += 1
            return png

    def _put(self, key: str, png: bytes) -> None:
        with self._lock:
            self.misses += 1
            self._items[key] = png
            self._items.move_to_end(key)
            while len(self._items) > self.max_entries:
                self._items.popitem(last=False)

    def get_or_render(self, card: Card, style: CardStyle = CardStyle()) -> tuple[str, bytes]:
        key = card_key(card, style)
        png = self._get(key)
        if png is None:
            png = render_card(card, style)
            self._put(key, png)
        return key, png

    def get_or_render_text(
        self, title: str, lines: Sequence[ReviewLine], style: CardStyle = CardStyle()
    ) -> tuple[str, bytes]:
        key = text_card_key(title, lines, style)
        png = self._get(key)
        if png is None:
            png = render_text_card(title, lines, style)
            self._put(key, png)
        return key, png

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.hits = 0
            self.misses = 0


def clear_render_caches() -> None:
    """Forget cached glyphs, masks and fonts (for cold-start benchmarks)."""
    emoji_image.cache_clear()
    _missing_glyph.cache_clear()
    _rounded_mask.cache_clear()
    _corner.cache_clear()
    _tick_badge.cache_clear()
    fonts.clear_caches()


def warm_up(style: CardStyle = CardStyle()) -> float:
    """Open the fonts and draw a small card once, so the first real card is fast.

    Call it at bot start-up (in a worker thread). Returns the seconds it took.
    """
    started = time.perf_counter()
    render_card(Card(title="Hello", tiles=(Tile("Good", "😀"), Tile("OK", "😐"))), style)
    return time.perf_counter() - started
