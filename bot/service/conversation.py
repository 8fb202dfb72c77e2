"""The conversation: one inbound event from one person -> what to store and what to say.

Runs inside the caller's transaction. Knows nothing of Telegram: the adapter turns updates into
events and replies into Bot API calls.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.engine.core import FlowEngine
from bot.i18n import Locale
from bot.service import callbacks, features, mat_page, reading, therapist, young_person
from bot.service.features import privacy, supporter
from bot.service.routes import ROUTES
from bot.service.types import Button, Command, Event, Media, Result, Sender, Tap, Text
from bot.store import repo
from bot.store.models import Invitation, InvitationKind, Person, Role
from bot.timeutil import as_utc, utcnow

log = logging.getLogger(__name__)


# "Last active" is shown to the minute and used for retention in months: writing it on every
# tap would cost a row update per tap for nothing.
ACTIVE_RESOLUTION = timedelta(minutes=1)


def _seen(person: Person, sender: Sender) -> None:
    """Note that the person wrote to us, writing only what changed."""
    now = utcnow()
    if person.last_active_at is None or now - as_utc(person.last_active_at) >= ACTIVE_RESOLUTION:
        person.last_active_at = now
    if person.chat_id != sender.chat_id:
        person.chat_id = sender.chat_id
    if not person.active:
        person.active = True  # writing to us again undoes "blocked the bot"


@dataclass(frozen=True)
class Context:
    """Everything a handler needs besides the session and the person."""

    engine: FlowEngine
    locale: Locale
    settings: Settings
    bot_username: Callable[[AsyncSession], Awaitable[str | None]]

    @property
    def invitation_days(self) -> int:
        return self.settings.invitation_days


features.load_all()


class Conversation:
    def __init__(self, context: Context) -> None:
        self.ctx = context

    async def handle(self, session: AsyncSession, sender: Sender, event: Event) -> Result:
        """One event from `sender`: what it changes (in `session`) and what to say, read out
        loud for a young person with "Read to me" on (bot.service.reading: the one place that
        rule lives, so every screen of every feature is read), and what it sends to another
        young person's chat read for them by their own setting."""
        result = await self._handle(session, sender, event)
        result = await self._read_out(session, sender, result)
        result.replies = await reading.read_for_others(self.ctx, session, result.replies)
        return result

    async def page(self, session: AsyncSession, telegram_user_id: int,
                   request: mat_page.PageRequest) -> mat_page.PageAnswer:
        """One request from the Talking Mat page (issue 16) by `telegram_user_id`, whose
        Telegram initData the adapter has checked. A move is handled as a tap: the person's
        row locked until commit (one person's taps and page moves are handled one at a
        time) and noted as seen. The state, a picture or speech only read: no lock and no
        write, so the page's many picture requests never keep a tap waiting. Then their
        words' style, and what a move sends to their chat read out loud when "Read to me"
        is on, by the same rules as `handle`. Returns the page's answer
        (bot.service.mat_page); 403 for someone MySay does not know or who is not a young
        person."""
        moving = request.what == "move"
        person = await repo.person_by_telegram_id(session, telegram_user_id, for_update=moving)
        if person is None or person.role != Role.YOUNG_PERSON:
            return mat_page.PageAnswer(403, {"error": self.ctx.locale("mat_page.not_yours")})
        # A private chat's id is its user's id (Bot API Chat.id), and the page opens only
        # from the young person's private chat.
        sender = Sender(telegram_user_id, telegram_user_id, person.display_name or "")
        if moving:
            _seen(person, sender)
        ctx = young_person.in_their_words(self.ctx, person)
        answer = await mat_page.answer(ctx, session, person, request)
        if answer.result is not None:
            result = await self._read_out(session, sender, answer.result)
            result.replies = await reading.read_for_others(self.ctx, session, result.replies)
            answer.result = result
        return answer

    async def _read_out(self, session: AsyncSession, sender: Sender, result: Result) -> Result:
        """`result` with its readings, for the person as they are after the event (they may
        have just turned "Read to me" on)."""
        if not any(reading.wants_reading(reply) for reply in result.replies):
            return result
        person = await repo.person_by_telegram_id(session, sender.telegram_user_id)
        return await reading.read_out(young_person.in_their_words(self.ctx, person), session,
                                      person, result)

    async def _handle(self, session: AsyncSession, sender: Sender, event: Event) -> Result:
        person = await repo.person_by_telegram_id(session, sender.telegram_user_id,
                                                  for_update=True)
        if person is not None:
            _seen(person, sender)
        # The words in the style the young person chose (issue 15, point 4), for everything
        # this event says to them.
        ctx = young_person.in_their_words(self.ctx, person)
        if isinstance(event, Command) and event.name == "start" and event.args:
            return await self._start_with_code(session, sender, person, event.args[0])
        if isinstance(event, Tap):
            try:
                tap = callbacks.decode(event.data)
            except callbacks.InvalidCallback:
                log.info("refused a callback we never issued")
                return await self._refuse(session, person)
            if isinstance(tap, callbacks.Consent | callbacks.Decline | callbacks.ReadyNow):
                return await self._consent(session, sender, person, tap)
            if person is None:
                return Result(toast=self.ctx.locale("not_allowed")).say(
                    self.ctx.locale("hello_stranger"))
            handler = ROUTES.taps.get((person.role, type(tap)))
            if handler is None:
                return await self._refuse(session, person)
            return await handler(ctx, session, person, tap)
        if person is None:
            return Result().say(self.ctx.locale("hello_stranger"))
        if isinstance(event, Command):
            person.pending = {}  # a new command leaves any half-done one behind
            handler = ROUTES.commands.get((person.role, event.name))
            if handler is None:  # unknown here: the role's help, never an error
                handler = ROUTES.commands[(person.role, "help")]
            return await handler(ctx, session, person, event)
        waiting = (person.pending or {}).get("kind")
        if waiting in ROUTES.pending and isinstance(event, Text | Media):
            payload = event.text if isinstance(event, Text) else event
            return await ROUTES.pending[waiting](ctx, session, person, payload)
        if person.role == Role.YOUNG_PERSON:
            return await young_person.message(ctx, session, person, event)
        return await therapist.message(self.ctx, session, person, event)

    async def show_again(self, session: AsyncSession, sender: Sender) -> Result | None:
        """After a restart: an update the old process stored but may not have answered. A
        young person is shown where they are (an answer can never be left unsaid); for anyone
        else, None: their next message gets its answer as usual."""
        person = await repo.person_by_telegram_id(session, sender.telegram_user_id)
        if person is None or person.role != Role.YOUNG_PERSON:
            return None
        ctx = young_person.in_their_words(self.ctx, person)
        return await reading.read_out(ctx, session, person, await young_person.where_you_are(
            ctx, session, person, lead=ctx.locale("picked_up_again")))

    async def _refuse(self, session: AsyncSession, person: Person | None) -> Result:
        result = Result(toast=self.ctx.locale("not_allowed"))
        if person is not None and person.role == Role.YOUNG_PERSON:
            result.replies += (await young_person.where_you_are(self.ctx, session, person)).replies
        return result

    # -- invitations and consent ----------------------------------------------------------

    async def _start_with_code(self, session: AsyncSession, sender: Sender,
                               person: Person | None, code: str) -> Result:
        say = self.ctx.locale
        invitation = await repo.find_invitation(session, code)
        problem = repo.invitation_problem(invitation, utcnow())
        if problem or invitation is None:
            return Result().say(say(problem or "code_unknown"))
        if invitation.kind == InvitationKind.THERAPIST:
            if person is not None:
                key = "already_therapist" if person.role == Role.THERAPIST else "code_not_for_you"
                return Result().say(say(key))
            person = await repo.add_person(
                session, telegram_user_id=sender.telegram_user_id, chat_id=sender.chat_id,
                role=Role.THERAPIST, display_name=invitation.label or sender.first_name or "",
                consented=True)
            invitation.used_at, invitation.used_by_id = utcnow(), person.id
            repo.audit(session, person, "therapist_joined")
            return Result().say(say("welcome_therapist", name=person.display_name))
        return await self._hello(session, sender, person, invitation, code)

    async def _hello(self, session: AsyncSession, sender: Sender, person: Person | None,
                     invitation: Invitation, code: str) -> Result:
        """The hello with "Yes" / "Not now" for a young person's or a supporter's invitation
        (already checked: not used, not expired, not a therapist's)."""
        say = self.ctx.locale
        if invitation.kind == InvitationKind.SUPPORTER:  # a parent, carer or staff member
            return await supporter.hello(self.ctx, session, sender, person, invitation, code)
        if person is not None:
            return Result().say(say("code_not_for_you"))
        # Nothing about a young person is stored before they agree: the code rides in the
        # button, and the invitation is checked again when they tap it.
        buttons = ((Button(say("consent_yes"), callbacks.Consent(code).pack()),),
                   (Button(say("consent_no"), callbacks.Decline(code).pack()),))
        return Result().say_reply(privacy.hello_reply(self.ctx, sender.first_name or "there",
                                                      buttons))

    async def _not_now(self, tap: callbacks.Decline) -> Result:
        """"Not now" is not a dead end (issue 12, point 7): the message that says so keeps an
        "I'm ready now" button with the code in it, so nothing is stored to offer it."""
        say = self.ctx.locale
        if tap.code is None:  # a button from before the code rode in "Not now"
            return Result(toast="👍").say(say("consent_later_link"), edit=True)
        ready = ((Button(say("consent_ready"), callbacks.ReadyNow(tap.code).pack()),),)
        return Result(toast="👍").say(say("consent_later"), ready, edit=True)

    async def _ready_now(self, session: AsyncSession, sender: Sender, person: Person | None,
                         tap: callbacks.ReadyNow) -> Result:
        """"I'm ready now": the hello and its consent buttons again, in place of the Not-now
        message. The invitation is checked again first, so a link used or expired meanwhile
        gets the same answer as opening it would."""
        say = self.ctx.locale
        if person is not None and person.role == Role.YOUNG_PERSON:
            return await self._already_in(session, person)
        invitation = await repo.find_invitation(session, tap.code)
        problem = repo.invitation_problem(invitation, utcnow())
        if invitation is not None and invitation.kind == InvitationKind.THERAPIST:
            problem = "code_unknown"  # never on such a button: a therapist's link has no hello
        if problem or invitation is None:
            return Result(toast="✋").say(say(problem or "code_unknown"), edit=True)
        result = await self._hello(session, sender, person, invitation, tap.code)
        result.toast = "👋"
        result.replies[0] = replace(result.replies[0], edit=True)
        return result

    async def _already_in(self, session: AsyncSession, person: Person) -> Result:
        """A tap on a hello's button by someone already in MySay: "got it", and a young person
        their menu."""
        result = Result(toast=self.ctx.locale("already_done"))
        if person.role == Role.YOUNG_PERSON:
            result.replies += (await young_person.menu(self.ctx, session, person)).replies
        return result

    async def _consent(self, session: AsyncSession, sender: Sender, person: Person | None,
                       tap: callbacks.Consent | callbacks.Decline | callbacks.ReadyNow
                       ) -> Result:
        say = self.ctx.locale
        if isinstance(tap, callbacks.Decline):
            return await self._not_now(tap)
        if isinstance(tap, callbacks.ReadyNow):
            return await self._ready_now(session, sender, person, tap)
        if (joined := await supporter.join(self.ctx, session, sender, person, tap.code)):
            return joined
        if person is not None:
            return await self._already_in(session, person)
        invitation = await repo.find_invitation(session, tap.code)
        problem = repo.invitation_problem(invitation, utcnow())
        if problem or invitation is None or invitation.kind != InvitationKind.YOUNG_PERSON:
            return Result(toast="✋").say(say(problem or "code_unknown"), edit=True)
        inviter = await repo.person_by_id(session, invitation.created_by_id or 0)
        if inviter is None or inviter.role != Role.THERAPIST:
            return Result(toast="✋").say(say("code_unknown"), edit=True)
        person = await repo.add_person(
            session, telegram_user_id=sender.telegram_user_id, chat_id=sender.chat_id,
            role=Role.YOUNG_PERSON, display_name=invitation.label or sender.first_name or "",
            consented=True)
        invitation.used_at, invitation.used_by_id = utcnow(), person.id
        await repo.link(session, inviter, person)
        repo.audit(session, person, "young_person_joined", person)
        result = Result(toast=say("toast.welcome")).say(say("welcome_young_person"), edit=True)
        result.replies += (await young_person.menu(self.ctx, session, person)).replies
        return result

