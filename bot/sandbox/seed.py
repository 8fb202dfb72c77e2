"""Who is in the sandbox, and how they are brought in on every fresh start.

Everything goes through the real chat, as on Telegram: the therapist opens a one-time therapist
link, sends /invite, and the young person opens the link they were given. The young person is
left at the "Is it OK to start?" question, so the first thing anyone tries is the real consent.
The supporter starts with an empty chat: they join from a link, like everyone else.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.sandbox.fake_api import FakeBotAPI
from bot.services import Services
from bot.store import repo
from bot.store.models import InvitationKind

# Waits until the bot has handled one update (and sent its replies).
WaitFn = Callable[[int], Awaitable[None]]

# A link the bot made: https://t.me/<bot>?start=<code>, or "/start <code>" when the bot's
# username is not known. Codes are URL-safe base64 (repo.create_invitation).
_START_CODE = re.compile(r"(?:\?start=|/start\s+)([A-Za-z0-9_-]{8,})")


class SeedError(RuntimeError):
    """The sandbox could not set its people up; the message says which step failed."""


@dataclass(frozen=True)
class Persona:
    """One fake Telegram user the person at the keyboard can play."""

    key: str
    user_id: int
    first_name: str


# Fictional first names only. The user ids are far from the sandbox bot's own id.
YOUNG_PERSON = Persona("young_person", 7_100_001, "Jo")
THERAPIST = Persona("therapist", 7_100_002, "Sam")
SUPPORTER = Persona("supporter", 7_100_003, "Alex")
PERSONAS: tuple[Persona, ...] = (YOUNG_PERSON, THERAPIST, SUPPORTER)


def persona(key: str) -> Persona | None:
    return next((p for p in PERSONAS if p.key == key), None)


def persona_for_user(user_id: int) -> Persona | None:
    return next((p for p in PERSONAS if p.user_id == user_id), None)


def start_code(text: str) -> str | None:
    """The invitation code in a message that carries a MySay link, if there is one."""
    found = _START_CODE.search(text)
    return found.group(1) if found else None


async def seed(api: FakeBotAPI, services: Services, wait: WaitFn) -> None:
    """Register the therapist and invite the young person, over the real chat."""
    for person in PERSONAS:
        api.add_user(person.user_id, person.first_name)
    await _register_therapist(api, services, wait)
    code = await _invite_young_person(api, wait)
    await _send(api, wait, YOUNG_PERSON, f"/start {code}")
    asked = api.last_message(YOUNG_PERSON.user_id)
    if asked is None or not asked.inline_keyboard:
        raise SeedError("the young person's invitation link did not ask them to start")


async def _register_therapist(api: FakeBotAPI, services: Services, wait: WaitFn) -> None:
    # The same as `python -m bot admin invite-therapist`, then the therapist opens the link.
    async with services.db.transaction() as session:
        code = await repo.create_invitation(session, kind=InvitationKind.THERAPIST,
                                            days=services.settings.invitation_days,
                                            label=THERAPIST.first_name)
        repo.audit(session, None, "therapist_invited")
    await _send(api, wait, THERAPIST, f"/start {code}")
    async with services.db.transaction() as session:
        registered = await repo.person_by_telegram_id(session, THERAPIST.user_id)
    if registered is None:
        raise SeedError("the therapist link did not set the therapist up")


async def _invite_young_person(api: FakeBotAPI, wait: WaitFn) -> str:
    await _send(api, wait, THERAPIST, "/invite")
    reply = api.last_message(THERAPIST.user_id)
    code = start_code(reply.display_text or "") if reply is not None else None
    if code is None:
        raise SeedError("the therapist's /invite reply carried no link")
    return code


async def _send(api: FakeBotAPI, wait: WaitFn, who: Persona, text: str) -> None:
    await wait(api.push_message(who.user_id, text, first_name=who.first_name))
