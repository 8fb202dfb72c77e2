"""The one-page profile as one picture: a photo (if they sent one) and three headings."""

from __future__ import annotations

import io
from collections.abc import Sequence

from PIL import Image, ImageDraw

from bot.render import scripts
from bot.render.cards import (
    WIDTH,
    CardStyle,
    TextBlock,
    _draw_block,
    _photo_image,
    _png,
    _scale,
    emoji_image,
    fit_text,
    palette_for,
    render_text_card,
)

_HEADER = 360


def title_block(title: str, style: CardStyle, width: int) -> TextBlock:
    """The profile's title, whole: up to three lines in the header, shrinking to 36 px, else
    on as many lines as it needs (issue 15, point 5)."""
    size = round(76 * _scale(style))
    block = fit_text(title, style.font, width, _HEADER - 40, 3, size, 36)
    if block.whole:
        return block
    return fit_text(title, style.font, width, 10_000, 1000, size, 36)


def render_profile(title: str, sections: Sequence[tuple[str, Sequence[tuple[str, str]]]],
                   photo: bytes | None = None, style: CardStyle | None = None) -> bytes:
    """`sections`: (heading, [(emoji, words)]) in order. Returns PNG bytes. Words no font
    covers are drawn as "(see the words below)" (bot.render.scripts.shown): the caption
    carries them (bot.service.drawing.words_not_drawn)."""
    style = style or CardStyle()
    pal = palette_for(style)
    picture = _photo_image(photo, 300, 300, 150) if photo else None
    if picture is None:
        picture = emoji_image("🙂", 260)
    left = 40 + (picture.width + 40 if picture is not None else 0)
    block = title_block(scripts.shown(title, style.font), style, WIDTH - left - 40)
    height = max(_HEADER, block.height + 40)  # a long title: the header grows, never cut
    header = Image.new("RGB", (WIDTH, height), pal.banner)
    draw = ImageDraw.Draw(header)
    if picture is not None:
        header.paste(picture, (40, (height - picture.height) // 2), picture)
    _draw_block(draw, block, left + (WIDTH - left - 40) // 2, (height - block.height) // 2,
                pal.text)
    parts = [header]
    for heading, items in sections:
        lines = list(items) or [("–", "Nothing yet")]
        parts.append(Image.open(io.BytesIO(render_text_card(heading, lines, style))))
    height = sum(p.height for p in parts)
    canvas = Image.new("RGB", (WIDTH, height), pal.background)
    y = 0
    for part in parts:
        canvas.paste(part.convert("RGB"), (0, y))
        y += part.height
    return _png(canvas)
