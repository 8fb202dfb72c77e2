"""Cache keys (a sha256 of everything that changes the pixels) and the in-process LRU of
encoded pictures (JPEG, shapes.encode), plus the start-up warm-up."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Sequence

from bot.render import fonts, symbol_set
from bot.render.cards.draw import draw_card, render_card
from bot.render.cards.layout import remembered_layout
from bot.render.cards.parts import SHARED_PARTS, SYMBOL_PARTS, PartsCache
from bot.render.cards.review import ReviewLine, _split_line, render_text_card
from bot.render.cards.shapes import PHOTO_PLACEHOLDER, emoji_image
from bot.render.cards.style import DEFAULT_STYLE, PALETTES, Card, CardStyle, Tile, _scale

# 4: whole words at every text size (issue 15, point 5); 5: text the card font lacks is
# drawn in a fallback font (bot.render.scripts), not as boxes (issue 15, point 10); 6: symbols
# that match their words (issue 15, point 1).
RENDER_VERSION = "6"


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
    # The service's own symbols (MYSAY_SYMBOLS_DIR) drawn here: their files' digests.
    own = symbol_set.active().marks(t.emoji for t in card.tiles if not t.image)
    return _digest(["card", RENDER_VERSION, card.title, tiles, card.footer, _style_fields(style),
                    *([own] if own else [])])


def text_card_key(title: str, lines: Sequence[ReviewLine], style: CardStyle) -> str:
    """A stable sha256 of everything that changes a review picture's pixels."""
    items = [[emoji, text, list(symbols)] for emoji, text, symbols in map(_split_line, lines)]
    own = symbol_set.active().marks(e for emoji, _, symbols in items for e in (emoji, *symbols))
    return _digest(["text", RENDER_VERSION, title, items, _style_fields(style),
                    *([own] if own else [])])


class CardCache:
    """An in-process LRU of encoded picture bytes, keyed by card_key. Thread-safe."""

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

    def get_or_render(
        self, card: Card, style: CardStyle = DEFAULT_STYLE, parts: PartsCache = SHARED_PARTS
    ) -> tuple[str, bytes]:
        """(card_key, picture bytes), drawn only when not cached, from the drawn parts in `parts`
        (this cache holds shared pictures only, so SHARED_PARTS unless told otherwise)."""
        key = card_key(card, style)
        png = self._get(key)
        if png is None:
            png = render_card(card, style, parts)
            self._put(key, png)
        return key, png

    def get_or_render_text(
        self, title: str, lines: Sequence[ReviewLine], style: CardStyle = DEFAULT_STYLE
    ) -> tuple[str, bytes]:
        """(text_card_key, picture bytes) of a review picture, drawn only when not cached."""
        key = text_card_key(title, lines, style)
        png = self._get(key)
        if png is None:
            png = render_text_card(title, lines, style)
            self._put(key, png)
        return key, png

    def clear(self) -> None:
        """Forget every cached picture and reset the hit and miss counts."""
        with self._lock:
            self._items.clear()
            self.hits = 0
            self.misses = 0



WARM_UP_SECONDS = 15.0  # at most this long drawing symbols ahead at start-up
WARM_UP_SHARE = 0.6  # at most this share of SYMBOL_PARTS filled ahead at start-up


def warm_up(
    style: CardStyle = DEFAULT_STYLE,
    cards: Iterable[Card] = (),
    seconds: float = WARM_UP_SECONDS,
) -> float:
    """Open the fonts and draw a small card once, then lay out each of `cards` (remembered:
    layout.remembered_layout) and draw its symbols at the sizes the card shows them (kept by
    shapes.emoji_image's cache), so a card a young person has not seen yet is drawn
    without measuring its words or drawing its symbols (issue 17, point 5).

    `cards`: shared cards only (their words are remembered in the clear), e.g.
    bot.render.flow_cards.flow_cards, in the order people meet them (the menu first). Stops
    after `seconds`, or once the symbols fill WARM_UP_SHARE of SYMBOL_PARTS, so the cards
    met first are not pushed out by later ones and there is room for other sizes. Memory: at
    most that share of SYMBOL_PARTS, and a few hundred bytes a layout (at most
    layout._LAYOUTS). Tiles themselves are not drawn ahead: every flow's tiles would be
    ~130 MB, more than SHARED_PARTS holds.

    Call it at bot start-up (in a worker thread). Returns the seconds it took."""
    started = time.perf_counter()
    draw_card(Card(title="Hello", tiles=(Tile("Good", "😀"), Tile("OK", "😐"))), style,
              SHARED_PARTS)
    room = SYMBOL_PARTS.max_bytes * WARM_UP_SHARE
    for card in cards:
        if time.perf_counter() - started > seconds or SYMBOL_PARTS.bytes > room:
            break
        lay = remembered_layout(card, style)
        for tile, spot in zip(card.tiles, lay.tiles, strict=True):
            left, top, right, bottom = spot.symbol
            emoji_image(PHOTO_PLACEHOLDER if tile.image else tile.emoji,
                        min(right - left, bottom - top))
    return time.perf_counter() - started
