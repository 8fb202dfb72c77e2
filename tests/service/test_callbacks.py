"""Callback data: one declared codec; today's wire format still reads the same; at most 64
bytes; only what we issue decodes (issue 13, points 1 and 2)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.engine.core import Action, ActionKind
from bot.engine.screen import Option, Screen, ScreenKind
from bot.service import callbacks as cb

CODE = "Abc-_123456789012345678"

# Data the encoders made before issue 13 (commit afd3060), and what each meant then. Buttons
# like these are in chats now: they must keep decoding to the same meaning.
TODAY = [
    ("r:12:3:c2", cb.RunTap(12, 3, cb.RunOp.CHOOSE, index=2)),
    ("r:12:3:t11", cb.RunTap(12, 3, cb.RunOp.TOGGLE, index=11)),
    ("r:12:3:o", cb.RunTap(12, 3, cb.RunOp.SOMETHING_ELSE)),
    ("r:12:3:v", cb.RunTap(12, 3, cb.RunOp.READ_ALOUD)),
    # Written out as buttons in chats carry them (service/callbacks.py _OPS at afd3060), so a
    # changed letter in RunOp fails here rather than silently retiring every such button.
    *[(f"r:12:3:{letter}", cb.RunTap(12, 3, op)) for letter, op in (
        ("d", cb.RunOp.DONE), ("b", cb.RunOp.BACK), ("s", cb.RunOp.SKIP),
        ("i", cb.RunOp.DONT_KNOW), ("x", cb.RunOp.STOP), ("k", cb.RunOp.RESUME),
        ("S", cb.RunOp.SHARE), ("K", cb.RunOp.KEEP), ("C", cb.RunOp.CHANGE),
        ("m", cb.RunOp.MOVE), ("y", cb.RunOp.RIGHT), ("e", cb.RunOp.KEEP_EARLIER))],
    ("f:check_in", cb.StartFlow("check_in")),
    (f"a:{CODE}", cb.Consent(CODE)),
    ("n", cb.Decline()),
    (f"n:{CODE}", cb.Decline(CODE)),
    (f"h:{CODE}", cb.ReadyNow(CODE)),
    ("u", cb.Unsafe()),
    ("w", cb.CarryOn()),
    ("s:5", cb.PickPerson("s", 5)),
    ("p:5", cb.PickPerson("p", 5)),
    ("ga:7", cb.AlertAck(7)),
    ("gm:7", cb.AlertMore(7)),
    ("dm:y", cb.DeleteMine(True)),
    ("dm:n", cb.DeleteMine(False)),
    ("dd:4:c", cb.DeletionDecision(4, "c")),
    ("dd:4:y", cb.DeletionDecision(4, "y")),
    ("mt:9:s:0", cb.MineToggle(9, True, 0)),
    ("mt:9:k:3", cb.MineToggle(9, False, 3)),
    ("mp:1", cb.MinePage(1)),
    ("st:z:2", cb.Setting("z", 2)),
    ("st:r:0", cb.Setting("r", 0)),
    ("as:p:5", cb.AssignTap("p", 5)),
    ("as:f:5:3", cb.AssignTap("f", 5, 3)),
    ("as:d:5", cb.AssignTap("d", 5)),
    ("as:t:5:0", cb.AssignTap("t", 5, 0)),
    ("as:c:5:2", cb.AssignTap("c", 5, 2)),
    ("as:s:5", cb.AssignTap("s", 5)),
    ("ac:5", cb.AddCardFor(5)),
    ("rc:f:1", cb.RecordTap("f", 1)),
    ("rc:s:1:2", cb.RecordTap("s", 1, 2)),
    ("pk:s:1", cb.PickPage("s", 1)),
    ("pk:v:0", cb.PickPage("v", 0)),
    ("cl:2", cb.CaseloadPage(2)),
    ("mg:p:5", cb.MeetingTap("p", 5)),
    ("mg:w:5:3", cb.MeetingTap("w", 5, 3)),
    ("mg:d:5:20261130", cb.MeetingTap("d", 5, 20261130)),
    ("mg:t:5", cb.MeetingTap("t", 5)),
    ("mg:x:5", cb.MeetingTap("x", 5)),
    ("ys:p:4", cb.YouSaidTap("p", 4)),
    ("ys:s:4:q12", cb.YouSaidTap("s", 4, "q12")),
    ("ys:s:4:school", cb.YouSaidTap("s", 4, "school")),
    ("ys:a:4", cb.YouSaidTap("a", 4)),
    ("ys:g:4", cb.YouSaidTap("g", 4)),
    ("ys:c:4", cb.YouSaidTap("c", 4)),
    ("ys:l:4:2", cb.YouSaidTap("l", 4, "2")),
    ("sv:p:3", cb.SupporterTap("p", 3)),
    ("sv:r:3:1", cb.SupporterTap("r", 3, 1)),
    ("sv:a:3:1:1234:y", cb.SupporterTap("a", 3, 1, 1234, "y")),
    ("sv:w:3", cb.SupporterTap("w", 3)),
    ("gr:s:8", cb.ReadyTap("s", 8)),
    ("gr:n:8", cb.ReadyTap("n", 8)),
]


@pytest.mark.parametrize(("data", "meaning"), TODAY, ids=[d for d, _ in TODAY])
def test_todays_buttons_decode_to_what_they_meant_and_encode_the_same(
        data: str, meaning: cb.CallbackData) -> None:
    assert cb.decode(data) == meaning
    assert meaning.pack() == data
    # One kind only reads it: the order kinds are tried in does not matter.
    assert sum(cb._parse(kind, data) is not None for kind in cb.kinds()) == 1


def test_the_old_run_taps_mean_the_same_engine_actions() -> None:
    """Every run button but a choice means the same engine action as before; Something else
    and Read it to me are no action."""
    for op in cb.RunOp:
        tap = cb.RunTap(12, 3, op)
        if op in (cb.SOMETHING_ELSE, cb.READ_ALOUD):
            assert tap.extra == op and tap.action_on(None) is None
        elif op not in (cb.RunOp.CHOOSE, cb.RunOp.TOGGLE):
            assert tap.action_on(None) == Action(ActionKind[op.name])


def test_every_tap_kind_is_declared_once_with_its_own_prefix() -> None:
    prefixes = [kind.prefix for kind in cb.kinds()]
    assert len(prefixes) == len(set(prefixes))
    assert {kind for kind in cb.kinds() if kind.urgent} == {cb.Unsafe, cb.AlertAck, cb.AlertMore}


@pytest.mark.parametrize(("data", "urgent"), [
    ("u", True), ("ga:7", True), ("gm:7", True), ("gm:x", False), ("ga:", False),
    ("w", False), ("r:1:1:d", False), (None, False), ("", False), ("uu", False)])
def test_the_adapter_asks_the_codec_which_taps_are_urgent(data: str | None,
                                                         urgent: bool) -> None:
    assert cb.is_urgent(data) is urgent


def test_every_flow_id_a_file_may_use_makes_a_menu_button() -> None:
    from bot.engine.flows import _ID
    longest = "a" * 41
    assert _ID.match(longest) and not _ID.match(longest + "a")  # the limit this test knows
    assert cb.decode(cb.StartFlow(longest).pack()) == cb.StartFlow(longest)


def test_the_longest_data_we_make_fits() -> None:
    long_id = "a" * 41  # the longest id a flow file may use (bot/engine/flows.py _ID)
    biggest = [
        cb.RunTap.of(10**12 - 1, 10**9 - 1, ActionKind.CHOOSE, long_id),
        cb.RunTap.of(10**12 - 1, 10**9 - 1, ActionKind.TOGGLE, "b" * 24),
        cb.StartFlow(long_id),
        cb.Consent("A" * 43),
        cb.Decline("A" * 43),
        cb.ReadyNow("A" * 43),
        cb.PickPerson("s", 10**12 - 1),
        cb.AssignTap("F", 10**12 - 1, ref=cb.short_ref(long_id)),
        cb.RecordTap("S", flow=cb.short_ref(long_id), step=cb.short_ref("c" * 41)),
        cb.SupporterTap("a", 10**12 - 1, 99, 10**10 - 1, "y"),
        cb.YouSaidTap("s", 10**12 - 1, "q" * 42),
    ]
    for made in biggest:
        assert len(made.pack().encode()) <= cb.MAX_BYTES
        assert cb.decode(made.pack()) == made


def test_a_long_id_goes_as_a_short_stable_digest() -> None:
    long_id = "a_very_long_step_identifier_indeed"
    ref = cb.short_ref(long_id)
    assert ref == cb.short_ref(long_id) and ref.startswith("~") and len(ref) == 13
    assert cb.short_ref("check_in") == "check_in"
    assert cb.ref_index(ref, ["other", long_id]) == 1
    assert cb.ref_index("check_in", ["x", "check_in"]) == 1
    assert cb.ref_index("gone", ["x", "y"]) is None
    assert cb.ref_index("x", ["x", "x"]) is None  # twice on the list: cannot say which


@pytest.mark.parametrize("made", [
    cb.RunTap.of(1, 1, ActionKind.CHOOSE),  # a choice needs an id
    cb.RunTap(1, 1, cb.RunOp.DONE, index=3),  # Done carries none
    cb.RunTap(1, 1, cb.RunOp.CHOOSE, index=1, choice="good"),
    cb.AssignTap("f", 5),  # f, t and c name a choice; p, d and s do not
    cb.AssignTap("p", 5, 3),
    cb.AssignTap("F", 5, ref="Bad-Id"),
    cb.RecordTap("S", flow="check_in"),
    cb.MeetingTap("w", 5),
    cb.YouSaidTap("l", 4),
    cb.SupporterTap("a", 3, 1),
    cb.PickPerson("s", -1),  # ints are never negative
    cb.MinePage(10**4),  # nor over their bound
    cb.Setting("q", 1),  # type: ignore[arg-type]
])
def test_a_button_we_would_not_read_back_is_never_made(made: cb.CallbackData) -> None:
    with pytest.raises(ValueError):
        made.pack()


@pytest.mark.parametrize("data", [
    None, "", "r:1:1:c", "r:1:1:d3", "r:x:1:c1", "q:1", "r:1:1:c1:extra", "a:short",
    "x" * 65, "f:Bad-Id", "r:1:1:c:Bad", "r:1:1:c:12", "as:f:5", "as:p:5:3", "as:F:5",
    "as:F:5:3", "rc:s:1", "rc:f:1:2", "rc:S:check_in", "mg:w:5", "mg:p:5:3", "ys:s:4",
    "ys:a:4:x", "sv:r:3", "sv:a:3:1:1234", "sv:p:3:1", "dd:4:q", "dm:x", "st:q:1", "n:short",
    "h:short", f"h:{CODE}!", "h:", "w:1", "u:1", "s:-1", "mp:12345"])
def test_anything_else_is_invalid(data: str | None) -> None:
    with pytest.raises(cb.InvalidCallback):
        cb.decode(data)


def _screen(*ids: str) -> Screen:
    options = tuple(Option(i, sid, sid, "") for i, sid in enumerate(ids))
    return Screen("check_in", "what_good", ScreenKind.MULTI, "prompt", options)


def test_a_choice_is_found_by_its_id_on_the_screen_as_it_is_now() -> None:
    tap = cb.decode(cb.RunTap.of(12, 3, ActionKind.TOGGLE, "games").pack())
    assert isinstance(tap, cb.RunTap) and tap.names_choice
    assert tap.action_on(_screen("friend", "games")) == Action(ActionKind.TOGGLE, 1)
    # A choice added before it: still the same choice.
    assert tap.action_on(_screen("music", "friend", "games")) == Action(ActionKind.TOGGLE, 2)
    assert tap.action_on(_screen("friend")) is None  # gone: not something else instead


def test_an_old_choice_by_position_is_never_acted_on() -> None:
    """"r:12:3:c1" was counted in the choice list of the deploy that sent it; nothing says
    that list is the same now, so it is answered with the screen again, never a guess."""
    tap = cb.decode("r:12:3:c1")
    assert isinstance(tap, cb.RunTap) and tap.index == 1 and tap.names_choice
    assert tap.action_on(_screen("friend", "games")) is None


# --- fuzz: every kind, from its declaration --------------------------------------------------

def _instances(kind: type[cb.CallbackData]) -> st.SearchStrategy[cb.CallbackData]:
    """Random buttons of `kind` made from its declared fields (each field's pattern), kept
    to those with a shape the kind has."""
    parts: dict[str, st.SearchStrategy[Any]] = {}
    for name, pattern, optional in cb.field_patterns(kind):
        text = st.from_regex(f"(?:{pattern})", fullmatch=True)
        parts[name] = st.one_of(st.none(), text) if optional else text
    return st.fixed_dictionaries(parts).map(
        lambda values: cb._parse(kind, _join(kind, values))).filter(lambda made: made is not None)


def _join(kind: type[cb.CallbackData], values: dict[str, str | None]) -> str:
    specs = cb._specs(kind)
    text = kind.prefix
    for i, spec in enumerate(specs):
        value = values[spec.name]
        if value is not None:
            text += value if i == 0 and not kind.prefix else spec.sep + value
    return text


@given(st.sampled_from(cb.kinds()).flatmap(_instances))
def test_every_kind_round_trips_within_64_bytes(made: cb.CallbackData) -> None:
    data = made.pack()
    assert 0 < len(data.encode()) <= cb.MAX_BYTES
    assert cb.decode(data) == made


@given(st.text(min_size=1, max_size=70))
def test_any_text_decodes_or_is_refused_never_anything_else(data: str) -> None:
    try:
        found = cb.decode(data)
    except cb.InvalidCallback:
        return
    assert found.pack() == data or cb.decode(found.pack()) == found
