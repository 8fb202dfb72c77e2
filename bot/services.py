"""The parts MySay is made of, opened once and handed to whoever needs them."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.engine.core import LABELS, FlowEngine
from bot.engine.flows import load_flows
from bot.engine.vocabulary import Vocabulary
from bot.i18n import Locale
from bot.paths import flows_dir, media_dir
from bot.service.conversation import Context, Conversation
from bot.store import crypto, repo
from bot.store.db import Database

log = logging.getLogger(__name__)

BOT_USERNAME_FACT = "bot_username"


@dataclass
class Content:
    """Flows, symbols and words: data files, validated before anything starts."""

    vocabulary: Vocabulary
    engine: FlowEngine
    locale: Locale


def load_content() -> Content:
    vocabulary = Vocabulary.load(media_dir() / "symbols.yaml")
    flows = load_flows(flows_dir(), vocabulary)
    locale = Locale.load(media_dir() / "locales")
    labels = {key: locale(key) for key in LABELS}
    return Content(vocabulary, FlowEngine(flows, vocabulary, labels), locale)


def keyring_for(settings: Settings) -> crypto.Keyring:
    if settings.data_keys is not None:
        return crypto.Keyring.from_string(settings.data_keys.get_secret_value())
    return crypto.Keyring.from_key_file(settings.ensure_data_dir())


@dataclass
class Services:
    settings: Settings
    content: Content
    db: Database
    conversation: Conversation

    async def close(self) -> None:
        from bot.safety import erase  # a checkpoint after an erasure finishes first

        await erase.settled()
        await self.db.dispose()


def open_database(settings: Settings) -> Database:
    crypto.activate(keyring_for(settings))
    if settings.database_url is None:
        settings.ensure_data_dir()
    return Database(settings.resolved_database_url)


def build_services(settings: Settings, content: Content | None = None) -> Services:
    content = content or load_content()
    db = open_database(settings)

    async def bot_username(session: AsyncSession) -> str | None:
        return settings.bot_username or await repo.get_fact(session, BOT_USERNAME_FACT)

    context = Context(engine=content.engine, locale=content.locale, settings=settings,
                      bot_username=bot_username)
    return Services(settings, content, db, Conversation(context))
