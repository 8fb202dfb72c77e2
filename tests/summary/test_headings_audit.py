"""Every answer under the heading it belongs to (issue 14, point 1).

AUDIT is the reviewed heading of every step of every shipped flow (a repeat block's steps once
per round), and of an answer at a step its flow no longer has (None). Each row was read against
the person-centred review headings in FIELD-NOTES: a step's heading is what its *question*
asks, not what its choices happen to mention. A new or changed step fails here until someone
has looked at where its answers go and written the row.

Two rules hold whatever the table says:
- a step that offers support strategies (give me time, a quiet place, use pictures, ...) is
  never filed under the future: "What would make more good days?" once put "give me time,
  quiet place and use pictures" into Section A as "When I am older, I want ...";
- a step is filed under the future exactly when its prompt asks about the future.
"""

from __future__ import annotations

import re

import pytest

from bot.engine.core import FlowEngine
from bot.engine.flows import MAX_OUTCOMES, Flow, Step, load_flows
from bot.engine.headings import Heading
from bot.engine.vocabulary import Vocabulary
from bot.i18n import Locale
from bot.paths import flows_dir, media_dir
from bot.summary.classify import SECTIONS, step_heading
from bot.summary.model import Summary, build, tally
from bot.summary.pdf import render_pdf
from bot.summary.text import full_text
from tests.summary.test_summary_model import ANN, Runs, engine, locale, snapshot
from tests.summary.test_summary_pdf import pdf_text

__all__ = ["engine", "locale"]  # fixtures shared with test_summary_model

VOCABULARY = Vocabulary.load(media_dir() / "symbols.yaml")
FLOWS = load_flows(flows_dir(), VOCABULARY)
DAY_PARTS = ("morning", "getting_to_school", "lessons", "break_lunch", "after_school",
             "evening", "bedtime")

# (flow id, step id or None) -> (heading, the step's own heading?). Not the step's own means
# the flow file's default: for good / bad days and working / not working, the answer's
# verdict then chooses the side.
AUDIT: dict[tuple[str, str | None], tuple[str, bool]] = {
    # check_in: how today was, and why; "bad" puts the reasons under bad days.
    ("check_in", "how"): ("good_days", False),
    ("check_in", "what_good"): ("good_days", False),
    ("check_in", "what_bad"): ("good_days", False),
    ("check_in", "what_made"): ("good_days", False),
    ("check_in", "own_words"): ("good_days", False),
    ("check_in", None): ("good_days", False),
    # good_day_bad_day: each part of the day, then what would help.
    **{("good_day_bad_day", f"how_{part}"): ("good_days", False) for part in DAY_PARTS},
    **{("good_day_bad_day", f"why_good_{part}"): ("good_days", True) for part in DAY_PARTS},
    **{("good_day_bad_day", f"why_bad_{part}"): ("bad_days", True) for part in DAY_PARTS},
    # "What would make more good days?" asks what would help (give me time, a quiet place,
    # use pictures): how best to support me. Before issue 14 it was filed under the future.
    ("good_day_bad_day", "more_good"): ("support", True),
    ("good_day_bad_day", "own_words"): ("good_days", False),
    ("good_day_bad_day", None): ("good_days", False),
    # important_to_for: "to" from their own view (people, places, activities, things,
    # routines and pace), then "for" (healthy and safe).
    ("important_to_for", "people"): ("important_to", True),
    ("important_to_for", "places"): ("important_to", True),
    ("important_to_for", "activities"): ("important_to", True),
    ("important_to_for", "things"): ("important_to", True),
    # "What helps your day go well?": routines and pace, which the Important to / for tool
    # puts under important to (a quiet place or a break is theirs to name as important).
    ("important_to_for", "routines"): ("important_to", True),
    ("important_to_for", "to_words"): ("important_to", True),
    ("important_to_for", "for_health"): ("important_for", True),
    ("important_to_for", "for_words"): ("important_for", True),
    ("important_to_for", None): ("important_to", False),
    # my_future: what they hope for, in their own words first, then each Preparing for
    # Adulthood area (pictures, then own words). All of it is the future, and only this.
    ("my_future", "hopes"): ("future", True),
    ("my_future", "learning_work"): ("future", True),
    ("my_future", "learning_work_words"): ("future", True),
    ("my_future", "living"): ("future", True),
    ("my_future", "living_words"): ("future", True),
    ("my_future", "community"): ("future", True),
    ("my_future", "community_words"): ("future", True),
    ("my_future", "health"): ("future", True),
    ("my_future", "health_words"): ("future", True),
    ("my_future", None): ("future", False),
    # my_meeting: "the future" is one of the things they may want to talk about: a question
    # for the meeting, not an aspiration.
    ("my_meeting", "talk_about"): ("questions", True),
    ("my_meeting", "questions"): ("questions", True),
    ("my_meeting", "who"): ("take_part", True),
    ("my_meeting", "how"): ("take_part", True),
    ("my_meeting", None): ("take_part", False),
    # one_page_profile: its three headings, and a photo about me.
    ("one_page_profile", "admire"): ("like_admire", True),
    ("one_page_profile", "admire_words"): ("like_admire", True),
    ("one_page_profile", "important"): ("important_to", True),
    ("one_page_profile", "support"): ("support", True),
    ("one_page_profile", "photo"): ("about_me", True),
    ("one_page_profile", None): ("about_me", False),
    # supporter_view: a supporter's own view, attributed to them (never the young person's).
    ("supporter_view", "working"): ("working", True),
    ("supporter_view", "not_working"): ("not_working", True),
    ("supporter_view", "admire"): ("like_admire", True),
    ("supporter_view", "interests"): ("about_me", True),
    ("supporter_view", "important_to"): ("important_to", True),
    ("supporter_view", "important_for"): ("important_for", True),
    ("supporter_view", "future"): ("future", True),  # their hopes for the young person
    ("supporter_view", None): ("working", False),
    # talking_mat: a mat is always talking_mat, and so are the words about it.
    ("talking_mat", "mat"): ("talking_mat", True),
    ("talking_mat", "more"): ("talking_mat", True),
    ("talking_mat", None): ("talking_mat", False),
    # working_not_working: the verdict at each place chooses working or not working.
    ("working_not_working", "school"): ("working", False),
    ("working_not_working", "school_why"): ("working", False),
    ("working_not_working", "home"): ("working", False),
    ("working_not_working", "home_why"): ("working", False),
    ("working_not_working", "friends"): ("working", False),
    ("working_not_working", "friends_why"): ("working", False),
    ("working_not_working", "talking"): ("working", False),
    ("working_not_working", "talking_why"): ("working", False),
    ("working_not_working", None): ("working", False),
}
# how_am_i_getting_on: each outcome's view, what helps and words, one round per outcome slot
# (a `repeat: outcomes` block), all under "Progress towards my outcomes".
AUDIT.update({("how_am_i_getting_on", f"{step}_outcome_{n}"): ("outcomes", False)
              for step in ("view", "helps", "words") for n in range(1, MAX_OUTCOMES + 1)})
AUDIT.update({("how_am_i_getting_on", "anything"): ("outcomes", False),
              ("how_am_i_getting_on", None): ("outcomes", False)})

# How best to support me: the communication supports and the ways of working with someone
# that the vocabulary offers (category "communication", less the meeting's own cards).
SUPPORT_STRATEGIES = frozenset({
    "give_me_time", "use_pictures", "show_me", "say_it_again", "slow_down", "short_words",
    "write_it_down", "sign_language", "one_thing_at_a_time", "ask_me_first", "listen_to_me",
    "quiet_place", "need_a_break",
})
# A prompt asks about the future when it names it: "in the future", "when you are older".
ABOUT_THE_FUTURE = re.compile(r"\bfuture\b|\bwhen (you are|you're|I am|I'm) older\b",
                              re.IGNORECASE)


def every_step() -> list[tuple[Flow, Step]]:
    return [(flow, step) for flow in FLOWS.values() for step in flow.steps]


def test_the_table_covers_every_step_of_every_shipped_flow() -> None:
    shipped = {(f.id, s.id) for f, s in every_step()} | {(f.id, None) for f in FLOWS.values()}
    assert sorted(shipped - set(AUDIT), key=str) == [], "steps nobody has reviewed"
    assert sorted(set(AUDIT) - shipped, key=str) == [], "rows for steps no flow has"


@pytest.mark.parametrize(("flow_id", "step_id"), sorted(AUDIT, key=str))
def test_every_step_is_filed_under_its_reviewed_heading(flow_id: str,
                                                        step_id: str | None) -> None:
    flow = FLOWS[flow_id]
    step = flow.step(step_id) if step_id is not None else None
    heading, explicit = step_heading(flow, step)
    assert isinstance(heading, Heading)
    assert (heading.value, explicit) == AUDIT[(flow_id, step_id)]


def test_the_support_strategies_are_cards_of_the_vocabulary() -> None:
    assert SUPPORT_STRATEGIES <= set(VOCABULARY.ids())
    assert all(VOCABULARY[s].category == "communication" for s in SUPPORT_STRATEGIES)


@pytest.mark.parametrize(("flow", "step"), every_step(),
                         ids=lambda v: v.id if isinstance(v, Flow | Step) else str(v))
def test_no_support_strategy_is_filed_under_the_future(flow: Flow, step: Step) -> None:
    offered = set(step.choices) | {c for cards in step.topics.values() for c in cards}
    if offered & SUPPORT_STRATEGIES:
        assert flow.heading_of(step)[0] is not Heading.FUTURE, (
            f"{flow.id}/{step.id} offers {sorted(offered & SUPPORT_STRATEGIES)}: "
            "how best to support me, not the future")


@pytest.mark.parametrize(("flow", "step"), every_step(),
                         ids=lambda v: v.id if isinstance(v, Flow | Step) else str(v))
def test_the_future_is_for_questions_about_the_future_only(flow: Flow, step: Step) -> None:
    asks = bool(ABOUT_THE_FUTURE.search(step.prompt))
    filed = flow.heading_of(step)[0] is Heading.FUTURE
    assert asks == filed, (f"{flow.id}/{step.id}: {step.prompt!r} is filed under "
                           f"{flow.heading_of(step)[0].value}")


def test_the_rules_catch_the_old_more_good_days_filing() -> None:
    """The two rules above fail on the heading "What would make more good days?" had."""
    flow = FLOWS["good_day_bad_day"]
    old = flow.step("more_good").model_copy(update={"heading": Heading.FUTURE})
    assert set(old.choices) & SUPPORT_STRATEGIES
    assert flow.heading_of(old)[0] is Heading.FUTURE
    assert not ABOUT_THE_FUTURE.search(old.prompt)


# --- where the answers land in the summary ------------------------------------------------------

HOPE = "I want to work with animals, maybe on a farm"
WORK_WORDS = "a job at the city farm, three days a week"
HEALTH_WORDS = "keep going swimming with my brother"
SUPPORT_WORDS = "more time to answer in class"


def support_and_future(engine: FlowEngine, locale: Locale) -> Summary:
    """A Good day / Bad day with what would make more good days (support strategies), a My
    future run (own words, pictures, "I don't know" and a skip), and a supporter's view."""
    run = Runs()
    return build(engine, locale, snapshot([
        run("good_day_bad_day", 6, [
            ("how_morning", ["good"]), ("why_good_morning", ["calm"]),
            ("more_good", ["give_me_time", "quiet_place", "use_pictures"]),
            ("own_words", [], SUPPORT_WORDS)]),
        run("my_future", 3, [
            ("hopes", [], HOPE),
            ("learning_work", ["college", "animals"]),
            ("learning_work_words", [], WORK_WORDS),
            ("living", [], None, "dont_know"),
            ("living_words", [], None, "skipped"),
            ("community", ["friend", "partner"]),
            ("health_words", [], HEALTH_WORDS)]),
        run("supporter_view", 2, [("working", [], "She loves the farm club")], who=ANN),
    ]))


def test_support_strategies_go_to_support_and_my_future_to_the_future_section(
        engine: FlowEngine, locale: Locale) -> None:
    summary = support_and_future(engine, locale)
    support = summary.section("support").items
    assert [[s.id for s in i.symbols] for i in support] == [
        ["give_me_time", "quiet_place", "use_pictures"]]
    future = summary.section("future").items
    assert {i.flow_title for i in future} == {"My future"}
    picked = {s.id for i in future for s in i.symbols}
    assert picked == {"college", "animals", "friend", "partner"}
    assert not picked & SUPPORT_STRATEGIES
    # Own words name their area beside the quote, never as a card they picked.
    assert {s.id for s, _ in tally(future)} == picked
    assert not summary.section("important_to").items  # nothing of either lands there
    # The young person's own words lead the section, exactly as said.
    assert future[0].quote == HOPE and future[0].about is None
    assert [i.quote for i in future if i.quote] == [HOPE, WORK_WORDS, HEALTH_WORDS]


def test_an_item_from_my_future_names_its_preparing_for_adulthood_area(
        engine: FlowEngine, locale: Locale) -> None:
    future = support_and_future(engine, locale).section("future").items
    by_step = {i.question: i for i in future}
    work = by_step["Tell me more about your future learning and work, in your own words."]
    assert work.heading is Heading.FUTURE and work.who.is_young_person
    assert work.quote == WORK_WORDS and work.flow_title == "My future"
    assert work.about is not None and (work.about.id, work.about.words) == (
        "pfa_learning_work", "Learning and work")
    areas = [(i.about.id if i.about else None, i.dont_know) for i in future]
    assert areas == [(None, False), ("pfa_learning_work", False), ("pfa_learning_work", False),
                     ("pfa_living", True), ("pfa_community", False), ("pfa_health", False)]


def test_the_future_has_its_own_section_after_what_is_important_now() -> None:
    keys = [key for key, _ in SECTIONS]
    assert keys.index("future") == keys.index("important_to") + 1
    assert dict(SECTIONS)["future"] == (Heading.FUTURE,)
    assert Heading.FUTURE not in dict(SECTIONS)["important_to"]


def test_the_text_and_the_pdf_show_my_future_and_support_under_their_own_titles(
        engine: FlowEngine, locale: Locale) -> None:
    summary = support_and_future(engine, locale)
    future_title = "My future: what I hope for (Preparing for Adulthood)"
    for text in (full_text(summary, locale), pdf_text(render_pdf(summary, locale))):
        text = " ".join(text.split())
        # Nothing was shared under "now" or "for me": named once, before the sections drawn.
        nothing = text.index("Nothing shared yet under:")
        assert nothing < text.index("What is important to me now") < text.index(future_title)
        future = text.index(future_title)
        support = text.index("How best to support me", future)
        assert future < support
        in_future = text[future:support]
        assert f"“{HOPE}”" in in_future and f"“{WORK_WORDS}”" in in_future
        assert "Learning and work" in in_future and "College" in in_future
        assert "Give me time" not in in_future
        # Each card stays with the Preparing for Adulthood area it was picked for.
        work = in_future.index("Learning and work")
        assert work < in_future.index("College") < in_future.index("Where I live")
        assert "I don't know" in in_future[in_future.index("Where I live"):]
        assert "Give me time" in text[support:]
