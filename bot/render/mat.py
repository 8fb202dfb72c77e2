"""A Talking Mat as a picture: the topic, the three-point scale, and the cards under it.

The record of a Talking Mat is a photo of the finished mat; this is that photo, drawn.
"""

from __future__ import annotations

import io

from PIL import Image, ImageDraw

from bot.engine.screen import MatCard, MatView
from bot.render import scripts
from bot.render.cards import (
    PHOTO_PLACEHOLDER,
    WIDTH,
    CardStyle,
    Palette,
    _draw_block,
    _photo_image,
    _rounded_box,
    _scale,
    emoji_image,
    fit_text,
    palette_for,
)

_MARGIN = 30
_GAP = 18
_COLUMN_GAP = 16


def render_mat(view: MatView, style: CardStyle | None = None,
               images: dict[int, bytes] | None = None, title: str = "") -> bytes:
    """PNG of the mat. `images` holds the photos of personal cards, by media id. Words no
    font covers are drawn as "(see the words below)" (bot.render.scripts.shown): the caption
    carries them (bot.service.drawing.words_not_drawn)."""
    style = style or CardStyle()
    pal = palette_for(style)
    scale = _scale(style)
    images = images or {}
    col_w = (WIDTH - 2 * _MARGIN - 2 * _COLUMN_GAP) // 3
    longest = max((len(c) for c in view.columns), default=0)
    card_h = round((170 if longest <= 4 else 130) * min(scale, 1.3))
    header_h = round(230 * min(scale, 1.3))
    top_h = round(150 * min(scale, 1.3))
    current_h = round(200 * min(scale, 1.3)) if view.current else 0
    left_h = 80 if view.left_off else 0
    body_h = max(1, longest) * (card_h + _GAP)
    height = _MARGIN + top_h + _GAP + header_h + _GAP + body_h + current_h + left_h + _MARGIN
    canvas = Image.new("RGB", (WIDTH, height), pal.background)
    draw = ImageDraw.Draw(canvas)

    y = _MARGIN
    _draw_topic(canvas, draw, view.topic, title, pal, style, (y, top_h), images)
    y += top_h + _GAP
    for i, (head, column) in enumerate(zip(view.scale, view.columns, strict=True)):
        x = _MARGIN + i * (col_w + _COLUMN_GAP)
        _rounded_box(canvas, (x, y, x + col_w, y + header_h), 26,
                     (pal.background, pal.outline, pal.banner), pal.outline_width + 2)
        _draw_card_face(canvas, draw, head, (x, y, x + col_w, y + header_h), pal, style, images,
                        big=True)
        cy = y + header_h + _GAP
        for card in column:
            box = (x + 8, cy, x + col_w - 8, cy + card_h)
            _rounded_box(canvas, box, 22, (pal.background, pal.outline, pal.tile),
                         pal.outline_width)
            _draw_card_face(canvas, draw, card, box, pal, style, images)
            cy += card_h + _GAP
    y += header_h + _GAP + body_h
    if view.current is not None:
        box = (WIDTH // 2 - col_w // 2 - 40, y, WIDTH // 2 + col_w // 2 + 40, y + current_h - 10)
        _rounded_box(canvas, box, 26, (pal.background, pal.accent, pal.selected_fill),
                     pal.selected_width)
        _draw_card_face(canvas, draw, view.current, box, pal, style, images, big=True)
        y += current_h
    if view.left_off:
        words = scripts.shown("Left off: " + ", ".join(c.words for c in view.left_off),
                              style.font)
        block = fit_text(words, style.font, WIDTH - 2 * _MARGIN, left_h, 2,
                         round(36 * scale), 22)
        _draw_block(draw, block, WIDTH // 2, y + 10, pal.muted)
    out = io.BytesIO()
    canvas.save(out, "PNG", compress_level=3)
    return out.getvalue()


def _draw_topic(canvas: Image.Image, draw: ImageDraw.ImageDraw, topic: MatCard, title: str,
                pal: Palette, style: CardStyle, band: tuple[int, int],
                images: dict[int, bytes]) -> None:
    top, height = band
    symbol = _symbol(topic, height - 20, images)
    left = _MARGIN
    if symbol is not None:
        canvas.paste(symbol, (left, top + (height - symbol.height) // 2), symbol)
        left += symbol.width + 24
    words = scripts.shown(title or topic.words, style.font)
    block = fit_text(words, style.font, WIDTH - left - _MARGIN, height, 2,
                     round(72 * _scale(style)), 32)
    text_top = top + (height - block.height) // 2
    centre = left + (WIDTH - left - _MARGIN) // 2
    _draw_block(draw, block, centre, text_top, pal.text)


def _symbol(card: MatCard, box: int, images: dict[int, bytes]) -> Image.Image | None:
    if card.image is not None and card.image in images:
        photo = _photo_image(images[card.image], box, box, box // 8)
        # A photo that cannot be opened still has a picture: the placeholder cards use.
        return photo if photo is not None else emoji_image(PHOTO_PLACEHOLDER, box)
    return emoji_image(card.emoji, box) if card.emoji else None


def _draw_card_face(canvas: Image.Image, draw: ImageDraw.ImageDraw, card: MatCard,
                    box: tuple[int, int, int, int], pal: Palette, style: CardStyle,
                    images: dict[int, bytes], *, big: bool = False) -> None:
    left, top, right, bottom = box
    height = bottom - top
    symbol_box = round(height * (0.5 if big else 0.52))
    symbol = _symbol(card, symbol_box, images)
    y = top + 10
    if symbol is not None:
        canvas.paste(symbol, (left + (right - left - symbol.width) // 2, y), symbol)
        y += symbol_box + 6
    text_h = bottom - y - 8
    size = round((44 if big else 34) * _scale(style))
    words = scripts.shown(card.words, style.font)
    block = fit_text(words, style.font, right - left - 20, text_h, 2, size, 18)
    _draw_block(draw, block, (left + right) // 2, y + max(0, (text_h - block.height) // 2),
                pal.text)
