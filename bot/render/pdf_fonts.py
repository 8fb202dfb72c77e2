"""The PDFs' fonts for any script (issue 15, point 10): the Noto fonts bot.render.scripts
picks for the runs of the text, embedded as fpdf2 fallback fonts with text shaping. Its own
module so that fpdf2 loads only when a PDF is made, not with the bot."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from fpdf import FPDF

from bot.render.scripts import NOTO_DIRS, Face, faces_used


def static_face(face: Face) -> Face:
    """Debian's static file for a variable PyPI Noto font where installed (fpdf2 makes an
    instance of a variable font with fontTools' instancer: ten seconds a style), else `face`."""
    if not face.variation:
        return face
    stem = face.path.name.split("[", 1)[0]
    for folder in NOTO_DIRS:
        path = folder / f"{stem}-Regular.ttf"
        if path.is_file():
            return Face(path)
    return face


def bold_face(face: Face) -> Face:
    """The bold face of a regular one: wght 700 on a variable font, the -Bold file of a
    Debian font where there is one (else the face itself)."""
    if face.variation:
        return Face(face.path, face.index, tuple(
            (tag, 700.0 if tag == "wght" else value) for tag, value in face.variation))
    bold = face.path.with_name(face.path.name.replace("-Regular.", "-Bold."))
    return Face(bold, face.index) if bold != face.path and bold.is_file() else face


def add_pdf_fallbacks(pdf: FPDF, texts: Sequence[str], font_path: str | Path) -> list[str]:
    """Add to `pdf` (regular and bold) the fonts the runs of `texts` need beyond the card font
    at `font_path`, and turn on fpdf2's text shaping (harfbuzz: joined Arabic letters,
    right-to-left order) when there are any. Returns the family names added, for
    `pdf.set_fallback_fonts` (empty, and nothing changed, for text the card font covers)."""
    names = []
    faces = dict.fromkeys(static_face(f) for f in faces_used(texts, font_path, False))
    for number, face in enumerate(faces):
        name = f"Script{number}"
        for style, chosen in (("", face), ("B", bold_face(face))):
            extra: dict[str, object] = {}
            if chosen.variation:
                extra["variations"] = dict(chosen.variation)
            if chosen.index:
                extra["collection_font_number"] = chosen.index
            pdf.add_font(name, style, str(chosen.path), **extra)  # type: ignore[arg-type]
        names.append(name)
    if names:
        pdf.set_text_shaping(True)
    return names


class ScriptsPDF(FPDF):
    """fpdf2's FPDF, working around its 2.8 fallback-font state: a line that ends in a
    fallback font leaves that font set on the page while fpdf2 believes the main one is, so
    the next line's glyphs were written in the wrong font. Each line re-sets its font."""

    def _render_styled_text_line(self, *args: object, **kwargs: object) -> object:
        self.current_font_is_set_on_page = False
        return super()._render_styled_text_line(*args, **kwargs)  # type: ignore[arg-type]
