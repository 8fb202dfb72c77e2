"""Privacy: the easy-read explanation, and the young person's rights, one command each.

/privacy shows the picture explanation again and the service's full notice; /mydata sends
everything held about them; /mine lets them change what is shared; /delete asks their
therapist (or the service admin) to erase everything, and tells them the answer.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from bot.engine.core import REVIEW, RunStatus
from bot.engine.vocabulary import labelled
from bot.render.cards import Tile
from bot.render.screens import Picture
from bot.safety import access, erase, export
from bot.service import callbacks, present, young_person
from bot.service.routes import command, pending, tap
from bot.service.types import Attachment, Button, Command, Keyboard, Media, Reply, Result
from bot.store import privacy_repo, repo
from bot.store.models import DeletionRequest, FlowRun, Person, Role
from bot.timeutil import as_utc, local, local_zone, utcnow

if TYPE_CHECKING:
    from bot.service.conversation import Context

log = logging.getLogger(__name__)

MINE_PAGE = 8
MINE_WORDS = 420  # letters of one flow's answers on /mine: a page of 8 fits one message
# How long "Make it private again" works after sharing from /mine: long enough to think again
# straight after, short enough that an old button in the chat does nothing surprising.
UNDO_WINDOW = timedelta(minutes=30)
REASON = "deletion_reason"  # person.pending kind while a therapist types why not
MAX_REASON = 500
CHUNK = 3800  # a long privacy notice is sent in parts (Telegram allows 4096 a message)
MAX_NOTICE_PARTS = 6


# --- the easy-read explanation ---------------------------------------------------------------


def explanation_picture(ctx: Context) -> Picture:
    say = ctx.locale
    tiles = (Tile(say("privacy.tile_keep"), "🔒"), Tile(say("privacy.tile_choose"), "👍"),
             Tile(say("privacy.tile_rights"), "🗑️"), Tile(say("privacy.tile_safe"), "🛟"))
    return Picture(say("privacy.card_title"), tiles, shared=True)  # locale words only


def hello_reply(ctx: Context, first_name: str, buttons: Keyboard) -> Reply:
    """The first hello, before anything is stored: the promise in words and pictures."""
    return Reply(ctx.locale("privacy.hello", name=first_name), buttons,
                 picture=explanation_picture(ctx))


@command(Role.YOUNG_PERSON, "privacy")
async def privacy(ctx: Context, session: AsyncSession, person: Person, _: Command) -> Result:
    result = Result().say_reply(Reply(ctx.locale("privacy.again"),
                                      picture=explanation_picture(ctx),
                                      look=young_person.look_of(person)))
    result.replies += notice_replies(ctx)
    return result


@command(Role.ADMIN, "privacy")
async def privacy_for_staff(ctx: Context, session: AsyncSession, person: Person,
                            _: Command) -> Result:
    result = Result().say(ctx.locale("privacy_short"))
    result.replies += notice_replies(ctx)
    return result


def privacy_notice(ctx: Context) -> str | None:
    """The service's own full privacy notice: a file (read each time, so edits show at once)
    or text from the settings."""
    settings = ctx.settings
    if settings.privacy_notice_file is not None:
        try:
            text = Path(settings.privacy_notice_file).read_text(encoding="utf-8").strip()
        except OSError:
            log.error("cannot read MYSAY_PRIVACY_NOTICE_FILE (%s)", settings.privacy_notice_file)
            text = ""
        if text:
            return text
    notice = (settings.privacy_notice or "").strip()
    return notice or None


def notice_replies(ctx: Context) -> list[Reply]:
    say = ctx.locale
    notice = privacy_notice(ctx)
    if notice is None:
        return [Reply(say("privacy.no_notice"))]
    parts = _parts(notice)
    if len(parts) > MAX_NOTICE_PARTS:  # very long: one file rather than a wall of messages
        return [Reply(say("privacy.notice_title"), attachment=Attachment(
            "document", notice.encode("utf-8"), "privacy-notice.txt"))]
    return [Reply(f"{say('privacy.notice_title')}\n\n{parts[0]}"),
            *(Reply(part) for part in parts[1:])]


def _parts(text: str) -> list[str]:
    parts: list[str] = []
    while len(text) > CHUNK:
        cut = text.rfind("\n", 0, CHUNK)
        cut = cut if cut > CHUNK // 2 else CHUNK
        parts.append(text[:cut].strip())
        text = text[cut:].strip()
    parts.append(text)
    return parts


# --- /mydata ---------------------------------------------------------------------------------


@command(Role.YOUNG_PERSON, "mydata")
async def my_data(ctx: Context, session: AsyncSession, person: Person, _: Command) -> Result:
    say = ctx.locale
    me = await access.young_person_for(session, person, person.id)
    if me is None:  # only ever themself; kept so every read goes through the one check
        return Result().say(say("not_allowed"))
    repo.audit(session, person, "export_own_data", me)
    found = await export.collect(session, ctx.engine, ctx.locale, me,
                                 local_zone(ctx.settings), utcnow())
    from bot.safety.export_pdf import readable_pdf  # fpdf2 loads only for this

    pdf = await asyncio.to_thread(readable_pdf, found, ctx.locale)
    archive = await asyncio.to_thread(export.data_zip, found)
    if len(archive) > export.MAX_ZIP_BYTES:
        log.warning("a /mydata file is too big for Telegram; sending it without media")
        archive = await asyncio.to_thread(export.data_zip, found, with_media=False)
    return (Result(toast="📄").say(say("mydata.sent"))
            .say_reply(Reply(say("mydata.pdf_caption"),
                             attachment=Attachment("document", pdf, "my-mysay.pdf")))
            .say_reply(Reply(say("mydata.zip_caption"),
                             attachment=Attachment("document", archive, "my-mysay-data.zip"))))


# --- /mine -----------------------------------------------------------------------------------


@command(Role.YOUNG_PERSON, "mine")
async def mine(ctx: Context, session: AsyncSession, person: Person, _: Command) -> Result:
    return await mine_page(ctx, session, person, 0)


@tap(Role.YOUNG_PERSON, callbacks.MinePage)
async def mine_turn(ctx: Context, session: AsyncSession, person: Person,
                    data: callbacks.MinePage) -> Result:
    result = await mine_page(ctx, session, person, data.page, edit=True)
    result.toast = ""
    return result


async def mine_page(ctx: Context, session: AsyncSession, person: Person, page: int, *,
                    edit: bool = False, lead: str | None = None) -> Result:
    say = ctx.locale
    runs, total = await privacy_repo.finished_runs(session, person.id,
                                                   offset=page * MINE_PAGE, limit=MINE_PAGE)
    if total == 0:
        return Result().say("\n\n".join(p for p in (lead, say("mine.none")) if p), edit=edit)
    pages = (total + MINE_PAGE - 1) // MINE_PAGE
    if not runs and page > 0:  # the list got shorter: show the last page there is
        return await mine_page(ctx, session, person, pages - 1, edit=edit, lead=lead)
    rows: list[tuple[Button, ...]] = [
        (Button(_row_label(ctx, run), callbacks.MineToggle(run.id, not run.shared, page).pack()),)
        for run in runs]
    turn = []
    if page + 1 < pages:
        turn.append(Button(say("mine.older"), callbacks.MinePage(page + 1).pack()))
    if page > 0:
        turn.append(Button(say("mine.newer"), callbacks.MinePage(page - 1).pack()))
    if turn:
        rows.append(tuple(turn))
    text = [lead, say("mine.title")]
    if pages > 1:
        text.append(say("mine.page", n=page + 1, total=pages))
    text += [await _said(ctx, session, run) for run in runs]
    return Result().say("\n\n".join(p for p in text if p), tuple(rows), edit=edit)


async def _said(ctx: Context, session: AsyncSession, run: FlowRun) -> str:
    """One finished flow on /mine: its title, then each answer as the review showed it (a
    Talking Mat with each card under its scale point, and the cards left off)."""
    lines = ctx.engine.review_lines(run.flow_id, repo.run_state(run).history,
                                    await repo.answers_of(session, run.id), run.options or {}) \
        if run.flow_id in ctx.engine.flows else ()
    said = "\n".join(f"  {labelled(line.emoji, line.topic or line.question)}: {line.answer}"
                     for line in lines)
    if len(said) > MINE_WORDS:
        said = said[:MINE_WORDS - 1].rstrip() + "…"
    return "\n".join(p for p in (_row_label(ctx, run), said) if p)


def _title(ctx: Context, run: FlowRun) -> str:
    flow = ctx.engine.flows.get(run.flow_id)
    return flow.title if flow else run.flow_id


def _row_label(ctx: Context, run: FlowRun) -> str:
    when = local(run.finished_at or run.updated_at, ctx.settings).strftime("%d %b")
    key = "mine.row_shared" if run.shared else "mine.row_private"
    return ctx.locale(key, title=_title(ctx, run), date=when)


@tap(Role.YOUNG_PERSON, callbacks.MineToggle)
async def mine_toggle(ctx: Context, session: AsyncSession, person: Person,
                      data: callbacks.MineToggle) -> Result:
    """A tap on one finished flow in /mine. Sharing is a choice they see (issue 15, point 8):
    a private one is not shared yet, they are shown what would be shared and asked
    (`preview`). Keeping a shared one private needs no question: it is done at once. The
    button says which, so a double tap is harmless."""
    say = ctx.locale
    run = await _own_run(ctx, session, person, data.run_id, data.page)
    if isinstance(run, Result):
        return run
    if data.share and not run.shared:
        return await preview(ctx, session, person, run, data.page)
    if not data.share:
        _set_shared(session, person, run, False)
    note = say("mine.now_shared" if run.shared else "mine.now_private", title=_title(ctx, run))
    result = await mine_page(ctx, session, person, data.page, edit=True, lead=note)
    result.toast = say("toast.shared") if run.shared else "🔒"
    return result


async def _own_run(ctx: Context, session: AsyncSession, person: Person, run_id: int,
                   page: int) -> FlowRun | Result:
    """Their own finished run `run_id`, or (not theirs, not finished, gone) the refusal:
    audited, with their list as it is now."""
    run = await privacy_repo.own_finished_run(session, run_id, person.id)
    if run is not None:
        return run
    repo.audit(session, person, "refused_sharing", detail=f"asked for run {run_id}")
    result = await mine_page(ctx, session, person, page, edit=True,
                             lead=ctx.locale("mine.gone"))
    result.toast = ctx.locale("not_allowed")
    return result


def _set_shared(session: AsyncSession, person: Person, run: FlowRun, share: bool) -> bool:
    """Share or keep one run, audited as "shared_flow" / "kept_flow"; True if it changed."""
    if run.shared == share:
        return False
    run.shared = share
    run.shared_at = utcnow() if share else None
    repo.audit(session, person, "shared_flow" if share else "kept_flow", person,
               detail=f"run {run.id}")
    return True


async def preview(ctx: Context, session: AsyncSession, person: Person, run: FlowRun,
                  page: int) -> Result:
    """What sharing `run` would show their therapist, as the review showed it (the same
    picture: bot.render.screens.picture_for of the review screen, pages and a finished mat
    included), asking "Share with my therapist" / "Not now". Nothing changes yet."""
    say = ctx.locale
    buttons = ((Button(say("control.share"), callbacks.MineShare(run.id, page).pack()),),
               (Button(say("mine.not_now"), callbacks.MinePage(page).pack()),))
    if run.flow_id not in ctx.engine.flows:  # a flow since removed: its words only
        return Result(toast="").say(await _said(ctx, session, run), buttons, edit=True)
    state = replace(repo.run_state(run), step_id=REVIEW, status=RunStatus.ACTIVE)
    screen = ctx.engine.screen(state, await repo.answers_of(session, run.id))
    screen = replace(screen, controls=(), prompt="mine.preview_prompt",
                     fields={"title": _title(ctx, run)})
    replies = present.screen_replies(screen, run.id, run.version, ctx.locale, edit=True,
                                     extra=buttons, look=young_person.look_of(person),
                                     about=person.id)
    return Result(toast="", replies=replies)


@tap(Role.YOUNG_PERSON, callbacks.MineShare)
async def mine_share(ctx: Context, session: AsyncSession, person: Person,
                     data: callbacks.MineShare) -> Result:
    """"Share with my therapist" under the preview: share it (audited), and offer "Make it
    private again" for UNDO_WINDOW. A second tap changes nothing more."""
    say = ctx.locale
    run = await _own_run(ctx, session, person, data.run_id, data.page)
    if isinstance(run, Result):
        return run
    changed = _set_shared(session, person, run, True)
    buttons = ((Button(say("mine.undo"), callbacks.MineUndo(run.id, data.page).pack()),),
               (Button(say("mine.back_list"), callbacks.MinePage(data.page).pack()),))
    return Result(toast=say("toast.shared" if changed else "already_done")).say(
        say("mine.shared_undo", title=_title(ctx, run)), buttons, edit=True)


@tap(Role.YOUNG_PERSON, callbacks.MineUndo)
async def mine_undo(ctx: Context, session: AsyncSession, person: Person,
                    data: callbacks.MineUndo) -> Result:
    """"Make it private again": within UNDO_WINDOW of sharing, keep it private (audited) and
    show the list; later, the list with a note (a shared row there still makes it private
    with one tap). Already private: the list, nothing changes."""
    say = ctx.locale
    run = await _own_run(ctx, session, person, data.run_id, data.page)
    if isinstance(run, Result):
        return run
    title = _title(ctx, run)
    if run.shared and run.shared_at is not None \
            and utcnow() - as_utc(run.shared_at) > UNDO_WINDOW:
        return await mine_page(ctx, session, person, data.page, edit=True,
                               lead=say("mine.undo_late", title=title))
    changed = _set_shared(session, person, run, False)
    result = await mine_page(ctx, session, person, data.page, edit=True,
                             lead=say("mine.now_private", title=title))
    result.toast = "🔒" if changed else say("already_done")
    return result


# --- /delete, the young person's side --------------------------------------------------------


@command(Role.YOUNG_PERSON, "delete")
async def delete(ctx: Context, session: AsyncSession, person: Person, _: Command) -> Result:
    say = ctx.locale
    if await privacy_repo.open_deletion(session, person.id) is not None:
        return Result().say(say("delete.already"))
    buttons = ((Button(say("delete.yes"), callbacks.DeleteMine(True).pack()),),
               (Button(say("delete.no"), callbacks.DeleteMine(False).pack()),))
    return Result().say(say("delete.ask"), buttons)


@tap(Role.YOUNG_PERSON, callbacks.DeleteMine)
async def delete_answer(ctx: Context, session: AsyncSession, person: Person,
                        data: callbacks.DeleteMine) -> Result:
    say = ctx.locale
    if not data.confirm:
        return Result(toast="👍").say(say("delete.kept"), edit=True)
    if await privacy_repo.open_deletion(session, person.id) is not None:
        return Result(toast="👍").say(say("delete.already"), edit=True)
    request = await privacy_repo.add_deletion(session, person)
    repo.audit(session, person, "deletion_requested", person, detail=f"request {request.id}")
    therapists = await privacy_repo.therapists_of(session, person.id)
    deciders = await _deciders(ctx, session, therapists)
    if not deciders:
        log.error("deletion request %s has nobody to decide it: set MYSAY_SAFEGUARDING_CONTACT",
                  request.id)
    text = (say("delete.asked", name=therapists[0].display_name) if therapists
            else say("delete.asked_service"))
    result = Result(toast="📨").say(text, edit=True)
    for decider in deciders:
        result.say_reply(_request_reply(ctx, person, request, decider.chat_id))
    return result


async def _deciders(ctx: Context, session: AsyncSession,
                    therapists: Sequence[Person]) -> list[Person]:
    """Their therapists; with none, the safeguarding contact, else any service admin."""
    people = list(therapists)
    if people:
        return people
    contact = await privacy_repo.safeguarding_contact(session, ctx.settings.safeguarding_contact)
    if contact is not None:
        return [contact]
    return list(await privacy_repo.admins(session))


def _request_reply(ctx: Context, young: Person, request: DeletionRequest, chat_id: int) -> Reply:
    say = ctx.locale
    buttons = ((Button(say("deletion.confirm"),
                       callbacks.DeletionDecision(request.id, "y").pack()),),
               (Button(say("deletion.decline"),
                       callbacks.DeletionDecision(request.id, "n").pack()),))
    return Reply(say("deletion.request", name=young.display_name), buttons, chat_id=chat_id)


# --- /delete, the therapist's (or admin's) side ----------------------------------------------


async def _request_for(ctx: Context, session: AsyncSession, person: Person,
                       request_id: int) -> tuple[DeletionRequest | None, Person | None]:
    """The open request and its young person, only if `person` may decide it."""
    request = await privacy_repo.deletion_by_id(session, request_id)
    if request is None:
        return None, None
    young = await access.responsible_for(
        session, person, request.young_person_id,
        safeguarding_contact=ctx.settings.safeguarding_contact, admins=True)
    return request, young


@tap(Role.THERAPIST, callbacks.DeletionDecision)
@tap(Role.ADMIN, callbacks.DeletionDecision)
async def decide(ctx: Context, session: AsyncSession, person: Person,
                 data: callbacks.DeletionDecision) -> Result:
    say = ctx.locale
    request, young = await _request_for(ctx, session, person, data.request_id)
    if request is not None and request.decision is not None and (
            young is not None or request.decided_by_id == person.id):
        return Result(toast=say("deletion.decided")).say(say("deletion.decided"), edit=True)
    if request is None or young is None or request.decision is not None:
        repo.audit(session, person, "refused_deletion", detail=f"asked for {data.request_id}")
        return Result(toast=say("not_allowed")).say(say("not_allowed"))
    if data.decision == "c":
        if (person.pending or {}).get("kind") == REASON:
            person.pending = {}
        return Result(toast="👍").say(say("deletion.cancelled"))
    if data.decision == "n":
        person.pending = {"kind": REASON, "request": request.id}
        cancel = ((Button(say("deletion.cancel"),
                          callbacks.DeletionDecision(request.id, "c").pack()),),)
        return Result(toast="✏️").say(say("deletion.ask_reason", name=young.display_name),
                                     cancel)
    return await _confirm(ctx, session, person, request, young)


async def _confirm(ctx: Context, session: AsyncSession, person: Person,
                   request: DeletionRequest, young: Person) -> Result:
    say = ctx.locale
    if await erase.blocking_alert(session, young.id) is not None:
        return Result(toast="⚠️").say(say("deletion.open_alert", name=young.display_name))
    name, chat_id = young.display_name, young.chat_id
    request.decision, request.decided_at, request.decided_by_id = "confirmed", utcnow(), person.id
    erased = await erase.erase_young_person(session, young)
    # Who decided and when stays on record; whose data it was does not.
    repo.audit(session, person, "deletion_confirmed", detail=f"request {request.id}: {erased}")
    log.info("deletion request %s confirmed; erased %s", request.id, erased)
    return (Result(toast="🗑️").say(say("deletion.done", name=name), edit=True)
            .say_reply(Reply(say("delete.done"), chat_id=chat_id)))


@pending(REASON)
async def reason_typed(ctx: Context, session: AsyncSession, person: Person,
                       payload: str | Media) -> Result:
    say = ctx.locale
    if isinstance(payload, Media) or not payload.strip():
        return Result().say(say("deletion.reason_empty"))
    reason = payload.strip()
    if len(reason) > MAX_REASON:
        return Result().say(say("deletion.reason_long", limit=MAX_REASON))
    request_id = int((person.pending or {}).get("request", 0))
    person.pending = {}
    request, young = await _request_for(ctx, session, person, request_id)
    if request is None or young is None or request.decision is not None:
        return Result().say(say("deletion.decided"))
    request.decision, request.decided_at, request.decided_by_id = "declined", utcnow(), person.id
    request.reason = reason
    repo.audit(session, person, "deletion_declined", young, detail=f"request {request.id}")
    return (Result().say(say("deletion.declined_sent", name=young.display_name))
            .say_reply(Reply(say("delete.declined", name=person.display_name, reason=reason),
                             chat_id=young.chat_id)))
