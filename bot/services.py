"""The parts MySay is made of, opened once and handed to whoever needs them."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.engine.core import LABELS, FlowEngine
from bot.engine.flows import load_flows
from bot.engine.vocabulary import Vocabulary
from bot.i18n import Locale
from bot.paths import flows_dir, media_dir
from bot.render import symbol_set
from bot.render.symbol_set import SymbolSet
from bot.service.conversation import Context, Conversation
from bot.store import crypto, keycheck, repo
from bot.store.db import Database
from bot.summary import section_a

log = logging.getLogger(__name__)

BOT_USERNAME_FACT = "bot_username"


@dataclass
class Content:
    """Flows, symbols and words: data files, validated before anything starts."""

    vocabulary: Vocabulary
    engine: FlowEngine
    locale: Locale
    # The service's own symbol pictures (MYSAY_SYMBOLS_DIR); empty: OpenMoji for every symbol.
    symbols: SymbolSet = field(default_factory=SymbolSet)


def load_content(folder: Path | None = None, symbols: Path | None = None) -> Content:
    """The flow files (from `folder`: MYSAY_FLOWS_DIR, else the shipped flows/), the symbols
    and the words, validated (with a Section A phrase for every card a flow offers under a
    Section A part), and the service's own symbol set (from `symbols`: MYSAY_SYMBOLS_DIR, else
    none), which becomes the set every picture is drawn with (bot.render.symbol_set.use).
    Raises DataFileError naming the file and line (or key) of a problem (SymbolSetError, one
    of them, for the symbol set)."""
    vocabulary = Vocabulary.load(media_dir() / "symbols.yaml")
    flows = load_flows(folder or flows_dir(), vocabulary)
    locale = Locale.load(media_dir() / "locales")
    labels = {key: locale(key) for key in LABELS}
    engine = FlowEngine(flows, vocabulary, labels)
    section_a.check_phrases(engine, locale)  # every card a Section A part can show has words
    own = SymbolSet.load(symbols, vocabulary)
    symbol_set.use(own)
    return Content(vocabulary, engine, locale, own)


class DataSetupError(SystemExit):
    """A setting that keeps MySay from its data, said in one sentence naming that setting.

    A SystemExit carrying text: bot/__main__.py prints it and exits 2, with no traceback
    (like MissingToken in bot/app.py)."""

    def __init__(self, problem: str) -> None:
        super().__init__(f"MySay cannot open its data: {problem}")


def keyring_for(settings: Settings) -> crypto.Keyring:
    """The data keys: MYSAY_DATA_KEYS, or else the key file in MYSAY_DATA_DIR (made if
    missing). Raises DataSetupError if the keys are malformed or the folder is not writable."""
    if settings.data_keys is not None:
        try:
            return crypto.Keyring.from_string(settings.data_keys.get_secret_value())
        except ValueError as error:  # its message names MYSAY_DATA_KEYS and how to make one
            raise DataSetupError(str(error)) from None
    try:
        return crypto.Keyring.from_key_file(settings.ensure_data_dir())
    except ValueError:
        raise DataSetupError(
            f"the key file {_key_file(settings)} does not hold a data key; put back the key "
            "file that belongs with this data, or set MYSAY_DATA_KEYS.") from None
    except OSError:
        raise _unwritable_folder(settings) from None


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
    """The database, with the data keys active; not yet migrated nor checked (for that, see
    ready_database). Raises DataSetupError for bad keys or a data folder it cannot make."""
    crypto.activate(keyring_for(settings))
    try:
        if settings.database_url is None:
            settings.ensure_data_dir()
        return Database(settings.resolved_database_url)
    except OSError:
        raise _unwritable_folder(settings) from None


async def ready_database(settings: Settings) -> Database:
    """open_database, migrated, then checked: the data keys open what is stored and the
    database takes a write (bot/store/keycheck.py; issue 11). The caller disposes of it.

    Raises DataSetupError, one sentence naming the setting to fix, if not."""
    db = open_database(settings)
    try:
        await keycheck.check_before_upgrade(db, crypto.active_keyring())
        await db.upgrade()
        await keycheck.check(db, crypto.active_keyring())
    except BaseException as error:
        await db.dispose()
        if isinstance(error, crypto.DataKeyError):
            raise _wrong_key(settings) from None
        if isinstance(error, DBAPIError | OSError):
            raise _unusable_database(settings, db, error) from None
        raise
    return db


def check_data(settings: Settings) -> None:
    """For `python -m bot run`: the checks of ready_database, in their own event loop, before
    the bot is built and before it polls or serves. Raises DataSetupError."""

    async def check() -> None:
        await (await ready_database(settings)).dispose()

    asyncio.run(check())


def _key_file(settings: Settings) -> Path:
    return settings.data_dir / crypto.KEY_FILE_NAME


def _wrong_key(settings: Settings) -> DataSetupError:
    if settings.data_keys is not None:
        return DataSetupError(
            "MYSAY_DATA_KEYS does not hold the key this database was written with; put that "
            "key in MYSAY_DATA_KEYS (a new key goes in front of it, never instead of it).")
    return DataSetupError(
        f"the key file {_key_file(settings)} (in MYSAY_DATA_DIR) does not hold the key this "
        "database was written with; put back the key file that belongs with this data, or "
        "set MYSAY_DATA_KEYS.")


def _unwritable_folder(settings: Settings) -> DataSetupError:
    return DataSetupError(f"it cannot write to the folder {settings.data_dir}; set "
                          "MYSAY_DATA_DIR to a folder this user can write to.")


def _unusable_database(settings: Settings, db: Database, error: Exception) -> DataSetupError:
    # The driver's own words: they never hold the URL, so never its password.
    said = str(getattr(error, "orig", None) or error).strip().splitlines()
    reason = said[0] if said else type(error).__name__
    if db.is_sqlite:
        fix = "point DATABASE_URL at a database file" if settings.database_url else \
            "set MYSAY_DATA_DIR to a folder"
        return DataSetupError(f"it cannot use the database {make_url(db.url).database} "
                              f"({reason}); {fix} this user can write to (the file and its "
                              "folder).")
    return DataSetupError(f"the database in DATABASE_URL refused it ({reason}); check the "
                          "address and that its user may read and write MySay's tables.")


def build_services(settings: Settings, content: Content | None = None) -> Services:
    content = content or load_content(settings.flows_dir, settings.symbols_dir)
    db = open_database(settings)

    async def bot_username(session: AsyncSession) -> str | None:
        return settings.bot_username or await repo.get_fact(session, BOT_USERNAME_FACT)

    context = Context(engine=content.engine, locale=content.locale, settings=settings,
                      bot_username=bot_username)
    return Services(settings, content, db, Conversation(context))
