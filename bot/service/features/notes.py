"""/note: the therapist's notes on a finished activity (issue 14, point 9).

A Talking Mat's placements are not the whole view: the record names who facilitated it and the
facilitator's notes (hesitations, non-verbal responses, changes of mind). The therapist picks a
young person (bot.service.picker), then one of their finished, shared activities (newest
first, a page at a time), then types the note. Several notes per activity are allowed. Every
note is audited; a therapist who does not have the young person is refused
(bot.service.guard). The therapist's `pending` holds only the run id, never the words.

The notes are shown in the summary labelled as the therapist's notes, never as the young
person's words, and are in the young person's own /mydata export (subject access).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.service import callbacks, guard, picker
from bot.service.routes import command, pending, tap
from bot.service.types import Button, Command, Keyboard, Media, Result
from bot.store import repo, therapist_repo
from bot.store.models import FlowRun, Person, Role
from bot.summary import words
from bot.timeutil import as_utc

if TYPE_CHECKING:
    from bot.service.conversation import Context

KIND = "note"  # person.pending["kind"] while the note is typed
FEATURE = "note"  # refusals are audited as refused_note
PAGE_SIZE = 8  # activities per page
MAX_LETTERS = 1500  # one note: long enough for a session's observations, short enough to read

PICK = picker.purpose("n", "note.pick", "📝",
                      lambda young_id: callbacks.NoteTap("p", young_id).pack())


@command(Role.THERAPIST, "note")
async def note(ctx: Context, session: AsyncSession, person: Person, _: Command) -> Result:
    """/note: which young person's activity to add a note to (the paged picker)."""
    return await picker.pick_young_person(ctx, session, person, PICK.letter)


@tap(Role.THERAPIST, callbacks.NoteTap)
async def on_tap(ctx: Context, session: AsyncSession, person: Person,
                 data: callbacks.NoteTap) -> Result:
    """A young person picked (p), another page of their activities (g), or an activity (r):
    each checked by the guard for the young person it names or the run is about."""
    if data.op in ("p", "g"):
        young = await guard.young_person_of(ctx, session, person, data.ident, FEATURE)
        if isinstance(young, Result):
            return young
        return await _activities(ctx, session, young, data.page or 0)
    found = await _run(ctx, session, person, data.ident)
    if isinstance(found, Result):
        return found
    run, young = found
    person.pending = {"kind": KIND, "run": run.id}
    return Result(toast="📝").say(ctx.locale("note.ask", title=_title(ctx, run),
                                             date=words.short_day(_when(run)),
                                             name=young.display_name))


async def _run(ctx: Context, session: AsyncSession, person: Person, run_id: int, *,
               waiting: bool = False) -> tuple[FlowRun, Person] | Result:
    """The finished, shared run `run_id` and the young person it is about, if `person` may act
    for them; else the refusal (audited). Nothing is changed on refusal."""
    run = await therapist_repo.noteable_run(session, run_id)
    if run is None:
        repo.audit(session, person, f"refused_{FEATURE}", detail=f"asked for run {run_id}")
        if waiting:
            person.pending = {}
        return guard.refusal(ctx, waiting=waiting)
    young = await guard.young_person_of(ctx, session, person, therapist_repo.run_subject(run),
                                        FEATURE, waiting=waiting)
    return young if isinstance(young, Result) else (run, young)


def _when(run: FlowRun) -> Any:
    return as_utc(run.finished_at or run.updated_at)


def _title(ctx: Context, run: FlowRun) -> str:
    flow = ctx.engine.flows.get(run.flow_id)
    return flow.title if flow is not None else run.flow_id.replace("_", " ").capitalize()


async def _activities(ctx: Context, session: AsyncSession, young: Person, page: int) -> Result:
    """A page of the young person's finished, shared activities, newest first: one button
    each (date and title), then ◀️ / ▶️. Edits the picker's message in place."""
    say = ctx.locale
    page = max(0, page)
    runs, total = await therapist_repo.finished_shared_runs(session, young.id,
                                                            page * PAGE_SIZE, PAGE_SIZE)
    if not total:
        return Result(toast="").say(say("note.none", name=young.display_name), edit=True)
    if not runs:  # a page past the end (the list got shorter): show the last page
        return await _activities(ctx, session, young, picker_pages(total) - 1)
    rows: list[tuple[Button, ...]] = [
        (Button(f"📝 {words.short_day(_when(run))} · {_title(ctx, run)}{_whose(run, young)}",
                callbacks.NoteTap("r", run.id).pack()),) for run in runs]
    nav = _nav(young.id, page, total)
    keyboard: Keyboard = tuple(rows + ([nav] if nav else []))
    return Result(toast="").say(say("note.pick_activity", name=young.display_name), keyboard,
                                edit=True)


def _whose(run: FlowRun, young: Person) -> str:
    """A supporter's view is marked so on its button (its title alone could be the young
    person's own)."""
    return " 👪" if run.person_id != young.id else ""


def picker_pages(total: int) -> int:
    """How many pages of activities `total` fill (at least one)."""
    return max(1, (total + PAGE_SIZE - 1) // PAGE_SIZE)


def _nav(young_id: int, page: int, total: int) -> tuple[Button, ...]:
    row = []
    if page > 0:
        row.append(Button("◀️", callbacks.NoteTap("g", young_id, page - 1).pack()))
    if page + 1 < picker_pages(total):
        row.append(Button(f"▶️ {page + 2}/{picker_pages(total)}",
                          callbacks.NoteTap("g", young_id, page + 1).pack()))
    return tuple(row)


@pending(KIND)
async def typed(ctx: Context, session: AsyncSession, person: Person,
                payload: str | Media) -> Result:
    """The note's words: checked again against the guard (the young person may have left the
    caseload meanwhile), kept encrypted, audited. The activity stays chosen, so another note
    can follow with "Add another note"."""
    say = ctx.locale
    waiting: dict[str, Any] = dict(person.pending or {})
    found = await _run(ctx, session, person, int(waiting.get("run", 0) or 0), waiting=True)
    if isinstance(found, Result):
        return found
    run, young = found
    if isinstance(payload, Media):
        return Result().say(say("note.type_please"))
    text = payload.strip()
    if not text:
        return Result().say(say("note.type_please"))
    if len(text) > MAX_LETTERS:
        return Result().say(say("note.too_long", limit=MAX_LETTERS))
    therapist_repo.add_note(session, run, person, text)
    repo.audit(session, person, "add_note", young, detail=f"run {run.id}")
    person.pending = {}
    again = (Button(say("note.another"), callbacks.NoteTap("r", run.id).pack()),)
    return Result().say(say("note.kept", title=_title(ctx, run),
                            date=words.short_day(_when(run)), name=young.display_name),
                        (again,))
