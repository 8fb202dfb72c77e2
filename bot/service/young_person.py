"""The young person's side: the menu, going through a flow, and anything unexpected on the way."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from bot.engine.core import MAX_OWN_WORDS, Action, ActionKind, InvalidAction, RunStatus
from bot.engine.screen import Screen, ScreenKind
from bot.service import callbacks, present
from bot.service.routes import ROUTES, command, tap
from bot.service.types import Button, Command, Edited, Event, Media, Reply, Result, Text
from bot.store import repo
from bot.store.models import FlowRun, Person, Role

if TYPE_CHECKING:
    from bot.service.conversation import Context


async def message(ctx: Context, session: AsyncSession, person: Person, event: Event) -> Result:
    """Anything that is not a command or a button: words, pictures, stickers, edits."""
    say = ctx.locale
    if isinstance(event, Text):
        return await typed(ctx, session, person, event.text)
    if isinstance(event, Edited):
        return await where_you_are(ctx, session, person, lead=say("edited_ignored"))
    if isinstance(event, Media):
        return await where_you_are(ctx, session, person, lead=say("use_buttons"))
    return await where_you_are(ctx, session, person)


@command(Role.YOUNG_PERSON, "start", "menu")
async def show_menu(ctx: Context, session: AsyncSession, person: Person, _: Command) -> Result:
    return await menu(ctx, session, person)


@command(Role.YOUNG_PERSON, "continue")
async def continue_where_stopped(ctx: Context, session: AsyncSession, person: Person,
                                 _: Command) -> Result:
    return await resume(ctx, session, person)


@command(Role.YOUNG_PERSON, "help")
async def help_(ctx: Context, session: AsyncSession, person: Person, _: Command) -> Result:
    return await where_you_are(ctx, session, person, lead=ctx.locale("young_person_help"))


@command(Role.YOUNG_PERSON, "privacy")
async def privacy(ctx: Context, session: AsyncSession, person: Person, _: Command) -> Result:
    return Result().say(ctx.locale("privacy_short"))


async def menu(ctx: Context, session: AsyncSession, person: Person, lead: str | None = None,
               *, edit: bool = False) -> Result:
    say = ctx.locale
    rows = [(Button(f"{ctx.engine.vocabulary[f.symbol].emoji} {f.title}",
                    callbacks.start_flow(f.id)),)
            for f in ctx.engine.flows.values()]
    run = await repo.current_run(session, person.id)
    if run is not None:
        rows.insert(0, (Button(say("control.continue"),
                               callbacks.run_tap(run.id, run.version, ActionKind.RESUME)),))
    rows.append((Button(say("control.unsafe"), callbacks.unsafe()),))
    text = "\n\n".join(p for p in (lead, say("menu_prompt")) if p)
    return Result().say(text, tuple(rows), edit=edit)


async def where_you_are(ctx: Context, session: AsyncSession, person: Person,
                        lead: str | None = None) -> Result:
    """Show the current step again (with a short note first), or the menu if there is none."""
    run = await repo.current_run(session, person.id)
    if run is None or run.status != RunStatus.ACTIVE:
        return await menu(ctx, session, person, lead=lead)
    return _show(ctx, run, await _screen(ctx, session, run), lead=lead)


async def resume(ctx: Context, session: AsyncSession, person: Person) -> Result:
    run = await repo.current_run(session, person.id, for_update=True)
    if run is None:
        return await menu(ctx, session, person, lead=ctx.locale("nothing_active"))
    return await _apply(ctx, session, person, run, Action(ActionKind.RESUME), edit=False)


@tap(Role.YOUNG_PERSON, callbacks.StartFlow)
async def start_flow(ctx: Context, session: AsyncSession, person: Person,
                     data: callbacks.StartFlow) -> Result:
    return await _start_flow(ctx, session, person, data.flow_id)


@tap(Role.YOUNG_PERSON, callbacks.RunTap)
async def run_tap(ctx: Context, session: AsyncSession, person: Person,
                  data: callbacks.RunTap) -> Result:
    say = ctx.locale
    run = await repo.run_for_person(session, data.run_id, person.id)
    if run is None:  # not theirs, or never existed: refuse, show nothing of anyone else's
        result = await where_you_are(ctx, session, person)
        result.toast = say("not_allowed")
        return result
    if data.version != run.version:
        return await _stale(ctx, session, person, run, data)
    if data.action is None:  # "Something else": typing is always open, so just say so
        return Result(toast=say("type_now")).say(say("type_now"))
    return await _apply(ctx, session, person, run, data.action, edit=True)


async def typed(ctx: Context, session: AsyncSession, person: Person, text: str) -> Result:
    run = await repo.current_run(session, person.id, for_update=True)
    if run is None or run.status != RunStatus.ACTIVE:
        return await menu(ctx, session, person, lead=ctx.locale("use_buttons"))
    if len(text) > MAX_OWN_WORDS:
        return _show(ctx, run, await _screen(ctx, session, run),
                     lead=ctx.locale("too_long", limit=MAX_OWN_WORDS))
    noticed = await watch(ctx, session, person, text, "words")
    result = await _apply(ctx, session, person, run, Action(ActionKind.TEXT, text=text),
                          edit=False)
    result.replies[:0] = noticed
    return result


async def watch(ctx: Context, session: AsyncSession, person: Person, words: str,
                source: str) -> list[Reply]:
    """Let every watcher (safeguarding) see the words first; their replies go first."""
    replies: list[Reply] = []
    for watcher in ROUTES.watchers:
        found = await watcher(ctx, session, person, words, source)
        if found is not None:
            replies += found.replies
    return replies


async def _start_flow(ctx: Context, session: AsyncSession, person: Person, flow_id: str) -> Result:
    if flow_id not in ctx.engine.flows:
        return await menu(ctx, session, person, lead=ctx.locale("stale_button"))
    current = await repo.current_run(session, person.id, for_update=True)
    if current is not None and current.flow_id == flow_id:
        # A second tap on the same menu button: carry on where they are, don't start again.
        return await _apply(ctx, session, person, current, Action(ActionKind.RESUME), edit=True)
    if current is not None and current.status == RunStatus.ACTIVE:
        repo.save_state(current, replace(repo.run_state(current), status=RunStatus.PAUSED))
    state, screen = ctx.engine.start(flow_id)
    run = await repo.start_run(session, person.id, state)
    return Result(toast="▶️").say_reply(present.screen_reply(screen, run.id, run.version,
                                                             ctx.locale, edit=True))


async def _apply(ctx: Context, session: AsyncSession, person: Person, run: FlowRun,
                 action: Action, *, edit: bool) -> Result:
    answers = await repo.answers_of(session, run.id)
    try:
        outcome = ctx.engine.apply(repo.run_state(run), answers, action)
    except InvalidAction:
        result = _show(ctx, run, await _screen(ctx, session, run),
                       lead=ctx.locale("stale_button"))
        result.toast = ctx.locale("stale_button")
        return result
    if outcome.answer is not None:
        await repo.put_answer(session, run.id, outcome.answer)
    if outcome.keep_only is not None:
        await repo.drop_answers_except(session, run.id, outcome.keep_only)
    if outcome.changed:
        repo.save_state(run, outcome.state)
    screen = outcome.screen
    if screen.kind is ScreenKind.FINISHED:
        done = await menu(ctx, session, person, lead=ctx.locale(screen.notice or "kept"),
                          edit=edit)
        done.toast = "🌟" if outcome.state.shared else "🔒"
        return done
    if screen.kind is ScreenKind.PAUSED:
        return Result(toast="⏸️").say_reply(present.screen_reply(
            screen, run.id, run.version, ctx.locale, edit=edit, lead=ctx.locale("paused")))
    return Result(toast="").say_reply(present.screen_reply(screen, run.id, run.version,
                                                           ctx.locale, edit=edit))


async def _stale(ctx: Context, session: AsyncSession, person: Person, run: FlowRun,
                 data: callbacks.RunTap) -> Result:
    """A button from an earlier screen. A double tap gets a quiet 'got it'; anything older
    gets a short note and the step they are really on."""
    if data.version == run.version - 1:
        return Result(toast=ctx.locale("already_done"))
    if run.status != RunStatus.ACTIVE:
        result = await menu(ctx, session, person, lead=ctx.locale("stale_button"))
    else:
        result = _show(ctx, run, await _screen(ctx, session, run),
                       lead=ctx.locale("stale_button"))
    result.toast = ctx.locale("stale_button")
    return result


async def _screen(ctx: Context, session: AsyncSession, run: FlowRun) -> Screen:
    return ctx.engine.screen(repo.run_state(run), await repo.answers_of(session, run.id))


def _show(ctx: Context, run: FlowRun, screen: Screen, lead: str | None = None) -> Result:
    return Result().say_reply(present.screen_reply(screen, run.id, run.version, ctx.locale,
                                                   lead=lead))
