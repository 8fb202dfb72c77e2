"""The one access guard of the therapist's features: "the young person this tap (or this
waiting input) names, if this person may act for them; else one refusal, audited".

Who may act is decided in bot.safety.access (the one place that decides who may read what);
this module only turns its answer into the young person or a ready refusal, worded the same
everywhere (the locale key REFUSAL) and audited as `refused_<feature>`.

Use it as a helper:

    young = await guard.young_person_of(ctx, session, person, data.person_id, "assign")
    if isinstance(young, Result):
        return young

or as a decorator on a tap, which hands the young person in as a fifth argument:

    @tap(Role.THERAPIST, callbacks.AssignTap)
    @guard.for_young_person("assign", lambda data: data.person_id)
    async def on_tap(ctx, session, person, data, young): ...
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.safety import access
from bot.service.types import Result
from bot.store import repo
from bot.store.models import Person

if TYPE_CHECKING:
    from bot.service.conversation import Context

REFUSAL = "not_allowed"  # "Sorry, you can't do that.": the same words for every refusal

GuardedTapFn = Callable[["Context", AsyncSession, Person, Any, Person], Awaitable[Result]]
TapFn = Callable[["Context", AsyncSession, Person, Any], Awaitable[Result]]


def refusal(ctx: Context, *, waiting: bool = False) -> Result:
    """The refusal: a toast and a message for a tap; only the message for typed or sent input
    (`waiting`), which has no toast to show."""
    words = ctx.locale(REFUSAL)
    return Result().say(words) if waiting else Result(toast=words).say(words)


async def young_person_of(ctx: Context, session: AsyncSession, person: Person,
                          young_person_id: int, feature: str, *,
                          waiting: bool = False) -> Person | Result:
    """The young person `young_person_id`, if `person` may act for them; else the refusal.

    Takes the feature's short name (the audit says `refused_<feature>` with the id asked for).
    May act: the young person's own therapist now (access.young_person_for; a therapist who
    left the caseload has no access any more). An admin is not given a young person by being
    an admin: the taps admins have (a safety alert, a deletion request) name the alert or the
    request, and access.responsible_for decides those. `waiting`: the id came from the
    person's `pending` (typed words or a photo after a tap); the waiting is forgotten on
    refusal, so the next message is not taken for it again.
    Returns the Person, or a Result to return as it is; nothing is changed on refusal.
    """
    young = await access.young_person_for(session, person, young_person_id)
    if young is not None and young.id != person.id:  # a young person never acts for themself
        return young
    repo.audit(session, person, f"refused_{feature}", detail=f"asked for {young_person_id}")
    if waiting:
        person.pending = {}
    return refusal(ctx, waiting=waiting)


def for_young_person(feature: str,
                     young_person_id: Callable[[Any], int]) -> Callable[[GuardedTapFn], TapFn]:
    """A decorator for a tap whose data names a young person: the tap runs only for someone
    who may act for them (see `young_person_of`), and gets that Person as a fifth argument.

    `young_person_id(data)` reads the id from the decoded callback data.
    """
    def decorate(fn: GuardedTapFn) -> TapFn:
        @functools.wraps(fn)
        async def guarded(ctx: Context, session: AsyncSession, person: Person,
                          data: Any) -> Result:
            young = await young_person_of(ctx, session, person, young_person_id(data),
                                          feature)
            if isinstance(young, Result):
                return young
            return await fn(ctx, session, person, data, young)

        return guarded
    return decorate
