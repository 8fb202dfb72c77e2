"""The Talking Mat page (issue 16): what the page shows and what its moves do, as data.

No Telegram and no HTTP here: bot.webapp.server checks Telegram's initData and turns requests
into these calls; the unit of work runs each in one transaction. A move goes through the same
engine, run version and access checks as a tap on the chat's buttons, and the finished mat is
stored exactly as the chat stores it (bot.service.young_person).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from bot.service.types import Result

# What the page can ask for (PageMove.op).
MoveOp = Literal["place", "leave_off", "dont_know", "move", "back", "right", "stop", "chat"]
MOVE_OPS: tuple[str, ...] = ("place", "leave_off", "dont_know", "move", "back", "right", "stop",
                             "chat")


@dataclass(frozen=True)
class PageMove:
    """One move on the page: the run version the page last saw, what to do, the card (its
    stable id) and the column: 0-2, the top scale's points left to right, or -1 for left off."""

    version: int
    op: str
    card: str | None = None
    column: int | None = None


@dataclass(frozen=True)
class PageRequest:
    """One request from the page for run `run_id`: its state, a move, a card's picture or a
    card's words spoken (`card` "question" for the question itself)."""

    run_id: int
    what: Literal["state", "move", "picture", "speech"]
    move: PageMove | None = None
    card: str | None = None


@dataclass
class PageAnswer:
    """What to answer the page: an HTTP status and a JSON body (the state, or an error with
    `stale`), or bytes for a picture or speech; and `result`, what to send to the young
    person's chat once the transaction has committed (after "This is right", "Stop for now"
    or going back to the chat), else None."""

    status: int
    body: dict[str, Any] | None = None
    data: bytes | None = None
    mime_type: str | None = None
    result: Result | None = field(default=None)
