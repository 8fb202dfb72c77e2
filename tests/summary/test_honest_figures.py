"""Honest figures about days (issue 14, point 6): a day's verdict is never worked out from its
parts, each part of the day is counted in the times it was rated, a chart is drawn only with
at least three weeks to compare and its axis counts from 0 in distinct integers, and every
figure in the PDF, the text and Section A says what it counts."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.engine.core import FlowEngine
from bot.engine.headings import Heading
from bot.i18n import Locale
from bot.summary.chart import MOST_TICKS, axis_ticks, week_chart, worth_drawing
from bot.summary.model import RunIn, Summary, build
from bot.summary.pdf import render_pdf
from bot.summary.picture import render_picture
from bot.summary.stats import top_themes
from bot.summary.text import full_text
from bot.summary.types import RATINGS, Sym, Theme, Week
from bot.summary.words import tally_text
from tests.summary.test_summary_model import NOW, Runs, engine, locale, snapshot
from tests.summary.test_summary_pdf import pdf_text

__all__ = ["engine", "locale"]  # fixtures shared with test_summary_model

GDBD_PARTS = ("morning", "getting_to_school", "lessons", "break_lunch", "after_school",
              "evening", "bedtime")
# Figures the old summary printed for a day it made up from parts, or for OK and not sure
# merged into one number.
MISLEADING = ("Good days: 0", "OK: 1, Bad", "OK or not sure", "Good days (up)")


def mixed_day(run: Runs, days_ago: int, school: str = "bad") -> RunIn:
    """Good day / bad day: morning good, getting to school `school`, break bad, after school
    good (no whole day asked)."""
    return run("good_day_bad_day", days_ago, [
        ("how_morning", ["good"]), ("why_good_morning", ["calm"]),
        ("how_getting_to_school", [school]),
        ("how_break_lunch", ["bad"]), ("why_bad_break_lunch", ["too_loud"]),
        ("how_after_school", ["good"]), ("own_words", [], "the bus is noisy")])


def check_in(run: Runs, days_ago: int, verdict: str) -> RunIn:
    """The check-in's "How was today?", answered `verdict`."""
    follow = {"good": "what_good", "bad": "what_bad"}.get(verdict, "what_made")
    return run("check_in", days_ago, [("how", [verdict]), (follow, ["tired"])])


def test_a_mixed_day_is_counted_by_part_and_never_as_a_whole_day(
        engine: FlowEngine, locale: Locale) -> None:
    run = Runs()
    summary = build(engine, locale, snapshot([mixed_day(run, 3)]))
    days = summary.days
    assert (days.good, days.ok, days.bad, days.not_sure, days.days) == (0, 0, 0, 0, 0)
    assert [(p.part.id, p.rated.good, p.rated.bad, p.rated.total) for p in days.parts] == [
        ("morning", 1, 0, 1), ("getting_to_school", 0, 1, 1), ("break_lunch", 0, 1, 1),
        ("after_school", 1, 0, 1)]
    assert all(w.total == 0 for w in days.weeks)  # no week has a made-up day

    text = full_text(summary, locale)
    assert "Jo did not rate a whole day (“How was today?”) in this time" in text
    assert "Each line counts the times Jo rated that part" in text
    assert "  Getting to school: bad 1 of 1 (times rated: 1)" in text
    assert "  Morning: good 1 of 1 (times rated: 1)" in text
    assert "Days Jo rated as a whole" not in text
    for wrong in MISLEADING:
        assert wrong not in text

    pdf = pdf_text(render_pdf(summary, locale))
    assert "Getting to school: bad 1 of 1 (times rated: 1)" in pdf
    assert "Break and lunch: bad 1 of 1 (times rated: 1)" in pdf
    assert "No chart" not in pdf and "week by week" not in pdf  # no whole day: no chart at all
    for wrong in MISLEADING:
        assert wrong not in pdf

    drafted = [line.text for part in summary.section_a for line in part.lines]
    assert drafted[:4] == ["Mornings: I rated them once: good.",
                           "My journeys to school: I rated them once: bad.",
                           "Breaks and lunchtimes: I rated them once: bad.",
                           "Afternoons after school: I rated them once: good."]
    assert not any("whole day" in line for line in drafted)


def test_the_same_part_over_four_runs_reads_bad_3_of_4(engine: FlowEngine,
                                                        locale: Locale) -> None:
    run = Runs()
    summary = build(engine, locale, snapshot(
        [mixed_day(run, 30), mixed_day(run, 20), mixed_day(run, 10, school="good"),
         mixed_day(run, 3)]))
    school = next(p for p in summary.days.parts if p.part.id == "getting_to_school")
    assert (school.rated.good, school.rated.bad, school.rated.total) == (1, 3, 4)
    text = full_text(summary, locale)
    assert "Getting to school: good 1 of 4, bad 3 of 4 (times rated: 4)" in text
    assert "Morning: good 4 of 4 (times rated: 4)" in text
    assert summary.days.days == 0
    drafted = [line.text for part in summary.section_a for line in part.lines]
    assert drafted[:2] == ["Mornings: I rated them 4 times: all good.",
                           "My journeys to school: I rated them 4 times: good once, bad 3 times."]


def test_a_week_of_check_ins_counts_the_days_rated_as_a_whole(engine: FlowEngine,
                                                               locale: Locale) -> None:
    run = Runs()  # NOW is a Friday: 4 to 0 days ago is one Monday-to-Friday week
    summary = build(engine, locale, snapshot(
        [check_in(run, n, v) for n, v in zip(range(4, -1, -1),
                                             ("good", "good", "ok", "bad", "not_sure"),
                                             strict=True)]))
    days = summary.days
    assert (days.good, days.ok, days.bad, days.not_sure, days.days) == (2, 1, 1, 1, 5)
    assert days.parts == ()
    line = ("Days Jo rated as a whole (“How was today?”; a day rated twice counts once, as "
            "last rated): 5. Good: 2. OK: 1. Bad: 1. Not sure: 1.")
    assert line in full_text(summary, locale)
    pdf = pdf_text(render_pdf(summary, locale))
    assert line in pdf.replace("\n", " ")
    # one week is nothing to compare: no chart, and the PDF says why
    assert ("No chart: it needs at least 3 weeks, each with a day rated good, OK or bad as a "
            "whole, to compare (weeks so far: 1).") in pdf.replace("\n", " ")
    drafted = [line.text for part in summary.section_a for line in part.lines]
    assert "I rated 5 whole days: 2 good, 1 OK, 1 bad and 1 I was not sure about." in drafted


def test_a_day_rated_twice_is_one_day_as_last_rated(engine: FlowEngine,
                                                    locale: Locale) -> None:
    run = Runs()  # two check-ins on one date (bad, then good) and one the day before
    summary = build(engine, locale, snapshot(
        [check_in(run, 1, "good"), check_in(run, 0, "bad"), check_in(run, 0, "good")]))
    days = summary.days
    assert (days.days, days.good, days.bad) == (2, 2, 0)
    # the replaced "bad" rating's reason is not counted as what made a day bad
    assert days.bad_reasons == () and [n for _, n in days.good_reasons] == [2]
    assert sum(w.total for w in days.weeks) == 2
    assert ("Days Jo rated as a whole (“How was today?”; a day rated twice counts once, as "
            "last rated): 2. Good: 2.") in full_text(summary, locale)


def _weeks_of_check_ins(run: Runs, weeks: int) -> list[RunIn]:
    """One good and one bad check-in in each of `weeks` weeks, the last week being NOW's."""
    return [check_in(run, 7 * w + d, v) for w in range(weeks)
            for d, v in ((0, "good"), (1, "bad"))]


def test_two_weeks_give_no_chart_and_three_weeks_give_one(engine: FlowEngine,
                                                          locale: Locale) -> None:
    two = build(engine, locale, snapshot(_weeks_of_check_ins(Runs(), 2)))
    assert not worth_drawing(two.days.weeks)
    with pytest.raises(ValueError):
        week_chart(two.days.weeks)
    pdf = pdf_text(render_pdf(two, locale)).replace("\n", " ")
    assert "No chart" in pdf and "(weeks so far: 2)" in pdf and "week by week" not in pdf
    render_picture(two, locale)  # the picture leaves the chart out too, without failing

    three = build(engine, locale, snapshot(_weeks_of_check_ins(Runs(), 3)))
    assert worth_drawing(three.days.weeks)
    assert axis_ticks(three.days.weeks) == (0, 1)  # one good and one bad a week: 0 and 1
    chart = week_chart(three.days.weeks, width=800, height=300)
    assert chart.size == (800, 300)
    pdf = pdf_text(render_pdf(three, locale)).replace("\n", " ")
    assert "week by week" in pdf and "No chart" not in pdf
    assert ("Days Jo rated as a whole (“How was today?”; a day rated twice counts once, as "
            "last rated): 6.") in pdf


def test_since_the_last_meeting_counts_whole_days_and_parts_with_their_totals(
        engine: FlowEngine, locale: Locale) -> None:
    run = Runs()  # the last meeting was 69 days before NOW
    summary = build(engine, locale, snapshot([
        mixed_day(run, 120, school="good"), check_in(run, 110, "bad"),
        mixed_day(run, 20), mixed_day(run, 10), check_in(run, 5, "good")]))
    since = summary.since
    assert (since.balance_now.good, since.balance_now.total) == (1, 1)
    assert (since.balance_before.bad, since.balance_before.total) == (1, 1)
    school = next(r for r in since.parts if r[0].id == "getting_to_school")
    assert (school[1].bad, school[1].total, school[2].good, school[2].total) == (2, 2, 1, 1)
    text = full_text(summary, locale)
    assert "Days rated as a whole this time: 1. Good: 1. OK: 0. Bad: 0. Not sure: 0." in text
    assert "Days rated as a whole the time before: 1. Good: 0. OK: 0. Bad: 1." in text
    assert "Getting to school: this time bad 2 of 2; the time before good 1 of 1" in text


@given(st.integers(min_value=0, max_value=200))
def test_the_axis_counts_from_0_in_distinct_integers(tallest: int) -> None:
    weeks = [Week(NOW.date(), good=tallest), Week(NOW.date(), bad=tallest // 2)]
    ticks = axis_ticks(weeks)
    assert ticks[0] == 0 and ticks[-1] >= max(1, tallest)
    assert len(set(ticks)) == len(ticks) and list(ticks) == sorted(ticks)
    assert all(isinstance(t, int) for t in ticks) and 2 <= len(ticks) <= MOST_TICKS
    assert ticks[-1] - ticks[-2] > ticks[-1] - max(1, tallest)  # the top is the first above


# For each Good day / bad day run: the parts rated (each with a rating) or left out; and for
# each check-in, its rating of the whole day.
RUN_MIXES = st.lists(st.one_of(
    st.dictionaries(st.sampled_from(GDBD_PARTS), st.sampled_from(RATINGS), max_size=7),
    st.sampled_from(RATINGS)), min_size=1, max_size=6)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(RUN_MIXES)
def test_every_part_of_the_day_is_counted_out_of_the_times_it_was_rated(
        engine: FlowEngine, locale: Locale, mixes: list[dict[str, str] | str]) -> None:
    run = Runs()
    runs = []
    for n, mix in enumerate(mixes):
        if isinstance(mix, str):
            runs.append(check_in(run, n, mix))
        else:
            runs.append(run("good_day_bad_day", n, [(f"how_{p}", [v]) for p, v in mix.items()]))
    summary: Summary = build(engine, locale, snapshot(runs))
    answered = Counter(p for mix in mixes if isinstance(mix, dict) for p in mix)
    given_ = Counter((p, v) for mix in mixes if isinstance(mix, dict) for p, v in mix.items())
    wholes = Counter(mix for mix in mixes if isinstance(mix, str))
    days = summary.days
    assert {p.part.id: p.rated.total for p in days.parts} == dict(answered)
    for part in days.parts:
        assert sum(part.rated.of(v) for v in RATINGS) == part.rated.total
        for verdict in RATINGS:
            assert part.rated.of(verdict) == given_[(part.part.id, verdict)]
    assert [days.whole.of(v) for v in RATINGS] == [wholes[v] for v in RATINGS]
    assert days.days == sum(wholes.values()) == sum(w.total for w in days.weeks)
    # The text says the same: "bad X of Y" with X <= Y and Y the times that part was rated.
    text = full_text(summary, locale)
    for part in days.parts:
        line = next(x for x in text.splitlines() if x.startswith(f"  {part.part.words}: "))
        total = int(re.search(r"\(times rated: (\d+)\)", line).group(1))  # type: ignore[union-attr]
        assert total == answered[part.part.id]
        counts = re.findall(r"(?:good|OK|bad|not sure) (\d+) of (\d+)", line)
        assert counts and all(int(x) <= int(y) == total for x, y in counts), line
        assert sum(int(x) for x, _ in counts) == total, line  # the counts add up


def test_no_list_of_themes_or_picks_is_cut_without_saying_so() -> None:
    themes = [Theme(Sym(f"s{n:02}", f"Thing {n:02}", ""), Heading.IMPORTANT_TO, 1)
              for n in range(14)]
    assert len(top_themes(themes)) == 14  # "new this time" lists every theme
    picked = [(Sym(f"s{n}", f"Thing {n}", ""), 2 if n == 0 else 1) for n in range(7)]
    assert tally_text(picked, 5) == "Thing 0 (2), Thing 1, Thing 2, Thing 3, Thing 4, +2 more"
    assert tally_text(picked[:5], 5) == "Thing 0 (2), Thing 1, Thing 2, Thing 3, Thing 4"


@pytest.mark.parametrize(("verdicts", "sentence"), [
    (("good",), "I rated 1 whole day: it was good."),
    (("not_sure",), "I rated 1 whole day: I was not sure about it."),
    (("bad", "bad"), "I rated 2 whole days: all 2 were bad."),
    (("good", "ok", "ok"), "I rated 3 whole days: 1 good and 2 OK.")])
def test_the_days_rated_as_a_whole_name_only_the_ratings_given(
        engine: FlowEngine, locale: Locale, verdicts: tuple[str, ...], sentence: str) -> None:
    run = Runs()
    summary = build(engine, locale, snapshot(
        [check_in(run, n, v) for n, v in enumerate(verdicts)]))
    drafted = [line.text for part in summary.section_a for line in part.lines]
    assert drafted[0] == sentence


def test_a_part_rated_twice_two_ways_says_once_each(engine: FlowEngine, locale: Locale) -> None:
    run = Runs()
    summary = build(engine, locale, snapshot(
        [mixed_day(run, 10), mixed_day(run, 3, school="good"), mixed_day(run, 2)]))
    drafted = [line.text for part in summary.section_a for line in part.lines]
    assert "My journeys to school: I rated them 3 times: good once, bad twice." in drafted
