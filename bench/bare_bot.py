"""The floor for bench/throughput.py: a bare python-telegram-bot bot that only edits a keyboard.

It does the least a bot can do for a tap: no database, no rendering, no answer to the tap, one
editMessageReplyMarkup. /start sends the first keyboard. It polls the Bot API named by
TELEGRAM_API_BASE_URL with TELEGRAM_BOT_TOKEN, with the same update concurrency as MySay, so
the difference to MySay is MySay's own work.

    TELEGRAM_BOT_TOKEN=... TELEGRAM_API_BASE_URL=http://127.0.0.1:PORT/bot \\
        .venv/bin/python bench/bare_bot.py
"""

from __future__ import annotations

import os

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
)

CONCURRENT_UPDATES = 64  # as MySay's PerPersonUpdateProcessor(64)


def keyboard(count: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(f"Tapped {count}",
                                                       callback_data=str(count + 1))]])


async def start(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text("Tap the button", reply_markup=keyboard(0))


async def tapped(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    await query.edit_message_reply_markup(keyboard(int(query.data)))


def main() -> None:
    application = (
        Application.builder()
        .token(os.environ["TELEGRAM_BOT_TOKEN"])
        .base_url(os.environ["TELEGRAM_API_BASE_URL"])
        .concurrent_updates(CONCURRENT_UPDATES)
        .build()
    )
    application.add_handler(CommandHandler("start", start))
    application.add_handler(CallbackQueryHandler(tapped))
    application.run_polling(allowed_updates=["message", "callback_query"])


if __name__ == "__main__":
    main()
