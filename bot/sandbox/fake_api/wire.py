"""The fake's wire shapes: JSON objects, and errors answered exactly as Telegram answers them."""

from __future__ import annotations

from typing import Any

JSONDict = dict[str, Any]

# Descriptions Telegram gives for errors more than one part of the fake raises.
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"
BLOCKED = "Forbidden: bot was blocked by the user"


class BotAPIError(Exception):
    """An error answered to the bot exactly as Telegram would (status + description)."""

    def __init__(self, status: int, description: str, parameters: JSONDict | None = None):
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def body(self) -> JSONDict:
        """The JSON body Telegram sends for this error."""
        body: JSONDict = {"ok": False, "error_code": self.status, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad(description: str) -> BotAPIError:
    """Telegram's 400 error with its "Bad Request: " prefix, ready to raise."""
    return BotAPIError(400, f"Bad Request: {description}")
