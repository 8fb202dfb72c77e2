"""Fault injection: making the fake misbehave on purpose (errors, slow answers, dropped
connections, blocked users), as Telegram sometimes does."""

from __future__ import annotations

from dataclasses import dataclass

from bot.sandbox.fake_api.state import TelegramState
from bot.sandbox.fake_api.wire import BLOCKED

# inject_fault's name for fetching a file's bytes from the file URL (after getFile).
FILE_DOWNLOAD = "fileDownload"


@dataclass
class Fault:
    """One injected fault: how the next `remaining` matching calls misbehave."""

    method: str | None
    status: int
    description: str
    retry_after: int | None
    remaining: int
    delay: float
    drop_connection: bool

    def matches(self, method: str) -> bool:
        """Whether this fault applies to a call of `method` (None: any but getUpdates and file
        downloads)."""
        if self.method is None:
            return method not in ("getUpdates", FILE_DOWNLOAD)
        return self.method.lower() == method.lower()


class FaultsMixin(TelegramState):
    """The fault-injection methods of `FakeBotAPI`."""

    def inject_fault(
        self,
        method: str | None,
        *,
        status: int = 429,
        retry_after: int | None = None,
        description: str | None = None,
        count: int = 1,
        delay: float = 0.0,
        drop_connection: bool = False,
    ) -> None:
        """Make the next `count` calls to `method` fail. None: any method but getUpdates;
        FILE_DOWNLOAD: fetching a file's bytes from the file URL.

        429 answers carry `parameters.retry_after` (default 1 s) like Telegram. A status
        below 400 with a `delay` gives a slow but successful answer; `drop_connection`
        closes the connection (after `delay`) without answering.
        """
        if status == 429 and retry_after is None:
            retry_after = 1
        if description is None:
            description = {
                429: f"Too Many Requests: retry after {retry_after}",
                403: BLOCKED,
                400: "Bad Request",
                409: "Conflict",
                502: "Bad Gateway",
            }.get(status, "Internal Server Error" if status >= 500 else "Error")
        self._faults.append(Fault(method, status, description, retry_after, count, delay,
                                   drop_connection))

    def clear_faults(self) -> None:
        """Remove every pending injected fault."""
        self._faults.clear()

    def _take_fault(self, method: str) -> Fault | None:
        for fault in self._faults:
            if fault.matches(method):
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    def block_user(self, user_id: int) -> None:
        """From now on, sends to this user's chat answer 403 'bot was blocked by the user'."""
        self.blocked_users.add(user_id)

    def unblock_user(self, user_id: int) -> None:
        """Undo `block_user`: sends to this user's chat succeed again."""
        self.blocked_users.discard(user_id)
