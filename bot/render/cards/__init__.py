"""Picture cards: a question with 1-12 symbol tiles, drawn with Pillow and sent to Telegram
as JPEG (shapes.encode, chosen by measurement: bench/encoders.py).

Symbols come from the OpenMoji COLRv0 font (CC BY-SA 4.0), words are set in Atkinson Hyperlegible
Bold (or OpenDyslexic when installed). Every tile always carries its words, because Telegram
clients are hard to use with a screen reader and some young people read the word, not the picture.

Public API: `Tile`, `CardStyle`, `Card`, `draw_card` (the canvas), `render_card` (its bytes),
`render_text_card` (`draw_text_card`: the same picture as an image), `card_key`,
`text_card_key`, `CardCache`, `layout_card` (geometry, for tests and previews), `PALETTES`.

The package is split by responsibility: `style` (the data types, palettes and canvas
geometry), `text` (fitting words to a box), `shapes` (rounded boxes, symbols, photos, the
one encoder), `layout` (where everything on a card goes), `draw` (the card composition),
`parts` (drawn parts kept to paste), `review` (the "this is what you said" picture) and
`cache` (keys, the LRU, warm-up). Names with a leading
underscore are shared between these modules only; the few that bot/render/mat.py and
bot/render/profile.py draw with are re-exported here.
"""

from __future__ import annotations

from bot.render.cards.cache import RENDER_VERSION, CardCache, card_key, text_card_key, warm_up
from bot.render.cards.draw import draw_card, render_card
from bot.render.cards.layout import CardLayout, TileLayout, grid_shape, layout_card
from bot.render.cards.review import ReviewLine, draw_text_card, render_text_card
from bot.render.cards.shapes import (
    ATTRIBUTION,
    PHOTO_PLACEHOLDER,
    _photo_image,
    _png,
    _rounded_box,
    attribution,
    clear_render_caches,
    emoji_image,
)
from bot.render.cards.style import (
    BASE_HEIGHT,
    DEFAULT_STYLE,
    MAX_TEXT_CARD_HEIGHT,
    MAX_TILES,
    PALETTES,
    RGB,
    WIDTH,
    Box,
    Card,
    CardStyle,
    Palette,
    Tile,
    _scale,
    palette_for,
)
from bot.render.cards.text import TextBlock, _draw_block, fit_text, fit_tiered

__all__ = [
    "ATTRIBUTION",
    "BASE_HEIGHT",
    "DEFAULT_STYLE",
    "MAX_TEXT_CARD_HEIGHT",
    "MAX_TILES",
    "PALETTES",
    "PHOTO_PLACEHOLDER",
    "RENDER_VERSION",
    "RGB",
    "WIDTH",
    "Box",
    "Card",
    "CardCache",
    "CardLayout",
    "CardStyle",
    "Palette",
    "ReviewLine",
    "TextBlock",
    "Tile",
    "TileLayout",
    "_draw_block",
    "_photo_image",
    "_png",
    "_rounded_box",
    "_scale",
    "attribution",
    "card_key",
    "clear_render_caches",
    "draw_card",
    "draw_text_card",
    "emoji_image",
    "fit_text",
    "fit_tiered",
    "grid_shape",
    "layout_card",
    "palette_for",
    "render_card",
    "render_text_card",
    "text_card_key",
    "warm_up",
]
