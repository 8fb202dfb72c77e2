"""The day figures in words, the same in the PDF, the text summary, the phone picture and the
Section A draft: every number says what it counts and out of how many.

Whole days are only days the young person rated as a whole ("How was today?"); each part of
the day is counted in the times that part was rated ("Getting to school: good 1 of 4, bad 3 of
4 (times rated: 4)"). No line turns parts into a day. No drawing, no SQL: plain strings.
"""

from __future__ import annotations

from bot.i18n import Locale
from bot.summary.types import RATINGS, PartRated, Rated, Sym

# One key per rating, written whole so the locale check (tests/test_locale_keys.py) sees them.
COUNT_KEYS = {"good": "summary.days.count.good", "ok": "summary.days.count.ok",
              "bad": "summary.days.count.bad", "not_sure": "summary.days.count.not_sure"}


def rated_text(locale: Locale, rated: Rated) -> str:
    """"good 1 of 4, bad 3 of 4": each rating given at least once, always in the order good,
    OK, bad, not sure, each out of `rated.total`. "" when nothing was rated."""
    return ", ".join(locale(COUNT_KEYS[v], count=rated.of(v), total=rated.total)
                     for v in RATINGS if rated.of(v))


def part_line(locale: Locale, part: PartRated) -> str:
    """One part of the day: "Getting to school: good 1 of 4, bad 3 of 4 (times rated: 4)"."""
    return locale("summary.days.part", part=part.part.words,
                  counts=rated_text(locale, part.rated), total=part.rated.total)


def whole_line(locale: Locale, name: str, rated: Rated) -> str:
    """The days rated as a whole, with every rating and the total."""
    return locale("summary.days.whole", name=name, total=rated.total, good=rated.good,
                  ok=rated.ok, bad=rated.bad, not_sure=rated.not_sure)


def since_lines(locale: Locale, now: Rated, before: Rated,
                parts: tuple[tuple[Sym, Rated, Rated], ...]) -> list[str]:
    """"Since the last meeting" for days: whole days rated this time and the time before (each
    with its total), then each part of the day rated in both, in the times it was rated."""
    lines = [locale("summary.since.days_now", total=now.total, good=now.good, ok=now.ok,
                    bad=now.bad, not_sure=now.not_sure),
             locale("summary.since.days_before", total=before.total, good=before.good,
                    ok=before.ok, bad=before.bad, not_sure=before.not_sure)]
    if parts:
        lines.append(locale("summary.since.parts"))
        lines += [locale("summary.since.part", part=part.words, now=rated_text(locale, now_),
                         before=rated_text(locale, before_))
                  for part, now_, before_ in parts]
    return lines
