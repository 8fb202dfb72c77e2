"""The Telegram state the fake keeps (users, chats, messages, updates, waiters) and the small
internals every part of it shares: waking waiters, emitting events, a message's JSON."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bot.sandbox.fake_api.markup import parse_formatted
from bot.sandbox.fake_api.records import RecordedRequest, SentMessage, StoredFile, Validator
from bot.sandbox.fake_api.wire import JSONDict

if TYPE_CHECKING:  # only named in annotations; both import this module
    from aiohttp import web

    from bot.sandbox.fake_api.faults import Fault

DEFAULT_ALLOWED_UPDATES = frozenset(
    {"message", "edited_message", "channel_post", "edited_channel_post", "callback_query",
     "inline_query", "chosen_inline_result", "shipping_query", "pre_checkout_query", "poll",
     "poll_answer", "my_chat_member", "chat_join_request", "chat_boost", "removed_chat_boost",
     "business_connection", "business_message", "edited_business_message",
     "deleted_business_messages", "purchased_paid_media"}
)


class TelegramState:
    """Everything the fake Telegram knows; the mixins of `FakeBotAPI` act on it."""

    def __init__(
        self,
        token: str,
        bot_username: str = "MySayTestBot",
        bot_id: int | None = None,
        validator: Validator | None = None,
    ) -> None:
        prefix = token.split(":", 1)[0]
        self.token = token
        self.bot_id = bot_id if bot_id is not None else int(prefix) if prefix.isdigit() else 1
        self.bot_username = bot_username
        self.validator = validator
        self.port: int | None = None
        self.host = "127.0.0.1"

        self.requests: list[RecordedRequest] = []
        self.violations: list[str] = []
        self.users: dict[int, JSONDict] = {}
        self.chats: dict[int, JSONDict] = {}
        self.files: dict[str, StoredFile] = {}
        self.commands: dict[tuple[str, str], list[JSONDict]] = {}
        self.menu_buttons: dict[int | None, JSONDict] = {}
        self.chat_actions: list[tuple[int, str, float]] = []
        self.callback_queries: dict[str, JSONDict] = {}
        self.delivered_callback_queries: list[str] = []
        self.answered_callback_queries: dict[str, JSONDict] = {}
        self.blocked_users: set[int] = set()
        self.left_chats: set[int] = set()
        self.webhook_url = ""
        self.webhook_secret: str | None = None

        self._messages: dict[int, dict[int, SentMessage]] = {}
        self._message_seq: dict[int, itertools.count[int]] = {}
        self._updates: dict[int, JSONDict] = {}  # every update ever queued, by update_id
        self._pending: list[JSONDict] = []
        self._redeliver: list[JSONDict] = []
        self._allowed_updates: frozenset[str] = DEFAULT_ALLOWED_UPDATES
        self._update_seq = itertools.count(100_000_001)
        self._file_seq = itertools.count(1)
        self._callback_seq = itertools.count(4_000_000_000_000_000_001)
        self._media_group_seq = itertools.count(13_000_000_000_000_001)
        self._faults: list[Fault] = []
        self._poll_generation = 0
        self._update_waiters: list[asyncio.Future[None]] = []
        self._request_waiters: list[asyncio.Future[None]] = []
        self._subscribers: set[asyncio.Queue[JSONDict]] = set()
        self._runner: web.AppRunner | None = None
        self._closing = False

    def message(self, chat_id: int, message_id: int) -> SentMessage | None:
        """A message of a chat by id (the bot's or a user's, deleted ones too), or None."""
        return self._messages.get(chat_id, {}).get(message_id)

    def _wake(self, waiters: list[asyncio.Future[None]]) -> None:
        for future in waiters:
            if not future.done():
                future.set_result(None)
        waiters.clear()

    async def _wait(self, waiters: list[asyncio.Future[None]], seconds: float) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        waiters.append(future)
        try:
            await asyncio.wait_for(future, seconds)
        except TimeoutError:
            pass
        finally:
            if future in waiters:
                waiters.remove(future)

    def _emit(self, kind: str, message: SentMessage | None = None, **extra: Any) -> None:
        event: JSONDict = {"type": kind, **extra}
        if message is not None:
            event.update(chat_id=message.chat_id, message_id=message.message_id)
            if kind != "deleted":
                event["message"] = self._message_json(message)
        for queue in self._subscribers:
            queue.put_nowait(event)

    def _latest(self, chat_id: int, predicate: Callable[[SentMessage], bool]
                ) -> SentMessage | None:
        for message in reversed(list(self._messages.get(chat_id, {}).values())):
            if not message.deleted and predicate(message):
                return message
        return None

    def _next_message_id(self, chat_id: int) -> int:
        return next(self._message_seq.setdefault(chat_id, itertools.count(1)))

    def _bot_user(self) -> JSONDict:
        return {"id": self.bot_id, "is_bot": True, "first_name": self.bot_username,
                "username": self.bot_username}

    def _message_json(self, message: SentMessage, *, nested: bool = False) -> JSONDict:
        """The Telegram `Message` object for a stored message."""
        sender = self._bot_user() if message.from_bot else self.users.get(message.from_id)
        result: JSONDict = {"message_id": message.message_id, "date": message.date,
                            "chat": dict(self.chats.get(message.chat_id) or
                                         {"id": message.chat_id, "type": "private"})}
        if sender:
            result["from"] = sender
        if message.text is not None:
            result["text"] = parse_formatted(message.text, message.parse_mode)
        if message.caption is not None:
            result["caption"] = parse_formatted(message.caption, message.parse_mode)
        if message.entities:
            result["entities" if message.text is not None else "caption_entities"] = (
                message.entities)
        if message.photo:
            result["photo"] = [self._file_json(f) for f in self.files[message.photo].photo_group]
        for kind in ("voice", "audio", "document", "sticker"):
            file_id = getattr(message, kind)
            if file_id:
                result[kind] = self._file_json(file_id)
        if message.location:
            result["location"] = {"latitude": message.location[0],
                                  "longitude": message.location[1]}
        if message.contact:
            result["contact"] = message.contact
        if message.media_group_id:
            result["media_group_id"] = message.media_group_id
        if message.forward_origin:
            result["forward_origin"] = message.forward_origin
        if message.edit_date:
            result["edit_date"] = message.edit_date
        if message.reply_markup and "inline_keyboard" in message.reply_markup:
            result["reply_markup"] = message.reply_markup
        reply = self.message(message.chat_id, message.reply_to_message_id or 0)
        if reply is not None and not nested:
            result["reply_to_message"] = self._message_json(reply, nested=True)
        return result
