"""`repeat: outcomes` rounds (issue 14, point 3): a run asks about the outcomes it was given,
in order, each under its own words, and passes over the slots it was given none for."""

from __future__ import annotations

from bot.engine.core import Action, ActionKind, FlowEngine
from bot.engine.flows import load_flows
from bot.engine.vocabulary import Vocabulary
from bot.paths import flows_dir, media_dir

VOCABULARY = Vocabulary.load(media_dir() / "symbols.yaml")
ENGINE = FlowEngine(load_flows(flows_dir(), VOCABULARY), VOCABULARY)
FLOW = "how_am_i_getting_on"


def outcome(n: int, words: str, symbol: str | None = None) -> dict[str, object]:
    return {"id": n, "words": words, "symbol": symbol, "media": None}


def test_only_the_outcomes_given_are_asked_each_under_its_words() -> None:
    given = {"outcomes": {"outcome_1": outcome(7, "I can ask for help", "help"),
                          "outcome_2": outcome(9, "I can take the bus")}}
    state, screen = ENGINE.start(FLOW, given)
    assert (screen.step_id, screen.about and screen.about.words) == (
        "view_outcome_1", "I can ask for help")
    assert screen.about is not None and screen.about.emoji == VOCABULARY["help"].emoji
    assert [o.symbol_id for o in screen.options] == [
        "getting_better", "about_the_same", "finding_it_hard"]
    assert (screen.part_number, screen.part_count) == (1, 4)  # two outcomes, more, who helped
    answers = {}
    for action in (Action(ActionKind.CHOOSE, 2), Action(ActionKind.SKIP),
                   Action(ActionKind.DONT_KNOW), Action(ActionKind.SKIP),
                   Action(ActionKind.SKIP), Action(ActionKind.SKIP)):
        step = ENGINE.apply(state, answers, action)
        state, screen = step.state, step.screen
        if step.answer is not None:
            answers[step.answer.step_id] = step.answer
    assert screen.step_id == "anything"  # slots 3 to 8 passed over
    assert (screen.part_number, screen.part_count) == (3, 4)
    assert answers["view_outcome_1"].choices == ("finding_it_hard",)
    assert answers["words_outcome_1"].kind == "dont_know"
    lines = ENGINE.review_lines(FLOW, (*state.history,), answers, given)
    assert [line.topic for line in lines] == ["I can ask for help", "I can take the bus"]


def test_a_gap_in_the_slots_is_passed_over_and_none_goes_to_the_last_question() -> None:
    _, screen = ENGINE.start(FLOW, {"outcomes": {"outcome_2": outcome(3, "I can cook")}})
    assert screen.step_id == "view_outcome_2" and (screen.part_number, screen.part_count) == (
        1, 3)
    _, screen = ENGINE.start(FLOW, {})
    assert screen.step_id == "anything" and screen.part_count == 2


def test_the_question_card_names_the_outcome_and_is_never_shared_between_young_people(
) -> None:
    from bot.render.screens import picture_for

    _, screen = ENGINE.start(FLOW, {"outcomes": {"outcome_1": outcome(7, "I can cook")}})
    picture = picture_for(screen, screen.prompt)
    assert picture is not None
    # Their therapist's words for them: on their card, never in the cache shared by everyone.
    assert picture.title == "I can cook: How is this going for you?" and not picture.shared
    _, last = ENGINE.start(FLOW, {})
    plain = picture_for(last, last.prompt)
    assert plain is not None and plain.shared
