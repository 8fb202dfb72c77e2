"""A therapist's own material for one young person: picture cards (/addcard) and their voice
reading a question aloud (/record). Both wait for a photo or voice note in `pending`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from bot.engine.core import HELPED
from bot.engine.flows import Flow, StepType
from bot.safety import access
from bot.service import callbacks
from bot.service.routes import command, pending, tap
from bot.service.types import Button, Command, Keyboard, Media, MediaKind, Result
from bot.store import media_repo, repo
from bot.store.models import Person, PersonalCard, Role

if TYPE_CHECKING:
    from bot.service.conversation import Context

MAX_CARD_WORDS = 40


@command(Role.THERAPIST, "addcard")
async def add_card(ctx: Context, session: AsyncSession, person: Person, _: Command) -> Result:
    people = await repo.caseload(session, person.id)
    if not people:
        return Result().say(ctx.locale("caseload_empty"))
    rows = tuple((Button(f"🖼️ {p.display_name}", callbacks.AddCardFor(p.id).pack()),)
                 for p in people)
    return Result().say(ctx.locale("card.pick_person"), rows)


@tap(Role.THERAPIST, callbacks.AddCardFor)
async def card_for(ctx: Context, session: AsyncSession, person: Person,
                   data: callbacks.AddCardFor) -> Result:
    young = await access.young_person_for(session, person, data.person_id)
    if young is None:
        return Result(toast=ctx.locale("not_allowed")).say(ctx.locale("not_allowed"))
    person.pending = {"kind": "card_photo", "young": young.id}
    return Result(toast="📷").say(ctx.locale("card.send_photo", name=young.display_name))


@pending("card_photo")
async def card_photo(ctx: Context, session: AsyncSession, person: Person,
                     payload: str | Media) -> Result:
    if not isinstance(payload, Media) or payload.kind is not MediaKind.PHOTO:
        return Result().say(ctx.locale("card.need_photo"))
    if payload.data is None:  # still waiting for it: they can send it again
        return Result().say(ctx.locale(payload.why_no_data()))
    young_id = int((person.pending or {})["young"])
    media_id = await media_repo.keep(session, owner_id=young_id, kind="card",
                                     mime_type=payload.mime_type or "image/jpeg",
                                     data=payload.data, telegram_file_id=payload.file_id)
    person.pending = {"kind": "card_words", "young": young_id, "media": media_id}
    return Result().say(ctx.locale("card.send_words"))


@pending("card_words")
async def card_words(ctx: Context, session: AsyncSession, person: Person,
                     payload: str | Media) -> Result:
    words = payload.strip() if isinstance(payload, str) else ""
    if not words or len(words) > MAX_CARD_WORDS:
        return Result().say(ctx.locale("card.need_words", limit=MAX_CARD_WORDS))
    draft = person.pending or {}
    young = await access.young_person_for(session, person, int(draft["young"]))
    if young is None:  # they left the caseload meanwhile
        person.pending = {}
        return Result().say(ctx.locale("not_allowed"))
    session.add(PersonalCard(young_person_id=young.id, created_by_id=person.id, words=words,
                             media_id=int(draft["media"])))
    person.pending = {}
    repo.audit(session, person, "personal_card_added", young)
    return Result().say(ctx.locale("card.saved", words=words, name=young.display_name))


def _recordable(flow: Flow) -> list[str]:
    return [s.id for s in flow.steps if s.type is not StepType.MAT] + [HELPED]


@command(Role.THERAPIST, "record")
async def record(ctx: Context, session: AsyncSession, person: Person, _: Command) -> Result:
    flows = [f for f in ctx.engine.flows.values() if f.audience == "young_person"]
    return Result().say(ctx.locale("record.pick_flow"), _flow_buttons(ctx, flows))


def _flow_buttons(ctx: Context, flows: list[Flow]) -> Keyboard:
    return tuple((Button(f"{ctx.engine.vocabulary[f.symbol].emoji} {f.title}",
                         callbacks.RecordTap("F", flow=callbacks.short_ref(f.id)).pack()),)
                 for f in flows)


@tap(Role.THERAPIST, callbacks.RecordTap)
async def record_tap(ctx: Context, session: AsyncSession, person: Person,
                     data: callbacks.RecordTap) -> Result:
    flows = [f for f in ctx.engine.flows.values() if f.audience == "young_person"]
    # A flow and step by their ids; "f" and "s" buttons named them by position (before issue
    # 13), which a new flow file or step may have shifted: the flows as they are now instead.
    picked = callbacks.ref_index(data.flow, [f.id for f in flows])
    if picked is None:
        return Result(toast=ctx.locale("stale_button")).say(
            ctx.locale("record.pick_flow"), _flow_buttons(ctx, flows), edit=True)
    flow = flows[picked]
    steps = _recordable(flow)
    if data.op == "F":
        rows = tuple((Button(_question(ctx, flow, step_id)[:60], callbacks.RecordTap(
                         "S", flow=data.flow, step=callbacks.short_ref(step_id)).pack()),)
                     for step_id in steps)
        return Result(toast="").say(ctx.locale("record.pick_step"), rows, edit=True)
    step = callbacks.ref_index(data.step, steps)
    if step is None:
        return Result(toast=ctx.locale("stale_button")).say(
            ctx.locale("record.pick_flow"), _flow_buttons(ctx, flows), edit=True)
    step_id = steps[step]
    person.pending = {"kind": "record", "flow": flow.id, "step": step_id}
    return Result(toast="🎙️").say(ctx.locale("record.send_voice",
                                             question=_question(ctx, flow, step_id)))


def _question(ctx: Context, flow: Flow, step_id: str) -> str:
    return ctx.locale("helped_prompt") if step_id == HELPED else flow.step(step_id).prompt


@pending("record")
async def record_voice(ctx: Context, session: AsyncSession, person: Person,
                       payload: str | Media) -> Result:
    if not isinstance(payload, Media) or payload.kind is not MediaKind.VOICE:
        return Result().say(ctx.locale("record.need_voice"))
    if payload.data is None:  # still waiting for it: they can send it again
        return Result().say(ctx.locale(payload.why_no_data()))
    draft = person.pending or {}
    media_id = await media_repo.keep(session, owner_id=person.id, kind="recording",
                                     mime_type=payload.mime_type or "audio/ogg",
                                     data=payload.data, telegram_file_id=payload.file_id)
    await media_repo.replace_recording(session, therapist_id=person.id,
                                       flow_id=str(draft["flow"]), step_id=str(draft["step"]),
                                       media_id=media_id)
    person.pending = {}
    return Result().say(ctx.locale("record.saved"))

