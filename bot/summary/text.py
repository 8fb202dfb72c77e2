"""The summary as plain text: the whole of it (for `python -m bot summary --text`), and a short
message that goes with the PDF and the picture in Telegram."""

from __future__ import annotations

from collections.abc import Sequence

from bot.i18n import Locale
from bot.summary import figures, words
from bot.summary.context import helped_words, line_text, note_lines
from bot.summary.model import (
    NOT_WORKING,
    QUESTIONS,
    WORKING,
    Item,
    Mat,
    RunView,
    Summary,
    YouSaidIn,
    area_labels,
    group_by_who,
    group_key,
    tally,
)
from bot.summary.outcomes import outcome_lines

# Telegram allows 4096 characters a message; leave room for safety.
SHORT_LIMIT = 3500

# Quotation marks around words the therapist typed as "you said": theirs, so shown without.
QUOTE_MARKS = "\"'“”‘’"


def short_text(summary: Summary, locale: Locale) -> str:
    """What goes with the PDF in the chat: counts, then the newest shared flows, newest first."""
    lines = [locale("summary.short_title", name=summary.young_person.name),
             locale("summary.period", start=words.day(summary.period_start),
                    end=words.day(summary.period_end)),
             locale("summary.counts", name=summary.young_person.name,
                    shared=summary.shared_count, supporters=summary.supporter_count),
             locale("summary.private", name=summary.young_person.name,
                    count=summary.private_count)]
    if summary.you_said and summary.you_said[-1].listened:
        lines.append(locale("summary.short_listened",
                            answer=words.listened(locale, summary.you_said[-1].listened)))
    runs = summary.runs
    if runs:
        lines += ["", locale("summary.short_newest")]
    used = sum(len(line) + 1 for line in lines)
    for shown, view in enumerate(runs):
        block = run_block(locale, view)
        if used + len(block) + 80 > SHORT_LIMIT:
            lines.append(locale("summary.short_more", count=len(runs) - shown))
            break
        lines.append(block)
        used += len(block) + 1
    return "\n".join(lines)


def run_block(locale: Locale, view: RunView) -> str:
    """One shared activity in context: "• date, title (whose view): " then what was said,
    topic by topic ("Morning: Good · because: Calm; Getting to school: Bad · because: Too
    loud"; a mat's "School: Like: …; Not sure: …; Don't like: …"), who helped, and the
    therapist's notes under their label (never as the young person's words)."""
    said = "; ".join(line_text(view.lines)) or "–"
    out = [locale("summary.run_line", date=words.short_day(view.when), title=view.flow_title,
                  who=words.who(locale, view.who), answers=said)]
    if helped := helped_words(locale, view.helped):
        out.append(f"   {helped}")
    out += [f"   {line}" for line in note_lines(locale, view.notes, view.who.name)]
    return "\n".join(out)


def run_lines(summary: Summary, *, young_only: bool = False) -> list[tuple[str, str]]:
    """(symbol, words) per shared flow, newest first, for a list picture: each in context
    (the part of the day a verdict was about, a mat's cards under their columns). Their own
    words are clipped to fit the picture; the PDF has them whole."""
    lines = []
    for view in summary.runs:
        if young_only and not view.who.is_young_person:
            continue
        said = "; ".join(_clip(line, 120) for line in line_text(view.lines))
        emoji = "🗂️" if view.is_mat else "✏️"
        lines.append((emoji, f"{view.flow_title}, {words.short_day(view.when)}: {said or '–'}"))
    return lines


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


# --- the whole summary, as text ---------------------------------------------------------------


def full_text(summary: Summary, locale: Locale) -> str:
    out: list[str] = [locale("summary.title", name=summary.young_person.name), ""]
    out += words.header_lines(locale, summary)
    out += ["", locale("summary.how_to_read", name=summary.young_person.name), ""]
    shown, empty = words.shown_sections(locale, summary)
    if empty:
        out += [locale("summary.empty_sections", titles="; ".join(empty)), ""]
    for key, title in shown:
        out += [title, "-" * len(title)]
        out += _section_lines(summary, locale, key) or [locale("summary.nothing")]
        out.append("")
    out += _activity_lines(summary, locale)
    out += _since_lines(summary, locale)
    out += _you_said_lines(summary, locale)
    out += _section_a_lines(summary, locale)
    return "\n".join(out).rstrip() + "\n"


def _sent_on(locale: Locale, item: Item) -> str:
    """Words the young person sent on from someone else: labelled, never quoted as theirs."""
    return f"{locale('summary.sent_on')}: {item.sent_on}"


def _quote_line(item: Item) -> str:
    about = f", {item.about.words}" if item.about is not None else ""
    return f"  “{item.quote}” ({words.short_day(item.when)}, {item.flow_title}{about})"


def _view_lines(locale: Locale, items: Sequence[Item],
                labels: dict[str, str] | None = None) -> list[str]:
    out = []
    for voice, mine in group_by_who(items):
        out.append(words.who(locale, voice) + ":")
        groups = ([(label, [i for i in mine if group_key(i) == h]) for h, label in labels.items()]
                  if labels else [("", mine)])
        for label, group in groups:
            if not group:
                continue
            if label:
                out.append(f" {label}:")
            if found := tally(group):
                out.append(f"  {locale('summary.picked')}: {words.tally_text(found, 12)}")
            out += [_quote_line(i) for i in group if i.quote]
            out += [f"  {_sent_on(locale, i)}" for i in group if i.sent_on]
            if dont_know := sum(1 for i in group if i.dont_know):  # as the PDF says it
                out.append("  " + locale("summary.dont_know", count=dont_know))
            photos = sum(len(i.photos) for i in group)
            voices = sum(len(i.voices) for i in group)
            if photos:
                out.append("  " + locale("summary.photo_count", count=photos))
            if voices:
                out.append("  " + locale("summary.voice_notes", count=voices))
    return out


def _section_lines(summary: Summary, locale: Locale, key: str) -> list[str]:
    items = summary.section(key).items
    if key == "days":
        return _day_lines(summary, locale)
    if key == "talking_mat":
        on_a_mat = {m.run_id for m in summary.mats}
        lines = []
        for mat in summary.mats:
            lines += _mat_lines(locale, mat)
            lines += [_quote_line(i) for i in items if i.run_id == mat.run_id and i.quote]
            lines += [f"  {_sent_on(locale, i)}" for i in items
                      if i.run_id == mat.run_id and i.sent_on]
        rest = [i for i in items if i.run_id not in on_a_mat]
        return lines + (_view_lines(locale, rest) if rest else [])
    if key == "who_helped":
        return [f"  {h.words}: {h.count}" for h in summary.helped]
    if key == "outcomes":
        return [f"  {line}" for line in outcome_lines(locale, summary.outcomes, words.short_day)]
    labels = {"take_part": {QUESTIONS: locale("summary.label.questions"),
                            "take_part": locale("summary.label.take_part")},
              "working": {WORKING: locale("summary.label.working"),
                          NOT_WORKING: locale("summary.label.not_working"),
                          "not_sure": locale("summary.label.not_sure")}}.get(key)
    if key == "future":
        labels = area_labels(items)
    return _view_lines(locale, items, labels) if items else []


def _day_lines(summary: Summary, locale: Locale) -> list[str]:
    days = summary.days
    name = summary.young_person.name
    out = []  # the figures, each saying what it counts (the chart is only in the PDF)
    if days.days:
        out.append(figures.whole_line(locale, name, days.whole))
    elif days.parts:
        out.append(locale("summary.days.no_whole", name=name))
    if days.parts:
        out.append(locale("summary.days.parts", name=name))
        out += [f"  {figures.part_line(locale, p)}" for p in days.parts]
    for key, found in (("summary.good_reasons", days.good_reasons),
                       ("summary.bad_reasons", days.bad_reasons)):
        if found:
            out.append(f"  {locale(key)}: {words.tally_text(found)}")
    if days.quotes:
        out.append(locale("summary.day_words", name=summary.young_person.name))
        out += [_quote_line(i) for i in days.quotes]
    mine = [i for i in summary.section("days").items if i.who.is_young_person]
    photos, voices = sum(len(i.photos) for i in mine), sum(len(i.voices) for i in mine)
    if photos:
        out.append("  " + locale("summary.photo_count", count=photos))
    if voices:
        out.append("  " + locale("summary.voice_notes", count=voices))
    others = [i for i in summary.section("days").items if not i.who.is_young_person]
    return out + (_view_lines(locale, others) if others else [])


def _mat_lines(locale: Locale, mat: Mat) -> list[str]:
    out = [locale("summary.mat_title", topic=mat.topic.words, date=words.day(mat.when),
                  who=words.who(locale, mat.who))]
    for scale, cards in zip(mat.scale, mat.columns, strict=True):
        out.append(f"  {scale.words}: {', '.join(c.words for c in cards) or '–'}")
    if mat.left_off:
        out.append(f"  {locale('answer.left_off')}: {', '.join(c.words for c in mat.left_off)}")
    for moved in mat.moved:
        before = (mat.scale[moved.before].words if 0 <= moved.before < 3
                  else locale("summary.mat_not_there"))
        out.append("  " + locale("summary.mat_moved", card=moved.card.words, before=before,
                                 now=mat.scale[moved.now].words,
                                 date=words.day(mat.earlier) if mat.earlier else ""))
    if helped := helped_words(locale, mat.helped):  # who facilitated the mat
        out.append(f"  {helped}")
    out += [f"  {line}" for line in note_lines(locale, mat.notes, mat.who.name)]
    return out


def _activity_lines(summary: Summary, locale: Locale) -> list[str]:
    """Every shared activity of the period in context, newest first (run_block): what was
    said topic by topic, who helped, and the therapist's notes, labelled as theirs. The young
    person's own activities (which they checked before sharing) come under one title, and
    supporters' views under another: the young person never saw those."""
    name = summary.young_person.name
    out: list[str] = []
    for key, views in (
            ("summary.section.activities", [v for v in summary.runs if v.who.is_young_person]),
            ("summary.section.supporter_activities",
             [v for v in summary.runs if not v.who.is_young_person])):
        if not views:
            continue
        title = locale(key, name=name)
        out += [title, "-" * len(title)]
        out += [run_block(locale, view) for view in views]
        out.append("")
    return out


def _since_lines(summary: Summary, locale: Locale) -> list[str]:
    since = summary.since
    title = locale("summary.section.since")
    out = [title, "-" * len(title)]
    out += last_meeting_lines(summary, locale)
    if not since.has_earlier:
        out.append(locale("summary.since.none"))
    else:
        out.append(locale("summary.since.compared", start=words.day(since.earlier_start),
                          end=words.day(since.earlier_end)))
        new = ", ".join(t.symbol.words for t in since.new_themes)
        gone = ", ".join(t.symbol.words for t in since.gone_themes)
        out.append(f"  {locale('summary.since.new')}: {new or '–'}")
        gone = gone or ("–" if since.earlier_themes else locale("summary.since.nothing_before"))
        out.append(f"  {locale('summary.since.gone')}: {gone}")
        out += ["  " + line for line in figures.since_lines(
            locale, since.balance_now, since.balance_before, since.parts)]
    for mat in since.mats_moved:
        for moved in mat.moved:
            before = (mat.scale[moved.before].words if 0 <= moved.before < 3
                      else locale("summary.mat_not_there"))
            out.append("  " + locale("summary.since.mat_line", topic=mat.topic.words,
                                     card=moved.card.words, before=before,
                                     now=mat.scale[moved.now].words))
    return [*out, ""]


def last_meeting_lines(summary: Summary, locale: Locale) -> list[str]:
    """What was agreed at the last meeting and the next steps, as the therapist recorded them
    (/agreed), each item on its own line; nothing when no record was finished."""
    record = summary.last_meeting
    if record is None:
        return []
    out = []
    for key, items in (("mr.summary.agreed", record.agreed),
                       ("mr.summary.next_steps", record.next_steps)):
        if items:
            out.append(locale(key, date=words.day(record.held_on)))
            out += [f"  • {item}" for item in items]
    return out


def _you_said_lines(summary: Summary, locale: Locale) -> list[str]:
    title = locale("summary.section.you_said")
    out = [title, "-" * len(title)]
    if not summary.you_said:
        out.append(locale("summary.you_said.none"))
    for sent in summary.you_said:
        out.append(locale("summary.you_said.sent", date=words.day(sent.sent)))
        for n, (said, will) in enumerate(sent.items):
            out.append("  " + you_said_line(locale, sent, n, said))
            out.append("  " + locale("summary.you_said.will", text=will))
        out.append("  " + locale("summary.you_said.listened",
                                 answer=words.listened(locale, sent.listened)))
    return [*out, ""]


def you_said_line(locale: Locale, sent: YouSaidIn, index: int, said: str) -> str:
    """The "you said" line of item `index` of a sent card: traced words as they were sent; what
    the therapist typed marked as the therapist's words, without quotation marks that would
    make it read as the young person's own. Takes the locale and card; returns the line."""
    if sent.said_by_therapist(index):
        return locale("ys.summary.said_typed", text=said.strip().strip(QUOTE_MARKS).strip())
    return locale("summary.you_said.said", text=said)


def _section_a_lines(summary: Summary, locale: Locale) -> list[str]:
    name = summary.young_person.name
    title = locale("summary.section.section_a")
    out = [title, "-" * len(title), locale("summary.section_a.intro", name=name),
           locale("summary.section_a.key", name=name), ""]
    if not summary.section_a:
        out.append(locale("summary.section_a.empty", name=name))
    for part in summary.section_a:
        out.append(part.title)
        for line in part.lines:
            mark = locale("summary.quote_label" if line.kind == "quote"
                          else "summary.summary_label")
            mark += f" ({line.label})" if line.label else ""  # what a supporter's words answer
            said = f"“{line.text}”" if line.kind == "quote" else line.text
            said += f" ({line.helped})" if line.helped else ""  # who helped give the quote
            out.append(f"  {mark}: {said}")
        out.append("")
    return out
