"""The summary's sentences, in the viewer's language: Section A's first-person draft, lists
joined the locale's way, and who helped, in words.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from bot.i18n import Locale
from bot.summary.classify import (
    ABOUT_ME,
    FUTURE,
    HELPED_KEYS,
    IMPORTANT_FOR,
    IMPORTANT_TO,
    LIKE_ADMIRE,
    NOT_WORKING,
    QUESTIONS,
    SUPPORT,
    TAKE_PART,
    TALKING_MAT,
    WORKING,
    Symbols,
    helped_keys,
)
from bot.summary.figures import rated_text
from bot.summary.stats import newest_per_topic, tally
from bot.summary.types import DayStats, DraftLine, DraftPart, Helped, Item, Mat, RunIn, Sym

QUOTES_IN_DRAFT = 3


def lower_words(words: str) -> str:
    """'Break and lunch' -> 'break and lunch', but 'PE' and 'TV' stay as they are."""
    return words if words.isupper() else words[:1].lower() + words[1:]


def join_words(words: Sequence[str], locale: Locale) -> str:
    """"a, b and c" in the locale's way ("summary.list_join"); "" for no words."""
    if not words:
        return ""
    if len(words) == 1:
        return words[0]
    return locale("summary.list_join", items=", ".join(words[:-1]), last=words[-1])


def _things(items: Sequence[Item], limit: int = 6,
            keep: Callable[[Sym], bool] = lambda _: True) -> list[str]:
    return [lower_words(s.words) for s, _ in tally(items) if keep(s)][:limit]


def _people(symbol: Sym) -> bool:
    return symbol.category == "people"


class _Draft:
    """Section A, in the first person, only from the young person's own shared answers."""

    def __init__(self, locale: Locale, items: Sequence[Item]) -> None:
        self.say = locale
        self.mine = [i for i in items if i.who.is_young_person]
        self.parts: list[DraftPart] = []

    def part(self, title_key: str, lines: list[DraftLine]) -> None:
        """Add a part with this title when it has any lines."""
        if lines:
            self.parts.append(DraftPart(self.say(title_key), tuple(lines)))

    def summary(self, key: str, items: Sequence[Item],
                keep: Callable[[Sym], bool] = lambda _: True, **fields: Any) -> list[DraftLine]:
        """One summary sentence (`key`) naming the things picked most in `items`, or none."""
        things = _things(items, keep=keep)
        if not things:
            return []
        return [DraftLine("summary", self.say(key, things=join_words(things, self.say),
                                              **fields))]

    def quotes(self, items: Sequence[Item]) -> list[DraftLine]:
        """The newest QUOTES_IN_DRAFT quotes of `items`, as quote lines."""
        said = [i.quote for i in items if i.quote]
        return [DraftLine("quote", q) for q in said[-QUOTES_IN_DRAFT:]]

    def of(self, *headings: str) -> list[Item]:
        """The young person's own items under these headings."""
        return [i for i in self.mine if i.heading in headings]


def section_a(locale: Locale, items: Sequence[Item], days: DayStats, mats: Sequence[Mat],
               start: date, end: date) -> tuple[DraftPart, ...]:
    """The Section A draft: for each part of the EHCP's Section A, summary sentences and
    the young person's newest quotes, from their own shared answers only (never a supporter's)."""
    d = _Draft(locale, items)
    d.part("draft.about", d.summary("draft.about_things", d.of(ABOUT_ME))
           + d.summary("draft.like_things", d.of(LIKE_ADMIRE)) + d.quotes(d.of(ABOUT_ME,
                                                                                LIKE_ADMIRE)))
    d.part("draft.important", d.summary("draft.important_things", d.of(IMPORTANT_TO))
           + d.quotes(d.of(IMPORTANT_TO)))
    d.part("draft.future", d.summary("draft.future_things", d.of(FUTURE))
           + d.quotes(d.of(FUTURE)))
    d.part("draft.health", d.summary("draft.health_things", d.of(IMPORTANT_FOR))
           + d.quotes(d.of(IMPORTANT_FOR)))
    d.part("draft.days", _draft_days(locale, days, start, end)
           + d.quotes([i for i in days.quotes]))
    d.part("draft.working", d.summary("draft.working_things", d.of(WORKING))
           + d.summary("draft.not_working_things", d.of(NOT_WORKING))
           + d.quotes(d.of(WORKING, NOT_WORKING)))
    d.part("draft.mats", [DraftLine("summary", _mat_sentence(locale, m))
                          for m in newest_per_topic(mats) if m.who.is_young_person]
           + d.quotes(d.of(TALKING_MAT)))
    d.part("draft.take_part", d.summary("draft.support_things", d.of(SUPPORT))
           + d.summary("draft.take_part_people", d.of(TAKE_PART), _people)
           + d.summary("draft.take_part_things", d.of(TAKE_PART), lambda s: not _people(s))
           + d.quotes(d.of(SUPPORT, TAKE_PART)))
    d.part("draft.questions", d.quotes(d.of(QUESTIONS))
           or d.summary("draft.question_things", d.of(QUESTIONS)))
    return tuple(d.parts)


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


def _mat_sentence(locale: Locale, mat: Mat) -> str:
    columns = [locale("draft.mat_column", scale=s.words,
                      cards=join_words([lower_words(c.words) for c in cards], locale))
               for s, cards in zip(mat.scale, mat.columns, strict=True) if cards]
    return locale("draft.mat", topic=lower_words(mat.topic.words), columns="; ".join(columns))


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
