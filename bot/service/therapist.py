"""The therapist's side: inviting young people, the caseload at a glance, and the pre-meeting
summary (a PDF, one picture and a short message).

Meetings, "you said" and supporters are feature modules (bot/service/features/); the
young-person picker they share is bot.service.picker, and the access check bot.service.guard.
"""

from __future__ import annotations

import asyncio
import re
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from bot.service import callbacks, guard, picker
from bot.service.routes import ROUTES, command, tap
from bot.service.types import Attachment, Button, Command, Event, Reply, Result
from bot.store import repo, therapist_repo
from bot.store.models import InvitationKind, Person, Role
from bot.summary import load, section_a, words
from bot.summary.model import Summary
from bot.summary.picture import render_picture
from bot.summary.text import SHORT_LIMIT, short_text
from bot.timeutil import as_utc, utcnow

if TYPE_CHECKING:
    from bot.service.conversation import Context



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


# --- picking a young person (bot.service.picker) ---------------------------------------------

SUMMARY = picker.purpose("s", "th.pick.s", "📄",
                         lambda young_id: callbacks.PickPerson("s", young_id).pack())
# Re-exported: the feature modules and older callers ask here.
pick_young_person = picker.pick_young_person
PAGE_SIZE = picker.PAGE_SIZE


@tap(Role.THERAPIST, callbacks.PickPerson)
async def picked(ctx: Context, session: AsyncSession, person: Person,
                 data: callbacks.PickPerson) -> Result:
    """A young person tapped in the summary picker or on /caseload ("s:<id>"). "p:<id>" is
    decoded too but reaches nothing: it gets the same refusal."""
    if data.purpose == "s":
        return await summary(ctx, session, person, data.person_id)
    young = await guard.young_person_of(ctx, session, person, data.person_id, "pick")
    return young if isinstance(young, Result) else guard.refusal(ctx)


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
    page = min(max(0, page), picker.pages(len(rows)) - 1)
    shown = rows[page * PAGE_SIZE:(page + 1) * PAGE_SIZE]
    repo.audit(session, person, "read_caseload", detail=f"page {page + 1}")
    lines = [say("th.caseload_title", count=len(rows))]
    lines += [_caseload_lines(ctx, row) for row in shown]
    if picker.pages(len(rows)) > 1:
        lines.append(say("th.page", page=page + 1, pages=picker.pages(len(rows))))
    buttons = [(Button(f"📄 {r.person.display_name}",
                       callbacks.PickPerson("s", r.person.id).pack()),)
               for r in shown]
    nav = picker.nav(page, len(rows), lambda n: callbacks.CaseloadPage(n).pack())
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
    return await picker.pick_young_person(ctx, session, person, SUMMARY.letter)


async def summary(ctx: Context, session: AsyncSession, person: Person,
                  young_person_id: int) -> Result:
    """The PDF, the picture and a short message. Read (and audited) inside the transaction;
    drawn after it commits, off the event loop, so nobody else waits for it."""
    say = ctx.locale
    young = await guard.young_person_of(ctx, session, person, young_person_id, "summary")
    if isinstance(young, Result):
        return young
    try:
        built = await load.summary_for(session, ctx.engine, say, person, young.id, utcnow())
    except load.NotAllowed:  # checked again where the answers are read (the audited way in)
        return guard.refusal(ctx)
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
    # The PDF and the picture come with one tap (the common case); Section A on its own, to
    # paste into a local authority's template, is one more tap under the short message.
    young_id = built.young_person.person_id
    extra = ((Button(say("section_a.button_docx"),
                     callbacks.SectionATap("w", young_id).pack()),
              Button(say("section_a.button_text"),
                     callbacks.SectionATap("t", young_id).pack())),)
    return (Result(toast="📄")
            .say_reply(Reply(say("th.summary_pdf_caption", name=name), attachment=document))
            .say_reply(Reply(say("th.summary_picture_caption", name=name), attachment=picture))
            .say(f"{short_text(built, say)}\n\n{say('section_a.offer')}", extra))


@tap(Role.THERAPIST, callbacks.SectionATap)
@guard.for_young_person("summary", lambda data: data.person_id)
async def section_a_only(ctx: Context, session: AsyncSession, person: Person,
                         data: callbacks.SectionATap, young: Person) -> Result:
    """Section A on its own: a Word document ("w") or text messages to paste ("t"). The
    summary is read again the one audited way (load.summary_for), for a therapist the guard
    let through; anyone else gets the refusal, audited."""
    say = ctx.locale
    try:
        built = await load.summary_for(session, ctx.engine, say, person, young.id, utcnow())
    except load.NotAllowed:
        return guard.refusal(ctx)
    name = built.young_person.name
    if data.op == "t":
        text = section_a.plain_text(say, built.section_a, name, words.day(built.period_start),
                                    words.day(built.period_end))
        result = Result(toast="📋").say(say("section_a.text_lead", name=name))
        for chunk in text_chunks(text, SHORT_LIMIT):
            result.say(chunk)
        return result

    async def docx() -> bytes:
        # Imported when asked for, like the PDF: python-docx (and lxml) need not load at
        # start-up.
        from bot.summary.docx import section_a_docx

        return await asyncio.to_thread(section_a_docx, built, say)

    made = as_utc(built.made_at).date()
    document = Attachment("document", b"", make=docx,
                          filename=summary_filename(name, made, "docx", what="section-a"))
    return Result(toast="📝").say_reply(Reply(say("section_a.docx_caption", name=name),
                                             attachment=document))


def text_chunks(text: str, limit: int) -> list[str]:
    """`text` in messages of at most `limit` characters, broken between lines (each line of
    Section A is one sentence or one quote, so none is cut); a single longer line is cut at
    the limit."""
    chunks: list[str] = []
    current = ""
    for line in text.split("\n"):
        for piece in (line[i:i + limit] for i in range(0, len(line) or 1, limit)):
            joined = f"{current}\n{piece}" if current else piece
            if len(joined) <= limit:
                current = joined
            else:
                chunks.append(current)
                current = piece
    return [c for c in [*chunks, current] if c.strip()]


def summary_filename(name: str, made: date, extension: str, *, what: str = "summary") -> str:
    """'mysay-summary-jo-2026-03-20.pdf' (`what` names the file's content)."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "young-person"
    return f"mysay-{what}-{slug[:30]}-{made:%Y-%m-%d}.{extension}"
