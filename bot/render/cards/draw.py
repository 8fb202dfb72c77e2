"""The card composition: the title banner, then each tile (box, symbol or photo, words, tick),
then the footer, drawn from the layout.

`draw_card` returns the canvas and `render_card` encodes it (shapes._png), so drawing and
encoding can be timed and changed apart (issue 17, point 1). With a `PartsCache`
(bot.render.cards.parts) each tile and the title banner is drawn once into an image of its
own, by the same functions that draw straight onto the canvas, and then pasted: a card that
differs by one tick or one tile costs a few pastes, not a new drawing."""

from __future__ import annotations

import hashlib
from dataclasses import replace

from PIL import Image, ImageDraw

from bot.render import symbol_set
from bot.render.cards.layout import CardLayout, TileLayout, layout_card, remembered_layout
from bot.render.cards.parts import PartsCache, digest
from bot.render.cards.shapes import (
    PHOTO_PLACEHOLDER,
    _photo_image,
    _png,
    _rounded_box,
    _tick_badge,
    emoji_image,
)
from bot.render.cards.style import (
    _TITLE_GAP,
    DEFAULT_STYLE,
    WIDTH,
    Box,
    Card,
    CardStyle,
    Palette,
    Tile,
    palette_for,
)
from bot.render.cards.text import _draw_block


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


def _shift(box: Box, dx: int, dy: int) -> Box:
    return (box[0] - dx, box[1] - dy, box[2] - dx, box[3] - dy)


def _tile_part(tile: Tile, spot: TileLayout, pal: Palette, parts: PartsCache) -> Image.Image:
    """The tile drawn by `_draw_tile` into an image of its own size (filled with the card's
    background, so its corners match), kept in `parts` under a digest of everything that
    changes its pixels; the photo goes in as its sha256, the words only inside the digest."""
    left, top = spot.box[0], spot.box[1]
    local = replace(spot, box=_shift(spot.box, left, top), symbol=_shift(spot.symbol, left, top),
                    label_top=spot.label_top - top)
    photo = hashlib.sha256(tile.image).hexdigest() if tile.image else None
    # The service's own symbol file (MYSAY_SYMBOLS_DIR), when it draws this tile's symbol.
    own = symbol_set.active().marks([PHOTO_PLACEHOLDER if tile.image else tile.emoji])
    key = ("tile", digest(local.box, local.symbol, local.label_top, local.label.lines,
                          local.label.size, local.label.family, local.radius, local.badge, pal,
                          tile.emoji if not tile.image else "", photo, bool(tile.selected), own))

    def make() -> Image.Image:
        part = Image.new("RGB", (local.box[2], local.box[3]), pal.background)
        _draw_tile(part, ImageDraw.Draw(part), tile, local, pal)
        return part

    return parts.get(key, make)


def _title_part(lay: CardLayout, pal: Palette, parts: PartsCache) -> Image.Image:
    """Everything above the tiles (the banner and the question), WIDTH wide, drawn by
    `_draw_title` once and kept in `parts` (the words only inside a digest)."""
    height = lay.title_box[3] + _TITLE_GAP
    key = ("title", digest(height, lay.title_box, lay.title.lines, lay.title.size,
                           lay.title.family, pal))

    def make() -> Image.Image:
        part = Image.new("RGB", (WIDTH, height), pal.background)
        _draw_title(part, ImageDraw.Draw(part), lay, pal)
        return part

    return parts.get(key, make)


def draw_card(
    card: Card, style: CardStyle = DEFAULT_STYLE, parts: PartsCache | None = None
) -> Image.Image:
    """The card drawn on an RGB canvas (1080 px wide, as high as layout_card says).

    `parts` None: every part drawn straight onto the canvas. With a PartsCache: the title and
    each tile come from it (drawn into it first when missing) and are pasted; the pixels are
    the same either way (tests/render/test_cached_cards.py). A cache with no idle limit holds
    only shared content (bot.render.cards.parts), so for it the layout is remembered too
    (layout.remembered_layout); a personal card's words are laid out afresh each time, and
    a cache with an idle limit (PERSONAL_PARTS) is pruned of idle parts first.
    Raises ValueError for more than MAX_TILES tiles."""
    pal = palette_for(style)
    if parts is not None and parts.max_idle is None:
        lay = remembered_layout(card, style)
    else:
        lay = layout_card(card, style)
    if parts is not None and parts.max_idle is not None:
        parts.prune()  # personal parts idle too long go now, not only when looked up again
    canvas = Image.new("RGB", (lay.width, lay.height), pal.background)
    draw = ImageDraw.Draw(canvas)
    if parts is None:
        _draw_title(canvas, draw, lay, pal)
        for tile, spot in zip(card.tiles, lay.tiles, strict=True):
            _draw_tile(canvas, draw, tile, spot, pal)
    else:
        if lay.title.lines:
            canvas.paste(_title_part(lay, pal, parts), (0, 0))
        for tile, spot in zip(card.tiles, lay.tiles, strict=True):
            canvas.paste(_tile_part(tile, spot, pal, parts), spot.box[:2])
    if lay.footer.lines:
        _draw_block(draw, lay.footer, WIDTH // 2, lay.footer_top, pal.muted)
    return canvas


def render_card(
    card: Card, style: CardStyle = DEFAULT_STYLE, parts: PartsCache | None = None
) -> bytes:
    """The card as picture bytes (JPEG, RGB, 1080 px wide): `draw_card` encoded by shapes._png.
    `parts`: see draw_card. Raises ValueError for more than MAX_TILES tiles."""
    return _png(draw_card(card, style, parts))
