"""The last meeting's record (/agreed) in the summary: "At the last meeting (date) we agreed:"
and the next steps, under "Since the last meeting", in the text summary and the PDF (read back
with pypdf); nothing when no record was finished (issue 14, point 8)."""

from __future__ import annotations

import io

from pypdf import PdfReader

from bot.engine.core import FlowEngine
from bot.i18n import Locale
from bot.summary.model import build
from bot.summary.pdf import render_pdf
from bot.summary.text import full_text
from bot.summary.types import MeetingRecordIn, RunIn
from tests.summary.test_summary_model import LAST_MEETING, Runs, engine, locale, snapshot

__all__ = ["engine", "locale"]  # the fixtures, shared with test_summary_model

RECORD = MeetingRecordIn(LAST_MEETING, ("A quiet room at lunch", "Ear defenders in assembly"),
                         ("Sam asks the SENCo by Friday",))


def _runs() -> list[RunIn]:
    run = Runs()
    return [run("check_in", 5, [("how", ["bad"]), ("what_bad", ["too_loud"]),
                                ("own_words", [], "the hall was loud")])]


def _since(text: str) -> str:
    return text[text.index("Since the last meeting"):text.rindex("You said, we did")]


def test_the_record_is_shown_since_the_last_meeting(engine: FlowEngine, locale: Locale) -> None:
    summary = build(engine, locale, snapshot(_runs(), last_meeting=RECORD))
    since = _since(full_text(summary, locale))
    assert since.index("At the last meeting (10 January 2026) we agreed:") < since.index(
        "  • A quiet room at lunch\n  • Ear defenders in assembly\n")
    assert "Next steps from the last meeting (10 January 2026):\n  • Sam asks the SENCo" in since
    pdf = "\n".join(p.extract_text() for p in PdfReader(
        io.BytesIO(render_pdf(summary, locale))).pages)
    words = " ".join(_since(pdf).split())
    assert ("At the last meeting (10 January 2026) we agreed: • A quiet room at lunch "
            "• Ear defenders in assembly") in words
    assert "Next steps from the last meeting (10 January 2026): • Sam asks the SENCo" in words


def test_no_record_no_lines(engine: FlowEngine, locale: Locale) -> None:
    summary = build(engine, locale, snapshot(_runs()))
    assert summary.last_meeting is None
    assert "At the last meeting" not in full_text(summary, locale)
    pdf = "\n".join(p.extract_text() for p in PdfReader(
        io.BytesIO(render_pdf(summary, locale))).pages)
    assert "At the last meeting" not in pdf


def test_only_next_steps(engine: FlowEngine, locale: Locale) -> None:
    only = MeetingRecordIn(LAST_MEETING, (), ("Review in six weeks",))
    since = _since(full_text(build(engine, locale, snapshot(_runs(), last_meeting=only)), locale))
    assert "we agreed" not in since and "  • Review in six weeks" in since
