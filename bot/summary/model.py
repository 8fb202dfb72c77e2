"""The pre-meeting summary as plain data: what was shared, laid out on the review headings.

Pure Python (no SQL, no Telegram, no drawing). `bot.summary.load` reads a `Snapshot` from the
store; `build` turns it into a `Summary`; pdf.py, picture.py and text.py draw that.

Which heading an answer belongs to is data: a flow step's `heading:` field wins; a Talking Mat
step is always `talking_mat`; otherwise the flow's default from FLOW_HEADINGS below.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from bot.engine.core import AnswerKind, AnswerRecord, FlowEngine
from bot.engine.flows import Flow, Step
from bot.engine.screen import MatCard
from bot.i18n import Locale
from bot.timeutil import as_utc

# --- headings ---------------------------------------------------------------------------------

ABOUT_ME, LIKE_ADMIRE, IMPORTANT_TO, IMPORTANT_FOR = (
    "about_me", "like_admire", "important_to", "important_for")
WORKING, NOT_WORKING, GOOD_DAYS, BAD_DAYS = "working", "not_working", "good_days", "bad_days"
TALKING_MAT, QUESTIONS, TAKE_PART, WHO_HELPED = (
    "talking_mat", "questions", "take_part", "who_helped")
FUTURE, SUPPORT, OTHER = "future", "support", "other"
DAY_HEADINGS = (GOOD_DAYS, BAD_DAYS)

# The review's sections, in the order a person-centred annual review uses them. Each section
# gathers one or two step headings. "other" only appears when a flow has no mapping at all.
SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (ABOUT_ME, (ABOUT_ME,)),
    (LIKE_ADMIRE, (LIKE_ADMIRE,)),
    (IMPORTANT_TO, (IMPORTANT_TO, FUTURE)),
    (IMPORTANT_FOR, (IMPORTANT_FOR,)),
    (SUPPORT, (SUPPORT,)),
    (WORKING, (WORKING, NOT_WORKING)),
    ("days", DAY_HEADINGS),
    (TALKING_MAT, (TALKING_MAT,)),
    (TAKE_PART, (QUESTIONS, TAKE_PART)),
    (WHO_HELPED, (WHO_HELPED,)),
    (OTHER, (OTHER,)),
)
KNOWN_HEADINGS = frozenset(h for _, group in SECTIONS for h in group)

# A flow's default heading, for steps without their own `heading:`. Where the default is one
# side of a pair (good / bad days, working / not working), the answer's verdict decides the
# side: the check-in's "Bad" day puts that day's reasons under bad days (see _pair_verdicts).
FLOW_HEADINGS: dict[str, str] = {
    "check_in": GOOD_DAYS,
    "good_day_bad_day": GOOD_DAYS,
    "working_not_working": WORKING,
    "important_to_for": IMPORTANT_TO,
    "one_page_profile": ABOUT_ME,
    "talking_mat": TALKING_MAT,
    "my_meeting": TAKE_PART,
    "supporter_view": WORKING,
}

# Pairs of headings, and the symbols that say which side an answer is on.
PAIRS: dict[str, str] = {GOOD_DAYS: "days", BAD_DAYS: "days", WORKING: "working",
                         NOT_WORKING: "working"}
PAIR_VERDICTS: dict[str, dict[str, str]] = {
    "days": {"good": "good", "ok": "ok", "bad": "bad", "not_sure": "not_sure"},
    "working": {"working": "working", "not_working": "not_working", "not_sure": "not_sure"},
}
EXPLICIT_VERDICT = {GOOD_DAYS: "good", BAD_DAYS: "bad", WORKING: "working",
                    NOT_WORKING: "not_working"}
VERDICTS = frozenset(v for table in PAIR_VERDICTS.values() for v in table)
# Parts of a school day (as in the Good day / Bad day tool), when picked as a choice.
DAY_PARTS = frozenset({"morning", "getting_to_school", "lessons", "break_lunch", "lunch",
                       "break", "after_school", "evening", "bedtime", "weekend"})
PHOTO_KINDS = ("photo", "profile")
HELPED_STEP = "_helped"
HELPED_KEYS = ("helped_alone", "helped_family", "helped_school", "helped_therapist")
LISTENED = ("yes", "a_bit", "no")
MAX_THEMES = 10
QUOTES_IN_DRAFT = 3

# --- what the loader reads (the snapshot) ------------------------------------------------------


@dataclass(frozen=True)
class Voice:
    """Whose view an item is: the young person, or a supporter (with how they know them)."""

    role: str  # "young_person" or "supporter"
    name: str
    relationship: str = ""
    person_id: int = 0

    @property
    def is_young_person(self) -> bool:
        return self.role == "young_person"


@dataclass(frozen=True)
class AnswerIn:
    answer_id: int
    step_id: str
    kind: str  # answered / skipped / dont_know
    choices: tuple[str, ...] = ()
    own_words: str | None = None
    media: tuple[int, ...] = ()
    forwarded: bool = False  # sent on from someone else: never quoted as their own words
    # A Talking Mat: (card, scale column 0-2 or -1 left off), in the order placed
    # (AnswerRecord.placements, from answers.detail).
    placements: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class RunIn:
    run_id: int
    flow_id: str
    when: datetime  # finished
    who: Voice
    answers: tuple[AnswerIn, ...]
    path: tuple[str, ...] = ()  # the steps taken, in order (engine history)
    helped_by: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class MediaIn:
    media_id: int
    kind: str  # photo / voice / mat / ...
    mime_type: str
    data: bytes | None  # None for voice notes: a PDF cannot play them
    when: datetime


@dataclass(frozen=True)
class YouSaidIn:
    sent: datetime
    items: tuple[tuple[str, str], ...]  # (you said, so we will)
    listened: str | None  # yes / a_bit / no / None (not answered yet)


@dataclass(frozen=True)
class Snapshot:
    young_person: Voice
    viewer_name: str
    made_at: datetime
    period_start: date | None  # the last meeting; None: everything so far
    previous_start: date | None  # the meeting before it (the period to compare with)
    next_meeting: date | None
    runs: tuple[RunIn, ...]  # shared runs of both periods, oldest first
    private_count: int
    media: Mapping[int, MediaIn] = field(default_factory=dict)
    you_said: tuple[YouSaidIn, ...] = ()


# --- the summary ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sym:
    id: str
    words: str
    emoji: str
    category: str = ""  # the vocabulary's category (people, places, ...), "" for own cards


@dataclass(frozen=True)
class Item:
    """One answer under one heading."""

    heading: str
    who: Voice
    when: date
    flow_title: str
    question: str
    symbols: tuple[Sym, ...] = ()
    quote: str | None = None  # the person's own words, quoted exactly
    # Words they sent on from someone else (a forward): shown labelled as such, never as a
    # quote (issue 12, point 4). An answer has a quote or these, not both.
    sent_on: str | None = None
    about: Sym | None = None  # what the step was about (a part of the day)
    photos: tuple[int, ...] = ()
    voices: tuple[int, ...] = ()
    helped: str | None = None  # who helped: helper keys joined by "," (see helpers_of)
    # A Talking Mat's answer in one line ("Like: Lessons · Don't like: Homework · Left off:
    # PE", FlowEngine.mat_words): shown instead of `symbols`, which name the cards without
    # where they went.
    placed: str | None = None
    dont_know: bool = False
    verdict: str | None = None  # for good / bad day answers: how that day (or part) went
    day: str | None = None  # how the day went, when the run asked about one whole day
    run_id: int = 0
    answer_id: int = 0


@dataclass(frozen=True)
class Section:
    key: str
    items: tuple[Item, ...]

    @property
    def empty(self) -> bool:
        return not self.items


@dataclass(frozen=True)
class Week:
    start: date  # the Monday
    good: int = 0
    ok: int = 0
    bad: int = 0


@dataclass(frozen=True)
class DayStats:
    good: int
    ok: int
    bad: int
    not_sure: int
    weeks: tuple[Week, ...]
    good_parts: tuple[tuple[Sym, int], ...]
    bad_parts: tuple[tuple[Sym, int], ...]
    good_reasons: tuple[tuple[Sym, int], ...]
    bad_reasons: tuple[tuple[Sym, int], ...]
    quotes: tuple[Item, ...]  # the young person's own words about their days, oldest first

    @property
    def days(self) -> int:
        return self.good + self.ok + self.bad + self.not_sure


@dataclass(frozen=True)
class Moved:
    card: Sym
    before: int  # scale column (0-2), or -1: not on the earlier mat
    now: int


@dataclass(frozen=True)
class Mat:
    when: date
    who: Voice
    topic: Sym
    scale: tuple[Sym, Sym, Sym]
    columns: tuple[tuple[Sym, ...], tuple[Sym, ...], tuple[Sym, ...]]
    image: int | None  # media id of the finished mat's picture
    earlier: date | None = None  # when this topic was last done
    moved: tuple[Moved, ...] = ()
    run_id: int = 0
    left_off: tuple[Sym, ...] = ()  # cards the young person left off the mat
    words: str = ""  # the whole mat in one line (FlowEngine.mat_words)


@dataclass(frozen=True)
class Theme:
    symbol: Sym
    heading: str
    count: int


@dataclass(frozen=True)
class Since:
    has_earlier: bool
    earlier_start: date | None
    earlier_end: date | None
    new_themes: tuple[Theme, ...]
    gone_themes: tuple[Theme, ...]
    mats_moved: tuple[Mat, ...]
    weeks: tuple[Week, ...]  # both periods, for the chart
    split: date | None  # where the chart's earlier weeks end
    balance_now: tuple[int, int]  # (good, bad) days in this period
    balance_before: tuple[int, int]


@dataclass(frozen=True)
class DraftLine:
    kind: str  # "quote" or "summary"
    text: str


@dataclass(frozen=True)
class DraftPart:
    title: str
    lines: tuple[DraftLine, ...]


@dataclass(frozen=True)
class Helped:
    key: str
    words: str
    emoji: str
    count: int


@dataclass(frozen=True)
class Summary:
    young_person: Voice
    viewer_name: str
    made_at: datetime
    period_start: date
    period_end: date
    next_meeting: date | None
    shared_count: int  # the young person's shared flows in this period
    supporter_count: int  # views added by supporters in this period
    private_count: int
    sections: tuple[Section, ...]
    days: DayStats
    mats: tuple[Mat, ...]
    helped: tuple[Helped, ...]
    since: Since
    you_said: tuple[YouSaidIn, ...]
    section_a: tuple[DraftPart, ...]
    media: Mapping[int, MediaIn]

    def section(self, key: str) -> Section:
        return next(s for s in self.sections if s.key == key)

    def items(self, *headings: str) -> list[Item]:
        return [i for s in self.sections for i in s.items if i.heading in headings]

    def quotes(self) -> list[Item]:
        """Every item with own words, in section order (each shared quote exactly once)."""
        return [i for s in self.sections for i in s.items if i.quote]


# --- building ---------------------------------------------------------------------------------


class _Symbols:
    """Symbol words and pictures: the shared vocabulary, a run's own cards, or the bare id."""

    def __init__(self, engine: FlowEngine) -> None:
        self.vocabulary = engine.vocabulary

    def get(self, symbol_id: str, options: Mapping[str, Any] | None = None) -> Sym:
        if symbol_id in self.vocabulary:
            symbol = self.vocabulary[symbol_id]
            return Sym(symbol_id, symbol.words, symbol.emoji, symbol.category)
        personal = ((options or {}).get("cards") or {}).get(symbol_id)
        if isinstance(personal, Mapping) and personal.get("words"):
            return Sym(symbol_id, str(personal["words"]), "🖼️")
        return Sym(symbol_id, symbol_id.replace("_", " ").capitalize(), "")

    def category(self, symbol_id: str) -> str:
        return self.vocabulary[symbol_id].category if symbol_id in self.vocabulary else ""


def step_of(flow: Flow | None, step_id: str) -> Step | None:
    if flow is None:
        return None
    try:
        return flow.step(step_id)
    except KeyError:
        return None


def _text(value: Any) -> str | None:
    """A flow field that may be a plain string or a str-valued enum."""
    if value is None:
        return None
    return str(getattr(value, "value", value))


def step_heading(flow_id: str, step: Step | None) -> tuple[str, bool]:
    """(heading, explicit): the step's own heading, else the flow's default."""
    own = _text(getattr(step, "heading", None)) if step is not None else None
    if own in KNOWN_HEADINGS:
        return own, True
    if step is not None and _text(getattr(step, "type", None)) == "mat":
        return TALKING_MAT, True
    return FLOW_HEADINGS.get(flow_id, OTHER), False


def _ordered_answers(run: RunIn) -> list[AnswerIn]:
    """Answers in the order they were given (the path), then any not on it, by id."""
    by_step = {a.step_id: a for a in run.answers}
    ordered = [by_step[s] for s in run.path if s in by_step]
    seen = {a.step_id for a in ordered}
    ordered += sorted((a for a in run.answers if a.step_id not in seen),
                      key=lambda a: a.answer_id)
    return ordered


def _resolve(pair: str, verdict: str | None) -> str:
    if pair == "days":
        return BAD_DAYS if verdict == "bad" else GOOD_DAYS
    return NOT_WORKING if verdict == "not_working" else WORKING


def _pair_verdicts(engine: FlowEngine, run: RunIn, pair: str
                   ) -> tuple[str | None, dict[str, str]]:
    """How a run went for one pair of headings: as a whole, and for each thing a step is
    `about` (a part of the day, school, home).

    The whole: the first verdict given at a step of that pair that is not about one thing.
    With only parts answered: good if more parts were good than bad, bad if more were bad,
    else ok (for working / not working there is no whole, only each thing).
    """
    table = PAIR_VERDICTS[pair]
    flow = engine.flows.get(run.flow_id)
    whole: str | None = None
    parts: dict[str, str] = {}
    for answer in _ordered_answers(run):
        step = step_of(flow, answer.step_id)
        heading, _ = step_heading(run.flow_id, step)
        verdict = next((table[c] for c in answer.choices if c in table), None)
        if PAIRS.get(heading) != pair or verdict is None:
            continue
        about = _text(getattr(step, "about", None)) if step is not None else None
        if about:
            parts.setdefault(about, verdict)
        elif whole is None:
            whole = verdict
    if whole is None and parts and pair == "days":
        good = sum(1 for v in parts.values() if v == "good")
        bad = sum(1 for v in parts.values() if v == "bad")
        whole = "good" if good > bad else "bad" if bad > good else "ok"
    return whole, parts


def _asked_day(engine: FlowEngine, run: RunIn) -> str | None:
    """How the day went, only when the run asked it outright ("How was today?"), not when it
    is worked out from the parts of a typical day."""
    flow = engine.flows.get(run.flow_id)
    table = PAIR_VERDICTS["days"]
    for answer in _ordered_answers(run):
        step = step_of(flow, answer.step_id)
        heading, _ = step_heading(run.flow_id, step)
        if PAIRS.get(heading) == "days" and not getattr(step, "about", None):
            found = next((table[c] for c in answer.choices if c in table), None)
            if found is not None:
                return found
    return None


def helpers_of(helped_by: str | None) -> tuple[str, ...]:
    """Every helper in `flow_runs.helped_by` ("helped_family,helped_school": more than one
    person can help since issue 12), each as its symbol key ("family" from older runs becomes
    "helped_family"). Empty when nobody was named."""
    keys = [k.strip() for k in (helped_by or "").split(",") if k.strip()]
    return tuple(dict.fromkeys(k if k.startswith("helped_") else f"helped_{k}" for k in keys))


def _helped_keys(run: RunIn) -> tuple[str, ...]:
    if run.helped_by:
        return helpers_of(run.helped_by)
    helped = next((a for a in run.answers if a.step_id == HELPED_STEP), None)
    return tuple(helped.choices) if helped is not None else ()


def _helped_key(run: RunIn) -> str | None:
    """All of a run's helpers joined by "," (None when not asked)."""
    return ",".join(_helped_keys(run)) or None


def _items_of(engine: FlowEngine, symbols: _Symbols, run: RunIn,
              media: Mapping[int, MediaIn]) -> list[Item]:
    flow = engine.flows.get(run.flow_id)
    title = flow.title if flow is not None else run.flow_id.replace("_", " ").capitalize()
    verdicts = {pair: _pair_verdicts(engine, run, pair) for pair in PAIR_VERDICTS}
    day = _asked_day(engine, run)
    helped = _helped_key(run)
    items = []
    for answer in _ordered_answers(run):
        if answer.step_id == HELPED_STEP or answer.kind == "skipped":
            continue
        step = step_of(flow, answer.step_id)
        view = engine.mat_view_of(run.flow_id, _record(answer), run.options)
        if _text(getattr(step, "type", None)) == "mat" and view is None:
            continue  # no card put down: skipped
        heading, explicit = step_heading(run.flow_id, step)
        about_id = _text(getattr(step, "about", None)) if step is not None else None
        verdict: str | None = None
        pair = PAIRS.get(heading)
        if pair is not None:
            whole, parts = verdicts[pair]
            verdict = EXPLICIT_VERDICT[heading] if explicit else parts.get(about_id or "", whole)
            if not explicit:
                heading = _resolve(pair, verdict)
        kinds = {m: media[m].kind for m in answer.media if m in media}
        sent_on = _sent_on(answer, kinds) if answer.forwarded else None
        if answer.forwarded:  # not theirs: named as sent on, not shown as their photo
            kinds = {}
        items.append(Item(
            heading=heading, who=run.who, when=as_utc(run.when).date(), flow_title=title,
            question=step.prompt if step is not None else answer.step_id,
            symbols=tuple(symbols.get(c, run.options) for c in answer.choices),
            quote=None if answer.forwarded else (answer.own_words or "").strip() or None,
            sent_on=sent_on,
            about=symbols.get(about_id, run.options) if about_id else None,
            photos=tuple(m for m, k in kinds.items() if k in PHOTO_KINDS),
            voices=tuple(m for m, k in kinds.items() if k == "voice"),
            helped=helped, dont_know=answer.kind == "dont_know", verdict=verdict, day=day,
            run_id=run.run_id, answer_id=answer.answer_id,
            placed=engine.mat_words(view) if view is not None else None))
    return items


def _sent_on(answer: AnswerIn, kinds: Mapping[int, str]) -> str | None:
    """What an answer sent on from someone else holds, for its "Sent on from someone else
    (not their own words)" line: the words, then 📷 / 🎤 for each photo or voice note (those
    are not shown as the young person's own). None when it holds nothing."""
    said = [(answer.own_words or "").strip()]
    said += ["📷" if kind in PHOTO_KINDS else "🎤" for kind in kinds.values()
             if kind in PHOTO_KINDS or kind == "voice"]
    return " ".join(w for w in said if w) or None


def _record(answer: AnswerIn) -> AnswerRecord:
    """The engine's view of an answer (enough for FlowEngine.mat_view_of)."""
    kind = AnswerKind(answer.kind) if answer.kind in set(AnswerKind) else AnswerKind.ANSWERED
    return AnswerRecord(answer.step_id, kind, answer.choices, answer.own_words,
                        placements=answer.placements)


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


def _weeks(verdicts: Sequence[tuple[date, str]], first: date, last: date) -> tuple[Week, ...]:
    """Good / OK / bad days per week, every week from first to last (empty weeks too)."""
    counts: dict[date, Counter[str]] = {}
    for day, verdict in verdicts:
        counts.setdefault(_monday(day), Counter())[verdict] += 1
    weeks = []
    monday = _monday(first)
    while monday <= last:
        found = counts.get(monday, Counter())
        weeks.append(Week(monday, found["good"], found["ok"], found["bad"]))
        monday += timedelta(days=7)
    return tuple(weeks)


def _verdict_days(engine: FlowEngine, runs: Sequence[RunIn]) -> list[tuple[date, str]]:
    """(day, how it went) for each of the young person's runs that says how a day went."""
    found = []
    for run in runs:
        if run.who.is_young_person:
            whole, _ = _pair_verdicts(engine, run, "days")
            if whole is not None:
                found.append((as_utc(run.when).date(), whole))
    return found


def _day_stats(verdicts: Sequence[tuple[date, str]], items: Sequence[Item], first: date,
               last: date) -> DayStats:
    counted = Counter(v for _, v in verdicts)
    mine = [i for i in items if i.heading in DAY_HEADINGS and i.who.is_young_person]
    parts: dict[str, list[tuple[int, Sym]]] = {"good": [], "bad": []}
    reasons: dict[str, list[tuple[int, Sym]]] = {"good": [], "bad": []}
    for item in mine:
        if item.verdict not in parts:
            continue
        if item.about is not None:
            parts[item.verdict].append((item.run_id, item.about))
        for symbol in item.symbols:
            if symbol.id in VERDICTS:
                continue
            target = parts if symbol.id in DAY_PARTS else reasons
            target[item.verdict].append((item.run_id, symbol))
    return DayStats(
        good=counted["good"], ok=counted["ok"], bad=counted["bad"],
        not_sure=counted["not_sure"], weeks=_weeks(verdicts, first, last),
        good_parts=_count(parts["good"]), bad_parts=_count(parts["bad"]),
        good_reasons=_count(reasons["good"]), bad_reasons=_count(reasons["bad"]),
        quotes=tuple(i for i in mine if i.quote))


# --- Talking Mats -----------------------------------------------------------------------------


def _mat_step(engine: FlowEngine, run: RunIn) -> Step | None:
    flow = engine.flows.get(run.flow_id)
    if flow is None:
        return None
    return next((s for s in flow.steps if _text(getattr(s, "type", None)) == "mat"), None)


def _is_mat(engine: FlowEngine, run: RunIn) -> bool:
    return _mat_step(engine, run) is not None


def _mat_of(engine: FlowEngine, symbols: _Symbols, run: RunIn,
            media: Mapping[int, MediaIn]) -> Mat | None:
    """A finished mat as the young person left it: the mat answer's placements (answers.detail;
    migration 0003 copied older mats' there from the run's options), laid out by
    FlowEngine.mat_view_of. None when no card was put down (the mat reads as skipped)."""
    step = _mat_step(engine, run)
    answer = next((a for a in run.answers if step is not None and a.step_id == step.id), None)
    if answer is None or answer.kind == "skipped":
        return None
    view = engine.mat_view_of(run.flow_id, _record(answer), run.options)
    if view is None:
        return None

    def sym(card: MatCard) -> Sym:
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


def _with_history(mats: Sequence[Mat]) -> list[Mat]:
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


def _mats_since(mats: Sequence[Mat], start: date) -> tuple[Mat, ...]:
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
    newest: dict[str, Mat] = {}
    for mat in mats:
        newest[mat.topic.id] = mat
    return list(newest.values())


# --- since the last meeting -------------------------------------------------------------------


def _themes(items: Sequence[Item]) -> dict[str, Theme]:
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


def _top(themes: Iterable[Theme]) -> tuple[Theme, ...]:
    return tuple(sorted(themes, key=lambda t: (-t.count, t.symbol.words))[:MAX_THEMES])


# --- Section A draft --------------------------------------------------------------------------


def lower_words(words: str) -> str:
    """'Break and lunch' -> 'break and lunch', but 'PE' and 'TV' stay as they are."""
    return words if words.isupper() else words[:1].lower() + words[1:]


def join_words(words: Sequence[str], locale: Locale) -> str:
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
        if lines:
            self.parts.append(DraftPart(self.say(title_key), tuple(lines)))

    def summary(self, key: str, items: Sequence[Item],
                keep: Callable[[Sym], bool] = lambda _: True, **fields: Any) -> list[DraftLine]:
        things = _things(items, keep=keep)
        if not things:
            return []
        return [DraftLine("summary", self.say(key, things=join_words(things, self.say),
                                              **fields))]

    def quotes(self, items: Sequence[Item]) -> list[DraftLine]:
        said = [i.quote for i in items if i.quote]
        return [DraftLine("quote", q) for q in said[-QUOTES_IN_DRAFT:]]

    def of(self, *headings: str) -> list[Item]:
        return [i for i in self.mine if i.heading in headings]


def _section_a(locale: Locale, items: Sequence[Item], days: DayStats, mats: Sequence[Mat],
               start: date, end: date) -> tuple[DraftPart, ...]:
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
    if not days.days:
        return []
    lines = [DraftLine("summary", locale(
        "draft.day_counts", start=f"{start:%-d %B %Y}", end=f"{end:%-d %B %Y}", good=days.good,
        ok=days.ok + days.not_sure, bad=days.bad))]
    for key, found in (("draft.good_reasons", days.good_reasons),
                       ("draft.bad_reasons", days.bad_reasons),
                       ("draft.bad_parts", days.bad_parts),
                       ("draft.good_parts", days.good_parts)):
        if found:
            words = [lower_words(s.words) for s, _ in found[:4]]
            lines.append(DraftLine("summary", locale(key, things=join_words(words, locale))))
    return lines


def _mat_sentence(locale: Locale, mat: Mat) -> str:
    columns = [locale("draft.mat_column", scale=s.words,
                      cards=join_words([lower_words(c.words) for c in cards], locale))
               for s, cards in zip(mat.scale, mat.columns, strict=True) if cards]
    return locale("draft.mat", topic=lower_words(mat.topic.words), columns="; ".join(columns))


# --- the whole build --------------------------------------------------------------------------


def _in(run: RunIn, start: date | None, end: date | None = None) -> bool:
    day = as_utc(run.when).date()
    return (start is None or day >= start) and (end is None or day < end)


def _helped(symbols: _Symbols, locale: Locale, runs: Sequence[RunIn]) -> tuple[Helped, ...]:
    # Each helper counts once for every flow they helped with (several can help with one).
    counts = Counter(key for r in runs if r.who.is_young_person
                     for key in (_helped_keys(r) or ("helped_unknown",)))
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
    symbols = _Symbols(engine)
    today = as_utc(snap.made_at).date()
    now_runs = [r for r in snap.runs if _in(r, snap.period_start)]
    before_runs = ([r for r in snap.runs if _in(r, snap.previous_start, snap.period_start)]
                   if snap.period_start is not None else [])
    start = snap.period_start or min((as_utc(r.when).date() for r in now_runs), default=today)
    items = [i for r in now_runs for i in _items_of(engine, symbols, r, snap.media)]
    earlier_items = [i for r in before_runs for i in _items_of(engine, symbols, r, snap.media)]
    days = _day_stats(_verdict_days(engine, now_runs), items, start, today)
    all_mats = _with_history([m for r in [*before_runs, *now_runs] if _is_mat(engine, r)
                              if (m := _mat_of(engine, symbols, r, snap.media)) is not None])
    mats = tuple(m for m in all_mats if snap.period_start is None
                 or m.when >= snap.period_start)
    since = _since(engine, snap, before_runs, earlier_items, items, days, all_mats, today)
    return Summary(
        young_person=snap.young_person, viewer_name=snap.viewer_name, made_at=snap.made_at,
        period_start=start, period_end=today, next_meeting=snap.next_meeting,
        shared_count=sum(1 for r in now_runs if r.who.is_young_person),
        supporter_count=sum(1 for r in now_runs if not r.who.is_young_person),
        private_count=snap.private_count, sections=_sections(items), days=days, mats=mats,
        helped=_helped(symbols, locale, now_runs), since=since,
        you_said=snap.you_said, section_a=_section_a(locale, items, days, mats, start, today),
        media=snap.media)


def _since(engine: FlowEngine, snap: Snapshot, before_runs: Sequence[RunIn],
           earlier_items: Sequence[Item], items: Sequence[Item], days: DayStats,
           mats: Sequence[Mat], today: date) -> Since:
    moved = _mats_since(mats, snap.period_start) if snap.period_start is not None else ()
    if snap.period_start is None or not before_runs:
        return Since(False, snap.previous_start, snap.period_start, (), (), moved, days.weeks,
                     None, (days.good, days.bad), (0, 0))
    now, before = _themes(items), _themes(earlier_items)
    earlier_start = snap.previous_start or min(as_utc(r.when).date() for r in before_runs)
    earlier = _verdict_days(engine, before_runs)
    current = _verdict_days(engine, [r for r in snap.runs if _in(r, snap.period_start)])
    counted = Counter(v for _, v in earlier)
    return Since(
        True, earlier_start, snap.period_start,
        _top(t for sid, t in now.items() if sid not in before),
        _top(t for sid, t in before.items() if sid not in now),
        moved, _weeks([*earlier, *current], earlier_start, today), snap.period_start,
        (days.good, days.bad), (counted["good"], counted["bad"]))


# --- "you said" items -------------------------------------------------------------------------


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
    groups: dict[tuple[str, int, str], tuple[Voice, list[Item]]] = {}
    for item in items:
        key = (item.who.role, item.who.person_id, item.who.name)
        groups.setdefault(key, (item.who, []))[1].append(item)
    return list(groups.values())


def group_key(item: Item) -> str:
    """The heading to show an item under; "not sure" about working gets its own group."""
    if item.heading in (WORKING, NOT_WORKING) and item.verdict == "not_sure":
        return "not_sure"
    return item.heading


def shown_symbols(item: Item) -> tuple[Sym, ...]:
    """What an answer was about, in pictures: the symbols picked (not the verdict itself);
    for a verdict alone ("Working"), the thing it was about ("School")."""
    picked = tuple(s for s in item.symbols if s.id not in VERDICTS)
    if not picked and item.about is not None and not item.dont_know:
        return (item.about,)
    return picked


def tally(items: Sequence[Item]) -> tuple[tuple[Sym, int], ...]:
    """Symbols of these items, each counted once per run, most frequent first."""
    return _count((i.run_id, s) for i in items for s in shown_symbols(i))
