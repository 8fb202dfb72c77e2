"""What picture goes with each screen: question cards, the review list, or none."""

from __future__ import annotations

from dataclasses import dataclass

from bot.engine.screen import Screen, ScreenKind
from bot.render.cards import Card, CardCache, CardStyle, Tile, card_key, text_card_key

MAX_PICTURE_OPTIONS = 12


@dataclass(frozen=True)
class Picture:
    """A card with tiles, or a list picture ("this is what you told me")."""

    title: str
    tiles: tuple[Tile, ...] = ()
    lines: tuple[tuple[str, str], ...] = ()
    footer: str = ""
    as_list: bool = False

    def key(self, style: CardStyle) -> str:
        if self.as_list:
            return text_card_key(self.title, self.lines, style)
        return card_key(Card(self.title, self.tiles, self.footer), style)

    def render(self, cache: CardCache, style: CardStyle) -> tuple[str, bytes]:
        if self.as_list:
            return cache.get_or_render_text(self.title, self.lines, style)
        return cache.get_or_render(Card(self.title, self.tiles, self.footer), style)


def picture_for(screen: Screen, prompt: str, footer: str = "") -> Picture | None:
    """The picture card for a screen, or None where words alone are clearer."""
    if screen.kind in (ScreenKind.CHOICE, ScreenKind.MULTI):
        if not 0 < len(screen.options) <= MAX_PICTURE_OPTIONS:
            return None
        tiles = tuple(Tile(o.words, o.emoji, selected=o.selected) for o in screen.options)
        return Picture(prompt, tiles, footer=footer)
    if screen.kind is ScreenKind.TEXT:
        return Picture(prompt, (Tile("My own words", "✏️"),), footer=footer)
    if screen.kind in (ScreenKind.REVIEW, ScreenKind.CHANGE) and screen.review:
        lines = tuple((line.emoji, f"{line.question} {line.answer}") for line in screen.review)
        return Picture(prompt, lines=lines, as_list=True)
    return None
