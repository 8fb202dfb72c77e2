"""/mydata's readable PDF: everything in the export (bot/safety/export.py) in plain words, with
the young person's photos. Its own module so that the PDF library loads only when someone asks
for their data, not with the bot (bench/throughput.py's memory figure)."""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Iterator, Sequence
from functools import lru_cache
from typing import Any

from fontTools.ttLib import TTFont

from bot.i18n import Locale
from bot.render import safe_image, scripts
from bot.render.fonts import atkinson_path
from bot.render.pdf_fonts import ScriptsPDF, add_pdf_fallbacks
from bot.safety.export import Export, MediaItem


@lru_cache(maxsize=2)
def _glyphs(bold: bool) -> frozenset[int]:
    """Characters the PDF font can draw (emoji and the like are left out, not boxes)."""
    with TTFont(str(atkinson_path(bold))) as font:
        return frozenset(font.getBestCmap())


def _printable(text: str, bold: bool = False) -> str:
    """`text` without what no embedded font draws: characters the card font lacks are kept
    when they are letters of a script a Noto fallback font has (bot.render.scripts)."""
    known = _glyphs(bold)
    primary = scripts.Face(atkinson_path(False))
    return "".join(c for c in text if ord(c) in known or c in "\n\t" or (
        unicodedata.category(c)[0] in "LMN"
        and scripts.face_for(c, primary, False) is not None)).strip()


def _strings(value: Any) -> Iterator[str]:
    """Every string in the export's data (its words, names, dates)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


PICTURE_PIXELS = 1024  # shown at most 90 mm wide: about 290 dpi, plenty for reading


class _Document(ScriptsPDF):
    def __init__(self, texts: Sequence[str] = ()) -> None:
        super().__init__(format="A4")
        self.add_font("Atkinson", "", str(atkinson_path(False)))
        self.add_font("Atkinson", "B", str(atkinson_path(True)))
        # Arabic, Bengali, Chinese... in Noto fonts, shaped (bot.render.pdf_fonts).
        names = add_pdf_fallbacks(self, texts, atkinson_path(False))
        if names:
            self.set_fallback_fonts(names, exact_match=False)
        self.set_margins(18, 18, 18)
        self.set_auto_page_break(True, margin=18)

    def heading(self, text: str, size: int = 16) -> None:
        self.ln(3)
        self.set_font("Atkinson", "B", size)
        self.multi_cell(0, size * 0.55, _printable(text, bold=True),
                        new_x="LMARGIN", new_y="NEXT")
        self.ln(1)

    def line(self, text: str, bold: bool = False) -> None:
        self.set_font("Atkinson", "B" if bold else "", 12)
        self.multi_cell(0, 6.5, _printable(text, bold), new_x="LMARGIN", new_y="NEXT")

    def picture(self, data: bytes) -> bool:
        """Draw a kept picture; False (nothing drawn) if it cannot be opened safely."""
        opened = safe_image.open_stored(data, PICTURE_PIXELS)
        if opened is None:
            return False
        width, height = opened.size
        shown_w = min(90.0, width * 0.26)
        shown_h = shown_w * height / max(width, 1)
        if self.get_y() + shown_h > self.h - self.b_margin:
            self.add_page()
        # fpdf2 gets bytes already checked and re-encoded, never the stored ones (it would
        # open them with Pillow again, without the checks).
        self.image(io.BytesIO(safe_image.as_jpeg(opened)), w=shown_w, h=shown_h)
        self.ln(2)
        return True


def readable_pdf(export: Export, locale: Locale) -> bytes:
    """The same data in plain words, photos included, for the young person to read."""
    say = locale
    data = export.data
    you = data["you"]
    pdf = _Document([export.name, *_strings(data)])
    pdf.set_title(say("mydata.pdf_title", name=export.name))
    pdf.add_page()
    pdf.heading(say("mydata.pdf_title", name=export.name), 20)
    pdf.line(say("mydata.made_on", date=data["made"]))
    pdf.heading(say("mydata.about_you"))
    pdf.line(say("mydata.name", name=you["name"]))
    pdf.line(say("mydata.joined", date=you["joined"]))
    if you["agreed"]:
        pdf.line(say("mydata.agreed", date=you["agreed"]))
    if you["date_of_birth"]:
        pdf.line(say("mydata.birthday", date=you["date_of_birth"]))
    if data["therapists"]:
        pdf.line(say("mydata.therapists",
                     names=", ".join(t["name"] for t in data["therapists"])))
    if you["settings"]:
        pdf.line(say("mydata.settings", settings=", ".join(
            f"{k}: {v}" for k, v in you["settings"].items())))  # in their words (export.py)
    _answers_section(pdf, say, data["flows"])
    _media_section(pdf, say, export.media)
    _list_section(pdf, say("mydata.outcomes"), [  # the outcomes in their plan
        say("mydata.outcome_line", words=o["words"])
        + (f" ({say('mydata.outcome_ended')})" if o.get("taken_off") else "")
        for o in data.get("outcomes", ())])
    _list_section(pdf, say("mydata.help"), [
        say("mydata.help_line", date=a["when"],
            what=say("mydata.help_words", words=a["your_words"]) if a["your_words"]
            else say("mydata.help_button")) for a in data["asked_for_help"]])
    _list_section(pdf, say("mydata.deletes"), [
        say("mydata.delete_line", date=d["asked"], status=_deletion_status(say, d))
        for d in data["deletion_requests"]])
    seen = [say("mydata.seen_line", date=e["when"], who=e["who"] or say("mydata.someone"),
                what=what_they_did(say, e["what"])) for e in data["who_looked"]]
    pdf.heading(say("mydata.seen"))
    for text in seen or [say("mydata.nobody_seen")]:
        pdf.line(text)
    return bytes(pdf.output())


def what_they_did(say: Locale, action: str) -> str:
    """What an audit entry (`action`, as written by bot.store.repo.audit) says someone did,
    in the young person's words: its own "mydata.what.<action>", "tried … and was stopped"
    for any refused_*, else a neutral "did something in MySay about you". Never "looked at
    your answers" for something that was not a look at their answers."""
    if say.has(f"mydata.what.{action}"):
        return say(f"mydata.what.{action}")
    if action.startswith("refused_"):
        return say("mydata.what.refused")
    return say("mydata.what.other")


def _deletion_status(say: Locale, request: dict[str, Any]) -> str:
    if request["decision"] == "declined":
        return say("mydata.delete_declined", reason=request["reason"] or "")
    return say("mydata.delete_waiting")


def _answers_section(pdf: _Document, say: Locale, flows: list[dict[str, Any]]) -> None:
    pdf.heading(say("mydata.answers"))
    if not flows:
        pdf.line(say("mydata.no_answers"))
    for flow in reversed(flows):  # newest first, as in /mine
        status = ("mydata.status_shared" if flow["shared_with_therapist"] else
                  "mydata.status_private" if flow["finished"] else "mydata.status_unfinished")
        pdf.line(say("mydata.flow_line", title=flow["title"],
                     date=flow["finished"] or flow["started"], status=say(status)), bold=True)
        for answer in flow["answers"]:
            if answer.get("step_type") == "mat" or answer.get("mat"):
                _mat_lines(pdf, say, answer)
                continue
            said = [*answer["choices"]]
            if answer["own_words"] and answer.get("forwarded"):
                said.append(f"{answer['own_words']} {say('answer.forwarded')}")
            elif answer["own_words"]:
                said.append(f"“{answer['own_words']}”")
            if answer["kind"] == "skipped":
                said = [say("answer.skipped")]
            elif answer["kind"] == "dont_know":
                said = [say("answer.dont_know")]
            said += answer["media"]
            # Which outcome it is about: the same question is asked of each one.
            about = (f" ({say('mydata.about_outcome', words=answer['about'])})"
                     if answer.get("about") else "")
            pdf.line(f"•  {answer['question']}{about}  –  {', '.join(said)}")
        _note_lines(pdf, say, flow.get("therapist_notes") or {})
        pdf.ln(2)


def _note_lines(pdf: _Document, say: Locale, notes: dict[str, Any]) -> None:
    """The therapist's notes on one activity, under its label ("Your therapist's notes...
    (their words, not yours)"); nothing when there are none."""
    if not notes.get("notes"):
        return
    pdf.line(str(notes["label"]), bold=True)
    for note in notes["notes"]:
        line = say("summary.note_line", date=note["written"], author=note["by"],
                   text=note["note"])
        pdf.line(f"      {line}")


def _mat_lines(pdf: _Document, say: Locale, answer: dict[str, Any]) -> None:
    """A Talking Mat: each scale point with the cards put under it, then the cards left off,
    so no card reads as liked when it was not. No card put down: skipped."""
    mat = answer.get("mat")
    if not mat:
        pdf.line(f"•  {answer['question']}  –  {say('answer.skipped')}")
        return
    pdf.line(f"•  {answer['question']}  –  {mat['topic']['words']}")
    points = [*((p["id"], p["words"]) for p in mat["scale"]),
              ("left_off", say("answer.left_off"))]
    for point, words in points:
        cards = [c["words"] for c in mat["cards"] if c["placed"] == point]
        if cards or point != "left_off":
            pdf.line(f"      {words}:  {', '.join(cards) or '–'}")
    if answer["own_words"]:
        pdf.line(f"      “{answer['own_words']}”")


def _media_section(pdf: _Document, say: Locale, media: list[MediaItem]) -> None:
    pdf.heading(say("mydata.media"))
    if not media:
        pdf.line(say("mydata.no_media"))
    for item in media:
        pdf.line(say("mydata.media_line", kind=item.kind, date=item.made, file=item.file))
        if item.mime_type.startswith("image/") and not pdf.picture(item.data):
            pdf.line(say("mydata.picture_unreadable"))  # still in the data file, as it was


def _list_section(pdf: _Document, title: str, lines: list[str]) -> None:
    if not lines:
        return
    pdf.heading(title)
    for text in lines:
        pdf.line(text)
