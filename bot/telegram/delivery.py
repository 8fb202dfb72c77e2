"""Sending a Result to Telegram: answer the tap, then send or edit each reply."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest, Forbidden, TelegramError

from bot.service.types import Keyboard, Reply, Result

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)

MAX_TEXT = 4096


def markup(buttons: Keyboard) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.label, callback_data=b.data) for b in row] for row in buttons])


def _harmless(error: BadRequest) -> bool:
    return "not modified" in error.message.lower()


class Delivery:
    def __init__(self, bot: Bot, services: Services) -> None:
        self.bot = bot
        self.services = services

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
        await self.answer_tap(update, result.toast)
        chat = update.effective_chat
        if chat is None:
            return
        tapped = update.callback_query.message if update.callback_query else None
        for reply in result.replies:
            try:
                if reply.edit and isinstance(tapped, Message):
                    await self._edit(tapped, reply)
                    tapped = None  # only the first reply replaces the tapped message
                else:
                    await self._send(chat.id, reply)
            except Forbidden:
                log.info("chat %s has blocked the bot", chat.id)
                return

    async def _send(self, chat_id: int, reply: Reply) -> Message:
        return await self.bot.send_message(chat_id, reply.text[:MAX_TEXT],
                                           reply_markup=markup(reply.buttons))

    async def _edit(self, message: Message, reply: Reply) -> None:
        if message.photo:  # a picture can't become text: send anew, and retire the old buttons
            await self._send(message.chat_id, reply)
            await self._retire_buttons(message)
            return
        try:
            await message.edit_text(reply.text[:MAX_TEXT], reply_markup=markup(reply.buttons))
        except BadRequest as error:
            if _harmless(error):
                return
            log.info("could not edit message (%s); sending a new one", error.message)
            await self._send(message.chat_id, reply)

    async def _retire_buttons(self, message: Message) -> None:
        try:
            await message.edit_reply_markup(reply_markup=None)
        except TelegramError:
            pass  # the old buttons are stale anyway and are refused if tapped

    async def apologise(self, update: Update) -> None:
        """Something went wrong on our side: tell the person kindly, never with a traceback."""
        words = self.services.content.locale("try_again_later")
        await self.answer_tap(update, words)
        chat = update.effective_chat
        if chat is None or chat.type != chat.PRIVATE:
            return
        try:
            await self.bot.send_message(chat.id, words)
        except TelegramError:
            log.warning("could not send an apology to chat %s", chat.id)
