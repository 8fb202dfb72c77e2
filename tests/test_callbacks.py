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
