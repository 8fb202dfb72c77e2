"""Builds the python-telegram-bot Application: wiring only, no logic."""

from __future__ import annotations

import asyncio
import logging

from telegram import BotCommand, BotCommandScopeDefault
from telegram.ext import Application, ApplicationBuilder

from bot.config import Settings
from bot.render import cards
from bot.render.flow_cards import flow_cards
from bot.service.routes import ROUTES
from bot.service.young_person import MENU_PAGE
from bot.services import BOT_USERNAME_FACT, Content, Services, build_services
from bot.store import repo
from bot.store.models import Role
from bot.telegram import handlers, jobs
from bot.telegram.ordering import PerPersonUpdateProcessor
from bot.telegram.request import build_rate_limiter, build_request, build_updates_request

log = logging.getLogger(__name__)


class MissingToken(SystemExit):
    def __init__(self) -> None:
        super().__init__(
            "MySay needs a bot token: open Telegram, talk to @BotFather, send /newbot, and put "
            "the token it gives you in TELEGRAM_BOT_TOKEN (or in a .env file)."
        )


def build_application(settings: Settings, content: Content | None = None) -> Application:
    """The real bot, exactly as `python -m bot run` starts it (tests build it the same way)."""
    if settings.telegram_bot_token is None:
        raise MissingToken()
    services = build_services(settings, content)
    application = (
        ApplicationBuilder()
        .token(settings.telegram_bot_token.get_secret_value())
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.telegram_api_base_file_url)
        # Retries what is safe to retry, paces new messages, waits out 429 (request.py).
        .request(build_request(settings))
        .get_updates_request(build_updates_request())
        .rate_limiter(build_rate_limiter(settings, services.db))
        .concurrent_updates(PerPersonUpdateProcessor(64))
        # Polling is ours (bot.telegram.polling): PTB's Updater confirms updates too early.
        .updater(None)
        .post_init(_on_start)
        .post_shutdown(_on_stop)
        .build()
    )
    handlers.register(application, services)
    jobs.schedule(application)
    return application


# The update types MySay handles, polling or webhook (the rest are never sent to us).
def services_of(application: Application) -> Services:
    return application.bot_data[handlers.SERVICES]


async def _on_start(application: Application) -> None:
    services = services_of(application)
    await services.db.upgrade()
    async with services.db.transaction() as session:
        await repo.set_fact(session, BOT_USERNAME_FACT, application.bot.username)
    await _set_commands(application, services)
    # Open the fonts and draw one small card now, so a young person's first tap on a picture
    # screen is not the one that waits for them (in a worker thread: it is CPU work).
    # Every flow's cards are laid out and their symbols drawn ahead too (bounded in time and
    # memory: bot.render.cards.warm_up), so a card no one has seen yet is quick as well.
    content = services.content
    shown = (card for _, card in flow_cards(content.engine, content.locale, MENU_PAGE))
    seconds = await asyncio.to_thread(cards.warm_up, cards.DEFAULT_STYLE, shown)
    log.debug("card drawing warmed up in %.2fs", seconds)
    log.info("MySay is running as @%s", application.bot.username)


async def _set_commands(application: Application, services: Services) -> None:
    say = services.content.locale
    # Telegram's menu shows the young person's commands; therapists get theirs from /help.
    commands = [BotCommand(name, say(f"command.{name}"))
                for name in ROUTES.menus.get(Role.YOUNG_PERSON, []) if say.has(f"command.{name}")]
    await application.bot.set_my_commands(commands, scope=BotCommandScopeDefault())


async def _on_stop(application: Application) -> None:
    await services_of(application).close()
