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
    "m": ActionKind.MOVE, "y": ActionKind.RIGHT, "e": ActionKind.KEEP_EARLIER,
}
_CODES = {kind: code for code, kind in _OPS.items()}
# Not engine actions: "Something else" only asks for typed words; "Read it to me" sends the
# question as a voice message.
SOMETHING_ELSE = "o"
READ_ALOUD = "v"

_RUN = re.compile(r"^r:(\d{1,12}):(\d{1,9}):([a-zA-Z])(\d{0,2})$")
_FLOW = re.compile(r"^f:([a-z][a-z0-9_]{0,30})$")
_CONSENT = re.compile(r"^a:([A-Za-z0-9_-]{16,43})$")
# "Not now" and "I'm ready now" carry the invitation code as the consent button does, so
# nothing about the person is stored before they agree (issue 12, point 7).
_DECLINE = re.compile(r"^n:([A-Za-z0-9_-]{16,43})$")
_READY_NOW = re.compile(r"^h:([A-Za-z0-9_-]{16,43})$")
_PERSON = re.compile(r"^([sp]):(\d{1,12})$")


class InvalidCallback(ValueError):
    """Data we never issued (or that was changed on the way)."""


@dataclass(frozen=True)
class RunTap:
    run_id: int
    version: int
    action: Action | None  # None: "something else" or "read it to me" (see `extra`)
    extra: str | None = None  # SOMETHING_ELSE or READ_ALOUD


@dataclass(frozen=True)
class StartFlow:
    flow_id: str


@dataclass(frozen=True)
class Consent:
    code: str


@dataclass(frozen=True)
class Decline:
    """"Not now" on a hello. `code` is the invitation's code ("n:<code>"); None for the plain
    "n" such buttons carried before issue 12, which still decode (no way back can be offered:
    the code is not known)."""

    code: str | None = None


@dataclass(frozen=True)
class ReadyNow:
    """"I'm ready now" on the message after "Not now": show the hello again ("h:<code>")."""

    code: str


@dataclass(frozen=True)
class PickPerson:
    purpose: str  # "s": summary
    person_id: int


@dataclass(frozen=True)
class Unsafe:
    """The young person tapped "I don't feel safe"."""


@dataclass(frozen=True)
class CarryOn:
    """"Carry on" on a safety reply given mid-flow: show the step they are on now ("w")."""


Callback = RunTap | StartFlow | Consent | Decline | ReadyNow | PickPerson | Unsafe | CarryOn


def _checked(data: str) -> str:
    if len(data.encode("utf-8")) > MAX_BYTES:
        raise ValueError(f"callback data over {MAX_BYTES} bytes: {data!r}")
    return data


def run_tap(run_id: int, version: int, kind: ActionKind | str | None,
            index: int | None = None) -> str:
    """`kind` is an engine action, or SOMETHING_ELSE / READ_ALOUD (None = SOMETHING_ELSE)."""
    if isinstance(kind, ActionKind):
        code = _CODES[kind]
    elif kind is None or kind in (SOMETHING_ELSE, READ_ALOUD):
        code = kind or SOMETHING_ELSE
    else:
        raise ValueError(f"not a button kind: {kind!r}")
    return _checked(f"r:{run_id}:{version}:{code}{'' if index is None else index}")


def start_flow(flow_id: str) -> str:
    return _checked(f"f:{flow_id}")


def consent(code: str) -> str:
    return _checked(f"a:{code}")


def decline(code: str | None = None) -> str:
    """"Not now" on the hello for invitation `code` ("n:<code>"); without a code the plain "n"
    of buttons made before issue 12 (kept so those still decode)."""
    return "n" if code is None else _checked(f"n:{code}")


def ready_now(code: str) -> str:
    """"I'm ready now" after "Not now": the hello for invitation `code` again."""
    return _checked(f"h:{code}")


def carry_on() -> str:
    """"Carry on" on a safety reply: where the young person is now (issue 12, point 8)."""
    return "w"


def unsafe() -> str:
    return "u"


def pick_person(purpose: str, person_id: int) -> str:
    return _checked(f"{purpose}:{person_id}")


# --- privacy and safeguarding (issue 4) ------------------------------------------------------

_ALERT = re.compile(r"^g([am]):(\d{1,12})$")
_DELETE_MINE = re.compile(r"^dm:([yn])$")
_DELETION = re.compile(r"^dd:(\d{1,12}):([ync])$")
_MINE_TOGGLE = re.compile(r"^mt:(\d{1,12}):([sk]):(\d{1,4})$")
_MINE_PAGE = re.compile(r"^mp:(\d{1,4})$")


@dataclass(frozen=True)
class AlertAck:
    """A therapist or the safeguarding contact has seen an alert."""

    alert_id: int


@dataclass(frozen=True)
class AlertMore:
    """The young person wants to say more about not feeling safe."""

    alert_id: int


@dataclass(frozen=True)
class DeleteMine:
    """The young person's answer to "Delete everything?"."""

    confirm: bool


@dataclass(frozen=True)
class DeletionDecision:
    """A therapist's answer to a deletion request: y(es), n(o, with a reason), c(ancel)."""

    request_id: int
    decision: str


@dataclass(frozen=True)
class MineToggle:
    """Share (s) or keep (k) one finished flow, from the /mine list page `page`."""

    run_id: int
    share: bool
    page: int


@dataclass(frozen=True)
class MinePage:
    page: int


PrivacyCallback = AlertAck | AlertMore | DeleteMine | DeletionDecision | MineToggle | MinePage


def alert_ack(alert_id: int) -> str:
    return _checked(f"ga:{alert_id}")


def alert_more(alert_id: int) -> str:
    return _checked(f"gm:{alert_id}")


def delete_mine(confirm: bool) -> str:
    return f"dm:{'y' if confirm else 'n'}"


def deletion_decision(request_id: int, decision: str) -> str:
    if decision not in ("y", "n", "c"):
        raise ValueError(f"not a deletion decision: {decision!r}")
    return _checked(f"dd:{request_id}:{decision}")


def mine_toggle(run_id: int, share: bool, page: int) -> str:
    return _checked(f"mt:{run_id}:{'s' if share else 'k'}:{page}")


def mine_page(page: int) -> str:
    return _checked(f"mp:{page}")


def _privacy(data: str) -> PrivacyCallback | None:
    if match := _ALERT.match(data):
        kind, alert_id = match.groups()
        return AlertAck(int(alert_id)) if kind == "a" else AlertMore(int(alert_id))
    if match := _DELETE_MINE.match(data):
        return DeleteMine(match.group(1) == "y")
    if match := _DELETION.match(data):
        return DeletionDecision(int(match.group(1)), match.group(2))
    if match := _MINE_TOGGLE.match(data):
        run_id, op, page = match.groups()
        return MineToggle(int(run_id), op == "s", int(page))
    if match := _MINE_PAGE.match(data):
        return MinePage(int(match.group(1)))
    return None


def decode(data: str | None) -> Callback | PrivacyCallback:
    if not data or len(data.encode("utf-8")) > MAX_BYTES:
        raise InvalidCallback("empty or oversized callback data")
    if data == "n":
        return Decline()
    if data == "u":
        return Unsafe()
    if data == "w":
        return CarryOn()
    if match := _RUN.match(data):
        run_id, version, op, index = match.groups()
        if op in (SOMETHING_ELSE, READ_ALOUD) and not index:
            return RunTap(int(run_id), int(version), None, op)
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
    if match := _DECLINE.match(data):
        return Decline(match.group(1))
    if match := _READY_NOW.match(data):
        return ReadyNow(match.group(1))
    if match := _PERSON.match(data):
        return PickPerson(match.group(1), int(match.group(2)))
    if (found := _privacy(data)) is not None:
        return found
    if (therapist_side := decode_therapist_side(data)) is not None:
        return therapist_side
    if (feature := decode_feature(data)) is not None:
        return feature
    if (menu := decode_menu_page(data)) is not None:  # the block at the end of this file
        return menu
    raise InvalidCallback("unrecognised callback data")


# --- settings, assignments, personal cards and recordings --------------------------------------

_SETTING = re.compile(r"^st:([zcfart]):(\d)$")
_ASSIGN = re.compile(r"^as:([pfdtcs]):(\d{1,12})(?::(\d{1,2}))?$")
_ADD_CARD = re.compile(r"^ac:(\d{1,12})$")
_RECORD = re.compile(r"^rc:([fs]):(\d{1,2})(?::(\d{1,2}))?$")


@dataclass(frozen=True)
class Setting:
    """/settings: key z text size, c colours, f font, a read aloud, r reminders, t time."""

    key: str
    value: int


@dataclass(frozen=True)
class AssignTap:
    """/assign: p pick person, f toggle flow, d flows done, t topic, c toggle card, s save."""

    op: str
    person_id: int
    index: int | None = None


@dataclass(frozen=True)
class AddCardFor:
    person_id: int


@dataclass(frozen=True)
class RecordTap:
    """/record: f pick flow (index), s pick step (flow index, step index)."""

    op: str
    flow_index: int
    step_index: int | None = None


def setting(key: str, value: int) -> str:
    return _checked(f"st:{key}:{value}")


def assign_tap(op: str, person_id: int, index: int | None = None) -> str:
    return _checked(f"as:{op}:{person_id}" + ("" if index is None else f":{index}"))


def add_card_for(person_id: int) -> str:
    return _checked(f"ac:{person_id}")


def record_tap(op: str, flow_index: int, step_index: int | None = None) -> str:
    return _checked(f"rc:{op}:{flow_index}" + ("" if step_index is None else f":{step_index}"))


def decode_feature(data: str) -> Setting | AssignTap | AddCardFor | RecordTap | None:
    if match := _SETTING.match(data):
        return Setting(match.group(1), int(match.group(2)))
    if match := _ASSIGN.match(data):
        op, person, index = match.groups()
        if (op in "fct") != (index is not None):  # f, c, t name a choice; p, d, s do not
            return None
        return AssignTap(op, int(person), int(index) if index is not None else None)
    if match := _ADD_CARD.match(data):
        return AddCardFor(int(match.group(1)))
    if match := _RECORD.match(data):
        op, flow, step = match.groups()
        if (op == "s") != (step is not None):
            return None
        return RecordTap(op, int(flow), int(step) if step is not None else None)
    return None


# --- the therapist's side: caseload, meetings, "you said", supporters (issue 5) ---------------

_PAGE = re.compile(r"^pk:([smyvac]):(\d{1,4})$")
_CASELOAD_PAGE = re.compile(r"^cl:(\d{1,4})$")
_MEETING = re.compile(r"^mg:([pwdtx]):(\d{1,12})(?::(\d{1,8}))?$")
_YOU_SAID = re.compile(r"^ys:([psaglc]):(\d{1,12})(?::([a-z0-9_]{1,42}))?$")
_SUPPORTER = re.compile(r"^sv:([praw]):(\d{1,12})(?::(\d{1,2}))?(?::(\d{1,10}))?(?::([yn]))?$")
_READY = re.compile(r"^gr:([sn]):(\d{1,12})$")


@dataclass(frozen=True)
class PickPage:
    """Another page of the young-person picker (bot.service.picker). purpose: s summary,
    m meeting, y you said, v supporter, a assign, c add a card."""

    purpose: str
    page: int


@dataclass(frozen=True)
class CaseloadPage:
    page: int


@dataclass(frozen=True)
class MeetingTap:
    """/meeting: p picked (young person), w weeks ahead, d a day (yyyymmdd), t type a date,
    x cancel the meeting."""

    op: str
    person_id: int
    value: int | None = None


@dataclass(frozen=True)
class YouSaidTap:
    """/yousaid: p picked (young person id); s said (draft id, what: q<answer id> or the
    symbol id), a add another, g send, c cancel (draft id); l listened (you_said id, 0-2)."""

    op: str
    ident: int
    ref: str | None = None


@dataclass(frozen=True)
class SupporterTap:
    """p therapist picked a young person; r relationship (index); a the young person's answer
    (therapist id, relationship, when asked in minutes, y/n); w a supporter adds a view
    (young person id). A supporter joins with the usual consent button (Consent)."""

    op: str
    ident: int
    relationship: int | None = None
    asked: int | None = None
    answer: str | None = None


@dataclass(frozen=True)
class ReadyTap:
    """A young person before their meeting: s see what I will share, n not now."""

    op: str
    meeting_id: int


TherapistSide = PickPage | CaseloadPage | MeetingTap | YouSaidTap | SupporterTap | ReadyTap


def pick_page(purpose: str, page: int) -> str:
    return _checked(f"pk:{purpose}:{page}")


def caseload_page(page: int) -> str:
    return _checked(f"cl:{page}")


def meeting_tap(op: str, person_id: int, value: int | None = None) -> str:
    return _checked(f"mg:{op}:{person_id}" + ("" if value is None else f":{value}"))


def you_said_tap(op: str, ident: int, ref: str | None = None) -> str:
    return _checked(f"ys:{op}:{ident}" + ("" if ref is None else f":{ref}"))


def supporter_tap(op: str, ident: int, relationship: int | None = None,
                  asked: int | None = None, answer: str | None = None) -> str:
    parts = [f"sv:{op}:{ident}"] + [str(v) for v in (relationship, asked, answer)
                                    if v is not None]
    return _checked(":".join(parts))


def ready_tap(op: str, meeting_id: int) -> str:
    return _checked(f"gr:{op}:{meeting_id}")


def decode_therapist_side(data: str) -> TherapistSide | None:
    """The issue-5 buttons, each checked for the right shape (None: not one of ours)."""
    if match := _PAGE.match(data):
        return PickPage(match.group(1), int(match.group(2)))
    if match := _CASELOAD_PAGE.match(data):
        return CaseloadPage(int(match.group(1)))
    if match := _MEETING.match(data):
        op, person, value = match.groups()
        if (op in "wd") != (value is not None):
            return None
        return MeetingTap(op, int(person), int(value) if value is not None else None)
    if match := _YOU_SAID.match(data):
        op, ident, ref = match.groups()
        if (op in "sl") != (ref is not None):
            return None
        return YouSaidTap(op, int(ident), ref)
    if match := _SUPPORTER.match(data):
        return _supporter(*match.groups())
    if match := _READY.match(data):
        return ReadyTap(match.group(1), int(match.group(2)))
    return None


def _supporter(op: str, ident: str, relationship: str | None, asked: str | None,
               answer: str | None) -> SupporterTap | None:
    shapes = {"p": (False, False, False), "w": (False, False, False),
              "r": (True, False, False), "a": (True, True, True)}
    if shapes[op] != (relationship is not None, asked is not None, answer is not None):
        return None
    return SupporterTap(op, int(ident), int(relationship) if relationship is not None else None,
                        int(asked) if asked is not None else None, answer)


# --- the young person's activity menu, a page at a time (issue 13, point 3) -------------------

_MENU_PAGE = re.compile(r"^fm:(\d{1,3})$")


@dataclass(frozen=True)
class MenuPage:
    """Another page of the young person's activity menu ("More ▶️" or "◀️ Back"), so that no
    activity is cut off however many there are. `page` counts from 0."""

    page: int


def menu_page(page: int) -> str:
    """The button data for page `page` (from 0) of the activity menu: "fm:<page>"."""
    return _checked(f"fm:{page}")


def decode_menu_page(data: str) -> MenuPage | None:
    """A MenuPage for "fm:<page>", else None (not a menu page button)."""
    if match := _MENU_PAGE.match(data):
        return MenuPage(int(match.group(1)))
    return None
