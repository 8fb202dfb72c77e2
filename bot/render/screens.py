"""What picture goes with each screen: question cards, the mat, the review list, or none."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace

from bot.engine.flows import OUTCOME_SLOT
from bot.engine.screen import MatCard, MatView, Screen, ScreenKind
from bot.render import symbol_set
from bot.render.cards import (
    Card,
    CardCache,
    CardStyle,
    Tile,
    card_key,
    render_card,
    render_text_card,
    text_card_key,
)
from bot.render.cards.parts import parts_for
from bot.render.mat import render_mat

MAX_PICTURE_OPTIONS = 12
MAT_VERSION = 2  # bump when the mat drawing changes (2: whole words, issue 15 point 5)


@dataclass(frozen=True)
class Picture:
    """A card with tiles, a list picture ("this is what you told me"), or a Talking Mat.

    Personal cards are photos: `photo_ids` names them (media ids, parallel to `tiles`) until
    the adapter fills the bytes in with `with_photos`.

    `shared` says the picture holds only flow words, locale words and symbols, the same for
    everyone, so its upload may be kept for all (issue 11, point 4). Anything else (a young
    person's words, photos, mat, meeting date) is theirs: kept only tied to them, or not kept.
    """

    title: str
    tiles: tuple[Tile, ...] = ()
    lines: tuple[tuple[str, str] | tuple[str, str, tuple[str, ...]], ...] = ()
    footer: str = ""
    as_list: bool = False
    mat: MatView | None = None
    photo_ids: tuple[int | None, ...] = ()
    photos: tuple[tuple[int, bytes], ...] = ()
    shared: bool = False

    def wanted_photos(self) -> set[int]:
        wanted = {i for i in self.photo_ids if i is not None}
        if self.mat is not None:
            wanted |= {c.image for c in _mat_cards(self.mat) if c.image is not None}
        return wanted

    def with_photos(self, photos: dict[int, bytes]) -> Picture:
        tiles = tuple(replace(t, image=photos.get(i)) if i is not None else t
                      for t, i in zip(self.tiles, self.photo_ids or (None,) * len(self.tiles),
                                      strict=True))
        return replace(self, tiles=tiles, photos=tuple(sorted(photos.items())))

    def key(self, style: CardStyle) -> str:
        if self.as_list:
            return text_card_key(self.title, self.lines, style)
        if self.mat is not None:
            photos = [hashlib.sha256(data).hexdigest() for _, data in self.photos]
            own = symbol_set.active().marks(c.emoji for c in _mat_cards(self.mat))
            payload = repr((MAT_VERSION, self.title, self.mat, style, photos, *own))
            return "mat-" + hashlib.sha256(payload.encode()).hexdigest()[:60]
        return card_key(Card(self.title, self.tiles, self.footer), style)

    def render(self, cache: CardCache | None, style: CardStyle) -> tuple[str, bytes]:
        """(content key, picture bytes: JPEG). With no `cache`, the bytes are not kept (a
        personal picture must not outlive the person it shows); its drawn parts are kept in
        bot.render.cards.parts: a shared picture's for all, a personal one's in memory only,
        for at most PERSONAL_IDLE_SECONDS unused, and forgotten when anyone's data is
        erased."""
        if self.as_list:
            if cache is None:
                # Its title and rows are kept as parts (personal ones in memory only, for an
                # idle time, forgotten on erasure: bot.render.cards.parts), so a review grown
                # by one line draws one row.
                parts = parts_for(self.shared)
                return self.key(style), render_text_card(self.title, self.lines, style, parts)
            return cache.get_or_render_text(self.title, self.lines, style)
        if self.mat is not None:
            # Drawn from cached parts (a mat redrawn after each placement is mostly pastes):
            # the personal ones, kept briefly and forgotten on erasure, unless it is shared.
            return self.key(style), render_mat(self.mat, style, dict(self.photos), self.title,
                                               parts_for(self.shared))
        # A question card is pasted together from drawn parts: shared ones kept for all,
        # a young person's own (their words, photos) kept in memory only for a short while
        # (bot.render.cards.parts), so a tick is a paste, not a new drawing.
        card = Card(self.title, self.tiles, self.footer)
        parts = parts_for(self.shared)
        if cache is None:
            return self.key(style), render_card(card, style, parts)
        return cache.get_or_render(card, style, parts)


def _mat_cards(mat: MatView) -> list[MatCard]:
    """Every card a mat picture shows: topic, scale, the cards under it, left off, current."""
    cards = [mat.topic, *mat.scale, *mat.left_off, *(c for column in mat.columns for c in column)]
    return [*cards, mat.current] if mat.current else cards


def picture_for(screen: Screen, prompt: str, footer: str = "") -> Picture | None:
    """The picture card for a screen, or None where words alone are clearer."""
    if screen.mat is not None:
        title = "" if screen.kind is ScreenKind.MAT_PLACE else screen.mat.topic.words
        return Picture(title, mat=screen.mat)
    prompt = _with_outcome(screen, prompt)
    if screen.kind in (ScreenKind.CHOICE, ScreenKind.MULTI):
        if not 0 < len(screen.options) <= MAX_PICTURE_OPTIONS:
            return None
        tiles = tuple(Tile(o.words, o.emoji, selected=o.selected) for o in screen.options)
        return Picture(prompt, tiles, footer=footer,
                       photo_ids=tuple(o.image for o in screen.options),
                       shared=_only_flow_words(screen))
    if screen.kind in (ScreenKind.TEXT, ScreenKind.PHOTO):
        tiles = ((Tile("Type it", "⌨️"), Tile("Say it", "🎤")) if screen.kind is ScreenKind.TEXT
                 else (Tile("Send a photo", "📷"),))
        return Picture(prompt, tiles, footer=footer, shared=_only_flow_words(screen))
    if screen.kind in (ScreenKind.REVIEW, ScreenKind.CHANGE) and screen.review:
        # Each line: its topic and words, with the chosen symbols drawn small beside them.
        lines = tuple((line.emoji, f"{line.title}: {line.words or line.answer}",
                       tuple(emoji for emoji, _ in line.symbols)) for line in screen.review)
        return Picture(prompt, lines=lines, as_list=True)
    return None


def _is_outcome(screen: Screen) -> bool:
    """True at a question about one of the young person's outcomes (`about` is its slot)."""
    return screen.about is not None and bool(OUTCOME_SLOT.match(screen.about.symbol_id))


def _with_outcome(screen: Screen, prompt: str) -> str:
    """The card's title: at a question about one of their outcomes, its words lead (as in the
    words under the card), so the picture says what the question is about."""
    return f"{screen.about.words}: {prompt}" if screen.about and _is_outcome(screen) else prompt


def _only_flow_words(screen: Screen) -> bool:
    """True when a question card can show nothing of one young person: not drawn from their own
    data (see `Screen.personal`), no photo among the options, and no words filled into the
    prompt (a mat's topic or card may be a therapist's words for one person)."""
    return (not screen.personal and not screen.fields and not _is_outcome(screen)
            and all(o.image is None for o in screen.options))
