"""Which function answers which command or button, by role.

Each feature module registers its own commands and taps with the decorators below, so a new
feature is a new module plus one import in bot/service/conversation.py, not edits across files.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.service.types import Command, Media, Reply, Result
from bot.store.models import Person

if TYPE_CHECKING:
    from bot.service.conversation import Context

CommandFn = Callable[["Context", AsyncSession, Person, Command], Awaitable[Result]]
TapFn = Callable[["Context", AsyncSession, Person, Any], Awaitable[Result]]
# Text or media while a multi-message command waits for it (person.pending["kind"]).
PendingFn = Callable[["Context", AsyncSession, Person, "str | Media"], Awaitable[Result]]
# Looks at words a young person wrote (for example for safeguarding); may add replies.
WordsWatcher = Callable[["Context", AsyncSession, Person, str, str], Awaitable[Result | None]]
# A job run every few seconds or minutes (reminders, alert escalation, retention). It gets the
# time as an argument (so tests can move the clock) and returns messages to send, each with
# its chat_id. It runs in one transaction; with several bot processes every process runs it,
# so it must claim rows (mark them done in the same transaction) before returning replies.
PeriodicFn = Callable[["Context", AsyncSession, datetime], Awaitable[list[Reply]]]


@dataclass(frozen=True)
class Periodic:
    name: str
    seconds: float
    fn: PeriodicFn


@dataclass
class Routes:
    commands: dict[tuple[str, str], CommandFn] = field(default_factory=dict)
    taps: dict[tuple[str, type], TapFn] = field(default_factory=dict)
    pending: dict[str, PendingFn] = field(default_factory=dict)
    watchers: list[WordsWatcher] = field(default_factory=list)
    # Shown in Telegram's command menu, per role: (command, locale key of its description).
    menus: dict[str, list[str]] = field(default_factory=dict)
    periodic: dict[str, Periodic] = field(default_factory=dict)


ROUTES = Routes()


def command(role: str, *names: str, menu: bool = True) -> Callable[[CommandFn], CommandFn]:
    def register(fn: CommandFn) -> CommandFn:
        for name in names:
            key = (role, name)
            if key in ROUTES.commands:
                raise RuntimeError(f"/{name} for {role} is registered twice")
            ROUTES.commands[key] = fn
            if menu:
                ROUTES.menus.setdefault(role, []).append(name)
        return fn
    return register


def tap(role: str, *kinds: type) -> Callable[[TapFn], TapFn]:
    def register(fn: TapFn) -> TapFn:
        for kind in kinds:
            ROUTES.taps[(role, kind)] = fn
        return fn
    return register


def pending(kind: str) -> Callable[[PendingFn], PendingFn]:
    def register(fn: PendingFn) -> PendingFn:
        ROUTES.pending[kind] = fn
        return fn
    return register


def watch_words(fn: WordsWatcher) -> WordsWatcher:
    ROUTES.watchers.append(fn)
    return fn


def periodic(name: str, seconds: float) -> Callable[[PeriodicFn], PeriodicFn]:
    def register(fn: PeriodicFn) -> PeriodicFn:
        if name in ROUTES.periodic:
            raise RuntimeError(f"job {name} is registered twice")
        ROUTES.periodic[name] = Periodic(name, seconds, fn)
        return fn
    return register
