"""/mydata: everything MySay holds about one young person, as a readable PDF and a data file.

The JSON file (in a ZIP, beside their photos and voice notes as ordinary files) is the
complete, machine-readable copy; the PDF (bot/safety/export_pdf.py, loaded only when asked for)
is the same in plain words, with their photos in it.
Things other people wrote about them (a supporter's view) are not theirs to download here;
docs/dpia.md explains that choice. Their therapist's notes on their own activities (/note) are
included, labelled as the therapist's words: under UK GDPR subject access they are disclosable.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import preferences
from bot.engine.core import FlowEngine
from bot.i18n import Locale
from bot.store import outcome_repo, therapist_repo
from bot.store.models import (
    Alert,
    Answer,
    AuditEntry,
    DeletionRequest,
    FlowRun,
    Link,
    MediaFile,
    Meeting,
    MeetingRecord,
    Person,
    SupporterLink,
    YouSaid,
)
from bot.store.repo import answer_record, forwarded_in
from bot.summary.model import helpers_of
from bot.summary.outcomes import outcome_slot_of
from bot.timeutil import as_utc

# Telegram lets a bot send files up to 50 MB; stay clear of it.
MAX_ZIP_BYTES = 45 * 1024 * 1024
_EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "audio/ogg": "ogg",
               "audio/mpeg": "mp3", "image/webp": "webp"}


@dataclass
class MediaItem:
    file: str
    kind: str
    mime_type: str
    made: str
    data: bytes


@dataclass
class Export:
    """What /mydata sends: `data` is the JSON, `media` the files that go beside it."""

    name: str
    made: datetime
    data: dict[str, Any]
    media: list[MediaItem] = field(default_factory=list)


def _when(value: datetime | None, zone: ZoneInfo) -> str | None:
    return as_utc(value).astimezone(zone).strftime("%Y-%m-%d %H:%M") if value else None


async def collect(session: AsyncSession, engine: FlowEngine, locale: Locale, person: Person,
                  zone: ZoneInfo, now: datetime) -> Export:
    """Everything about `person` from every table (the caller has checked it is them)."""
    media = await _media(session, person, zone)
    names = {m_id: item.file for m_id, item in media.items()}
    data: dict[str, Any] = {
        "about": "Everything MySay keeps about you. Made by MySay's /mydata.",
        "made": _when(now, zone),
        "you": {
            "mysay_id": person.id, "telegram_user_id": person.telegram_user_id,
            "name": person.display_name, "role": person.role,
            "joined": _when(person.created_at, zone), "agreed": _when(person.consented_at, zone),
            "last_active": _when(person.last_active_at, zone),
            "date_of_birth": person.date_of_birth.isoformat() if person.date_of_birth else None,
            # In the young person's words, as /settings shows them ("Colours": "Strong").
            "settings": dict(preferences.in_words(person.preferences, locale)),
        },
        "therapists": await _therapists(session, person, zone),
        "supporters": await _supporters(session, person, zone),
        "flows": await _flows(session, engine, locale, person, zone, names),
        "media": [{"file": m.file, "kind": m.kind, "mime_type": m.mime_type, "made": m.made}
                  for m in media.values()],
        "meetings": await _meetings(session, person, zone),
        "outcomes": await _outcomes(session, engine, person, zone, names),
        "you_said": await _you_said(session, person, zone),
        "asked_for_help": await _alerts(session, person, zone),
        "deletion_requests": await _deletions(session, person, zone),
        "who_looked": await _audit(session, person, zone),
    }
    return Export(person.display_name, now, data, list(media.values()))


async def _media(session: AsyncSession, person: Person, zone: ZoneInfo) -> dict[int, MediaItem]:
    rows = await session.scalars(select(MediaFile).where(MediaFile.owner_id == person.id)
                                 .order_by(MediaFile.id))
    found = {}
    for row in rows:
        ext = _EXTENSIONS.get(row.mime_type, "bin")
        found[row.id] = MediaItem(f"media/{row.kind}-{row.id}.{ext}", row.kind, row.mime_type,
                                  _when(row.created_at, zone) or "", row.content)
    return found


async def _therapists(session: AsyncSession, person: Person,
                      zone: ZoneInfo) -> list[dict[str, Any]]:
    rows = await session.execute(select(Person.display_name, Link.created_at, Link.ended_at)
                                 .join(Link, Link.therapist_id == Person.id)
                                 .where(Link.young_person_id == person.id).order_by(Link.id))
    return [{"name": name, "since": _when(since, zone), "until": _when(until, zone)}
            for name, since, until in rows.all()]


async def _supporters(session: AsyncSession, person: Person,
                      zone: ZoneInfo) -> list[dict[str, Any]]:
    rows = await session.execute(
        select(Person.display_name, SupporterLink.relationship, SupporterLink.created_at,
               SupporterLink.ended_at)
        .join(SupporterLink, SupporterLink.supporter_id == Person.id)
        .where(SupporterLink.young_person_id == person.id).order_by(SupporterLink.id))
    return [{"name": name, "relationship": rel, "since": _when(since, zone),
             "until": _when(until, zone)} for name, rel, since, until in rows.all()]


def _question(engine: FlowEngine, locale: Locale, flow_id: str, step_id: str) -> str:
    flow = engine.flows.get(flow_id)
    if flow is not None and flow.has_step(step_id):
        return flow.step(step_id).prompt
    key = f"{step_id.lstrip('_')}_prompt"
    return locale(key) if locale.has(key) else step_id


def _choice_words(engine: FlowEngine, run: FlowRun, choice: str) -> str:
    personal = (run.options or {}).get("cards", {}).get(choice)
    if isinstance(personal, dict) and "words" in personal:
        return str(personal["words"])
    return engine.vocabulary[choice].words if choice in engine.vocabulary else choice


async def _flows(session: AsyncSession, engine: FlowEngine, locale: Locale, person: Person,
                 zone: ZoneInfo, media_names: dict[int, str]) -> list[dict[str, Any]]:
    runs = (await session.scalars(select(FlowRun).where(FlowRun.person_id == person.id)
                                  .order_by(FlowRun.started_at, FlowRun.id))).all()
    # The therapist's notes about their activities are personal data about them too (UK GDPR
    # subject access): included, labelled as the therapist's words, never as theirs.
    notes = await therapist_repo.notes_for_runs(session, [r.id for r in runs])
    flows = []
    for run in runs:
        flow = engine.flows.get(run.flow_id)
        answers = (await session.scalars(select(Answer).where(Answer.run_id == run.id)
                                         .order_by(Answer.id))).all()
        flows.append({
            "flow": run.flow_id, "title": flow.title if flow else run.flow_id,
            "started": _when(run.started_at, zone), "finished": _when(run.finished_at, zone),
            "status": run.status, "shared_with_therapist": bool(run.shared),
            "shared_at": _when(run.shared_at, zone),
            "helped_by": [_choice_words(engine, run, h) for h in helpers_of(run.helped_by)],
            "answers": [{
                "question": _question(engine, locale, run.flow_id, a.step_id),
                # "How am I getting on?": which outcome this answer is about, in its words
                # when asked (None for any other answer).
                "about": _outcome_asked(run, a.step_id),
                "step": a.step_id, "step_type": _step_type(engine, run.flow_id, a.step_id),
                "kind": a.kind,
                "choices": [_choice_words(engine, run, c) for c in a.choices or ()],
                "own_words": a.own_words,
                # Sent on from someone else: kept, but not their own words (issue 12).
                "forwarded": forwarded_in(a.detail),
                "media": [media_names.get(_media_id(m), f"media {_media_id(m)}")
                          for m in a.media or ()],
                # A Talking Mat: where each card went (None for any other answer).
                "mat": _mat(engine, run, a),
            } for a in answers],
            "therapist_notes": {
                "label": locale("export.therapist_notes"),
                "notes": [{"by": name or locale("summary.note_author_gone"),
                           "written": _when(note.created_at, zone), "note": note.text}
                          for note, name in notes.get(run.id, [])],
            },
        })
    return flows


def _outcome_asked(run: FlowRun, step_id: str) -> str | None:
    """The words of the outcome an answer of an outcome round is about, as they were when
    the run asked (the run's options keep them: later changes do not rewrite what was
    asked); None for an answer outside the rounds, or a slot the run was given nothing for."""
    slot = outcome_slot_of(step_id)
    given = (run.options or {}).get("outcomes")
    outcome = given.get(slot) if slot is not None and isinstance(given, dict) else None
    return str(outcome["words"]) if isinstance(outcome, dict) and outcome.get("words") \
        else None


def _step_type(engine: FlowEngine, flow_id: str, step_id: str) -> str | None:
    """The kind of question (choice, multi, text, photo, mat); None for a step no longer in
    its flow, and for "who helped"."""
    flow = engine.flows.get(flow_id)
    if flow is None or not flow.has_step(step_id):
        return None
    return flow.step(step_id).type.value


def _mat(engine: FlowEngine, run: FlowRun, answer: Answer) -> dict[str, Any] | None:
    """A mat answer's topic, scale and each card's place, in the order placed (see
    FlowEngine.mat_record); None for other answers and a mat with no card put down."""
    record = answer_record(answer.step_id, answer.kind, answer.choices, answer.own_words,
                           None, answer.detail)  # (its media are listed beside it)
    return engine.mat_record(run.flow_id, record, run.options or {})


def _media_id(item: Any) -> int:
    return int(item["id"]) if isinstance(item, dict) else int(item)


async def _meetings(session: AsyncSession, person: Person,
                    zone: ZoneInfo) -> list[dict[str, Any]]:
    rows = await session.scalars(select(Meeting).where(Meeting.young_person_id == person.id)
                                 .order_by(Meeting.held_on))
    records = {r.meeting_id: r for r in await session.scalars(
        select(MeetingRecord).where(MeetingRecord.young_person_id == person.id))}
    return [{"date": m.held_on.isoformat(), "cancelled": _when(m.cancelled_at, zone),
             # When their therapist said it had happened (before its date had passed).
             "happened": _when(m.happened_at, zone),
             **_record(records.get(m.id), zone)} for m in rows]


def _record(record: MeetingRecord | None, zone: ZoneInfo) -> dict[str, Any]:
    """What was agreed at the meeting and the next steps, as the therapist recorded them
    (/agreed); nothing when no record was made."""
    if record is None:
        return {}
    return {"agreed": [str(i.get("text", "")) for i in record.agreed or []],
            "next_steps": [str(i.get("text", "")) for i in record.next_steps or []],
            "recorded": _when(record.final_at or record.updated_at, zone)}


async def _outcomes(session: AsyncSession, engine: FlowEngine, person: Person, zone: ZoneInfo,
                    names: dict[int, str]) -> list[dict[str, Any]]:
    """The outcomes in their plan, as their therapist wrote them (ended ones too, marked),
    each with its symbol's words or its picture's file in the export."""
    found = []
    for row in await outcome_repo.every(session, person.id):
        symbol = engine.vocabulary[row.symbol_id] if row.symbol_id in engine.vocabulary else None
        found.append({"words": row.words, "symbol": symbol.words if symbol else row.symbol_id,
                      "picture": names.get(row.media_id) if row.media_id else None,
                      "added": _when(row.created_at, zone),
                      "changed": _when(row.updated_at, zone),
                      "taken_off": _when(row.ended_at, zone)})
    return found


async def _you_said(session: AsyncSession, person: Person,
                    zone: ZoneInfo) -> list[dict[str, Any]]:
    rows = await session.scalars(select(YouSaid).where(YouSaid.young_person_id == person.id)
                                 .order_by(YouSaid.id))
    found = []
    for row in rows:
        try:
            items: Any = json.loads(row.items)
        except (TypeError, ValueError):
            items = row.items
        found.append({"items": items, "sent": _when(row.sent_at, zone),
                      "did_people_listen": row.listened})
    return found


async def _alerts(session: AsyncSession, person: Person, zone: ZoneInfo) -> list[dict[str, Any]]:
    rows = await session.scalars(select(Alert).where(Alert.young_person_id == person.id)
                                 .order_by(Alert.id))
    return [{"when": _when(a.created_at, zone), "how": a.source, "your_words": a.words,
             "seen": _when(a.acknowledged_at, zone)} for a in rows]


async def _deletions(session: AsyncSession, person: Person,
                     zone: ZoneInfo) -> list[dict[str, Any]]:
    rows = await session.scalars(select(DeletionRequest)
                                 .where(DeletionRequest.young_person_id == person.id)
                                 .order_by(DeletionRequest.id))
    return [{"asked": _when(r.requested_at, zone), "decision": r.decision,
             "decided": _when(r.decided_at, zone), "reason": r.reason} for r in rows]


async def _audit(session: AsyncSession, person: Person, zone: ZoneInfo) -> list[dict[str, Any]]:
    """Who did what with their data (never the data itself)."""
    rows = await session.scalars(select(AuditEntry).where(
        AuditEntry.subject_id == person.id,
        or_(AuditEntry.actor_id.is_(None), AuditEntry.actor_id != person.id))
        .order_by(AuditEntry.id))
    entries = list(rows)
    actors = {e.actor_id for e in entries if e.actor_id is not None}
    names = dict((await session.execute(select(Person.id, Person.display_name)
                                        .where(Person.id.in_(actors)))).all()) if actors else {}
    return [{"when": _when(e.at, zone), "who": names.get(e.actor_id or 0), "what": e.action}
            for e in entries]


# --- the files --------------------------------------------------------------------------------


def data_zip(export: Export, *, with_media: bool = True) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("my-mysay-data.json",
                         json.dumps(export.data, ensure_ascii=False, indent=2))
        if with_media:
            for item in export.media:
                archive.writestr(item.file, item.data)
    return buffer.getvalue()
