"""A screen: what the young person should see now, as plain data.

The engine makes screens; the Telegram adapter turns them into messages and buttons, and the
renderer into picture cards. Words for controls and notices are locale keys, not English.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class ScreenKind(enum.StrEnum):
    CHOICE = "choice"
    MULTI = "multi"
    TEXT = "text"
    REVIEW = "review"  # "This is what you told me": share, change or keep
    CHANGE = "change"  # which answer to change
    PAUSED = "paused"  # stopped for now
    FINISHED = "finished"


class Control(enum.StrEnum):
    """Buttons that are always there beside the answers. Values are locale keys."""

    DONE = "done"
    BACK = "back"
    SKIP = "skip"
    DONT_KNOW = "dont_know"
    SOMETHING_ELSE = "something_else"
    STOP = "stop"
    SHARE = "share"
    KEEP = "keep"
    CHANGE = "change"
    CONTINUE = "continue"


@dataclass(frozen=True)
class Option:
    index: int
    symbol_id: str
    words: str
    emoji: str
    selected: bool = False


@dataclass(frozen=True)
class ReviewLine:
    step_id: str
    question: str
    answer: str
    emoji: str


@dataclass(frozen=True)
class Screen:
    flow_id: str
    step_id: str
    kind: ScreenKind
    prompt: str
    options: tuple[Option, ...] = ()
    controls: tuple[Control, ...] = ()
    review: tuple[ReviewLine, ...] = ()
    notice: str | None = None  # locale key of a short note shown above the question
    step_number: int = 0
    step_count: int = 0
