"""Drive the real MySay application over HTTP through the fake Bot API, as a person would."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from telegram import Update
from telegram.ext import Application, ContextTypes, TypeHandler

from bot.app import build_application, services_of
from bot.config import Settings
from bot.sandbox.fake_api import FakeBotAPI, SentMessage
from bot.services import Services
from bot.telegram.lifecycle import start_embedded, stop_embedded
from tests.support import glyphs
from tests.support.content import shipped_content

# Runs after every MySay handler group, so "processed" means the reply has been sent.
_LAST_GROUP = 10_000


class RunningBot:
    """The application built by the same code as `python -m bot run`, polling the fake API."""

    def __init__(self, settings: Settings, api: FakeBotAPI) -> None:
        self.settings = settings
        self.api = api
        self.application: Application | None = None
        self.processed: Counter[int] = Counter()
        self._changed = asyncio.Event()

    @property
    def services(self) -> Services:
        assert self.application is not None
        return services_of(self.application)

    async def start(self) -> RunningBot:
        application = build_application(self.settings, shipped_content(self.settings.flows_dir))
        application.add_handler(TypeHandler(Update, self._mark), group=_LAST_GROUP)
        # As `python -m bot run` polls; every update type, so tests can send odd ones too.
        await start_embedded(application, poll_timeout=1, allowed_updates=Update.ALL_TYPES)
        self.application = application
        return self

    async def stop(self) -> None:
        application, self.application = self.application, None
        if application is not None:
            await stop_embedded(application)

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    async def _mark(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        self.processed[update.update_id] += 1
        self._changed.set()

    async def wait_processed(self, update_id: int, times: int = 1, seconds: float = 15.0) -> None:
        async with asyncio.timeout(seconds):
            while self.processed[update_id] < times:
                self._changed.clear()
                await self._changed.wait()


class Person:
    """One Telegram user talking to the bot in their private chat."""

    def __init__(self, bot: RunningBot, user_id: int, first_name: str) -> None:
        self.bot = bot
        self.api = bot.api
        self.user_id = user_id
        self.first_name = first_name
        self.api.add_user(user_id, first_name)

    async def send(self, text: str | None = None, **kwargs: Any) -> SentMessage:
        """Send a message; returns the bot's newest message afterwards."""
        update_id = self.api.push_message(self.user_id, text, first_name=self.first_name,
                                          **kwargs)
        await self.bot.wait_processed(update_id)
        return self.last()

    async def tap(self, label: str, message_id: int | None = None) -> SentMessage:
        """Tap the button whose label contains `label` on the newest message with buttons
        (or on `message_id`); returns the bot's newest message afterwards."""
        message = self._message_with_buttons(message_id)
        data = self._find(message, label)
        update_id, _query = self.api.push_callback(self.user_id, message.message_id, data)
        await self.bot.wait_processed(update_id)
        return self.last()

    async def tap_data(self, message_id: int, data: str) -> SentMessage:
        update_id, _ = self.api.push_callback(self.user_id, message_id, data)
        await self.bot.wait_processed(update_id)
        return self.last()

    def _message_with_buttons(self, message_id: int | None) -> SentMessage:
        if message_id is not None:
            found = self.api.message(self.user_id, message_id)
            assert found is not None, f"no message {message_id}"
            return found
        for message in reversed(self.api.messages_in(self.user_id)):
            if message.inline_keyboard:
                return message
        raise AssertionError("the bot has sent no buttons")

    @staticmethod
    def _find(message: SentMessage, label: str) -> str:
        for row in message.inline_keyboard:
            for button in row:
                if label.casefold() in str(button.get("text", "")).casefold():
                    return str(button["callback_data"])
        labels = [b.get("text") for row in message.inline_keyboard for b in row]
        raise AssertionError(f"no button with {label!r}; buttons are {labels}")

    def last(self) -> SentMessage:
        message = self.api.last_message(self.user_id)
        assert message is not None, "the bot has said nothing"
        return message

    def text(self) -> str:
        return self.last().display_text or ""

    def buttons(self, message_id: int | None = None) -> list[str]:
        message = self._message_with_buttons(message_id)
        return [str(b.get("text")) for row in message.inline_keyboard for b in row]

    def ticked(self, message_id: int | None = None) -> list[str]:
        """The words of the ticked choices on the newest buttons (glyphs.ticked_words)."""
        return glyphs.ticked_words(self.buttons(message_id))

    def messages(self) -> list[SentMessage]:
        return self.api.messages_in(self.user_id)


def forge_callback(api: FakeBotAPI, user_id: int, message_id: int, data: str) -> int:
    """A callback query with data the bot never put on a button (a forged or corrupted tap)
    on the bot's message `message_id`, which it carries as Telegram would: as it is now (a
    photo stays a photo with its caption). Returns its update id."""
    return api.push_forged_callback(user_id, message_id, data)[0]
