"""Telegram handlers: turn each update into a MySay event, hand it to the unit of work, deliver.

Thin on purpose: what to store and what to say is decided in bot.service, and the transaction
(claim the update id, retry a dropped connection, commit, draw pictures after) is
bot.service.unit_of_work, shared by the webhook, long polling and the periodic jobs.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace

from telegram import ChatMember, Document, Message, PhotoSize, Update, Voice
from telegram.error import BadRequest, Forbidden, TelegramError, TimedOut
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.render import safe_image
from bot.render.safe_image import Refusal
from bot.safety import keywords
from bot.safety.flood import FloodGate, Verdict
from bot.service import callbacks, unit_of_work
from bot.service.types import (
    Command,
    Edited,
    Event,
    Media,
    MediaKind,
    Sender,
    Tap,
    Text,
    Unfetched,
)
from bot.service.unit_of_work import Claims
from bot.services import Services
from bot.store import reliability_repo
from bot.store.db import DATABASE_AWAY
from bot.store.media_repo import MAX_MEDIA_BYTES
from bot.telegram.cards import CardPublisher
from bot.telegram.delivery import Delivery
from bot.telegram.unprocessed import note_committed, note_unprocessed

log = logging.getLogger(__name__)

SERVICES = "mysay"

_PRIVATE = filters.ChatType.PRIVATE
_NEW_MESSAGE = filters.UpdateType.MESSAGE  # not edited messages: those are answered apart


CARDS = "mysay_cards"
CLAIMS = "mysay_claims"
FLOOD = "mysay_flood"
# What the Bot API says when getFile is asked for a file over its 20 MB download limit.
_BOT_API_TOO_BIG = "file is too big"


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
    """One update through the unit of work (bot.service.unit_of_work: the effect and the
    update id commit together, pictures are drawn after), then we send.

    If sending fails after the commit nothing is lost: the next tap shows the current step.
    """
    if not await within_flood_limit(update, context):
        return
    services = services_of(context)
    delivery = delivery_for(context)
    try:
        result = await unit_of_work.handle_update(
            services, context.application.bot_data[CLAIMS], update.update_id, _sender(update),
            event)
        note_committed(context.application)
    except DATABASE_AWAY as error:
        # The database is away. Not marked processed: it is handled again by itself once the
        # database is back (polling keeps it from the offset, bot.telegram.polling; webhook
        # answers 503 and Telegram sends it again). They are told once.
        log.warning("database unavailable for update %s: %s", update.update_id,
                    type(error).__name__)
        if note_unprocessed(context.application, update.update_id):
            await delivery.apologise(update, "database_away")
        return
    if result is None:
        await delivery.answer_tap(update, None)
        return
    try:
        await delivery.deliver(update, result)
    except TimedOut:
        # Telegram took the message but did not answer in time: it may well have arrived, so it
        # is not sent twice (request.py). The step is committed; the next tap shows it again.
        log.warning("no answer from Telegram in time while replying to update %s",
                    update.update_id)


async def on_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    text = message.text if message and message.text else ""
    words = text.split()
    name = words[0].lstrip("/").split("@")[0].lower() if words else ""
    await process(update, context, Command(name, tuple(words[1:])))


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None and update.message.text is not None
    await process(update, context, Text(update.message.text, forwarded(update.message)))


# The fields a forward had before Bot API 7.0 brought `forward_origin`: PTB keeps them in
# api_kwargs, so a server or test still sending them is still seen as a forward.
_OLD_FORWARD_FIELDS = ("forward_from", "forward_from_chat", "forward_sender_name",
                       "forward_date", "forward_signature", "forward_from_message_id")


def forwarded(message: Message) -> bool:
    """Whether a message was sent on from someone else rather than written by the sender
    (Bot API `forward_origin`, the older forward_* fields, or an automatic forward), so its
    words are not the young person's own. A reply quoting another message is still their own
    words: the quote is not in its text."""
    return (message.forward_origin is not None or bool(message.is_automatic_forward)
            or any(name in message.api_kwargs for name in _OLD_FORWARD_FIELDS))


async def on_edited(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    edited = update.edited_message
    await process(update, context, Edited(edited.text or edited.caption if edited else None))


async def on_tap(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.callback_query is not None
    await process(update, context, Tap(update.callback_query.data))


# A picture sent "as a file" (uncompressed) is a photo to the young person; Telegram calls it
# a document. Its type and name come from the sender's phone, so its bytes are checked anyway.
_PICTURE_NAMES = (".jpg", ".jpeg", ".png", ".webp", ".gif")


def media_kind(update: Update) -> MediaKind:
    """What kind of non-text message this is; a picture sent as a file counts as a photo."""
    message = update.message
    if message is None:
        return MediaKind.OTHER
    document = message.document
    if document is not None and ((document.mime_type or "").startswith("image/") or (
            document.file_name or "").lower().endswith(_PICTURE_NAMES)):
        return MediaKind.PHOTO
    for kind in MediaKind:
        if kind is not MediaKind.OTHER and getattr(message, kind.value, None):
            return kind
    return MediaKind.OTHER


def _too_big(size: int | None) -> bool:
    """More than MySay keeps (MAX_MEDIA_BYTES, bot/store/media_repo.py)."""
    return (size or 0) > MAX_MEDIA_BYTES


async def fetch_media(context: ContextTypes.DEFAULT_TYPE, file_id: str,
                      announced: int | None) -> bytes | Unfetched:
    """A file's bytes (getFile, then Telegram's file URL), or why there are none: TOO_BIG only
    when it is (the size Telegram gave in the message or in getFile, the bytes read, or the
    Bot API's own 400 "file is too big" past its 20 MB download limit); NOT_FETCHED when
    Telegram or the network failed, where sending it again can work. Raises nothing."""
    if _too_big(announced):
        return Unfetched.TOO_BIG
    try:
        telegram_file = await context.bot.get_file(file_id)
        if _too_big(telegram_file.file_size):
            return Unfetched.TOO_BIG
        data = bytes(await telegram_file.download_as_bytearray())
    except BadRequest as error:
        if _BOT_API_TOO_BIG in error.message.casefold():
            return Unfetched.TOO_BIG
        log.warning("could not download a file: %s", type(error).__name__)
        return Unfetched.NOT_FETCHED
    except TelegramError as error:  # TimedOut, NetworkError, InvalidToken (an expired path)
        log.warning("could not download a file: %s", type(error).__name__)
        return Unfetched.NOT_FETCHED
    return Unfetched.TOO_BIG if _too_big(len(data)) else data


async def media_event(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Media:
    """A photo or voice note arrives with its bytes (fetched before the transaction opens),
    or with why it has none (fetch_media); other kinds carry no bytes. A photo is checked and
    cleaned here (bot.render.safe_image), so nothing unchecked is ever kept as a picture."""
    message = update.message
    kind = media_kind(update)
    if message is None:
        return Media(kind)
    base = Media(kind, caption=message.caption, forwarded=forwarded(message),
                 media_group=message.media_group_id)
    if kind not in (MediaKind.PHOTO, MediaKind.VOICE):
        return base
    item: PhotoSize | Document | Voice
    if kind is MediaKind.PHOTO:
        item, mime = message.document or message.photo[-1], "image/jpeg"
    else:
        assert message.voice is not None
        item, mime = message.voice, message.voice.mime_type or "audio/ogg"
    data = await fetch_media(context, item.file_id, item.file_size)
    if isinstance(data, Unfetched):
        return replace(base, unfetched=data)
    if kind is MediaKind.PHOTO:
        # Decoding is CPU work: off the event loop, like rendering.
        arrival = await asyncio.to_thread(safe_image.check_arrival, data,
                                          max_bytes=MAX_MEDIA_BYTES)
        if arrival.data is None:
            return replace(base, unfetched=Unfetched.TOO_BIG
                           if arrival.refused is Refusal.TOO_BIG else Unfetched.UNREADABLE)
        data, mime = arrival.data, arrival.mime_type
    return replace(base, data=data, mime_type=mime, file_id=item.file_id)


async def on_media(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if not await within_flood_limit(update, context):  # before downloading anything
        return
    await process(update, context, await media_event(update, context))


async def within_flood_limit(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Per-person flood limit, before any download or transaction (bot.safety.flood).
    Over the limit: one polite message, then updates are dropped until they slow down."""
    gate: FloodGate = context.application.bot_data[FLOOD]
    user = update.effective_user
    if user is None:
        return True
    services = services_of(context)
    verdict, new = gate.decide(update.update_id, user.id,
                               always_pass=_urgent(update, services))
    if verdict is Verdict.PASS:
        return True
    if not new:
        return False
    delivery = delivery_for(context)
    if verdict is Verdict.DROP:
        await delivery.answer_tap(update, None)
        return False
    log.info("a person is sending too fast; dropping their updates until they slow down")
    words = services.content.locale("flood_slow_down")
    await delivery.answer_tap(update, words)
    chat = update.effective_chat
    try:
        if chat is not None:
            await context.bot.send_message(chat.id, words)
    except TelegramError:
        log.info("could not send the slow-down message")
    return False


def _urgent(update: Update, services: Services) -> bool:
    """A safety tap, or words on the safeguarding list: never dropped, however fast."""
    data = update.callback_query.data if update.callback_query else None
    if callbacks.is_urgent(data):  # the codec knows which button kinds are safety taps
        return True
    # Only what the person wrote: a tapped message's caption is our own words, not theirs.
    message = update.message or update.edited_message
    words = (message.text or message.caption or "") if message else ""
    return bool(words) and bool(
        keywords.word_list(services.settings.safeguarding_words_file).find(words))


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


async def on_my_chat_member(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Someone blocked the bot in their private chat: stop messaging them now (reminders,
    nudges), not at the next refused send. Writing to us again brings them back
    (bot.service.conversation); unblocking alone changes nothing until they do."""
    member = update.my_chat_member
    if member is None or member.chat.type != member.chat.PRIVATE:
        return
    if member.new_chat_member.status != ChatMember.BANNED:
        return
    try:
        async with services_of(context).db.transaction() as session:
            if await reliability_repo.mark_chat_inactive(session, member.chat.id):
                log.info("a person blocked the bot: marked inactive")
    except DATABASE_AWAY as error:
        # The next refused send marks them instead (bot.telegram.request).
        log.warning("could not mark a blocked chat inactive: %s", type(error).__name__)


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
    application.bot_data[CLAIMS] = Claims()
    application.bot_data[FLOOD] = FloodGate(services.settings.flood_per_minute)
    keywords.word_list(services.settings.safeguarding_words_file)  # a broken list stops start-up
    not_private = ~_PRIVATE
    application.add_handler(MessageHandler(not_private, on_group))
    # Every /command goes to the conversation, which knows each role's commands (bot.service).
    application.add_handler(MessageHandler(_PRIVATE & _NEW_MESSAGE & filters.COMMAND, on_command))
    application.add_handler(
        MessageHandler(_PRIVATE & _NEW_MESSAGE & filters.TEXT & ~filters.COMMAND, on_text))
    application.add_handler(MessageHandler(_PRIVATE & filters.UpdateType.EDITED_MESSAGE, on_edited))
    application.add_handler(MessageHandler(_PRIVATE & _NEW_MESSAGE, on_media))
    application.add_handler(CallbackQueryHandler(_tap_router))
    application.add_handler(ChatMemberHandler(on_my_chat_member,
                                              ChatMemberHandler.MY_CHAT_MEMBER))
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

