"""The flow engine on its own: no Telegram, no database."""

from __future__ import annotations

import pytest

from bot.engine.core import (
    HELPED,
    REVIEW,
    Action,
    ActionKind,
    AnswerRecord,
    FlowEngine,
    InvalidAction,
    RunState,
)
from bot.engine.screen import ScreenKind
from bot.services import load_content

ENGINE: FlowEngine = load_content().engine


def run(flow_id: str, actions: list[Action], options: dict | None = None
        ) -> tuple[RunState, dict[str, AnswerRecord], list]:
    state, screen = ENGINE.start(flow_id, options)
    answers: dict[str, AnswerRecord] = {}
    screens = [screen]
    for action in actions:
        outcome = ENGINE.apply(state, answers, action)
        if outcome.answer:
            answers[outcome.answer.step_id] = outcome.answer
        state = outcome.state
        screens.append(outcome.screen)
    return state, answers, screens


def tap(index: int) -> Action:
    return Action(ActionKind.CHOOSE, index)


SKIP = Action(ActionKind.SKIP)


def test_repeat_blocks_unfold_one_round_per_part_of_the_day() -> None:
    flow = ENGINE.flows["good_day_bad_day"]
    ids = [s.id for s in flow.steps]
    assert ids[:3] == ["how_morning", "why_good_morning", "why_bad_morning"]
    assert flow.step("how_bedtime").prompt == "How is bedtime for you?"
    assert flow.step("how_morning").next == {"good": "why_good_morning",
                                             "bad": "why_bad_morning",
                                             "default": "how_getting_to_school"}
    assert flow.step("why_bad_bedtime").next == "more_good"  # past the block
    assert flow.step("how_lessons").about == "lessons"


def test_who_helped_comes_once_before_the_review() -> None:
    state, answers, screens = run("my_meeting", [SKIP] * 4 + [tap(2)])
    assert screens[4].step_id == HELPED and screens[4].prompt_is_key
    assert state.step_id == REVIEW
    assert answers[HELPED].choices == ("helped_school",)


def test_a_mat_places_cards_one_at_a_time_and_lets_one_move() -> None:
    cards = ["maths", "art", "lunch"]
    options = {"mat": {"topic": "school", "cards": cards}}
    actions = [tap(0), tap(2), SKIP, Action(ActionKind.MOVE), tap(0), tap(1),
               Action(ActionKind.RIGHT)]
    state, answers, screens = run("talking_mat", actions, options)
    assert screens[0].kind is ScreenKind.MAT_PLACE and screens[0].mat.current.words == "Maths"
    assert [c.words for c in screens[1].mat.columns[0]] == ["Maths"]
    assert screens[3].kind is ScreenKind.MAT_REVIEW
    assert [c.words for c in screens[3].mat.left_off] == ["Lunch"]
    assert screens[4].kind is ScreenKind.MAT_MOVE
    assert screens[6].kind is ScreenKind.MAT_REVIEW
    assert [c.words for c in screens[6].mat.columns[1]] == ["Maths"]
    assert answers["mat"].choices == ("art", "maths")  # placed cards; lunch was left off
    view, kept = ENGINE.finished_mat(state, "mat")
    assert kept["placements"] == {"art": 2, "lunch": -1, "maths": 1}
    assert kept["topic"] == "school" and kept["scale"] == ["like", "not_sure", "dont_like"]
    del view


def test_back_inside_a_mat_takes_back_the_last_card() -> None:
    options = {"mat": {"topic": "school", "cards": ["maths", "art"]}}
    _, _, screens = run("talking_mat", [tap(0), Action(ActionKind.BACK)], options)
    assert screens[-1].mat.current.words == "Maths"
    assert screens[-1].mat.columns[0] == ()


def test_choices_offered_from_an_earlier_flow_come_first() -> None:
    options = {"offered": {"important": ["pet", "beach"]}}
    _, _, screens = run("one_page_profile", [SKIP, SKIP], options)
    assert [o.symbol_id for o in screens[2].options][:3] == ["pet", "beach", "family"]
    # Their earlier choices, in their order: the card is theirs, not one for everyone.
    assert screens[2].personal and not screens[1].personal
    _, _, plain = run("one_page_profile", [SKIP, SKIP])
    assert not plain[2].personal


def test_personal_cards_join_the_mat() -> None:
    options = {"mat": {"topic": "school", "cards": ["maths", "art"]},
               "cards": {"card_7": {"words": "Grandma", "media": 9}}}
    _, _, screens = run("talking_mat", [tap(0), tap(0)], options)
    assert screens[-1].mat.current.words == "Grandma" and screens[-1].mat.current.image == 9


def test_a_photo_answers_a_photo_step_but_not_a_mat() -> None:
    state, answers, _ = run("one_page_profile", [SKIP, SKIP, SKIP, SKIP])
    outcome = ENGINE.apply(state, answers, Action(ActionKind.MEDIA, media=(3, "photo")))
    assert outcome.answer is not None and outcome.answer.media == ((3, "photo"),)
    mat_state, _ = ENGINE.start("talking_mat")
    assert not ENGINE.accepts_media(mat_state)
    with pytest.raises(InvalidAction):
        ENGINE.apply(mat_state, {}, Action(ActionKind.MEDIA, media=(3, "photo")))


@pytest.mark.parametrize("action", [tap(99), Action(ActionKind.TOGGLE, 0), Action(ActionKind.DONE),
                                    Action(ActionKind.SHARE), Action(ActionKind.RIGHT)])
def test_actions_that_do_not_fit_are_refused(action: Action) -> None:
    state, _ = ENGINE.start("check_in")
    with pytest.raises(InvalidAction):
        ENGINE.apply(state, {}, action)
