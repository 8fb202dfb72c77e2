"""Every question card the flows can show, as the bot draws them before anyone's answers are
in them: the activity menu and each choice, multi-choice, text and photo step's card
(bot/render/screens.py picture_for, bot/service/young_person.py menu). Used to warm the card
drawing up at start-up (bot.render.cards.warm_up) and by the tests that check every card."""

from __future__ import annotations

from collections.abc import Iterator

from bot.engine.core import FlowEngine
from bot.engine.flows import StepType
from bot.i18n import Locale
from bot.render.cards import MAX_TILES, Card, Tile

TEXT_TILES = (Tile("Type it", "⌨️"), Tile("Say it", "🎤"))  # bot/render/screens.py picture_for
PHOTO_TILES = (Tile("Send a photo", "📷"),)


def flow_cards(
    engine: FlowEngine, locale: Locale, menu_page: int
) -> Iterator[tuple[str, Card]]:
    """(where, card) for each menu page (`menu_page` activities a page, as
    bot.service.young_person.MENU_PAGE) and every step's question card, nothing ticked, with
    a one-line "Part n of N" footer as the steps show (its words do not change the layout
    beyond its height). Steps with more than MAX_TILES choices are drawn without a card."""
    vocabulary = engine.vocabulary
    flows = [f for f in engine.flows.values() if f.audience == "young_person"]
    for start in range(0, len(flows), menu_page):
        tiles = tuple(Tile(f.title, vocabulary[f.symbol].emoji)
                      for f in flows[start:start + menu_page])
        yield f"menu page {start // menu_page + 1}", Card(locale("menu_prompt"), tiles)
    for flow in engine.flows.values():
        total = flow.part_count + (1 if flow.ask_who_helped else 0)  # bot.engine.core
        for step in flow.steps:
            where = f"{flow.id}/{step.id}"
            footer = locale("part_of", n=flow.part_of(step.id), total=total)
            if step.type in (StepType.CHOICE, StepType.MULTI) and step.choices:
                if len(step.choices) > MAX_TILES:
                    continue
                tiles = tuple(Tile(vocabulary[s].words, vocabulary[s].emoji)
                              for s in step.choices)
                yield where, Card(step.prompt, tiles, footer)
            elif step.type is StepType.TEXT:
                yield where, Card(step.prompt, TEXT_TILES, footer)
            elif step.type is StepType.PHOTO:
                yield where, Card(step.prompt, PHOTO_TILES, footer)


def multi_steps(engine: FlowEngine) -> set[str]:
    """The `flow/step` names of multi-choice steps (whose tiles get ticked)."""
    return {f"{flow.id}/{step.id}" for flow in engine.flows.values() for step in flow.steps
            if step.type is StepType.MULTI}
