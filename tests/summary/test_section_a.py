"""Section A (bot/summary/section_a.py, issue 14 points 4 and 5): every card the young person
chose, in first-person sentences built from phrases written for it, quotes marked and kept
apart, aspirations only from the future, and each supporter's part after, under their name;
the same draft as a Word document, as text and in the PDF; the start-up check of phrases."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from docx import Document
from pypdf import PdfReader

from bot.engine.core import FlowEngine
from bot.engine.datafile import DataFileError
from bot.engine.flows import load_flows
from bot.engine.vocabulary import Vocabulary
from bot.i18n import Locale
from bot.paths import flows_dir, media_dir
from bot.summary import section_a, words
from bot.summary.docx import section_a_docx
from bot.summary.model import MediaIn, Summary, Voice, build
from bot.summary.pdf import render_pdf
from bot.summary.types import OutcomeIn
from tests.summary.test_summary_model import NOW, Runs, mat_run, snapshot

ANN = Voice("supporter", "Ann", "parent", 2)
# A future activity like "My future": own words, then cards about one area.
FUTURE_FLOW = """\
id: future_test
title: Future test
symbol: future
description: What you hope for.
heading: future
steps:
  - id: hopes
    type: text
    prompt: What do you hope for in the future?
  - id: work
    type: multi
    prompt: What would you like to do for work?
    choices: [animals, cooking, money]
    about: school
"""
SUPPORTER_WORDS = {
    "working": "She loves art club", "not_working": "Mornings are a rush",
    "admire": "She is kind to her brother", "interests": "Horses",
    "important_to": "Her nan", "important_for": "Her hearing aids in",
    "future": "We hope she works with animals"}


def engine_with(tmp_path: Path, extra: str) -> FlowEngine:
    """The shipped flows and one more flow file."""
    folder = tmp_path / "flows"
    shutil.copytree(flows_dir(), folder)
    (folder / "extra.yaml").write_text(extra, encoding="utf-8")
    vocabulary = Vocabulary.load(media_dir() / "symbols.yaml")
    return FlowEngine(load_flows(folder, vocabulary), vocabulary)


@pytest.fixture(scope="module")
def locale() -> Locale:
    return Locale.load(media_dir() / "locales")


@pytest.fixture
def summary(tmp_path: Path, locale: Locale) -> Summary:
    """A realistic period: many important people and things, health, a support strategy,
    an aspiration, working / not working, a day, a meeting, and a supporter's whole view."""
    run = Runs()
    return build(engine_with(tmp_path, FUTURE_FLOW), locale, snapshot([
        run("important_to_for", 9, [
            ("people", ["mum", "grandparent", "pet"]), ("places", ["beach", "outside"]),
            ("activities", ["animals", "swimming"]), ("things", ["my_phone"]),
            ("routines", ["need_a_break"]), ("to_words", [], "my nan's dog Biscuit"),
            ("for_health", ["hearing_aid", "medicine"])]),
        run("one_page_profile", 8, [("admire", ["caring", "funny"]),
                                    ("admire_words", [], "I make people laugh"),
                                    ("important", ["animals"]),
                                    ("support", ["give_me_time", "use_pictures"])]),
        run("good_day_bad_day", 7, [("more_good", ["quiet_place", "more"])]),
        run("future_test", 6, [("hopes", [], "I want to be a vet"),
                               ("work", ["animals", "cooking"])]),
        run("working_not_working", 5, [("school", ["working"]), ("home", ["not_working"]),
                                       ("home_why", [], "my brother shouts"),
                                       ("friends", ["not_sure"])]),
        run("my_meeting", 4, [("talk_about", ["school"]),
                              ("questions", [], "Can I sit near the door?"),
                              ("who", ["mum", "teacher"]), ("how", ["be_there"])]),
        run("check_in", 3, [("how", ["bad"]), ("what_bad", ["too_loud"]),
                            ("own_words", [], "the hall was loud")]),
        run("supporter_view", 2, [(step, [], said) for step, said in SUPPORTER_WORDS.items()],
            who=ANN),
    ]))


def lines_of(summary: Summary) -> dict[str, list[tuple[str, str]]]:
    return {p.title: [(line.kind, line.text) for line in p.lines] for p in summary.section_a}


def test_every_card_is_listed_in_sentences_written_for_it_and_quotes_are_marked(
        summary: Summary) -> None:
    parts = lines_of(summary)
    assert list(parts) == [
        "About me, and what people like and admire about me", "What is important to me",
        "My hopes and aspirations for the future", "My health, and what is important for me",
        "How I communicate, how best to support me, and how I want to be involved",
        "My good days and bad days", "What is working and not working for me",
        "Ann, parent or carer: their view"]
    assert parts["About me, and what people like and admire about me"] == [
        ("summary", "People like that I am caring and funny."),
        ("quote", "I make people laugh")]
    # Every item, people too (none dropped), each said as written for it.
    assert parts["What is important to me"] == [
        ("summary", "My mum, my grandparent and my pet are important to me."),
        ("summary", "Animals, the beach, being outside, swimming, my phone and having breaks "
                    "are important to me."),
        ("quote", "my nan's dog Biscuit")]
    # Aspirations only from the future: own words first; no support strategy among them.
    assert parts["My hopes and aspirations for the future"] == [
        ("quote", "I want to be a vet"),
        ("summary", "School: When I am older, I would like to work with animals and to cook.")]
    assert parts["My health, and what is important for me"] == [
        ("summary", "My hearing aid and my medicine help me stay healthy and safe.")]

    # "More" has no phrase on purpose (its meaning is open): named by its own words.
    assert parts["How I communicate, how best to support me, and how I want to be involved"] == [
        ("summary", "It helps me when people give me time, people use pictures and I can go "
                    "to a quiet place."),
        ("summary", "I chose the card “More”."),
        ("summary", "I would like my mum and my teacher at my meeting."),
        ("summary", "At my meeting, I would like to be there."),
        ("summary", "At my meeting, I want to talk about school."),
        ("quote", "Can I sit near the door?")]
    assert parts["My good days and bad days"][-1] == ("quote", "the hall was loud")
    assert parts["What is working and not working for me"] == [
        ("summary", "School is working well for me."),
        ("summary", "Home is not working well for me."),
        ("summary", "I am not sure how being with my friends is going."),
        ("quote", "my brother shouts")]


def test_one_card_is_said_so_that_a_plural_phrase_stays_grammatical(
        tmp_path: Path, locale: Locale) -> None:
    run = Runs()
    summary = build(engine_with(tmp_path, FUTURE_FLOW), locale, snapshot([
        run("important_to_for", 3, [("people", ["friend"]), ("for_health", ["glasses"])])]))
    parts = lines_of(summary)
    assert parts["What is important to me"] == [
        ("summary", "Something important to me is my friends.")]
    assert parts["My health, and what is important for me"] == [
        ("summary", "Something that helps me stay healthy and safe is my glasses.")]


def test_each_supporter_has_a_part_of_their_own_after_the_young_persons(
        summary: Summary) -> None:
    *jos, anns = summary.section_a
    assert all(p.voice is None for p in jos) and anns.voice == ANN
    assert not any(said in line.text for p in jos for line in p.lines
                   for said in SUPPORTER_WORDS.values())
    assert [(line.label, line.kind, line.text) for line in anns.lines] == [
        ("Their interests", "quote", "Horses"),
        ("What they like and admire", "quote", "She is kind to her brother"),
        ("What is important to them", "quote", "Her nan"),
        ("Their hopes for the future", "quote", "We hope she works with animals"),
        ("What is important for them: health and safety", "quote", "Her hearing aids in"),
        ("What is working", "quote", "She loves art club"),
        ("What is not working", "quote", "Mornings are a rush")]


def test_a_card_offered_under_a_part_with_no_phrase_stops_start_up(
        tmp_path: Path, locale: Locale) -> None:
    section_a.check_phrases(engine_with(tmp_path / "shipped", FUTURE_FLOW), locale)
    beach = FUTURE_FLOW.replace("[animals, cooking, money]", "[animals, beach]")
    with pytest.raises(DataFileError) as found:
        section_a.check_phrases(engine_with(tmp_path / "beach", beach), locale)
    assert "section_a.phrase.future.beach (offered at future_test / work)" in str(found.value)
    assert "animals" not in str(found.value)


def test_section_a_as_a_word_document_read_back(summary: Summary, locale: Locale) -> None:
    doc = Document(io.BytesIO(section_a_docx(summary, locale)))
    paragraphs = [(p.style.name, p.text) for p in doc.paragraphs]
    start, end = words.day(summary.period_start), words.day(summary.period_end)
    assert paragraphs[:2] == [
        ("Title", "Section A: Jo's views, interests and aspirations (draft)"),
        ("Normal", f"Period covered: {start} to {end}.")]
    assert paragraphs[2][1].startswith("How this was made: MySay wrote this draft from the "
                                       "answers Jo chose to share")
    headings = [text for style, text in paragraphs if style == "Heading 1"]
    assert headings == [p.title for p in summary.section_a]
    assert ("Normal", "My mum, my grandparent and my pet are important to me.") in paragraphs
    assert ("Quote", "“I want to be a vet” (Jo's own words)") in paragraphs
    assert ("Quote", "What is working: “She loves art club” (Ann's own words)") in paragraphs
    quotes = [text for style, text in paragraphs if style == "Quote"]
    assert len(quotes) == sum(1 for p in summary.section_a for line in p.lines
                              if line.kind == "quote")
    assert doc.core_properties.author == "MySay"


def test_section_a_as_plain_text(summary: Summary, locale: Locale) -> None:
    start, end = words.day(summary.period_start), words.day(summary.period_end)
    text = section_a.plain_text(locale, summary.section_a, "Jo", start, end)
    lines = text.splitlines()
    assert lines[0] == "Section A: Jo's views, interests and aspirations (draft)"
    future = lines.index("My hopes and aspirations for the future")
    assert lines[future + 1:future + 3] == [
        "“I want to be a vet” (Jo's own words)",
        "School: When I am older, I would like to work with animals and to cook."]
    anns = lines.index("Ann, parent or carer: their view")
    assert lines[anns + 1] == "Their interests: “Horses” (Ann's own words)"
    assert anns > lines.index("What is working and not working for me")


def test_the_pdf_holds_the_same_section_a(summary: Summary, locale: Locale) -> None:
    reader = PdfReader(io.BytesIO(render_pdf(summary, locale)))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    drafted = text[text.index("Section A draft"):]
    for sentence in ("Summarised: My mum, my grandparent and my pet are important to me.",
                     "Quote: “I want to be a vet”",
                     "Summarised: School: When I am older, I would like to work with animals "
                     "and to cook.",
                     "Ann, parent or carer: their view",
                     "Quote (Their hopes for the future): “We hope she works with animals”"):
        assert sentence in drafted, sentence
    assert drafted.index("Ann, parent or carer") > drafted.index("School is working well")


# --- How I think I am getting on (the outcomes in the plan) -----------------------------------

HELP, FRIEND = "I can ask for help in class", "I can make a friend at lunch"
PLAN = (OutcomeIn(11, HELP, "help"), OutcomeIn(12, FRIEND))
GIVEN = {"outcomes": {"outcome_1": {"id": 11, "words": HELP, "symbol": "help"},
                      "outcome_2": {"id": 12, "words": FRIEND, "symbol": None}}}
GETTING_ON = "How I think I am getting on"


def test_how_i_think_i_am_getting_on_is_a_part_in_first_person_sentences_and_own_words(
        tmp_path: Path, locale: Locale) -> None:
    engine = engine_with(tmp_path, FUTURE_FLOW)
    point = engine.flows["how_am_i_getting_on"].step("view_outcome_1").choices[0]
    run = Runs()
    summary = build(engine, locale, snapshot([
        run("how_am_i_getting_on", 5, [
            ("view_outcome_1", [point]), ("helps_outcome_1", ["give_me_time", "teacher"]),
            ("words_outcome_1", [], "I put my hand up now"),
            ("view_outcome_2", [], "a bit easier now"),
            ("helps_outcome_2", [], "Miss K helps"),
            ("anything", [], "I like Mrs Lee")], options=GIVEN)], outcomes=PLAN))
    part = next(p for p in summary.section_a if p.title == GETTING_ON)
    sentence = locale(f"section_a.phrase.outcome_view.{point}")
    assert sentence.startswith("I ") and sentence.endswith(".")  # a whole first-person sentence
    assert [(line.kind, line.text, line.label) for line in part.lines] == [
        ("summary", f"{HELP}: {sentence}", ""),
        ("summary", f"{HELP}: It helps me with this when people give me time and my teacher "
                    "helps me.", ""),
        ("quote", "I put my hand up now", HELP),
        # their words are the view: said so, then quoted exactly on a line of their own,
        # never folded into a summary sentence
        ("summary", f"{FRIEND}: I said how it is going in my own words (quoted below).", ""),
        ("quote", "a bit easier now", FRIEND),
        ("quote", "Miss K helps", FRIEND),  # and each step's words a quote of its own
        ("quote", "I like Mrs Lee", "Anything else about how I am getting on")]
    assert [p.title for p in summary.section_a] == [GETTING_ON]  # and in no other part
    start, end = words.short_day(summary.period_start), words.short_day(summary.period_end)
    text = section_a.plain_text(locale, summary.section_a, "Jo", start, end)
    assert f"{FRIEND}: “a bit easier now” (Jo's own words)" in text.splitlines()
    assert f"{FRIEND}: “Miss K helps” (Jo's own words)" in text.splitlines()


def test_a_supporters_photo_or_voice_note_is_named_in_their_part(
        tmp_path: Path, locale: Locale) -> None:
    run = Runs()
    summary = build(engine_with(tmp_path, FUTURE_FLOW), locale, snapshot([
        run("supporter_view", 2, [("working", [], None, "answered", (81,)),
                                  ("not_working", [], None, "answered", (82,))], who=ANN)],
        media={81: MediaIn(81, "photo", "image/jpeg", None, NOW),
               82: MediaIn(82, "voice", "audio/ogg", None, NOW)}))
    anns = next(p for p in summary.section_a if p.voice == ANN)
    assert [(line.label, line.text) for line in anns.lines] == [
        ("What is working", "Sent a photo (it is in the summary PDF)."),
        ("What is not working", "Sent a voice note (it is in MySay's export).")]


def test_a_scale_point_or_what_helps_card_with_no_phrase_stops_start_up(
        tmp_path: Path, locale: Locale) -> None:
    shipped = engine_with(tmp_path / "shipped", FUTURE_FLOW)
    scale = shipped.flows["how_am_i_getting_on"].step("view_outcome_1").choices
    assert all(locale.has(section_a.phrase_key("outcome_view", p)) for p in scale)
    flow = (Path(flows_dir()) / "how_am_i_getting_on.yaml").read_text(encoding="utf-8")
    other = (flow.replace("id: how_am_i_getting_on", "id: getting_on_test")
             .replace(f"choices: [{', '.join(scale)}]", f"choices: [{scale[0]}, calm]")
             .replace("choices: [give_me_time,", "choices: [dad, give_me_time,"))
    with pytest.raises(DataFileError) as found:
        section_a.check_phrases(engine_with(tmp_path / "other", other), locale)
    assert "section_a.phrase.outcome_view.calm (offered at getting_on_test / view_outcome_1" \
        in str(found.value)
    assert "section_a.phrase.support.dad (offered at getting_on_test / helps_outcome_1" \
        in str(found.value)


# --- wording a SaLT would put in front of a local authority -----------------------------------


def part_lines(summary: Summary, title: str) -> list[str]:
    return [line.text for p in summary.section_a if p.title == title for line in p.lines]


def test_i_dont_know_names_what_it_was_about_never_quoting_the_prompt(
        tmp_path: Path, locale: Locale) -> None:
    run = Runs()
    summary = build(engine_with(tmp_path, FUTURE_FLOW), locale, snapshot([
        run("my_future", 3, [("hopes", [], None, "dont_know"),
                             ("living_words", [], None, "dont_know"),
                             ("health_words", [], None, "dont_know")])]))
    assert part_lines(summary, "My hopes and aspirations for the future") == [
        "I did not know yet what to say about my hopes.",  # the step's label
        "I did not know yet what to say about where I live.",  # what the step is about
        "I did not know yet what to say about staying healthy."]
    assert not any("Tell me more" in line.text for p in summary.section_a for line in p.lines)


def test_each_my_future_area_has_a_sentence_of_its_own(tmp_path: Path,
                                                        locale: Locale) -> None:
    run = Runs()
    summary = build(engine_with(tmp_path, FUTURE_FLOW), locale, snapshot([
        run("my_future", 3, [("learning_work", ["college"]), ("living", ["own_place"]),
                             ("community", ["going_out", "cafe"]),
                             ("health", ["sleep", "medicine"])])]))
    assert part_lines(summary, "My hopes and aspirations for the future") == [
        "For my learning and work when I am older, I would like to go to college.",
        "Where I live when I am older, I would like to have my own place.",
        "With friends and in my community when I am older, I would like to go out and to go "
        "to cafés.",
        "To stay healthy in the future, I would like to sleep well and to take my medicine."]


def test_a_quote_says_who_helped_give_it_and_nothing_when_on_my_own_or_not_asked(
        tmp_path: Path, locale: Locale) -> None:
    run = Runs()
    summary = build(engine_with(tmp_path, FUTURE_FLOW), locale, snapshot([
        run("future_test", 5, [("hopes", [], "I want to be a vet")],
            helped_by="helped_family"),
        run("future_test", 4, [("hopes", [], "A farm")], helped_by="helped_family,helped_school"),
        run("future_test", 3, [("hopes", [], "Horses")], helped_by="helped_alone"),
        run("future_test", 2, [("hopes", [], "Dogs")]),  # not asked
        run("how_am_i_getting_on", 1, [("view_outcome_2", [], "a bit easier now"),
                                       ("helps_outcome_2", [], "Miss K helps")],
            options=GIVEN, helped_by="helped_therapist"),
    ], outcomes=PLAN))
    future = next(p for p in summary.section_a
                  if p.title == "My hopes and aspirations for the future")
    assert [section_a.line_text(locale, line, future, "Jo") for line in future.lines] == [
        "“I want to be a vet” (Jo's own words, with help from my family)",
        "“A farm” (Jo's own words, with help from my family and school staff)",
        "“Horses” (Jo's own words)", "“Dogs” (Jo's own words)"]
    getting_on = next(p for p in summary.section_a if p.title == GETTING_ON)
    assert [section_a.line_text(locale, line, getting_on, "Jo")
            for line in getting_on.lines] == [
        f"{FRIEND}: I said how it is going in my own words (quoted below).",
        f"{FRIEND}: “a bit easier now” (Jo's own words, with help from my therapist)",
        f"{FRIEND}: “Miss K helps” (Jo's own words, with help from my therapist)"]
    doc = Document(io.BytesIO(section_a_docx(summary, locale)))
    assert "“A farm” (Jo's own words, with help from my family and school staff)" in [
        p.text for p in doc.paragraphs]
    reader = PdfReader(io.BytesIO(render_pdf(summary, locale)))
    pdf = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert "Quote: “A farm” (with help from my family and school staff)" in pdf


def test_a_card_left_off_the_mat_is_said_as_not_placed(tmp_path: Path,
                                                        locale: Locale) -> None:
    run = Runs()
    summary = build(engine_with(tmp_path, FUTURE_FLOW), locale, snapshot([
        mat_run(run, 5, {"maths": 0, "pe": -1, "art": 2}, 51),
        mat_run(run, 3, {"maths": 0, "pe": -1, "art": -1}, 52)],
        media={m: MediaIn(m, "mat", "image/png", b"png", NOW) for m in (51, 52)}))
    said = part_lines(summary, "My Talking Mats")
    assert said[0].endswith(" PE was not placed on the mat.")
    assert said[1].endswith(" PE and art were not placed on the mat.")
    assert not any("I left" in line for line in said)


def test_a_view_is_set_against_the_words_it_was_asked_with_not_a_later_rewording(
        tmp_path: Path, locale: Locale) -> None:
    engine = engine_with(tmp_path, FUTURE_FLOW)
    point = engine.flows["how_am_i_getting_on"].step("view_outcome_1").choices[0]
    run = Runs()
    reworded = (OutcomeIn(11, "I ask for help in every lesson", "help"), OutcomeIn(12, FRIEND))
    summary = build(engine, locale, snapshot([
        run("how_am_i_getting_on", 5, [("view_outcome_1", [point]),
                                       ("words_outcome_1", [], "I put my hand up now")],
            options=GIVEN)], outcomes=reworded))
    part = next(p for p in summary.section_a if p.title == GETTING_ON)
    assert [(line.kind, line.text, line.label) for line in part.lines] == [
        ("summary", f"{HELP}: {locale(f'section_a.phrase.outcome_view.{point}')}", ""),
        ("quote", "I put my hand up now", HELP)]
    assert "every lesson" not in " ".join(line.text for line in part.lines)
