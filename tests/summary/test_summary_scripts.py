"""Any script, drawn right (issue 15, point 10), in the summary picture and the PDFs: own words
in Arabic, Urdu, Polish, Welsh, Bengali and Chinese are drawn in fonts that have them, and the
PDFs keep them as real text (extracted again with pypdf) in embedded fonts that cover them."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime

import pytest
from PIL import ImageFont
from pypdf import PdfReader

from bot.engine.core import FlowEngine
from bot.i18n import Locale
from bot.safety.export import Export
from bot.safety.export_pdf import readable_pdf
from bot.summary.model import build
from bot.summary.pdf import render_pdf
from bot.summary.picture import render_picture
from tests.render.test_scripts import (
    SAYINGS,
    assert_drawn_whole,
    assert_not_boxes,
    drawn,
    needs_debian,
)
from tests.summary.test_summary_model import Runs, engine, locale, snapshot

__all__ = ["drawn", "engine", "locale"]  # fixtures shared with the other tests

pytestmark = needs_debian
# The Noto font each saying needs in a PDF (the card font, Atkinson, has Polish).
PDF_FONT = {"arabic": "NotoSansArabic", "urdu": "NotoSansArabic", "welsh": "NotoSans",
            "bengali": "NotoSansBengali", "chinese": "NotoSansCJK", "polish": "Atkinson"}


def _summary(engine: FlowEngine, locale: Locale, words: str):  # type: ignore[no-untyped-def]
    run = Runs()
    return build(engine, locale, snapshot([
        run("check_in", 8, [("how", ["ok"]), ("own_words", [], words)])]))


def _pdf_words(data: bytes) -> str:
    """The PDF's text with all white space taken out (pypdf spaces out CJK and some Bengali
    clusters, and gives right-to-left words in visual order)."""
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    return re.sub(r"[\s\x00-\x1f]+", "", text)  # (and the control codes pypdf puts in)


def _font_names(data: bytes) -> set[str]:
    names = set()
    for page in PdfReader(io.BytesIO(data)).pages:
        for font in page["/Resources"]["/Font"].values():
            names.add(str(font.get_object()["/BaseFont"]))
    return names


def _assert_round_trip(data: bytes, lang: str) -> None:
    text = _pdf_words(data)
    for word in SAYINGS[lang].split():  # each word whole (RTL lines come out in visual order)
        assert word in text, f"{word!r} not in the PDF text: {text[-400:]!r}"
    assert any(PDF_FONT[lang] in name for name in _font_names(data)), _font_names(data)


@pytest.mark.parametrize("lang", sorted(SAYINGS))
def test_the_summary_picture_draws_own_words_in_fonts_that_have_them(
        lang: str, engine: FlowEngine, locale: Locale,
        drawn: list[tuple[str, ImageFont.FreeTypeFont]]) -> None:
    render_picture(_summary(engine, locale, SAYINGS[lang]), locale)
    assert_drawn_whole(drawn, SAYINGS[lang])
    assert_not_boxes(drawn, SAYINGS[lang])


@pytest.mark.parametrize("lang", sorted(SAYINGS))
def test_the_summary_pdf_keeps_own_words_as_text_in_a_font_that_has_them(
        lang: str, engine: FlowEngine, locale: Locale) -> None:
    _assert_round_trip(render_pdf(_summary(engine, locale, SAYINGS[lang]), locale), lang)


def test_the_mydata_pdf_keeps_every_script(locale: Locale) -> None:
    answers = [{"question": "What do you like?", "choices": [], "own_words": words,
                "kind": "answered", "media": [], "step_type": "text"}
               for words in SAYINGS.values()]
    data = {"made": "2026-03-01", "you": {"name": "Jo", "joined": "2026-01-01", "agreed": None,
                                          "date_of_birth": None, "settings": {}},
            "therapists": [], "flows": [{"title": "Check-in", "finished": "2026-02-01",
                                         "started": "2026-02-01",
                                         "shared_with_therapist": False, "answers": answers}],
            "asked_for_help": [], "deletion_requests": [], "who_looked": []}
    pdf = readable_pdf(Export("Jo", datetime(2026, 3, 1, tzinfo=UTC), data), locale)
    for lang in SAYINGS:
        _assert_round_trip(pdf, lang)
