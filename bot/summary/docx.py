"""Section A as a Word document (python-docx), for a local authority's own template.

Local authorities write EHC plans in their own Word templates; a therapist pastes Section A
into them. This document holds only Section A: a title, the young person's name, the period,
a note on how it was made, then each part as a heading with its lines. Quote lines are their
exact words in quotation marks, marked "(Jo's own words)" and set in Word's Quote style;
summary sentences are plain paragraphs. Each supporter's part comes after, under their name.
"""

from __future__ import annotations

import io

from docx import Document
from docx.document import Document as WordDocument

from bot.i18n import Locale
from bot.summary import section_a, words
from bot.summary.types import DraftPart, Summary

QUOTE_STYLE = "Quote"  # a style of python-docx's default template: a paste keeps it apart


def section_a_docx(summary: Summary, say: Locale) -> bytes:
    """Section A of `summary` as a .docx file's bytes, in `say`'s words.

    Takes the built summary (its `section_a` parts) and the words. Returns the document's
    bytes. Raises KeyError only for a locale key missing from every language.
    """
    name = summary.young_person.name
    start, end = words.day(summary.period_start), words.day(summary.period_end)
    doc = Document()
    doc.core_properties.title = say("section_a.title", name=name)
    doc.core_properties.author = "MySay"
    doc.add_heading(say("section_a.title", name=name), level=0)
    doc.add_paragraph(say("summary.period", start=start, end=end))
    note = doc.add_paragraph()
    note.add_run(section_a.how_made(say, name, start, end)).italic = True
    if not summary.section_a:
        doc.add_paragraph(say("summary.section_a.empty", name=name))
    for part in summary.section_a:
        doc.add_heading(part.title, level=1)
        _lines(doc, say, part, name)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _lines(doc: WordDocument, say: Locale, part: DraftPart, young_name: str) -> None:
    """A part's lines: a quote in the Quote style, in quotation marks with whose words they
    are; a summary sentence as a plain paragraph; a supporter's label in bold before."""
    name = part.voice.name if part.voice is not None else young_name
    for line in part.lines:
        quote = line.kind == "quote"
        paragraph = doc.add_paragraph(style=QUOTE_STYLE if quote else None)
        if line.label:
            paragraph.add_run(f"{line.label}: ").bold = True
        paragraph.add_run(section_a.quoted(say, line, name))
