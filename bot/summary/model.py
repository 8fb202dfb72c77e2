"""The pre-meeting summary as plain data: what was shared, laid out on the review headings.

Pure Python (no SQL, no Telegram, no drawing). `bot.summary.load` reads a `Snapshot` from the
store; `build` turns it into a `Summary`; pdf.py, picture.py and text.py draw that.

The parts, by responsibility: types.py (the data types), classify.py (which heading each answer
goes under), stats.py (counting days, mats and themes), sentences.py (the words, in the
viewer's language). This module puts them together and keeps the names the rest of MySay
imports from it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date

from bot.engine.core import FlowEngine
from bot.engine.headings import Heading
from bot.i18n import Locale
from bot.summary.classify import (
    FUTURE,
    HELPED_STEP,
    NOT_WORKING,
    QUESTIONS,
    SECTIONS,
    TALKING_MAT,
    WORKING,
    Symbols,
    helpers_of,
    items_of,
    step_heading,
    step_of,
)
from bot.summary.context import run_views, with_context
from bot.summary.outcomes import outcomes_of
from bot.summary.sentences import helped_counts, lower_words, section_a
from bot.summary.stats import (
    DayRatings,
    day_ratings,
    day_stats,
    is_mat,
    mat_of,
    mats_since,
    parts_since,
    rated,
    tally,
    themes,
    top_themes,
    weeks,
    with_history,
)
from bot.summary.types import (
    AnswerIn,
    DayStats,
    Item,
    Mat,
    MediaIn,
    Note,
    Rated,
    RunIn,
    RunView,
    Section,
    Since,
    Snapshot,
    Summary,
    Sym,
    Voice,
    Week,
    YouSaidIn,
)
from bot.timeutil import as_utc

# The names MySay imported from this module before it was split: still importable from here.
__all__ = [
    "FUTURE", "HELPED_STEP", "NOT_WORKING", "QUESTIONS", "SECTIONS", "TALKING_MAT", "WORKING",
    "AnswerIn", "Item", "Mat", "MediaIn", "Note", "RunIn", "RunView", "Snapshot", "Summary",
    "Sym", "Voice",
    "Week", "YouSaidIn", "build", "group_by_who", "group_key", "helpers_of",
    "last_period_items", "lower_words", "step_heading", "step_of", "tally", "you_said_items",
]


# --- the whole build --------------------------------------------------------------------------


def _in(run: RunIn, start: date | None, end: date | None = None) -> bool:
    day = as_utc(run.when).date()
    return (start is None or day >= start) and (end is None or day < end)


def _sections(items: Sequence[Item]) -> tuple[Section, ...]:
    sections = []
    for key, headings in SECTIONS:
        chosen = [i for i in items if i.heading in headings]
        # The young person's own view first, then each supporter's; oldest first inside.
        chosen.sort(key=lambda i: (not i.who.is_young_person, i.who.person_id,
                                   headings.index(i.heading), i.when, i.answer_id))
        sections.append(Section(key, tuple(chosen)))
    return tuple(sections)


def build(engine: FlowEngine, locale: Locale, snap: Snapshot) -> Summary:
    """The summary of `snap`: this period's shared answers under the review headings, the
    days, the mats, who helped, what changed since the last meeting and the Section A draft,
    in `locale`'s words."""
    symbols = Symbols(engine)
    today = as_utc(snap.made_at).date()
    now_runs = [r for r in snap.runs if _in(r, snap.period_start)]
    before_runs = ([r for r in snap.runs if _in(r, snap.previous_start, snap.period_start)]
                   if snap.period_start is not None else [])
    start = snap.period_start or min((as_utc(r.when).date() for r in now_runs), default=today)
    items = [i for r in now_runs for i in items_of(engine, symbols, r, snap.media)]
    earlier_items = [i for r in before_runs for i in items_of(engine, symbols, r, snap.media)]
    now_rated = day_ratings(engine, symbols, now_runs)  # one walk of the days per period
    days = day_stats(now_rated, items, start, today)
    all_mats = with_history([m for r in [*before_runs, *now_runs] if is_mat(engine, r)
                              if (m := mat_of(engine, symbols, r, snap.media)) is not None])
    views = run_views(engine, symbols, locale, now_runs, snap.media, snap.notes)
    mats = with_context([m for m in all_mats if snap.period_start is None
                         or m.when >= snap.period_start], views)
    outcomes = outcomes_of(engine, symbols, snap)
    since = _since(snap, before_runs, earlier_items, items, days, all_mats, today,
                   now_rated, day_ratings(engine, symbols, before_runs))
    return Summary(
        young_person=snap.young_person, viewer_name=snap.viewer_name, made_at=snap.made_at,
        period_start=start, period_end=today, next_meeting=snap.next_meeting,
        shared_count=sum(1 for r in now_runs if r.who.is_young_person),
        supporter_count=sum(1 for r in now_runs if not r.who.is_young_person),
        private_count=snap.private_count, sections=_sections(items), days=days, mats=mats,
        helped=helped_counts(symbols, locale, now_runs), since=since,
        you_said=snap.you_said,
        section_a=section_a(locale, items, days, mats, start, today, outcomes),
        media=snap.media, outcomes=outcomes,
        last_meeting=snap.last_meeting, runs=views)


def _since(snap: Snapshot, before_runs: Sequence[RunIn], earlier_items: Sequence[Item],
           items: Sequence[Item], days: DayStats, mats: Sequence[Mat], today: date,
           now_rated: DayRatings, before_rated: DayRatings) -> Since:
    moved = mats_since(mats, snap.period_start) if snap.period_start is not None else ()
    if snap.period_start is None or not before_runs:
        return Since(False, snap.previous_start, snap.period_start, (), (), moved, days.weeks,
                     None, days.whole, Rated())
    # Views of outcomes ("Better", "The same") are not themes: their change is shown beside
    # each outcome (bot.summary.outcomes).
    now = themes([i for i in items if i.heading != Heading.OUTCOMES])
    before = themes([i for i in earlier_items if i.heading != Heading.OUTCOMES])
    earlier_start = snap.previous_start or min(as_utc(r.when).date() for r in before_runs)
    return Since(
        True, earlier_start, snap.period_start,
        top_themes(t for sid, t in now.items() if sid not in before),
        top_themes(t for sid, t in before.items() if sid not in now),
        moved, weeks([*before_rated.whole, *now_rated.whole], earlier_start, today),
        snap.period_start, days.whole, rated(before_rated.whole),
        parts_since(now_rated.parts, before_rated.parts), len(before))


# --- "you said" items, and grouping for the drawings ------------------------------------------


def you_said_items(raw: str | None) -> tuple[tuple[str, str], ...]:
    """The stored JSON list [{"said": ..., "will": ...}] as pairs; bad data gives nothing."""
    try:
        data = json.loads(raw or "[]")
    except ValueError:
        return ()
    if not isinstance(data, list):
        return ()
    return tuple((str(d.get("said", "")), str(d.get("will", ""))) for d in data
                 if isinstance(d, dict) and (d.get("said") or d.get("will")))


def last_period_items(summary: Summary) -> list[Item]:
    """The young person's own items of this period, newest first (for "you said" choices)."""
    mine = [i for s in summary.sections for i in s.items if i.who.is_young_person]
    return sorted(mine, key=lambda i: (i.when, i.answer_id), reverse=True)


def group_by_who(items: Sequence[Item]) -> list[tuple[Voice, list[Item]]]:
    """Items grouped by whose view they are (the young person, each supporter), in the order
    first seen."""
    groups: dict[tuple[str, int, str], tuple[Voice, list[Item]]] = {}
    for item in items:
        key = (item.who.role, item.who.person_id, item.who.name)
        groups.setdefault(key, (item.who, []))[1].append(item)
    return list(groups.values())


def group_key(item: Item) -> str:
    """The heading to show an item under; "not sure" about working gets its own group; a
    hope for the future about one Preparing for Adulthood area is grouped by that area
    ("about:pfa_learning_work"), so its cards keep their area (area_labels)."""
    if item.heading in (WORKING, NOT_WORKING) and item.verdict == "not_sure":
        return "not_sure"
    if item.heading == FUTURE and item.about is not None:
        return f"about:{item.about.id}"
    return item.heading


def area_labels(items: Sequence[Item]) -> dict[str, str]:
    """Labels for the future section's groups (group_key): hopes about no one area first
    (no label), then each Preparing for Adulthood area by its words, in the order first
    answered. A card picked as a hope is never shown apart from the area it was picked for."""
    labels = {str(FUTURE): ""}
    for item in items:
        if item.about is not None:
            labels.setdefault(f"about:{item.about.id}", item.about.words)
    return labels
