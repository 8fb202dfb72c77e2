"""The whole of issue 14 on one realistic data set, written through the real store (SQLite
file and PostgreSQL) and read as the therapist reads it (load.summary_for): a mixed week, a
support strategy, an aspiration from "My future", two outcomes across two meetings, the last
meeting's record, a Talking Mat with a therapist's note, a supporter, and one private
check-in. The PDF (pypdf), the Section A Word document (python-docx) and the text summary
are read back, and once through `python -m bot summary`."""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from pypdf import PdfReader

from bot.engine.core import FlowEngine
from bot.engine.flows import load_flows
from bot.engine.vocabulary import Vocabulary
from bot.i18n import Locale
from bot.paths import flows_dir, media_dir
from bot.store import crypto, outcome_repo, repo, therapist_repo
from bot.store.db import Database
from bot.store.models import Answer, FlowRun, Person, Role
from bot.summary import load, words
from bot.summary.docx import section_a_docx
from bot.summary.model import Summary
from bot.summary.pdf import render_pdf
from bot.summary.text import full_text, short_text
from bot.timeutil import utcnow
from tests.conftest import DATA_KEY
from tests.summary.test_context import empty_headings
from tests.test_cli import run_cli

BASE = 7_300_000_000
PRIVATE = "PRIVATE nobody may read about the locked door"
HOPES = "I want to work with horses when I leave school"
STABLES = "A course at the riding stables"
HELP, BUS = "I can ask for help in class", "I can get to school calmly"
HAND_UP, BUS_NOW, BUS_BEFORE = "I put my hand up now", "The bus is still too loud", "I hate the bus"
AGREED = ("A quiet room at lunch", "Ear defenders in assembly")
NEXT = ("Sam asks the SENCo about a bus pass",)
MAT_NOTE = "Hesitated over Maths, then moved it to Don't like."
MAT_WORDS = "Art is the best bit"
ANN = {"working": "She loves art club", "not_working": "Mornings are a rush",
       "interests": "Horses and drawing", "future": "We hope she works with animals"}
DAY_WORDS = "The bus was so noisy"
Said = list[tuple[str, list[str], str | None]]


@dataclass
class Seeded:
    therapist: Person
    young: Person
    now: datetime
    last_meeting: Any


async def _run(session: Any, person: Person, flow_id: str, when: datetime, answers: Said, *,
               shared: bool = True, about: Person | None = None, helped_by: str | None = None,
               options: dict[str, Any] | None = None,
               placements: list[list[Any]] | None = None) -> FlowRun:
    run = FlowRun(person_id=person.id, flow_id=flow_id, step_id="_review", status="finished",
                  state={"history": [a[0] for a in answers]}, version=1,
                  started_at=when - timedelta(minutes=5), updated_at=when, finished_at=when,
                  shared=shared, shared_at=when if shared else None, helped_by=helped_by,
                  about_id=about.id if about else None, options=options or {})
    session.add(run)
    await session.flush()
    for step_id, choices, said in answers:
        detail = {"placements": placements} if step_id == "mat" and placements else None
        session.add(Answer(run_id=run.id, step_id=step_id, kind="answered", choices=choices,
                           own_words=said, media=[], detail=detail, created_at=when,
                           updated_at=when))
    await session.flush()
    return run


async def _seed(session: Any, now: datetime) -> Seeded:
    today = now.date()
    sam = await repo.add_person(session, telegram_user_id=BASE, chat_id=BASE,
                                role=Role.THERAPIST, display_name="Sam", consented=True)
    jo = await repo.add_person(session, telegram_user_id=BASE + 1, chat_id=BASE + 1,
                               role=Role.YOUNG_PERSON, display_name="Jo", consented=True)
    ann = await repo.add_person(session, telegram_user_id=BASE + 2, chat_id=BASE + 2,
                                role=Role.SUPPORTER, display_name="Ann", consented=True)
    await repo.link(session, sam, jo)
    await therapist_repo.link_supporter(session, ann, jo.id, "parent")
    for days in (200, 60):  # the meeting before last, the last one; then the next one
        held = today - timedelta(days=days)
        last = await therapist_repo.set_meeting(session, therapist=sam, young_person=jo,
                                                held_on=held, today=held)
    await therapist_repo.set_meeting(session, therapist=sam, young_person=jo,
                                     held_on=today + timedelta(days=7), today=today)
    record = await therapist_repo.open_meeting_record(session, last, sam.id)
    record.agreed = [{"n": n, "text": t} for n, t in enumerate(AGREED, 1)]
    record.next_steps = [{"n": 3, "text": NEXT[0]}]
    record.final_at = now - timedelta(days=59)
    plan = [await outcome_repo.add(session, young_person_id=jo.id, created_by_id=sam.id,
                                   words=w, symbol_id=s) for w, s in ((HELP, "help"), (BUS, None))]
    given = {"outcomes": outcome_repo.as_run_options(plan)}
    await _run(session, jo, "how_am_i_getting_on", now - timedelta(days=100), [
        ("view_outcome_1", ["about_the_same"], None), ("view_outcome_2", ["finding_it_hard"], None),
        ("words_outcome_2", [], BUS_BEFORE)], options=given, helped_by="helped_school")
    await _run(session, jo, "how_am_i_getting_on", now - timedelta(days=6), [
        ("view_outcome_1", ["getting_better"], None),
        ("helps_outcome_1", ["give_me_time", "use_pictures"], None),
        ("words_outcome_1", [], HAND_UP), ("view_outcome_2", ["finding_it_hard"], None),
        ("words_outcome_2", [], BUS_NOW)], options=given, helped_by="helped_school")
    # The mixed week: Good day / bad day by part, and check-ins rating three whole days.
    await _run(session, jo, "good_day_bad_day", now - timedelta(days=4), [
        ("how_morning", ["good"], None), ("why_good_morning", ["calm"], None),
        ("how_getting_to_school", ["bad"], None),
        ("why_bad_getting_to_school", ["too_loud"], None),
        ("how_break_lunch", ["bad"], None), ("why_bad_break_lunch", ["lonely"], None),
        ("how_after_school", ["good"], None),
        ("more_good", ["give_me_time", "quiet_place"], None), ("own_words", [], DAY_WORDS)],
        helped_by="helped_family")
    for days, verdict, step in ((3, "good", "what_good"), (2, "bad", "what_bad"),
                                (1, "ok", "what_made")):
        await _run(session, jo, "check_in", now - timedelta(days=days), [
            ("how", [verdict], None), (step, ["tired"] if verdict != "good" else ["friend"],
                                       None)])
    await _run(session, jo, "check_in", now - timedelta(days=1, hours=2), [
        ("how", ["bad"], None), ("what_bad", ["worried"], None), ("own_words", [], PRIVATE)],
        shared=False)
    await _run(session, jo, "my_future", now - timedelta(days=5), [
        ("hopes", [], HOPES), ("learning_work", ["college", "animals"], None),
        ("learning_work_words", [], STABLES)], helped_by="helped_family")
    mat = await _run(session, jo, "talking_mat", now - timedelta(days=8), [
        ("mat", ["art", "maths", "pe"], None), ("more", [], MAT_WORDS)],
        options={"topic": "school"}, helped_by="helped_therapist",
        placements=[["art", 0], ["maths", 2], ["pe", 1]])
    therapist_repo.add_note(session, mat, sam, MAT_NOTE).created_at = now
    await _run(session, ann, "supporter_view", now - timedelta(days=3),
               [(step, [], said) for step, said in ANN.items()], about=jo)
    await session.flush()
    return Seeded(sam, jo, now, last.held_on)


@pytest.fixture(scope="module")
def engine() -> FlowEngine:
    vocabulary = Vocabulary.load(media_dir() / "symbols.yaml")
    return FlowEngine(load_flows(flows_dir(), vocabulary), vocabulary)


@pytest.fixture(scope="module")
def locale() -> Locale:
    return Locale.load(media_dir() / "locales")


@pytest.fixture
async def seeded(database_url: str) -> AsyncIterator[tuple[Database, Seeded]]:
    crypto.activate(crypto.Keyring.from_string(DATA_KEY))
    db = Database(database_url)
    await db.upgrade()
    async with db.transaction() as session:
        made = await _seed(session, utcnow())
    yield db, made
    await db.dispose()


@dataclass
class Read:
    summary: Summary
    pdf: bytes
    pdf_text: str  # whitespace flattened
    docx: list[tuple[str, str]]  # (style, text) per paragraph
    full: str
    short: str


@pytest.fixture
async def read(seeded: tuple[Database, Seeded], engine: FlowEngine, locale: Locale) -> Read:
    db, made = seeded
    async with db.transaction() as session:
        summary = await load.summary_for(session, engine, locale, made.therapist, made.young.id,
                                         made.now)
    pdf = render_pdf(summary, locale)
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())
    doc = Document(io.BytesIO(section_a_docx(summary, locale)))
    return Read(summary, pdf, text, [(p.style.name, p.text) for p in doc.paragraphs],
                full_text(summary, locale), short_text(summary, locale))


def part(text: str, start: str, *ends: str) -> str:
    """The text from `start` up to the first of `ends` after it (or the end)."""
    found = text[text.index(start):]
    cut = [found.index(end) for end in ends if end in found]
    return found[:min(cut)] if cut else found


def flat(text: str) -> str:
    return " ".join(text.split())


SUPPORT = ("Give me time", "Quiet place", "give me time", "quiet place")
FUTURE_TEXT, SUPPORT_TEXT = ("2. My future: what I hope for (Preparing for Adulthood)",
                             "3. How best to support me")
ASPIRATIONS = "My hopes and aspirations for the future"
SECTION_A = "Section A draft: my views, interests and hopes"


def test_the_support_strategy_is_how_to_support_me_never_an_aspiration(read: Read) -> None:
    for text in (flat(read.full), read.pdf_text):
        future = part(text, FUTURE_TEXT, SUPPORT_TEXT)
        support = part(text, SUPPORT_TEXT, "4. What is working")
        assert "Give me time" in support and "Quiet place" in support
        assert not any(s in future for s in SUPPORT), future
        drafted = part(text, ASPIRATIONS, "How I communicate")
        assert not any(s in drafted for s in SUPPORT), drafted
        assert ("It helps me when people give me time and I can go to a quiet place."
                in part(text, SECTION_A))
    docx = [t for _, t in read.docx]
    future = docx[docx.index(ASPIRATIONS):docx.index(
        "How I communicate, how best to support me, and how I want to be involved")]
    assert not any(s in line for line in future for s in SUPPORT)
    assert "It helps me when people give me time and I can go to a quiet place." in docx


def test_the_aspiration_leads_section_a_in_the_young_persons_own_words(read: Read) -> None:
    mine = [p for p in read.summary.section_a if p.voice is None]
    assert mine[0].title == ASPIRATIONS
    assert [(line.kind, line.text) for line in mine[0].lines] == [
        ("quote", HOPES), ("quote", STABLES),
        ("summary", "For my learning and work when I am older, I would like to go to college "
                    "and to work with animals.")]
    at = next(i for i, (_, t) in enumerate(read.docx) if t == ASPIRATIONS)
    assert read.docx[at:at + 3] == [("Heading 1", ASPIRATIONS),
                                    ("Quote", f"“{HOPES}” (Jo's own words, with help from "
                                              "my family)"),
                                    ("Quote", f"“{STABLES}” (Jo's own words, with help from "
                                              "my family)")]
    for text in (read.full, read.pdf_text):
        drafted = flat(part(text, SECTION_A))
        assert drafted.index(ASPIRATIONS) < drafted.index(f"Quote: “{HOPES}”") < drafted.index(
            f"Quote: “{STABLES}”") < drafted.index("Summarised: For my learning and work")
        future = flat(part(text, FUTURE_TEXT, SUPPORT_TEXT))
        assert f"“{HOPES}”" in future and f"“{STABLES}”" in future


def test_the_mixed_day_is_reported_by_part_and_no_whole_day_is_invented(read: Read) -> None:
    days = read.summary.days
    assert (days.good, days.ok, days.bad, days.not_sure, days.days) == (1, 1, 1, 0, 3)
    whole = ("Days Jo rated as a whole (“How was today?”; a day rated twice counts once, as "
             "last rated): 3. Good: 1. "
             "OK: 1. Bad: 1. Not sure: 0.")
    parts = ["Morning: good 1 of 1 (times rated: 1)",
             "Getting to school: bad 1 of 1 (times rated: 1)",
             "Break and lunch: bad 1 of 1 (times rated: 1)",
             "After school: good 1 of 1 (times rated: 1)"]
    for text in (flat(read.full), read.pdf_text):
        section = part(text, "6. Good days and bad days", "7. Talking Mats")
        assert whole in section
        at = [section.index(line) for line in parts]
        assert at == sorted(at)
        assert "Lessons:" not in section and "Evening:" not in section  # not rated: not shown
        assert "My journeys to school: I rated them once: bad." in text
        assert "I rated 3 whole days: 1 good, 1 OK and 1 bad." in text
        assert "Good days: 0" not in text and "OK or not sure" not in text
    assert "Getting to school: Bad · because: Too loud; Break and lunch: Bad · because: Lonely" \
        in read.short
    assert "My journeys to school: I rated them once: bad." in [t for _, t in read.docx]


OUTCOME_LINES = [
    "1. 🛟 I can ask for help in class", "My view now: Getting better (24 Nov)",
    "Before the last meeting: About the same (22 Aug)",
    "A different view from before the last meeting.", "What helps: Give me time, Use pictures",
    f"“{HAND_UP}” (24 Nov)", "2. I can get to school calmly",
    "My view now: Finding it hard (24 Nov)", "Before the last meeting: Finding it hard (22 Aug)",
    "The same view as before the last meeting.",
    f"“{BUS_BEFORE}” (22 Aug)", f"“{BUS_NOW}” (24 Nov)"]


def test_both_outcomes_with_the_view_now_the_view_before_and_their_words(
        read: Read, seeded: tuple[Database, Seeded]) -> None:
    now = seeded[1].now
    dated = [line.replace("(24 Nov)", f"({words.short_day(now - timedelta(days=6))})")
             .replace("(22 Aug)", f"({words.short_day(now - timedelta(days=100))})")
             for line in OUTCOME_LINES]
    text = part(read.full, "5. Progress towards my outcomes", "6. Good days")
    assert [line.strip() for line in text.splitlines()[2:] if line.strip()] == dated
    pdf = part(read.pdf_text, "5. Progress towards my outcomes", "6. Good days")
    assert pdf == flat(" ".join(["5. Progress towards my outcomes",
                                 *(d.replace("🛟 ", "") for d in dated)])) + " "


def test_the_meeting_record_is_under_since_the_last_meeting(
        read: Read, seeded: tuple[Database, Seeded]) -> None:
    day = words.day(seeded[1].last_meeting)
    since = part(read.full, "Since the last meeting\n", "You said, we did\n")
    assert (f"At the last meeting ({day}) we agreed:\n  • {AGREED[0]}\n  • {AGREED[1]}\n"
            f"Next steps from the last meeting ({day}):\n  • {NEXT[0]}\n") in since
    pdf = part(read.pdf_text, "Since the last meeting", "You said, we did")
    assert (f"At the last meeting ({day}) we agreed: • {AGREED[0]} • {AGREED[1]} Next steps "
            f"from the last meeting ({day}): • {NEXT[0]}") in pdf
    assert AGREED[0] not in read.pdf_text.replace(pdf, "")  # nowhere else
    # The time before had only views of outcomes: no theme, so none "came up again".
    nothing = "Nothing was picked in the time before, so every theme is new."
    assert f"Not mentioned this time: {nothing}" in since
    assert nothing in pdf and "Every earlier theme came up again" not in pdf


def test_the_mat_keeps_placements_who_helped_and_the_therapists_note_as_theirs(
        read: Read, seeded: tuple[Database, Seeded]) -> None:
    day = words.short_day(seeded[1].now)
    note = f"Therapist's notes (not Jo's words) {day}, Sam: {MAT_NOTE}"
    text = flat(part(read.full, "7. Talking Mats", "8. Who helped"))
    assert text.startswith("7. Talking Mats -") and " Talking Mat about School, " in text
    assert f"Like: Art Not sure: PE Don't like: Maths Who helped: My therapist {note}" in text
    pdf = part(read.pdf_text, "7. Talking Mats", "8. Who helped")
    assert f"Like Art Not sure PE Don't like Maths Who helped: My therapist {note}" in pdf
    assert (f"School: Like: Art; Not sure: PE; Don't like: Maths; More about it: “{MAT_WORDS}” "
            f"Who helped: My therapist {note}") in flat(read.short)
    for said in (flat(read.full), read.pdf_text, flat(read.short)):
        # (the full text has it twice: with the mat, and in the list of activities)
        assert said.count(MAT_NOTE) == said.count(f", Sam: {MAT_NOTE}") >= 1
        assert said.count("(not Jo's words) ") == said.count(MAT_NOTE)
        assert SECTION_A not in said or MAT_NOTE not in said.split(SECTION_A)[1]
    assert not any(MAT_NOTE in t for _, t in read.docx)


def test_the_supporters_part_comes_after_the_young_persons_under_her_name(read: Read) -> None:
    *jos, anns = read.summary.section_a
    assert anns.title == "Ann, parent or carer: their view"
    assert not any(said in line.text for p in jos for line in p.lines for said in ANN.values())
    headings = [t for s, t in read.docx if s == "Heading 1"]
    assert headings[-1] == anns.title and len(headings) == len(jos) + 1
    at = [t for _, t in read.docx].index(anns.title)
    assert read.docx[at + 1:] == [
        ("Quote", "Their interests: “Horses and drawing” (Ann's own words)"),
        ("Quote", "Their hopes for the future: “We hope she works with animals” (Ann's own "
                  "words)"),
        ("Quote", "What is working: “She loves art club” (Ann's own words)"),
        ("Quote", "What is not working: “Mornings are a rush” (Ann's own words)")]
    for text in (flat(read.full), read.pdf_text):
        drafted = part(text, SECTION_A)
        assert drafted.index(anns.title) > drafted.index(f"Quote: “{MAT_WORDS}”")
        assert "Quote (Their hopes for the future): “We hope she works with animals”" in drafted
        assert "Ann's view (parent or carer)" in part(text, FUTURE_TEXT, SUPPORT_TEXT)


def test_private_words_are_nowhere_and_no_pdf_heading_is_empty(read: Read) -> None:
    for said in (read.full, read.short, read.pdf_text, *(t for _, t in read.docx)):
        assert "PRIVATE" not in said and "locked door" not in said
    assert "Flows kept private by Jo: 1. Only the number is shown" in read.full
    assert "Worried" not in read.full  # the private check-in's card too
    assert empty_headings(read.pdf) == []


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # one process is enough
async def test_the_command_line_writes_a_pdf_a_word_document_and_text_that_agree(
        seeded: tuple[Database, Seeded], read: Read, database_url: str, tmp_path: Path) -> None:
    done = run_cli("summary", "--young-person", str(BASE + 1), "--out", "jo.pdf", "--docx",
                   "--text", "jo.txt", tmp_path=tmp_path, DATABASE_URL=database_url)
    assert done.returncode == 0, done.stderr
    pdf = (tmp_path / "jo.pdf").read_bytes()
    pdf_text = flat(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages))
    docx = [p.text for p in Document(str(tmp_path / "jo-section-a.docx")).paragraphs]
    text = (tmp_path / "jo.txt").read_text(encoding="utf-8")
    quoted = re.compile(r"“([^”]+)”")
    said = set(quoted.findall(read.full))  # every quote, as loaded in this process
    assert {HOPES, STABLES, HAND_UP, BUS_NOW, BUS_BEFORE, MAT_WORDS, *ANN.values()} <= said
    assert set(quoted.findall(text)) == said == set(quoted.findall(pdf_text))
    # Section A holds the outcome views of this period (not the one before: BUS_BEFORE).
    drafted = {HOPES, STABLES, DAY_WORDS, MAT_WORDS, HAND_UP, BUS_NOW, *ANN.values()}
    assert set(quoted.findall(" ".join(docx[3:]))) == drafted  # after title, period, how made
    assert set(quoted.findall(part(text, SECTION_A))) - {"Quote", "Summarised"} == drafted
    assert docx[3:] == [t for _, t in read.docx][3:]  # the same Section A
    assert empty_headings(pdf) == [] and "PRIVATE" not in text + pdf_text + " ".join(docx)
