"""Going back or changing keeps what was said, and the review names what each answer is about
(issue 12, points 2 and 3), on the engine alone: no Telegram, no database."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.engine.core import (
    CHANGE,
    HELPED,
    REVIEW,
    Action,
    ActionKind,
    AnswerKind,
    AnswerRecord,
    FlowEngine,
    RunState,
)
from bot.engine.flows import StepType
from bot.engine.screen import Control, ScreenKind
from bot.engine.vocabulary import text_emoji
from bot.services import load_content

ENGINE: FlowEngine = load_content().engine
FLOWS = sorted(f.id for f in ENGINE.flows.values() if f.audience == "young_person")
MAT_KINDS = (ScreenKind.MAT_PLACE, ScreenKind.MAT_REVIEW, ScreenKind.MAT_MOVE)


def act(state: RunState, answers: dict[str, AnswerRecord], action: Action) -> RunState:
    outcome = ENGINE.apply(state, answers, action)
    if outcome.answer is not None:
        answers[outcome.answer.step_id] = outcome.answer
    return outcome.state


def answer_step(data: st.DataObject, state: RunState,
                answers: dict[str, AnswerRecord]) -> RunState:
    """Answer the step on screen in any way a young person can: a pick, ticks then Done, own
    words (alone or with ticks), a photo or voice note, Skip, I don't know, a whole mat."""
    screen = ENGINE.screen(state, answers)
    kind = screen.kind
    if kind in MAT_KINDS:
        while ENGINE.screen(state, answers).kind is ScreenKind.MAT_PLACE:
            place = data.draw(st.sampled_from([0, 1, 2, None]))
            state = act(state, answers, Action(ActionKind.CHOOSE, place) if place is not None
                        else Action(ActionKind.SKIP))
        return act(state, answers, Action(ActionKind.RIGHT))
    helped = state.step_id == HELPED
    ways = ["skip", "dont_know"] if not helped else ["skip"]
    if kind is ScreenKind.CHOICE:
        ways.append("choose")
    if kind is ScreenKind.MULTI:
        ways.append("ticks")
    if not helped:
        ways += ["words", "media"]
    way = data.draw(st.sampled_from(ways))
    if way == "skip":
        return act(state, answers, Action(ActionKind.SKIP))
    if way == "dont_know":
        return act(state, answers, Action(ActionKind.DONT_KNOW))
    if way == "choose":
        return act(state, answers,
                   Action(ActionKind.CHOOSE, data.draw(st.sampled_from(screen.options)).index))
    if kind is ScreenKind.MULTI:  # words or media may come with ticks
        picks = data.draw(st.lists(st.sampled_from(screen.options), unique=True,
                                   min_size=1 if way == "ticks" else 0, max_size=3))
        for option in picks:
            state = act(state, answers, Action(ActionKind.TOGGLE, option.index))
    if way == "ticks":
        return act(state, answers, Action(ActionKind.DONE))
    if way == "words":
        return act(state, answers, Action(ActionKind.TEXT, text=data.draw(
            st.sampled_from(["the bus was late", "كان يومي جيدا", "I like 🐶"]))))
    media = (data.draw(st.integers(1, 99)), data.draw(st.sampled_from(["photo", "voice"])))
    caption = data.draw(st.sampled_from([None, "my dog"]))
    return act(state, answers, Action(ActionKind.MEDIA, text=caption, media=media))


def to_review(data: st.DataObject, flow_id: str) -> tuple[RunState, dict[str, AnswerRecord]]:
    state, _ = ENGINE.start(flow_id)
    answers: dict[str, AnswerRecord] = {}
    for _ in range(60):
        if state.step_id == REVIEW:
            return state, answers
        state = answer_step(data, state, answers)
    raise AssertionError("never reached the review")


def unchanged(state: RunState, answers: Mapping[str, AnswerRecord]) -> Action:
    """What leaves a reopened step as it was: the marked choice again, Done, "Keep what I
    wrote", "This is right" on a mat, or Skip / I don't know again."""
    earlier = answers[state.step_id]
    screen = ENGINE.screen(state, answers)
    if earlier.kind is AnswerKind.SKIPPED:
        return Action(ActionKind.SKIP)
    if earlier.kind is AnswerKind.DONT_KNOW:
        return Action(ActionKind.DONT_KNOW)
    if screen.kind in MAT_KINDS:
        return Action(ActionKind.RIGHT)
    if screen.kind is ScreenKind.MULTI:
        return Action(ActionKind.DONE)
    if screen.kind is ScreenKind.CHOICE and earlier.choices:
        marked = [o for o in screen.options if o.selected]
        return Action(ActionKind.CHOOSE, marked[0].index)
    assert Control.KEEP_EARLIER in screen.controls, screen
    return Action(ActionKind.KEEP_EARLIER)


def check_reopened(state: RunState, answers: Mapping[str, AnswerRecord]) -> None:
    """The reopened step shows its earlier answer, and leaving it as it was keeps the stored
    answer identical."""
    earlier = answers[state.step_id]
    screen = ENGINE.screen(state, answers)
    flow = ENGINE.flows[state.flow_id]
    if state.step_id != HELPED and flow.step(state.step_id).type is StepType.MAT:
        assert state.placed == earlier.placements
        assert screen.kind is ScreenKind.MAT_REVIEW  # every card where it was
    elif earlier.kind is AnswerKind.ANSWERED:
        assert state.selected == earlier.choices
        if screen.kind in (ScreenKind.CHOICE, ScreenKind.MULTI):
            assert {o.symbol_id for o in screen.options if o.selected} == set(earlier.choices)
        if earlier.own_words:
            assert screen.earlier == earlier.own_words
        elif any(k in ("photo", "voice") for _, k in earlier.media):
            assert screen.earlier == ""
    outcome = ENGINE.apply(state, answers, unchanged(state, answers))
    assert outcome.answer == earlier


@settings(max_examples=60, deadline=None)
@given(flow_id=st.sampled_from(FLOWS), data=st.data())
def test_change_something_reopens_any_answer_as_it_was(flow_id: str, data: st.DataObject) -> None:
    state, answers = to_review(data, flow_id)
    state = act(state, answers, Action(ActionKind.CHANGE))
    assert state.step_id == CHANGE
    screen = ENGINE.screen(state, answers)
    option = data.draw(st.sampled_from(screen.options))
    state = act(state, answers, Action(ActionKind.CHOOSE, option.index))
    assert state.step_id == option.symbol_id
    check_reopened(state, answers)


@settings(max_examples=60, deadline=None)
@given(flow_id=st.sampled_from(FLOWS), data=st.data())
def test_back_reopens_any_answer_as_it_was(flow_id: str, data: st.DataObject) -> None:
    state, answers = to_review(data, flow_id)
    steps = data.draw(st.integers(1, len(state.history)))
    for _ in range(steps):
        state = act(state, answers, Action(ActionKind.BACK))
        flow = ENGINE.flows[flow_id]
        if state.step_id != HELPED and flow.step(state.step_id).type is StepType.MAT:
            break  # Back on a mat takes back its last card, so stop here
    check_reopened(state, answers)


@settings(max_examples=40, deadline=None)
@given(flow_id=st.sampled_from(FLOWS), data=st.data())
def test_the_review_and_change_screen_name_every_answer(flow_id: str,
                                                        data: st.DataObject) -> None:
    """Every answered step is on one review line, with a topic in a few words (never the
    whole prompt of a step with a label), and every chosen symbol is carried; "Change
    something" lists the same topics."""
    state, answers = to_review(data, flow_id)
    review = ENGINE.screen(state, answers)
    covered = [s for line in review.review for s in line.step_ids]
    assert covered == [s for s in state.history if s in answers]
    flow = ENGINE.flows[flow_id]
    for line in review.review:
        assert line.topic and len(line.topic) <= 40
        for step_id in line.step_ids:
            answer = answers[step_id]
            if answer.kind is AnswerKind.ANSWERED:
                for choice in answer.choices:
                    card = ENGINE.card(state, choice)
                    assert (card.emoji, card.words) in line.symbols
                    assert f"{card.words} {text_emoji(card.emoji)}".rstrip() in line.answer
                if answer.own_words:
                    assert answer.own_words in line.answer
        if line.step_id != HELPED and not flow.step(line.step_id).about:
            assert line.topic == flow.step(line.step_id).label
    change = ENGINE.screen(act(state, answers, Action(ActionKind.CHANGE)), answers)
    assert [o.words for o in change.options] == [line.topic for line in review.review]


def walk(flow_id: str, actions: list[Action]) -> tuple[RunState, dict[str, AnswerRecord]]:
    state, _ = ENGINE.start(flow_id)
    answers: dict[str, AnswerRecord] = {}
    for action in actions:
        state = act(state, answers, action)
    return state, answers


def tap(index: int) -> Action:
    return Action(ActionKind.CHOOSE, index)


def tick(index: int) -> Action:
    return Action(ActionKind.TOGGLE, index)


DONE = Action(ActionKind.DONE)
BACK = Action(ActionKind.BACK)
SKIP = Action(ActionKind.SKIP)


def test_ticking_more_then_done_keeps_the_earlier_own_words() -> None:
    # check_in: Good, tick Friend and type words at "What made it good?"
    state, answers = walk("check_in", [tap(0), tick(0), Action(ActionKind.TEXT, text="cake")])
    assert answers["what_good"] == AnswerRecord("what_good", AnswerKind.ANSWERED,
                                                ("friend",), "cake")
    state = act(state, answers, BACK)
    screen = ENGINE.screen(state, answers)
    assert [o.symbol_id for o in screen.options if o.selected] == ["friend"]
    assert screen.earlier == "cake" and Control.KEEP_EARLIER in screen.controls
    state = act(state, answers, tick(3))  # games
    state = act(state, answers, DONE)
    assert answers["what_good"].choices == ("friend", "games")
    assert answers["what_good"].own_words == "cake"  # never dropped silently


def test_new_words_replace_the_old_but_a_voice_note_stays() -> None:
    state, answers = walk("check_in", [SKIP, SKIP])
    state = act(state, answers, Action(ActionKind.MEDIA, media=(7, "voice")))
    state = act(state, answers, BACK)
    assert ENGINE.screen(state, answers).earlier == ""  # "Keep what I sent"
    act(state, answers, Action(ActionKind.TEXT, text="and it rained"))
    assert answers["own_words"].media == ((7, "voice"),)
    assert answers["own_words"].own_words == "and it rained"


def test_a_reopened_choice_keeps_its_own_words_when_picked_again() -> None:
    # working_not_working: words typed at "How are things at school?" then a picture picked later
    state, answers = walk("working_not_working", [Action(ActionKind.TEXT, text="so-so")])
    state = act(state, answers, BACK)
    assert ENGINE.screen(state, answers).earlier == "so-so"
    act(state, answers, tap(0))
    assert answers["school"].choices == ("working",) and answers["school"].own_words == "so-so"


def test_more_than_one_helper() -> None:
    state, answers = walk("my_meeting", [SKIP] * 4)
    screen = ENGINE.screen(state, answers)
    assert state.step_id == HELPED and screen.kind is ScreenKind.MULTI
    assert Control.DONE in screen.controls
    state = act(state, answers, DONE)  # nothing ticked: a kind note, nothing kept
    assert HELPED not in answers and state.step_id == HELPED
    for index in (1, 2):
        state = act(state, answers, tick(index))
    state = act(state, answers, DONE)
    assert answers[HELPED].choices == ("helped_family", "helped_school")
    line = ENGINE.screen(state, answers).review[-1]
    assert line.topic == "Who helped"
    # "My family" is an OpenMoji extra: the words stand alone in text; the picture has it.
    assert line.answer == "My family, School staff 🎓"
    assert ("\ue098", "My family") in line.symbols
    state = act(state, answers, BACK)  # back from the review: both still ticked
    assert state.selected == ("helped_family", "helped_school")
    state = act(state, answers, tick(0))  # "On my own" takes the others off...
    assert state.selected == ("helped_alone",)
    state = act(state, answers, tick(3))  # ...and someone helping takes "On my own" off
    assert state.selected == ("helped_therapist",)


def test_good_day_bad_day_review_names_each_part_of_the_day() -> None:
    flow = ENGINE.flows["good_day_bad_day"]
    actions: list[Action] = []
    for n, _ in enumerate(("morning", "getting_to_school", "lessons", "break_lunch",
                           "after_school", "evening", "bedtime")):
        if n % 2 == 0:
            actions += [tap(0), tick(0), tick(2), DONE]  # good: friend, calm
        else:
            actions += [tap(2), tick(0), DONE]  # bad: too loud
    actions += [tick(0), tick(1), DONE, Action(ActionKind.TEXT, text="more breaks"),
                tick(0), tick(1), DONE]
    state, answers = walk("good_day_bad_day", actions)
    assert state.step_id == REVIEW
    lines = ENGINE.screen(state, answers).review
    assert [line.topic for line in lines] == [
        "Morning", "Getting to school", "Lessons", "Break and lunch", "After school",
        "Evening", "Bedtime", "More good days", "My own words", "Who helped"]
    morning = lines[0]
    assert morning.step_ids == ("how_morning", "why_good_morning")
    assert morning.answer == "Good 😀 · because: Friend 🧑‍🤝‍🧑, Calm 😌"
    assert morning.emoji == ENGINE.vocabulary["morning"].emoji
    assert lines[1].answer.startswith("Bad ") and "because: Too loud" in lines[1].answer
    assert all(flow.step(s).prompt not in line.answer for line in lines[:7]
               for s in line.step_ids)


def test_every_step_of_every_flow_has_a_short_label() -> None:
    for flow in ENGINE.flows.values():
        for step in flow.steps:
            assert step.label and "{" not in step.label, (flow.id, step.id)
            assert len(step.label) <= 40


def test_a_mat_reopened_from_the_review_gets_its_cards_from_the_answer() -> None:
    """The run's state may not hold the mat (a run kept before placements were in the
    state, or a mat taken apart with Back since): the answer's placements put it back."""
    state, answers = walk("talking_mat", [tap(0), tap(2), SKIP, tap(1), tap(0), tap(0), tap(2),
                                          tap(1), Action(ActionKind.RIGHT), SKIP, SKIP])
    assert state.step_id == REVIEW and answers["mat"].placements
    state = act(replace(state, placed=()), answers, Action(ActionKind.CHANGE))
    state = act(state, answers, tap(0))
    assert state.step_id == "mat" and state.placed == answers["mat"].placements
    assert ENGINE.screen(state, answers).kind is ScreenKind.MAT_REVIEW


def test_changing_a_round_asks_its_follow_up_again_filled_in() -> None:
    """A review line holds a round ("Morning: Good · because: Friend, Calm"): changing it
    reopens the first question, then its follow-up with the earlier ticks (its own words can
    be changed too), and only then goes back to the review."""
    actions = [tap(0), tick(0), tick(2), DONE] + [SKIP] * 6 + [SKIP, SKIP, SKIP]
    state, answers = walk("good_day_bad_day", actions)
    assert state.step_id == REVIEW
    state = act(state, answers, Action(ActionKind.CHANGE))
    state = act(state, answers, tap(0))  # the Morning line
    assert state.step_id == "how_morning"
    state = act(state, answers, tap(0))  # Good again
    assert state.step_id == "why_good_morning"
    assert ENGINE.screen(state, answers).kind is ScreenKind.MULTI and state.selected
    state = act(state, answers, Action(ActionKind.TEXT, text="my dog"))
    assert state.step_id == REVIEW
    assert answers["why_good_morning"].own_words == "my dog"
    assert answers["why_good_morning"].choices == ("friend", "calm")  # the ticks stayed


def test_words_sent_on_from_someone_else_are_not_offered_back_as_theirs() -> None:
    state, answers = walk("check_in", [SKIP, SKIP])
    assert ENGINE.flows["check_in"].step(state.step_id).type is StepType.TEXT
    state = act(state, answers, Action(ActionKind.TEXT, text="mum says so", forwarded=True))
    state = act(state, answers, BACK)
    screen = ENGINE.screen(state, answers)
    assert Control.KEEP_EARLIER in screen.controls
    assert screen.earlier == ""  # "Keep what I sent", never "You wrote: “mum says so”"


def test_words_at_a_one_picture_step_answer_instead_of_the_picture() -> None:
    """A reopened one-picture step shows its earlier picture marked; words typed there are
    the answer (the route is the default one), so no picture is kept beside them."""
    state, answers = walk("good_day_bad_day", [tap(0), tick(0), DONE])
    state = act(state, answers, BACK)
    state = act(state, answers, BACK)
    assert state.step_id == "how_morning" and state.selected == ("good",)
    state = act(state, answers, Action(ActionKind.TEXT, text="it is weird"))
    assert answers["how_morning"].choices == () and answers["how_morning"].own_words == \
        "it is weird"
