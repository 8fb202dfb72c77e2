"""One picture, one meaning, per screen (issue 15, point 2).

On any screen a flow can show, a symbol never stands for two things: the answers' pictures,
the buttons beside them ("❔ I don't know", "🔈 Read it to me"), the tick on a chosen picture,
the Talking Mat (its topic, scale and cards), the review's lines and the "Change something"
list. Every flow in flows/ is loaded as the app loads it and driven through the real engine;
the buttons are the ones bot.service.present makes, in the locale's words. The symbols are
read from media/symbols.yaml, never written here, so a symbol changed there is checked too.

Two walks: every step of every flow shown directly in each way it can be (first or later
question, nothing or everything ticked, asked again with earlier words or a photo, every mat
card in every place, moving a card, with and without the young person's own cards, every mat
topic, outcomes with each symbol a therapist can give them); then Hypothesis runs of each flow
to its end, through "Change something" and back, which reach the review with real answers."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.engine.core import (
    CHANGE,
    HELPED,
    HELPED_CHOICES,
    LEFT_OFF,
    REVIEW,
    Action,
    ActionKind,
    AnswerKind,
    AnswerRecord,
    FlowEngine,
    RunState,
    RunStatus,
)
from bot.engine.flows import MAX_OUTCOMES, Flow, Step, StepType, outcome_slots
from bot.engine.screen import OWN_CARD_MARK, Control, ReviewLine, Screen, ScreenKind
from bot.service import present
from bot.service.features.outcomes import SYMBOLS as OUTCOME_SYMBOLS
from bot.services import load_content
from tests.support.glyphs import Seen, all_clashes, label_glyphs

CONTENT = load_content()
ENGINE: FlowEngine = CONTENT.engine
SAY = CONTENT.locale
FLOWS = sorted(ENGINE.flows)
PERSONAL = {"card_7": {"words": "Grandma", "media": 9}, "card_8": {"words": "My bike", "media": 10}}
OWN_PICTURE = "(a picture card of my own)"  # what OWN_CARD_MARK means


def outcomes(symbols: list[str | None]) -> dict[str, Any]:
    """Run options' outcomes: one per symbol given (None: an outcome without a symbol)."""
    return {slot: {"id": n, "words": f"Outcome {n}", "symbol": symbol, "media": None}
            for n, (slot, symbol) in enumerate(zip(outcome_slots(), symbols, strict=False), 1)}


def variants(flow: Flow) -> Iterator[dict[str, Any]]:
    """Every kind of run options the flow can be started with: none; the young person's own
    picture cards; every mat topic a therapist can choose, with all its cards; outcomes with
    every symbol a therapist can give one (and with none)."""
    base: dict[str, Any] = {}
    if flow.asks_outcomes:
        known = [s for s in OUTCOME_SYMBOLS if s in ENGINE.vocabulary]
        for start in range(0, len(known), MAX_OUTCOMES):
            yield {"outcomes": outcomes(list(known[start:start + MAX_OUTCOMES]))}
        base = {"outcomes": outcomes([None] * MAX_OUTCOMES)}
    yield base
    yield {**base, "cards": PERSONAL}
    for step in flow.steps:
        for topic, cards in step.topics.items():
            yield {**base, "cards": PERSONAL, "mat": {"topic": topic, "cards": cards}}


def seen(screen: Screen, state: RunState, where: str) -> Seen:
    """Every symbol `screen` shows, with its meaning: the buttons (as present.keyboard makes
    them, in the locale's words), the question's picture (options, what it is about, the
    mat) and the review's lines."""
    found = Seen(f"{where} [{screen.kind.value}]")
    # "Change something" lists the review's lines, each with the line's own symbol.
    lines = dict(zip((o.words for o in screen.options), screen.review, strict=False)) \
        if screen.kind is ScreenKind.CHANGE else {}
    for row in present.keyboard(screen, 1, 1, SAY):
        for button in row:
            for glyph, words in label_glyphs(button.label):
                option = next((o for o in screen.options if o.words == words), None)
                if words in lines:
                    words = line_meaning(screen, state, lines[words])
                elif option is not None and not option.emoji:  # a personal card: its mark
                    words = OWN_PICTURE
                found.add(glyph, words, "button")
    if screen.about is not None:
        found.add(screen.about.emoji or "🎯", about_meaning(state, screen.about.symbol_id,
                                                           screen.about.words),
                  "what it is about")
    if screen.mat is not None:
        mat = screen.mat
        cards = [mat.topic, *mat.scale, *(c for column in mat.columns for c in column),
                 *mat.left_off, *([mat.current] if mat.current else [])]
        for card in cards:
            found.add(card.emoji, card.words, "mat")
        for point in mat.scale:  # the mat in words: "👍 Like: Lessons, Art"
            found.add(point.emoji, point.words, "mat in words")
    for line in screen.review:
        for emoji, words in line.symbols:
            found.add(emoji, OWN_PICTURE if emoji == OWN_CARD_MARK else words, "review")
        found.add(line.emoji, line_meaning(screen, state, line), "review line")
    return found


def about_meaning(state: RunState, symbol_id: str, words: str) -> str:
    """What the picture of what a question is about stands for: its words; for one of their
    outcomes, the words of the symbol the therapist gave it (an outcome "I can make friends"
    shown with the symbol "Friend" means friend, as the same symbol among the answers does),
    or "outcome" for the 🎯 of an outcome given no symbol."""
    outcome = state.options.get("outcomes", {}).get(symbol_id)
    if outcome is None:
        return words
    symbol = outcome.get("symbol")
    return ENGINE.vocabulary[symbol].words if symbol in ENGINE.vocabulary else "(my outcome)"


def line_meaning(screen: Screen, state: RunState, line: ReviewLine) -> str:
    """What the symbol in front of a review line stands for: the round's item it is about
    (a part of the day), else the first picture chosen, else the kind of answer ("I don't
    know", "(skipped)", a photo, a voice note, or their own words)."""
    flow = ENGINE.flows[screen.flow_id]
    step = flow.step(line.step_id) if flow.has_step(line.step_id) else None
    if step is not None and step.about \
            and line.emoji == (ENGINE.card(state, step.about).emoji or OWN_CARD_MARK):
        return about_meaning(state, step.about, ENGINE.card(state, step.about).words)
    if line.symbols and line.emoji == line.symbols[0][0]:
        return OWN_PICTURE if line.emoji == OWN_CARD_MARK else line.symbols[0][1]
    if line.emoji in ("🎤", "📷"):
        return SAY("answer.voice") if line.emoji == "🎤" else SAY("answer.photo")
    for said in (SAY("answer.dont_know"), SAY("answer.skipped")):
        if line.words.startswith(said):
            return said
    return "My words"  # their own words alone (the vocabulary's "My words" symbol)


# -- every step, shown directly ---------------------------------------------------------------


def earlier_answers(step: Step) -> Iterator[AnswerRecord | None]:
    """Nothing said at the step before; own words said before; a photo sent before."""
    yield None
    yield AnswerRecord(step.id, AnswerKind.ANSWERED, own_words="my own words")
    yield AnswerRecord(step.id, AnswerKind.ANSWERED, media=((1, "photo"),))


def step_states(flow: Flow, step: Step, options: dict[str, Any]
                ) -> Iterator[tuple[RunState, dict[str, AnswerRecord]]]:
    """Every way the step's screen can look: first question or not, nothing or all ticked,
    asked again; for a mat, each card placed in each place, the whole mat, moving a card."""
    start = RunState(flow.id, step.id, options=options)
    for history in ((), (flow.steps[0].id,)):
        at = replace(start, history=history)
        if step.type is StepType.MAT:
            yield from mat_states(step, at)
            continue
        choices = ENGINE.choices(at, step)
        for selected in ((), tuple(choices)):
            for earlier in earlier_answers(step):
                yield replace(at, selected=selected), ({step.id: earlier} if earlier else {})


def mat_states(step: Step, at: RunState) -> Iterator[tuple[RunState, dict[str, AnswerRecord]]]:
    _, _, cards = ENGINE.mat_setup(at, step)
    for column in (0, 1, 2, LEFT_OFF):
        placed: tuple[tuple[str, int], ...] = ()
        for card in cards:
            yield replace(at, placed=placed), {}
            placed = (*placed, (card, column))
        yield replace(at, placed=placed), {}  # the whole mat: this is right, or move a card
        yield replace(at, placed=placed, picking=True), {}
        yield replace(at, placed=placed, moving=cards[0]), {}


def every_screen(flow_id: str) -> Iterator[tuple[Screen, RunState, str]]:
    """Every screen of every step of the flow, directly, with each kind of run options; and
    "Who helped you answer?" (nothing or everyone ticked), paused and finished."""
    flow = ENGINE.flows[flow_id]
    for options in variants(flow):
        for step in flow.steps:
            slot = flow.outcome_slot(step.id)
            if slot is not None and slot not in options.get("outcomes", {}):
                continue  # a round for an outcome this run was not given: never asked
            for state, answers in step_states(flow, step, options):
                yield ENGINE.screen(state, answers), state, f"{flow_id}/{step.id}"
        if flow.ask_who_helped:
            for selected in ((), HELPED_CHOICES[1:]):
                state = RunState(flow_id, HELPED, history=(flow.steps[0].id,),
                                 selected=selected, options=options)
                yield ENGINE.screen(state, {}), state, f"{flow_id}/{HELPED}"
        for status in (RunStatus.PAUSED, RunStatus.FINISHED):
            state = RunState(flow_id, flow.steps[0].id, status=status, options=options)
            yield ENGINE.screen(state, {}), state, f"{flow_id}/{status.value}"


@pytest.mark.parametrize("flow_id", FLOWS)
def test_every_step_of_every_flow_shows_each_symbol_with_one_meaning(flow_id: str) -> None:
    screens = [seen(screen, state, where) for screen, state, where in every_screen(flow_id)]
    assert len(screens) > 10
    assert all_clashes(screens) == []


# -- whole runs, to the review and back -------------------------------------------------------


CONTROL_ACTIONS = {Control.DONE: ActionKind.DONE, Control.BACK: ActionKind.BACK,
                   Control.SKIP: ActionKind.SKIP, Control.DONT_KNOW: ActionKind.DONT_KNOW,
                   Control.KEEP_EARLIER: ActionKind.KEEP_EARLIER, Control.MOVE: ActionKind.MOVE,
                   Control.RIGHT: ActionKind.RIGHT, Control.CHANGE: ActionKind.CHANGE}


def moves(screen: Screen) -> list[Action]:
    """Every action the screen's buttons offer (not Stop, Share or Keep, which end the walk),
    with own words, a photo or a voice note where a step takes them."""
    kind = screen.kind
    found = [Action(CONTROL_ACTIONS[c]) for c in screen.controls if c in CONTROL_ACTIONS]
    if kind in (ScreenKind.CHOICE, ScreenKind.CHANGE, ScreenKind.MAT_MOVE):
        found += [Action(ActionKind.CHOOSE, o.index) for o in screen.options]
    if kind is ScreenKind.MULTI:
        found += [Action(ActionKind.TOGGLE, o.index) for o in screen.options] * 2
    if kind in (ScreenKind.CHOICE, ScreenKind.MULTI, ScreenKind.TEXT, ScreenKind.PHOTO) \
            and screen.step_id != HELPED:
        found += [Action(ActionKind.TEXT, text="my own words"),
                  Action(ActionKind.MEDIA, media=(1, "photo")),
                  Action(ActionKind.MEDIA, media=(2, "voice"))]
    if kind is ScreenKind.MAT_PLACE:
        found += [Action(ActionKind.CHOOSE, i) for i in range(3)] * 2
    return found


@pytest.mark.parametrize("flow_id", FLOWS)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_every_screen_on_the_way_through_a_flow_shows_each_symbol_with_one_meaning(
        flow_id: str, data: st.DataObject) -> None:
    options = data.draw(st.sampled_from(list(variants(ENGINE.flows[flow_id]))), label="options")
    state, screen = ENGINE.start(flow_id, options)
    answers: dict[str, AnswerRecord] = {}
    screens = [seen(screen, state, f"{flow_id}/{state.step_id}")]
    reviews = 0
    for _ in range(120):
        if screen.kind is ScreenKind.REVIEW:
            reviews += 1
            if reviews > 2:
                break
        action = data.draw(st.sampled_from(moves(screen)), label="action")
        outcome = ENGINE.apply(state, answers, action)
        if outcome.answer is not None:
            answers[outcome.answer.step_id] = outcome.answer
        state, screen = outcome.state, outcome.screen
        where = {REVIEW: "review", CHANGE: "change something"}.get(state.step_id, state.step_id)
        screens.append(seen(screen, state, f"{flow_id}/{where}"))
    assert all_clashes(screens) == []


def test_a_clash_is_found_and_named() -> None:
    """The check itself: the old "🤷 I don't know" beside the answer "🤷 Not sure" fails,
    naming the screen and both meanings."""
    screen = Seen("check_in/how_today [choice]")
    screen.label("🤷 Not sure")
    screen.label("🤷 I don't know")
    screen.label("✅ 😀 Good")
    assert screen.clashes() == [
        "check_in/how_today [choice]: 🤷 means “I don't know” (button) and “Not sure” (button)"]
