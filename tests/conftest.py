"""Fixtures: real databases (SQLite files always, PostgreSQL when TEST_DATABASE_URL is set),
the fake Telegram Bot API on 127.0.0.1, and the real bot polling it; or the conversation driven
directly, without Telegram (`chat`, tests/support/driver.py).

Tiers: a test that starts neither the bot nor the fake Bot API (none of HTTP_FIXTURES among
its fixtures) is marked `fast` here, automatically; `pytest -m fast` runs those alone."""

from __future__ import annotations

import asyncio
import dis
import inspect
import os
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.config import Settings
from bot.sandbox.fake_api import FakeBotAPI
from bot.services import Services, build_services
from bot.store.db import Database
from tests.support import driver as chat_driver
from tests.support.content import shipped_content
from tests.support.harness import Person, RunningBot
from tests.support.spec_check import check_request

# Shaped like a token, plainly not a real one.
TEST_TOKEN = "123456:TEST-not-a-real-token-000000000000000"
DATA_KEY = Fernet.generate_key().decode()
PG_URL = os.environ.get("TEST_DATABASE_URL")
# One template per pytest process, so parallel runs never drop each other's.
_TEMPLATE = f"mysay_test_template_{os.getpid()}"

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
# Fixtures that start the fake Bot API (and with it, usually, the bot over HTTP). A test that
# uses none of them, directly or through other fixtures, is in the fast tier.
HTTP_FIXTURES = frozenset({"fake_api", "bot", "world", "settings"})


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "postgres: runs against PostgreSQL (TEST_DATABASE_URL)")


# Words in a function's source that start another process (`python -m bot ...`: a second or
# more each on two busy cores) or a fake Bot API of its own: such a test is not fast either.
PROCESS_HINTS = ("subprocess.", "create_subprocess_exec", "run_cli(", "FakeBotAPI(",
                 "SandboxServer", "RunningBot(")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark `fast` every test that needs neither the fake Bot API nor the bot over HTTP nor
    another process, so nobody has to remember to: its fixture closure (every fixture it
    uses, also through other fixtures) names none of HTTP_FIXTURES, and neither it nor its
    fixtures call (within three calls) a function or class whose source starts a process.
    A test may be marked `slow` by hand (a real browser) to keep it out of the fast tier."""
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        if used & HTTP_FIXTURES or item.get_closest_marker("slow") is not None:
            continue
        if _starts_a_process(item):
            continue
        item.add_marker(pytest.mark.fast)


def _starts_a_process(item: pytest.Item) -> bool:
    """Whether the test function or one of its fixtures reaches PROCESS_HINTS."""
    roots: list[object] = [getattr(item, "function", None)]
    info = getattr(item, "_fixtureinfo", None)
    for definitions in (info.name2fixturedefs.values() if info is not None else ()):
        roots += [definition.func for definition in definitions]
    seen: set[int] = set()
    return any(_reaches_a_process(root, 3, seen) for root in roots if root is not None)


def _reaches_a_process(thing: object, depth: int, seen: set[int]) -> bool:
    thing = inspect.unwrap(thing) if callable(thing) else thing  # type: ignore[arg-type]
    if id(thing) in seen or not (inspect.isfunction(thing) or inspect.isclass(thing)):
        return False
    seen.add(id(thing))
    module = getattr(thing, "__module__", "") or ""
    if not module.startswith("tests"):  # the project's own code is not a test's helper
        return False
    try:
        source = inspect.getsource(thing)
    except (OSError, TypeError):
        return False
    if any(hint in source for hint in PROCESS_HINTS):
        return True
    if depth == 0:
        return False
    names = _names_used(thing)
    scope = vars(sys.modules.get(module)) if module in sys.modules else {}
    return any(_reaches_a_process(scope[name], depth - 1, seen)
               for name in names if name in scope)


def _names_used(thing: object) -> set[str]:
    """Global names a function (with its nested functions) or a class's methods use."""
    codes = [getattr(thing, "__code__", None)] if inspect.isfunction(thing) else [
        getattr(member, "__code__", None) for member in vars(thing).values()]
    names: set[str] = set()
    while codes:
        code = codes.pop()
        if code is None:
            continue
        # Globals only: an attribute (`x.World`) of the same name is something else.
        names |= {op.argval for op in dis.get_instructions(code)
                  if op.opname in ("LOAD_GLOBAL", "LOAD_NAME")}
        codes += [const for const in code.co_consts if inspect.iscode(const)]
    return names


async def _admin(sql: list[str]) -> None:
    assert PG_URL is not None
    engine = create_async_engine(make_url(PG_URL).set(database="postgres"),
                                 isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            for statement in sql:
                await conn.execute(text(statement))
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    """A PostgreSQL database migrated once; each test gets a fresh copy of it."""
    if PG_URL is None:
        pytest.skip("PostgreSQL tests need TEST_DATABASE_URL (bash .ci/run sets it)")
    asyncio.run(_admin([f"DROP DATABASE IF EXISTS {_TEMPLATE} WITH (FORCE)",
                        f"CREATE DATABASE {_TEMPLATE}"]))
    url = make_url(PG_URL).set(database=_TEMPLATE).render_as_string(hide_password=False)

    async def migrate() -> None:
        db = Database(url)
        await db.upgrade()
        await db.dispose()

    asyncio.run(migrate())
    yield url
    asyncio.run(_admin([f"DROP DATABASE IF EXISTS {_TEMPLATE} WITH (FORCE)"]))


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'data' / 'mysay.sqlite3'}"
        return
    template = request.getfixturevalue("pg_template")
    name = f"mysay_t_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin([f"CREATE DATABASE {name} TEMPLATE {_TEMPLATE}"]))
    yield make_url(template).set(database=name).render_as_string(hide_password=False)
    asyncio.run(_admin([f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"]))


@pytest.fixture
async def fake_api() -> AsyncIterator[FakeBotAPI]:
    api = FakeBotAPI(TEST_TOKEN, bot_username="MySayTestBot", validator=check_request)
    await api.start()
    yield api
    await api.stop()
    # Every request the bot made must be one Telegram would accept, and every tap answered.
    assert api.violations == [], "Bot API spec violations:\n" + "\n".join(api.violations)
    assert api.unanswered_callback_queries() == [], "callback queries left unanswered"


@pytest.fixture
def settings(tmp_path: Path, database_url: str, fake_api: FakeBotAPI) -> Settings:
    return Settings(
        TELEGRAM_BOT_TOKEN=TEST_TOKEN,
        DATABASE_URL=database_url,
        TELEGRAM_API_BASE_URL=fake_api.base_url,
        TELEGRAM_API_BASE_FILE_URL=fake_api.base_file_url,
        MYSAY_DATA_DIR=tmp_path / "data",
        MYSAY_DATA_KEYS=DATA_KEY,
        _env_file=None,
    )


@pytest.fixture
async def bot(settings: Settings, fake_api: FakeBotAPI) -> AsyncIterator[RunningBot]:
    running = await RunningBot(settings, fake_api).start()
    yield running
    await running.stop()


@pytest.fixture
def offline_settings(tmp_path: Path, database_url: str) -> Settings:
    """Settings for the same database and data folder as `settings`, with no Bot API at all:
    for tests of the conversation, the store and the jobs that never talk to Telegram."""
    return Settings(
        TELEGRAM_BOT_TOKEN=TEST_TOKEN,
        DATABASE_URL=database_url,
        TELEGRAM_API_BASE_URL="http://127.0.0.1:9/bot",  # the discard port: never called
        TELEGRAM_API_BASE_FILE_URL="http://127.0.0.1:9/file/bot",
        MYSAY_DATA_DIR=tmp_path / "data",
        MYSAY_DATA_KEYS=DATA_KEY,
        _env_file=None,
    )


@pytest.fixture
async def services(offline_settings: Settings) -> AsyncIterator[Services]:
    built = build_services(offline_settings, shipped_content(offline_settings.flows_dir))
    await built.db.upgrade()
    yield built
    await built.close()


@pytest.fixture
async def driver(offline_settings: Settings) -> AsyncIterator[chat_driver.Driver]:
    """The conversation on the test's database (SQLite, or PostgreSQL), driven without
    Telegram through the adapter's unit of work (tests/support/driver.py)."""
    opened = await chat_driver.Driver.open(offline_settings)
    yield opened
    await opened.close()


@pytest.fixture
def chat(driver: chat_driver.Driver) -> chat_driver.World:
    """A World like `world`, but through the conversation directly: no HTTP, fast tier."""
    return chat_driver.World(driver)


class World:
    """A therapist and helpers to bring young people in, over the real chat."""

    def __init__(self, bot: RunningBot) -> None:
        self.bot = bot
        self._next_user = 5_000_001

    def person(self, first_name: str, user_id: int | None = None) -> Person:
        """Someone new in the chat: the next free Telegram user id, or `user_id`."""
        if user_id is not None:
            return Person(self.bot, user_id, first_name)
        self._next_user += 1
        return Person(self.bot, self._next_user, first_name)

    async def therapist_code(self, name: str = "Sam Therapist") -> str:
        from bot.store import repo
        from bot.store.models import InvitationKind

        async with self.bot.services.db.transaction() as session:
            return await repo.create_invitation(session, kind=InvitationKind.THERAPIST,
                                                days=14, label=name)

    async def therapist(self, first_name: str = "Sam") -> Person:
        therapist = self.person(first_name)
        await therapist.send(f"/start {await self.therapist_code(first_name)}")
        return therapist

    async def young_person(self, therapist: Person, first_name: str = "Jo") -> Person:
        reply = await therapist.send("/invite")
        code = (reply.display_text or "").rsplit("Code: ", 1)[1].split()[0]
        young = self.person(first_name)
        await young.send(f"/start {code}")
        await young.tap("Yes")
        return young


@pytest.fixture
def world(bot: RunningBot) -> World:
    return World(bot)
