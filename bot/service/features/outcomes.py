"""/outcomes (therapist): the outcomes in a young person's EHC plan, which "How am I getting
on?" asks them about one at a time (issue 14, point 3).

Pick a young person (the shared picker, purpose "o"); their list; add one (type its words,
then give it a symbol, send a picture, or skip); change its words or picture; remove it (asked
first). Every tap names the young person and goes through the guard, so a therapist without
them is refused and audited; adding, changing and removing are audited. A removed outcome is
kept (ended), so the views given about it keep its words.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from bot.engine.flows import MAX_OUTCOMES
from bot.engine.vocabulary import labelled
from bot.service import callbacks, guard, picker
from bot.service.routes import command, pending, tap
from bot.service.types import Button, Command, Keyboard, Media, MediaKind, Result
from bot.store import media_repo, outcome_repo, repo
from bot.store.models import Outcome, Person, Role

if TYPE_CHECKING:
    from bot.service.conversation import Context

MAX_OUTCOME_WORDS = 120  # short: the young person reads it on a card
WORDS_KIND = "outcome_words"
PICTURE_KIND = "outcome_picture"
# Symbols a therapist can give an outcome (ids in media/symbols.yaml): communication,
# friendships, learning, independence, health and feelings, the usual areas of an EHC plan.
SYMBOLS = ("talking", "listen_to_me", "friend", "reading", "writing", "maths", "help",
           "calm", "bus", "money", "eating_well", "exercise")

PICK = picker.purpose("o", "outcomes.pick_person", "🎯",
                      lambda young_id: callbacks.OutcomeTap("p", young_id).pack())


def _tap(op: str, young: Person, outcome: int | None = None, ref: str | None = None) -> str:
    return callbacks.OutcomeTap(op, young.id, outcome, ref).pack()  # type: ignore[arg-type]


@command(Role.THERAPIST, "outcomes")
async def outcomes(ctx: Context, session: AsyncSession, person: Person, _: Command) -> Result:
    """Whose outcomes: the shared picker, a page at a time."""
    return await picker.pick_young_person(ctx, session, person, PICK.letter)


async def _list(ctx: Context, session: AsyncSession, young: Person, lead: str | None = None,
                *, edit: bool = False) -> Result:
    """The young person's current outcomes, one button each (to change or remove), and Add."""
    say = ctx.locale
    current = await outcome_repo.current(session, young.id)
    lines = [f"{n}. {labelled(_emoji(ctx, o), o.words)}" for n, o in enumerate(current, 1)]
    body = "\n".join(lines) if lines else say("outcomes.none", name=young.display_name)
    text = "\n\n".join(p for p in (lead, say("outcomes.list", name=young.display_name), body)
                       if p)
    rows: list[tuple[Button, ...]] = [
        (Button(f"✏️ {n}. {o.words}"[:60], _tap("e", young, o.id)),)
        for n, o in enumerate(current, 1)]
    if len(current) < MAX_OUTCOMES:
        rows.append((Button(say("outcomes.add"), _tap("a", young)),))
    else:
        text += "\n\n" + say("outcomes.full", limit=MAX_OUTCOMES)
    return Result(toast="").say(text, tuple(rows), edit=edit)


def _emoji(ctx: Context, outcome: Outcome) -> str:
    if outcome.media_id is not None:
        return "🖼️"
    if outcome.symbol_id in ctx.engine.vocabulary:
        return ctx.engine.vocabulary[outcome.symbol_id].emoji
    return "🎯"


def _picture_buttons(ctx: Context, young: Person, outcome: Outcome) -> Keyboard:
    """Symbols to choose from (three a row), then "Send a picture" and "No picture"."""
    known = [s for s in SYMBOLS if s in ctx.engine.vocabulary]
    symbols = [Button(labelled(ctx.engine.vocabulary[s].emoji, ctx.engine.vocabulary[s].words),
                      _tap("s", young, outcome.id, callbacks.short_ref(s))) for s in known]
    rows = [tuple(symbols[i:i + 3]) for i in range(0, len(symbols), 3)]
    rows.append((Button(ctx.locale("outcomes.send_picture"), _tap("i", young, outcome.id)),))
    rows.append((Button(ctx.locale("outcomes.no_picture"), _tap("k", young, outcome.id)),))
    return tuple(rows)


@tap(Role.THERAPIST, callbacks.OutcomeTap)
@guard.for_young_person("outcomes", lambda data: data.person_id)
async def on_tap(ctx: Context, session: AsyncSession, person: Person,
                 data: callbacks.OutcomeTap, young: Person) -> Result:
    """Every /outcomes button, for a young person `person` may act for (the guard)."""
    say = ctx.locale
    if data.op == "p":
        return await _list(ctx, session, young, edit=True)
    if data.op == "a":
        person.pending = {"kind": WORDS_KIND, "young": young.id}
        return Result(toast="✏️").say(say("outcomes.type_words", name=young.display_name,
                                          limit=MAX_OUTCOME_WORDS))
    outcome = (await outcome_repo.one(session, young.id, data.outcome, for_update=True)
               if data.outcome is not None else None)
    if outcome is None:  # removed since, or never theirs: the list as it is now
        return await _list(ctx, session, young, say("stale_button"), edit=True)
    return await _for_outcome(ctx, session, person, data, young, outcome)


async def _for_outcome(ctx: Context, session: AsyncSession, person: Person,
                       data: callbacks.OutcomeTap, young: Person, outcome: Outcome) -> Result:
    """The buttons that name one of the young person's current outcomes."""
    say = ctx.locale
    if data.op == "e":
        rows = ((Button(say("outcomes.change_words"), _tap("w", young, outcome.id)),),
                (Button(say("outcomes.change_picture"), _tap("g", young, outcome.id)),),
                (Button(say("outcomes.remove"), _tap("r", young, outcome.id)),),
                (Button(say("outcomes.back"), _tap("p", young)),))
        return Result(toast="").say(say("outcomes.what_now", words=outcome.words), rows,
                                    edit=True)
    if data.op == "w":
        person.pending = {"kind": WORDS_KIND, "young": young.id, "outcome": outcome.id}
        return Result(toast="✏️").say(say("outcomes.type_new_words", words=outcome.words,
                                          limit=MAX_OUTCOME_WORDS))
    if data.op == "g":
        return Result(toast="").say(say("outcomes.pick_picture", words=outcome.words),
                                    _picture_buttons(ctx, young, outcome), edit=True)
    if data.op == "s":
        picked = callbacks.ref_index(data.ref, list(SYMBOLS))
        if picked is None or SYMBOLS[picked] not in ctx.engine.vocabulary:
            return await _list(ctx, session, young, say("stale_button"), edit=True)
        outcome_repo.change(outcome, symbol_id=SYMBOLS[picked])
        repo.audit(session, person, "outcome_changed", young, detail=f"outcome {outcome.id}")
        return await _list(ctx, session, young, say("outcomes.saved"), edit=True)
    if data.op == "i":
        person.pending = {"kind": PICTURE_KIND, "young": young.id, "outcome": outcome.id}
        return Result(toast="📷").say(say("outcomes.send_photo", words=outcome.words))
    if data.op == "k":
        return await _list(ctx, session, young, say("outcomes.saved"), edit=True)
    if data.op == "r":
        rows = ((Button(say("outcomes.remove_yes"), _tap("y", young, outcome.id)),),
                (Button(say("outcomes.remove_no"), _tap("p", young)),))
        return Result(toast="").say(say("outcomes.remove_sure", words=outcome.words), rows,
                                    edit=True)
    outcome_repo.end(outcome)  # "y": kept, ended, so earlier views keep its words
    repo.audit(session, person, "outcome_removed", young, detail=f"outcome {outcome.id}")
    return await _list(ctx, session, young, say("outcomes.removed", words=outcome.words),
                       edit=True)


async def _waiting_for(ctx: Context, session: AsyncSession, person: Person
                       ) -> tuple[Person, Outcome | None] | Result:
    """The young person (checked again: they may have left the caseload since the tap) and
    the outcome being changed (None when adding), or the reply to give instead."""
    draft = person.pending or {}
    young = await guard.young_person_of(ctx, session, person, int(draft.get("young", 0)),
                                        "outcomes", waiting=True)
    if isinstance(young, Result):
        return young
    if "outcome" not in draft:
        return young, None
    outcome = await outcome_repo.one(session, young.id, int(draft["outcome"]), for_update=True)
    if outcome is None:  # removed in the meantime
        person.pending = {}
        return await _list(ctx, session, young, ctx.locale("stale_button"))
    return young, outcome


@pending(WORDS_KIND)
async def outcome_words(ctx: Context, session: AsyncSession, person: Person,
                        payload: str | Media) -> Result:
    """The words of a new outcome (then: a symbol, a picture or none), or an outcome's new
    words."""
    words = payload.strip() if isinstance(payload, str) else ""
    if not words or len(words) > MAX_OUTCOME_WORDS:
        return Result().say(ctx.locale("outcomes.need_words", limit=MAX_OUTCOME_WORDS))
    found = await _waiting_for(ctx, session, person)
    if isinstance(found, Result):
        return found
    young, outcome = found
    person.pending = {}
    if outcome is not None:
        outcome_repo.change(outcome, words=words)
        repo.audit(session, person, "outcome_changed", young, detail=f"outcome {outcome.id}")
        return await _list(ctx, session, young, ctx.locale("outcomes.saved"))
    try:
        outcome = await outcome_repo.add(session, young_person_id=young.id,
                                         created_by_id=person.id, words=words)
    except ValueError:  # the list filled up since the tap
        return await _list(ctx, session, young, ctx.locale("outcomes.full", limit=MAX_OUTCOMES))
    repo.audit(session, person, "outcome_added", young, detail=f"outcome {outcome.id}")
    return Result().say(ctx.locale("outcomes.pick_picture", words=outcome.words),
                        _picture_buttons(ctx, young, outcome))


@pending(PICTURE_KIND)
async def outcome_picture(ctx: Context, session: AsyncSession, person: Person,
                          payload: str | Media) -> Result:
    """A photo for an outcome (kept as the young person's, like their picture cards)."""
    if not isinstance(payload, Media) or payload.kind is not MediaKind.PHOTO:
        return Result().say(ctx.locale("outcomes.need_photo"))
    if payload.data is None:  # still waiting for it: they can send it again
        return Result().say(ctx.locale(payload.why_no_data()))
    found = await _waiting_for(ctx, session, person)
    if isinstance(found, Result):
        return found
    young, outcome = found
    person.pending = {}
    if outcome is None:
        return await _list(ctx, session, young, ctx.locale("stale_button"))
    media_id = await media_repo.keep(session, owner_id=young.id, kind="card",
                                     mime_type=payload.mime_type or "image/jpeg",
                                     data=payload.data, telegram_file_id=payload.file_id)
    outcome_repo.change(outcome, media_id=media_id)
    repo.audit(session, person, "outcome_changed", young, detail=f"outcome {outcome.id}")
    return await _list(ctx, session, young, ctx.locale("outcomes.saved"))
