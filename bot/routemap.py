"""`python -m bot routes`: who can send what, and the function that answers it.

Read from the registry every feature fills in (bot/service/routes.py ROUTES): commands and
button kinds per role, the kinds of input a half-done command waits for, the words
watchers and the periodic jobs. A few things are answered before the registry is asked
(bot/service/conversation.py Conversation.handle); they are listed at the end, by name, so a
reader knows where to look.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from bot.service.routes import ROUTES, Routes
from bot.store.models import Role

ANY_ROLE = "any role"
# Answered in Conversation.handle before ROUTES is asked: (what, the function that answers).
BUILT_IN: tuple[tuple[str, str], ...] = (
    ("/start <code> (an invitation link)",
     "bot.service.conversation.Conversation._start_with_code"),
    ("Consent, Decline, ReadyNow buttons", "bot.service.conversation.Conversation._consent"),
    ("a button nobody's role has", "bot.service.conversation.Conversation._refuse"),
    ("a command the role lacks", "its role's /help"),
    ("words or media, young person", "bot.service.young_person.message"),
    ("words or media, anyone else", "bot.service.therapist.message"),
)


@dataclass(frozen=True)
class Route:
    """One line of the map.

    role: a Role value, or ANY_ROLE; what: "command", "button", WAITING, "words watcher",
    "job" or "built in"; name: what is sent ("/menu", a button kind's class name);
    handler: the answering function as module.qualname; note: anything else worth a word.
    """

    role: str
    what: str
    name: str
    handler: str
    note: str = ""


def handler_name(fn: Callable[..., Any]) -> str:
    """`module.function` of a handler, looking through decorators that use functools.wraps."""
    fn = inspect.unwrap(fn)
    return f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', repr(fn))}"


def button_name(kind: type) -> str:
    """A button kind by its class name, with its wire prefix when the class declares one
    (`prefix`: the callback codec's; read with getattr, as not every codec has it)."""
    prefix = getattr(kind, "prefix", None)
    return f"{kind.__name__} [{prefix}]" if isinstance(prefix, str) and prefix else kind.__name__


WAITING = "waiting for (person.pending kind)"
_KINDS = ("command", "button")  # the order within a role


def _order(route: Route) -> tuple[int, int, str]:
    known = [r.value for r in Role]
    role = known.index(route.role) if route.role in known else len(known)
    return (role, _KINDS.index(route.what), route.name)


def routes(registry: Routes = ROUTES) -> list[Route]:
    """Every registered route, role by role (commands, then buttons), then what any role
    shares (waiting inputs, watchers, jobs), then the built-in answers."""
    menu = {(role, name) for role, names in registry.menus.items() for name in names}
    found = [Route(str(role), "command", f"/{name}", handler_name(fn),
                   "" if (role, name) in menu else "not in the menu")
             for (role, name), fn in registry.commands.items()]
    found += [Route(str(role), "button", button_name(kind), handler_name(fn))
              for (role, kind), fn in registry.taps.items()]
    found.sort(key=_order)
    found += [Route(ANY_ROLE, WAITING, kind, handler_name(fn))
              for kind, fn in sorted(registry.pending.items())]
    found += [Route(ANY_ROLE, "words watcher", "a young person's words", handler_name(fn))
              for fn in registry.watchers]
    found += [Route(ANY_ROLE, "job", job.name, handler_name(job.fn), f"every {job.seconds:g} s")
              for job in sorted(registry.periodic.values(), key=lambda j: j.name)]
    found += [Route(ANY_ROLE, "built in", what, where) for what, where in BUILT_IN]
    return found


def render(found: Iterable[Route]) -> str:
    """The map as plain text: a heading per role and per kind, one route a line."""
    lines = ["MySay routes (registered in bot/service/routes.py; Conversation.handle asks them)"]
    role = what = None
    rows = list(found)
    width = max((len(r.name) for r in rows), default=0) + 2
    for r in rows:
        if r.role != role:
            role, what = r.role, None
            lines += ["", f"{role}:"]
        if r.what != what:
            what = r.what
            lines.append(f"  {what}:")
        note = f"  ({r.note})" if r.note else ""
        lines.append(f"    {r.name.ljust(width)}{r.handler}{note}")
    return "\n".join(lines) + "\n"


def load_all() -> Routes:
    """The registry with every feature registered (importing the conversation loads them)."""
    import bot.service.conversation  # noqa: F401  (registers every feature's routes)

    return ROUTES
