"""The card composition: the title banner, then each tile (box, symbol or photo, words, tick),
then the footer, drawn from the layout as a PNG."""

from __future__ import annotations

from PIL import Image, ImageDraw

from bot.render.cards.layout import CardLayout, TileLayout, layout_card
from bot.render.cards.shapes import (
    PHOTO_PLACEHOLDER,
    _photo_image,
    _png,
    _rounded_box,
    _tick_badge,
    emoji_image,
)
from bot.render.cards.style import DEFAULT_STYLE, WIDTH, Card, CardStyle, Palette, Tile, palette_for
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



def render_card(card: Card, style: CardStyle = DEFAULT_STYLE) -> bytes:
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
