"""Cached parts of pictures: a tile with its words, a title banner, the mat's topic and scale,
a mat card's face, a review row. Each is drawn once per style and then pasted (issue 17,
point 1), so a picture that changes by one answer costs a few pastes, not a new drawing.

Three caches, all bounded by the bytes of pixels they hold and least-recently-used first out:

- `SYMBOL_PARTS`: each symbol drawn at a size (bot.render.cards.shapes.emoji_image).
- `SHARED_PARTS`: parts that show only flow words, locale words and symbols, the same for
  everyone. Kept for the life of the process.
- `PERSONAL_PARTS`: parts that show a young person's own content (their words, their cards,
  their photos). Kept in memory only, never on disk, for at most `PERSONAL_IDLE_SECONDS`
  since last used, and all forgotten at once when anyone's data is erased
  (`forget_personal`, called by bot.safety.erase), so no part outlives the content it shows
  for longer than that idle time (the deletion rule of issue 11, point 4).

Keys are tuples the caller builds from everything that changes the part's pixels; personal
content is reduced to a sha256 digest (`digest`) before it goes into a key, so a key never
holds a young person's words in the clear.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable

from PIL import Image

# Bounds chosen so the bot stays under 200 MB with every cache full (bench/throughput.py).
SYMBOL_MAX_BYTES = 16 * 1024 * 1024
SHARED_MAX_BYTES = 16 * 1024 * 1024
PERSONAL_MAX_BYTES = 12 * 1024 * 1024
PERSONAL_IDLE_SECONDS = 15 * 60.0


def digest(*fields: object) -> str:
    """A sha256 hex digest of `fields` (their repr), for keys that name personal content."""
    return hashlib.sha256(repr(fields).encode("utf-8")).hexdigest()


def _size(image: Image.Image) -> int:
    """Bytes of pixel memory an image holds (width x height x bytes per pixel)."""
    return image.width * image.height * len(image.getbands())


class PartsCache:
    """A thread-safe LRU of drawn parts (Pillow images), bounded by `max_bytes` of pixels.

    `max_idle` (seconds, or None for no limit): a part unused that long is dropped on the next
    lookup of it and by `prune`. Callers must treat returned images as read-only (they are
    pasted, never drawn on)."""

    def __init__(self, max_bytes: int, max_idle: float | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.max_bytes = max(1, max_bytes)
        self.max_idle = max_idle
        self._clock = clock
        self._items: OrderedDict[Hashable, tuple[Image.Image, float]] = OrderedDict()
        self._bytes = 0
        self._generation = 0  # bumped by clear: a drawing begun before it is not kept
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._items)

    @property
    def bytes(self) -> int:
        """Bytes of pixels held now."""
        return self._bytes

    def get(self, key: Hashable, make: Callable[[], Image.Image]) -> Image.Image:
        """The part kept under `key`, or `make()` drawn now and kept. `make` runs outside the
        lock (two threads may draw the same part once each; the later one is kept). A part
        larger than the whole cache is returned but not kept, and so is one whose drawing began
        before a `clear` (an erasure while it was drawn must not be undone by it)."""
        now = self._clock()
        with self._lock:
            generation = self._generation
            found = self._items.get(key)
            if found is not None and self._fresh(found[1], now):
                self._items[key] = (found[0], now)
                self._items.move_to_end(key)
                self.hits += 1
                return found[0]
            if found is not None:
                self._drop(key)
            self.misses += 1
        image = make()
        size = _size(image)
        if size > self.max_bytes:
            return image
        with self._lock:
            if generation != self._generation:  # cleared while drawing: keep nothing
                return image
            if key in self._items:
                self._drop(key)
            self._items[key] = (image, now)
            self._bytes += size
            while self._bytes > self.max_bytes:
                self._drop(next(iter(self._items)))
        return image

    def _fresh(self, used: float, now: float) -> bool:
        return self.max_idle is None or now - used <= self.max_idle

    def _drop(self, key: Hashable) -> None:
        image, _ = self._items.pop(key)
        self._bytes -= _size(image)

    def prune(self) -> int:
        """Drop every part idle longer than `max_idle`. Returns how many were dropped."""
        if self.max_idle is None:
            return 0
        now = self._clock()
        with self._lock:
            stale = [k for k, (_, used) in self._items.items() if not self._fresh(used, now)]
            for key in stale:
                self._drop(key)
        return len(stale)

    def clear(self) -> None:
        """Forget every part and reset the hit and miss counts."""
        with self._lock:
            self._items.clear()
            self._bytes = 0
            self._generation += 1
            self.hits = 0
            self.misses = 0


SYMBOL_PARTS = PartsCache(SYMBOL_MAX_BYTES)  # symbols drawn at a size (the same for everyone)
SHARED_PARTS = PartsCache(SHARED_MAX_BYTES)
PERSONAL_PARTS = PartsCache(PERSONAL_MAX_BYTES, PERSONAL_IDLE_SECONDS)


def parts_for(shared: bool) -> PartsCache:
    """The cache for a picture's parts: SHARED_PARTS when the picture shows nothing of one
    young person (bot.render.screens.Picture.shared), else PERSONAL_PARTS."""
    return SHARED_PARTS if shared else PERSONAL_PARTS


_FORGET_HOOKS: list[Callable[[], None]] = []
_PRUNE_HOOKS: list[Callable[[], object]] = []


def on_forget_personal(forget: Callable[[], None],
                       prune: Callable[[], object] | None = None) -> None:
    """Have `forget_personal` call `forget()` too, and `prune_personal` call `prune()`: for
    other memory that holds a young person's content for redraws (bot.render.mat's fitted
    words and recent mats), so it is forgotten and aged out with the parts."""
    _FORGET_HOOKS.append(forget)
    if prune is not None:
        _PRUNE_HOOKS.append(prune)


def forget_personal() -> None:
    """Forget every part that shows a young person's content (call when data is erased), and
    whatever else registered with `on_forget_personal`."""
    PERSONAL_PARTS.clear()
    for hook in _FORGET_HOOKS:
        hook()


def prune_personal() -> int:
    """Drop every personal part (and registered memo entry) unused for longer than its idle
    limit, even when nothing is drawn: the bot runs this every minute
    (bot.telegram.jobs.schedule), so nothing of a young person stays in memory much past
    PERSONAL_IDLE_SECONDS. Returns how many parts were dropped."""
    dropped = PERSONAL_PARTS.prune()
    for hook in _PRUNE_HOOKS:
        hook()
    return dropped


def clear_parts() -> None:
    """Forget every cached part, shared and personal (for cold-start benchmarks and tests)."""
    SYMBOL_PARTS.clear()
    SHARED_PARTS.clear()
    forget_personal()
