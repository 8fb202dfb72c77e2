"""Cache keys (a sha256 of everything that changes the pixels) and the in-process LRU of
rendered PNGs, plus the start-up warm-up."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence

from bot.render import fonts, symbol_set
from bot.render.cards.draw import render_card
from bot.render.cards.review import ReviewLine, _split_line, render_text_card
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

    def get_or_render(self, card: Card, style: CardStyle = DEFAULT_STYLE) -> tuple[str, bytes]:
        """(card_key, PNG bytes), drawn only when not cached."""
        key = card_key(card, style)
        png = self._get(key)
        if png is None:
            png = render_card(card, style)
            self._put(key, png)
        return key, png

    def get_or_render_text(
        self, title: str, lines: Sequence[ReviewLine], style: CardStyle = DEFAULT_STYLE
    ) -> tuple[str, bytes]:
        """(text_card_key, PNG bytes) of a review picture, drawn only when not cached."""
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



def warm_up(style: CardStyle = DEFAULT_STYLE) -> float:
    """Open the fonts and draw a small card once, so the first real card is fast.

    Call it at bot start-up (in a worker thread). Returns the seconds it took.
    """
    started = time.perf_counter()
    render_card(Card(title="Hello", tiles=(Tile("Good", "😀"), Tile("OK", "😐"))), style)
    return time.perf_counter() - started
