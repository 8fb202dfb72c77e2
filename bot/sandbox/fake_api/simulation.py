"""The people's side, for tests and the sandbox chat: users send messages and press buttons
(`push_*`), and tests read what the bot sent, stream it, or wait for a request."""

from __future__ import annotations

import asyncio
import copy
import itertools
import time
from collections.abc import Callable

from bot.sandbox.fake_api.files import FilesMixin
from bot.sandbox.fake_api.markup import utf16_len
from bot.sandbox.fake_api.records import RecordedRequest, SentMessage
from bot.sandbox.fake_api.wire import BotAPIError, JSONDict


class SimulationMixin(FilesMixin):
    """The test-helper surface of `FakeBotAPI`: pushing updates and reading chats."""

    # ------------------------------------------------------------- simulation: updates

    def add_user(self, user_id: int, first_name: str = "Test", *,
                 username: str | None = None, language_code: str = "en") -> JSONDict:
        """Register (or update) a user and their private chat; returns the User object."""
        user = self.users.setdefault(user_id, {"id": user_id, "is_bot": False})
        user.update(first_name=first_name, language_code=language_code)
        if username:
            user["username"] = username
        chat = {"id": user_id, "type": "private", "first_name": first_name}
        if username:
            chat["username"] = username
        self.chats.setdefault(user_id, {}).update(chat)
        return user

    def push_message(
        self,
        user_id: int,
        text: str | None = None,
        *,
        first_name: str = "Test",
        chat_id: int | None = None,
        chat_type: str = "private",
        entities: list[JSONDict] | None = None,
        edited: bool = False,
        sticker: bool = False,
        photo: bytes | None = None,
        voice: bytes | None = None,
        duration: int = 2,
        document: bytes | None = None,
        document_name: str = "document.pdf",
        location: tuple[float, float] | None = None,
        contact: bool = False,
        caption: str | None = None,
        reply_to: int | None = None,
        forward_origin: JSONDict | None = None,
        media_group_id: str | None = None,
    ) -> int:
        """Queue a user's message (or, with `edited`, an edit of their latest one).
        `forward_origin`: a Bot API MessageOrigin, for a message forwarded from someone else;
        `media_group_id`: for one item of an album (send each item with its own call)."""
        if chat_type != "private" and chat_id is None:
            raise ValueError(f"a {chat_type} message needs a chat_id")
        user = self.add_user(user_id, first_name)
        target = chat_id if chat_id is not None else user_id
        if target != user_id or chat_type != "private":
            self.chats.setdefault(target, {"id": target, "type": chat_type,
                                           "title": "Test group"})
        if entities is None and text and text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            entities = [{"type": "bot_command", "offset": 0, "length": utf16_len(command)}]
        now = int(time.time())
        previous = self._latest(target, lambda m: m.from_id == user_id) if edited else None
        if previous is not None:
            message = previous
            message.history.append(message.snapshot())
            message.edit_date = now
        else:
            message = SentMessage(target, self._next_message_id(target), user_id, False, now)
            if edited:
                message.edit_date = now
            self._messages.setdefault(target, {})[message.message_id] = message
        message.text, message.caption, message.entities = text, caption, entities
        message.reply_to_message_id = reply_to
        message.forward_origin, message.media_group_id = forward_origin, media_group_id
        try:
            if photo is not None:
                message.photo = self._store_photo(photo, "photo.jpg")[-1].file_id
            if voice is not None:
                message.voice = self._store_file("voice", voice, "voice.ogg", "audio/ogg",
                                                 duration=duration).file_id
            if document is not None:
                message.document = self._store_file("document", document, document_name,
                                                    "application/octet-stream").file_id
        except BotAPIError as error:
            raise ValueError(error.description) from None
        if sticker:
            message.sticker = self._sticker_file().file_id
        message.location = location
        if contact:
            message.contact = {"phone_number": f"+4477009{user_id % 100_000:05d}",
                               "first_name": user["first_name"], "user_id": user_id}
        self._emit("user_message", message)
        key = "edited_message" if edited else "message"
        return self.push_raw({key: self._message_json(message)})

    def push_callback(
        self, user_id: int, message_id: int, data: str, *, chat_id: int | None = None
    ) -> tuple[int, str]:
        """Queue a press of the inline button with callback `data` on a bot message.
        Returns (update id, callback query id); raises ValueError if there is no such bot
        message or it has no button with that data."""
        return self._push_tap(user_id, message_id, data, chat_id=chat_id, forged=False)

    def push_forged_callback(
        self, user_id: int, message_id: int, data: str, *, chat_id: int | None = None
    ) -> tuple[int, str]:
        """Queue a tap with `data` the message has no button for (a modified client, or a
        button from before a deploy): Telegram passes the data on as it is, but the message in
        the callback query is still the real one as it is now (its text, or its photo and
        caption), never made up. Returns (update id, callback query id "forged-<n>");
        raises ValueError if there is no such bot message."""
        return self._push_tap(user_id, message_id, data, chat_id=chat_id, forged=True)

    def _push_tap(self, user_id: int, message_id: int, data: str, *, chat_id: int | None,
                  forged: bool) -> tuple[int, str]:
        target = chat_id if chat_id is not None else user_id
        message = self._messages.get(target, {}).get(message_id)
        if message is None or message.deleted or not message.from_bot:
            raise ValueError(f"no bot message {message_id} in chat {target}")
        buttons = [b.get("callback_data") for row in message.inline_keyboard for b in row]
        if not forged and data not in buttons:
            raise ValueError(f"message {message_id} has no button with callback_data {data!r}")
        user = self.users.get(user_id) or self.add_user(user_id)
        query_id = f"forged-{next(self._callback_seq)}" if forged else str(next(
            self._callback_seq))
        # As Telegram does: the message as it is at the time of the tap.
        query = {"id": query_id, "from": user, "message": self._message_json(message),
                 "chat_instance": str(-abs(target) * 7 - 1), "data": data}
        self.callback_queries[query_id] = query
        return self.push_raw({"callback_query": query}), query_id

    def push_raw(self, update: JSONDict) -> int:
        """Queue any update dict; an `update_id` is assigned if missing."""
        update = copy.deepcopy(update)
        if "update_id" not in update:
            update["update_id"] = next(self._update_seq)
        update_id = int(update["update_id"])
        self._updates[update_id] = update
        self._pending.append(update)
        self._pending.sort(key=lambda u: u["update_id"])
        self._wake(self._update_waiters)
        return update_id

    def push_duplicate(self, update_id: int) -> None:
        """Deliver an already queued update again, with the same update_id."""
        if update_id not in self._updates:
            raise KeyError(f"unknown update_id {update_id}")
        self._redeliver.append(copy.deepcopy(self._updates[update_id]))
        self._wake(self._update_waiters)

    @property
    def pending_update_count(self) -> int:
        """Updates queued and not yet delivered (as getWebhookInfo reports)."""
        return len(self._pending) + len(self._redeliver)

    # ------------------------------------------------------------- simulation: reading

    def messages_in(self, chat_id: int, *, include_user: bool = False,
                    include_deleted: bool = False) -> list[SentMessage]:
        """Messages of a chat in order; by default only the bot's, not deleted."""
        return [m for m in self._messages.get(chat_id, {}).values()
                if (include_user or m.from_bot) and (include_deleted or not m.deleted)]

    def last_message(self, chat_id: int) -> SentMessage | None:
        """The bot's newest (not deleted) message in the chat."""
        return self._latest(chat_id, lambda m: m.from_bot)

    def keyboard(self, chat_id: int, message_id: int | None = None) -> list[list[JSONDict]]:
        """Inline keyboard of a message (default: the newest bot message that has one)."""
        if message_id is not None:
            found = self.message(chat_id, message_id)
        else:
            found = self._latest(chat_id, lambda m: m.from_bot and bool(m.inline_keyboard))
        return found.inline_keyboard if found is not None else []

    def button_data(self, chat_id: int, text_contains: str) -> str:
        """callback_data of the first button whose label contains `text_contains`
        (case-insensitive) on the newest bot message with an inline keyboard."""
        rows = self.keyboard(chat_id)
        needle = text_contains.casefold()
        for button in itertools.chain.from_iterable(rows):
            if needle in str(button.get("text", "")).casefold() and "callback_data" in button:
                return str(button["callback_data"])
        labels = [b.get("text") for b in itertools.chain.from_iterable(rows)]
        raise LookupError(f"no button containing {text_contains!r}; buttons: {labels}")

    def unanswered_callback_queries(self) -> list[str]:
        """Ids of pushed callback queries the bot has not answered."""
        return [q for q in self.callback_queries if q not in self.answered_callback_queries]

    def subscribe(self) -> asyncio.Queue[JSONDict]:
        """A queue receiving an event dict for every message sent, edited or deleted, chat
        action and callback answer (for streaming to a web UI)."""
        queue: asyncio.Queue[JSONDict] = asyncio.Queue()
        self._subscribers.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[JSONDict]) -> None:
        """Stop sending events to a queue from `subscribe`."""
        self._subscribers.discard(queue)

    async def wait_for_request(
        self,
        method: str | None,
        predicate: Callable[[RecordedRequest], bool] | None = None,
        timeout: float = 10.0,  # noqa: ASYNC109 - part of the documented API
        after_index: int = 0,
    ) -> RecordedRequest:
        """Wait for a completed call to `method` (None: any) at index >= `after_index`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            for record in self.requests[after_index:]:
                if (record.done and (method is None or record.method == method)
                        and (predicate is None or predicate(record))):
                    return record
            remaining = deadline - loop.time()
            if remaining <= 0 or self._closing:
                raise TimeoutError(f"no matching {method or 'any'} request within {timeout}s")
            await self._wait(self._request_waiters, remaining)
