"""One summary picture for reading on a phone: the headline of each review heading, the good /
bad day balance, what changed, and whether the young person felt listened to.

1080 px wide, as tall as it needs (at most MAX_HEIGHT, so Telegram does not shrink it).
Every symbol carries its words; the PDF has everything, the picture the headlines.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image, ImageDraw, PngImagePlugin

from bot.i18n import Locale
from bot.render import safe_image, scripts
from bot.render.cards import PALETTES, TextBlock, attribution, emoji_image, fit_text
from bot.render.cards.shapes import JPEG_QUALITY, JPEG_SUBSAMPLING
from bot.summary import figures, words
from bot.summary.chart import week_chart, worth_drawing
from bot.summary.context import helped_words, note_lines, placements_text
from bot.summary.model import QUESTIONS, Item, Summary, Sym, group_by_who, tally
from bot.summary.outcomes import said

WIDTH = 1080
MAX_HEIGHT = 2560
MARGIN = 40
GAP = 22
FAMILY = "atkinson"
PAL = PALETTES["standard"]
QUOTE_INK = (29, 78, 216)
SECTIONS_SHOWN = ("about_me", "like_admire", "important_to", "future", "important_for",
                  "support", "working", "take_part")


@dataclass
class _Block:
    image: Image.Image


def _canvas(height: int, colour: tuple[int, int, int] = PAL.background) -> Image.Image:
    return Image.new("RGB", (WIDTH, height), colour)


def _text(text: str, size: int, *, width: int = WIDTH - 2 * MARGIN, lines: int = 4,
          smallest: int = 26) -> TextBlock:
    return fit_text(text, FAMILY, width, 10_000, lines, size, smallest)


def _draw(draw: ImageDraw.ImageDraw, block: TextBlock, x: int, y: int,
          fill: tuple[int, int, int] = PAL.text) -> int:
    for line in block.lines:
        scripts.draw_text(draw, (x, y + block.pitch // 2), line, block.font, fill, "lm")
        y += block.pitch
    return y


def _title(summary: Summary, locale: Locale) -> _Block:
    name = summary.young_person.name
    title = _text(locale("summary.title", name=name), 64, lines=2, smallest=40)
    sub = _text(locale("summary.picture.period", start=words.short_day(summary.period_start),
                       end=words.short_day(summary.period_end),
                       shared=summary.shared_count, private=summary.private_count), 34,
                lines=3, smallest=26)
    meeting = (_text(locale("summary.for_meeting", date=words.weekday(summary.next_meeting)),
                     34, lines=2) if summary.next_meeting else None)
    height = 36 + title.height + 12 + sub.height + (meeting.height + 8 if meeting else 0) + 30
    image = _canvas(height, PAL.banner)
    draw = ImageDraw.Draw(image)
    y = _draw(draw, title, MARGIN, 36)
    if meeting is not None:
        y = _draw(draw, meeting, MARGIN, y + 8)
    _draw(draw, sub, MARGIN, y + 12, PAL.muted)
    return _Block(image)


def _heading(emoji: str, text: str) -> Image.Image:
    """A section heading: its symbol, then its words (on one or two lines)."""
    block = _text(text, 44, width=WIDTH - 2 * MARGIN - 80, lines=2, smallest=32)
    image = _canvas(max(60, block.height) + 10)
    picture = emoji_image(emoji, 60)
    if picture is not None:
        image.paste(picture, (MARGIN, 5 + (max(60, block.height) - picture.height) // 2),
                    picture)
    _draw(ImageDraw.Draw(image), block, MARGIN + 80, 5 + max(0, (60 - block.height) // 2))
    return image


def _photos(summary: Summary, ids: Sequence[int], limit: int = 3) -> Image.Image | None:
    """Up to `limit` of the newest photos, side by side."""
    shown = []
    for media_id in reversed(ids):
        found = summary.media.get(media_id)
        if found is None or not found.data:
            continue
        photo = safe_image.open_stored(found.data, 300)
        if photo is None:
            continue
        shown.append(photo.convert("RGB"))
        if len(shown) == limit:
            break
    if not shown:
        return None
    image = _canvas(max(p.height for p in shown))
    x = MARGIN
    for photo in shown:
        image.paste(photo, (x, 0))
        x += photo.width + GAP
    return image


def _chips(found: Sequence[tuple[Sym, int]], limit: int = 4) -> Image.Image | None:
    """Up to `limit` symbols side by side, each with its words and how often."""
    shown = list(found[:limit])
    if not shown:
        return None
    tile_w = (WIDTH - 2 * MARGIN - GAP * (limit - 1)) // limit
    labels = [_text(f"{s.words} ×{n}" if n > 1 else s.words, 30, width=tile_w - 20, lines=2,
                    smallest=22) for s, n in shown]
    height = 100 + max(b.height for b in labels) + 24
    image = _canvas(height)
    draw = ImageDraw.Draw(image)
    for index, ((symbol, _), label) in enumerate(zip(shown, labels, strict=True)):
        left = MARGIN + index * (tile_w + GAP)
        draw.rounded_rectangle((left, 0, left + tile_w, height - 1), radius=22, fill=PAL.tile,
                               outline=PAL.outline, width=3)
        picture = emoji_image(symbol.emoji, 76) if symbol.emoji else None
        if picture is not None:
            image.paste(picture, (left + (tile_w - picture.width) // 2, 14), picture)
        y = 100
        for line in label.lines:
            scripts.draw_text(draw, (left + tile_w // 2, y + label.pitch // 2), line,
                              label.font, PAL.text, "mm")
            y += label.pitch
    return image


def _quote(item: Item, locale: Locale) -> Image.Image:
    block = _text(f"“{item.quote}”", 34, width=WIDTH - 2 * MARGIN - 40, lines=4, smallest=26)
    meta = _text(f"{words.who(locale, item.who)}, {words.short_day(item.when)}", 26,
                 width=WIDTH - 2 * MARGIN - 40, lines=1, smallest=22)
    image = _canvas(block.height + meta.height + 20)
    draw = ImageDraw.Draw(image)
    draw.rectangle((MARGIN, 4, MARGIN + 8, image.height - 8), fill=QUOTE_INK)
    y = _draw(draw, block, MARGIN + 28, 4)
    _draw(draw, meta, MARGIN + 28, y + 4, PAL.muted)
    return image


def _stack(parts: Sequence[Image.Image | None], gap: int = 14) -> Image.Image:
    shown = [p for p in parts if p is not None]
    image = _canvas(sum(p.height for p in shown) + gap * max(0, len(shown) - 1))
    y = 0
    for part in shown:
        image.paste(part, (0, y))
        y += part.height + gap
    return image


def _section(summary: Summary, locale: Locale, key: str) -> _Block | None:
    # The young person's own items: supporters' views have their own block, and their own
    # words lead the picture (own_words), so a heading shows what was picked and photos.
    items = [i for i in summary.section(key).items if i.who.is_young_person]
    if not items:
        return None
    head = _heading(words.SECTION_EMOJI.get(key, ""), locale(f"summary.section.{key}"))
    chips = _chips(tally(items))
    photos = _photos(summary, [m for i in items for m in i.photos]) if not chips else None
    if chips is None and photos is None:
        return None  # only words, shown above: no heading with nothing under it
    return _Block(_stack([head, chips, photos]))


def _days(summary: Summary, locale: Locale) -> _Block | None:
    """Days rated as a whole ("Good: 3 of 5 days rated"), the parts of the day rated (each in
    the times it was rated), the chart only with enough weeks to compare, what made days bad,
    and their newest words. None when no day or part was rated."""
    days = summary.days
    if not days.days and not days.parts:
        return None
    head = _heading("☀️", locale("summary.section.days"))
    whole = days.whole
    counts = _chips([(Sym(v, locale(key, count=whole.of(v), total=whole.total), emoji), 1)
                     for v, key, emoji in (("good", "summary.picture.good", "😀"),
                                           ("ok", "summary.picture.ok", "😐"),
                                           ("bad", "summary.picture.bad", "🙁"))],
                    limit=3) if whole.total else None
    # The parts rated bad most often first; each line says out of how many times.
    parts = _text_rows([figures.part_line(locale, p)
                        for p in sorted(days.parts, key=lambda p: -p.rated.bad)[:3]])
    chart_row = None
    if worth_drawing(days.weeks):
        chart = week_chart(days.weeks, width=WIDTH - 2 * MARGIN, height=300,
                           labels=(locale("summary.chart.good"), locale("summary.chart.ok"),
                                   locale("summary.chart.bad"), locale("summary.chart.split"),
                                   locale("summary.chart.axis")))
        caption = _text(locale("summary.chart.title"), 24, lines=3, smallest=20)
        chart_row = _canvas(caption.height + 6 + chart.height)
        _draw(ImageDraw.Draw(chart_row), caption, MARGIN, 0, PAL.muted)
        chart_row.paste(chart, (MARGIN, caption.height + 6))
    hard = _text_rows([locale("summary.picture.hard", things=words.tally_text(
        days.bad_reasons, 5))] if days.bad_reasons else [])
    # (Their words about their days are in "In Jo's own words", which leads the picture.)
    return _Block(_stack([head, counts, parts, chart_row, hard]))


def _text_rows(lines: Sequence[str]) -> Image.Image | None:
    """Lines of plain text, one under another; None for no lines."""
    if not lines:
        return None
    blocks = [_text(line, 30, lines=3, smallest=24) for line in lines]
    rows = _canvas(sum(b.height + 6 for b in blocks))
    y = 0
    for block in blocks:
        y = _draw(ImageDraw.Draw(rows), block, MARGIN, y) + 6
    return rows


def _body(lines: Sequence[str]) -> Image.Image:
    """Lines of words, each on up to three lines of the picture."""
    blocks = [_text(line, 30, lines=3, smallest=24) for line in lines]
    body = _canvas(sum(b.height + 8 for b in blocks))
    draw = ImageDraw.Draw(body)
    y = 0
    for block in blocks:
        y = _draw(draw, block, MARGIN, y) + 8
    return body


def _lines(title: str, emoji: str, lines: Sequence[str]) -> _Block | None:
    if not lines:
        return None
    return _Block(_stack([_heading(emoji, title), _body(lines)]))


def _changes(summary: Summary, locale: Locale) -> _Block | None:
    since = summary.since
    lines = []
    if since.new_themes:
        lines.append(locale("summary.picture.new", things=", ".join(
            t.symbol.words for t in since.new_themes[:5])))
    if since.gone_themes:
        lines.append(locale("summary.picture.gone", things=", ".join(
            t.symbol.words for t in since.gone_themes[:5])))
    for mat in since.mats_moved[:2]:
        for moved in mat.moved[:2]:
            if 0 <= moved.before < 3:
                lines.append(locale("summary.since.mat_line", topic=mat.topic.words,
                                    card=moved.card.words, before=mat.scale[moved.before].words,
                                    now=mat.scale[moved.now].words))
    return _lines(locale("summary.section.since"), "📆", lines)


def _listened(summary: Summary, locale: Locale) -> _Block | None:
    if not summary.you_said:
        return None
    newest = summary.you_said[-1]
    return _lines(locale("summary.picture.listened_title"),
                  words.LISTENED_EMOJI.get(newest.listened or "", "⏳"),
                  [locale("summary.you_said.listened",
                          answer=words.listened(locale, newest.listened))])


OUTCOMES_SHOWN = 4  # the picture's room for outcomes; the PDF has every one
OWN_WORDS_SHOWN = 3  # their newest own words on the picture; the PDF has every one


def outcome_lines(summary: Summary, locale: Locale) -> list[str]:
    """The picture's outcome lines: the first OUTCOMES_SHOWN outcomes, each with the young
    person's view now and before the last meeting, then "+N more in the PDF" when there are
    more (none is dropped without saying so). Words only: the picture's font draws no emoji."""
    progress = summary.outcomes.progress
    lines = []
    for p in progress[:OUTCOMES_SHOWN]:
        asked = p.latest.words_asked if p.latest is not None and p.latest.words_asked else ""
        line = locale("summary.picture.outcome", outcome=asked or p.words,
                      view=said(locale, p.latest))
        if p.before is not None:
            line += " " + locale("summary.picture.outcome_before", view=said(locale, p.before))
        lines.append(line)
    if len(progress) > OUTCOMES_SHOWN:
        lines.append(locale("summary.picture.outcomes_more",
                            count=len(progress) - OUTCOMES_SHOWN))
    return lines


def _outcomes(summary: Summary, locale: Locale) -> _Block | None:
    """Progress towards my outcomes (outcome_lines), or None when there are no outcomes."""
    return _lines(locale("summary.section.outcomes"), "🎯", outcome_lines(summary, locale))


# The picture's blocks, most important first (issue 14, point 10): the young person's own words
# and questions lead, then their Talking Mats, then the supporters' views; then the days, the
# headings' headlines, what changed and whether they felt listened to. Blocks with nothing to
# show are left out; the picture stops before MAX_HEIGHT, so the first ones always fit.
ORDER = ("title", "own_words", "mats", "supporters", "outcomes", "days", *SECTIONS_SHOWN,
         "changes", "listened")


def _own_items(summary: Summary) -> list[Item]:
    """The young person's own words (newest first), then their questions not already among
    them: what leads the picture."""
    mine = [i for s in summary.sections for i in s.items if i.who.is_young_person]
    quotes = sorted((i for i in mine if i.quote), key=lambda i: (i.when, i.answer_id),
                    reverse=True)
    questions = [i for i in mine if i.heading == QUESTIONS and not i.quote and i.symbols]
    return [*quotes, *questions]


def _supporter_items(summary: Summary) -> list[Item]:
    return [i for s in summary.sections for i in s.items if not i.who.is_young_person]


def block_order(summary: Summary) -> list[str]:
    """The keys of the picture's blocks that have something to show, in the order drawn
    (ORDER): "title", "own_words", "mats", "supporters", "days", a review section's key,
    "changes", "listened"."""
    has = {"title": True, "own_words": bool(_own_items(summary)), "mats": bool(summary.mats),
           "supporters": bool(_supporter_items(summary)),
           "outcomes": bool(summary.outcomes.progress),
           "days": bool(summary.days.days or summary.days.parts),
           "changes": bool(summary.since.new_themes or summary.since.gone_themes
                           or summary.since.mats_moved),
           "listened": bool(summary.you_said)}
    for key in SECTIONS_SHOWN:  # what _section draws: their picks or photos
        has[key] = any(i.who.is_young_person and (i.symbols or i.photos)
                       for i in summary.section(key).items)
    return [key for key in ORDER if has[key]]


def _own_words(summary: Summary, locale: Locale) -> _Block | None:
    """The young person's own words and questions, quoted exactly, newest first."""
    items = _own_items(summary)
    if not items:
        return None
    head = _heading("💬", locale("summary.picture.own_words", name=summary.young_person.name))
    said = [i for i in items if i.quote]
    quotes = [_quote(i, locale) for i in said[:OWN_WORDS_SHOWN]]
    asked = [i for i in items if not i.quote]
    lines = [f"{locale('summary.label.questions')}: "
             + ", ".join(s.words for i in asked for s in i.symbols)] if asked else []
    if len(said) > OWN_WORDS_SHOWN:  # a cut list says so: the rest are in the PDF
        lines.append(locale("summary.picture.outcomes_more", count=len(said) - OWN_WORDS_SHOWN))
    return _Block(_stack([head, *quotes, _body(lines) if lines else None]))


def _mats(summary: Summary, locale: Locale) -> _Block | None:
    """The newest Talking Mats: topic, date, each card under its column, who facilitated, and
    the first of the therapist's notes, labelled as theirs."""
    lines = []
    for mat in summary.mats[-2:]:
        cards = placements_text(mat.scale, mat.columns, mat.left_off,
                                locale("answer.left_off"))
        lines.append(locale("summary.picture.mat", topic=mat.topic.words,
                            date=words.short_day(mat.when), cards=cards))
        if helped := helped_words(locale, mat.helped):
            lines.append(helped)
        notes = note_lines(locale, mat.notes, summary.young_person.name)
        if notes:
            lines.append(f"{notes[0]}: {_clip(notes[1], 140)}"
                         + (f" (+{len(notes) - 2})" if len(notes) > 2 else ""))
    return _lines(locale("summary.section.talking_mat"), "🗂️", lines)


def _clip(text: str, limit: int) -> str:
    """`text`, or its first words within `limit` characters and "…" (never cut mid-word)."""
    if len(text) <= limit:
        return text
    cut = text[:limit - 1]
    return (cut.rsplit(" ", 1)[0] if " " in cut else cut).rstrip(" ,;:") + "…"


def _supporters(summary: Summary, locale: Locale) -> _Block | None:
    """Each supporter's view, attributed: what they picked, then their newest words."""
    items = _supporter_items(summary)
    if not items:
        return None
    parts: list[Image.Image | None] = [
        _heading("👪", locale("summary.picture.supporters"))]
    for voice, theirs in group_by_who(items):
        picked = tally(theirs)
        said = [i for i in theirs if i.quote]
        if picked or not said:  # (a quote names whose view it is under it)
            parts.append(_body([f"{words.who(locale, voice)}: {words.tally_text(picked, 5)}"
                                if picked else words.who(locale, voice)]))
        if said:
            parts.append(_quote(said[-1], locale))
        if len(said) > 1:  # their newest words only: the rest are in the PDF, and it says so
            parts.append(_body([locale("summary.picture.outcomes_more", count=len(said) - 1)]))
    return _Block(_stack(parts))


def _block(summary: Summary, locale: Locale, key: str) -> _Block | None:
    """The block `key` of block_order."""
    if key == "title":
        return _title(summary, locale)
    if key == "own_words":
        return _own_words(summary, locale)
    if key == "mats":
        return _mats(summary, locale)
    if key == "supporters":
        return _supporters(summary, locale)
    if key == "outcomes":
        return _outcomes(summary, locale)
    if key == "days":
        return _days(summary, locale)
    if key == "changes":
        return _changes(summary, locale)
    if key == "listened":
        return _listened(summary, locale)
    return _section(summary, locale, key)


def render_picture(summary: Summary, locale: Locale, image_format: str = "PNG") -> bytes:
    """The summary picture as PNG (or JPEG: Telegram turns photos into JPEG anyway, and JPEG
    is ten times quicker to encode than PNG at this size)."""
    blocks = [_block(summary, locale, key) for key in block_order(summary)]
    foot = _text(locale("summary.picture.footer", name=summary.young_person.name), 28,
                 lines=3, smallest=22)
    shown = [b.image for b in blocks if b is not None]
    room = MAX_HEIGHT - foot.height - 40
    kept: list[Image.Image] = []
    used = 0
    for image in shown:  # the most important blocks come first; stop before the cap
        if used + image.height + GAP * 2 > room and kept:
            break
        kept.append(image)
        used += image.height + GAP * 2
    canvas = _canvas(used + foot.height + 40)
    y = 0
    draw = ImageDraw.Draw(canvas)
    for index, image in enumerate(kept):
        canvas.paste(image, (0, y))
        y += image.height + GAP
        if index:
            draw.line((MARGIN, y, WIDTH - MARGIN, y), fill=PAL.outline, width=2)
        y += GAP
    _draw(draw, foot, MARGIN, y + 10, PAL.muted)
    out = io.BytesIO()
    if image_format == "JPEG":
        canvas.save(out, "JPEG", quality=JPEG_QUALITY, subsampling=JPEG_SUBSAMPLING,
                    comment=attribution().encode())
        return out.getvalue()
    info = PngImagePlugin.PngInfo()
    info.add_text("Copyright", attribution())
    canvas.save(out, "PNG", compress_level=3, pnginfo=info)
    return out.getvalue()
