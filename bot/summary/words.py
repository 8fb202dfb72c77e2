"""Small pieces of wording shared by the PDF, the picture and the text summary."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from bot.i18n import Locale
from bot.summary.model import SECTIONS, Summary, Sym, Voice

RELATIONSHIPS = ("parent", "school", "professional")
SECTION_EMOJI = {
    "about_me": "🙋", "like_admire": "⭐", "important_to": "💛", "future": "🚀",
    "important_for": "🛡️",
    "support": "🫂", "working": "🌞", "days": "☀️", "talking_mat": "🗂️", "take_part": "🤝",
    "who_helped": "🧑‍🤝‍🧑", "other": "💬", "since": "📆", "you_said": "💬", "section_a": "📝",
    "notes": "🩺",
}
SECTION_EMOJI["outcomes"] = "🎯"
LISTENED_EMOJI = {"yes": "😀", "a_bit": "😐", "no": "🙁"}


def day(value: date | datetime) -> str:
    """'3 March 2025' (no leading zero)."""
    return f"{value.day} {value:%B %Y}"


def short_day(value: date | datetime) -> str:
    return f"{value.day} {value:%b %Y}"


def weekday(value: date) -> str:
    return f"{value:%A} {value.day} {value:%B %Y}"


def relationship(locale: Locale, key: str) -> str:
    name = f"summary.relationship.{key}"
    return locale(name) if locale.has(name) else key


def who(locale: Locale, voice: Voice) -> str:
    """Whose view: "Jo's view" or "Ann's view (parent or carer)"."""
    if voice.is_young_person:
        return locale("summary.view_of_young_person", name=voice.name)
    return locale("summary.view_of_supporter", name=voice.name,
                  relationship=relationship(locale, voice.relationship))


def section_titles(locale: Locale, summary: Summary) -> list[tuple[str, str]]:
    """(section key, numbered title) for every section shown, in order."""
    titles = []
    number = 0
    for key, _ in SECTIONS:
        if key == "other" and summary.section(key).empty:
            continue
        number += 1
        titles.append((key, f"{number}. {locale(f'summary.section.{key}')}"))
    return titles


def has_content(summary: Summary, key: str) -> bool:
    """Whether a review section has anything to show under its heading: its items, and for
    the days, the mats and who helped, what the summary worked out for them."""
    if key == "days":
        return bool(summary.days.days) or not summary.section(key).empty
    if key == "talking_mat":
        return bool(summary.mats) or not summary.section(key).empty
    if key == "who_helped":
        return bool(summary.helped)
    if key == "outcomes":
        return not summary.outcomes.empty
    return not summary.section(key).empty


def shown_sections(locale: Locale, summary: Summary
                   ) -> tuple[list[tuple[str, str]], list[str]]:
    """(section key, numbered title) for every section with something under it, numbered in
    the order shown; and the titles of the sections with nothing yet, to be named once in one
    line, so no heading is ever drawn with nothing under it (issue 14, point 10)."""
    shown: list[tuple[str, str]] = []
    empty: list[str] = []
    for key, _ in SECTIONS:
        if not has_content(summary, key):
            if key != "other":  # "Other things I shared" is only there when used
                empty.append(locale(f"summary.section.{key}"))
            continue
        shown.append((key, f"{len(shown) + 1}. {locale(f'summary.section.{key}')}"))
    return shown, empty


def tally_text(found: Sequence[tuple[Sym, int]], limit: int = 8) -> str:
    """'Calm (3), Music, …' for the first `limit` symbols with their counts (shown when more
    than 1), then "+N more" when some were left out, so a cut list never reads as whole."""
    shown = ", ".join(f"{s.words} ({n})" if n > 1 else s.words for s, n in found[:limit])
    return shown + (f", +{len(found) - limit} more" if len(found) > limit else "")


def listened(locale: Locale, answer: str | None) -> str:
    return locale(f"summary.listened.{answer or 'waiting'}")


def header_lines(locale: Locale, summary: Summary) -> list[str]:
    name = summary.young_person.name
    lines = []
    if summary.next_meeting is not None:
        lines.append(locale("summary.for_meeting", date=weekday(summary.next_meeting)))
    lines += [
        locale("summary.made", date=day(summary.made_at), viewer=summary.viewer_name),
        locale("summary.period", start=day(summary.period_start), end=day(summary.period_end)),
        locale("summary.counts", name=name, shared=summary.shared_count,
               supporters=summary.supporter_count),
        locale("summary.private", name=name, count=summary.private_count),
    ]
    return lines
