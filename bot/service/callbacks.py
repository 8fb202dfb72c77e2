"""Callback data: short, plain ids that fit Telegram's 64-byte limit and say where a tap came from.

Every button names the screen it belongs to (a run and that run's version), so a stale, doubled
or forged tap is recognised here and in one check in the conversation, never acted on blindly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.engine.core import Action, ActionKind

MAX_BYTES = 64

_OPS: dict[str, ActionKind] = {
    "c": ActionKind.CHOOSE, "t": ActionKind.TOGGLE, "d": ActionKind.DONE, "b": ActionKind.BACK,
    "s": ActionKind.SKIP, "i": ActionKind.DONT_KNOW, "x": ActionKind.STOP,
    "k": ActionKind.RESUME, "S": ActionKind.SHARE, "K": ActionKind.KEEP, "C": ActionKind.CHANGE,
}
_CODES = {kind: code for code, kind in _OPS.items()}
# "Something else" is not an engine action: it only asks for typed words.
SOMETHING_ELSE = "o"

_RUN = re.compile(r"^r:(\d{1,12}):(\d{1,9}):([a-zA-Z])(\d{0,2})$")
_FLOW = re.compile(r"^f:([a-z][a-z0-9_]{0,30})$")
_CONSENT = re.compile(r"^a:([A-Za-z0-9_-]{16,43})$")
_PERSON = re.compile(r"^([sp]):(\d{1,12})$")


class InvalidCallback(ValueError):
    """Data we never issued (or that was changed on the way)."""


@dataclass(frozen=True)
class RunTap:
    run_id: int
    version: int
    action: Action | None  # None: "something else" (type your own words)


@dataclass(frozen=True)
class StartFlow:
    flow_id: str


@dataclass(frozen=True)
class Consent:
    code: str


@dataclass(frozen=True)
class Decline:
    pass


@dataclass(frozen=True)
class PickPerson:
    purpose: str  # "s": summary
    person_id: int


@dataclass(frozen=True)
class Unsafe:
    """The young person tapped "I don't feel safe"."""


Callback = RunTap | StartFlow | Consent | Decline | PickPerson | Unsafe


def _checked(data: str) -> str:
    if len(data.encode("utf-8")) > MAX_BYTES:
        raise ValueError(f"callback data over {MAX_BYTES} bytes: {data!r}")
    return data


def run_tap(run_id: int, version: int, kind: ActionKind | None, index: int | None = None) -> str:
    code = SOMETHING_ELSE if kind is None else _CODES[kind]
    return _checked(f"r:{run_id}:{version}:{code}{'' if index is None else index}")


def start_flow(flow_id: str) -> str:
    return _checked(f"f:{flow_id}")


def consent(code: str) -> str:
    return _checked(f"a:{code}")


def decline() -> str:
    return "n"


def unsafe() -> str:
    return "u"


def pick_person(purpose: str, person_id: int) -> str:
    return _checked(f"{purpose}:{person_id}")


def decode(data: str | None) -> Callback:
    if not data or len(data.encode("utf-8")) > MAX_BYTES:
        raise InvalidCallback("empty or oversized callback data")
    if data == "n":
        return Decline()
    if data == "u":
        return Unsafe()
    if match := _RUN.match(data):
        run_id, version, op, index = match.groups()
        if op == SOMETHING_ELSE and not index:
            return RunTap(int(run_id), int(version), None)
        kind = _OPS.get(op)
        if kind is None:
            raise InvalidCallback(f"unknown operation {op!r}")
        needs_index = kind in (ActionKind.CHOOSE, ActionKind.TOGGLE)
        if needs_index != bool(index):
            raise InvalidCallback("index does not fit the operation")
        return RunTap(int(run_id), int(version), Action(kind, int(index) if index else None))
    if match := _FLOW.match(data):
        return StartFlow(match.group(1))
    if match := _CONSENT.match(data):
        return Consent(match.group(1))
    if match := _PERSON.match(data):
        return PickPerson(match.group(1), int(match.group(2)))
    raise InvalidCallback("unrecognised callback data")
