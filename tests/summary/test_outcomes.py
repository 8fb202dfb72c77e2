"""Progress towards the outcomes in the EHC plan in the summary (issue 14, point 3): two
outcomes across two meetings, built from a hand-made snapshot with the real flow files,
symbols and words; the PDF's and the text summary's words read back."""

from __future__ import annotations

from typing import Any

from bot.engine.core import FlowEngine
from bot.i18n import Locale
from bot.summary.classify import Symbols
from bot.summary.model import MediaIn, RunIn, build
from bot.summary.pdf import render_pdf
from bot.summary.picture import outcome_lines
from bot.summary.text import full_text
from bot.summary.types import OutcomeIn
from tests.summary.test_summary_model import ANN, NOW, Runs, engine, locale, snapshot
from tests.summary.test_summary_pdf import pdf_text

__all__ = ["engine", "locale"]  # the fixtures, shared with the model's tests

FLOW = "how_am_i_getting_on"
HELP = "I can ask for help in class"
FRIEND = "I can make a friend at lunch"


def given(help_words: str = HELP) -> dict[str, Any]:
    """The run options a run of the activity is given: the two outcomes, as worded then."""
    return {"outcomes": {
        "outcome_1": {"id": 11, "words": help_words, "symbol": "help", "media": None},
        "outcome_2": {"id": 12, "words": FRIEND, "symbol": None, "media": None}}}


def year(runs: Runs) -> list[RunIn]:
    """Before the last meeting (100 days ago): help the same, friend too hard. Since: help
    better (with what helps and own words), friend skipped; and a supporter's run."""
    return [
        runs(FLOW, 100, [("view_outcome_1", ["about_the_same"]),
                         ("view_outcome_2", ["finding_it_hard"]),
                         ("words_outcome_2", [], "nobody plays with me")],
             options=given("I will ask for help")),
        runs(FLOW, 10, [("view_outcome_1", ["getting_better"]),
                        ("helps_outcome_1", ["give_me_time", "use_pictures"]),
                        ("words_outcome_1", [], "I put my hand up now"),
                        ("view_outcome_2", [], None, "skipped"),
                        ("anything", [], "I like Mrs Lee")], options=given()),
        runs(FLOW, 5, [("view_outcome_1", ["finding_it_hard"])], who=ANN, options=given()),
    ]


PLAN = (OutcomeIn(11, HELP, "help"), OutcomeIn(12, FRIEND))


def test_one_entry_per_outcome_with_latest_view_and_the_view_before(
        engine: FlowEngine, locale: Locale) -> None:
    summary = build(engine, locale, snapshot(year(Runs()), outcomes=PLAN))
    first, second = summary.outcomes.progress
    assert (first.outcome_id, first.words, first.symbol and first.symbol.id) == (11, HELP, "help")
    assert first.latest is not None and first.latest.view is not None
    assert first.latest.view.words == "Getting better"  # the young person's, never the supporter's
    assert [s.id for s in first.latest.helps] == ["give_me_time", "use_pictures"]
    assert first.latest.quotes == ("I put my hand up now",)
    assert first.before is not None and first.before.view is not None
    assert first.before.view.words == "About the same"
    assert first.before.words_asked == "I will ask for help"  # the words as they were asked
    # The friend outcome: skipped this time, "too hard" before, with their words then.
    assert second.latest is not None and second.latest.kind == "skipped"
    assert second.latest.view is None and second.before is not None
    assert second.before.view is not None and second.before.view.words == "Finding it hard"
    assert second.before.quotes == ("nobody plays with me",)
    assert summary.outcomes.more_words[0][1] == "I like Mrs Lee"
    # Views of outcomes are not themes ("Not mentioned now: The same"): the change is shown
    # beside each outcome instead.
    assert not summary.since.new_themes and not summary.since.gone_themes


def test_text_summary_shows_each_outcome_its_views_and_words(
        engine: FlowEngine, locale: Locale) -> None:
    text = full_text(build(engine, locale, snapshot(year(Runs()), outcomes=PLAN)), locale)
    part = text.split("Progress towards my outcomes", 1)[1]
    assert f"1. 🛟 {HELP}" in part and f"2. {FRIEND}" in part
    assert "My view now: Getting better" in part
    assert "Before the last meeting: About the same" in part
    assert "A different view from before the last meeting." in part
    assert "What helps: Give me time, Use pictures" in part
    assert "“I put my hand up now”" in part
    assert "Before the last meeting: Finding it hard" in part
    assert "My view now: (skipped)" in part
    assert "“nobody plays with me”" in part  # their words before the last meeting, too
    assert "(asked as “I will ask for help”)" in part  # the words as they were asked
    assert "“I like Mrs Lee”" in part


def test_pdf_shows_the_outcome_words_and_views(engine: FlowEngine, locale: Locale) -> None:
    text = pdf_text(render_pdf(build(engine, locale, snapshot(year(Runs()), outcomes=PLAN)),
                               locale))
    assert "Progress towards my outcomes" in text
    part = " ".join(text.split("Progress towards my outcomes", 1)[1].split())
    for words in (HELP, FRIEND, "My view now: Getting better",
                  "Before the last meeting: About the same",
                  "What helps: Give me time, Use pictures", "I put my hand up now",
                  "Before the last meeting: Finding it hard", "nobody plays with me"):
        assert words in part, words


def test_an_outcome_taken_off_keeps_its_views_and_no_outcomes_says_nothing_yet(
        engine: FlowEngine, locale: Locale) -> None:
    summary = build(engine, locale, snapshot(year(Runs()), outcomes=PLAN[1:]))
    ended = [p for p in summary.outcomes.progress if not p.current]
    assert [(p.outcome_id, p.words) for p in ended] == [(11, HELP)]
    new = build(engine, locale, snapshot([], outcomes=PLAN))
    assert [p.latest for p in new.outcomes.progress] == [None, None]
    assert "Not asked about yet." in full_text(new, locale)
    empty = build(engine, locale, snapshot([]))
    assert empty.outcomes.empty
    nothing = next(line for line in full_text(empty, locale).splitlines()
                   if line.startswith("Nothing shared yet under:"))
    assert "Progress towards my outcomes" in nothing  # named once, never an empty heading


# --- views given in their own words, quotes kept apart, the view before the meeting ----------


def scale(engine: FlowEngine) -> tuple[str, ...]:
    """The points of the activity's three-point scale, as the flow offers them (ids and their
    order are the flow's, not this test's)."""
    return tuple(engine.flows[FLOW].step("view_outcome_1").choices)


def scale_words(engine: FlowEngine, point: str) -> str:
    """A point of the scale in words, as the summary shows it."""
    return Symbols(engine).get(point).words


def test_a_view_typed_instead_of_tapped_is_their_words_never_skipped(
        engine: FlowEngine, locale: Locale) -> None:
    run = Runs()
    summary = build(engine, locale, snapshot([
        run(FLOW, 10, [("view_outcome_1", [], "a bit easier now"),
                       ("helps_outcome_1", [], "Miss K helps"),
                       ("words_outcome_1", [], "I try more")], options=given())],
        outcomes=PLAN))
    latest = summary.outcomes.progress[0].latest
    assert latest is not None and latest.kind == "own_words"
    assert latest.in_words == "a bit easier now"
    assert latest.quotes == ("Miss K helps", "I try more")  # one quotation per step
    text = full_text(summary, locale)
    pdf = " ".join(pdf_text(render_pdf(summary, locale)).split())
    picture = "\n".join(outcome_lines(summary, locale))
    assert f"{HELP}: “a bit easier now” (in my own words)" in picture
    for shown in (text, pdf, picture):
        assert "My view now: “a bit easier now” (in my own words)" in shown or shown is picture
        assert "(skipped)" not in shown
        assert "a bit easier now Miss K helps" not in shown
    part = text.split("Progress towards my outcomes", 1)[1]
    assert "“Miss K helps” (" in part and "“I try more” (" in part  # each rendered apart
    assert "“a bit easier now”" in pdf and "“Miss K helps”" in pdf and "“I try more”" in pdf


def test_a_photo_or_voice_note_at_the_scale_is_named_as_the_view(
        engine: FlowEngine, locale: Locale) -> None:
    run = Runs()
    summary = build(engine, locale, snapshot([
        run(FLOW, 10, [("view_outcome_1", [], None, "answered", (71,)),
                       ("view_outcome_2", [], None, "answered", (72,))], options=given())],
        outcomes=PLAN, media={71: MediaIn(71, "photo", "image/jpeg", None, NOW),
                              72: MediaIn(72, "voice", "audio/ogg", None, NOW)}))
    help_view, friend_view = (p.latest for p in summary.outcomes.progress)
    assert help_view is not None and help_view.sent == ("photo",)
    assert friend_view is not None and friend_view.sent == ("voice",)
    part = full_text(summary, locale).split("Progress towards my outcomes", 1)[1]
    assert "My view now: sent a photo" in part and "My view now: sent a voice note" in part
    assert "(skipped)" not in part


def test_a_skipped_run_before_the_meeting_does_not_hide_an_earlier_view(
        engine: FlowEngine, locale: Locale) -> None:
    hard = scale(engine)[-1]
    run = Runs()
    summary = build(engine, locale, snapshot([
        run(FLOW, 120, [("view_outcome_1", [hard])], options=given()),
        run(FLOW, 100, [("view_outcome_1", [], None, "skipped")], options=given()),
        run(FLOW, 10, [("view_outcome_1", [scale(engine)[0]])], options=given())],
        outcomes=PLAN))
    before = summary.outcomes.progress[0].before
    assert before is not None and before.view is not None and before.view.id == hard
    part = full_text(summary, locale).split("Progress towards my outcomes", 1)[1]
    assert f"Before the last meeting: {scale_words(engine, hard)}" in part
