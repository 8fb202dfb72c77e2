"""Which heading each answer goes under, and which side of a pair (good / bad days, working /
not working) its verdict puts it on: a run's answers as summary `Item`s.

Which heading an answer belongs to is data (bot.engine.flows.Flow.heading_of): a step's own
`heading:` wins; a Talking Mat step is always talking_mat; otherwise the flow file's
`heading:`. Where that default is one side of a pair, the answer's verdict decides the side:
the check-in's "Bad" day puts that day's reasons under bad days (see pair_verdicts).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.engine.core import HELPED as HELPED_STEP
from bot.engine.core import AnswerKind, AnswerRecord, FlowEngine
from bot.engine.flows import Flow, Step
from bot.engine.headings import Heading
from bot.summary.types import AnswerIn, Item, MediaIn, RunIn, Sym
from bot.timeutil import as_utc

# --- headings ---------------------------------------------------------------------------------

# Short names for the headings (bot.engine.headings.Heading, the one definition), as the
# summary's modules and drawings use them.
ABOUT_ME, LIKE_ADMIRE = Heading.ABOUT_ME, Heading.LIKE_ADMIRE
IMPORTANT_TO, IMPORTANT_FOR = Heading.IMPORTANT_TO, Heading.IMPORTANT_FOR
WORKING, NOT_WORKING = Heading.WORKING, Heading.NOT_WORKING
GOOD_DAYS, BAD_DAYS = Heading.GOOD_DAYS, Heading.BAD_DAYS
TALKING_MAT, QUESTIONS, TAKE_PART = Heading.TALKING_MAT, Heading.QUESTIONS, Heading.TAKE_PART
WHO_HELPED, FUTURE, SUPPORT, OTHER = (Heading.WHO_HELPED, Heading.FUTURE, Heading.SUPPORT,
                                      Heading.OTHER)
OUTCOMES = Heading.OUTCOMES
DAY_HEADINGS = (GOOD_DAYS, BAD_DAYS)

# The review's sections, in the order a person-centred annual review uses them. Each section
# gathers one or two step headings. "other" only appears when a flow names no heading at all.
# What is important to me now, then my future (what I hope for, the Preparing for Adulthood
# areas): the review's "important now and in the future", as two sections, so that the
# aspirations Section A leads with are never mixed in with what matters today (issue 14).
SECTIONS: tuple[tuple[str, tuple[Heading, ...]], ...] = (
    (ABOUT_ME, (ABOUT_ME,)),
    (LIKE_ADMIRE, (LIKE_ADMIRE,)),
    (IMPORTANT_TO, (IMPORTANT_TO,)),
    (FUTURE, (FUTURE,)),
    (IMPORTANT_FOR, (IMPORTANT_FOR,)),
    (SUPPORT, (SUPPORT,)),
    (WORKING, (WORKING, NOT_WORKING)),
    # Progress towards the outcomes in the plan: drawn from bot.summary.outcomes.
    (OUTCOMES, (OUTCOMES,)),
    ("days", DAY_HEADINGS),
    (TALKING_MAT, (TALKING_MAT,)),
    (TAKE_PART, (QUESTIONS, TAKE_PART)),
    (WHO_HELPED, (WHO_HELPED,)),
    (OTHER, (OTHER,)),
)

# Pairs of headings, and the symbols that say which side an answer is on.
PAIRS: dict[Heading, str] = {GOOD_DAYS: "days", BAD_DAYS: "days", WORKING: "working",
                         NOT_WORKING: "working"}
PAIR_VERDICTS: dict[str, dict[str, str]] = {
    "days": {"good": "good", "ok": "ok", "bad": "bad", "not_sure": "not_sure"},
    "working": {"working": "working", "not_working": "not_working", "not_sure": "not_sure"},
}
EXPLICIT_VERDICT: dict[Heading, str] = {GOOD_DAYS: "good", BAD_DAYS: "bad", WORKING: "working",
                    NOT_WORKING: "not_working"}
VERDICTS = frozenset(v for table in PAIR_VERDICTS.values() for v in table)
# Parts of a school day (as in the Good day / Bad day tool), when picked as a choice.
DAY_PARTS = frozenset({"morning", "getting_to_school", "lessons", "break_lunch", "lunch",
                       "break", "after_school", "evening", "bedtime", "weekend"})
PHOTO_KINDS = ("photo", "profile")
HELPED_KEYS = ("helped_alone", "helped_family", "helped_school", "helped_therapist")


class Symbols:
    """Symbol words and pictures: the shared vocabulary, a run's own cards, or the bare id."""

    def __init__(self, engine: FlowEngine) -> None:
        self.vocabulary = engine.vocabulary

    def get(self, symbol_id: str, options: Mapping[str, Any] | None = None) -> Sym:
        """The symbol `symbol_id`: from the vocabulary, else the run's own picture card (in
        `options`), else its id made readable."""
        if symbol_id in self.vocabulary:
            symbol = self.vocabulary[symbol_id]
            return Sym(symbol_id, symbol.words, symbol.emoji, symbol.category)
        personal = ((options or {}).get("cards") or {}).get(symbol_id)
        if isinstance(personal, Mapping) and personal.get("words"):
            return Sym(symbol_id, str(personal["words"]), "🖼️")
        return Sym(symbol_id, symbol_id.replace("_", " ").capitalize(), "")

    def category(self, symbol_id: str) -> str:
        """The vocabulary category of a symbol ("people", "places"), "" for any other."""
        return self.vocabulary[symbol_id].category if symbol_id in self.vocabulary else ""


def step_of(flow: Flow | None, step_id: str) -> Step | None:
    """The step `step_id` of `flow`, or None (no flow, or a step the flow no longer has)."""
    if flow is None:
        return None
    try:
        return flow.step(step_id)
    except KeyError:
        return None


def text_of(value: Any) -> str | None:
    """A flow field that may be a plain string or a str-valued enum."""
    if value is None:
        return None
    return str(getattr(value, "value", value))


def step_heading(flow: Flow | None, step: Step | None) -> tuple[Heading, bool]:
    """(heading, explicit) of an answer at `step` of `flow`: Flow.heading_of (the step's own
    heading, a mat's talking_mat, else the flow file's default); OTHER when the flow is gone.
    `explicit` is False for a flow's default, whose side of a pair the verdict decides."""
    if flow is None:
        return OTHER, False
    return flow.heading_of(step)


def ordered_answers(run: RunIn) -> list[AnswerIn]:
    """Answers in the order they were given (the path), then any not on it, by id."""
    by_step = {a.step_id: a for a in run.answers}
    ordered = [by_step[s] for s in run.path if s in by_step]
    seen = {a.step_id for a in ordered}
    ordered += sorted((a for a in run.answers if a.step_id not in seen),
                      key=lambda a: a.answer_id)
    return ordered


def _resolve(pair: str, verdict: str | None) -> Heading:
    if pair == "days":
        return BAD_DAYS if verdict == "bad" else GOOD_DAYS
    return NOT_WORKING if verdict == "not_working" else WORKING


def pair_verdicts(engine: FlowEngine, run: RunIn, pair: str
                   ) -> tuple[str | None, dict[str, str]]:
    """How a run went for one pair of headings: as a whole, and for each thing a step is
    `about` (a part of the day, school, home).

    The whole: the first verdict given at a step of that pair that is not about one thing
    (the check-in's "How was today?"). None when only parts were rated: a whole day's verdict
    is never worked out from its parts (three bad parts and two good ones are not "a bad
    day", and a tie is not "an OK day").
    """
    table = PAIR_VERDICTS[pair]
    flow = engine.flows.get(run.flow_id)
    whole: str | None = None
    parts: dict[str, str] = {}
    for answer in ordered_answers(run):
        step = step_of(flow, answer.step_id)
        heading, _ = step_heading(flow, step)
        verdict = next((table[c] for c in answer.choices if c in table), None)
        if PAIRS.get(heading) != pair or verdict is None:
            continue
        about = text_of(getattr(step, "about", None)) if step is not None else None
        if about:
            parts.setdefault(about, verdict)
        elif whole is None:
            whole = verdict
    return whole, parts


def _asked_day(engine: FlowEngine, run: RunIn) -> str | None:
    """How the day went, only when the run asked it outright ("How was today?"), not when it
    is worked out from the parts of a typical day (pair_verdicts never does that)."""
    return pair_verdicts(engine, run, "days")[0]


def helpers_of(helped_by: str | None) -> tuple[str, ...]:
    """Every helper in `flow_runs.helped_by` ("helped_family,helped_school": more than one
    person can help since issue 12), each as its symbol key ("family" from older runs becomes
    "helped_family"). Empty when nobody was named."""
    keys = [k.strip() for k in (helped_by or "").split(",") if k.strip()]
    return tuple(dict.fromkeys(k if k.startswith("helped_") else f"helped_{k}" for k in keys))


def helped_keys(run: RunIn) -> tuple[str, ...]:
    """The helper keys of a run: from `helped_by`, else from its "who helped" answer."""
    if run.helped_by:
        return helpers_of(run.helped_by)
    helped = next((a for a in run.answers if a.step_id == HELPED_STEP), None)
    return tuple(helped.choices) if helped is not None else ()


def _helped_key(run: RunIn) -> str | None:
    """All of a run's helpers joined by "," (None when not asked)."""
    return ",".join(helped_keys(run)) or None


def items_of(engine: FlowEngine, symbols: Symbols, run: RunIn,
              media: Mapping[int, MediaIn]) -> list[Item]:
    """A run's answers as summary items, in the order given, each under its heading (a pair's
    side chosen by the answer's verdict). Skipped answers, "who helped" and a mat with no card
    put down are left out."""
    flow = engine.flows.get(run.flow_id)
    title = flow.title if flow is not None else run.flow_id.replace("_", " ").capitalize()
    verdicts = {pair: pair_verdicts(engine, run, pair) for pair in PAIR_VERDICTS}
    day = verdicts["days"][0]  # asked outright, as _asked_day
    helped = _helped_key(run)
    items = []
    for answer in ordered_answers(run):
        if answer.step_id == HELPED_STEP or answer.kind == "skipped":
            continue
        step = step_of(flow, answer.step_id)
        view = engine.mat_view_of(run.flow_id, record_of(answer), run.options)
        if text_of(getattr(step, "type", None)) == "mat" and view is None:
            continue  # no card put down: skipped
        heading, explicit = step_heading(flow, step)
        about_id = text_of(getattr(step, "about", None)) if step is not None else None
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
            label=text_of(getattr(step, "label", None)) or "",
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


def record_of(answer: AnswerIn) -> AnswerRecord:
    """The engine's view of an answer (enough for FlowEngine.mat_view_of)."""
    kind = AnswerKind(answer.kind) if answer.kind in set(AnswerKind) else AnswerKind.ANSWERED
    return AnswerRecord(answer.step_id, kind, answer.choices, answer.own_words,
                        placements=answer.placements)
