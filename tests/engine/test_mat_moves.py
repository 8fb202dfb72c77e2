"""Moving cards on a Talking Mat keeps the young person's mat as they laid it (issue 15,
point 9): a card moved to another column goes to the end of that column, a card put back in
its own column stays where it was, and every other card keeps its place, after any sequence
of moves. The mat on screen, the "Move a card" list, the kept answer and the review agree."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.engine.core import LEFT_OFF, REVIEW, Action, ActionKind, AnswerRecord, RunState
from bot.engine.screen import MatView, Screen, ScreenKind
from tests.engine.test_engine import ENGINE

CARDS = list(ENGINE.flows["talking_mat"].step("mat").choices)
COLUMNS = (0, 1, 2, LEFT_OFF)

Mat = dict[int, list[str]]  # column -> card ids, top to bottom


def _put(column: int) -> Action:
    """The tap that puts the current card under a scale column, or leaves it off."""
    return Action(ActionKind.CHOOSE, column) if column != LEFT_OFF else Action(ActionKind.SKIP)


def _on_screen(view: MatView) -> Mat:
    return {0: [c.symbol_id for c in view.columns[0]], 1: [c.symbol_id for c in view.columns[1]],
            2: [c.symbol_id for c in view.columns[2]],
            LEFT_OFF: [c.symbol_id for c in view.left_off]}


def _reading_order(mat: Mat) -> list[str]:
    return [card for column in COLUMNS for card in mat[column]]


class _Walk:
    """One run of the talking_mat flow, action by action."""

    def __init__(self) -> None:
        self.state: RunState
        self.state, self.screen = ENGINE.start("talking_mat", {"mat": {"cards": CARDS}})
        self.answers: dict[str, AnswerRecord] = {}

    def do(self, action: Action) -> Screen:
        outcome = ENGINE.apply(self.state, self.answers, action)
        if outcome.answer is not None:
            self.answers[outcome.answer.step_id] = outcome.answer
        self.state, self.screen = outcome.state, outcome.screen
        return self.screen


@settings(max_examples=60, deadline=None)
@given(placing=st.lists(st.sampled_from(COLUMNS), min_size=len(CARDS), max_size=len(CARDS)),
       moves=st.lists(st.tuples(st.integers(0, len(CARDS) - 1), st.sampled_from(COLUMNS)),
                      max_size=8))
def test_moving_cards_keeps_every_other_card_in_its_place(
        placing: list[int], moves: list[tuple[int, int]]) -> None:
    walk = _Walk()
    expected: Mat = {column: [] for column in COLUMNS}
    for card, column in zip(CARDS, placing, strict=True):
        walk.do(_put(column))
        expected[column].append(card)
    assert walk.screen.kind is ScreenKind.MAT_REVIEW
    assert _on_screen(walk.screen.mat) == expected
    for pick, column in moves:
        listed = walk.do(Action(ActionKind.MOVE))
        assert listed.kind is ScreenKind.MAT_MOVE
        # "Move a card" lists the cards as the mat shows them.
        assert [o.symbol_id for o in listed.options] == _reading_order(expected)
        card = listed.options[pick].symbol_id
        walk.do(Action(ActionKind.CHOOSE, pick))
        walk.do(_put(column))
        if card not in expected[column]:  # to another column: its end; else it stays put
            for cards in expected.values():
                if card in cards:
                    cards.remove(card)
            expected[column].append(card)
        assert walk.screen.kind is ScreenKind.MAT_REVIEW
        assert _on_screen(walk.screen.mat) == expected
    shown = walk.screen.mat
    finished, kept = ENGINE.finished_mat(walk.state, "mat")
    walk.do(Action(ActionKind.RIGHT))
    answer = walk.answers["mat"]
    assert finished == shown
    assert ENGINE.mat_view_of("talking_mat", answer) == shown  # what is stored draws the same
    assert kept["placements"] == dict(answer.placements)
    assert answer.choices == tuple(c for c, column in answer.placements if column != LEFT_OFF)
    while walk.screen.step_id != REVIEW:
        walk.do(Action(ActionKind.SKIP))
    assert walk.screen.mat == shown  # the review's picture is the same mat
    # The review line's small symbols read in the order of its words: column by column, then
    # the cards left off (not in the order the cards were placed or moved).
    (line,) = [line for line in walk.screen.review if "mat" in line.step_ids]
    laid = [c.words for column in shown.columns for c in column] + [
        c.words for c in shown.left_off]
    assert [words for _, words in line.symbols] == laid
    positions = [line.words.index(words) for words in laid]
    assert positions == sorted(positions)
