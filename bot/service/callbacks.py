"""Callback data: short, plain ids that fit Telegram's 64-byte limit and say where a tap came from.

Every button kind is a frozen dataclass that declares its wire prefix and typed fields; one
codec (this module) writes them (`.pack()`), reads them (`decode`), checks the 64 bytes the
Bot API allows (callback_data is 1-64 bytes) and that a button means what it was made to mean
(`pack` decodes its own output and refuses anything that does not come back the same). The
idea follows aiogram's CallbackData; the wire format is MySay's own and has not changed, so
buttons already in chats still work.

Fields are declared with their type: an int with `Digits(n)` (at most n digits, never
negative), a `Literal[...]` or an Enum of one-letter operations, a bool written as two letters
(`Flag`), a string with the pattern it must match (`Text`), and `X | None = None` for a part
that may be left out. A kind with an `op` field says in `shapes` which optional parts each
operation must carry (today's shape checks, such as "/assign's f, c and t name a choice").

Every button names the screen it belongs to (a run and that run's version), so a stale, doubled
or forged tap is recognised here and in one check in the conversation, never acted on blindly.
Buttons that pick a flow, a choice, a topic, a card or a step carry its stable id (`ref`), not
its position in a list, so adding a flow file or a choice between deploys cannot make an old
button pick something else (issue 13, point 1).
"""

from __future__ import annotations

import enum
import functools
import hashlib
import re
import types
from collections.abc import Callable, Mapping, Sequence
from dataclasses import MISSING, dataclass
from dataclasses import fields as dataclass_fields
from typing import (
    TYPE_CHECKING,
    Annotated,
    Any,
    ClassVar,
    Literal,
    Union,
    get_args,
    get_origin,
    get_type_hints,
)

from bot.engine.core import Action, ActionKind

if TYPE_CHECKING:
    from bot.engine.screen import Screen

MAX_BYTES = 64  # Bot API: callback_data, 1-64 bytes


class InvalidCallback(ValueError):
    """Data we never issued (or that was changed on the way)."""


# --- how a field is written -------------------------------------------------------------------


@dataclass(frozen=True)
class Text:
    """A string field: the regular expression its text must match. `sep` goes before it (the
    index of an old run tap is glued to its operation: "c2")."""

    pattern: str
    sep: str = ":"


@dataclass(frozen=True)
class Digits(Text):
    """A non-negative int of at most `n` digits (so its bound is 10**n - 1)."""

    def __init__(self, n: int, sep: str = ":") -> None:
        super().__init__(rf"\d{{1,{n}}}", sep)


@dataclass(frozen=True)
class Flag(Text):
    """A bool written as one of two words (`yes` for True)."""

    yes: str = "y"
    no: str = "n"

    def __init__(self, yes: str, no: str, sep: str = ":") -> None:
        super().__init__(f"{re.escape(yes)}|{re.escape(no)}", sep)
        object.__setattr__(self, "yes", yes)
        object.__setattr__(self, "no", no)


# An invitation code (bot/store/repo.py create_invitation: token_urlsafe).
CODE = Text(r"[A-Za-z0-9_-]{16,43}")
# A stable id (flow, step or symbol ids start with a letter, the "who helped" step with "_"),
# or the short digest `short_ref` makes of a long one; never a bare number, so it cannot be
# read as the list position the buttons carried before issue 13.
REF = Text(r"[a-z_][a-z0-9_]{0,23}|~[0-9a-f]{12}")
_REF_LENGTH = 24
# Which meeting "The meeting has happened" is about: m<meeting id> (m0: none was set), or
# y<meeting id> once the therapist said yes to moving a later meeting to today.
MEETING_REF = Text(r"[my]\d{1,12}")


def short_ref(ident: str) -> str:
    """The stable short id a button carries for `ident` (a flow, step or symbol id): the id
    itself when it is short enough, else "~" and a 12-hex digest of it. The same id always
    gives the same ref (no table to keep), and every button with one fits 64 bytes."""
    if len(ident) <= _REF_LENGTH:
        return ident
    return "~" + hashlib.blake2s(ident.encode(), digest_size=6).hexdigest()


def ref_index(ref: str | None, idents: Sequence[str]) -> int | None:
    """Where the id `ref` names is in `idents` (the list shown now), or None if it is not
    there, or not once only (then the button cannot say which it meant)."""
    found = [i for i, ident in enumerate(idents) if ref is not None and short_ref(ident) == ref]
    return found[0] if len(found) == 1 else None


@dataclass(frozen=True)
class _Field:
    name: str
    pattern: str
    sep: str
    optional: bool
    read: Callable[[str], Any]
    write: Callable[[Any], str]


def _field(name: str, hint: Any, has_default: bool) -> _Field:
    """One declared field as the codec reads and writes it."""
    how: Text | None = None
    if get_origin(hint) is Annotated:
        hint, *extras = get_args(hint)
        how = next(e for e in extras if isinstance(e, Text))
    optional = False
    if get_origin(hint) in (Union, types.UnionType):
        inner = [a for a in get_args(hint) if a is not type(None)]
        optional, hint = len(inner) < len(get_args(hint)), inner[0]
    if optional and not has_default:
        raise TypeError(f"{name}: an optional field needs the default None")
    sep = how.sep if how else ":"
    if get_origin(hint) is Literal:
        values = [str(v) for v in get_args(hint)]
        return _Field(name, "|".join(map(re.escape, values)), sep, optional, str, str)
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        kind = hint
        values = [str(m.value) for m in kind]
        return _Field(name, "|".join(map(re.escape, values)), sep, optional, kind,
                      lambda v: str(kind(v).value))
    if how is None:
        raise TypeError(f"{name}: say how it is written (Digits, Flag or Text)")
    if isinstance(how, Flag):
        flag = how
        return _Field(name, how.pattern, sep, optional, lambda s: s == flag.yes,
                      lambda v: flag.yes if v else flag.no)
    if hint is int:
        return _Field(name, how.pattern, sep, optional, int, str)
    return _Field(name, how.pattern, sep, optional, str, str)


# --- the codec --------------------------------------------------------------------------------

_KINDS: list[type[CallbackData]] = []


class CallbackData:
    """Base of every button kind. A subclass is a frozen dataclass declared as

        @dataclass(frozen=True)
        class AlertAck(CallbackData, prefix="ga", urgent=True):
            alert_id: Annotated[int, Digits(12)]

    `prefix` starts its data ("" for none: the first field starts it); `urgent` taps are
    never dropped by the flood limit (bot/telegram/handlers.py asks `is_urgent`)."""

    prefix: ClassVar[str]
    urgent: ClassVar[bool]
    # op value -> the alternatives for which optional fields it carries ("index", "a b c");
    # an op not named carries none. Only for kinds with an `op` field.
    shapes: ClassVar[Mapping[str, Sequence[str]]] = {}

    def __init_subclass__(cls, prefix: str, urgent: bool = False, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.prefix, cls.urgent = prefix, urgent
        _KINDS.append(cls)

    def pack(self) -> str:
        """The callback data for this button. Raises ValueError if it would be over 64 bytes,
        or would not decode to this same value (a field out of its bounds or pattern, or a
        shape the kind does not have)."""
        parts = [self.prefix]
        for spec in _specs(type(self)):
            value = getattr(self, spec.name)
            if value is not None:
                text = spec.write(value)
                parts.append(text if len(parts) == 1 and not self.prefix
                             else spec.sep + text)
        data = "".join(parts)
        if not 0 < len(data.encode()) <= MAX_BYTES:
            raise ValueError(f"callback data must be 1-{MAX_BYTES} bytes: {data!r}")
        try:
            back = decode(data)
        except InvalidCallback as error:
            raise ValueError(f"not a {type(self).__name__} we can read back: {data!r}") from error
        if back != self:
            raise ValueError(f"{data!r} would read back as {back!r}, not {self!r}")
        return data


@functools.cache
def _specs(kind: type[CallbackData]) -> tuple[_Field, ...]:
    hints = get_type_hints(kind, include_extras=True)
    return tuple(_field(f.name, hints[f.name], f.default is not MISSING)
                 for f in dataclass_fields(kind))  # type: ignore[arg-type]


@functools.cache
def _regex(kind: type[CallbackData]) -> re.Pattern[str]:
    text = re.escape(kind.prefix)
    for i, spec in enumerate(_specs(kind)):
        sep = "" if i == 0 and not kind.prefix else re.escape(spec.sep)
        group = f"{sep}(?P<{spec.name}>{spec.pattern})"
        text += f"(?:{group})?" if spec.optional else group
    return re.compile(f"^{text}$")


def _shape_fits(kind: type[CallbackData], values: dict[str, Any]) -> bool:
    if "op" not in values:
        return True
    present = {k for k, spec in zip(values, _specs(kind), strict=True)
               if spec.optional and values[k] is not None}
    op = values["op"]
    allowed = kind.shapes.get(str(op.value if isinstance(op, enum.Enum) else op), ("",))
    return any(present == set(shape.split()) for shape in allowed)


def _parse(kind: type[CallbackData], data: str) -> CallbackData | None:
    match = _regex(kind).match(data)
    if match is None:
        return None
    values = {spec.name: None if match[spec.name] is None else spec.read(match[spec.name])
              for spec in _specs(kind)}
    if not _shape_fits(kind, values):
        return None
    return kind(**values)


def decode(data: str | None) -> CallbackData:
    """The button behind callback `data`. Raises InvalidCallback for anything we never issue:
    empty or over 64 bytes, an unknown kind, a field out of its pattern, or a shape the kind
    does not have."""
    if not data or len(data.encode("utf-8")) > MAX_BYTES:
        raise InvalidCallback("empty or oversized callback data")
    for kind in _KINDS:
        if (found := _parse(kind, data)) is not None:
            return found
    raise InvalidCallback("unrecognised callback data")


def is_urgent(data: str | None) -> bool:
    """Whether a tap with this data is a safety tap ("I don't feel safe", an alert's "Seen" or
    "Tell more"), which the adapter never drops however fast it comes. False for data we
    never issued."""
    try:
        return type(decode(data)).urgent
    except InvalidCallback:
        return False


def kinds() -> tuple[type[CallbackData], ...]:
    """Every declared button kind (for tests that fuzz or list them)."""
    return tuple(_KINDS)


def field_patterns(kind: type[CallbackData]) -> list[tuple[str, str, bool]]:
    """(name, regular expression, optional) of each field of `kind`, in wire order: enough
    to make random buttons of that kind for a round-trip test."""
    return [(spec.name, spec.pattern, spec.optional) for spec in _specs(kind)]


# --- the young person's run -------------------------------------------------------------------


class RunOp(enum.StrEnum):
    """What a button on a flow screen does: an engine action (same name as its ActionKind),
    or "Something else" (only asks for typed words) and "Read it to me" (the question as a
    voice message), which are not engine actions."""

    CHOOSE = "c"
    TOGGLE = "t"
    DONE = "d"
    BACK = "b"
    SKIP = "s"
    DONT_KNOW = "i"
    STOP = "x"
    RESUME = "k"
    SHARE = "S"
    KEEP = "K"
    CHANGE = "C"
    MOVE = "m"
    RIGHT = "y"
    KEEP_EARLIER = "e"
    SOMETHING_ELSE = "o"
    READ_ALOUD = "v"


SOMETHING_ELSE = RunOp.SOMETHING_ELSE
READ_ALOUD = RunOp.READ_ALOUD
_PICKS = (RunOp.CHOOSE, RunOp.TOGGLE)


@dataclass(frozen=True)
class RunTap(CallbackData, prefix="r"):
    """A button on a flow screen: run, that run's version, the operation and, for a choice,
    the choice's stable id ("r:12:3:c:lessons"). Before issue 13 a choice was named by its
    index on the screen ("r:12:3:c2"); those still decode (with `index`) but are not acted
    on (see `action_on`)."""

    run_id: Annotated[int, Digits(12)]
    version: Annotated[int, Digits(9)]
    op: RunOp
    index: Annotated[int | None, Digits(2, sep="")] = None
    choice: Annotated[str | None, REF] = None
    shapes: ClassVar[Mapping[str, Sequence[str]]] = {"c": ("index", "choice"),
                                                     "t": ("index", "choice")}

    @classmethod
    def of(cls, run_id: int, version: int, op: ActionKind | RunOp,
           choice: str | None = None) -> RunTap:
        """The button for engine action `op` (or a RunOp) on version `version` of a run;
        `choice` is the option's id (Option.symbol_id) for CHOOSE and TOGGLE."""
        run_op = op if isinstance(op, RunOp) else RunOp[op.name]
        return cls(run_id, version, run_op, None, None if choice is None else short_ref(choice))

    @property
    def extra(self) -> RunOp | None:
        """SOMETHING_ELSE or READ_ALOUD, which are not engine actions; else None."""
        return self.op if self.op in (SOMETHING_ELSE, READ_ALOUD) else None

    @property
    def names_choice(self) -> bool:
        """Whether this button picks one of the screen's options (so `action_on` needs the
        screen the run is on now)."""
        return self.op in _PICKS

    def action_on(self, screen: Screen | None) -> Action | None:
        """The engine action this tap means on `screen`, the screen the run is on NOW (the
        version check has already said it is the tapped one).

        A choice is found by its id among the screen's options and handed to the engine by
        its index there. None when there is no action to take: "Something else" or "Read it
        to me", a choice not on the screen, or an old index-form button: that index was
        counted in the choice list of the deploy that sent it, which may have been edited
        since, and nothing recorded then can tell, so the caller shows the screen again
        ("That button is from before") rather than pick what may be the wrong thing."""
        if self.extra is not None:
            return None
        kind = ActionKind[self.op.name]
        if not self.names_choice:
            return Action(kind)
        if screen is None:
            return None
        index = ref_index(self.choice, [o.symbol_id for o in screen.options])
        return None if index is None else Action(kind, index)


@dataclass(frozen=True)
class StartFlow(CallbackData, prefix="f"):
    """A flow on the young person's menu, by its id ("f:check_in"). Any id a flow file may use
    (bot/engine/flows.py _ID: up to 41 characters, so at most 43 bytes here)."""

    flow_id: Annotated[str, Text(r"[a-z][a-z0-9_]{0,40}")]


@dataclass(frozen=True)
class Consent(CallbackData, prefix="a"):
    """"Yes" on an invitation's hello ("a:<code>")."""

    code: Annotated[str, CODE]


@dataclass(frozen=True)
class Decline(CallbackData, prefix="n"):
    """"Not now" on a hello. `code` is the invitation's code ("n:<code>"); None for the plain
    "n" such buttons carried before issue 12, which still decode (no way back can be offered:
    the code is not known). Nothing about the person is stored before they agree (issue 12,
    point 7)."""

    code: Annotated[str | None, CODE] = None


@dataclass(frozen=True)
class ReadyNow(CallbackData, prefix="h"):
    """"I'm ready now" on the message after "Not now": show the hello again ("h:<code>")."""

    code: Annotated[str, CODE]


@dataclass(frozen=True)
class PickPerson(CallbackData, prefix=""):
    """A young person picked from a therapist's list: purpose s (summary) or p, and their id
    ("s:5"; the purpose is the whole prefix)."""

    purpose: Literal["s", "p"]
    person_id: Annotated[int, Digits(12)]


@dataclass(frozen=True)
class Unsafe(CallbackData, prefix="u", urgent=True):
    """The young person tapped "I don't feel safe" ("u")."""


@dataclass(frozen=True)
class CarryOn(CallbackData, prefix="w"):
    """"Carry on" on a safety reply given mid-flow: show the step they are on now ("w")."""


@dataclass(frozen=True)
class SafetyBack(CallbackData, prefix="sb"):
    """"Back to my activities" on a safety reply: the menu, as a new message ("sb")."""


# --- privacy and safeguarding (issue 4) ------------------------------------------------------


@dataclass(frozen=True)
class AlertAck(CallbackData, prefix="ga", urgent=True):
    """A therapist or the safeguarding contact has seen an alert ("ga:7")."""

    alert_id: Annotated[int, Digits(12)]


@dataclass(frozen=True)
class AlertMore(CallbackData, prefix="gm", urgent=True):
    """The young person wants to say more about not feeling safe ("gm:7")."""

    alert_id: Annotated[int, Digits(12)]


@dataclass(frozen=True)
class DeleteMine(CallbackData, prefix="dm"):
    """The young person's answer to "Delete everything?" ("dm:y", "dm:n")."""

    confirm: Annotated[bool, Flag("y", "n")]


@dataclass(frozen=True)
class DeletionDecision(CallbackData, prefix="dd"):
    """A therapist's answer to a deletion request: y(es), n(o, with a reason), c(ancel)
    ("dd:4:c")."""

    request_id: Annotated[int, Digits(12)]
    decision: Literal["y", "n", "c"]


@dataclass(frozen=True)
class MineToggle(CallbackData, prefix="mt"):
    """Share (s) or keep (k) one finished flow, from the /mine list page `page`
    ("mt:9:s:0")."""

    run_id: Annotated[int, Digits(12)]
    share: Annotated[bool, Flag("s", "k")]
    page: Annotated[int, Digits(4)]


@dataclass(frozen=True)
class MineShare(CallbackData, prefix="ms"):
    """"Share with my therapist" under the picture of what will be shared: share finished
    flow `run_id`, from /mine page `page` ("ms:9:0"; issue 15, point 8)."""

    run_id: Annotated[int, Digits(12)]
    page: Annotated[int, Digits(4)]


@dataclass(frozen=True)
class MineUndo(CallbackData, prefix="mu"):
    """"Make it private again" just after sharing flow `run_id` from /mine page `page`
    ("mu:9:0"; issue 15, point 8)."""

    run_id: Annotated[int, Digits(12)]
    page: Annotated[int, Digits(4)]


@dataclass(frozen=True)
class MinePage(CallbackData, prefix="mp"):
    """Another page of /mine ("mp:1")."""

    page: Annotated[int, Digits(4)]


# --- settings, assignments, personal cards and recordings --------------------------------------


@dataclass(frozen=True)
class MenuPage(CallbackData, prefix="fm"):
    """Another page of the young person's activity menu ("More ▶️" or "◀️ Back"), so that no
    activity is cut off however many there are. `page` counts from 0 ("fm:1")."""

    page: Annotated[int, Digits(3)]


@dataclass(frozen=True)
class Setting(CallbackData, prefix="st"):
    """/settings: key z text size, c colours, f font, l look (young or grown-up), p pictures
    (on or words only), a read aloud, r reminders, t time ("st:z:2"); bot.preferences.CHOICES."""

    key: Literal["z", "c", "f", "l", "p", "a", "r", "t"]
    value: Annotated[int, Digits(1)]


@dataclass(frozen=True)
class AssignTap(CallbackData, prefix="as"):
    """/assign: p pick person, d flows done, s save; F toggle a flow, T pick a topic, C toggle
    a card, each by its id (`ref`: "as:F:5:check_in"). f, t and c name them by index
    ("as:f:5:3"), as buttons did before issue 13: those decode, but are answered with the
    list as it is now (bot/service/features/assign.py)."""

    op: Literal["p", "f", "d", "t", "c", "s", "F", "T", "C"]
    person_id: Annotated[int, Digits(12)]
    index: Annotated[int | None, Digits(2)] = None
    ref: Annotated[str | None, REF] = None
    shapes: ClassVar[Mapping[str, Sequence[str]]] = {
        "f": ("index",), "t": ("index",), "c": ("index",),
        "F": ("ref",), "T": ("ref",), "C": ("ref",)}


@dataclass(frozen=True)
class AddCardFor(CallbackData, prefix="ac"):
    """/addcard: the young person the card is for ("ac:5")."""

    person_id: Annotated[int, Digits(12)]


@dataclass(frozen=True)
class RecordTap(CallbackData, prefix="rc"):
    """/record: F pick a flow ("rc:F:check_in"), S pick a step ("rc:S:check_in:feeling"), by
    their ids. f and s name them by index ("rc:f:1", "rc:s:1:2"), as buttons did before
    issue 13: those decode, but are answered with the list as it is now."""

    op: Literal["f", "s", "F", "S"]
    flow_index: Annotated[int | None, Digits(2)] = None
    step_index: Annotated[int | None, Digits(2)] = None
    flow: Annotated[str | None, REF] = None
    step: Annotated[str | None, REF] = None
    shapes: ClassVar[Mapping[str, Sequence[str]]] = {
        "f": ("flow_index",), "s": ("flow_index step_index",),
        "F": ("flow",), "S": ("flow step",)}


# --- the therapist's side: caseload, meetings, "you said", supporters (issue 5) ---------------


@dataclass(frozen=True)
class OutcomeTap(CallbackData, prefix="oc"):
    """/outcomes, for one young person (bot/service/features/outcomes.py): p picked (their
    list), a add one (type its words); for one outcome, by its id: e what to do with it,
    w change its words, g change its picture, s give it a symbol (`ref`: the symbol id),
    i send a picture for it, k no picture (done), r remove (asks first), y yes, remove it
    ("oc:s:5:12:talking")."""

    op: Literal["p", "a", "e", "w", "g", "s", "i", "k", "r", "y"]
    person_id: Annotated[int, Digits(12)]
    outcome: Annotated[int | None, Digits(12)] = None
    ref: Annotated[str | None, REF] = None
    shapes: ClassVar[Mapping[str, Sequence[str]]] = {
        "e": ("outcome",), "w": ("outcome",), "g": ("outcome",), "s": ("outcome ref",),
        "i": ("outcome",), "k": ("outcome",), "r": ("outcome",), "y": ("outcome",)}


@dataclass(frozen=True)
class PickPage(CallbackData, prefix="pk"):
    """Another page of the young-person picker (bot.service.picker). purpose: s summary,
    m meeting, y you said, v supporter, a assign, c add a card, o outcomes, r record what was
    agreed, n a note on an activity, l a young person's look ("pk:s:1")."""

    purpose: Literal["s", "m", "y", "v", "a", "c", "o", "r", "n", "l"]
    page: Annotated[int, Digits(4)]


@dataclass(frozen=True)
class StyleTap(CallbackData, prefix="sl"):
    """/style, for one young person (bot/service/features/style.py): p picked (their look
    now, with buttons), l set the look to option `value` of bot.preferences' "style", w set
    pictures to option `value` of "pictures" ("sl:l:5:1")."""

    op: Literal["p", "l", "w"]
    person_id: Annotated[int, Digits(12)]
    value: Annotated[int | None, Digits(1)] = None
    shapes: ClassVar[Mapping[str, Sequence[str]]] = {"l": ("value",), "w": ("value",)}


@dataclass(frozen=True)
class SectionATap(CallbackData, prefix="sa"):
    """Under a summary: Section A on its own, w as a Word document, t as text to paste, for
    the young person with this id ("sa:w:5"). The tap checks access again (guard.py)."""

    op: Literal["w", "t"]
    person_id: Annotated[int, Digits(12)]


@dataclass(frozen=True)
class CaseloadPage(CallbackData, prefix="cl"):
    """Another page of /caseload ("cl:2")."""

    page: Annotated[int, Digits(4)]


@dataclass(frozen=True)
class MeetingTap(CallbackData, prefix="mg"):
    """/meeting: p picked (young person), w weeks ahead, d a day (yyyymmdd), t type a date,
    x cancel the meeting ("mg:w:5:3")."""

    op: Literal["p", "w", "d", "t", "x"]
    person_id: Annotated[int, Digits(12)]
    value: Annotated[int | None, Digits(8)] = None
    shapes: ClassVar[Mapping[str, Sequence[str]]] = {"w": ("value",), "d": ("value",)}


@dataclass(frozen=True)
class YouSaidTap(CallbackData, prefix="ys"):
    """/yousaid: p picked, h the meeting has happened (young person id, and which meeting:
    m<meeting id>, m0 for "none was set", y<meeting id> once the therapist said yes to moving
    it to today; "ys:h:5" without one is a button from before and is not acted on); s said
    (draft id, what: q<answer id>, or a<answer id>_<symbol id> for something they picked), w
    so we will (draft id, r<record id>_<a or n><item number>: an item of the meeting record),
    a add another, g send, c cancel (draft id); n another page of what they said (draft id,
    the page from 0: "ys:n:4:1"); l listened (you_said id, 0-2) ("ys:s:4:q12",
    "ys:h:5:m31")."""

    op: Literal["p", "h", "s", "w", "a", "g", "l", "c", "n"]
    ident: Annotated[int, Digits(12)]
    ref: Annotated[str | None, Text(r"[a-z0-9_]{1,42}")] = None
    shapes: ClassVar[Mapping[str, Sequence[str]]] = {"s": ("ref",), "w": ("ref",),
                                                     "l": ("ref",), "h": ("", "ref"),
                                                     "n": ("ref",)}


@dataclass(frozen=True)
class MeetingRecordTap(CallbackData, prefix="mr"):
    """/agreed: p picked, h the meeting has happened (young person id, and which meeting as
    in YouSaidTap: m<meeting id>, m0, y<meeting id>; "mr:h:5" without one is a button from
    before and is not acted on); n on to the next steps, b back to what was agreed, u remove
    the last item of a part (a agreed, n next steps), d done (record id) ("mr:u:7:a",
    "mr:h:5:m31")."""

    op: Literal["p", "h", "n", "b", "u", "d"]
    ident: Annotated[int, Digits(12)]
    part: Literal["a", "n"] | None = None
    meeting: Annotated[str | None, MEETING_REF] = None
    shapes: ClassVar[Mapping[str, Sequence[str]]] = {"u": ("part",), "h": ("", "meeting")}


@dataclass(frozen=True)
class NoteTap(CallbackData, prefix="nt"):
    """/note: p picked (young person id), g a page of their finished activities (young person
    id, page), r an activity to note (run id) ("nt:g:5:2", "nt:r:120")."""

    op: Literal["p", "g", "r"]
    ident: Annotated[int, Digits(12)]
    page: Annotated[int | None, Digits(4)] = None
    shapes: ClassVar[Mapping[str, Sequence[str]]] = {"g": ("page",)}


@dataclass(frozen=True)
class SupporterTap(CallbackData, prefix="sv"):
    """p therapist picked a young person; r relationship (index); a the young person's answer
    (therapist id, relationship, when asked in minutes, y/n); w a supporter adds a view
    (young person id) ("sv:a:3:1:1234:y"). A supporter joins with the usual consent button
    (Consent)."""

    op: Literal["p", "r", "a", "w"]
    ident: Annotated[int, Digits(12)]
    relationship: Annotated[int | None, Digits(2)] = None
    asked: Annotated[int | None, Digits(10)] = None
    answer: Literal["y", "n"] | None = None
    shapes: ClassVar[Mapping[str, Sequence[str]]] = {"r": ("relationship",),
                                                     "a": ("relationship asked answer",)}


@dataclass(frozen=True)
class ReadyTap(CallbackData, prefix="gr"):
    """A young person before their meeting: s see what I will share, n not now ("gr:s:8")."""

    op: Literal["s", "n"]
    meeting_id: Annotated[int, Digits(12)]
