"""Telegram handlers: turn each update into a MySay event, run it in one transaction, deliver.

Thin on purpose: what to store and what to say is decided in bot.service, not here.
"""

from __future__ import annotations

import logging

from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from telegram import Update
from telegram.error import Forbidden, TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.service.types import (
    Command,
    Edited,
    Event,
    Media,
    MediaKind,
    Sender,
    Tap,
    Text,
)
from bot.services import Services
from bot.store import repo
from bot.telegram.cards import CardPublisher
from bot.telegram.delivery import Delivery

log = logging.getLogger(__name__)

SERVICES = "mysay"

_PRIVATE = filters.ChatType.PRIVATE
_NEW_MESSAGE = filters.UpdateType.MESSAGE  # not edited messages: those are answered apart


CARDS = "mysay_cards"


def services_of(context: ContextTypes.DEFAULT_TYPE) -> Services:
    return context.application.bot_data[SERVICES]


def delivery_for(context: ContextTypes.DEFAULT_TYPE) -> Delivery:
    return delivery_for_application(context.application)


def services_of_application(application: Application) -> Services:
    return application.bot_data[SERVICES]


def delivery_for_application(application: Application) -> Delivery:
    return Delivery(application.bot, services_of_application(application),
                    application.bot_data.get(CARDS))


def _sender(update: Update) -> Sender:
    user, chat = update.effective_user, update.effective_chat
    assert user is not None and chat is not None  # guaranteed by the private-chat filters
    return Sender(user.id, chat.id, user.first_name or "")


async def process(update: Update, context: ContextTypes.DEFAULT_TYPE, event: Event) -> None:
    """One update, one transaction: the effect and the update id commit together, then we send.

    If sending fails after the commit nothing is lost: the next tap shows the current step.
    """
    services = services_of(context)
    delivery = delivery_for(context)
    sender = _sender(update)
    try:
        async with services.db.transaction() as session:
            if await repo.already_processed(session, update.update_id):
                result = None
            else:
                result = await services.conversation.handle(session, sender, event)
                repo.mark_processed(session, update.update_id)
    except IntegrityError:
        # Another process handled the same update at the same moment and committed first.
        log.info("update %s was handled elsewhere", update.update_id)
        result = None
    except (OperationalError, DBAPIError, OSError, TimeoutError):
        # The database is away. Not marked processed, so Telegram's redelivery or the person's
        # next tap is handled once it is back.
        log.exception("database unavailable while handling update %s", update.update_id)
        await delivery.apologise(update)
        return
    if result is None:
        await delivery.answer_tap(update, None)
        return
    await delivery.deliver(update, result)


async def on_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    text = message.text if message and message.text else ""
    words = text.split()
    name = words[0].lstrip("/").split("@")[0].lower() if words else ""
    await process(update, context, Command(name, tuple(words[1:])))


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None and update.message.text is not None
    await process(update, context, Text(update.message.text))


async def on_edited(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await process(update, context, Edited())


async def on_tap(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.callback_query is not None
    await process(update, context, Tap(update.callback_query.data))


def media_kind(update: Update) -> MediaKind:
    message = update.message
    if message is None:
        return MediaKind.OTHER
    for kind in MediaKind:
        if kind is not MediaKind.OTHER and getattr(message, kind.value, None):
            return kind
    return MediaKind.OTHER


async def on_media(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await process(update, context, Media(media_kind(update)))


async def on_group(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """MySay is one-to-one only: say so once, then leave the group or channel."""
    chat = update.effective_chat
    if chat is None:
        return
    if update.callback_query is not None:
        await delivery_for(context).answer_tap(update, None)
    services = services_of(context)
    try:
        if chat.type != chat.CHANNEL:
            await context.bot.send_message(chat.id, services.content.locale("group_refused"))
        await context.bot.leave_chat(chat.id)
    except Forbidden:
        pass  # already out
    except TelegramError:
        log.warning("could not leave chat %s", chat.id)


async def on_anything_else(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Update types MySay does not use are ignored, quietly and without error."""
    if update.callback_query is not None:  # a tap must always be answered
        await delivery_for(context).answer_tap(update, None)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    log.error("error while handling an update", exc_info=context.error)
    if isinstance(update, Update) and SERVICES in context.application.bot_data:
        await delivery_for(context).apologise(update)


def register(application: Application, services: Services) -> None:
    application.bot_data[SERVICES] = services
    application.bot_data[CARDS] = CardPublisher(services.db)
    not_private = ~_PRIVATE
    application.add_handler(MessageHandler(not_private, on_group))
    # Every /command goes to the conversation, which knows each role's commands (bot.service).
    application.add_handler(MessageHandler(_PRIVATE & _NEW_MESSAGE & filters.COMMAND, on_command))
    application.add_handler(
        MessageHandler(_PRIVATE & _NEW_MESSAGE & filters.TEXT & ~filters.COMMAND, on_text))
    application.add_handler(MessageHandler(_PRIVATE & filters.UpdateType.EDITED_MESSAGE, on_edited))
    application.add_handler(MessageHandler(_PRIVATE & _NEW_MESSAGE, on_media))
    application.add_handler(CallbackQueryHandler(_tap_router))
    application.add_handler(TypeHandler(Update, on_anything_else))
    application.add_error_handler(on_error)


async def _tap_router(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    chat = update.effective_chat
    if chat is None:  # a tap on an inline-mode message: not something MySay sends
        await on_anything_else(update, context)
    elif chat.type != chat.PRIVATE:
        await on_group(update, context)
    else:
        await on_tap(update, context)

