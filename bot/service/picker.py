"""The one young-person picker: a therapist's caseload as buttons, a page at a time, for one
purpose (whose summary, whose meeting, who gets what, ...).

Each therapist feature declares its purpose once with `purpose(...)`: the letter that rides in
the page buttons ("pk:<letter>:<page>"), the question above the buttons, an emoji, and the
button one young person gets. That button keeps the feature's own callback data ("s:5",
"mg:p:5", "as:p:5", "ac:5", ...), so buttons already in chats reach the same feature as before.
The tap on a young person is the feature's own; it checks access with bot.service.guard.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, get_args, get_type_hints

from sqlalchemy.ext.asyncio import AsyncSession

from bot.service import callbacks
from bot.service.routes import tap
from bot.service.types import Button, Keyboard, Result
from bot.store import repo
from bot.store.models import Person, Role

if TYPE_CHECKING:
    from bot.service.conversation import Context

PAGE_SIZE = 10  # people per page of a picker or of /caseload (Telegram keyboards stay small)


@dataclass(frozen=True)
class Purpose:
    """What a picker is for.

    letter: one letter in the page buttons ("pk:<letter>:<page>"; bot.service.callbacks.PickPage
      lists the letters it accepts). prompt: the locale key of the question. emoji: before each
      name. data: the callback data of the button for one young person (by their id).
    """

    letter: str
    prompt: str
    emoji: str
    data: Callable[[int], str]


PURPOSES: dict[str, Purpose] = {}


def purpose(letter: str, prompt: str, emoji: str, data: Callable[[int], str]) -> Purpose:
    """Declare a picker purpose (once, at import of the feature module).

    Takes the fields of `Purpose`; returns it. Raises RuntimeError for a letter used twice,
    since a page button would then reach the wrong feature, or one the page button
    (callbacks.PickPage) cannot carry, since "▶️" would then fail only past ten people.
    """
    if letter in PURPOSES:
        raise RuntimeError(f"picker purpose {letter!r} is declared twice")
    if letter not in get_args(get_type_hints(callbacks.PickPage)["purpose"]):
        raise RuntimeError(f"picker purpose {letter!r} is not a PickPage purpose")
    found = PURPOSES[letter] = Purpose(letter, prompt, emoji, data)
    return found


def pages(count: int) -> int:
    """How many pages `count` rows fill (at least one, so an empty list still has page 1)."""
    return max(1, (count + PAGE_SIZE - 1) // PAGE_SIZE)


def nav(page: int, count: int, data: Callable[[int], str]) -> tuple[Button, ...]:
    """The ◀️ / ▶️ row under page `page` of `count` rows; `data(n)` is page n's callback data.
    Empty when everything fits on one page."""
    row = []
    if page > 0:
        row.append(Button("◀️", data(page - 1)))
    if page + 1 < pages(count):
        row.append(Button(f"▶️ {page + 2}/{pages(count)}", data(page + 1)))
    return tuple(row)


def people_buttons(people: Sequence[Person], chosen: Purpose, page: int) -> Keyboard:
    """One button per young person on page `page` (clamped to the pages there are), then the
    page row."""
    page = min(max(0, page), pages(len(people)) - 1)
    shown = people[page * PAGE_SIZE:(page + 1) * PAGE_SIZE]
    rows = [(Button(f"{chosen.emoji} {p.display_name}", chosen.data(p.id)),) for p in shown]
    row = nav(page, len(people), lambda n: callbacks.PickPage(chosen.letter, n).pack())
    return tuple(rows + ([row] if row else []))


async def pick_young_person(ctx: Context, session: AsyncSession, person: Person, letter: str,
                            page: int = 0, *, edit: bool = False) -> Result:
    """The therapist's young people as buttons, a page at a time, for the purpose `letter`.

    Only the young people on `person`'s caseload now are listed (repo.caseload), so a picker
    never names anyone else's. An unknown letter (a forged page button) is refused.
    """
    chosen = PURPOSES.get(letter)
    if chosen is None:
        return Result(toast=ctx.locale("not_allowed"))
    people = await repo.caseload(session, person.id)
    if not people:
        return Result().say(ctx.locale("caseload_empty"))
    return Result().say(ctx.locale(chosen.prompt), people_buttons(people, chosen, page),
                        edit=edit)


@tap(Role.THERAPIST, callbacks.PickPage)
async def picked_page(ctx: Context, session: AsyncSession, person: Person,
                      data: callbacks.PickPage) -> Result:
    """▶️ or ◀️ on any picker: the same message shows the other page."""
    result = await pick_young_person(ctx, session, person, data.purpose, data.page, edit=True)
    result.toast = result.toast or ""
    return result
