"""Reading what a summary needs from the store, behind the access check and the audit log.

`summary_for` is the one way into a young person's summary: Telegram and the command line both
use it, so the access policy and the audit row cannot be skipped.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.engine.core import FlowEngine
from bot.i18n import Locale
from bot.safety import access
from bot.store import outcome_repo, repo, therapist_repo
from bot.store.models import FlowRun, Meeting, Person, Role
from bot.summary.model import (
    AnswerIn,
    MediaIn,
    Note,
    RunIn,
    Snapshot,
    Summary,
    Voice,
    YouSaidIn,
    build,
)
from bot.summary.types import MeetingRecordIn, OutcomeIn
from bot.timeutil import as_utc

# Media a PDF and a picture can show; voice notes are listed, and are in the export.
PICTURES = ("photo", "mat", "profile")
SUMMARY_PURPOSES = ("telegram", "command line")


class NotAllowed(PermissionError):
    """The viewer may not read this young person's answers."""


async def summary_for(session: AsyncSession, engine: FlowEngine, locale: Locale,
                      viewer: Person, young_person_id: int, now: datetime, *,
                      purpose: str = "telegram", before: date | None = None) -> Summary:
    """The summary, if the viewer may read it (audited either way), else NotAllowed.

    `before`: the summary as it stood for the meeting held on that day (its period starts at
    the meeting before it), for "you said, we did" after that meeting; None: as of `now`."""
    young = await access.young_person_for(session, viewer, young_person_id)
    if young is None:
        repo.audit(session, viewer, "refused_summary", detail=f"asked for {young_person_id}")
        raise NotAllowed(young_person_id)
    if viewer.role != Role.THERAPIST:
        action = "read_own_summary"
    elif purpose in SUMMARY_PURPOSES:  # what /caseload counts as "read" for "new" shares
        action = therapist_repo.READ_SUMMARY
    else:
        action = "read_answers"
    repo.audit(session, viewer, action, young, detail=purpose)
    snap = await snapshot(session, young, viewer, now, before=before)
    return build(engine, locale, snap)


async def snapshot(session: AsyncSession, young: Person, viewer: Person,
                   now: datetime, *, before: date | None = None) -> Snapshot:
    """Everything the summary of `young` is made from, as `viewer` may see it at `now` (or for
    the meeting held on `before`, see `summary_for`). Raises nothing; the caller has checked
    access."""
    today = as_utc(now).date()
    past = [m for m in await therapist_repo.past_meetings(session, young.id, today)
            if before is None or m.held_on < before]
    period_start = past[0].held_on if past else None
    previous_start = past[1].held_on if len(past) > 1 else None
    load_from = therapist_repo.day_start(previous_start) if previous_start else None
    # Views already given stay in the summary even if that supporter's link has ended.
    supporters = await therapist_repo.supporters_of(session, young.id, include_ended=True)
    voices = {s.person.id: Voice("supporter", s.person.display_name, s.relationship, s.person.id)
              for s in supporters}
    me = Voice("young_person", young.display_name, "", young.id)
    runs = await therapist_repo.shared_runs_about(session, young.id, list(voices), load_from)
    private = await therapist_repo.private_count(
        session, young.id, therapist_repo.day_start(period_start) if period_start else None)
    media = await _media(session, [young.id, *voices], runs, period_start)
    upcoming = await therapist_repo.upcoming_meeting(session, young.id, today)
    you_said = await you_said_cards(session, young.id)
    plan = tuple(OutcomeIn(o.id, o.words, o.symbol_id, o.media_id)
                 for o in await outcome_repo.current(session, young.id))
    notes = await therapist_repo.notes_for_runs(session, [r.id for r in runs])
    return Snapshot(
        young_person=me, viewer_name=viewer.display_name, made_at=now,
        period_start=period_start, previous_start=previous_start,
        next_meeting=upcoming.held_on if upcoming else None,
        runs=tuple(_run_in(r, voices.get(r.person_id, me)) for r in runs),
        private_count=private, media=media, you_said=tuple(you_said), outcomes=plan,
        last_meeting=await _last_meeting(session, past[0] if past else None),
        notes={run_id: tuple(Note(run_id, name, as_utc(n.created_at), n.text)
                             for n, name in found) for run_id, found in notes.items()})


async def you_said_cards(session: AsyncSession, young_person_id: int) -> list[YouSaidIn]:
    """The "you said, we did" cards sent, oldest first, each with only the items still fit to
    show: an item traced to an answer the young person has since made private (or that is
    gone) is left out, as that answer is. Items the therapist typed, and any not traced to an
    answer (kept before items named theirs), are marked as the therapist's words."""
    sent = [y for y in await therapist_repo.sent_you_said(session, young_person_id)
            if y.sent_at]
    raw = {y.id: you_said_raw(y.items) for y in sent}
    shared = await therapist_repo.shared_answer_ids(
        session, young_person_id,
        [i["answer_id"] for items in raw.values() for i in items if _traced(i)])
    cards = []
    for card in sent:
        kept = [i for i in raw[card.id] if not _traced(i) or i["answer_id"] in shared]
        cards.append(YouSaidIn(
            as_utc(card.sent_at), tuple((str(i.get("said", "")), str(i.get("will", "")))
                                        for i in kept), card.listened,
            # Not traced to an answer (typed, or kept before items named their answer): the
            # therapist's words, never shown as the young person's.
            frozenset(n for n, i in enumerate(kept)
                      if i.get("typed_by") == "therapist" or not _traced(i))))
    return cards


def you_said_raw(raw: str | None) -> list[dict[str, Any]]:
    """A sent card's stored items (JSON [{"said", "will", "answer_id"?, "typed_by"?}]) with
    something said or to be done; bad data gives []."""
    try:
        data = json.loads(raw or "[]")
    except ValueError:
        return []
    return [d for d in data if isinstance(d, dict) and (d.get("said") or d.get("will"))] \
        if isinstance(data, list) else []


def _traced(item: dict[str, Any]) -> bool:
    """Whether a "you said" item names the answer it came from."""
    answer = item.get("answer_id")
    return isinstance(answer, int) and not isinstance(answer, bool)


async def _last_meeting(session: AsyncSession, meeting: Meeting | None) -> MeetingRecordIn | None:
    """What was agreed at `meeting` and the next steps, once the therapist finished recording
    them (/agreed: Done); None for no meeting, no record or one still being written."""
    if meeting is None:
        return None
    record = await therapist_repo.meeting_record_of(session, meeting.id)
    if record is None or record.final_at is None:
        return None
    return MeetingRecordIn(meeting.held_on, record_texts(record.agreed),
                           record_texts(record.next_steps))


def record_texts(items: Any) -> tuple[str, ...]:
    """The words of a meeting record's items ([{"n": 1, "text": "..."}]), in order; anything
    else stored there gives nothing."""
    return tuple(str(i["text"]) for i in items or () if isinstance(i, dict) and i.get("text"))


def media_ids(value: Any) -> tuple[int, ...]:
    """The media_files ids an Answer.media names: stored as [{"id": 5, "kind": "voice"}];
    plain ids and [id, kind] pairs are read too."""
    ids = []
    for entry in value or ():
        if isinstance(entry, dict):
            entry = entry.get("id")
        elif isinstance(entry, list | tuple) and entry:
            entry = entry[0]
        if isinstance(entry, int) and not isinstance(entry, bool):
            ids.append(entry)
    return tuple(ids)


def _run_in(run: FlowRun, who: Voice) -> RunIn:
    state = run.state or {}
    answers = tuple(AnswerIn(a.id, a.step_id, a.kind, tuple(a.choices or ()), a.own_words,
                             media_ids(a.media), repo.forwarded_in(a.detail),
                             repo.placements_in(a.detail))
                    for a in run.answers)
    return RunIn(run.id, run.flow_id, as_utc(run.finished_at or run.updated_at), who, answers,
                 tuple(state.get("history") or ()), run.helped_by, dict(run.options or {}))


async def _media(session: AsyncSession, owners: Sequence[int], runs: Iterable[FlowRun],
                 period_start: Any) -> dict[int, MediaIn]:
    """Every media row the runs name (owned by the young person or a supporter whose view it
    is); pictures of this period with their content, the rest described only."""
    wanted: set[int] = set()
    recent: set[int] = set()
    for run in runs:
        ids = {m for a in run.answers for m in media_ids(a.media)}
        wanted |= ids
        finished = as_utc(run.finished_at or run.updated_at).date()
        if period_start is None or finished >= period_start:
            recent |= ids
    meta = await therapist_repo.media_meta(session, owners, sorted(wanted))
    pictures = [m.media_id for m in meta.values() if m.kind in PICTURES and m.media_id in recent]
    content = await therapist_repo.media_content(session, pictures)
    return {m.media_id: MediaIn(m.media_id, m.kind, m.mime_type, content.get(m.media_id),
                                as_utc(m.created_at))
            for m in meta.values()}
