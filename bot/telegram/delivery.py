"""Sending a Result to Telegram: answer the tap, then send or edit each reply."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    InputMediaPhoto,
    Message,
    Update,
    WebAppInfo,
)
from telegram.error import BadRequest, Forbidden, TelegramError

from bot.render import speech
from bot.render.cards import CardStyle
from bot.render.screens import Picture, picture_for
from bot.service import present, reading
from bot.service.types import Attachment, Button, Keyboard, Reply, Result
from bot.telegram.cards import Slot

if TYPE_CHECKING:
    from bot.services import Services
    from bot.telegram.cards import CardPublisher

log = logging.getLogger(__name__)

MAX_TEXT = 4096
MAX_CAPTION = 1024


def markup(buttons: Keyboard) -> InlineKeyboardMarkup | None:
    """The inline keyboard of `buttons` (None for none): a callback button each, or for a
    Button with `web_app` a Mini App button (Bot API InlineKeyboardButton.web_app, with
    WebAppInfo.url, https only), since a button carries exactly one action."""
    if not buttons:
        return None
    return InlineKeyboardMarkup([[_button(b) for b in row] for row in buttons])


def _button(button: Button) -> InlineKeyboardButton:
    if button.web_app is not None:
        return InlineKeyboardButton(button.label, web_app=WebAppInfo(button.web_app))
    return InlineKeyboardButton(button.label, callback_data=button.data)


def _harmless(error: BadRequest) -> bool:
    return "not modified" in error.message.lower()


def _stale_file(error: BadRequest) -> bool:
    text = error.message.lower()
    return "file" in text and ("wrong" in text or "invalid" in text or "not found" in text)


def _style(reply: Reply) -> CardStyle:
    look: dict[str, Any] = dict(reply.look)
    return CardStyle(text_scale=float(look.get("text_scale", 1.0)),
                     palette=str(look.get("palette", "standard")),
                     font=str(look.get("font", "atkinson")))


class Delivery:
    def __init__(self, bot: Bot, services: Services, cards: CardPublisher | None = None) -> None:
        self.bot = bot
        self.services = services
        self.cards = cards

    async def answer_tap(self, update: Update, text: str | None) -> None:
        """Every callback query gets an answer, so the button stops spinning."""
        query = update.callback_query
        if query is None:
            return
        try:
            await query.answer(text[:200] if text else None)
        except BadRequest as error:  # too old to answer: nothing the person can see
            log.info("could not answer a callback query: %s", error.message)

    async def deliver(self, update: Update, result: Result) -> None:
        """Answer the tap, then each reply in order: sent to its chat, or the first one marked
        `edit` put in place of the tapped message. When a voice note reading the screen has
        just been sent (Read to me, bot.service.reading), the screen is sent after it instead
        and the tapped message loses its buttons: the chat ends [voice][screen with buttons],
        never with voice notes piling up under a question edited in place above them."""
        await self.answer_tap(update, result.toast)
        chat = update.effective_chat
        tapped = update.callback_query.message if update.callback_query else None
        read = False  # a voice note went to the sender's chat before the next screen
        for reply in result.replies:
            target = reply.chat_id or (chat.id if chat else None)
            if target is None:
                continue
            try:
                if reply.edit and reply.chat_id is None and isinstance(tapped, Message):
                    if read:
                        await self.send(target, reply)
                        await self._retire_buttons(tapped)
                    else:
                        await self._edit(tapped, reply)
                    tapped = None  # only the first reply replaces the tapped message
                else:
                    sent = await self.send(target, reply)
                    if reply.chat_id is None and sent is not None and reading.is_voice(reply):
                        read = True
            except Forbidden:
                log.info("chat %s has blocked the bot", target)
                if reply.chat_id is None:
                    return
            except TelegramError as error:
                if reply.chat_id is None:
                    raise
                # A message for someone else (a safety alert) must not stop the sender's own
                # replies; an unacknowledged alert is sent again by its job.
                log.warning("could not send to chat %s: %s", target, error)

    async def deliver_to_chat(self, chat_id: int, result: Result) -> None:
        """Each reply of `result` as a new message, in order, when nothing was tapped in the
        chat (the Talking Mat page, bot.webapp.server): a reply without its own chat goes to
        `chat_id` (a private chat's id is its user's id, Bot API `Chat.id`), and a reply
        marked `edit` is sent anew (there is no tapped message to put it in place of).
        Raises TelegramError for a failure in `chat_id` itself, after it stopped there; a
        blocked bot there ends it quietly; a message for someone else failing is logged."""
        for reply in result.replies:
            target = reply.chat_id or chat_id
            try:
                await self.send(target, reply)
            except Forbidden:
                log.info("a chat has blocked the bot")
                if reply.chat_id is None:
                    return
            except TelegramError as error:
                if reply.chat_id is None:
                    raise
                log.warning("could not send to another chat: %s", type(error).__name__)

    async def send(self, chat_id: int, reply: Reply,
                   drawn: tuple[Slot, str | bytes] | None = None) -> Message | None:
        """One reply as a new message: a file, a picture card with words, or words alone.
        `drawn`: the reply's picture as `CardPublisher.media` already gave it (an edit that
        fell back to a new message), so it is not drawn twice. Returns the message sent, or
        None (speech that could not be made: nothing to send)."""
        keyboard = markup(reply.buttons)
        if reply.attachment is not None:
            return await self._send_attachment(chat_id, reply, keyboard)
        picture = self._picture(reply)
        if picture is not None and len(reply.text) <= MAX_CAPTION and self.cards is not None:
            slot, media = drawn or await self.cards.media(picture, _style(reply), reply.about)
            try:
                message = await self.bot.send_photo(chat_id, self._photo(media),
                                                    caption=reply.text, reply_markup=keyboard)
            except BadRequest as error:
                if isinstance(media, bytes) or not _stale_file(error):
                    raise
                await self.cards.forget(slot)
                _, media = await self.cards.media(picture, _style(reply), reply.about)
                message = await self.bot.send_photo(chat_id, self._photo(media),
                                                    caption=reply.text, reply_markup=keyboard)
            await self.cards.remember(slot, message)
            return message
        return await self.bot.send_message(chat_id, reply.text[:MAX_TEXT], reply_markup=keyboard)

    @staticmethod
    def _photo(media: str | bytes) -> str | InputFile:
        return media if isinstance(media, str) else InputFile(media, filename="card.jpg")

    def _picture(self, reply: Reply) -> Picture | None:
        """The picture card to show with the reply: its screen drawn, else its picture; None
        for a words-only reply (the young person answers from words, /settings)."""
        if reply.words_only:
            return None
        if reply.screen is None:
            return reply.picture
        # The card's words in the style the young person chose (bot.i18n, issue 15).
        locale = self.services.content.locale.styled(str(dict(reply.look).get("style", "")))
        return picture_for(reply.screen, present.prompt_words(reply.screen, locale),
                           present.footer(reply.screen, locale))

    async def _send_attachment(self, chat_id: int, reply: Reply,
                               keyboard: InlineKeyboardMarkup | None) -> Message | None:
        item = reply.attachment
        assert item is not None
        caption = reply.text[:MAX_CAPTION] or None
        if item.kind == "voice":
            return await self._send_voice(chat_id, item, caption, keyboard)
        data = item.data if item.make is None else await item.make()
        upload = InputFile(data, filename=item.filename)
        if item.kind == "photo":
            return await self.bot.send_photo(chat_id, upload, caption=caption,
                                             reply_markup=keyboard)
        return await self.bot.send_document(chat_id, upload, caption=caption,
                                            reply_markup=keyboard)

    async def _send_voice(self, chat_id: int, item: Attachment, caption: str | None,
                          keyboard: InlineKeyboardMarkup | None) -> Message | None:
        """A voice note: by a file id Telegram already has (the recording's own, or the one
        kept under the item's key), else uploaded (made now if it is speech) and its file id
        kept under the key. Speech that could not be made (b"") sends nothing: the words it
        reads are sent anyway. Returns the message, or None when nothing was sent."""
        known = item.file_id or (await self.cards.known(item.key)
                                 if self.cards is not None and item.key else None)
        if known:
            try:
                return await self.bot.send_voice(chat_id, known, caption=caption,
                                                 reply_markup=keyboard)
            except BadRequest as error:
                if not _stale_file(error):
                    raise
                log.info("a voice note's file id is gone; uploading it again")
                if self.cards is not None and item.key:
                    await self.cards.forget(Slot(item.key))
        data = item.data if item.make is None else await item.make()
        if not data:
            return None
        message = await self.bot.send_voice(chat_id, InputFile(data, filename=item.filename),
                                            caption=caption, reply_markup=keyboard,
                                            duration=speech.seconds(data))
        if self.cards is not None and item.key and message.voice is not None:
            await self.cards.keep(item.key, message.voice.file_id)
        return message

    async def _edit(self, message: Message, reply: Reply) -> None:
        picture = self._picture(reply)
        wants_photo = (picture is not None and self.cards is not None
                       and reply.attachment is None and len(reply.text) <= MAX_CAPTION)
        drawn: tuple[Slot, str | bytes] | None = None  # a picture drawn here, for the fallback
        try:
            if wants_photo and message.photo:
                assert picture is not None and self.cards is not None
                slot, media = await self.cards.media(picture, _style(reply), reply.about)
                drawn = (slot, media) if isinstance(media, bytes) else None
                # Raw bytes, not an InputFile: PTB then sends it as attach://, as Telegram needs.
                edited = await message.edit_media(
                    InputMediaPhoto(media, caption=reply.text),
                    reply_markup=markup(reply.buttons))
                await self.cards.remember(slot, edited)
                return
            if not wants_photo and reply.attachment is None and message.text is not None:
                await message.edit_text(reply.text[:MAX_TEXT], reply_markup=markup(reply.buttons))
                return
        except BadRequest as error:
            if _harmless(error):
                return
            log.info("could not edit message (%s); sending a new one", error.message)
        # A text can't become a picture (or the edit failed): send anew, retire the old buttons.
        # A picture drawn for the failed edit is sent as it is: never drawn twice in one reply
        # (a file id is not passed on: a stale one is looked up and replaced by `send`).
        await self.send(message.chat_id, reply, drawn)
        await self._retire_buttons(message)

    async def _retire_buttons(self, message: Message) -> None:
        try:
            await message.edit_reply_markup(reply_markup=None)
        except TelegramError:
            pass  # the old buttons are stale anyway and are refused if tapped

    async def apologise(self, update: Update, words_key: str = "try_again_later") -> None:
        """Something went wrong on our side: tell the person kindly, never with a traceback."""
        words = self.services.content.locale(words_key)
        await self.answer_tap(update, words)
        chat = update.effective_chat
        if chat is None or chat.type != chat.PRIVATE:
            return
        try:
            await self.bot.send_message(chat.id, words)
        except TelegramError:
            log.warning("could not send an apology to chat %s", chat.id)
