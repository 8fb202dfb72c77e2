"""The therapist's side: inviting young people, the caseload at a glance, and the pre-meeting
summary (a PDF, one picture and a short message).

Meetings, "you said" and supporters are feature modules (bot/service/features/); the
young-person picker they share lives here.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Sequence
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from bot.service import callbacks
from bot.service.routes import ROUTES, command, tap
from bot.service.types import Attachment, Button, Command, Event, Keyboard, Reply, Result
from bot.store import repo, therapist_repo
from bot.store.models import InvitationKind, Person, Role
from bot.summary import load, words
from bot.summary.model import Summary
from bot.summary.picture import render_picture
from bot.summary.text import short_text
from bot.timeutil import as_utc, utcnow

if TYPE_CHECKING:
    from bot.service.conversation import Context

PAGE_SIZE = 10  # people per page of a picker or of /caseload (Telegram keyboards stay small)
_PICK_EMOJI = {"s": "📄", "m": "🗓️", "y": "💬", "v": "👪"}


async def message(ctx: Context, session: AsyncSession, person: Person, event: Event) -> Result:
    """Words or pictures outside a command. Supporters have their own conversation."""
    if person.role == Role.SUPPORTER:
        from bot.service.features import supporter  # a feature module; loaded at start-up

        return await supporter.message(ctx, session, person, event)
    if person.role != Role.THERAPIST and (person.role, "help") in ROUTES.commands:
        return await ROUTES.commands[(person.role, "help")](ctx, session, person,
                                                            Command("help"))
    return Result().say(help_text(ctx))


@command(Role.THERAPIST, "help", "start")
async def help_(ctx: Context, session: AsyncSession, person: Person, _: Command) -> Result:
    return Result().say(help_text(ctx))


def help_text(ctx: Context) -> str:
    """Every therapist command with its description (so a new feature lists itself)."""
    say = ctx.locale
    lines = [say("th.help_title")]
    for name in ROUTES.menus.get(Role.THERAPIST, []):
        key = next((k for k in (f"th.command.{name}", f"command.{name}") if say.has(k)), None)
        if name != "start" and key is not None:
            lines.append(f"/{name}: {say(key)}")
    return "\n".join(lines)


@command(Role.THERAPIST, "privacy")
async def privacy(ctx: Context, session: AsyncSession, person: Person, _: Command) -> Result:
    return Result().say(ctx.locale("privacy_short"))


@command(Role.THERAPIST, "invite")
async def invite(ctx: Context, session: AsyncSession, person: Person, _: Command) -> Result:
    code = await repo.create_invitation(session, kind=InvitationKind.YOUNG_PERSON,
                                        days=ctx.invitation_days, created_by=person)
    repo.audit(session, person, "invitation_created")
    username = await ctx.bot_username(session)
    link = f"https://t.me/{username}?start={code}" if username else f"/start {code}"
    made = ctx.locale("invite_made", days=ctx.invitation_days, link=link, code=code)
    return Result().say(f"{ctx.locale('th.invite_supporter_hint')}\n\n{made}")


# --- picking a young person -------------------------------------------------------------------


def _pick_data(purpose: str, person_id: int) -> str:
    if purpose == "m":
        return callbacks.MeetingTap("p", person_id).pack()
    if purpose == "y":
        return callbacks.YouSaidTap("p", person_id).pack()
    if purpose == "v":
        return callbacks.SupporterTap("p", person_id).pack()
    return callbacks.PickPerson("s", person_id).pack()


def _pages(count: int) -> int:
    return max(1, (count + PAGE_SIZE - 1) // PAGE_SIZE)


def _nav(page: int, count: int, data: Callable[[int], str]) -> tuple[Button, ...]:
    row = []
    if page > 0:
        row.append(Button("◀️", data(page - 1)))
    if page + 1 < _pages(count):
        row.append(Button(f"▶️ {page + 2}/{_pages(count)}", data(page + 1)))
    return tuple(row)


def people_buttons(people: Sequence[Person], purpose: str, page: int) -> Keyboard:
    page = min(max(0, page), _pages(len(people)) - 1)
    shown = people[page * PAGE_SIZE:(page + 1) * PAGE_SIZE]
    emoji = _PICK_EMOJI.get(purpose, "👤")
    rows = [(Button(f"{emoji} {p.display_name}", _pick_data(purpose, p.id)),) for p in shown]
    nav = _nav(page, len(people), lambda n: callbacks.PickPage(purpose, n).pack())
    return tuple(rows + ([nav] if nav else []))


async def pick_young_person(ctx: Context, session: AsyncSession, person: Person, purpose: str,
                            page: int = 0, *, edit: bool = False) -> Result:
    """The therapist's young people as buttons (a page at a time), for one purpose."""
    people = await repo.caseload(session, person.id)
    if not people:
        return Result().say(ctx.locale("caseload_empty"))
    return Result().say(ctx.locale(f"th.pick.{purpose}"), people_buttons(people, purpose, page),
                        edit=edit)


@tap(Role.THERAPIST, callbacks.PickPage)
async def picked_page(ctx: Context, session: AsyncSession, person: Person,
                      data: callbacks.PickPage) -> Result:
    result = await pick_young_person(ctx, session, person, data.purpose, data.page, edit=True)
    result.toast = ""
    return result


@tap(Role.THERAPIST, callbacks.PickPerson)
async def picked(ctx: Context, session: AsyncSession, person: Person,
                 data: callbacks.PickPerson) -> Result:
    if data.purpose == "s":
        return await summary(ctx, session, person, data.person_id)
    return Result(toast=ctx.locale("not_allowed"))


# --- the caseload -----------------------------------------------------------------------------


@command(Role.THERAPIST, "caseload")
async def caseload(ctx: Context, session: AsyncSession, person: Person, _: Command) -> Result:
    return await caseload_page(ctx, session, person, 0)


@tap(Role.THERAPIST, callbacks.CaseloadPage)
async def caseload_turn(ctx: Context, session: AsyncSession, person: Person,
                        data: callbacks.CaseloadPage) -> Result:
    result = await caseload_page(ctx, session, person, data.page, edit=True)
    result.toast = ""
    return result


async def caseload_page(ctx: Context, session: AsyncSession, person: Person, page: int, *,
                        edit: bool = False) -> Result:
    say = ctx.locale
    today = as_utc(utcnow()).date()
    rows = await therapist_repo.caseload_overview(session, person.id, today)
    if not rows:
        return Result().say(say("caseload_empty"))
    page = min(max(0, page), _pages(len(rows)) - 1)
    shown = rows[page * PAGE_SIZE:(page + 1) * PAGE_SIZE]
    repo.audit(session, person, "read_caseload", detail=f"page {page + 1}")
    lines = [say("th.caseload_title", count=len(rows))]
    lines += [_caseload_lines(ctx, row) for row in shown]
    if _pages(len(rows)) > 1:
        lines.append(say("th.page", page=page + 1, pages=_pages(len(rows))))
    buttons = [(Button(f"📄 {r.person.display_name}",
                       callbacks.PickPerson("s", r.person.id).pack()),)
               for r in shown]
    nav = _nav(page, len(rows), lambda n: callbacks.CaseloadPage(n).pack())
    return Result().say("\n\n".join(lines), tuple(buttons + ([nav] if nav else [])), edit=edit)


def _caseload_lines(ctx: Context, row: therapist_repo.CaseloadRow) -> str:
    say = ctx.locale
    young = row.person
    when = (f"{as_utc(young.last_active_at):%d %b %Y %H:%M}" if young.last_active_at
            else say("never"))
    since = words.short_day(row.last_meeting) if row.last_meeting else say("th.the_start")
    new = say("th.caseload_new", count=row.new_shared) if row.new_shared else ""
    meeting = words.short_day(row.next_meeting) if row.next_meeting else say("th.not_set")
    if row.listened:
        listened = f"{words.LISTENED_EMOJI[row.listened]} {words.listened(say, row.listened)}"
    else:
        listened = say("th.listened_waiting") if row.you_said_waiting else "–"
    return say("th.caseload_line", name=young.display_name, when=when, since=since,
               done=row.done_since, shared=row.shared_since, new=new, meeting=meeting,
               listened=listened)


# --- the summary ------------------------------------------------------------------------------


@command(Role.THERAPIST, "summary")
async def pick_for_summary(ctx: Context, session: AsyncSession, person: Person,
                           _: Command) -> Result:
    return await pick_young_person(ctx, session, person, "s")


async def summary(ctx: Context, session: AsyncSession, person: Person,
                  young_person_id: int) -> Result:
    """The PDF, the picture and a short message. Read (and audited) inside the transaction;
    drawn after it commits, off the event loop, so nobody else waits for it."""
    say = ctx.locale
    try:
        built = await load.summary_for(session, ctx.engine, say, person, young_person_id,
                                       utcnow())
    except load.NotAllowed:
        return Result(toast=say("not_allowed")).say(say("not_allowed"))
    name = built.young_person.name
    if not built.shared_count and not built.supporter_count:
        ever = (await repo.shared_counts(session, [young_person_id])).get(young_person_id, 0)
        key = "th.summary_none_since" if ever else "summary_none"
        return Result(toast="📭").say(say(key, name=name))
    return summary_replies(ctx, built)


def summary_replies(ctx: Context, built: Summary) -> Result:
    say = ctx.locale
    name = built.young_person.name
    made = as_utc(built.made_at).date()

    async def pdf() -> bytes:
        # Imported when a summary is asked for: fpdf2 is about 20 MB the bot need not carry
        # from start-up (bench/throughput.py's memory figure).
        from bot.summary.pdf import render_pdf

        return await asyncio.to_thread(render_pdf, built, say)

    async def picture_jpeg() -> bytes:
        return await asyncio.to_thread(render_picture, built, say, "JPEG")

    document = Attachment("document", b"", filename=summary_filename(name, made, "pdf"),
                          make=pdf)
    picture = Attachment("photo", b"", filename="summary.jpg", make=picture_jpeg)
    return (Result(toast="📄")
            .say_reply(Reply(say("th.summary_pdf_caption", name=name), attachment=document))
            .say_reply(Reply(say("th.summary_picture_caption", name=name), attachment=picture))
            .say(short_text(built, say)))


def summary_filename(name: str, made: date, extension: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "young-person"
    return f"mysay-summary-{slug[:30]}-{made:%Y-%m-%d}.{extension}"
