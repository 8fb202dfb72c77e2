"""A ticked picture keeps its symbol (issue 15, point 2): on the picture card the tick badge
is added to the tile, and the symbol is still drawn, the same as when it is not ticked."""

from __future__ import annotations

from PIL import ImageChops

from bot.engine.screen import Option, Screen, ScreenKind
from bot.render.cards import Card, Tile, layout_card, render_card
from bot.render.screens import picture_for
from tests.render.test_render import _count, _open


def test_a_ticked_tile_still_draws_its_symbol() -> None:
    tiles = (Tile("Friend", "🧑‍🤝‍🧑", selected=True), Tile("Games", "🎲"))
    ticked = _open(render_card(Card("What made it good?", tiles)))
    bare = _open(render_card(Card("What made it good?", (Tile("Friend", "", selected=True),
                                                         tiles[1]))))
    spot = layout_card(Card("What made it good?", tiles)).tiles[0]
    assert _count(ticked, spot.symbol, "colour") > 2000, "the ticked tile lost its symbol"
    assert ImageChops.difference(ticked.crop(spot.symbol), bare.crop(spot.symbol)).getbbox()


def test_a_multi_select_screen_sends_the_ticked_choice_with_its_symbol() -> None:
    screen = Screen("check_in", "what_good", ScreenKind.MULTI, "What made it good?",
                    (Option(0, "friend", "Friend", "🧑‍🤝‍🧑", selected=True),
                     Option(1, "games", "Games", "🎲")))
    picture = picture_for(screen, "What made it good?")
    assert picture is not None
    assert [(t.label, t.emoji, t.selected) for t in picture.tiles] == [
        ("Friend", "🧑‍🤝‍🧑", True), ("Games", "🎲", False)]
