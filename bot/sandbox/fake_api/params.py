"""Reading a request's parameters the way Telegram does (query, JSON or form), with typed
access that answers Telegram-style 400 errors."""

from __future__ import annotations

import json
from typing import Any

from bot.sandbox.fake_api.records import RecordedRequest
from bot.sandbox.fake_api.wire import bad

# Form fields that carry free text and must never be JSON-decoded, even if they look like JSON.
_PLAIN_TEXT_PARAMS = frozenset(
    {"text", "caption", "quote", "title", "description", "short_description", "name",
     "question", "explanation", "performer", "data", "url", "secret_token", "file_id",
     "callback_query_id", "inline_message_id", "chat_id", "action", "parse_mode"}
)


def maybe_json(name: str, value: str) -> Any:
    """Decode a form value that is a JSON object/array (how PTB sends nested objects)."""
    stripped = value.strip()
    if name in _PLAIN_TEXT_PARAMS or not stripped or stripped[0] not in "[{":
        return value
    try:
        decoded = json.loads(stripped)
    except ValueError:
        return value
    return decoded if isinstance(decoded, dict | list) else value


class Call:
    """Typed access to one request's parameters, raising Telegram-style 400 errors."""

    def __init__(self, record: RecordedRequest) -> None:
        self.record = record
        self.params = record.params
        self.files = record.files

    def has(self, name: str) -> bool:
        """Whether the parameter is given and not empty."""
        return self.params.get(name) not in (None, "")

    def string(self, name: str, default: str | None = None, *, empty: str | None = None) -> Any:
        """The parameter as text (JSON re-encoded); `default` when missing, or a 400 with the
        `empty` description when it is required."""
        value = self.params.get(name)
        if value is None or value == "":
            if empty is not None:
                raise bad(empty)
            return default
        return value if isinstance(value, str) else json.dumps(value)

    def integer(self, name: str, default: int | None = None, *, empty: str | None = None) -> Any:
        """The parameter as an integer, as `string` for missing ones; 400 when not a number."""
        value = self.params.get(name)
        if value is None or value == "":
            if empty is not None:
                raise bad(empty)
            return default
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad(f"invalid {name} specified") from None

    def number(self, name: str, default: float = 0.0) -> float:
        """The parameter as a float (`default` when missing); 400 when not a number."""
        value = self.params.get(name)
        if value is None or value == "":
            return default
        try:
            return float(value)
        except (TypeError, ValueError):
            raise bad(f"invalid {name} specified") from None

    def flag(self, name: str) -> bool:
        """The parameter as a boolean ("true"/"1" in forms)."""
        value = self.params.get(name)
        if isinstance(value, str):
            return value.strip().lower() in ("true", "1")
        return bool(value)

    def json(self, name: str) -> Any:
        """The parameter decoded from JSON when it is a string; 400 when it does not parse."""
        value = self.params.get(name)
        if isinstance(value, str) and value:
            try:
                return json.loads(value)
            except ValueError:
                raise bad(f"can't parse {name} JSON object") from None
        return value
