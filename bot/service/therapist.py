"""The therapist's side: inviting young people, the caseload, and what they shared."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from bot.safety import access
from bot.service import callbacks
from bot.service.routes import command, tap
from bot.service.types import Button, Command, Event, Keyboard, Result
from bot.store import repo
from bot.store.models import InvitationKind, Person, Role
from bot.summary import text as summary_text
from bot.timeutil import as_utc

if TYPE_CHECKING:
    from bot.service.conversation import Context


async def message(ctx: Context, session: AsyncSession, person: Person, event: Event) -> Result:
    """Words or pictures a therapist sends outside a command: point them to what they can do."""
    return Result().say(ctx.locale("therapist_help"))


@command(Role.THERAPIST, "help", "start")
async def help_(ctx: Context, session: AsyncSession, person: Person, _: Command) -> Result:
    return Result().say(ctx.locale("therapist_help"))


@command(Role.THERAPIST, "privacy")
async def privacy(ctx: Context, session: AsyncSession, person: Person, _: Command) -> Result:
    return Result().say(ctx.locale("privacy_short"))


@tap(Role.THERAPIST, callbacks.PickPerson)
async def picked(ctx: Context, session: AsyncSession, person: Person,
                 data: callbacks.PickPerson) -> Result:
    if data.purpose == "s":
        return await summary(ctx, session, person, data.person_id)
    return Result(toast=ctx.locale("not_allowed"))


@command(Role.THERAPIST, "invite")
async def invite(ctx: Context, session: AsyncSession, person: Person, _: Command) -> Result:
    code = await repo.create_invitation(session, kind=InvitationKind.YOUNG_PERSON,
                                        days=ctx.invitation_days, created_by=person)
    repo.audit(session, person, "invitation_created")
    username = await ctx.bot_username(session)
    link = f"https://t.me/{username}?start={code}" if username else f"/start {code}"
    return Result().say(ctx.locale("invite_made", days=ctx.invitation_days, link=link, code=code))


@command(Role.THERAPIST, "caseload")
async def caseload(ctx: Context, session: AsyncSession, person: Person, _: Command) -> Result:
    say = ctx.locale
    people = await repo.caseload(session, person.id)
    if not people:
        return Result().say(say("caseload_empty"))
    shared = await repo.shared_counts(session, [p.id for p in people])
    lines = [say("caseload_title")]
    for young in people:
        when = (as_utc(young.last_active_at).strftime("%d %b %Y %H:%M")
                if young.last_active_at else say("never"))
        lines.append(say("caseload_line", name=young.display_name, when=when,
                         shared=shared.get(young.id, 0)))
    return Result().say("\n".join(lines), _people_buttons(people))


@command(Role.THERAPIST, "summary")
async def pick_for_summary(ctx: Context, session: AsyncSession, person: Person,
                           _: Command) -> Result:
    people = await repo.caseload(session, person.id)
    if not people:
        return Result().say(ctx.locale("caseload_empty"))
    return Result().say(ctx.locale("summary_pick"), _people_buttons(people))


async def summary(ctx: Context, session: AsyncSession, person: Person,
                  young_person_id: int) -> Result:
    young = await access.young_person_for(session, person, young_person_id)
    if young is None:
        repo.audit(session, person, "refused_summary", detail=f"asked for {young_person_id}")
        return Result(toast=ctx.locale("not_allowed")).say(ctx.locale("not_allowed"))
    repo.audit(session, person, "read_summary", young)
    runs = await repo.shared_runs(session, young.id)
    if not runs:
        return Result(toast="📭").say(ctx.locale("summary_none", name=young.display_name))
    result = Result(toast="📄")
    for chunk in await summary_text.shared_answers(ctx.engine, ctx.locale, session, young, runs):
        result.say(chunk)
    return result


def _people_buttons(people: Sequence[Person]) -> Keyboard:
    return tuple((Button(f"📄 {p.display_name}", callbacks.pick_person("s", p.id)),)
                 for p in people)
