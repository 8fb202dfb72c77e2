"""Progress towards the outcomes in the EHC plan (issue 14, point 3): one entry per outcome,
with the young person's latest view, their view before the last meeting, what helps and their
own words, from the runs of "How am I getting on?" in the snapshot.

Pure Python. Each run names its outcomes by slot in its options ("outcome_1": the outcome's
id and words as they were when asked), so a view stays with its outcome even if the words were
changed, or the outcome taken off the list, since.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from bot.engine.core import FlowEngine
from bot.engine.flows import OUTCOME_SLOT
from bot.engine.vocabulary import labelled
from bot.summary.classify import PHOTO_KINDS, Symbols, helped_keys
from bot.summary.types import (
    AnswerIn,
    MediaIn,
    OutcomeProgress,
    Outcomes,
    OutcomeView,
    RunIn,
    Snapshot,
    Sym,
)
from bot.timeutil import as_utc

# The steps of a round of flows/how_am_i_getting_on.yaml (each id ends "_<slot>").
VIEW, HELPS, WORDS = "view", "helps", "words"
# What was sent at the scale step instead of a point, in words (OutcomeView.sent).
SENT = {"photo": "summary.outcomes.sent_photo", "voice": "summary.outcomes.sent_voice",
        "forwarded": "summary.outcomes.sent_forwarded"}


def outcomes_of(engine: FlowEngine, symbols: Symbols, snap: Snapshot) -> Outcomes:
    """The outcomes part of the summary of `snap`: every current outcome in the plan's order,
    then any outcome taken off since that was asked about this period; each with its views.

    Only the young person's own shared runs count (the snapshot holds no private ones).
    """
    runs = sorted((r for r in snap.runs if r.who.is_young_person and _asks_outcomes(engine, r)),
                  key=lambda r: (as_utc(r.when), r.run_id))
    now: dict[int, list[OutcomeView]] = {}
    before: dict[int, list[OutcomeView]] = {}
    asked: dict[int, tuple[str, str | None]] = {}  # outcome id -> (words, symbol) last asked
    more: list[tuple[date, str]] = []
    for run in runs:
        day = as_utc(run.when).date()
        this_period = snap.period_start is None or day >= snap.period_start
        for outcome_id, view, symbol in _views_in(symbols, run, snap.media):
            asked[outcome_id] = (view.words_asked, symbol)
            (now if this_period else before).setdefault(outcome_id, []).append(view)
        if this_period:
            more += [(day, a.own_words.strip()) for a in run.answers
                     if a.own_words and a.own_words.strip() and not a.forwarded
                     and not outcome_slot_of(a.step_id)]
    progress = [_progress(symbols, o.outcome_id, o.words, o.symbol_id, True, now, before)
                for o in snap.outcomes]
    listed = {o.outcome_id for o in snap.outcomes}
    progress += [_progress(symbols, oid, asked[oid][0], asked[oid][1], False, now, before)
                 for oid in sorted(now) if oid not in listed]
    return Outcomes(tuple(progress), tuple(more))


def _asks_outcomes(engine: FlowEngine, run: RunIn) -> bool:
    flow = engine.flows.get(run.flow_id)
    return (flow is not None and flow.asks_outcomes) or bool(run.options.get("outcomes"))


def _progress(symbols: Symbols, outcome_id: int, words: str, symbol_id: str | None,
              current: bool, now: Mapping[int, list[OutcomeView]],
              before: Mapping[int, list[OutcomeView]]) -> OutcomeProgress:
    views = tuple(now.get(outcome_id, ()))
    return OutcomeProgress(
        outcome_id, words, symbols.get(symbol_id) if symbol_id else None, current,
        _latest_said(views), _latest_said(before.get(outcome_id, ())), views)


def _latest_said(views: Sequence[OutcomeView]) -> OutcomeView | None:
    """The latest of `views` (oldest first) that says something, so a skipped run later does
    not hide an answer; the latest skipped one when that is all there is; None for none."""
    said = [v for v in views if v.says_something]
    return said[-1] if said else (views[-1] if views else None)


def round_step(step_id: str) -> str | None:
    """Which step of an outcome round a step id is (VIEW, HELPS, WORDS: "view_outcome_2" ->
    "view"), or None for a step outside the rounds."""
    return step_id.partition("_outcome_")[0] if outcome_slot_of(step_id) else None


def outcome_slot_of(step_id: str) -> str | None:
    """The outcome slot a step id of an outcome round ends with ("view_outcome_2" ->
    "outcome_2"), else None (a step outside the rounds)."""
    head, _, tail = step_id.partition("_outcome_")
    slot = f"outcome_{tail}"
    return slot if head and tail and OUTCOME_SLOT.match(slot) else None


def _views_in(symbols: Symbols, run: RunIn, media: Mapping[int, MediaIn],
              ) -> list[tuple[int, OutcomeView, str | None]]:
    """(outcome id, the view, the outcome's symbol id) for each outcome this run asked about
    (with an answer at any of its steps), in slot order. `media` names the kind of each
    photo or voice note an answer holds."""
    given: Mapping[str, Any] = run.options.get("outcomes") or {}
    by_slot: dict[str, dict[str, AnswerIn]] = {}
    for answer in run.answers:
        slot = outcome_slot_of(answer.step_id)
        if slot is not None:
            by_slot.setdefault(slot, {})[answer.step_id.partition("_outcome_")[0]] = answer
    found = []
    for slot in sorted(by_slot, key=lambda s: int(s.rsplit("_", 1)[1])):
        outcome = given.get(slot)
        if not isinstance(outcome, Mapping) or not isinstance(outcome.get("id"), int):
            continue  # a slot the run was given nothing for: no outcome to name
        steps = by_slot[slot]
        found.append((int(outcome["id"]),
                      _view(symbols, run, steps, str(outcome.get("words", "")), media),
                      outcome.get("symbol")))
    return found


def _view(symbols: Symbols, run: RunIn, steps: Mapping[str, AnswerIn], words_asked: str,
          media: Mapping[int, MediaIn]) -> OutcomeView:
    scale = steps.get(VIEW)
    kind = scale.kind if scale is not None else "skipped"
    view: Sym | None = None
    in_words = None
    sent: tuple[str, ...] = ()
    if scale is not None and scale.kind == "answered":
        if scale.choices:
            view = symbols.get(scale.choices[0], run.options)
        else:  # typed, or a photo or voice note, instead of tapping a point of the scale
            kind = "own_words"
            in_words = _own(scale)
            kinds = [media[m].kind for m in scale.media if m in media]
            sent = tuple(dict.fromkeys(
                [*(["photo"] if any(k in PHOTO_KINDS for k in kinds) else []),
                 *(["voice"] if "voice" in kinds else []),
                 *(["forwarded"] if scale.forwarded and scale.own_words else [])]))
    helps = steps.get(HELPS)
    picked = tuple(symbols.get(c, run.options) for c in helps.choices) \
        if helps is not None and helps.kind == "answered" else ()
    # Each step's own words are their own quotation; the scale step's are the view itself
    # when no point was chosen, and a quotation beside the point when one was.
    quoted = (scale, helps, steps.get(WORDS)) if in_words is None else (helps, steps.get(WORDS))
    own = [(q, a.answer_id) for a in quoted if a is not None and (q := _own(a))]
    return OutcomeView(as_utc(run.when).date(), kind, view, picked, tuple(q for q, _ in own),
                       words_asked, run.run_id, in_words, sent,
                       answer_id=scale.answer_id if scale is not None else 0,
                       quote_ids=tuple(i for _, i in own),
                       helped=",".join(helped_keys(run)) or None)


def _own(answer: AnswerIn) -> str | None:
    """The answer's own words exactly (trimmed), or None: none, or sent on from someone else."""
    words = (answer.own_words or "").strip()
    return words if words and not answer.forwarded else None


def change_key(progress: OutcomeProgress) -> str | None:
    """How the latest view compares with the one before the last meeting, as a locale key
    suffix: "same" (the same point of the scale), "changed", or None (nothing to compare).
    Never a judgement of better or worse: the young person's two views are shown side by side.
    """
    if progress.latest is None or progress.before is None:
        return None
    now, then = progress.latest.view, progress.before.view
    if now is None or then is None:
        return None
    return "same" if now.id == then.id else "changed"


def outcome_lines(say: Any, outcomes: Outcomes, day: Any) -> list[str]:
    """The outcomes part as plain lines (text summary, and the PDF's words): per outcome its
    words, the latest view, the view before the last meeting, what helps, their own words.
    `say` is the locale, `day` formats a date."""
    lines: list[str] = []
    for n, p in enumerate(outcomes.progress, 1):
        words = labelled(p.symbol.emoji, p.words) if p.symbol else p.words
        ended = f" ({say('summary.outcomes.ended')})" if not p.current else ""
        lines.append(f"{n}. {words}{ended}")
        lines += [f"   {line}" for line in view_lines(say, p, day)]
    if outcomes.more_words:
        lines.append(say("summary.outcomes.more"))
        lines += [f"   “{words}” ({day(when)})" for when, words in outcomes.more_words]
    return lines


def view_lines(say: Any, p: OutcomeProgress, day: Any) -> list[str]:
    """The lines under one outcome: their view now and before the last meeting (and whether
    it changed), what helps, their words (quoted exactly, with the outcome's words when it was
    asked in other words). `say` is the locale, `day` formats a date."""
    lines = [say("summary.outcomes.now", view=said(say, p.latest), date=day(p.latest.when))
             + _asked_as(say, p, p.latest) if p.latest else say("summary.outcomes.not_asked")]
    if p.before is not None:
        lines.append(say("summary.outcomes.before", view=said(say, p.before),
                         date=day(p.before.when)) + _asked_as(say, p, p.before))
    change = change_key(p)
    if change == "same":
        lines.append(say("summary.outcomes.change.same"))
    elif change == "changed":
        lines.append(say("summary.outcomes.change.changed"))
    helps = [s.words for v in p.views for s in v.helps]
    if helps:
        lines.append(say("summary.outcomes.helps", helps=", ".join(dict.fromkeys(helps))))
    quoted = [*([p.before] if p.before is not None else []), *p.views]
    for v in quoted:
        # A view in their words that is not the one shown above is quoted with the rest.
        shown = v is p.latest or v is p.before
        words = [*([v.in_words] if v.in_words and not shown else []), *v.quotes]
        lines += [f"“{q}” ({day(v.when)})" for q in words]
    return lines


def _asked_as(say: Any, p: OutcomeProgress, view: OutcomeView) -> str:
    """" (asked as “...”)" when the outcome was worded otherwise when this view was given."""
    if view.words_asked and view.words_asked != p.words:
        return f" ({say('summary.outcomes.asked_as', words=view.words_asked)})"
    return ""


def said(say: Any, view: OutcomeView | None) -> str:
    """A view in words: the point of the scale chosen; their own words, quoted exactly, when
    they answered in words ("“a bit easier now” (in my own words)"), or what they sent
    instead ("sent a photo"); "I don't know", "(skipped)", or "–" for no view (`say` is the
    locale)."""
    if view is None:
        return "–"
    if view.view is not None:
        return f"{view.view.words}"
    if view.kind == "own_words":
        parts = [say("summary.outcomes.in_words", words=view.in_words)] if view.in_words else []
        parts += [say(SENT[kind]) for kind in view.sent]
        return "; ".join(parts) or say("summary.outcomes.other_way")
    return say("answer.dont_know") if view.kind == "dont_know" else say("answer.skipped")


def outcome_texts(outcomes: Outcomes) -> list[str]:
    """Every piece of words the outcomes part shows (for the PDF's choice of fonts)."""
    texts = [p.words for p in outcomes.progress]
    views = [v for p in outcomes.progress for v in (*p.views, *([p.before] if p.before else []))]
    texts += [q for v in views for q in (*v.quotes, v.in_words or "")]
    texts += [words for _, words in outcomes.more_words]
    return texts
