"""The summary's sentences, in the viewer's language: the days' lines of Section A (the rest
of the draft is bot.summary.section_a), lists joined the locale's way, and who helped, in
words.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date

from bot.i18n import Locale
from bot.summary.classify import HELPED_KEYS, Symbols, helped_keys
from bot.summary.figures import rated_text
from bot.summary.section_a import draft, join_words, lower_words
from bot.summary.types import (
    DayStats,
    DraftLine,
    DraftPart,
    Helped,
    Item,
    Mat,
    Outcomes,
    RunIn,
)

# lower_words and join_words live with the Section A draft now; still importable from here.
__all__ = ["helped_counts", "join_words", "lower_words", "section_a"]


def section_a(locale: Locale, items: Sequence[Item], days: DayStats, mats: Sequence[Mat],
              start: date, end: date, outcomes: Outcomes | None = None,
              ) -> tuple[DraftPart, ...]:
    """The Section A draft (bot.summary.section_a.draft): the young person's parts, from
    their own shared answers, with the days' lines and their views of their outcomes; then
    each supporter's part."""
    return draft(locale, items, _draft_days(locale, days, start, end), days.quotes, mats,
                 outcomes)


def _draft_days(locale: Locale, days: DayStats, start: date, end: date) -> list[DraftLine]:
    """Section A's day sentences, every number saying what it counts: the days rated as a
    whole (with the total), each part of the day in the times it was rated, and what made
    days or parts good or bad. A day's verdict is never worked out from its parts."""
    lines = []
    if days.days:
        whole = days.whole
        lines.append(DraftLine("summary", locale(
            "draft.day_counts", start=f"{start:%-d %B %Y}", end=f"{end:%-d %B %Y}",
            total=whole.total, good=whole.good, ok=whole.ok, bad=whole.bad,
            not_sure=whole.not_sure)))
    lines += [DraftLine("summary", locale("draft.day_part", part=p.part.words,
                                          total=p.rated.total,
                                          counts=rated_text(locale, p.rated)))
              for p in days.parts]
    for key, found in (("draft.good_reasons", days.good_reasons),
                       ("draft.bad_reasons", days.bad_reasons)):
        if found:
            words = [lower_words(s.words) for s, _ in found]  # every one: none dropped
            lines.append(DraftLine("summary", locale(key, things=join_words(words, locale))))
    return lines


def helped_counts(symbols: Symbols, locale: Locale, runs: Sequence[RunIn]) -> tuple[Helped, ...]:
    # Each helper counts once for every flow they helped with (several can help with one).
    """Who helped the young person answer, each with how many flows they helped
    with (several can help with one), in words; "helped_unknown" when nobody was named."""
    counts = Counter(key for r in runs if r.who.is_young_person
                     for key in (helped_keys(r) or ("helped_unknown",)))
    order = [*HELPED_KEYS, *sorted(k for k in counts if k not in HELPED_KEYS)]
    found = []
    for key in order:
        if not counts.get(key):
            continue
        if key in symbols.vocabulary:
            symbol = symbols.get(key)
            words, emoji = symbol.words, symbol.emoji
        else:
            words = locale(f"summary.{key}") if locale.has(f"summary.{key}") else key
            emoji = "❔"
        found.append(Helped(key, words, emoji, counts[key]))
    return tuple(found)
