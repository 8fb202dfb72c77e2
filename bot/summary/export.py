"""Every shared answer of one young person as JSON, with their photos, voice notes and mats as
files beside it: for a therapist at a desk (`python -m bot export`).

Only shared runs (the young person's own, and supporters' views about them) are exported;
private flows appear as a count. The read goes through the access check and the audit log.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.engine.core import FlowEngine
from bot.safety import access
from bot.store import repo, therapist_repo
from bot.store.models import FlowRun, Person
from bot.summary.load import NotAllowed, media_ids, you_said_cards
from bot.summary.model import HELPED_STEP, helpers_of, step_heading, step_of
from bot.timeutil import as_utc

FORMAT = "mysay-export-1"
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "audio/ogg": "ogg",
              "audio/mpeg": "mp3", "audio/mp4": "m4a"}


@dataclass
class Export:
    data: dict[str, Any]
    files: dict[str, bytes] = field(default_factory=dict)  # relative path -> bytes

    def write(self, folder: Path) -> Path:
        """export.json and media/<id>.<ext> in `folder` (made with mode 0700)."""
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        for name, content in self.files.items():
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            path.write_bytes(content)
            path.chmod(0o600)
        target = folder / "export.json"
        target.write_text(json.dumps(self.data, ensure_ascii=False, indent=2), encoding="utf-8")
        target.chmod(0o600)
        return target


def _when(value: datetime | None) -> str | None:
    return as_utc(value).isoformat() if value is not None else None


async def export_for(session: AsyncSession, engine: FlowEngine, viewer: Person,
                     young_person_id: int, now: datetime) -> Export:
    young = await access.young_person_for(session, viewer, young_person_id)
    if young is None:
        repo.audit(session, viewer, "refused_export", detail=f"asked for {young_person_id}")
        raise NotAllowed(young_person_id)
    repo.audit(session, viewer, "export", young, detail="command line")
    supporters = await therapist_repo.supporters_of(session, young.id, include_ended=True)
    by_id = {s.person.id: s for s in supporters}
    runs = await therapist_repo.shared_runs_about(session, young.id, list(by_id), None)
    wanted = sorted({m for r in runs for a in r.answers for m in media_ids(a.media)})
    meta = await therapist_repo.media_meta(session, [young.id, *by_id], wanted)
    content = await therapist_repo.media_content(session, list(meta))
    files = {}
    media: dict[int, dict[str, Any]] = {}
    for media_id, found in meta.items():
        name = f"media/{media_id}.{EXTENSIONS.get(found.mime_type, 'bin')}"
        files[name] = content[media_id]
        media[media_id] = {"id": media_id, "kind": found.kind, "mime_type": found.mime_type,
                           "file": name, "made_at": _when(found.created_at)}
    data = {
        "format": FORMAT,
        "made_at": _when(now),
        "made_for": viewer.display_name,
        "young_person": {"mysay_id": young.id, "telegram_user_id": young.telegram_user_id,
                         "name": young.display_name},
        "private_flows": await therapist_repo.private_count(session, young.id, None),
        "runs": [_run(engine, r, young, by_id, media) for r in runs],
        "you_said": await _you_said(session, young.id),
        "meetings": [{"held_on": m.held_on.isoformat()}
                     for m in await therapist_repo.past_meetings(session, young.id,
                                                                 as_utc(now).date())],
    }
    return Export(data, files)


async def _you_said(session: AsyncSession, young_person_id: int) -> list[dict[str, Any]]:
    """The "you said, we did" cards sent, as the summary shows them (load.you_said_cards):
    items whose answer the young person has since made private are left out, and each item
    says whose words its "you said" is (the therapist's when typed or not traced)."""
    sent = [y for y in await therapist_repo.sent_you_said(session, young_person_id)
            if y.sent_at]
    cards = await you_said_cards(session, young_person_id)  # the same cards, in this order
    return [{"sent_at": _when(row.sent_at), "listened": row.listened,
             "answered_at": _when(row.answered_at),
             "items": [{"said": said, "will": will,
                        "said_by": "therapist" if card.said_by_therapist(n) else "young_person"}
                       for n, (said, will) in enumerate(card.items)]}
            for row, card in zip(sent, cards, strict=True)]


def _run(engine: FlowEngine, run: FlowRun, young: Person,
         supporters: dict[int, therapist_repo.Supporter],
         media: dict[int, dict[str, Any]]) -> dict[str, Any]:
    flow = engine.flows.get(run.flow_id)
    helper = supporters.get(run.person_id)
    by = ({"role": "young_person", "name": young.display_name} if helper is None else
          {"role": "supporter", "name": helper.person.display_name,
           "relationship": helper.relationship})
    answers = []
    for answer in sorted(run.answers, key=lambda a: a.id):
        step = step_of(flow, answer.step_id)
        heading, _ = step_heading(flow, step)
        answers.append({
            "step_id": answer.step_id,
            "question": (step.prompt if step is not None
                         else "Who helped?" if answer.step_id == HELPED_STEP else answer.step_id),
            "heading": None if answer.step_id == HELPED_STEP else heading,
            "kind": answer.kind,
            "choices": [{"id": c, "words": engine.vocabulary[c].words
                         if c in engine.vocabulary else c} for c in answer.choices or ()],
            "own_words": answer.own_words,
            # Sent on from someone else: not the young person's own words (issue 12).
            "forwarded": repo.forwarded_in(answer.detail),
            "media": [media[m] for m in media_ids(answer.media) if m in media],
            # A Talking Mat: topic, scale and where each card went, in the order placed
            # (FlowEngine.mat_record); None for other answers and a mat with no card put down.
            "mat": engine.mat_record(run.flow_id, repo.answer_record(
                answer.step_id, answer.kind, answer.choices, answer.own_words, None,
                answer.detail), run.options or {}),
        })
    return {"run_id": run.id, "flow_id": run.flow_id,
            "flow_title": flow.title if flow is not None else run.flow_id,
            "by": by, "started_at": _when(run.started_at), "finished_at": _when(run.finished_at),
            "shared_at": _when(run.shared_at), "helped_by": list(helpers_of(run.helped_by)),
            "options": {k: v for k, v in (run.options or {}).items() if k != "cards"},
            "answers": answers}
