"""A steady sense of where they are (issue 12, point 5): "Part 2 of 5" over a flow's parts, and
"Card 3 of 8" on a Talking Mat. Along any path of answers the part number only moves on (one
part at a time), never passes the total, and the total never changes; on the mat the card
count is fixed and each placement moves the card number on by one."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.engine.core import HELPED, Action, ActionKind, AnswerRecord, FlowEngine, RunState
from bot.engine.flows import MAX_OUTCOMES, Flow, outcome_slots
from bot.engine.screen import Screen, ScreenKind
from bot.service import present
from bot.services import load_content

CONTENT = load_content()
ENGINE: FlowEngine = CONTENT.engine
FLOWS = sorted(ENGINE.flows)
PERSONAL = {"card_7": {"words": "Grandma", "media": 9}}


def total_parts(flow: Flow) -> int:
    return flow.part_count + (1 if flow.ask_who_helped else 0)


def moves(screen: Screen) -> list[Action]:
    """Every action that fits the screen (Back, Skip and I don't know included)."""
    kind = screen.kind
    found = [Action(ActionKind.BACK), Action(ActionKind.SKIP)]
    if kind in (ScreenKind.CHOICE, ScreenKind.MULTI, ScreenKind.TEXT, ScreenKind.PHOTO,
                ScreenKind.MAT_PLACE):
        found.append(Action(ActionKind.DONT_KNOW))
    if kind is ScreenKind.CHOICE:
        found += [Action(ActionKind.CHOOSE, o.index) for o in screen.options]
    if kind is ScreenKind.MULTI:
        found += [Action(ActionKind.TOGGLE, o.index) for o in screen.options]
        found.append(Action(ActionKind.DONE))
    if kind in (ScreenKind.TEXT, ScreenKind.PHOTO):
        found.append(Action(ActionKind.TEXT, text="my own words"))
    if kind is ScreenKind.MAT_PLACE:
        found += [Action(ActionKind.CHOOSE, i) for i in range(3)]
    if kind is ScreenKind.MAT_REVIEW:
        found += [Action(ActionKind.RIGHT), Action(ActionKind.MOVE)]
    if kind is ScreenKind.MAT_MOVE:
        found += [Action(ActionKind.CHOOSE, o.index) for o in screen.options]
    return found


@dataclass
class Walk:
    """A run of the engine, one action at a time, with every screen seen."""

    state: RunState
    screen: Screen
    answers: dict[str, AnswerRecord]

    def do(self, action: Action) -> Screen:
        outcome = ENGINE.apply(self.state, self.answers, action)
        if outcome.answer is not None:
            self.answers[outcome.answer.step_id] = outcome.answer
        self.state, self.screen = outcome.state, outcome.screen
        return self.screen


def run_options(flow_id: str, data: st.DataObject) -> dict:
    """A therapist's choice of mat topic and cards, and personal picture cards, sometimes."""
    options: dict = {}
    if data.draw(st.booleans(), label="personal cards"):
        options["cards"] = PERSONAL
    if ENGINE.flows[flow_id].asks_outcomes:  # one to eight of the young person's outcomes
        count = data.draw(st.integers(1, MAX_OUTCOMES), label="outcomes")
        options["outcomes"] = {slot: {"id": n, "words": f"Outcome {n}", "symbol": None,
                                      "media": None}
                               for n, slot in enumerate(outcome_slots()[:count], 1)}
    mat = next((s for s in ENGINE.flows[flow_id].steps if s.topics), None)
    if mat is not None and data.draw(st.booleans(), label="therapist's mat"):
        topic = data.draw(st.sampled_from(sorted(mat.topics)), label="topic")
        cards = data.draw(st.lists(st.sampled_from(mat.topics[topic]), min_size=2,
                                   max_size=12, unique=True), label="cards")
        options["mat"] = {"topic": topic, "cards": cards}
    return options


@pytest.mark.parametrize("flow_id", FLOWS)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_the_part_number_only_moves_on_and_the_total_stays(
        flow_id: str, data: st.DataObject) -> None:
    flow = ENGINE.flows[flow_id]
    state, screen = ENGINE.start(flow_id, run_options(flow_id, data))
    walk = Walk(state, screen, {})
    total = total_parts(flow)
    if flow.asks_outcomes:  # one part for each outcome given, not for each slot in the file
        total -= MAX_OUTCOMES - len(state.options["outcomes"])
    cards = 0
    for _ in range(80):
        before = walk.screen
        if before.kind is ScreenKind.REVIEW:
            assert before.part_number == 0  # the review has no part number
            break
        action = data.draw(st.sampled_from(moves(before)), label="action")
        after = walk.do(action)
        if after.kind is ScreenKind.REVIEW:
            continue
        assert after.part_count == total, "the total changed within the run"
        assert 1 <= after.part_number <= total
        if walk.state.step_id == HELPED:
            assert after.part_number == total  # "Who helped you answer?" is the last part
        if action.kind is not ActionKind.BACK:
            # Forward: on to the next part at most, never back and never skipping one.
            assert after.part_number - before.part_number in (0, 1), (
                f"{before.step_id} -> {after.step_id}: "
                f"{before.part_number} -> {after.part_number} of {total}")
        if after.card_count:
            cards = cards or after.card_count
            assert after.card_count == cards, "the number of mat cards changed"
            assert 1 <= after.card_number <= after.card_count
        placing = before.kind is ScreenKind.MAT_PLACE and before.card_number
        if placing and action.kind is not ActionKind.BACK and after.kind is ScreenKind.MAT_PLACE:
            assert after.card_number == before.card_number + 1, "one card placed, one on"
        if placing and action.kind is ActionKind.BACK and after.card_number:
            # Back takes back one card (at the first card there is none to take back).
            assert after.card_number == max(1, before.card_number - 1)


@pytest.mark.parametrize("flow_id", FLOWS)
def test_every_route_meets_every_part_in_order(flow_id: str) -> None:
    """The part rule on the flow file itself: the first step is part 1, parts go up one at a
    time down the file, and any step that can follow another is in the same part or the next
    (so no route skips a part, and the last step before the end is in the last part)."""
    flow = ENGINE.flows[flow_id]
    numbers = [flow.part_of(s.id) for s in flow.steps]
    assert numbers[0] == 1 and numbers == sorted(numbers)
    assert set(numbers) == set(range(1, flow.part_count + 1))
    for step in flow.steps:
        for after in flow.following(step):
            if after == "end":
                assert flow.part_of(step.id) == flow.part_count, f"{step.id} ends early"
            else:
                assert flow.part_of(after) - flow.part_of(step.id) in (0, 1), step.id


def test_parts_of_good_day_bad_day_are_the_parts_of_the_day() -> None:
    flow = ENGINE.flows["good_day_bad_day"]
    # Seven parts of the day, "more good days", own words, and who helped: ten parts.
    assert total_parts(flow) == 10
    # A follow-up question is in the part of the question that led to it.
    assert flow.part_of("how_lessons") == flow.part_of("why_bad_lessons") == 3
    check_in = ENGINE.flows["check_in"]
    assert [check_in.part_of(s) for s in ("how", "what_good", "what_made", "own_words")] \
        == [1, 1, 1, 2]


def test_the_words_and_the_picture_card_say_the_same_part() -> None:
    walk = Walk(*ENGINE.start("good_day_bad_day"), {})
    walk.do(Action(ActionKind.CHOOSE, 0))  # good: "What makes the morning good?"
    walk.do(Action(ActionKind.SKIP))
    screen = walk.screen
    words = present.caption(screen, CONTENT.locale)
    assert "Part 2 of 10" in words and present.footer(screen, CONTENT.locale) == "Part 2 of 10"
    review = Walk(*ENGINE.start("check_in"), {})
    for _ in range(3):
        review.do(Action(ActionKind.SKIP))
    assert review.screen.kind is ScreenKind.REVIEW
    assert " of " not in present.caption(review.screen, CONTENT.locale).split("\n")[0]
    assert present.footer(review.screen, CONTENT.locale) == ""


def test_the_mat_says_how_many_cards_then_counts_them() -> None:
    options = {"mat": {"topic": "school", "cards": ["maths", "art", "lunch"]}}
    walk = Walk(*ENGINE.start("talking_mat", options), {})
    first = present.caption(walk.screen, CONTENT.locale)
    assert first.index("There are 3 cards.") < first.index("Card 1 of 3") \
        < first.index("where does Maths go?")
    assert "Part 1 of 3" in first
    second = present.caption(walk.do(Action(ActionKind.CHOOSE, 0)), CONTENT.locale)
    assert "Card 2 of 3" in second and "There are" not in second
    walk.do(Action(ActionKind.SKIP))
    walk.do(Action(ActionKind.CHOOSE, 2))
    assert walk.screen.kind is ScreenKind.MAT_REVIEW
    assert "Card" not in present.caption(walk.screen, CONTENT.locale)
    walk.do(Action(ActionKind.MOVE))
    moving = walk.do(Action(ActionKind.CHOOSE, 0))  # moving Maths: no new card, no count
    assert moving.kind is ScreenKind.MAT_PLACE and moving.card_number == 0
