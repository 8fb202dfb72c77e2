"""Supporters: a parent, carer or member of school staff who adds their own view about one
young person (what is working, what is not working, what people like and admire).

A therapist asks with /supporter; the young person is asked first and gets a yes / not now
card; only a yes makes a one-time link (an `invitations` row, kind supporter). A supporter
sees only what they wrote: their view is a flow run of their own (flows/supporter_view.yaml),
`about` the young person, and the summary always says whose view it is.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from bot.engine.core import MAX_OWN_WORDS, Action, ActionKind, InvalidAction, RunStatus
from bot.engine.screen import Control, Screen, ScreenKind
from bot.render.cards import Tile
from bot.render.screens import Picture
from bot.safety import access
from bot.service import callbacks, guard, picker, present
from bot.service.routes import command, tap
from bot.service.types import Button, Command, Edited, Event, Keyboard, Reply, Result, Sender, Text
from bot.service.young_person import look_of
from bot.store import repo, therapist_repo
from bot.store.models import FlowRun, Invitation, InvitationKind, Person, Role
from bot.summary import words
from bot.timeutil import utcnow

if TYPE_CHECKING:
    from bot.service.conversation import Context

FLOW = "supporter_view"
RELATIONSHIPS = words.RELATIONSHIPS  # parent, school, professional (the index rides in buttons)
RELATIONSHIP_EMOJI = ("👪", "🏫", "🧑‍⚕️")
# Controls a supporter does not need: the voice read-out and "I don't know" are for young people.
_HIDDEN = {Control.READ, Control.DONT_KNOW}


# --- the therapist asks, the young person decides ---------------------------------------------


PICK = picker.purpose("v", "th.pick.v", "👪",
                      lambda young_id: callbacks.SupporterTap("p", young_id).pack())


@command(Role.THERAPIST, "supporter")
async def ask(ctx: Context, session: AsyncSession, person: Person, _: Command) -> Result:
    return await picker.pick_young_person(ctx, session, person, PICK.letter)


@tap(Role.THERAPIST, callbacks.SupporterTap)
@guard.for_young_person("supporter", lambda data: data.ident)
async def therapist_tap(ctx: Context, session: AsyncSession, person: Person,
                        data: callbacks.SupporterTap, young: Person) -> Result:
    say = ctx.locale
    if data.op not in ("p", "r"):  # "a" and "w" are the young person's and the supporter's
        repo.audit(session, person, "refused_supporter", detail=f"asked for {data.ident}")
        return guard.refusal(ctx)
    if data.op == "p" or data.relationship is None or data.relationship >= len(RELATIONSHIPS):
        rows = tuple((Button(f"{RELATIONSHIP_EMOJI[n]} {words.relationship(say, key)}",
                             callbacks.SupporterTap("r", young.id, n).pack()),)
                     for n, key in enumerate(RELATIONSHIPS))
        return Result(toast="").say(say("sv.who", name=young.display_name), rows, edit=True)
    relationship = RELATIONSHIPS[data.relationship]
    asked = int(utcnow().timestamp() // 60)
    repo.audit(session, person, "supporter_requested", young, detail=relationship)
    answer = [Button(f"{emoji} {say(key)}", callbacks.SupporterTap(
        "a", person.id, data.relationship, asked, code).pack()) for emoji, key, code in
        (("✅", "sv.yes", "y"), ("✋", "sv.not_now", "n"))]
    card = Picture(say("sv.ask_title", relationship=words.relationship(say, relationship)),
                   (Tile(say("sv.yes"), "✅"), Tile(say("sv.not_now"), "✋")),
                   shared=True)  # locale words and a relationship from a fixed list
    question = Reply(say("sv.ask_young", therapist=person.display_name,
                         relationship=words.relationship(say, relationship)),
                     tuple((b,) for b in answer), picture=card, chat_id=young.chat_id,
                     look=look_of(young))
    return (Result(toast="📨")
            .say(say("sv.asked", name=young.display_name,
                     relationship=words.relationship(say, relationship)), edit=True)
            .say_reply(question))


@tap(Role.YOUNG_PERSON, callbacks.SupporterTap)
async def young_person_answers(ctx: Context, session: AsyncSession, person: Person,
                               data: callbacks.SupporterTap) -> Result:
    say = ctx.locale
    helper = await repo.person_by_id(session, data.ident)
    allowed = (data.op == "a" and helper is not None and helper.role == Role.THERAPIST
               and data.relationship is not None and data.relationship < len(RELATIONSHIPS)
               and data.asked is not None
               and await repo.is_on_caseload(session, helper.id, person.id))
    if not allowed or helper is None or data.asked is None or data.relationship is None:
        repo.audit(session, person, "refused_supporter", detail="answer not for them")
        return Result(toast=say("not_allowed"))
    asked_at = datetime.fromtimestamp(data.asked * 60, UTC)
    now = utcnow()
    if asked_at > now + timedelta(minutes=2) or now - asked_at > timedelta(
            days=ctx.invitation_days):
        return Result(toast="⌛").say(say("sv.too_old"), edit=True)
    relationship = RELATIONSHIPS[data.relationship]
    named = words.relationship(say, relationship)
    answered = (await therapist_repo.supporter_invitation_made_since(
        session, therapist_id=helper.id, young_person_id=person.id, relationship=relationship,
        since=asked_at) or await therapist_repo.supporter_declined_since(
        session, young_person_id=person.id, relationship=relationship, since=asked_at))
    if answered:  # the first answer stands: a second tap (or an old card) changes nothing
        return Result(toast=say("already_done"))
    if data.answer == "n":
        repo.audit(session, person, "supporter_declined", person, detail=relationship)
        return (Result(toast="👍").say(say("sv.young_no", relationship=named), edit=True)
                .say_reply(Reply(say("sv.therapist_no", name=person.display_name,
                                     relationship=named), chat_id=helper.chat_id)))
    code = await therapist_repo.create_supporter_invitation(
        session, therapist=helper, young_person=person, relationship=relationship,
        days=ctx.invitation_days)
    repo.audit(session, person, "supporter_agreed", person, detail=relationship)
    username = await ctx.bot_username(session)
    link = f"https://t.me/{username}?start={code}" if username else f"/start {code}"
    return (Result(toast=say("toast.supporter_yes"))
            .say(say("sv.young_yes", relationship=named), edit=True)
            .say_reply(Reply(say("sv.link", name=person.display_name, relationship=named,
                                 link=link, code=code, days=ctx.invitation_days),
                             chat_id=helper.chat_id)))


# --- the supporter joins ----------------------------------------------------------------------


async def hello(ctx: Context, session: AsyncSession, sender: Sender, person: Person | None,
                invitation: Invitation, code: str) -> Result:
    """The first message from a supporter link. Nothing is stored until they say yes."""
    say = ctx.locale
    if person is not None and person.role != Role.SUPPORTER:
        return Result().say(say("code_not_for_you"))
    young = await repo.person_by_id(session, invitation.young_person_id or 0)
    helper = await repo.person_by_id(session, invitation.created_by_id or 0)
    if young is None or helper is None:
        return Result().say(say("code_unknown"))
    buttons = ((Button(say("consent_yes"), callbacks.Consent(code).pack()),),
               (Button(say("consent_no"), callbacks.Decline(code).pack()),))
    return Result().say(say("sv.hello", first=sender.first_name or say("sv.there"),
                            therapist=helper.display_name, name=young.display_name), buttons)


async def join(ctx: Context, session: AsyncSession, sender: Sender, person: Person | None,
               code: str) -> Result | None:
    """A supporter said yes on their hello. None when the code is not a supporter link."""
    say = ctx.locale
    invitation = await repo.find_invitation(session, code)
    if invitation is None or invitation.kind != InvitationKind.SUPPORTER:
        return None
    problem = repo.invitation_problem(invitation, utcnow())
    young = await repo.person_by_id(session, invitation.young_person_id or 0)
    helper = await repo.person_by_id(session, invitation.created_by_id or 0)
    if problem or young is None or helper is None or not await repo.is_on_caseload(
            session, helper.id, young.id):
        return Result(toast="✋").say(say(problem or "code_unknown"), edit=True)
    if person is not None and person.role != Role.SUPPORTER:
        return Result(toast="✋").say(say("code_not_for_you"), edit=True)
    if person is None:
        person = await repo.add_person(
            session, telegram_user_id=sender.telegram_user_id, chat_id=sender.chat_id,
            role=Role.SUPPORTER, display_name=sender.first_name or say("sv.supporter"),
            consented=True)
    await therapist_repo.link_supporter(session, person, young.id,
                                        invitation.relationship or "parent")
    invitation.used_at, invitation.used_by_id = utcnow(), person.id
    repo.audit(session, person, "supporter_joined", young,
               detail=invitation.relationship or "")
    return Result(toast="🎉").say(say("sv.welcome", name=young.display_name,
                                      therapist=helper.display_name), edit=True).say(
        say("sv.start_view"), ((Button(say("sv.add_view", name=young.display_name),
                                       callbacks.SupporterTap("w", young.id).pack()),),))


# --- the supporter's own view -----------------------------------------------------------------


@command(Role.SUPPORTER, "start", "help", "view")
async def supporter_help(ctx: Context, session: AsyncSession, person: Person,
                         _: Command) -> Result:
    return await _choices(ctx, session, person, ctx.locale("sv.help"))


@command(Role.SUPPORTER, "privacy")
async def supporter_privacy(ctx: Context, session: AsyncSession, person: Person,
                            _: Command) -> Result:
    return Result().say(ctx.locale("sv.privacy"))


async def _choices(ctx: Context, session: AsyncSession, person: Person, lead: str) -> Result:
    supported = await therapist_repo.supported_by(session, person.id)
    if not supported:
        return Result().say(f"{lead}\n\n{ctx.locale('sv.nobody')}")
    rows: list[tuple[Button, ...]] = []
    run = await repo.current_run(session, person.id)
    if run is not None:
        rows.append((Button(ctx.locale("control.continue"),
                            callbacks.RunTap.of(run.id, run.version, ActionKind.RESUME).pack()),))
    rows += [(Button(ctx.locale("sv.add_view", name=s.person.display_name),
                     callbacks.SupporterTap("w", s.person.id).pack()),) for s in supported]
    return Result().say(lead, tuple(rows))


@tap(Role.SUPPORTER, callbacks.SupporterTap)
async def start_view(ctx: Context, session: AsyncSession, person: Person,
                     data: callbacks.SupporterTap) -> Result:
    say = ctx.locale
    young = await access.supporter_of(session, person, data.ident)
    if data.op != "w" or young is None or FLOW not in ctx.engine.flows:
        repo.audit(session, person, "refused_supporter", detail=f"view about {data.ident}")
        return Result(toast=say("not_allowed")).say(say("not_allowed"))
    current = await repo.current_run(session, person.id, for_update=True)
    if current is not None and current.about_id == young.id:
        return await _apply(ctx, session, person, current, Action(ActionKind.RESUME), edit=False)
    if current is not None and current.status == RunStatus.ACTIVE:
        await repo.save_state(session, current,
                              replace(repo.run_state(current), status=RunStatus.PAUSED))
    state, screen = ctx.engine.start(FLOW)
    run = await repo.start_run(session, person.id, state)
    run.about_id = young.id
    repo.audit(session, person, "supporter_view_started", young)
    return Result(toast="✍️").say_reply(_screen_reply(ctx, run, screen, young, edit=True))


@tap(Role.SUPPORTER, callbacks.RunTap)
async def run_tap(ctx: Context, session: AsyncSession, person: Person,
                  data: callbacks.RunTap) -> Result:
    say = ctx.locale
    run = await repo.run_for_person(session, data.run_id, person.id)
    if run is None or run.about_id is None:  # only their own runs, nobody else's
        repo.audit(session, person, "refused_run", detail=f"run {data.run_id}")
        return Result(toast=say("not_allowed"))
    if data.version != run.version:
        result = (Result(toast=say("already_done")) if data.version == run.version - 1
                  else await _where(ctx, session, person, run, say("stale_button")))
        result.toast = result.toast or say("stale_button")
        return result
    if data.extra is not None:  # "something else" or "read it to me": typing is the way here
        return Result(toast=say("type_now"))
    # A choice by its id, on the question as it is now (issue 13, point 1).
    screen = (ctx.engine.screen(repo.run_state(run), await repo.answers_of(session, run.id))
              if data.names_choice else None)
    action = data.action_on(screen)
    if action is None:  # a button from before issue 13 (by position), or a choice gone since
        return await _where(ctx, session, person, run, say("stale_button"))
    return await _apply(ctx, session, person, run, action, edit=True)


async def message(ctx: Context, session: AsyncSession, person: Person, event: Event) -> Result:
    """Words typed by a supporter are the answer to the question they are on."""
    say = ctx.locale
    run = await repo.current_run(session, person.id, for_update=True)
    if not isinstance(event, Text) or run is None or run.status != RunStatus.ACTIVE:
        lead = say("sv.use_words") if not isinstance(event, Text | Edited) else say("sv.help")
        if run is not None and run.status == RunStatus.ACTIVE:
            return await _where(ctx, session, person, run, lead)
        return await _choices(ctx, session, person, lead)
    if len(event.text) > MAX_OWN_WORDS:
        return await _where(ctx, session, person, run, say("too_long", limit=MAX_OWN_WORDS))
    return await _apply(ctx, session, person, run, Action(ActionKind.TEXT, text=event.text),
                        edit=False)


async def _where(ctx: Context, session: AsyncSession, person: Person, run: FlowRun,
                 lead: str) -> Result:
    young = await repo.person_by_id(session, run.about_id or 0)
    screen = ctx.engine.screen(repo.run_state(run), await repo.answers_of(session, run.id))
    return Result().say_reply(_screen_reply(ctx, run, screen, young, lead=lead))


async def _apply(ctx: Context, session: AsyncSession, person: Person, run: FlowRun,
                 action: Action, *, edit: bool) -> Result:
    say = ctx.locale
    young = await repo.person_by_id(session, run.about_id or 0)
    answers = await repo.answers_of(session, run.id)
    try:
        outcome = ctx.engine.apply(repo.run_state(run), answers, action)
    except InvalidAction:
        return await _where(ctx, session, person, run, say("stale_button"))
    if outcome.answer is not None:
        await repo.put_answer(session, run.id, outcome.answer)
    if outcome.keep_only is not None:
        await repo.drop_answers_except(session, run.id, outcome.keep_only)
    if outcome.changed:
        await repo.save_state(session, run, outcome.state)
    if outcome.screen.kind is ScreenKind.FINISHED:
        shared = outcome.state.shared
        repo.audit(session, person, "supporter_view_sent" if shared else "supporter_view_kept",
                   young)
        name = young.display_name if young else ""
        done = await _choices(ctx, session, person,
                              say("sv.sent" if shared else "sv.kept", name=name))
        done.toast = "📤" if shared else "🔒"
        return done
    lead = say("paused") if outcome.screen.kind is ScreenKind.PAUSED else None
    return Result(toast="").say_reply(_screen_reply(ctx, run, outcome.screen, young, edit=edit,
                                                    lead=lead))


def _screen_reply(ctx: Context, run: FlowRun, screen: Screen, young: Person | None, *,
                  edit: bool = False, lead: str | None = None) -> Reply:
    """A supporter's question in words (adults, no picture card), with Send / Don't send at
    the end instead of the young person's Share / Keep."""
    say = ctx.locale
    shown = replace(screen, controls=tuple(c for c in screen.controls if c not in _HIDDEN))
    about = say("sv.about", name=young.display_name) if young else None
    text = present.caption(shown, say, "\n\n".join(p for p in (lead, about) if p) or None)
    return Reply(text, _relabel(ctx, present.keyboard(shown, run.id, run.version, say), run),
                 edit=edit)


def _relabel(ctx: Context, keyboard: Keyboard, run: FlowRun) -> Keyboard:
    share = callbacks.RunTap.of(run.id, run.version, ActionKind.SHARE).pack()
    keep = callbacks.RunTap.of(run.id, run.version, ActionKind.KEEP).pack()
    names = {share: ctx.locale("sv.send"), keep: ctx.locale("sv.dont_send")}
    return tuple(tuple(Button(names.get(b.data, b.label), b.data) for b in row)
                 for row in keyboard)

