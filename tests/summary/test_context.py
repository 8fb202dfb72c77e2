"""Every rendering of the summary keeps context (issue 14, points 9 and 10): the part of the
day a verdict was about, each Talking Mat card under its column, who helped, and the
therapist's notes, labelled as theirs and never as the young person's words. The PDF opens
with no empty heading; the phone picture leads with the young person's own words."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from typing import Any

import pytest
from PIL import Image
from pypdf import PdfReader

from bot.engine.core import FlowEngine
from bot.i18n import Locale
from bot.summary import picture
from bot.summary.model import MediaIn, Note, RunIn, Summary, build
from bot.summary.pdf import render_pdf
from bot.summary.picture import OUTCOMES_SHOWN, block_order, outcome_lines, render_picture
from bot.summary.text import full_text, short_text
from bot.summary.types import OutcomeIn
from tests.summary.test_summary_model import ANN, NOW, Runs, engine, locale, snapshot
from tests.summary.test_summary_pdf import pdf_text

__all__ = ["engine", "locale"]  # fixtures shared with test_summary_model

MAT_NOTE = "Hesitated over Maths, then moved it; looked at the door twice."
DAY_NOTE = "Went quiet at 'getting to school'."
PARTS = ("Morning: Good · because: Calm", "Getting to school: Bad · because: Too loud")
PLACED = "School: Like: Maths; Not sure: –; Don't like: Art; Left off: PE"


def _mat_png(size: tuple[int, int] = (1080, 1400)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (240, 240, 230)).save(out, "PNG")
    return out.getvalue()


def _day(run: Runs, days_ago: int = 3) -> RunIn:
    return run("good_day_bad_day", days_ago, [
        ("how_morning", ["good"]), ("why_good_morning", ["calm"]),
        ("how_getting_to_school", ["bad"]), ("why_bad_getting_to_school", ["too_loud"]),
        ("how_lessons", [], None, "skipped"), ("_helped", ["helped_family"])],
        helped_by="helped_family")


def _mat(run: Runs, media_id: int | None = None, days_ago: int = 6) -> RunIn:
    return run("talking_mat", days_ago, [
        ("mat", ["maths"], None, "answered", (media_id,) if media_id else (),
         (("maths", 0), ("art", 2), ("pe", -1))),
        ("_helped", ["helped_therapist"])], helped_by="helped_therapist")


def _supporter(run: Runs) -> RunIn:
    return run("supporter_view", 4, [("working", [], "art club is going well")], who=ANN)


def _question(run: Runs) -> RunIn:
    return run("my_meeting", 5, [("questions", [], "Can I sit near the door?")])


def _summary(engine: FlowEngine, locale: Locale, runs: list[RunIn],
             notes: dict[int, tuple[Note, ...]] | None = None, **extra: Any) -> Summary:
    return build(engine, locale, snapshot(runs, notes=notes or {}, **extra))


@pytest.fixture
def noted(engine: FlowEngine, locale: Locale) -> Summary:
    run = Runs()
    day, mat = _day(run), _mat(run, 62)
    return _summary(engine, locale, [day, mat, _supporter(run), _question(run)], notes={
        mat.run_id: (Note(mat.run_id, "Sam", NOW, MAT_NOTE),
                     Note(mat.run_id, "", NOW, "Smiled at Art.")),
        day.run_id: (Note(day.run_id, "Sam", NOW, DAY_NOTE),)},
        media={62: MediaIn(62, "mat", "image/png", _mat_png(), NOW)})


def flat(text: str) -> str:
    return " ".join(text.split())


def pdf_pages(data: bytes) -> list[list[str]]:
    return [[line.strip() for line in page.extract_text().splitlines() if line.strip()]
            for page in PdfReader(io.BytesIO(data)).pages]


# --- the model ---------------------------------------------------------------------------------


def test_a_mat_carries_who_facilitated_and_the_therapists_notes(noted: Summary) -> None:
    mat = noted.mats[0]
    assert [h.words for h in mat.helped] == ["My therapist"]
    assert [n.text for n in mat.notes] == [MAT_NOTE, "Smiled at Art."]
    day = next(v for v in noted.runs if v.flow_title == "Good day, bad day")
    assert [f"{t}: {w}" for t, w in day.lines][:2] == list(PARTS)  # lessons: skipped, left out
    assert [h.words for h in day.helped] == ["My family"]
    supporter = next(v for v in noted.runs if not v.who.is_young_person)
    assert supporter.helped == ()  # a supporter is never asked who helped
    assert [v.when for v in noted.runs] == sorted((v.when for v in noted.runs), reverse=True)


# --- the text ----------------------------------------------------------------------------------


def test_the_text_summary_keeps_parts_placements_helpers_and_labelled_notes(
        noted: Summary, locale: Locale) -> None:
    for text in (short_text(noted, locale), full_text(noted, locale)):
        assert "; ".join(PARTS) in text
        assert PLACED in text
        assert "Who helped: My family" in text and "Who helped: My therapist" in text
        assert "Therapist's notes (not Jo's words)" in text
        assert f"20 Mar 2026, Sam: {MAT_NOTE}" in text
        assert "20 Mar 2026, a therapist: Smiled at Art." in text  # the author's account gone
        assert f"“{MAT_NOTE}”" not in text  # never quoted as anyone's own words
        assert "Good · Calm · Bad · Too loud" not in text
    whole = full_text(noted, locale)
    mat_part = whole[whole.index("Talking Mat about School"):]
    assert mat_part.index("Who helped: My therapist") < mat_part.index(MAT_NOTE)


def test_supporters_views_are_not_listed_as_checked_by_the_young_person(
        noted: Summary, locale: Locale) -> None:
    text = full_text(noted, locale)
    own = text.index("Each shared activity, as Jo checked it before sharing")
    theirs = text.index("Each supporter's view, as they sent it (Jo does not see these)")
    assert own < theirs
    assert "art club is going well" not in text[own:theirs]
    assert "art club is going well" in text[theirs:]


def test_a_note_on_a_supporters_view_is_labelled_as_not_their_words(
        engine: FlowEngine, locale: Locale) -> None:
    run = Runs()
    ann = _supporter(run)
    summary = _summary(engine, locale, [ann], notes={
        ann.run_id: (Note(ann.run_id, "Sam", NOW, "Mum was worried about the bus"),)})
    for text in (full_text(summary, locale), flat(pdf_text(render_pdf(summary, locale)))):
        assert "Therapist's notes (not Ann's words)" in text
        assert "not Jo's words" not in text


# --- the PDF -----------------------------------------------------------------------------------


def test_the_pdf_shows_a_mats_helpers_and_notes_and_notes_on_other_activities(
        noted: Summary, locale: Locale) -> None:
    text = flat("\n".join(line for page in pdf_pages(render_pdf(noted, locale))
                          for line in page))
    mat_part = text[text.index("Talking Mat about School"):]
    assert mat_part.index("Who helped: My therapist") < mat_part.index(
        "Therapist's notes (not Jo's words)") < mat_part.index(MAT_NOTE)
    other = text[text.index("The therapist's notes on other activities"):]
    assert other.index("Good day, bad day, Jo's view") < other.index(PARTS[0])
    assert other.index("Who helped: My family") < other.index(DAY_NOTE)
    assert f"“{MAT_NOTE}”" not in text and f"“{DAY_NOTE}”" not in text
    assert text.count(MAT_NOTE) == 1  # the mat's note is with the mat, not again


HEADING = re.compile(r"^\d+\. |^(Since the last meeting|You said, we did|Section A draft|"
                     r"The therapist's notes on other activities)")
FOOTER = "MySay summary for"


def empty_headings(data: bytes) -> list[str]:
    """Every heading (or mat title) of a PDF that has nothing under it before the next
    heading or the foot of its page, or only "Nothing shared under this heading yet."."""
    outline = {item.title for item in PdfReader(io.BytesIO(data)).outline
               if not isinstance(item, list)}
    # With an outline, its entries are the headings: a numbered line under one (an outcome,
    # "1. I can ask for help") is not a heading. Without one, the pattern finds them.
    def is_heading(line: str) -> bool:
        return line in outline if outline else HEADING.match(line) is not None

    found = []
    for number, lines in enumerate(pdf_pages(data), start=1):
        for index, line in enumerate(lines):
            if not is_heading(line) and not line.startswith("Talking Mat about "):
                continue
            after = lines[index + 1] if index + 1 < len(lines) else FOOTER
            if (after.startswith(FOOTER) or is_heading(after)
                    or after == "Nothing shared under this heading yet."):
                found.append(f"page {number}: {line!r} then {after!r}")
    return found


def _data_sets(engine: FlowEngine, locale: Locale) -> dict[str, Summary]:
    run = Runs()
    media = {62: MediaIn(62, "mat", "image/png", _mat_png(), NOW)}
    sets = {
        "empty": _summary(engine, locale, [], period_start=None, previous_start=None),
        "supporter only": _summary(engine, locale, [_supporter(run)]),
        "mat only": _summary(engine, locale, [_mat(run, 62)], media=media),
        "mixed": _summary(engine, locale, [_day(run), _mat(run, 62), _supporter(run),
                                           _question(run)], media=media),
    }
    # A tall mat after more and more days: its heading lands at every height of a page.
    for extra in range(1, 16, 3):
        days = [_day(run, 7 + n) for n in range(extra)]
        sets[f"mat after {extra} days"] = _summary(engine, locale, [*days, _mat(run, 62)],
                                                   media=media)
    return sets


def test_no_pdf_heading_is_ever_drawn_with_nothing_under_it(engine: FlowEngine,
                                                           locale: Locale) -> None:
    for name, summary in _data_sets(engine, locale).items():
        data = render_pdf(summary, locale)
        assert empty_headings(data) == [], name
        first = pdf_pages(data)[0]
        heading = next((line for line in first if HEADING.match(line)), None)
        if heading is not None:  # (an empty summary has none on page 1: all named at once)
            assert first[first.index(heading) + 1] != "Nothing shared under this heading yet."


def test_the_empty_heading_check_finds_one(engine: FlowEngine, locale: Locale) -> None:
    """The helper above is not vacuous: a heading followed straight by another is found."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    for line in ("1. About me", "2. What people like", "Something under it"):
        if line[0].isdigit():
            pdf.start_section(line)
        pdf.cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
    assert empty_headings(bytes(pdf.output())) == ["page 1: '1. About me' then "
                                                   "'2. What people like'"]


# --- the picture -------------------------------------------------------------------------------


def test_the_picture_leads_with_own_words_then_the_mat_then_supporters(
        noted: Summary) -> None:
    order = block_order(noted)
    assert order[:5] == ["title", "own_words", "mats", "supporters", "days"]


def test_the_picture_leaves_out_blocks_with_nothing_to_show(engine: FlowEngine,
                                                            locale: Locale) -> None:
    run = Runs()
    assert block_order(_summary(engine, locale, [_supporter(run)])) == ["title", "supporters"]
    mat_only = _summary(engine, locale, [_mat(run)])
    assert block_order(mat_only) == ["title", "mats"]
    later = _summary(engine, locale, [_question(run)],
                     made_at=NOW + timedelta(days=1))
    assert block_order(later)[:2] == ["title", "own_words"]


def _with_outcomes(engine: FlowEngine, locale: Locale, count: int) -> Summary:
    """The noted period, and `count` outcomes in the plan, the first asked about."""
    run = Runs()
    point = engine.flows["how_am_i_getting_on"].step("view_outcome_1").choices[0]
    asked = run("how_am_i_getting_on", 2, [("view_outcome_1", [point])], options={
        "outcomes": {"outcome_1": {"id": 1, "words": "Outcome 1", "symbol": None}}})
    return _summary(engine, locale, [_day(run), _mat(run), _supporter(run), asked],
                    outcomes=tuple(OutcomeIn(n, f"Outcome {n}") for n in range(1, count + 1)))


def test_the_picture_draws_each_block_of_its_order_once_outcomes_too(
        engine: FlowEngine, locale: Locale, monkeypatch: pytest.MonkeyPatch) -> None:
    summary = _with_outcomes(engine, locale, 2)
    assert "outcomes" in block_order(summary)
    drawn: list[str] = []
    for key in ("title", "own_words", "mats", "supporters", "outcomes", "days", "changes",
                "listened"):
        real = getattr(picture, f"_{key}")
        monkeypatch.setattr(picture, f"_{key}", lambda s, loc, k=key, f=real: (
            drawn.append(k), f(s, loc))[1])
    real_section = picture._section
    monkeypatch.setattr(picture, "_section", lambda s, loc, key: (
        drawn.append(key), real_section(s, loc, key))[1])
    render_picture(summary, locale, "JPEG")
    assert drawn == block_order(summary)  # each once, in order: nothing drawn and thrown away


def test_the_picture_says_how_many_outcomes_are_left_for_the_pdf(
        engine: FlowEngine, locale: Locale) -> None:
    lines = outcome_lines(_with_outcomes(engine, locale, OUTCOMES_SHOWN + 2), locale)
    assert len(lines) == OUTCOMES_SHOWN + 1
    assert lines[-1] == "+2 more in the PDF"
    assert outcome_lines(_with_outcomes(engine, locale, OUTCOMES_SHOWN), locale)[-1] \
        .startswith(f"Outcome {OUTCOMES_SHOWN}: ")


def _drawn_texts(monkeypatch: pytest.MonkeyPatch, summary: Summary, locale: Locale) -> list[str]:
    """Every text the phone picture draws, in order."""
    drawn: list[str] = []
    real = picture._text

    def spy(text: str, *args: Any, **kwargs: Any) -> Any:
        drawn.append(text)
        return real(text, *args, **kwargs)

    monkeypatch.setattr(picture, "_text", spy)
    render_picture(summary, locale, "JPEG")
    return drawn


def test_the_picture_says_what_it_leaves_for_the_pdf_and_repeats_no_quote(
        engine: FlowEngine, locale: Locale, monkeypatch: pytest.MonkeyPatch) -> None:
    run = Runs()
    said = [f"day words number {n}" for n in range(5)]
    runs = [run("good_day_bad_day", 10 - n, [("how_morning", ["good"]), ("own_words", [], w)])
            for n, w in enumerate(said)]
    ann = [run("supporter_view", 3, [("working", [], "art club"), ("admire", [], "kind")],
               who=ANN)]
    drawn = _drawn_texts(monkeypatch, _summary(engine, locale, [*runs, *ann]), locale)
    quoted = [t for t in drawn if t.startswith("“")]
    assert len(quoted) == len(set(quoted))  # no quote twice (the days block repeated one)
    assert "+2 more in the PDF" in drawn  # 5 of their own words, 3 shown
    assert "+1 more in the PDF" in drawn  # Ann's newest words shown, 1 more in the PDF


def test_a_clipped_note_ends_at_a_whole_word() -> None:
    clipped = picture._clip("Pointed at Lunch and shook her head at Break", 26)
    assert clipped == "Pointed at Lunch and…"
    assert picture._clip("short", 26) == "short"
