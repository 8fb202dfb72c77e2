"""What a card is and how it looks: tiles, cards, the reader's style, the palettes, and the
canvas geometry every picture shares."""

from __future__ import annotations

import logging
from dataclasses import dataclass

log = logging.getLogger("bot.render.cards")  # the name it always had

WIDTH = 1080
BASE_HEIGHT = 1080
MAX_TILES = 12
MAX_TEXT_CARD_HEIGHT = 2600

_MARGIN = 40
_GAP = 24
_TOP = 44
_BOTTOM = 40
_TITLE_GAP = 34

Box = tuple[int, int, int, int]  # left, top, right, bottom
RGB = tuple[int, int, int]


@dataclass(frozen=True)
class Tile:
    """One choice on a card: its words, and a symbol or a personal photo."""

    label: str  # the words under the symbol (always drawn)
    emoji: str = ""  # emoji sequence drawn with OpenMoji; "" when image is given
    image: bytes | None = None  # a personal photo card instead of an emoji (JPEG/PNG bytes)
    selected: bool = False  # multi-select: tick badge and a thicker, coloured border


@dataclass(frozen=True)
class CardStyle:
    """The reader's own settings: text size, colours and font."""

    text_scale: float = 1.0  # 1.0 normal, 1.25 large, 1.5 extra large
    palette: str = "standard"  # "standard", "high_contrast", "calm" or "plain"
    font: str = "atkinson"  # "atkinson" or "opendyslexic"


DEFAULT_STYLE = CardStyle()  # frozen, so one shared default is safe


@dataclass(frozen=True)
class Card:
    """A question with its tiles and an optional footer."""

    title: str  # the question, wrapped on up to 3 lines, shrunk to fit
    tiles: tuple[Tile, ...] = ()  # 0..12 tiles
    footer: str = ""  # optional small line at the bottom (e.g. "Step 2 of 5")


@dataclass(frozen=True)
class Palette:
    """The colours and outline widths of one palette (contrast checked in tests)."""

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
    # The grown-up style's own colours (issue 15, point 4): white and greys, no warm or
    # cheerful tints, every text at least 7:1 (tests/render check it like the others).
    "plain": Palette(
        background=_hex("#F4F4F4"),
        tile=_hex("#FFFFFF"),
        outline=_hex("#4A4A4A"),
        text=_hex("#151515"),
        muted=_hex("#3A3A3A"),
        accent=_hex("#262626"),
        selected_fill=_hex("#E2E2E2"),
        banner=_hex("#E6E6E6"),
        outline_width=4,
        selected_width=12,
    ),
}


def palette_for(style: CardStyle) -> Palette:
    """The style's palette; 'standard' (with a warning) when the name is unknown."""
    palette = PALETTES.get(style.palette)
    if palette is None:
        log.warning("Unknown card palette %r; using 'standard'.", style.palette)
        return PALETTES["standard"]
    return palette


def _scale(style: CardStyle) -> float:
    return min(2.0, max(0.75, float(style.text_scale)))
