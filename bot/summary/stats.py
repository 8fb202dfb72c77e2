"""Counting: days rated as a whole per week, each part of the day rated, what made days or
parts good or bad, Talking Mats over time, and the themes new or gone since the last meeting.
No words of any language here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

from bot.engine.core import FlowEngine
from bot.engine.flows import Step
from bot.engine.screen import MatCard
from bot.summary.classify import (
    DAY_HEADINGS,
    VERDICTS,
    Symbols,
    pair_verdicts,
    record_of,
    text_of,
)
from bot.summary.types import (
    RATINGS,
    DayStats,
    Item,
    Mat,
    MediaIn,
    Moved,
    PartRated,
    Rated,
    RunIn,
    Sym,
    Theme,
    Week,
)
from bot.timeutil import as_utc


def _count(pairs: Iterable[tuple[int, Sym]]) -> tuple[tuple[Sym, int], ...]:
    """Count each symbol once per run, most frequent first (ties by words)."""
    seen: set[tuple[int, str]] = set()
    counts: Counter[str] = Counter()
    symbols: dict[str, Sym] = {}
    for run_id, symbol in pairs:
        if (run_id, symbol.id) in seen:
            continue
        seen.add((run_id, symbol.id))
        counts[symbol.id] += 1
        symbols[symbol.id] = symbol
    return tuple((symbols[i], n) for i, n in sorted(counts.items(),
                                                    key=lambda kv: (-kv[1], symbols[kv[0]].words)))


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def weeks(verdicts: Sequence[tuple[date, str]], first: date, last: date) -> tuple[Week, ...]:
    """Days rated good / OK / bad / not sure as a whole, per week, every week from first to
    last (empty weeks too: a week with total 0 had no rated day, which is not "no good days")."""
    counts: dict[date, Counter[str]] = {}
    for day, verdict in verdicts:
        counts.setdefault(_monday(day), Counter())[verdict] += 1
    weeks = []
    monday = _monday(first)
    while monday <= last:
        found = counts.get(monday, Counter())
        weeks.append(Week(monday, found["good"], found["ok"], found["bad"], found["not_sure"]))
        monday += timedelta(days=7)
    return tuple(weeks)


@dataclass(frozen=True)
class DayRatings:
    """What the young person said about their days in some runs, read in one walk: each
    whole day they rated (day, verdict), and how often each part of the day was rated."""

    whole: tuple[tuple[date, str], ...]
    parts: tuple[PartRated, ...]
    # Runs whose whole-day rating a later one of the same date replaced: their reasons for a
    # good or bad day are not counted either (the day is counted as last rated).
    replaced: frozenset[int] = frozenset()


def day_ratings(engine: FlowEngine, symbols: Symbols, runs: Sequence[RunIn]) -> DayRatings:
    """The young person's ratings of whole days ("How was today?") and of parts of the day
    (a step `about` a part), from `runs` (supporters' runs are left out). Each part counts once
    per run that rated it (pair_verdicts keeps a part's first verdict); a run that rated only
    parts adds no whole day. A day is one day however often it was rated: with two check-ins
    on one date (UTC), the later rating stands, so "days rated" never counts a day twice.
    `runs` are oldest first (as in the Snapshot); `whole` is in date order."""
    whole: dict[date, str] = {}
    rated_by: dict[date, int] = {}  # the run whose rating of that date stands
    replaced: set[int] = set()
    counted: dict[str, Counter[str]] = {}
    seen: dict[str, Sym] = {}
    for run in runs:
        if not run.who.is_young_person:
            continue
        day, parts = pair_verdicts(engine, run, "days")
        if day is not None:
            on = as_utc(run.when).date()
            if on in rated_by:  # the day's later rating replaces the one before
                replaced.add(rated_by[on])
            whole[on], rated_by[on] = day, run.run_id
        for part, verdict in parts.items():
            counted.setdefault(part, Counter())[verdict] += 1
            seen.setdefault(part, symbols.get(part, run.options))
    return DayRatings(tuple(sorted(whole.items())), tuple(
        PartRated(seen[p], Rated(*(c[v] for v in RATINGS))) for p, c in counted.items()),
        frozenset(replaced))


def rated(verdicts: Iterable[tuple[date, str]]) -> Rated:
    """Whole days rated good / OK / bad / not sure, counted."""
    counted = Counter(v for _, v in verdicts)
    return Rated(*(counted[v] for v in RATINGS))


def day_stats(ratings: DayRatings, items: Sequence[Item], first: date, last: date) -> DayStats:
    """Whole days rated (from `ratings`) with their weeks from `first` to `last`, each part
    of the day rated, and what made the young person's days or parts good or bad (reasons,
    counted once per run; a part of the day picked as a reason, "Lessons" for "What made it
    good?", is a reason too)."""
    whole = rated(ratings.whole)
    mine = [i for i in items if i.heading in DAY_HEADINGS and i.who.is_young_person]
    reasons: dict[str, list[tuple[int, Sym]]] = {"good": [], "bad": []}
    for item in mine:
        if item.verdict not in reasons or item.run_id in ratings.replaced:
            continue
        reasons[item.verdict] += [(item.run_id, s) for s in item.symbols
                                  if s.id not in VERDICTS]
    return DayStats(
        good=whole.good, ok=whole.ok, bad=whole.bad, not_sure=whole.not_sure,
        weeks=weeks(ratings.whole, first, last),
        good_reasons=_count(reasons["good"]), bad_reasons=_count(reasons["bad"]),
        quotes=tuple(i for i in mine if i.quote), parts=ratings.parts)


def parts_since(now: Sequence[PartRated], before: Sequence[PartRated]
                ) -> tuple[tuple[Sym, Rated, Rated], ...]:
    """Each part of the day rated in both periods: (part, rated now, rated before), in the
    order of `now`."""
    earlier = {p.part.id: p.rated for p in before}
    return tuple((p.part, p.rated, earlier[p.part.id]) for p in now if p.part.id in earlier)


# --- Talking Mats -----------------------------------------------------------------------------


def _mat_step(engine: FlowEngine, run: RunIn) -> Step | None:
    flow = engine.flows.get(run.flow_id)
    if flow is None:
        return None
    return next((s for s in flow.steps if text_of(getattr(s, "type", None)) == "mat"), None)


def is_mat(engine: FlowEngine, run: RunIn) -> bool:
    """True when the run is of a flow with a Talking Mat step."""
    return _mat_step(engine, run) is not None


def mat_of(engine: FlowEngine, symbols: Symbols, run: RunIn,
            media: Mapping[int, MediaIn]) -> Mat | None:
    """A finished mat as the young person left it: the mat answer's placements (answers.detail;
    migration 0003 copied older mats' there from the run's options), laid out by
    FlowEngine.mat_view_of. None when no card was put down (the mat reads as skipped)."""
    step = _mat_step(engine, run)
    answer = next((a for a in run.answers if step is not None and a.step_id == step.id), None)
    if answer is None or answer.kind == "skipped":
        return None
    view = engine.mat_view_of(run.flow_id, record_of(answer), run.options)
    if view is None:
        return None

    def sym(card: MatCard) -> Sym:
        """A mat card as a summary symbol."""
        return symbols.get(card.symbol_id, run.options)

    image = next((m for m in answer.media if m in media and media[m].kind == "mat"), None)
    columns = tuple(tuple(sym(c) for c in column) for column in view.columns)
    return Mat(as_utc(run.when).date(), run.who, sym(view.topic),
               (sym(view.scale[0]), sym(view.scale[1]), sym(view.scale[2])),
               (columns[0], columns[1], columns[2]), image, run_id=run.run_id,
               left_off=tuple(sym(c) for c in view.left_off), words=engine.mat_words(view))


def _placements(mat: Mat) -> dict[str, int]:
    return {card.id: index for index, column in enumerate(mat.columns) for card in column}


def _compared(mat: Mat, earlier: Mat) -> Mat:
    """The mat with the cards that sit in a different column than on the earlier mat."""
    before, now = _placements(earlier), _placements(mat)
    cards = {c.id: c for column in mat.columns for c in column}
    moved = tuple(Moved(cards[c], before[c], col) for c, col in now.items()
                  if c in before and before[c] != col)
    return replace(mat, earlier=earlier.when, moved=moved)


def with_history(mats: Sequence[Mat]) -> list[Mat]:
    """Each mat with what moved since the same topic was last done (mats oldest first)."""
    out: list[Mat] = []
    last_by_topic: dict[str, Mat] = {}
    for mat in mats:
        earlier = last_by_topic.get(mat.topic.id)
        if earlier is not None:
            mat = _compared(mat, earlier)
        out.append(mat)
        last_by_topic[mat.topic.id] = mat
    return out


def mats_since(mats: Sequence[Mat], start: date) -> tuple[Mat, ...]:
    """For each topic: its newest mat of this period against its newest mat before it."""
    changed = []
    for topic in dict.fromkeys(m.topic.id for m in mats):
        same = [m for m in mats if m.topic.id == topic and m.who.is_young_person]
        now = [m for m in same if m.when >= start]
        before = [m for m in same if m.when < start]
        if now and before:
            compared = _compared(now[-1], before[-1])
            if compared.moved:
                changed.append(compared)
    return tuple(changed)


def newest_per_topic(mats: Sequence[Mat]) -> list[Mat]:
    """The newest mat of each topic (mats oldest first), in the order topics first came."""
    newest: dict[str, Mat] = {}
    for mat in mats:
        newest[mat.topic.id] = mat
    return list(newest.values())


# --- themes, and what an answer shows ---------------------------------------------------------


def themes(items: Sequence[Item]) -> dict[str, Theme]:
    """The young person's picked symbols (not day verdicts), counted once per run."""
    counted: Counter[str] = Counter()
    heading_of: dict[str, Counter[str]] = {}
    symbols: dict[str, Sym] = {}
    seen: set[tuple[int, str]] = set()
    for item in items:
        if not item.who.is_young_person:
            continue
        for symbol in item.symbols:
            if symbol.id in VERDICTS or (item.run_id, symbol.id) in seen:
                continue
            seen.add((item.run_id, symbol.id))
            counted[symbol.id] += 1
            symbols[symbol.id] = symbol
            heading_of.setdefault(symbol.id, Counter())[item.heading] += 1
    return {sid: Theme(symbols[sid], heading_of[sid].most_common(1)[0][0], n)
            for sid, n in counted.items()}


def top_themes(themes: Iterable[Theme]) -> tuple[Theme, ...]:
    """Every theme, most picked first (ties by words). None is left out: a list that keeps
    only the most picked would say nothing of the rest (issue 14: never drop silently)."""
    return tuple(sorted(themes, key=lambda t: (-t.count, t.symbol.words)))


def shown_symbols(item: Item) -> tuple[Sym, ...]:
    """What an answer was about, in pictures: the symbols picked (not the verdict itself);
    for a verdict alone ("Working"), the thing it was about ("School"). Own words, a photo or
    a voice note picked nothing: none (their `about` is named beside the quote, never shown
    as a picked card)."""
    picked = tuple(s for s in item.symbols if s.id not in VERDICTS)
    if not picked and item.symbols and item.about is not None and not item.dont_know:
        return (item.about,)
    return picked


def tally(items: Sequence[Item]) -> tuple[tuple[Sym, int], ...]:
    """Symbols of these items, each counted once per run, most frequent first."""
    return _count((i.run_id, s) for i in items for s in shown_symbols(i))
