"""A therapist's own material for one young person: picture cards (/addcard) and their voice
reading a question aloud (/record). Both wait for a photo or voice note in `pending`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from bot.engine.core import HELPED
from bot.engine.flows import Flow, StepType
from bot.engine.vocabulary import labelled
from bot.service import callbacks, guard, picker
from bot.service.routes import command, pending, tap
from bot.service.types import Button, Command, Keyboard, Media, MediaKind, Result
from bot.store import media_repo, repo
from bot.store.models import Person, PersonalCard, Role

if TYPE_CHECKING:
    from bot.service.conversation import Context

MAX_CARD_WORDS = 40


# Page buttons "pk:c:<page>"; a young person's button is today's "ac:<id>".
PICK = picker.purpose("c", "card.pick_person", "🖼️",
                      lambda young_id: callbacks.AddCardFor(young_id).pack())


@command(Role.THERAPIST, "addcard")
async def add_card(ctx: Context, session: AsyncSession, person: Person, _: Command) -> Result:
    """Whom the new picture card is for: the shared picker, a page at a time."""
    return await picker.pick_young_person(ctx, session, person, PICK.letter)


@tap(Role.THERAPIST, callbacks.AddCardFor)
@guard.for_young_person("card", lambda data: data.person_id)
async def card_for(ctx: Context, session: AsyncSession, person: Person,
                   data: callbacks.AddCardFor, young: Person) -> Result:
    person.pending = {"kind": "card_photo", "young": young.id}
    return Result(toast="📷").say(ctx.locale("card.send_photo", name=young.display_name))


@pending("card_photo")
async def card_photo(ctx: Context, session: AsyncSession, person: Person,
                     payload: str | Media) -> Result:
    if not isinstance(payload, Media) or payload.kind is not MediaKind.PHOTO:
        return Result().say(ctx.locale("card.need_photo"))
    if payload.data is None:  # still waiting for it: they can send it again
        return Result().say(ctx.locale(payload.why_no_data()))
    young = await guard.young_person_of(ctx, session, person,
                                        int((person.pending or {})["young"]), "card",
                                        waiting=True)
    if isinstance(young, Result):  # they left the caseload since the tap
        return young
    young_id = young.id
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
    # Checked again: they may have left the caseload since the photo came.
    young = await guard.young_person_of(ctx, session, person, int(draft["young"]), "card",
                                        waiting=True)
    if isinstance(young, Result):
        return young
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
    return tuple((Button(labelled(ctx.engine.vocabulary[f.symbol].emoji, f.title),
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

