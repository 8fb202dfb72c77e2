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
from bot.summary.section_a import draft, join_words, lower_words, phrase_key
from bot.summary.types import (
    RATINGS,
    DayStats,
    DraftLine,
    DraftPart,
    Helped,
    Item,
    Mat,
    Outcomes,
    PartRated,
    Rated,
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
    return draft(locale, items, _draft_days(locale, days), days.quotes, mats,
                 outcomes)


def _draft_days(locale: Locale, days: DayStats) -> list[DraftLine]:
    """Section A's day sentences, in the first person and every number saying what it counts:
    the days rated as a whole ("I rated 5 whole days: 2 good, 1 OK, 1 bad and 1 I was not
    sure about."), each part of the day in the times it was rated ("Mornings: I rated them 4
    times: good 3 times, bad once."), and what made days or parts good or bad. Only ratings
    given at least once are named. A day's verdict is never worked out from its parts."""
    lines = []
    if days.days:
        lines.append(DraftLine("summary", _whole_days(locale, days.whole)))
    lines += [DraftLine("summary", _part_sentence(locale, p)) for p in days.parts]
    for key, found in (("draft.good_reasons", days.good_reasons),
                       ("draft.bad_reasons", days.bad_reasons)):
        if found:
            words = [lower_words(s.words) for s, _ in found]  # every one: none dropped
            lines.append(DraftLine("summary", locale(key, things=join_words(words, locale))))
    return lines


# The keys are written whole so the locale check (tests/test_locale_keys.py) sees them.
ONE_DAY = {"good": "draft.whole_one.good", "ok": "draft.whole_one.ok",
           "bad": "draft.whole_one.bad", "not_sure": "draft.whole_one.not_sure"}
ALL_DAYS = {"good": "draft.whole_all.good", "ok": "draft.whole_all.ok",
            "bad": "draft.whole_all.bad", "not_sure": "draft.whole_all.not_sure"}
DAYS_RATED = {"good": "draft.whole_count.good", "ok": "draft.whole_count.ok",
              "bad": "draft.whole_count.bad", "not_sure": "draft.whole_count.not_sure"}
PART_RATED = {"good": "draft.part_rated.good", "ok": "draft.part_rated.ok",
              "bad": "draft.part_rated.bad", "not_sure": "draft.part_rated.not_sure"}


def _whole_days(locale: Locale, whole: Rated) -> str:
    """'I rated 1 whole day: it was good.'; 'I rated 3 whole days: all 3 were good.'; 'I rated
    5 whole days: 2 good, 1 OK, 1 bad and 1 I was not sure about.' (ratings given only)."""
    given = [v for v in RATINGS if whole.of(v)]
    if whole.total == 1:
        return locale(ONE_DAY[given[0]])
    if len(given) == 1:
        return locale(ALL_DAYS[given[0]], total=whole.total)
    counts = [locale(DAYS_RATED[v], count=whole.of(v)) for v in given]
    return locale("draft.whole_many", total=whole.total, counts=join_words(counts, locale))


def times(locale: Locale, count: int) -> str:
    """'once', 'twice', '4 times': how many times, in words."""
    return (locale("draft.times.once") if count == 1 else locale("draft.times.twice")
            if count == 2 else locale("draft.times.many", count=count))


def _part_sentence(locale: Locale, part: PartRated) -> str:
    """'Mornings: I rated them 4 times: good 3 times, bad once.' ('... 4 times: all good.';
    '... once: bad.'). The part is said through its phrase (section_a.phrase.day_part.
    <symbol>, plural: "Mornings"), else by its card words ("After school: I rated it ...")."""
    key = phrase_key("day_part", part.part.id)
    phrase = locale(key) if locale.has(key) else ""
    rated = part.rated
    given = [v for v in RATINGS if rated.of(v)]
    if len(given) == 1:  # one rating only: "once: bad", "4 times: all good"
        verdict = locale(PART_RATED[given[0]])
        counts = verdict if rated.total == 1 else locale("draft.part_all", verdict=verdict)
    else:
        counts = ", ".join(locale("draft.part_count", verdict=locale(PART_RATED[v]),
                                  times=times(locale, rated.of(v))) for v in given)
    return locale("draft.part_them" if phrase else "draft.part_it",
                  part=phrase or part.part.words, times=times(locale, rated.total),
                  counts=counts)


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
