"""The one-page profile as one picture: a photo (if they sent one) and three headings."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from PIL import Image, ImageDraw

from bot.render import scripts, symbol_set
from bot.render.cards import (
    WIDTH,
    CardStyle,
    TextBlock,
    _draw_block,
    _photo_image,
    _png,
    _scale,
    draw_text_card,
    emoji_image,
    fit_text,
    palette_for,
)
from bot.render.cards.parts import PartsCache, digest
from bot.render.cards.review import _style_key

_HEADER = 360


def title_block(title: str, style: CardStyle, width: int) -> TextBlock:
    """The profile's title, whole: up to three lines in the header, shrinking to 36 px, else
    on as many lines as it needs (issue 15, point 5)."""
    size = round(76 * _scale(style))
    block = fit_text(title, style.font, width, _HEADER - 40, 3, size, 36)
    if block.whole:
        return block
    return fit_text(title, style.font, width, 10_000, 1000, size, 36)


def _header(title: str, photo: bytes | None, style: CardStyle) -> Image.Image:
    """The header: their photo (or a smiling symbol) and the title, WIDTH px wide, at least
    _HEADER px high (a long title makes it taller, never cut)."""
    pal = palette_for(style)
    picture = _photo_image(photo, 300, 300, 150) if photo else None
    if picture is None:
        picture = emoji_image("🙂", 260)
    left = 40 + (picture.width + 40 if picture is not None else 0)
    block = title_block(scripts.shown(title, style.font), style, WIDTH - left - 40)
    height = max(_HEADER, block.height + 40)
    header = Image.new("RGB", (WIDTH, height), pal.banner)
    draw = ImageDraw.Draw(header)
    if picture is not None:
        header.paste(picture, (40, (height - picture.height) // 2), picture)
    _draw_block(draw, block, left + (WIDTH - left - 40) // 2, (height - block.height) // 2,
                pal.text)
    return header


def _header_part(title: str, photo: bytes | None, style: CardStyle,
                 parts: PartsCache) -> Image.Image:
    """The header from `parts`, drawn once per title, photo and style. The key names the title
    and photo only by a digest (they are the young person's)."""
    photo_digest = hashlib.sha256(photo).hexdigest() if photo else None
    own = tuple(symbol_set.active().marks(["🙂"]))  # drawn when a photo cannot be opened too
    key = ("profile-header", digest(title, photo_digest), _style_key(style), own)
    return parts.get(key, lambda: _header(title, photo, style))


def draw_profile(title: str, sections: Sequence[tuple[str, Sequence[tuple[str, str]]]],
                 photo: bytes | None = None, style: CardStyle | None = None,
                 parts: PartsCache | None = None) -> Image.Image:
    """The profile as an RGB image WIDTH px wide: the header (their photo, else a symbol, and
    the title), then one review picture per section (bot.render.cards.draw_text_card, "Nothing
    yet" when a section is empty). `sections`: (heading, [(emoji, words)]) in order. Words no
    font covers are drawn as "(see the words below)" (bot.render.scripts.shown): the caption
    carries them (bot.service.drawing.words_not_drawn).

    `parts`: None draws everything now; a cache (PERSONAL_PARTS for a young person) keeps the
    header and each section's title and rows, so a profile that changed by one line draws
    only that line. The pixels are the same either way."""
    style = style or CardStyle()
    pal = palette_for(style)
    header = _header(title, photo, style) if parts is None else \
        _header_part(title, photo, style, parts)
    pieces = [header]
    for heading, items in sections:
        lines = list(items) or [("–", "Nothing yet")]
        pieces.append(draw_text_card(heading, lines, style, parts))
    canvas = Image.new("RGB", (WIDTH, sum(p.height for p in pieces)), pal.background)
    y = 0
    for piece in pieces:
        canvas.paste(piece, (0, y))
        y += piece.height
    return canvas


def render_profile(title: str, sections: Sequence[tuple[str, Sequence[tuple[str, str]]]],
                   photo: bytes | None = None, style: CardStyle | None = None,
                   parts: PartsCache | None = None) -> bytes:
    """`draw_profile` encoded as the bytes MySay sends (bot.render.cards.shapes._png)."""
    return _png(draw_profile(title, sections, photo, style, parts))
