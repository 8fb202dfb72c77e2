"""A Talking Mat as a picture: the topic, the three-point scale, and the cards under it.

The record of a Talking Mat is a photo of the finished mat; this is that photo, drawn.
Every card's words are whole (issue 15, point 5): where they do not fit a card at the style's
text size, they wrap onto more lines and the cards grow taller (`layout_mat`), never cut.

During a mat the picture is redrawn after every placement. `draw_mat` with a parts cache
(bot.render.cards.parts) draws the top (topic and scale) and each card's face once and pastes
them, with the same functions the full redraw uses, so the two are equal pixel for pixel
(tests/render/test_cached_mat.py). `render_mat` encodes the picture.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

from PIL import Image, ImageDraw

from bot.engine.screen import MatCard, MatView
from bot.render import scripts, symbol_set
from bot.render.cards import (
    PHOTO_PLACEHOLDER,
    WIDTH,
    CardStyle,
    Palette,
    TextBlock,
    _draw_block,
    _photo_image,
    _png,
    _rounded_box,
    _scale,
    attribution,
    emoji_image,
    fit_text,
    palette_for,
)
from bot.render.cards import parts as cached_parts
from bot.render.cards.parts import PartsCache, digest

_MARGIN = 30
_GAP = 18
_COLUMN_GAP = 16
_MANY = 1000  # as many lines as the words need (the card grows)
_FITS_MAX = 4096  # fitted words kept for redraws (each a few hundred bytes)
_RECENT_MAX = 4  # whole encoded mats kept (each a few hundred kilobytes)
_RECENT_IDLE_SECONDS = 120.0  # long enough for one reply's pictures, no longer
T = TypeVar("T")


@dataclass(frozen=True)
class MatLayout:
    """Sizes of the mat's parts and the fitted words of every card on it.

    `labels` lists (words, block, widest line) for every piece of text, in drawing order:
    the topic, the three scale headers, the column cards, the current card, "Left off"."""

    height: int
    col_w: int
    top_h: int
    header_h: int
    card_h: int
    current_h: int
    left_h: int
    card_symbol: int  # symbol size on a column card
    header_symbol: int  # symbol size on a scale header
    current_symbol: int  # symbol size on the card being placed
    topic_symbol: int  # symbol size beside the topic
    topic: TextBlock
    heads: tuple[TextBlock, ...]
    columns: tuple[tuple[TextBlock, ...], ...]
    current: TextBlock | None
    left: TextBlock | None
    labels: tuple[tuple[str, TextBlock, int], ...]


def _whole(words: str, style: CardStyle, width: int, room: int, lines: int, size: int,
           smallest: int) -> TextBlock:
    """words fitted as before (room high, `lines` lines, down to smallest) when that holds
    them whole; else whole words on as many lines as they need, no smaller than 60% of size
    at larger text (the part that holds them grows). Cut only a word wider than width at 18."""
    block = fit_text(words, style.font, width, room, lines, size, smallest)
    if block.whole:
        return block
    floor = smallest if _scale(style) <= 1.0 else max(smallest, round(size * 0.6))
    block = fit_text(words, style.font, width, 10_000, max(3, lines), size, floor)
    if block.whole:
        return block
    return fit_text(words, style.font, width, 10_000, _MANY, size, 18)


class _Memo(Generic[T]):
    """Values worked out once and then remembered, for the redraws of a mat in progress: the
    same cards' words are fitted again after every placement, and the finished mat is drawn
    for the record and again for the review. The values hold a young person's content, so it
    is kept like bot.render.cards.parts.PERSONAL_PARTS: in memory only, at most `max_items`,
    least-recently-used first out, an entry unused for `max_idle` seconds dropped, and all
    forgotten with the personal parts when anyone's data is erased (`forget`, registered with
    parts.on_forget_personal). Keys must name personal content by its digest only."""

    def __init__(self, max_items: int, max_idle: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.max_items = max_items
        self.max_idle = max_idle
        self._clock = clock
        self._items: OrderedDict[Hashable, tuple[T, float]] = OrderedDict()
        self._generation = 0  # bumped by forget
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: Hashable, make: Callable[[], T]) -> T:
        """The value kept under `key`, or `make()` worked out now (outside the lock) and kept
        (unless `forget` ran meanwhile: an erasure is not undone by a drawing in progress)."""
        now = self._clock()
        with self._lock:
            generation = self._generation
            found = self._items.get(key)
            if found is not None and now - found[1] <= self.max_idle:
                self._items[key] = (found[0], now)
                self._items.move_to_end(key)
                return found[0]
        value = make()
        with self._lock:
            if generation != self._generation:
                return value
            self._items[key] = (value, now)
            self._items.move_to_end(key)
            while len(self._items) > self.max_items:
                self._items.popitem(last=False)
        return value

    def forget(self) -> None:
        """Forget every value."""
        with self._lock:
            self._items.clear()
            self._generation += 1

    def prune(self) -> int:
        """Drop every value unused for longer than `max_idle`. Returns how many went."""
        now = self._clock()
        with self._lock:
            stale = [k for k, (_, used) in self._items.items() if now - used > self.max_idle]
            for key in stale:
                del self._items[key]
        return len(stale)


_FITS: _Memo[TextBlock] = _Memo(_FITS_MAX, cached_parts.PERSONAL_IDLE_SECONDS)
# The last few whole mats, encoded: the finished mat is drawn for the record after commit
# (bot.service.drawing.MatPicture) and again moments later as the review's picture
# (bot.render.screens.Picture), the same picture; the second is this memo's.
_RECENT: _Memo[bytes] = _Memo(_RECENT_MAX, _RECENT_IDLE_SECONDS)
cached_parts.on_forget_personal(_FITS.forget, _FITS.prune)
cached_parts.on_forget_personal(_RECENT.forget, _RECENT.prune)


def _remembered_whole(words: str, style: CardStyle, width: int, room: int, lines: int,
                      size: int, smallest: int) -> TextBlock:
    """`_whole` of the same arguments, fitted once and then kept in `_FITS`."""
    # Everything `_whole` reads: the words, the font, whether the text is enlarged, the box.
    key = (digest(words), style.font, _scale(style) <= 1.0, width, room, lines, size, smallest)
    return _FITS.get(key, lambda: _whole(words, style, width, room, lines, size, smallest))


_Fit = Callable[[str, CardStyle, int, int, int, int, int], TextBlock]


def _face(card: MatCard, style: CardStyle, width: int, height: int, symbol: int,
          big: bool, whole: _Fit = _whole) -> tuple[TextBlock, int]:
    """(the card's words, the height the card needs for them) on a face `height` high.
    `whole` fits the words (`_whole`, or a memo of it)."""
    text_h = height - 10 - (symbol + 6 if card.emoji or card.image is not None else 0) - 8
    size = round((44 if big else 34) * _scale(style))
    block = whole(scripts.shown(card.words, style.font), style, width, text_h, 2, size, 18)
    return block, height + max(0, block.height - text_h)


def layout_mat(view: MatView, style: CardStyle, title: str = "",
               remember: bool = False) -> MatLayout:
    """Where the mat's parts go and their words, every card's words whole: a card too small
    for them grows (all cards of a kind alike), the topic band and "Left off" likewise.
    `remember`: fit words through the bounded, forgettable memo `_FITS` (the redraws of a mat
    in progress), not afresh; the layout is the same either way."""
    whole: _Fit = _remembered_whole if remember else _whole
    scale = _scale(style)
    col_w = (WIDTH - 2 * _MARGIN - 2 * _COLUMN_GAP) // 3
    longest = max((len(c) for c in view.columns), default=0)
    card_h = round((170 if longest <= 4 else 130) * min(scale, 1.3))
    header_h = round(230 * min(scale, 1.3))
    top_h = round(150 * min(scale, 1.3))
    current_h = round(200 * min(scale, 1.3)) if view.current else 0
    card_symbol, header_symbol = round(card_h * 0.52), round(header_h * 0.5)
    heads = [_face(h, style, col_w - 20, header_h, header_symbol, True, whole)
             for h in view.scale]
    header_h = max([header_h, *(need for _, need in heads)])
    cols = [[_face(c, style, col_w - 36, card_h, card_symbol, False, whole) for c in column]
            for column in view.columns]
    card_h = max([card_h, *(need for column in cols for _, need in column)])
    current = None
    current_symbol = round((current_h - 10) * 0.5)
    if view.current is not None:
        current, need = _face(view.current, style, col_w + 60, current_h - 10, current_symbol,
                              True, whole)
        current_h = max(current_h, need + 10)
    topic_symbol = top_h - 20
    topic_left = _MARGIN + (topic_symbol + 24 if view.topic.emoji or view.topic.image else 0)
    topic_words = scripts.shown(title or view.topic.words, style.font)
    topic = whole(topic_words, style, WIDTH - topic_left - _MARGIN, top_h, 2,
                   round(72 * scale), 32)
    top_h = max(top_h, topic.height + 20)
    left, left_h, left_words = None, 0, ""
    if view.left_off:
        left_words = scripts.shown("Left off: " + ", ".join(c.words for c in view.left_off),
                                   style.font)
        left = whole(left_words, style, WIDTH - 2 * _MARGIN, 80, 2, round(36 * scale), 22)
        left_h = max(80, left.height + 20)
    body_h = max(1, longest) * (card_h + _GAP)
    height = _MARGIN + top_h + _GAP + header_h + _GAP + body_h + current_h + left_h + _MARGIN
    labels = [(topic_words, topic, WIDTH - topic_left - _MARGIN)]
    labels += [(h.words, block, col_w - 20) for h, (block, _) in zip(view.scale, heads,
                                                                    strict=True)]
    labels += [(c.words, block, col_w - 36) for column, fitted in zip(view.columns, cols,
                                                                      strict=True)
               for c, (block, _) in zip(column, fitted, strict=True)]
    if view.current is not None and current is not None:
        labels.append((view.current.words, current, col_w + 60))
    if left is not None:
        labels.append((left_words, left, WIDTH - 2 * _MARGIN))
    return MatLayout(height, col_w, top_h, header_h, card_h, current_h, left_h, card_symbol,
                     header_symbol, current_symbol, topic_symbol, topic, tuple(b for b, _ in heads),
                     tuple(tuple(b for b, _ in column) for column in cols), current, left,
                     tuple(labels))




def draw_mat(view: MatView, style: CardStyle | None = None,
             images: dict[int, bytes] | None = None, title: str = "",
             parts: PartsCache | None = None) -> Image.Image:
    """The mat as an RGB image, WIDTH wide and as tall as its cards need. `images` holds the
    photos of personal cards, by media id; `title` replaces the topic's words when given.

    `parts` None: every part drawn now. Else the top (topic band and the three scale headers)
    and each card's face are drawn once into `parts`, keyed by everything that changes their
    pixels (personal words and photos by their digest), and pasted: the same functions draw
    them at origin-shifted boxes, so the picture is the same pixel for pixel. A mat shows a
    young person's content: pass bot.render.cards.parts.PERSONAL_PARTS unless it is shared."""
    style = style or CardStyle()
    pal = palette_for(style)
    images = images or {}
    lay = layout_mat(view, style, title, remember=parts is not None)
    col_w = lay.col_w
    canvas = Image.new("RGB", (WIDTH, lay.height), pal.background)
    top_bottom = _MARGIN + lay.top_h + _GAP + lay.header_h
    photos = _PhotoDigests(images)
    if parts is None:
        _draw_top(canvas, view, lay, pal, images)
    else:
        key = ("mat-top", style, lay.top_h, lay.header_h, lay.topic_symbol, lay.header_symbol,
               digest(view.topic, view.scale, lay.topic, lay.heads,
                      [photos.of(c) for c in (view.topic, *view.scale)],
                      _marks((view.topic, *view.scale))))
        canvas.paste(parts.get(key, lambda: _part((WIDTH, top_bottom), pal, lambda part: (
            _draw_top(part, view, lay, pal, images)))), (0, 0))

    y = top_bottom + _GAP
    for i, column in enumerate(view.columns):
        x = _MARGIN + i * (col_w + _COLUMN_GAP)
        cy = y
        for card, block in zip(column, lay.columns[i], strict=True):
            box = (x + 8, cy, x + col_w - 8, cy + lay.card_h)
            _place(canvas, parts, ("mat-card", style, lay.card_symbol), box, card, pal, images,
                   (block, lay.card_symbol), _draw_column_card, photos)
            cy += lay.card_h + _GAP
    y = top_bottom + _GAP + max(1, max((len(c) for c in view.columns), default=0)) * (
        lay.card_h + _GAP)
    if view.current is not None and lay.current is not None:
        box = (WIDTH // 2 - col_w // 2 - 40, y, WIDTH // 2 + col_w // 2 + 40,
               y + lay.current_h - 10)
        _place(canvas, parts, ("mat-current", style, lay.current_symbol), box, view.current,
               pal, images, (lay.current, lay.current_symbol), _draw_current_card, photos)
        y += lay.current_h
    if lay.left is not None:
        # Drawn straight: one line or two of words, and it changes with every card left off.
        _draw_block(ImageDraw.Draw(canvas), lay.left, WIDTH // 2, y + 10, pal.muted)
    return canvas


def render_mat(view: MatView, style: CardStyle | None = None,
               images: dict[int, bytes] | None = None, title: str = "",
               parts: PartsCache | None = None) -> bytes:
    """The mat (`draw_mat`, same arguments) encoded as the bytes MySay sends and keeps
    (bot.render.cards._png). With `parts`, the last few mats encoded are remembered (bounded,
    idle-limited, forgotten on erasure like the parts), so the same mat asked for twice in one
    reply is drawn and encoded once. Words no font covers are drawn as "(see the words below)"
    (bot.render.scripts.shown): the caption carries them (bot.service.drawing.words_not_drawn)."""
    if parts is None:
        return _png(draw_mat(view, style, images, title, parts))
    style = style or CardStyle()
    images = images or {}
    # The same picture asked for again (the record, then the review): encoded once.
    photos = _PhotoDigests(images)
    key = ("mat", style, digest(view, title or view.topic.words,
                                [photos.of(c) for c in _cards(view)], _marks(_cards(view)),
                                attribution()))
    return _RECENT.get(key, lambda: _png(draw_mat(view, style, images, title, parts)))


def _cards(view: MatView) -> tuple[MatCard, ...]:
    """Every card the mat shows."""
    cards = (view.topic, *view.scale, *(c for column in view.columns for c in column),
             *view.left_off)
    return (*cards, view.current) if view.current is not None else cards


class _PhotoDigests:
    """The sha256 of each personal card's photo on one mat, worked out once per drawing."""

    def __init__(self, images: dict[int, bytes]) -> None:
        self._images = images
        self._done: dict[int, str] = {}

    def of(self, card: MatCard) -> str:
        """The digest of the photo `card` shows ("" when it shows none)."""
        if card.image is None or card.image not in self._images:
            return ""
        if card.image not in self._done:
            self._done[card.image] = hashlib.sha256(self._images[card.image]).hexdigest()
        return self._done[card.image]


def _marks(cards: tuple[MatCard, ...]) -> list[str]:
    """Which symbols are the service's own pictures (bot.render.symbol_set), for part keys."""
    return symbol_set.active().marks(c.emoji for c in cards)


def _part(size: tuple[int, int], pal: Palette,
          draw: Callable[[Image.Image], object]) -> Image.Image:
    """A part drawn by `draw` on its own canvas of `size` (width, height), background filled
    as the mat's is."""
    part = Image.new("RGB", size, pal.background)
    draw(part)
    return part


_CardDrawer = Callable[[Image.Image, MatCard, tuple[int, int, int, int], Palette,
                        dict[int, bytes], tuple[TextBlock, int]], None]


def _place(canvas: Image.Image, parts: PartsCache | None, kind: tuple[object, ...],
           box: tuple[int, int, int, int], card: MatCard, pal: Palette,
           images: dict[int, bytes], fitted: tuple[TextBlock, int], drawer: _CardDrawer,
           photos: _PhotoDigests) -> None:
    """One card drawn by `drawer` at `box` on canvas, or (with parts) drawn once at the
    origin and pasted there. `kind` names the drawer, style and symbol size for the key."""
    if parts is None:
        drawer(canvas, card, box, pal, images, fitted)
        return
    left, top, right, bottom = box
    size = (right - left, bottom - top)
    key = (*kind, size, digest(card, fitted[0], photos.of(card), _marks((card,))))
    part = parts.get(key, lambda: _part(size, pal, lambda image: drawer(
        image, card, (0, 0, *size), pal, images, fitted)))
    canvas.paste(part, (left, top))


def _draw_top(canvas: Image.Image, view: MatView, lay: MatLayout, pal: Palette,
              images: dict[int, bytes]) -> None:
    """The topic band and the three scale headers in their boxes, at their places on the mat
    (the top `_MARGIN + top_h + _GAP + header_h` pixels)."""
    draw = ImageDraw.Draw(canvas)
    y = _MARGIN
    _draw_topic(canvas, draw, view.topic, (lay.topic, lay.topic_symbol), pal, (y, lay.top_h),
                images)
    y += lay.top_h + _GAP
    for i, head in enumerate(view.scale):
        x = _MARGIN + i * (lay.col_w + _COLUMN_GAP)
        _rounded_box(canvas, (x, y, x + lay.col_w, y + lay.header_h), 26,
                     (pal.background, pal.outline, pal.banner), pal.outline_width + 2)
        _draw_card_face(canvas, draw, head, (x, y, x + lay.col_w, y + lay.header_h), pal,
                        images, (lay.heads[i], lay.header_symbol))


def _draw_column_card(canvas: Image.Image, card: MatCard, box: tuple[int, int, int, int],
                      pal: Palette, images: dict[int, bytes],
                      fitted: tuple[TextBlock, int]) -> None:
    """A card placed under the scale: its box, symbol and words."""
    _rounded_box(canvas, box, 22, (pal.background, pal.outline, pal.tile), pal.outline_width)
    _draw_card_face(canvas, ImageDraw.Draw(canvas), card, box, pal, images, fitted)


def _draw_current_card(canvas: Image.Image, card: MatCard, box: tuple[int, int, int, int],
                       pal: Palette, images: dict[int, bytes],
                       fitted: tuple[TextBlock, int]) -> None:
    """The card being placed: its highlighted box, symbol and words."""
    _rounded_box(canvas, box, 26, (pal.background, pal.accent, pal.selected_fill),
                 pal.selected_width)
    _draw_card_face(canvas, ImageDraw.Draw(canvas), card, box, pal, images, fitted)


def _draw_topic(canvas: Image.Image, draw: ImageDraw.ImageDraw, topic: MatCard,
                fitted: tuple[TextBlock, int], pal: Palette, band: tuple[int, int],
                images: dict[int, bytes]) -> None:
    top, height = band
    block, size = fitted
    symbol = _symbol(topic, size, images)
    left = _MARGIN
    if symbol is not None:
        canvas.paste(symbol, (left, top + (height - symbol.height) // 2), symbol)
        left += symbol.width + 24
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
                    box: tuple[int, int, int, int], pal: Palette, images: dict[int, bytes],
                    fitted: tuple[TextBlock, int]) -> None:
    """A card's symbol (fitted[1] px) at the top of box and its words (fitted[0]) under it."""
    left, top, right, bottom = box
    block, symbol_box = fitted
    symbol = _symbol(card, symbol_box, images)
    y = top + 10
    if symbol is not None:
        canvas.paste(symbol, (left + (right - left - symbol.width) // 2, y), symbol)
        y += symbol_box + 6
    text_h = bottom - y - 8
    _draw_block(draw, block, (left + right) // 2, y + max(0, (text_h - block.height) // 2),
                pal.text)
