"""The summary model (bot/summary/model.py), built from hand-made snapshots with the real flow
files, symbols and words: which heading each answer goes under, good and bad days, Talking Mats,
what changed since the last meeting, Section A, and whose view each item is."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from bot.engine.core import FlowEngine
from bot.engine.flows import load_flows
from bot.engine.vocabulary import Vocabulary
from bot.i18n import Locale
from bot.paths import flows_dir, media_dir
from bot.summary.model import (
    AnswerIn,
    MediaIn,
    RunIn,
    Snapshot,
    Summary,
    Voice,
    YouSaidIn,
    build,
    group_key,
    tally,
    you_said_items,
)
from bot.summary.types import Rated

NOW = datetime(2026, 3, 20, 17, 0, tzinfo=UTC)
LAST_MEETING = date(2026, 1, 10)
MEETING_BEFORE = date(2025, 9, 1)
JO = Voice("young_person", "Jo", "", 1)
ANN = Voice("supporter", "Ann", "parent", 2)


@pytest.fixture(scope="module")
def engine() -> FlowEngine:
    vocabulary = Vocabulary.load(media_dir() / "symbols.yaml")
    return FlowEngine(load_flows(flows_dir(), vocabulary), vocabulary)


@pytest.fixture(scope="module")
def locale() -> Locale:
    return Locale.load(media_dir() / "locales")


class Runs:
    """Makes runs with unique ids, the way the store would hand them over."""

    def __init__(self) -> None:
        self.next_id = 0

    def __call__(self, flow_id: str, days_ago: int, answers: list[tuple[Any, ...]],
                 who: Voice = JO, **extra: Any) -> RunIn:
        made = []
        for step_id, choices, *rest in answers:
            self.next_id += 1
            words = rest[0] if rest else None
            kind = rest[1] if len(rest) > 1 else "answered"
            media = rest[2] if len(rest) > 2 else ()
            placements = rest[3] if len(rest) > 3 else ()
            made.append(AnswerIn(self.next_id, step_id, kind, tuple(choices), words, media,
                                 placements=placements))
        self.next_id += 1
        return RunIn(self.next_id, flow_id, NOW - timedelta(days=days_ago), who, tuple(made),
                     tuple(a.step_id for a in made), **extra)


def snapshot(runs: list[RunIn], **fields: Any) -> Snapshot:
    values: dict[str, Any] = dict(
        young_person=JO, viewer_name="Sam", made_at=NOW, period_start=LAST_MEETING,
        previous_start=MEETING_BEFORE, next_meeting=date(2026, 3, 27),
        runs=tuple(sorted(runs, key=lambda r: r.when)), private_count=2)
    values.update(fields)
    return Snapshot(**values)


def headings(summary: Summary) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for section in summary.sections:
        for item in section.items:
            found.setdefault(item.heading, []).extend(
                [s.id for s in item.symbols] + ([f"“{item.quote}”"] if item.quote else []))
    return found


def test_a_steps_heading_wins_and_the_flow_default_follows_the_days_verdict(
        engine: FlowEngine, locale: Locale) -> None:
    run = Runs()
    summary = build(engine, locale, snapshot([
        run("check_in", 5, [("how", ["bad"]), ("what_bad", ["too_loud", "tired"]),
                            ("own_words", [], "the hall was loud")]),
        run("check_in", 4, [("how", ["good"]), ("what_good", ["friend"])]),
        run("check_in", 3, [("how", ["ok"]), ("what_made", ["tired"])]),
        run("important_to_for", 2, [("people", ["mum", "pet"]),
                                    ("for_health", ["sleep"]),
                                    ("to_words", [], "my dog Rex", "answered")]),
    ]))
    found = headings(summary)
    assert found["bad_days"] == ["bad", "too_loud", "tired", "“the hall was loud”"]
    assert "friend" in found["good_days"] and "tired" in found["good_days"]  # the OK day
    assert found["important_to"] == ["mum", "pet", "“my dog Rex”"]  # heading: in the flow file
    assert found["important_for"] == ["sleep"]
    days = summary.days
    assert (days.good, days.ok, days.bad) == (1, 1, 1)
    assert [s.id for s, _ in days.bad_reasons] == ["tired", "too_loud"]
    assert [i.quote for i in days.quotes] == ["the hall was loud"]


def test_parts_of_the_day_and_working_not_working_by_what_a_step_is_about(
        engine: FlowEngine, locale: Locale) -> None:
    run = Runs()
    summary = build(engine, locale, snapshot([
        run("good_day_bad_day", 3, [
            ("how_morning", ["good"]), ("why_good_morning", ["calm"]),
            ("how_break_lunch", ["bad"]), ("why_bad_break_lunch", ["too_loud"]),
            ("how_evening", ["bad"]), ("own_words", [], "lunch is hard")]),
        run("working_not_working", 2, [
            ("school", ["working"]), ("school_why", [], "I like my class"),
            ("home", ["not_working"]), ("home_why", [], "my room is noisy"),
            ("friends", ["not_sure"])]),
    ]))
    days = summary.days
    assert days.days == 0  # parts rated, no whole day: no day is made up from its parts
    assert [(p.part.id, p.rated.good, p.rated.bad, p.rated.total) for p in days.parts] == [
        ("morning", 1, 0, 1), ("break_lunch", 0, 1, 1), ("evening", 0, 1, 1)]
    assert [s.id for s, _ in days.bad_parts] == ["break_lunch", "evening"]
    assert [s.id for s, _ in days.good_parts] == ["morning"]
    assert [s.id for s, _ in days.bad_reasons] == ["too_loud"]
    working = summary.section("working").items
    by_group = {}
    for item in working:
        by_group.setdefault(group_key(item), []).append(item)
    assert [s.id for s, _ in tally(by_group["working"])] == ["school"]
    assert [i.quote for i in by_group["working"] if i.quote] == ["I like my class"]
    assert [s.id for s, _ in tally(by_group["not_working"])] == ["home"]
    assert [i.quote for i in by_group["not_working"] if i.quote] == ["my room is noisy"]
    assert [s.id for s, _ in tally(by_group["not_sure"])] == ["friend"]


def test_a_flow_without_a_mapping_goes_under_other_and_skipped_answers_go_nowhere(
        engine: FlowEngine, locale: Locale) -> None:
    run = Runs()
    summary = build(engine, locale, snapshot([
        run("a_flow_that_is_gone", 2, [("step_one", ["happy"], "still here"),
                                       ("step_two", [], None, "skipped"),
                                       ("step_three", [], None, "dont_know")]),
    ]))
    other = summary.section("other").items
    assert [i.quote for i in other if i.quote] == ["still here"]
    assert [i.dont_know for i in other] == [False, True]
    assert other[0].flow_title == "A flow that is gone"


def test_whose_view_every_item_is_and_supporters_have_their_own_section_a_part(
        engine: FlowEngine, locale: Locale) -> None:
    run = Runs()
    summary = build(engine, locale, snapshot([
        run("working_not_working", 3, [("school", ["working"]),
                                       ("school_why", [], "my teacher helps")]),
        run("supporter_view", 2, [("working", [], "art club is going well"),
                                  ("not_working", [], "mornings are a rush"),
                                  ("admire", [], "she is kind")], who=ANN),
    ]))
    working = summary.section("working").items
    assert [i.who.name for i in working] == ["Jo", "Jo", "Ann", "Ann"]  # Jo's own view first
    assert summary.section("like_admire").items[0].who == ANN
    assert summary.shared_count == 1 and summary.supporter_count == 1
    jos = [line.text for part in summary.section_a if part.voice is None
           for line in part.lines]
    assert "my teacher helps" in jos and "School is working well for me." in jos
    assert not any("art club" in text or "she is kind" in text for text in jos)
    [anns] = [part for part in summary.section_a if part.voice is not None]
    assert summary.section_a[-1] == anns  # after Jo's own parts, never merged into them
    assert anns.title == "Ann, parent or carer: their view" and anns.voice == ANN
    assert [(line.label, line.kind, line.text) for line in anns.lines] == [
        ("What they like and admire", "quote", "she is kind"),
        ("What is working", "quote", "art club is going well"),
        ("What is not working", "quote", "mornings are a rush")]
    assert summary.days.days == 0  # a supporter's view is not one of Jo's days


def mat_run(run: Runs, days_ago: int, placements: dict[str, int], media_id: int,
            **extra: Any) -> RunIn:
    """A finished mat: its answer holds where each card went (answers.detail)."""
    return run("talking_mat", days_ago, [
        ("mat", [c for c, column in placements.items() if column >= 0], None, "answered",
         (media_id,), tuple(placements.items()))], **extra)


def test_talking_mats_read_from_the_mat_answer_and_what_moved(engine: FlowEngine,
                                                             locale: Locale) -> None:
    run = Runs()
    media = {m: MediaIn(m, "mat", "image/png", b"png", NOW) for m in (50, 51, 52)}
    summary = build(engine, locale, snapshot([
        mat_run(run, 120, {"maths": 1, "pe": 0, "art": 2}, 50),  # before the last meeting
        mat_run(run, 40, {"maths": 0, "pe": 0, "art": 1, "reading": -1}, 51),
        mat_run(run, 5, {"maths": 0, "pe": 2, "art": 1}, 52),
    ], media=media))
    assert [m.image for m in summary.mats] == [51, 52]  # this period's mats only
    newest = summary.mats[-1]
    assert [[c.id for c in column] for column in newest.columns] == [["maths"], ["art"], ["pe"]]
    assert [(m.card.id, m.before, m.now) for m in newest.moved] == [("pe", 0, 2)]
    first = summary.mats[0]
    assert [c.id for c in first.left_off] == ["reading"]  # left off the mat is kept too
    assert first.words == "Like: Maths, PE · Not sure: Art · Left off: Reading"
    assert newest.earlier == summary.mats[0].when
    first = summary.mats[0]
    assert {(m.card.id, m.before, m.now) for m in first.moved} == {("maths", 1, 0),
                                                                    ("art", 2, 1)}
    since = summary.since.mats_moved  # newest now against newest before the meeting
    assert [(m.card.id, m.before, m.now) for mat in since for m in mat.moved] == [
        ("maths", 1, 0), ("art", 2, 1), ("pe", 0, 2)]
    sentence = [line.text for part in summary.section_a for line in part.lines
                if "Talking Mat" in line.text][-1]
    assert sentence == ("On my Talking Mat about school (15 March 2026), I put maths under "
                        "Like; art under Not sure; PE under Don't like.")


def test_a_mat_takes_the_therapists_topic_and_keeps_the_cards_left_off(
        engine: FlowEngine, locale: Locale) -> None:
    run = Runs()
    summary = build(engine, locale, snapshot([
        run("talking_mat", 3, [("mat", ["maths", "pe"], None, "answered", (),
                                (("maths", 2), ("pe", 0), ("art", -1)))],
            options={"mat": {"topic": "home", "scale": ["like", "not_sure", "dont_like"]}})]))
    mat = summary.mats[0]
    assert mat.topic.id == "home" and mat.image is None
    assert [[c.id for c in column] for column in mat.columns] == [["pe"], [], ["maths"]]
    assert [c.id for c in mat.left_off] == ["art"]
    item = summary.section("talking_mat").items[0]
    assert item.placed == "Like: PE · Don't like: Maths · Left off: Art"


def test_a_mat_with_no_card_put_down_reads_as_skipped(engine: FlowEngine,
                                                     locale: Locale) -> None:
    run = Runs()
    summary = build(engine, locale, snapshot([
        run("talking_mat", 3, [("mat", ["maths"]), ("more", [], "it was hard")])]))
    assert summary.mats == ()
    assert [i.question for i in summary.section("talking_mat").items] == [
        "Is there anything else you want to say about it?"]


def test_since_the_last_meeting_new_and_gone_themes_and_the_balance(engine: FlowEngine,
                                                                    locale: Locale) -> None:
    run = Runs()
    summary = build(engine, locale, snapshot([
        run("check_in", 150, [("how", ["bad"]), ("what_bad", ["lonely", "tired"])]),
        run("check_in", 140, [("how", ["bad"]), ("what_bad", ["tired"])]),
        run("check_in", 20, [("how", ["good"]), ("what_good", ["friend", "games"])]),
        run("check_in", 10, [("how", ["bad"]), ("what_bad", ["tired"])]),
    ]))
    since = summary.since
    assert since.has_earlier and since.earlier_start == MEETING_BEFORE
    assert since.earlier_end == LAST_MEETING
    assert [t.symbol.id for t in since.new_themes] == ["friend", "games"]
    assert [t.symbol.id for t in since.gone_themes] == ["lonely"]
    assert since.balance_now == Rated(good=1, bad=1) and since.balance_before == Rated(bad=2)
    weeks = since.weeks
    assert weeks[0].start <= MEETING_BEFORE < weeks[1].start
    assert sum(w.bad for w in weeks) == 3 and sum(w.good for w in weeks) == 1
    assert [(w.good, w.bad) for w in summary.days.weeks if w.good or w.bad] == [(1, 0), (0, 1)]


def test_no_earlier_meeting_means_nothing_to_compare(engine: FlowEngine,
                                                     locale: Locale) -> None:
    run = Runs()
    summary = build(engine, locale, snapshot(
        [run("check_in", 400, [("how", ["good"])]), run("check_in", 3, [("how", ["bad"])])],
        period_start=None, previous_start=None))
    assert not summary.since.has_earlier
    assert summary.period_start == (NOW - timedelta(days=400)).date()
    assert summary.days.good == 1 and summary.days.bad == 1


def test_section_a_marks_quotes_and_summaries_from_the_young_persons_words_only(
        engine: FlowEngine, locale: Locale) -> None:
    run = Runs()
    summary = build(engine, locale, snapshot([
        run("my_meeting", 4, [("talk_about", ["school"]),
                              ("questions", [], "Can I sit near the door?"),
                              ("who", ["mum", "teacher"]), ("how", ["be_there"])]),
        run("one_page_profile", 3, [("admire", ["kind", "funny"]),
                                    ("support", ["give_me_time"])]),
        run("check_in", 2, [("how", ["bad"]), ("what_bad", ["too_loud"]),
                            ("own_words", [], "it was “really” loud")]),
    ]))
    parts = {p.title: p.lines for p in summary.section_a}
    assert ("quote", "it was “really” loud") in [
        (line.kind, line.text) for line in parts["My good days and bad days"]]
    take_part = [(line.kind, line.text) for line in parts[
        "How I communicate, how best to support me, and how I want to be involved"]]
    assert take_part == [("summary", "It helps me when people give me time."),
                         ("summary", "I would like my mum and my teacher at my meeting."),
                         ("summary", "At my meeting, I would like to be there."),
                         ("summary", "At my meeting, I want to talk about school."),
                         ("quote", "Can I sit near the door?")]
    assert [(line.kind, line.text) for line in parts[
        "About me, and what people like and admire about me"]] == [
        ("summary", "People like that I am kind and funny.")]
    assert {line.kind for p in summary.section_a for line in p.lines} == {"quote", "summary"}


def test_who_helped_the_private_count_and_you_said(engine: FlowEngine, locale: Locale) -> None:
    run = Runs()
    summary = build(engine, locale, snapshot([
        run("important_to_for", 5, [("people", ["mum"])], helped_by="helped_family"),
        run("my_meeting", 4, [("talk_about", ["school"]), ("_helped", ["helped_alone"])]),
        run("check_in", 3, [("how", ["good"])]),
    ], private_count=4, you_said=(YouSaidIn(NOW, (("lunch is loud", "a quiet room"),),
                                            "a_bit"),)))
    assert [(h.key, h.count) for h in summary.helped] == [
        ("helped_alone", 1), ("helped_family", 1), ("helped_unknown", 1)]
    assert summary.private_count == 4
    assert summary.you_said[0].listened == "a_bit"
    assert all(i.heading != "other" for s in summary.sections for i in s.items)


def test_every_helper_of_a_run_is_counted(engine: FlowEngine, locale: Locale) -> None:
    """Several people can help with one flow (issue 12): each is counted for it."""
    run = Runs()
    summary = build(engine, locale, snapshot([
        run("important_to_for", 5, [("people", ["mum"])],
            helped_by="helped_family,helped_school"),
        run("my_meeting", 4, [("talk_about", ["school"]),
                              ("_helped", ["helped_family", "helped_therapist"])]),
    ]))
    assert [(h.key, h.count) for h in summary.helped] == [
        ("helped_family", 2), ("helped_school", 1), ("helped_therapist", 1)]


def test_you_said_items_read_kindly_from_stored_json() -> None:
    assert you_said_items('[{"said": "a", "will": "b"}]') == (("a", "b"),)
    assert you_said_items("not json") == ()
    assert you_said_items('{"said": "a"}') == ()
    assert you_said_items(None) == ()
