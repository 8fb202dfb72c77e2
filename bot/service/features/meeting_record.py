"""/agreed: after a meeting, the therapist records in the chat what was agreed (outcomes and
decisions) and the next steps, one short item per message, and taps Done.

The record is kept per meeting (`meeting_records`, encrypted), only once the meeting has
happened (its date has passed, or the therapist taps "The meeting has happened"). Until Done
the last item of either part can be removed; after Done it is final. It feeds /yousaid (each
item is offered as a "so we will") and the next summary ("Since the last meeting"). The
therapist's `pending` holds only the record id and which part is open, never the words.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.service import callbacks, guard, picker
from bot.service.features import meetings
from bot.service.routes import command, pending, tap
from bot.service.types import Button, Command, Media, Result
from bot.store import repo, therapist_repo
from bot.store.models import Meeting, MeetingRecord, Person, Role
from bot.summary import words
from bot.summary.load import record_texts
from bot.timeutil import utcnow

if TYPE_CHECKING:
    from bot.service.conversation import Context

KIND = "meeting_record"
FEATURE = "meeting_record"  # refusals are audited as refused_meeting_record
MAX_LETTERS = 200  # one short item
MAX_ITEMS = 15  # in each part
AGREED, NEXT = "a", "n"
# The record as listed in one message, leaving room for the question around it: Telegram
# shows 4096 characters at most, and 2 x 15 items of 200 letters would be about 6,000.
LISTING_LETTERS = 3000
MIN_SHOWN = 40  # letters of an item always shown (2 x MAX_ITEMS x 46 still fits)

PICK = picker.purpose("r", "mr.pick", "📝",
                      lambda young_id: callbacks.MeetingRecordTap("p", young_id).pack())


@command(Role.THERAPIST, "agreed")
async def agreed(ctx: Context, session: AsyncSession, person: Person, _: Command) -> Result:
    return await picker.pick_young_person(ctx, session, person, PICK.letter)


@tap(Role.THERAPIST, callbacks.MeetingRecordTap)
async def on_tap(ctx: Context, session: AsyncSession, person: Person,
                 data: callbacks.MeetingRecordTap) -> Result:
    if data.op in ("p", "h"):  # these name the young person; the others a record
        return await _start(ctx, session, person, data)
    found = await _record(ctx, session, person, data.ident)
    if isinstance(found, Result):
        return found
    record, young, meeting = found
    if data.op == "n":
        return _ask(ctx, person, young, record, meeting, NEXT, edit=True)
    if data.op == "b":
        return _ask(ctx, person, young, record, meeting, AGREED, edit=True)
    if data.op == "u" and data.part is not None:
        items = _part(record, data.part)
        _set_part(record, data.part, items[:-1])
        return _ask(ctx, person, young, record, meeting, data.part, edit=True,
                    note=ctx.locale("mr.removed") if items else "")
    if data.op == "d":
        return _done(ctx, session, person, young, record)
    return Result(toast=ctx.locale("stale_button"))


async def _start(ctx: Context, session: AsyncSession, person: Person,
                 data: callbacks.MeetingRecordTap) -> Result:
    """A young person picked (p), or "The meeting has happened" tapped (h, naming the meeting:
    meetings.it_happened): the record of their newest meeting held, made if new; what is kept
    already if it is final. A "happened" button from before shows where things are now."""
    young = await guard.young_person_of(ctx, session, person, data.ident, FEATURE)
    if isinstance(young, Result):
        return young
    found = await meetings.meeting_to_close(
        ctx, session, person, young, data.op == "h", data.meeting, _happened_button(young),
        callbacks.MeetingRecordTap("p", young.id).pack())
    if isinstance(found, Result):
        return found
    meeting, note = found
    record = await therapist_repo.open_meeting_record(session, meeting, person.id)
    which, happened_row = await meetings.next_meeting_row(ctx, session, young,
                                                          _happened_button(young))
    if record.final_at is not None:
        return _already(ctx, young, record, meeting, note, which, happened_row)
    return _ask(ctx, person, young, record, meeting, AGREED, edit=True,
                note="\n\n".join(p for p in (note, which) if p), extra=happened_row)


def _happened_button(young: Person) -> Callable[[str], str]:
    """The callback data of "The meeting has happened" for `young`, given the meeting's ref."""
    return lambda ref: callbacks.MeetingRecordTap("h", young.id, None, ref).pack()


def _already(ctx: Context, young: Person, record: MeetingRecord, meeting: Meeting, note: str,
             which: str, happened_row: tuple[Button, ...] | None) -> Result:
    """The final record of the newest meeting held, as kept; with the next meeting's "The
    meeting has happened" button when one is set (so a meeting held since can be recorded),
    else how to record one held since."""
    say = ctx.locale
    text = say("mr.already", name=young.display_name, date=words.weekday(meeting.held_on))
    after = which if happened_row else say("mr.already_new", name=young.display_name)
    body = "\n\n".join(p for p in (note, text, listing(ctx, record), after) if p)
    return Result(toast="").say(body, (happened_row,) if happened_row else (), edit=True)


async def _record(ctx: Context, session: AsyncSession, person: Person, record_id: int, *,
                  waiting: bool = False
                  ) -> tuple[MeetingRecord, Person, Meeting] | Result:
    """The record, its young person and its meeting, only while it is not final and the
    young person is this therapist's now (bot.service.guard); else the refusal, audited."""
    record = await therapist_repo.meeting_record_by_id(session, record_id)
    meeting = await session.get(Meeting, record.meeting_id) if record is not None else None
    if record is None or record.final_at is not None or meeting is None:
        repo.audit(session, person, f"refused_{FEATURE}", detail=f"asked for record {record_id}")
        if waiting:
            person.pending = {}
        return guard.refusal(ctx, waiting=waiting)
    young = await guard.young_person_of(ctx, session, person, record.young_person_id, FEATURE,
                                        waiting=waiting)
    return young if isinstance(young, Result) else (record, young, meeting)


def _part(record: MeetingRecord, part: str) -> list[dict[str, Any]]:
    return list((record.agreed if part == AGREED else record.next_steps) or [])


def _set_part(record: MeetingRecord, part: str, items: list[dict[str, Any]]) -> None:
    # A new list, so the encrypted JSON column is written (it does not track changes inside).
    if part == AGREED:
        record.agreed = items
    else:
        record.next_steps = items
    record.updated_at = utcnow()


def listing(ctx: Context, record: MeetingRecord) -> str:
    """The record in words: what was agreed, then the next steps, numbered. When it would be
    too long for one message (Telegram shows 4096 characters), every item is shortened to the
    same length and a line says so (the record itself keeps every item in full)."""
    parts = [(key, record_texts(items)) for key, items in
             (("mr.agreed_title", record.agreed), ("mr.next_title", record.next_steps))]
    full = _listed(ctx, parts, None)
    if len(full) <= LISTING_LETTERS:
        return full
    count = sum(len(texts) for _, texts in parts)
    # Each item's share of the room, less its number ("15. ") and the line break.
    each = max(MIN_SHOWN, LISTING_LETTERS // max(count, 1) - 6)
    return f"{_listed(ctx, parts, each)}\n{ctx.locale('mr.shortened', limit=each)}"


def _listed(ctx: Context, parts: list[tuple[str, tuple[str, ...]]], limit: int | None) -> str:
    """The parts' titles and numbered items, each item cut to `limit` letters (None: whole)."""
    out = []
    for key, texts in parts:
        out.append(ctx.locale(key))
        out += ([f"{n}. {_clip(text, limit)}" for n, text in enumerate(texts, 1)]
                or [ctx.locale("mr.nothing")])
    return "\n".join(out)


def _clip(text: str, limit: int | None) -> str:
    return text if limit is None or len(text) <= limit else text[:limit - 1].rstrip() + "…"


def _ask(ctx: Context, person: Person, young: Person, record: MeetingRecord, meeting: Meeting,
         part: str, *, edit: bool, note: str = "",
         extra: tuple[Button, ...] | None = None) -> Result:
    """Ask for the items of one part (agreed, or next steps), with what is kept so far and the
    buttons to move on, remove the last item, or finish (and `extra`, a row above them)."""
    say = ctx.locale
    person.pending = {"kind": KIND, "record": record.id, "part": part}
    ask = (say("mr.ask_agreed", name=young.display_name, date=words.weekday(meeting.held_on))
           if part == AGREED else say("mr.ask_next"))
    rows: list[tuple[Button, ...]] = [extra] if extra else []
    move = (("n", "mr.to_next") if part == AGREED else ("b", "mr.back_agreed"))
    rows.append((Button(say(move[1]), callbacks.MeetingRecordTap(move[0], record.id).pack()),))
    if _part(record, part):
        rows.append((Button(say("mr.remove_last"),
                            callbacks.MeetingRecordTap("u", record.id, part).pack()),))
    rows.append((Button(say("mr.done"), callbacks.MeetingRecordTap("d", record.id).pack()),))
    text = "\n\n".join(p for p in (note, ask, f"{say('mr.so_far')}\n{listing(ctx, record)}") if p)
    return Result(toast="").say(text, tuple(rows), edit=edit)


def _done(ctx: Context, session: AsyncSession, person: Person, young: Person,
          record: MeetingRecord) -> Result:
    say = ctx.locale
    agreed, steps = record_texts(record.agreed), record_texts(record.next_steps)
    if not agreed and not steps:
        return Result(toast=say("mr.empty"))
    record.final_at = utcnow()
    person.pending = {}
    repo.audit(session, person, "meeting_recorded", young,
               detail=f"{len(agreed)} agreed, {len(steps)} next steps")
    text = say("mr.saved", name=young.display_name)
    return Result(toast="✅").say(f"{listing(ctx, record)}\n\n{text}", edit=True)


@pending(KIND)
async def typed(ctx: Context, session: AsyncSession, person: Person,
                payload: str | Media) -> Result:
    say = ctx.locale
    waiting: dict[str, Any] = dict(person.pending or {})
    found = await _record(ctx, session, person, int(waiting.get("record", 0)), waiting=True)
    if isinstance(found, Result):
        return found
    record, young, meeting = found
    part = NEXT if waiting.get("part") == NEXT else AGREED
    text = " ".join(payload.split()) if isinstance(payload, str) else ""
    if not text:
        return Result().say(say("mr.type_please"))
    if len(text) > MAX_LETTERS:
        return Result().say(say("mr.too_long", limit=MAX_LETTERS))
    items = _part(record, part)
    if len(items) >= MAX_ITEMS:
        return Result().say(say("mr.full", count=MAX_ITEMS))
    # Each item keeps its number; once the record is final, a button can name it by that.
    number = 1 + max((int(i.get("n", 0)) for i in [*_part(record, AGREED), *_part(record, NEXT)]
                      if isinstance(i.get("n"), int)), default=0)
    _set_part(record, part, [*items, {"n": number, "text": text}])
    return _ask(ctx, person, young, record, meeting, part, edit=False)
