"""What the fake remembers: the bot's requests, the files it holds and the messages in chats."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.sandbox.fake_api.markup import parse_formatted
from bot.sandbox.fake_api.wire import JSONDict

# A spec check run on every request: (method, params, files) -> problems found.
Validator = Callable[[str, dict[str, Any], dict[str, "UploadedFile"]], list[str]]


@dataclass(frozen=True)
class UploadedFile:
    """One file part of a multipart/form-data request."""

    data: bytes
    filename: str | None = None
    content_type: str | None = None


@dataclass
class RecordedRequest:
    """One Bot API call made by the bot. `status` stays None while it is being handled."""

    method: str
    params: dict[str, Any]
    files: dict[str, UploadedFile]
    at: float
    status: int | None = None
    response: JSONDict | None = None
    reused_file_ids: list[str] = field(default_factory=list)
    fault_injected: bool = False

    @property
    def done(self) -> bool:
        """Whether an answer (or a dropped connection, status 0) has been produced."""
        return self.status is not None

    @property
    def ok(self) -> bool:
        """Whether Telegram answered 200."""
        return self.status == 200


@dataclass
class StoredFile:
    """A file known to the fake server, downloadable via getFile + the file URL."""

    file_id: str
    file_unique_id: str
    kind: str
    data: bytes
    file_path: str
    mime_type: str | None = None
    file_name: str | None = None
    width: int | None = None
    height: int | None = None
    duration: int | None = None
    photo_group: tuple[str, ...] = ()  # photo sizes (file ids, smallest first) of one photo


@dataclass
class SentMessage:
    """A message in a chat: sent by the bot or pushed as a user's message.

    `text`/`caption` are kept as sent (with `parse_mode` markup); `history` holds a
    snapshot of the message before each edit.
    """

    chat_id: int
    message_id: int
    from_id: int
    from_bot: bool
    date: int
    text: str | None = None
    caption: str | None = None
    parse_mode: str | None = None
    entities: list[JSONDict] | None = None
    photo: str | None = None
    voice: str | None = None
    audio: str | None = None
    document: str | None = None
    sticker: str | None = None
    location: tuple[float, float] | None = None
    contact: JSONDict | None = None
    reply_markup: JSONDict | None = None
    reply_to_message_id: int | None = None
    media_group_id: str | None = None
    forward_origin: JSONDict | None = None  # a user's message sent on from someone else
    edit_date: int | None = None
    history: list[JSONDict] = field(default_factory=list)
    deleted: bool = False

    @property
    def inline_keyboard(self) -> list[list[JSONDict]]:
        """The inline keyboard rows, or [] if the message has none."""
        markup = self.reply_markup or {}
        return list(markup.get("inline_keyboard") or [])

    @property
    def display_text(self) -> str | None:
        """Text or caption as the user sees it (HTML/Markdown markup removed)."""
        raw = self.text if self.text is not None else self.caption
        return None if raw is None else parse_formatted(raw, self.parse_mode)

    def snapshot(self) -> JSONDict:
        """The editable content, as stored in `history`."""
        return {"text": self.text, "caption": self.caption, "parse_mode": self.parse_mode,
                "entities": copy.deepcopy(self.entities), "photo": self.photo,
                "voice": self.voice, "audio": self.audio, "document": self.document,
                "reply_markup": copy.deepcopy(self.reply_markup), "edit_date": self.edit_date}
