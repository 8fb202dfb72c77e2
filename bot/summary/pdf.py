"""The summary as a PDF: real, selectable text in an embedded Unicode font (Atkinson
Hyperlegible), symbols and photos embedded as images, one heading per review heading.

fpdf2 draws it. Symbols are the same OpenMoji pictures as the cards (bot.render.cards), so the
young person's choices look the same on paper as on the phone, and always carry their words.
"""

from __future__ import annotations

import io
import logging
import unicodedata
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from functools import lru_cache
from pathlib import Path

from fpdf.enums import XPos, YPos
from PIL import Image

from bot.i18n import Locale
from bot.render import fonts, safe_image, scripts
from bot.render.cards import emoji_image
from bot.render.pdf_fonts import ScriptsPDF, add_pdf_fallbacks
from bot.summary import figures, words
from bot.summary.chart import week_chart, weeks_rated, worth_drawing
from bot.summary.context import helped_words, line_text, note_lines
from bot.summary.model import (
    NOT_WORKING,
    QUESTIONS,
    WORKING,
    Item,
    Mat,
    Note,
    Summary,
    Sym,
    Week,
    area_labels,
    group_by_who,
    group_key,
    tally,
)
from bot.summary.outcomes import outcome_texts, view_lines
from bot.summary.text import you_said_line

log = logging.getLogger(__name__)

FAMILY = "Atkinson"
FALLBACK = "Fallback"
DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
BODY = 11.5
LINE = 6.0
SYMBOL_MM = 6.5
PHOTO_MM = 52.0
MAT_MM = 120.0
PHOTO_PIXELS = 640  # photos are scaled down to this before embedding: smaller, faster PDFs
INK = (31, 31, 31)
MUTED = (70, 70, 70)
QUOTE_BAR = (29, 78, 216)
BAND = (255, 240, 199)
PANEL = (246, 244, 238)
PAPER = (255, 255, 255)


@lru_cache(maxsize=2)
def _cmap(path: Path) -> frozenset[int]:
    from fontTools.ttLib import TTFont

    return frozenset(TTFont(str(path), lazy=True).getBestCmap()) if path.is_file() else frozenset()


@lru_cache(maxsize=1)
def _covered() -> frozenset[int]:
    """Code points the embedded fonts can draw (Atkinson, plus DejaVu Sans where installed)."""
    return _cmap(fonts.atkinson_path(False)) | _cmap(DEJAVU)


def _needs_fallback(summary: Summary) -> bool:
    """Whether any words (names, quotes) need DejaVu: most summaries are Latin script only, and
    skipping the second font saves a fifth of the time."""
    atkinson = _cmap(fonts.atkinson_path(False))
    return any(ord(c) not in atkinson for text in _texts(summary) for c in text
               if c not in "\n\t")


def _texts(summary: Summary) -> list[str]:
    """Every piece of the young person's and supporters' words the PDF shows (names, quotes,
    notes...): what decides the fonts it embeds."""
    texts = [summary.young_person.name, summary.viewer_name]
    texts += [i.quote or i.sent_on or "" for s in summary.sections for i in s.items]
    texts += [i.who.name for s in summary.sections for i in s.items]
    texts += [w for y in summary.you_said for pair in y.items for w in pair]
    texts += outcome_texts(summary.outcomes)
    if summary.last_meeting is not None:  # the meeting record's words (/agreed)
        texts += [*summary.last_meeting.agreed, *summary.last_meeting.next_steps]
    # The therapist's notes and names, and each activity's words in context.
    texts += [n.text + n.author for v in summary.runs for n in v.notes]
    texts += [t for v in summary.runs for line in v.lines for t in line]
    return texts


_EMOJI_GLUE = frozenset({0x200D, 0xFE0E, 0xFE0F, 0x20E3})


def printable(text: str) -> str:
    """Text the fonts can draw: characters they lack (mostly emoji) become their [name]."""
    covered = _covered()
    out = []
    for char in text:
        point = ord(char)
        if point in _EMOJI_GLUE or 0x1F3FB <= point <= 0x1F3FF:
            continue  # joiners, variation selectors, skin tones: parts of an emoji
        if point in covered or char in "\n\t" or _script_letter(char):
            out.append(char)
        elif unicodedata.category(char) in ("Mn", "Me", "Cf", "Sk"):
            continue
        else:
            out.append(f"[{unicodedata.name(char, 'symbol').lower()}]")
    return "".join(out)


def _script_letter(char: str) -> bool:
    """A letter, mark or digit of a script a Noto fallback font draws (bot.render.scripts):
    Arabic, Bengali, Chinese... kept as it is (symbols the fonts lack are named instead)."""
    return unicodedata.category(char)[0] in "LMN" and scripts.face_for(
        char, scripts.Face(fonts.atkinson_path(False)), False) is not None


@lru_cache(maxsize=1024)
def _symbol_jpeg(emoji: str, background: tuple[int, int, int]) -> bytes | None:
    """The symbol on its background, as JPEG: fpdf embeds JPEG as it is, where a PNG with
    transparency is decoded and compressed again (six times slower for a page of symbols)."""
    picture = emoji_image(emoji, 96)
    if picture is None:
        return None
    flat = Image.new("RGB", picture.size, background)
    flat.paste(picture, mask=picture)
    out = io.BytesIO()
    flat.save(out, "JPEG", quality=92)
    return out.getvalue()


def _photo_jpeg(data: bytes | None) -> bytes | None:
    """A kept photo, upright and scaled down, as JPEG; None if it cannot be read (the one safe
    opener, bot.render.safe_image, says why in the log)."""
    photo = safe_image.open_stored(data, PHOTO_PIXELS)
    return safe_image.as_jpeg(photo, quality=82) if photo is not None else None


class _Document(ScriptsPDF):
    def __init__(self, locale: Locale, summary: Summary) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.say = locale
        self.summary = summary
        self.jpegs: dict[int, bytes | None] = {}
        self.set_margins(18, 16, 18)
        self.set_auto_page_break(True, margin=18)
        self.add_font(FAMILY, "", str(fonts.atkinson_path(False)))
        self.add_font(FAMILY, "B", str(fonts.atkinson_path(True)))
        if _needs_fallback(summary):
            # Each script in a Noto font that has it, shaped (bot.render.pdf_fonts); DejaVu
            # last, for the symbols.
            names = add_pdf_fallbacks(self, _texts(summary), fonts.atkinson_path(False))
            if DEJAVU.is_file():
                self.add_font(FALLBACK, "", str(DEJAVU))
                names.append(FALLBACK)
            self.set_fallback_fonts(names, exact_match=False)
        name = summary.young_person.name
        self.set_title(printable(locale("summary.title", name=name)))
        self.set_author("MySay")
        self.set_creator("MySay")
        self.set_lang("en-GB")
        self.alias_nb_pages()

    # -- page furniture -------------------------------------------------------------------

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FAMILY, "", 8.5)
        self.set_text_color(*MUTED)
        text = self.say("summary.footer", name=self.summary.young_person.name,
                        date=words.short_day(self.summary.made_at), page=self.page_no())
        self.cell(0, 5, printable(text), align="C")

    # -- text helpers ---------------------------------------------------------------------

    @property
    def width(self) -> float:
        return self.w - self.l_margin - self.r_margin

    def room(self, height: float) -> None:
        """Start a new page unless `height` mm still fit on this one."""
        if self.get_y() + height > self.page_break_trigger:
            self.add_page()

    def para(self, text: str, *, size: float = BODY, bold: bool = False,
             colour: tuple[int, int, int] = INK, indent: float = 0.0, gap: float = 1.0) -> None:
        self.set_font(FAMILY, "B" if bold else "", size)
        self.set_text_color(*colour)
        self.set_x(self.l_margin + indent)
        text = printable(text)
        height = size * 0.5 + 0.6
        if "\n" not in text and self.get_string_width(text) < self.width - indent - 1:
            # One line: a plain cell is many times faster than fpdf's line breaking.
            self.cell(self.width - indent, height, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        else:
            self.multi_cell(self.width - indent, height, text, align="L", new_x=XPos.LMARGIN,
                            new_y=YPos.NEXT)
        self.ln(gap)

    def symbol(self, emoji: str, x: float, y: float, size: float = SYMBOL_MM,
               background: tuple[int, int, int] = PAPER) -> bool:
        jpeg = _symbol_jpeg(emoji, background) if emoji else None
        if jpeg is None:
            return False
        self.image(io.BytesIO(jpeg), x=x, y=y, w=size, h=size)
        return True

    def heading(self, key: str, title: str, *, need: float = 30.0) -> None:
        """A section heading band; `need` mm of its first block must fit under it on the same
        page (a heading is never left at the foot of a page with nothing under it)."""
        self.room(max(30.0, need))
        self.ln(3)
        top = self.get_y()
        self.set_fill_color(*BAND)
        self.rect(self.l_margin, top, self.width, 11, style="F")
        self.symbol(words.SECTION_EMOJI.get(key, ""), self.l_margin + 2, top + 2, 7, BAND)
        self.set_xy(self.l_margin + 11, top)
        self.set_font(FAMILY, "B", 15)
        self.set_text_color(*INK)
        self.start_section(printable(title), level=0)
        self.cell(self.width - 11, 11, printable(title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(2)

    def subheading(self, text: str) -> None:
        self.room(16)
        self.para(text, size=12.5, bold=True, gap=0.5)

    def chips(self, found: Sequence[tuple[Sym, int]], label: str = "") -> None:
        """Symbols with their words (and how often), flowing along the line."""
        if not found:
            return
        if label:
            self.para(label, size=10.5, colour=MUTED, gap=0)
        self.set_font(FAMILY, "", 11)
        self.set_text_color(*INK)
        x, y = self.l_margin, self.get_y() + 0.5
        for symbol, count in found:
            text = printable(symbol.words + (f" ×{count}" if count > 1 else ""))
            need = SYMBOL_MM + 1.5 + self.get_string_width(text) + 6
            if x + need > self.l_margin + self.width:
                x, y = self.l_margin, y + SYMBOL_MM + 2.5
            if y + SYMBOL_MM > self.page_break_trigger:
                self.add_page()
                x, y = self.l_margin, self.get_y()
            drawn = self.symbol(symbol.emoji, x, y)
            self.set_xy(x + (SYMBOL_MM + 1.5 if drawn else 0), y)
            self.cell(self.get_string_width(text) + 1, SYMBOL_MM, text)
            x += need
        self.set_xy(self.l_margin, y + SYMBOL_MM + 2.5)

    def quote(self, item: Item, *, show_who: bool = False) -> None:
        """Own words, exactly as written, in quotation marks, with when and where. Words sent
        on from someone else (item.sent_on) are labelled so, with no quotation marks or bar."""
        text = (f"“{item.quote}”" if item.quote
                else f"{self.say('summary.sent_on')}: {item.sent_on}")
        meta = [words.short_day(item.when), item.flow_title]
        if item.about is not None:
            meta.append(item.about.words)
        if item.day:
            meta.append(self.say(f"summary.verdict.{item.day}"))
        if show_who:
            meta.append(words.who(self.say, item.who))
        if item.helped and item.helped.split(",") != ["helped_alone"]:
            meta.append(self.say("summary.with_help"))
        self.room(14)
        top = self.get_y()
        self.para(text, indent=4, gap=0)
        self.para(" · ".join(meta), size=9, colour=MUTED, indent=4, gap=1.5)
        if item.quote:
            self.set_fill_color(*QUOTE_BAR)
            self.rect(self.l_margin, top, 1.2, max(4.0, self.get_y() - top - 1.5), style="F")

    def prepare(self) -> None:
        """Scale every photo and mat picture down first, in threads (Pillow decodes and
        encodes JPEG without holding the GIL): the slowest part of a year of answers."""
        summary = self.summary
        wanted = {m for s in summary.sections for i in s.items for m in i.photos}
        wanted |= {m.image for m in summary.mats if m.image is not None}
        wanted = {m for m in wanted if self._media(m)}
        with ThreadPoolExecutor(max_workers=4) as pool:
            done = pool.map(lambda m: (m, _photo_jpeg(self._media(m))), sorted(wanted))
            self.jpegs = dict(done)

    def jpeg(self, media_id: int) -> bytes | None:
        if media_id not in self.jpegs:
            self.jpegs[media_id] = _photo_jpeg(self._media(media_id))
        return self.jpegs[media_id]

    def photos(self, ids: Sequence[int]) -> None:
        shown = [(m, jpeg) for m in ids if (jpeg := self.jpeg(m)) is not None]
        if len(shown) < len(ids):
            self.para(self.say("summary.photo_unreadable", count=len(ids) - len(shown)),
                      size=9.5, colour=MUTED)
        x = self.l_margin
        row_height = 0.0
        top = self.get_y()
        for media_id, jpeg in shown:
            with Image.open(io.BytesIO(jpeg)) as probe:
                ratio = probe.height / probe.width
            height = min(PHOTO_MM * ratio, 70.0)
            width = height / ratio
            if x + width > self.l_margin + self.width:
                x, top = self.l_margin, top + row_height + 8
                row_height = 0.0
            if top + height + 6 > self.page_break_trigger:
                self.add_page()
                x, top, row_height = self.l_margin, self.get_y(), 0.0
            self.image(io.BytesIO(jpeg), x=x, y=top, w=width, h=height)
            when = self.summary.media[media_id].when
            self.set_xy(x, top + height + 0.5)
            self.set_font(FAMILY, "", 8.5)
            self.set_text_color(*MUTED)
            self.cell(width, 4.5, printable(self.say("summary.photo_caption",
                                                     date=words.short_day(when))))
            x += width + 5
            row_height = max(row_height, height + 5)
        if shown:
            self.set_xy(self.l_margin, top + row_height + 3)

    def _media(self, media_id: int) -> bytes | None:
        found = self.summary.media.get(media_id)
        return found.data if found is not None else None


def render_pdf(summary: Summary, locale: Locale) -> bytes:
    doc = _Document(locale, summary)
    doc.prepare()
    doc.add_page()
    _front(doc)
    shown, empty = words.shown_sections(locale, summary)
    if empty:  # named once, so no heading is ever drawn with nothing under it
        doc.para(locale("summary.empty_sections", titles="; ".join(empty)), size=10.5,
                 colour=MUTED, gap=2)
    for key, title in shown:
        doc.heading(key, title, need=_first_need(doc, key))
        _SECTION_DRAWERS.get(key, _generic)(doc, key)
    _noted(doc)
    _since(doc)
    _you_said(doc)
    _section_a(doc)
    doc.ln(4)
    doc.para(locale("summary.attribution"), size=8.5, colour=MUTED)
    return bytes(doc.output())


# --- the parts ---------------------------------------------------------------------------------


def _front(doc: _Document) -> None:
    say, summary = doc.say, doc.summary
    doc.para(say("summary.title", name=summary.young_person.name), size=22, bold=True, gap=2)
    for line in words.header_lines(say, summary):
        doc.para(line, size=11, gap=0.5)
    doc.ln(2)
    top = doc.get_y()
    doc.set_fill_color(*PANEL)
    doc.set_font(FAMILY, "", 10.5)
    text = printable(say("summary.how_to_read", name=summary.young_person.name))
    lines = doc.multi_cell(doc.width - 8, 5.6, text, align="L", dry_run=True, output="LINES")
    doc.rect(doc.l_margin, top, doc.width, len(lines) * 5.6 + 6, style="F")
    doc.set_xy(doc.l_margin + 4, top + 3)
    doc.multi_cell(doc.width - 8, 5.6, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    doc.ln(5)


def _views(doc: _Document, items: Sequence[Item], *, with_labels: dict[str, str] | None = None,
           ) -> None:
    """Items grouped by whose view they are: picked symbols, own words, photos, voice notes."""
    for voice, mine in group_by_who(items):
        doc.subheading(words.who(doc.say, voice))
        groups = ([(label, [i for i in mine if group_key(i) == heading])
                   for heading, label in with_labels.items()] if with_labels else [("", mine)])
        for label, group in groups:
            if not group:
                continue
            if label:
                doc.para(label, bold=True, size=11, gap=0)
            doc.chips(tally(group))
            for item in group:
                if item.quote or item.sent_on:
                    doc.quote(item)
            dont_know = sum(1 for i in group if i.dont_know)
            if dont_know:
                doc.para(doc.say("summary.dont_know", count=dont_know), size=10, colour=MUTED)
            voices = [m for i in group for m in i.voices]
            if voices:
                doc.para(doc.say("summary.voice_notes", count=len(voices)), size=10,
                         colour=MUTED)
            doc.photos([m for i in group for m in i.photos])


def _nothing(doc: _Document) -> None:
    doc.para(doc.say("summary.nothing"), colour=MUTED)


def _generic(doc: _Document, key: str) -> None:
    items = doc.summary.section(key).items
    if not items:
        _nothing(doc)
        return
    labels = None
    if key == "future":
        labels = area_labels(items)
    if key == "take_part":
        labels = {QUESTIONS: doc.say("summary.label.questions"),
                  "take_part": doc.say("summary.label.take_part")}
    _views(doc, items, with_labels=labels)


def _working(doc: _Document, key: str) -> None:
    items = doc.summary.section(key).items
    if not items:
        _nothing(doc)
        return
    _views(doc, items, with_labels={WORKING: doc.say("summary.label.working"),
                                    NOT_WORKING: doc.say("summary.label.not_working"),
                                    "not_sure": doc.say("summary.label.not_sure")})


def _days(doc: _Document, key: str) -> None:
    say, days = doc.say, doc.summary.days
    if not days.days and not doc.summary.section(key).items:
        _nothing(doc)
        return
    _day_figures(doc)
    doc.chips(days.good_reasons[:10], say("summary.good_reasons"))
    doc.chips(days.bad_reasons[:10], say("summary.bad_reasons"))
    if days.quotes:
        doc.para(say("summary.day_words", name=doc.summary.young_person.name), bold=True,
                 size=11, gap=0)
        for item in days.quotes:
            doc.quote(item)
    others = [i for i in doc.summary.section(key).items if not i.who.is_young_person]
    if others:
        _views(doc, others)
    mine = [i for i in doc.summary.section(key).items if i.who.is_young_person]
    voices = sum(len(i.voices) for i in mine)
    if voices:
        doc.para(say("summary.voice_notes", count=voices), size=10, colour=MUTED)
    doc.photos(sorted((m for i in mine for m in i.photos),
                      key=lambda m: doc.summary.media[m].when if m in doc.summary.media else 0))


def _day_figures(doc: _Document) -> None:
    """The days' figures, each saying what it counts (bot.summary.figures), then the chart of
    days rated as a whole, or why there is none."""
    say, days, name = doc.say, doc.summary.days, doc.summary.young_person.name
    if days.days:
        doc.para(figures.whole_line(say, name, days.whole), bold=True)
        _chart(doc, days.weeks, None)
    elif days.parts:
        doc.para(say("summary.days.no_whole", name=name), colour=MUTED)
    if days.parts:
        doc.para(say("summary.days.parts", name=name), size=10.5, colour=MUTED, gap=0.5)
        for part in days.parts:
            doc.para(figures.part_line(say, part), indent=4, gap=0.5)
        doc.ln(1.5)


def _chart(doc: _Document, weeks: Sequence[Week], split: date | None) -> None:
    """The week chart when there are enough weeks to compare (chart.worth_drawing), else a
    line saying there is none and why."""
    say = doc.say
    if not worth_drawing(weeks):
        doc.para(say("summary.chart.none", weeks=weeks_rated(weeks)), size=10, colour=MUTED)
        return
    labels = (say("summary.chart.good"), say("summary.chart.ok"), say("summary.chart.bad"),
              say("summary.chart.split"), say("summary.chart.axis"))
    picture = week_chart(weeks, split=split, labels=labels)
    height = doc.width * picture.height / picture.width
    doc.room(height + 10)
    doc.para(say("summary.chart.title"), size=10.5, colour=MUTED, gap=0)
    doc.image(picture, x=doc.l_margin, w=doc.width, h=height)
    doc.ln(2)


def _mats(doc: _Document, key: str) -> None:
    mats = doc.summary.mats
    items = doc.summary.section(key).items
    if not mats and not items:
        _nothing(doc)
        return
    on_a_mat = {m.run_id for m in mats}
    for mat in mats:
        _mat(doc, mat)
        for item in items:  # what they said about this mat, in their own words
            if item.run_id == mat.run_id and (item.quote or item.sent_on):
                doc.quote(item)
    rest = [i for i in items if i.run_id not in on_a_mat]
    if rest:
        _views(doc, rest)


def _mat_size(doc: _Document, mat: Mat) -> tuple[bytes, float, float] | None:
    """The finished mat's picture and its size on the page (width, height in mm), or None."""
    jpeg = doc.jpeg(mat.image) if mat.image is not None else None
    if jpeg is None:
        return None
    with Image.open(io.BytesIO(jpeg)) as probe:
        ratio = probe.height / probe.width
    width = min(MAT_MM, 150.0 / ratio)
    return jpeg, width, width * ratio


def _first_need(doc: _Document, key: str) -> float:
    """How much room a section's first block needs under its heading: the first mat's picture
    (with its title) for the Talking Mats, else the usual few lines."""
    if key == "talking_mat" and doc.summary.mats:
        size = _mat_size(doc, doc.summary.mats[0])
        return 30.0 + (size[2] + 12.0 if size is not None else 0.0)
    return 30.0


def _mat(doc: _Document, mat: Mat) -> None:
    say = doc.say
    size = _mat_size(doc, mat)
    doc.room(16 + (size[2] + 4 if size is not None else 0))  # the title stays with its mat
    doc.subheading(say("summary.mat_title", topic=mat.topic.words, date=words.day(mat.when),
                       who=words.who(say, mat.who)))
    if size is not None:
        jpeg, width, height = size
        doc.room(height + 4)
        doc.image(io.BytesIO(jpeg), x=doc.l_margin, w=width, h=height)
        doc.ln(2)
    else:
        doc.para(say("summary.mat_no_picture"), size=10, colour=MUTED)
    for scale, cards in zip(mat.scale, mat.columns, strict=True):
        doc.room(SYMBOL_MM + 2.5 + 2 * LINE)  # a scale point stays with its cards
        doc.chips([(scale, 1)])
        doc.para(", ".join(c.words for c in cards) or "–", indent=SYMBOL_MM + 1.5, gap=1)
    if mat.left_off:  # the cards left off are named too: leaving one off says something
        doc.para(f"{say('answer.left_off')}: {', '.join(c.words for c in mat.left_off)}",
                 size=10.5, gap=1)
    for moved in mat.moved:
        before = (mat.scale[moved.before].words if 0 <= moved.before < 3
                  else say("summary.mat_not_there"))
        doc.para(say("summary.mat_moved", card=moved.card.words, before=before,
                     now=mat.scale[moved.now].words,
                     date=words.day(mat.earlier) if mat.earlier else ""), size=10.5)
    if helped := helped_words(say, mat.helped):  # who facilitated the mat
        doc.para(helped, size=10.5, gap=1)
    _notes(doc, mat.notes, mat.who.name)


def _notes(doc: _Document, notes: Sequence[Note], name: str) -> None:
    """The therapist's notes under their label ("Therapist's notes (not Jo's words)"), on a
    panel, so they are never read as the young person's words."""
    lines = note_lines(doc.say, notes, name)
    if not lines:
        return
    doc.room(6 + 6 * len(lines))
    doc.para(lines[0], size=10.5, bold=True, colour=MUTED, gap=0)
    for line in lines[1:]:
        doc.para(line, size=10.5, indent=4, gap=0.5)
    doc.ln(1)


def _noted(doc: _Document) -> None:
    """The therapist's notes on activities other than a mat (a mat's are with the mat), each
    with that activity's answers in context and who helped; nothing when there are none."""
    noted = [v for v in doc.summary.runs if v.notes and not (
        v.is_mat and any(m.run_id == v.run_id for m in doc.summary.mats))]
    if not noted:
        return
    say = doc.say
    doc.heading("notes", say("summary.section.noted"))
    for view in noted:
        doc.subheading(say("summary.run_title", date=words.short_day(view.when),
                           title=view.flow_title, who=words.who(say, view.who)))
        for line in line_text(view.lines):
            doc.para(line, size=10.5, indent=4, gap=0.5)
        if helped := helped_words(say, view.helped):
            doc.para(helped, size=10.5, indent=4, gap=0.5)
        _notes(doc, view.notes, view.who.name)  # whose activity: Ann's, for her view


def _helped(doc: _Document, key: str) -> None:
    found = doc.summary.helped
    if not found:
        _nothing(doc)
        return
    doc.chips([(Sym(h.key, h.words, h.emoji), h.count) for h in found])
    doc.para(doc.say("summary.helped_note"), size=10, colour=MUTED)


def _outcomes(doc: _Document, key: str) -> None:
    """Progress towards my outcomes: each outcome (its symbol and words), then the young
    person's latest view, their view before the last meeting, what helps and their words."""
    part = doc.summary.outcomes
    if part.empty:
        _nothing(doc)
        return
    say = doc.say
    for n, progress in enumerate(part.progress, 1):
        doc.room(20)
        top = doc.get_y()
        emoji = progress.symbol.emoji if progress.symbol else "🎯"
        drawn = doc.symbol(emoji, doc.l_margin, top)
        ended = f" ({say('summary.outcomes.ended')})" if not progress.current else ""
        doc.set_xy(doc.l_margin + (SYMBOL_MM + 1.5 if drawn else 0), top)
        doc.para(f"{n}. {progress.words}{ended}", size=12.5, bold=True,
                 indent=SYMBOL_MM + 1.5 if drawn else 0, gap=0.5)
        for line in view_lines(say, progress, words.short_day):
            quoted = line.startswith("“")
            doc.para(line, size=11 if quoted else 10.5, indent=4,
                     colour=INK if quoted else MUTED, gap=0.5)
        doc.ln(1.5)
    if part.more_words:
        doc.para(say("summary.outcomes.more"), bold=True, size=11, gap=0.5)
        for when, said in part.more_words:
            doc.para(f"“{said}” ({words.short_day(when)})", indent=4, gap=0.5)


_SECTION_DRAWERS = {"working": _working, "days": _days, "talking_mat": _mats,
                    "who_helped": _helped}
_SECTION_DRAWERS["outcomes"] = _outcomes


def _since(doc: _Document) -> None:
    say, since = doc.say, doc.summary.since
    doc.heading("since", say("summary.section.since"))
    _last_meeting(doc)
    if not since.has_earlier:
        doc.para(say("summary.since.none"), colour=MUTED)
    else:
        doc.para(say("summary.since.compared", start=words.day(since.earlier_start),
                     end=words.day(since.earlier_end)), gap=2)
        doc.chips([(t.symbol, t.count) for t in since.new_themes], say("summary.since.new"))
        if not since.new_themes:
            doc.para(say("summary.since.no_new"), size=10.5, colour=MUTED)
        doc.chips([(t.symbol, t.count) for t in since.gone_themes], say("summary.since.gone"))
        if not since.gone_themes:
            doc.para(say("summary.since.no_gone") if since.earlier_themes
                     else say("summary.since.nothing_before"), size=10.5, colour=MUTED)
        for line in figures.since_lines(say, since.balance_now, since.balance_before,
                                        since.parts):
            doc.para(line, size=10.5, gap=0.5)
        if since.balance_now.total or since.balance_before.total:
            _chart(doc, since.weeks, since.split)
    if since.mats_moved:
        doc.para(say("summary.since.mats"), bold=True, size=11, gap=0)
        for mat in since.mats_moved:
            doc.para(say("summary.since.mat_compared", topic=mat.topic.words,
                         now=words.day(mat.when),
                         before=words.day(mat.earlier) if mat.earlier else ""), size=10.5,
                     colour=MUTED, gap=0)
            for moved in mat.moved:
                before = (mat.scale[moved.before].words if 0 <= moved.before < 3
                          else say("summary.mat_not_there"))
                doc.para(say("summary.since.mat_line", topic=mat.topic.words,
                              card=moved.card.words, before=before,
                              now=mat.scale[moved.now].words), size=10.5, gap=0.5)


def _last_meeting(doc: _Document) -> None:
    """What was agreed at the last meeting and the next steps (/agreed), as the therapist
    recorded them, under "Since the last meeting"; nothing when no record was finished."""
    record = doc.summary.last_meeting
    if record is None:
        return
    for key, items in (("mr.summary.agreed", record.agreed),
                       ("mr.summary.next_steps", record.next_steps)):
        if items:
            doc.subheading(doc.say(key, date=words.day(record.held_on)))
            for item in items:
                doc.para(f"• {item}", indent=4, gap=0.5)
    doc.ln(2)


def _you_said(doc: _Document) -> None:
    say = doc.say
    doc.heading("you_said", say("summary.section.you_said"))
    if not doc.summary.you_said:
        doc.para(say("summary.you_said.none"), colour=MUTED)
        return
    for sent in doc.summary.you_said:
        doc.subheading(say("summary.you_said.sent", date=words.day(sent.sent)))
        for n, (said, will) in enumerate(sent.items):
            doc.para(you_said_line(say, sent, n, said), gap=0)
            doc.para(say("summary.you_said.will", text=will), indent=4)
        doc.chips([(Sym("listened", say("summary.you_said.listened",
                                          answer=words.listened(say, sent.listened)),
                        words.LISTENED_EMOJI.get(sent.listened or "", "⏳")), 1)])


def _section_a(doc: _Document) -> None:
    say, summary = doc.say, doc.summary
    name = summary.young_person.name
    doc.heading("section_a", say("summary.section.section_a"))
    doc.para(say("summary.section_a.intro", name=name), gap=1)
    doc.para(say("summary.section_a.key", name=name), size=10.5, colour=MUTED, gap=2)
    if not summary.section_a:
        doc.para(say("summary.section_a.empty", name=name), colour=MUTED)
    for part in summary.section_a:
        doc.subheading(part.title)
        for line in part.lines:
            # What a supporter's words answer rides with the mark: "Quote (What is working)".
            label = f" ({line.label})" if line.label else ""
            if line.kind == "quote":
                helped = f" ({line.helped})" if line.helped else ""  # how it was gathered
                doc.para(f"{say('summary.quote_label')}{label}: “{line.text}”{helped}",
                         bold=True, indent=4, gap=0.8)
            else:
                doc.para(f"{say('summary.summary_label')}{label}: {line.text}", indent=4,
                         gap=0.8)
