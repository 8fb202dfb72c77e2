"""Callback data stays within 64 bytes and only what we issue decodes."""

from __future__ import annotations

import pytest

from bot.engine.core import ActionKind
from bot.service import callbacks


def test_the_longest_data_we_make_fits() -> None:
    biggest = [
        callbacks.run_tap(10**12 - 1, 10**9 - 1, ActionKind.CHOOSE, 11),
        callbacks.start_flow("a" * 31),
        callbacks.consent("A" * 43),
        callbacks.decline("A" * 43),
        callbacks.ready_now("A" * 43),
        callbacks.pick_person("s", 10**12 - 1),
    ]
    assert all(len(d.encode()) <= 64 for d in biggest)


# Typed words and media arrive as messages, never as buttons.
@pytest.mark.parametrize("kind", [k for k in ActionKind
                                  if k not in (ActionKind.TEXT, ActionKind.MEDIA)])
def test_round_trip(kind: ActionKind) -> None:
    index = 3 if kind in (ActionKind.CHOOSE, ActionKind.TOGGLE) else None
    decoded = callbacks.decode(callbacks.run_tap(12, 7, kind, index))
    assert isinstance(decoded, callbacks.RunTap)
    assert (decoded.run_id, decoded.version, decoded.action.kind, decoded.action.index) == (
        12, 7, kind, index)


@pytest.mark.parametrize("data", [None, "", "r:1:1:c", "r:1:1:d3", "r:x:1:c1", "q:1",
                                  "r:1:1:c1:extra", "a:short", "x" * 65, "f:Bad-Id"])
def test_anything_else_is_invalid(data: str | None) -> None:
    with pytest.raises(callbacks.InvalidCallback):
        callbacks.decode(data)


def test_the_invitation_buttons_carry_the_code_and_the_old_not_now_still_decodes() -> None:
    """Issue 12, point 7: "Not now" and "I'm ready now" carry the code as "Yes" does; "n",
    the "Not now" of before, and the other kinds keep the wire format they had."""
    code = "Abc-_123456789012345678"
    assert callbacks.decode(callbacks.decline(code)) == callbacks.Decline(code)
    assert callbacks.decode(callbacks.ready_now(code)) == callbacks.ReadyNow(code)
    assert callbacks.decode(callbacks.carry_on()) == callbacks.CarryOn()
    assert (callbacks.decline(), callbacks.consent(code), callbacks.unsafe()) == (
        "n", f"a:{code}", "u")
    assert callbacks.decode("n") == callbacks.Decline(None)
    for forged in ("n:short", "h:short", f"h:{code}!", "h:", "w:1"):
        with pytest.raises(callbacks.InvalidCallback):
            callbacks.decode(forged)
