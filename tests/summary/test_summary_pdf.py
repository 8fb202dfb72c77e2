"""Drawing the summary: the PDF (real text in an embedded font, symbols and photos as images),
the picture for a phone, and the text versions."""

from __future__ import annotations

import io
from datetime import date

import pytest
from PIL import Image
from pypdf import PdfReader

from bot.engine.core import FlowEngine
from bot.i18n import Locale
from bot.summary import words
from bot.summary.model import MediaIn, Summary, YouSaidIn, build
from bot.summary.pdf import printable, render_pdf
from bot.summary.picture import MAX_HEIGHT, WIDTH, render_picture
from bot.summary.text import SHORT_LIMIT, full_text, short_text
from tests.summary.test_summary_model import ANN, NOW, Runs, engine, locale, snapshot

__all__ = ["engine", "locale"]  # fixtures shared with test_summary_model


def jpeg(colour: tuple[int, int, int], size: tuple[int, int] = (1280, 960)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "JPEG")
    return out.getvalue()


QUOTES = ["the hall was loud", "Привет, it was OK", "I like my class", "Can I sit near the door?",
          "maths is better now"]


@pytest.fixture
def summary(engine: FlowEngine, locale: Locale) -> Summary:
    run = Runs()
    media = {60: MediaIn(60, "photo", "image/jpeg", jpeg((200, 80, 40)), NOW),
             61: MediaIn(61, "photo", "image/jpeg", b"not a photo", NOW),
             62: MediaIn(62, "mat", "image/png", _png(), NOW),
             63: MediaIn(63, "voice", "audio/ogg", None, NOW)}
    return build(engine, locale, snapshot([
        run("check_in", 9, [("how", ["bad"]), ("what_bad", ["too_loud"]),
                            ("own_words", [], QUOTES[0], "answered", (60, 61))]),
        run("check_in", 8, [("how", ["ok"]), ("own_words", [], QUOTES[1], "answered", (63,))]),
        run("working_not_working", 7, [("school", ["working"]),
                                       ("school_why", [], QUOTES[2])]),
        run("talking_mat", 6, [("mat", ["maths", "art"], None, "answered", (62,),
                                (("maths", 0), ("art", 2), ("pe", -1))),
                               ("more", [], QUOTES[4])]),
        run("my_meeting", 5, [("questions", [], QUOTES[3])]),
        run("supporter_view", 4, [("working", [], "art club 🥳 is going well")], who=ANN),
    ], you_said=(YouSaidIn(NOW, (("lunch is loud", "find a quiet room"),), "yes"),),
        media=media))


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (1080, 900), (240, 240, 230)).save(out, "PNG")
    return out.getvalue()


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_the_pdf_has_real_text_every_quote_and_the_headings_in_order(
        summary: Summary, locale: Locale) -> None:
    data = render_pdf(summary, locale)
    assert data.startswith(b"%PDF-")
    text = pdf_text(data)
    for quote in QUOTES:
        assert f"“{quote}”" in text, quote
    # an emoji the fonts lack is named, so the quote still says everything
    assert "“art club [face with party horn and party hat] is going well”" in text
    titles = [title for _, title in words.shown_sections(locale, summary)[0]]
    positions = [text.index(t) for t in titles]
    assert positions == sorted(positions)
    assert "Ann's view (parent or carer)" in text
    assert "Photos that could not be shown: 1." in text  # a broken photo does not stop it
    assert "Voice notes: 1." in text
    assert "Flows kept private by Jo: 2." in text
    assert "For the planning meeting on Friday 27 March 2026." in text
    assert "Quote: “Can I sit near the door?”" in text
    assert "Did people listen? Yes" in text


def test_the_pdf_embeds_its_font_symbols_and_pictures(summary: Summary,
                                                      locale: Locale) -> None:
    reader = PdfReader(io.BytesIO(render_pdf(summary, locale)))
    fonts = set()
    images = 0
    for page in reader.pages:
        resources = page["/Resources"]
        for font in resources.get("/Font", {}).values():
            descriptor = font.get_object()["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            assert "/FontFile2" in descriptor.get_object(), "the font must be embedded"
            fonts.add(str(font.get_object()["/BaseFont"]))
        images += len(resources.get("/XObject", {}))
    assert any("AtkinsonHyperlegible" in f for f in fonts)
    assert images >= 10  # section symbols, chips, the photo, the mat, the chart
    assert reader.metadata is not None and reader.metadata.title == "Jo's views"
    assert reader.trailer["/Root"]["/Lang"] == "en-GB"
    outline = [item.title for item in reader.outline if not isinstance(item, list)]
    # The first heading is the first section with something under it (issue 14, point 10).
    assert outline[0] == "1. What is working and not working"
    assert outline[-1].startswith("Section A draft")


def test_an_empty_summary_names_every_heading_once_and_draws_none_empty(
        engine: FlowEngine, locale: Locale) -> None:
    empty = build(engine, locale, snapshot([], period_start=None, previous_start=None))
    text = " ".join(pdf_text(render_pdf(empty, locale)).split())
    assert "Nothing shared under this heading yet." not in text
    assert ("Nothing shared yet under: About me; What people like and admire about me; "
            "What is important to me now; "
            "My future: what I hope for (Preparing for Adulthood);") in text
    assert "Progress towards my outcomes;" in text
    assert "1. About me" not in text and "Talking Mats; My questions" in text
    assert "There is no earlier period to compare with yet." in text
    assert "Jo has not shared enough yet for a draft." in text
    assert "Other things I shared" not in text


def test_the_summary_picture_fits_a_phone(summary: Summary, locale: Locale) -> None:
    for image_format, mime in (("PNG", "PNG"), ("JPEG", "JPEG")):
        data = render_picture(summary, locale, image_format)
        with Image.open(io.BytesIO(data)) as picture:
            assert picture.format == mime
            assert picture.width == WIDTH and 1000 < picture.height <= MAX_HEIGHT
            assert picture.convert("L").getextrema()[0] < 60  # there is dark text on it


def test_the_picture_stops_before_the_cap_with_a_lot_to_say(engine: FlowEngine,
                                                            locale: Locale) -> None:
    run = Runs()
    long = "a long answer that goes on and on " * 6
    runs = [run(flow, 3, [(step, choices, long)]) for flow, step, choices in (
        ("one_page_profile", "admire", ["kind"]), ("important_to_for", "people", ["mum"]),
        ("important_to_for", "for_health", ["sleep"]), ("one_page_profile", "support",
                                                        ["give_me_time"]),
        ("working_not_working", "school_why", []), ("my_meeting", "questions", []))]
    runs += [run("check_in", 2, [("how", ["bad"]), ("own_words", [], long)])]
    big = build(engine, locale, snapshot(runs))
    with Image.open(io.BytesIO(render_picture(big, locale))) as picture:
        assert picture.height <= MAX_HEIGHT


def test_printable_keeps_scripts_the_fonts_have_and_names_the_rest() -> None:
    assert printable("Привет “hi” – café") == "Привет “hi” – café"
    assert printable("I 🥳 it") == "I [face with party horn and party hat] it"
    assert printable("👍🏽") == "[thumbs up sign]"  # the skin tone is part of the emoji
    assert printable("🧑‍🤝‍🧑") == "[adult][handshake][adult]"


def test_the_text_versions(summary: Summary, locale: Locale) -> None:
    whole = full_text(summary, locale)
    for quote in QUOTES:
        assert f"“{quote}”" in whole
    assert whole.index("Section A draft") > whole.index("You said, we did")
    short = short_text(summary, locale)
    assert short.index(QUOTES[3]) < short.index(QUOTES[2]) < short.index(QUOTES[0])
    mat_part = whole[whole.index("Talking Mats"):whole.index("My questions and")]
    assert f"“{QUOTES[4]}”" in mat_part and "Like: Maths" in mat_part
    assert ", Ann's view (parent or carer): " in short


def test_the_short_text_stays_short(engine: FlowEngine, locale: Locale) -> None:
    run = Runs()
    many = build(engine, locale, snapshot(
        [run("check_in", n, [("how", ["good"]), ("own_words", [], f"day {n} " + "x" * 200)])
         for n in range(1, 60)], period_start=date(2025, 12, 1)))
    short = short_text(many, locale)
    assert len(short) <= SHORT_LIMIT
    assert "more in the PDF" in short
    assert "day 1 " in short and "day 59 " not in short  # newest first
