"""Drive MySay's conversation directly, without Telegram: no HTTP, no fake Bot API, no polling.

The conversation (bot.service) takes plain events (Command, Text, Tap, Media) and returns a
Result. This driver builds the real services on a real database (the `database_url` fixture:
a SQLite file, or PostgreSQL), runs each event through the adapter's own unit of work (claim
the update id, one transaction, the conversation; `_unit_of_work` below is the one place that
names it) and keeps each person's chat as the adapter would show it: new messages, edits in
place, the buttons of a replaced message retired.

It is a thin layer on purpose: what Telegram adds (the Bot API, the spec check, flood limits,
downloading files, picture cards) is tested over HTTP with tests/support/harness.py. The
classes here answer to the same calls as that harness's `Person` (send, tap, text, buttons,
last, messages), so helpers such as tests.service.test_summary_loop.check_in work with both.
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.render import safe_image
from bot.service.types import (
    Command,
    Edited,
    Event,
    Media,
    MediaKind,
    Reply,
    Result,
    Sender,
    Tap,
    Text,
    Unfetched,
)

# The adapter's own unit of work (the webhook, polling and the jobs share it).
from bot.service.unit_of_work import Claims
from bot.service.unit_of_work import handle_update as _unit_of_work
from bot.services import BOT_USERNAME_FACT, Services, build_services
from bot.store import repo
from bot.store.media_repo import MAX_MEDIA_BYTES
from bot.store.models import Person as PersonRow
from tests.support import glyphs
from tests.support.content import shipped_content

# Telegram's limits on what one message shows (bot/telegram/delivery.py).
MAX_TEXT = 4096
MAX_CAPTION = 1024
BOT_USERNAME = "MySayTestBot"


@dataclass
class Said:
    """One message the bot shows in a chat, as the person sees it.

    `text`: its words (a caption under a picture); `kind`: "text", "photo", "voice" or
    "document"; `buttons`: the inline keyboard as rows of (label, callback data)."""

    chat_id: int
    message_id: int
    text: str
    kind: str = "text"
    buttons: tuple[tuple[tuple[str, str], ...], ...] = ()
    reply: Reply | None = None  # what the conversation returned (screen, attachment, ...)
    data: bytes | None = None  # an attachment's bytes (a PDF made after the commit, too)
    edits: int = 0
    # The Mini App buttons' pages (Button.web_app), by label: such a button has no data.
    web_apps: dict[str, str] = field(default_factory=dict)

    @property
    def display_text(self) -> str:
        """The words, named as on the HTTP harness's messages (bot.sandbox.fake_api)."""
        return self.text

    @property
    def photo(self) -> str | None:
        """A reference for Driver.file_bytes if this is a picture, else None (as over HTTP)."""
        return self._ref("photo")

    @property
    def voice(self) -> str | None:
        return self._ref("voice")

    @property
    def document(self) -> str | None:
        return self._ref("document")

    def _ref(self, kind: str) -> str | None:
        return f"{self.chat_id}:{self.message_id}" if self.kind == kind else None

    @property
    def file_name(self) -> str | None:
        """The name of the file sent with it (an attachment), if any."""
        attachment = self.reply.attachment if self.reply is not None else None
        return attachment.filename if attachment is not None else None

    @property
    def labels(self) -> list[str]:
        """Every button's label, row after row."""
        return [label for row in self.buttons for label, _ in row]

    @property
    def inline_keyboard(self) -> list[list[dict[str, str]]]:
        """The keyboard shaped as the Bot API sends it, like the HTTP harness's messages: a
        Mini App button as {"text", "web_app": {"url"}}, any other with its callback data."""
        return [[{"text": label, "web_app": {"url": self.web_apps[label]}}
                 if label in self.web_apps else {"text": label, "callback_data": data}
                 for label, data in row]
                for row in self.buttons]


@dataclass
class Driver:
    """The real services on the test's database, and every chat the bot has written in."""

    services: Services
    claims: Claims = field(default_factory=Claims)
    chats: dict[int, list[Said]] = field(default_factory=dict)
    toasts: list[str | None] = field(default_factory=list)
    # Taps pushed but not yet handled (push_callback), in order: the HTTP harness's queue.
    queued: list[tuple[int, Sender, Tap, int]] = field(default_factory=list)
    users: dict[int, str] = field(default_factory=dict)  # Telegram user id -> first name
    _update_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _message_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @classmethod
    async def open(cls, settings: Settings) -> Driver:
        """Build the services as `python -m bot run` does, migrate, and note the bot's
        username as the app does at start-up (bot/app.py _on_start)."""
        services = build_services(settings, shipped_content(settings.flows_dir))
        await services.db.upgrade()
        async with services.db.transaction() as session:
            await repo.set_fact(session, BOT_USERNAME_FACT, BOT_USERNAME)
        return cls(services)

    async def close(self) -> None:
        await self.services.close()

    async def restart(self) -> None:
        """A new process on the same database: new services and claims, the chats stay."""
        settings = self.services.settings
        await self.services.close()
        self.services = build_services(settings, shipped_content(settings.flows_dir))
        self.claims = Claims()

    async def handle(self, sender: Sender, event: Event, *, update_id: int | None = None,
                     tapped: int | None = None) -> Result | None:
        """One update through the adapter's unit of work, then its result shown in the chats.
        Takes the sender, the event, optionally the update id (to send one twice) and the
        message a tap came from. Returns the conversation's Result (None: nothing to do)."""
        update_id = next(self._update_ids) if update_id is None else update_id
        result = await _unit_of_work(self.services, self.claims, update_id, sender, event)
        if result is not None:
            await self.show(sender.chat_id, result, tapped)
        elif isinstance(event, Tap):
            self.toasts.append(None)
        return result

    async def show(self, chat_id: int, result: Result, tapped: int | None) -> None:
        """Put a Result in the chats as bot/telegram/delivery.py does: the first `edit` reply
        replaces the tapped message if it can (words for words, a picture for a picture),
        else it is sent anew and the tapped message loses its buttons."""
        if tapped is not None:
            self.toasts.append(result.toast)
        for reply in result.replies:
            target = reply.chat_id or chat_id
            data = None
            if reply.attachment is not None:  # slow files are made after the commit
                made = reply.attachment.make
                data = reply.attachment.data if made is None else await made()
            if reply.edit and reply.chat_id is None and tapped is not None:
                self._edit(chat_id, tapped, reply, data)
                tapped = None
            else:
                self._send(target, reply, data)

    def _said(self, chat_id: int, reply: Reply, data: bytes | None) -> Said:
        kind = _kind(reply)
        limit = MAX_TEXT if kind == "text" else MAX_CAPTION
        buttons = tuple(tuple((b.label, b.data) for b in row) for row in reply.buttons)
        pages = {b.label: b.web_app for row in reply.buttons for b in row if b.web_app}
        return Said(chat_id, next(self._message_ids), reply.text[:limit], kind, buttons, reply,
                    data, web_apps=pages)

    def _send(self, chat_id: int, reply: Reply, data: bytes | None) -> Said:
        said = self._said(chat_id, reply, data)
        self.chats.setdefault(chat_id, []).append(said)
        return said

    def _edit(self, chat_id: int, message_id: int, reply: Reply, data: bytes | None) -> None:
        old = self.message(chat_id, message_id)
        new = self._said(chat_id, reply, data)
        if old.kind == new.kind and reply.attachment is None and old.kind in ("text", "photo"):
            old.text, old.buttons, old.reply, old.edits = new.text, new.buttons, reply, \
                old.edits + 1
            old.web_apps = new.web_apps
            return
        self._send(chat_id, reply, data)
        old.buttons = ()

    def messages_in(self, chat_id: int) -> list[Said]:
        return list(self.chats.get(chat_id, []))

    def message(self, chat_id: int, message_id: int) -> Said:
        for said in self.chats.get(chat_id, []):
            if said.message_id == message_id:
                return said
        raise AssertionError(f"no message {message_id} in chat {chat_id}")

    @property
    def settings(self) -> Settings:
        return self.services.settings

    @property
    def files(self) -> dict[str, Said]:
        """Every message carrying a file, by its reference (Said.document, .photo, .voice),
        with `file_name` and `data` as the fake Bot API's stored files have them."""
        return {f"{said.chat_id}:{said.message_id}": said
                for chat in self.chats.values() for said in chat if said.data is not None}

    # The fake Bot API's test helpers, for tests that read the chat through them.
    def push_callback(self, user_id: int, message_id: int, data: str | None) -> int:
        """Queue a tap with any data on a message, as the fake Bot API's push_callback does;
        wait_processed runs it. Returns its update id."""
        update_id = next(self._update_ids)
        sender = Sender(user_id, user_id, self.users.get(user_id, ""))
        self.queued.append((update_id, sender, Tap(data), message_id))
        return update_id

    async def wait_processed(self, update_id: int, times: int = 1) -> None:
        """Handle every queued update up to `update_id` (the HTTP harness waits for them)."""
        del times
        while self.queued and self.queued[0][0] <= update_id:
            queued_id, sender, tap, message_id = self.queued.pop(0)
            await self.handle(sender, tap, update_id=queued_id, tapped=message_id)

    @property
    def api(self) -> Driver:
        """Itself: `world.bot.api.button_data(...)` reads as it does over HTTP."""
        return self

    def button_data(self, chat_id: int, label: str) -> str:
        """The callback data of the button labelled `label` on the newest message with one."""
        for said in reversed(self.chats.get(chat_id, [])):
            for row in said.buttons:
                for text, data in row:
                    if label.casefold() in text.casefold():
                        return data
        raise AssertionError(f"no button with {label!r} in chat {chat_id}")

    def keyboard(self, chat_id: int, message_id: int) -> list[list[dict[str, str]]]:
        return self.message(chat_id, message_id).inline_keyboard

    def file_bytes(self, ref: str | None) -> bytes:
        """The bytes of a photo, voice note or document sent with a message (Said.document)."""
        assert ref is not None, "not a file"
        chat_id, message_id = (int(part) for part in ref.split(":"))
        data = self.message(chat_id, message_id).data
        assert data is not None, f"message {message_id} carries no file"
        return data


def _kind(reply: Reply) -> str:
    """How a reply shows: its attachment's kind, a picture card with a caption (a screen or a
    picture, when the words fit a caption), or words alone."""
    if reply.attachment is not None:
        return reply.attachment.kind if reply.attachment.kind in ("photo", "voice") \
            else "document"
    if (reply.screen is not None or reply.picture is not None) and not reply.words_only \
            and len(reply.text) <= MAX_CAPTION:
        return "photo"
    return "text"


class Person:
    """One person in their private chat with the bot. Answers to the same calls as the HTTP
    harness's Person (tests/support/harness.py)."""

    def __init__(self, driver: Driver, user_id: int, first_name: str) -> None:
        self.driver = driver
        self.bot = self.api = driver  # as the harness's Person.bot and .api read
        self.user_id = user_id
        self.first_name = first_name
        self.sender = Sender(user_id, user_id, first_name)
        driver.users[user_id] = first_name

    async def send(self, text: str | None = None, *, sticker: bool = False,
                   photo: bytes | None = None, voice: bytes | None = None,
                   caption: str | None = None, forwarded: bool = False,
                   media_group: str | None = None, edited: bool = False) -> Said:
        """Send words, a /command, a sticker, a photo or a voice note, or with `edited` an
        edit of an earlier message to these words (as the adapter turns them into events,
        bot/telegram/handlers.py); returns the bot's newest message."""
        if edited:
            await self.driver.handle(self.sender, Edited(text or caption))
            return self.last()
        await self.driver.handle(self.sender, await _event(
            text, sticker=sticker, photo=photo, voice=voice, caption=caption,
            forwarded=forwarded, media_group=media_group))
        return self.last()

    async def tap(self, label: str, message_id: int | None = None) -> Said:
        """Tap the button whose label contains `label` on the newest message with buttons (or
        on `message_id`); returns the bot's newest message afterwards."""
        message = self._message_with_buttons(message_id)
        return await self.tap_data(message.message_id, _find(message, label))

    async def tap_data(self, message_id: int, data: str | None, **kwargs: Any) -> Said:
        """Tap with any callback data (a forged or old button) on the given message."""
        await self.driver.handle(self.sender, Tap(data), tapped=message_id, **kwargs)
        return self.last()

    def button_data(self, label: str) -> str:
        return self.driver.button_data(self.user_id, label)

    def _message_with_buttons(self, message_id: int | None) -> Said:
        if message_id is not None:
            return self.driver.message(self.user_id, message_id)
        for message in reversed(self.messages()):
            if message.buttons:
                return message
        raise AssertionError("the bot has sent no buttons")

    def last(self) -> Said:
        messages = self.messages()
        assert messages, "the bot has said nothing"
        return messages[-1]

    def text(self) -> str:
        return self.last().text

    def buttons(self, message_id: int | None = None) -> list[str]:
        return self._message_with_buttons(message_id).labels

    def ticked(self, message_id: int | None = None) -> list[str]:
        """The words of the ticked choices on the newest buttons (glyphs.ticked_words)."""
        return glyphs.ticked_words(self.buttons(message_id))

    def messages(self) -> list[Said]:
        return self.driver.messages_in(self.user_id)


def _find(message: Said, label: str) -> str:
    for row in message.buttons:
        for text, data in row:
            if label.casefold() in text.casefold():
                return data
    raise AssertionError(f"no button with {label!r}; buttons are {message.labels}")


async def _event(text: str | None, *, sticker: bool, photo: bytes | None, voice: bytes | None,
                 caption: str | None, forwarded: bool, media_group: str | None) -> Event:
    """The event the adapter makes of such a message (handlers.on_command, on_text,
    media_event): a photo's bytes are checked on arrival as there."""
    if text is not None and text.startswith("/"):
        words = text.split()
        return Command(words[0].lstrip("/").split("@")[0].lower(), tuple(words[1:]))
    if text is not None:
        return Text(text, forwarded)
    base = Media(MediaKind.OTHER, caption=caption, forwarded=forwarded, media_group=media_group)
    if sticker:
        return Media(MediaKind.STICKER, forwarded=forwarded)
    if voice is not None:
        return Media(MediaKind.VOICE, voice, "audio/ogg", f"voice-{len(voice)}", caption,
                     forwarded=forwarded, media_group=media_group)
    if photo is not None:
        arrival = await asyncio.to_thread(safe_image.check_arrival, photo,
                                          max_bytes=MAX_MEDIA_BYTES)
        if arrival.data is None:
            why = Unfetched.TOO_BIG if arrival.refused is safe_image.Refusal.TOO_BIG \
                else Unfetched.UNREADABLE
            return Media(MediaKind.PHOTO, caption=caption, forwarded=forwarded,
                         media_group=media_group, unfetched=why)
        return Media(MediaKind.PHOTO, arrival.data, arrival.mime_type, f"photo-{len(photo)}",
                     caption, forwarded=forwarded, media_group=media_group)
    return base


def forge_callback(api: Driver, user_id: int, message_id: int, data: str) -> int:
    """A tap with data the bot never put on a button (a forged or corrupted tap), queued as
    tests/support/harness.py's forge_callback queues it; `await api.wait_processed(id)` runs
    it. Returns its update id."""
    return api.push_callback(user_id, message_id, data)


class World:
    """A therapist and helpers to bring young people in, through the conversation: the same
    calls as tests/conftest.py's World (which goes over HTTP)."""

    def __init__(self, driver: Driver) -> None:
        self.driver = driver
        self.bot = driver  # so `world.bot.services` reads as it does over HTTP
        self._next_user = 5_000_001

    @property
    def services(self) -> Services:
        return self.driver.services

    def person(self, first_name: str, user_id: int | None = None) -> Person:
        """Someone new in the chat: the next free Telegram user id, or `user_id`."""
        if user_id is not None:
            return Person(self.driver, user_id, first_name)
        self._next_user += 1
        return Person(self.driver, self._next_user, first_name)

    async def therapist_code(self, name: str = "Sam Therapist") -> str:
        from bot.store.models import InvitationKind

        async with self.services.db.transaction() as session:
            return await repo.create_invitation(session, kind=InvitationKind.THERAPIST,
                                                days=14, label=name)

    async def therapist(self, first_name: str = "Sam") -> Person:
        therapist = self.person(first_name)
        await therapist.send(f"/start {await self.therapist_code(first_name)}")
        return therapist

    async def young_person(self, therapist: Person, first_name: str = "Jo") -> Person:
        reply = await therapist.send("/invite")
        code = reply.text.rsplit("Code: ", 1)[1].split()[0]
        young = self.person(first_name)
        await young.send(f"/start {code}")
        await young.tap("Yes")
        return young


async def row_of(session: AsyncSession, person: Any) -> PersonRow:
    """The stored person (bot.store.models.Person) of someone in a test chat (anything with a
    Telegram `user_id`: a driver Person or a harness Person). Fails the test if not stored."""
    found = await session.scalar(select(PersonRow).where(
        PersonRow.telegram_user_id == person.user_id))
    assert found is not None, f"no stored person for user {person.user_id}"
    return found
