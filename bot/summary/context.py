"""What keeps an answer's meaning in every rendering (issue 14, points 9 and 10): each shared
activity in context (the part of the day a verdict was about, each mat card under its column,
who helped) and the therapist's notes on it.

The lines are the engine's own review lines (FlowEngine.review_lines): the summary says what
the young person checked on their review screen before they shared it, in the same words.
Pure Python: no SQL, no Telegram, no drawing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Protocol

from bot.engine.core import HELPED, AnswerKind, AnswerRecord, FlowEngine
from bot.i18n import Locale
from bot.summary.classify import Symbols, helped_keys, ordered_answers, record_of
from bot.summary.stats import is_mat
from bot.summary.types import Mat, MediaIn, Note, RunIn, RunView, Sym
from bot.timeutil import as_utc

UNKNOWN = "helped_unknown"


def helpers(symbols: Symbols, locale: Locale, run: RunIn) -> tuple[Sym, ...]:
    """Who helped with a run, each as a symbol with its words ("My family"). A young person's
    run where nobody was named gives one "Not asked"; a supporter's view (never asked) gives
    nothing."""
    keys = helped_keys(run)
    if keys:
        return tuple(symbols.get(k, run.options) for k in keys)
    if not run.who.is_young_person:
        return ()
    return (Sym(UNKNOWN, locale(f"summary.{UNKNOWN}"), "❔"),)


def _record(answer_media: Mapping[int, MediaIn], run: RunIn) -> dict[str, AnswerRecord]:
    """The run's answers as the engine keeps them (with media kinds and "sent on" marks)."""
    records = {}
    for answer in run.answers:
        base = record_of(answer)
        media = tuple((m, answer_media[m].kind) for m in answer.media if m in answer_media)
        records[answer.step_id] = replace(base, media=media, forwarded=answer.forwarded)
    return records


class _Worded(Protocol):
    words: str


def placements_text(scale: Sequence[_Worded], columns: Sequence[Sequence[_Worded]],
                    left_off: Sequence[_Worded], left_off_label: str) -> str:
    """A mat's placements, each card under its column, every column named (an empty one as
    "–"): "Like: Maths, Art; Not sure: –; Don't like: Homework; Left off: PE"."""
    parts = [f"{point.words}: {', '.join(c.words for c in column) or '–'}"
             for point, column in zip(scale, columns, strict=True)]
    if left_off:
        parts.append(f"{left_off_label}: {', '.join(c.words for c in left_off)}")
    return "; ".join(parts)


def _mat_line(engine: FlowEngine, run: RunIn, step_id: str,
              record: AnswerRecord) -> tuple[str, str] | None:
    """A mat step's line: its topic, then the placements (placements_text)."""
    view = engine.mat_view_of(run.flow_id, record, run.options)
    if view is None:
        return None
    return view.topic.words, placements_text(view.scale, view.columns, view.left_off,
                                             engine.labels["answer.left_off"])


def context_lines(engine: FlowEngine, run: RunIn,
                  media: Mapping[int, MediaIn]) -> tuple[tuple[str, str], ...]:
    """(topic, what was said) per review line of a run, in the order answered: a round of the
    day on one line ("Morning", "Good · because: Calm"), a mat with each card under its scale
    point. Skipped answers and "who helped" are left out (who helped is shown on its own). A
    run whose flow file is gone falls back to each answer's choices and words."""
    records = _record(media, run)
    path = tuple(run.path) or tuple(a.step_id for a in ordered_answers(run))
    if run.flow_id in engine.flows:
        found = []
        for line in engine.review_lines(run.flow_id, path, records, run.options):
            if HELPED in line.step_ids or all(records[s].kind is AnswerKind.SKIPPED
                                              for s in line.step_ids if s in records):
                continue
            mat = _mat_line(engine, run, line.step_id, records[line.step_id]) \
                if line.step_id in records else None
            found.append(mat or (line.topic, line.words))
        return tuple(found)
    found = []
    for answer in ordered_answers(run):
        if answer.step_id == HELPED or answer.kind == "skipped":
            continue
        said = [c.replace("_", " ") for c in answer.choices]
        if answer.own_words:
            said.append(answer.own_words if answer.forwarded else f"“{answer.own_words}”")
        found.append((answer.step_id.replace("_", " ").capitalize(), ", ".join(said)))
    return tuple(found)


def run_views(engine: FlowEngine, symbols: Symbols, locale: Locale, runs: Sequence[RunIn],
              media: Mapping[int, MediaIn],
              notes: Mapping[int, tuple[Note, ...]]) -> tuple[RunView, ...]:
    """Every run in context, newest first: its lines, who helped and the therapist's notes."""
    views = []
    for run in sorted(runs, key=lambda r: (r.when, r.run_id), reverse=True):
        flow = engine.flows.get(run.flow_id)
        title = flow.title if flow is not None else run.flow_id.replace("_", " ").capitalize()
        views.append(RunView(run.run_id, as_utc(run.when).date(), title, run.who,
                             context_lines(engine, run, media),
                             helpers(symbols, locale, run), tuple(notes.get(run.run_id, ())),
                             is_mat(engine, run)))
    return tuple(views)


def with_context(mats: Sequence[Mat], views: Sequence[RunView]) -> tuple[Mat, ...]:
    """The mats with who facilitated each and the therapist's notes on it."""
    by_run = {v.run_id: v for v in views}
    return tuple(replace(m, helped=by_run[m.run_id].helped, notes=by_run[m.run_id].notes)
                 if m.run_id in by_run else m for m in mats)


def helped_words(locale: Locale, helped: Sequence[Sym]) -> str:
    """"Who helped: My family, School staff"; "" when there is no one to name (a supporter's
    view)."""
    if not helped:
        return ""
    return locale("summary.helped_by", helpers=", ".join(h.words for h in helped))


def note_lines(locale: Locale, notes: Sequence[Note], name: str) -> list[str]:
    """The therapist's notes under their label ("Therapist's notes (not Jo's words)"), one
    line each with its date and author; nothing when there are none."""
    if not notes:
        return []
    lines = [locale("summary.notes_label", name=name)]
    for note in notes:
        lines.append(locale("summary.note_line", date=f"{note.written.day} {note.written:%b %Y}",
                            author=note.author or locale("summary.note_author_gone"),
                            text=note.text))
    return lines


def line_text(lines: Sequence[tuple[str, str]]) -> list[str]:
    """Each (topic, said) as "Topic: said"."""
    return [f"{topic}: {said}" for topic, said in lines]
