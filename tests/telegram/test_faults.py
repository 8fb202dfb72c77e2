"""Faults made to happen for real (issue 6, point 1): a SIGKILLed bot process, Telegram answering
429 / 5xx / late / not at all, a young person blocking the bot, the database going away, and
harmless 400s. Then updates for several people at once (point 4)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import sqlite3
import sys
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import make_url, select, text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.config import Settings
from bot.sandbox.fake_api import FakeBotAPI, RecordedRequest, SentMessage
from bot.service.types import Reply
from bot.services import Services
from bot.store.db import Database
from bot.store.models import Answer, FlowRun, Person, ProcessedUpdate
from bot.telegram import jobs, polling
from bot.telegram.handlers import delivery_for_application
from bot.telegram.request import CHAT_BURST, PacingRateLimiter, adds_a_message
from bot.timeutil import utcnow
from tests.conftest import TEST_TOKEN, World
from tests.support.harness import Person as Chat
from tests.support.harness import RunningBot

NOT_MODIFIED = ("Bad Request: message is not modified: specified new message content and reply "
                "markup are exactly the same as a current content and reply markup of the message")


# --- helpers shared with test_webhook.py ------------------------------------------------------


async def until(check: Callable[[], bool], seconds: float = 30.0) -> None:
    """Wait for something another process (or the bot's event loop) will make true."""
    async with asyncio.timeout(seconds):
        while not check():  # noqa: ASYNC110 - often changed by another process
            await asyncio.sleep(0.02)


def sends_to(api: FakeBotAPI, chat_id: int, since: int = 0) -> list[RecordedRequest]:
    """Calls that put a new message into this chat (answered or not)."""
    return [r for r in api.requests[since:]
            if adds_a_message(r.method) and str(r.params.get("chat_id")) == str(chat_id)]


def replies_to(api: FakeBotAPI, chat_id: int, since: int = 0) -> list[RecordedRequest]:
    """Completed sends and edits to this chat."""
    return [r for r in api.requests[since:]
            if r.done and r.method.startswith(("send", "edit"))
            and str(r.params.get("chat_id")) == str(chat_id)]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class BotProcess:
    """`python -m bot run ...` as a real child process, configured only by its environment."""

    def __init__(self, settings: Settings, workdir: Path, *args: str, name: str = "bot",
                 **env: str) -> None:
        self.args = args
        self.workdir = workdir
        self.log_path = workdir / f"{name}.log"
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith(("TELEGRAM_", "MYSAY_", "DATABASE_URL"))}
        assert settings.data_keys is not None and settings.database_url is not None
        self.env.update({
            "TELEGRAM_BOT_TOKEN": TEST_TOKEN, "DATABASE_URL": settings.database_url,
            "TELEGRAM_API_BASE_URL": settings.telegram_api_base_url,
            "TELEGRAM_API_BASE_FILE_URL": settings.telegram_api_base_file_url,
            "MYSAY_DATA_DIR": str(settings.data_dir),
            "MYSAY_DATA_KEYS": settings.data_keys.get_secret_value(), **env})
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> BotProcess:
        self.workdir.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", *self.args, cwd=self.workdir, env=self.env,
                stdin=asyncio.subprocess.DEVNULL, stdout=log, stderr=log)
        return self

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    async def kill(self) -> None:
        """SIGKILL: no clean-up of any kind, as when a machine loses power."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        assert await self.process.wait() == -signal.SIGKILL

    async def stop(self) -> int:
        """SIGTERM, as a service manager stops it; returns the exit code."""
        if self.process is None or self.process.returncode is not None:
            return self.process.returncode if self.process else 0
        self.process.send_signal(signal.SIGTERM)
        try:
            async with asyncio.timeout(30):
                return await self.process.wait()
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
            raise AssertionError("the bot did not stop within 30 s of SIGTERM") from None


@contextlib.asynccontextmanager
async def running(settings: Settings, api: FakeBotAPI) -> AsyncIterator[RunningBot]:
    bot = await RunningBot(settings, api).start()
    try:
        yield bot
    finally:
        await bot.stop()


async def in_check_in(world: World) -> tuple[Chat, Chat]:
    therapist = await world.therapist()
    jo = await world.young_person(therapist, "Jo")
    await jo.tap("How was today")
    return therapist, jo


async def stored_answers(bot: RunningBot) -> dict[str, tuple[str, list[str], str | None]]:
    async with bot.services.db.transaction() as session:
        rows = (await session.scalars(select(Answer).order_by(Answer.id))).all()
        return {a.step_id: (a.kind, list(a.choices), a.own_words) for a in rows}


async def person_row(bot: RunningBot, user_id: int) -> Person:
    async with bot.services.db.transaction() as session:
        person = await session.scalar(select(Person).where(Person.telegram_user_id == user_id))
    assert person is not None
    return person


# --- the bot process is killed in the middle of a flow ---------------------------------------


async def test_sigkill_mid_flow_then_the_next_tap_continues(
        world: World, settings: Settings, services: Services, tmp_path: Path) -> None:
    api = world.bot.api
    _, jo = await in_check_in(world)
    await jo.tap("Good")
    await jo.tap("Friend")
    await jo.tap("Done")
    assert "own words" in jo.text()
    await world.bot.stop()  # from here on only the child processes serve the bot

    first = await BotProcess(settings, tmp_path / "first", name="first").start()
    # Telegram takes the reply but never answers: the process is mid-update, its transaction
    # committed and its reply not yet delivered, when it is killed.
    api.inject_fault("sendPhoto", delay=120, drop_connection=True)
    since = len(api.requests)
    api.push_message(jo.user_id, "a windy day", first_name="Jo")
    await until(lambda: any(r.fault_injected for r in sends_to(api, jo.user_id, since)))
    await first.kill()
    api.clear_faults()

    # What was said before the kill, and the words being handled at the kill, are all kept.
    async with services.db.transaction() as session:
        kept = {a.step_id: (list(a.choices), a.own_words)
                for a in (await session.scalars(select(Answer))).all()}
    assert kept == {"how": (["good"], None), "what_good": (["friend"], None),
                    "own_words": ([], "a windy day")}
    if services.db.is_sqlite:
        database = make_url(settings.resolved_database_url).database
        with contextlib.closing(sqlite3.connect(database)) as check:
            assert check.execute("PRAGMA integrity_check").fetchall() == [("ok",)]

    question = jo.last()  # the "own words" question: its answer never arrived
    second = await BotProcess(settings, tmp_path / "second", name="second").start()
    try:
        # Telegram never had that message confirmed, so it comes again; the new process finds
        # it stored before the restart and shows Jo where they are, unasked.
        await until(lambda: "This is what you told me" in jo.text(), seconds=60)
        assert "Here is where we were" in jo.text()
        assert "a windy day" in jo.text() and "Friend" in jo.text()
        # Skip, pressed now on the old question, is a tap on a screen already answered: they
        # are shown where they really are, in that same message.
        _, query = api.push_callback(jo.user_id, question.message_id,
                                     _button(question, "Skip"))
        await until(lambda: query in api.answered_callback_queries and "This is what you told "
                    "me" in (api.message(jo.user_id, question.message_id).display_text or ""))
        since = len(api.requests)
        _, query = api.push_callback(jo.user_id, jo.last().message_id,
                                     api.button_data(jo.user_id, "Share"))
        await until(lambda: query in api.answered_callback_queries
                    and bool(replies_to(api, jo.user_id, since)))
        async with services.db.transaction() as session:
            run = await session.scalar(select(FlowRun))
            assert run is not None and run.status == "finished" and run.shared
            own = await session.scalar(select(Answer.own_words).where(
                Answer.step_id == "own_words"))
        assert own == "a windy day"
        assert "Thank you" in jo.text()
    finally:
        assert await second.stop() == 0
    for process in (first, second):
        assert "Traceback" not in process.log(), process.log()


def _button(message: SentMessage, label: str) -> str:
    """callback_data of the button on `message` whose words contain `label`."""
    return next(str(b["callback_data"]) for row in message.inline_keyboard for b in row
                if label.casefold() in str(b.get("text", "")).casefold())


# --- Telegram answers 429, 5xx, late, or not at all ------------------------------------------


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")  # PTB's own
async def test_429_is_waited_out_and_the_reply_arrives_once(world: World) -> None:
    api = world.bot.api
    _, jo = await in_check_in(world)
    card = jo.last()
    messages = len(jo.messages())
    since = len(api.requests)
    api.inject_fault("editMessageMedia", status=429, retry_after=1, count=2)
    await jo.tap("Bad")
    edits = [r for r in api.requests[since:] if r.method == "editMessageMedia"]
    assert [r.status for r in edits] == [429, 429, 200]
    # Each retry came after Telegram's retry_after, not before.
    assert edits[1].at - edits[0].at >= 1.0 and edits[2].at - edits[1].at >= 1.0
    assert len(jo.messages()) == messages  # edited in place: nothing new, nothing doubled
    shown = api.message(jo.user_id, card.message_id)
    assert shown is not None and "What made it bad?" in (shown.display_text or "")


@pytest.mark.parametrize("fault", [
    {"status": 500}, {"status": 502}, {"status": 503, "description": "Service Unavailable"},
    {"drop_connection": True}])
async def test_server_errors_and_dropped_connections_are_retried_once_each(
        world: World, fault: dict[str, Any]) -> None:
    api = world.bot.api
    _, jo = await in_check_in(world)
    await jo.tap("OK")
    await jo.tap("Friend")
    await jo.tap("Done")
    before = len(jo.messages())
    since = len(api.requests)
    api.inject_fault("sendPhoto", count=2, **fault)
    api.inject_fault("answerCallbackQuery", count=1, **fault)
    await jo.send("a calm day")
    photos = [r.status for r in api.requests[since:] if r.method == "sendPhoto"]
    assert photos[-1] == 200 and len(photos) == 3
    assert len(jo.messages()) == before + 1  # the review, once
    assert "This is what you told me" in jo.text() and "a calm day" in jo.text()
    await jo.tap("Share")  # its answer failed once, then went through
    assert "Thank you" in jo.text()
    assert await stored_answers(world.bot) == {
        "how": ("answered", ["ok"], None), "what_made": ("answered", ["friend"], None),
        "own_words": ("answered", [], "a calm day")}


async def test_timeouts_retry_an_edit_but_never_send_a_message_twice(
        settings: Settings, fake_api: FakeBotAPI, caplog: pytest.LogCaptureFixture) -> None:
    quick = settings.model_copy(update={"telegram_read_timeout": 2.0})
    async with running(quick, fake_api) as bot:
        _, jo = await in_check_in(World(bot))
        card = jo.last()
        # An edit answered too late is asked again; the late one then changes nothing.
        fake_api.inject_fault("editMessageMedia", status=200, delay=3.0)
        await jo.tap("Good")
        await fake_api.wait_for_request(
            "editMessageMedia", lambda r: r.fault_injected, timeout=10)
        edited = fake_api.message(jo.user_id, card.message_id)
        assert edited is not None and "What made it good?" in (edited.display_text or "")
        assert jo.last().message_id == card.message_id  # edited again, never sent anew
        await jo.tap("Friend")
        await jo.tap("Done")
        # A new message answered too late may have arrived: it is not sent again.
        before = len(jo.messages())
        since = len(fake_api.requests)
        fake_api.inject_fault("sendPhoto", status=200, delay=3.0)
        with caplog.at_level(logging.WARNING):
            await jo.send("sunny")
            await fake_api.wait_for_request("sendPhoto", lambda r: r.fault_injected,
                                            timeout=10, after_index=since)
        assert len(sends_to(fake_api, jo.user_id, since)) == 1
        assert len(jo.messages()) == before + 1
        assert "This is what you told me" in jo.text()
        assert "Sorry" not in jo.text()  # no apology for a message that did arrive
        assert "no answer from Telegram in time" in caplog.text


# --- pacing ---------------------------------------------------------------------------------


def assert_paced(times: list[float], rate: float, burst: int) -> None:
    """No stretch of time holds more sends than `burst` plus `rate` a second (token bucket).
    Times are when the calls reached the fake Telegram, after the event loop and the network
    had them, so allow two calls of jitter on a busy machine."""
    times = sorted(times)
    for i, start in enumerate(times):
        for j in range(i, len(times)):
            allowed = burst + 2 + rate * (times[j] - start)
            assert j - i + 1 <= allowed, (
                f"{j - i + 1} sends in {times[j] - start:.2f} s (rate {rate}, burst {burst})")


async def test_new_messages_to_one_chat_are_paced_about_one_a_second(world: World) -> None:
    api = world.bot.api
    _, jo = await in_check_in(world)
    since = len(api.requests)
    update_ids = [api.push_message(jo.user_id, sticker=True, first_name="Jo") for _ in range(8)]
    for update_id in update_ids:
        await world.bot.wait_processed(update_id, seconds=30)
    settings = world.bot.settings
    assert len(sends_to(api, jo.user_id, since)) == 8  # every sticker got its kind answer
    everything = [r.at for r in sends_to(api, jo.user_id)]
    assert_paced(everything, settings.chat_sends_per_second, CHAT_BURST)
    # Eight answers (and the welcome before them) cannot fit in one burst: pacing happened.
    assert len(everything) >= 8 > CHAT_BURST + 2
    assert max(everything) - min(everything) >= len(everything) - CHAT_BURST - 0.1


async def test_new_messages_overall_stay_within_thirty_a_second(fake_api: FakeBotAPI) -> None:
    from telegram.ext import ExtBot

    chats = list(range(9_100_001, 9_100_076))
    for chat in chats:
        fake_api.add_user(chat, "Someone")
    limiter = PacingRateLimiter(chat_rate=1.0, overall_rate=30.0)
    async with ExtBot(TEST_TOKEN, base_url=fake_api.base_url, rate_limiter=limiter) as bot:
        await asyncio.gather(*(bot.send_message(chat, "A reminder") for chat in chats))
    sent = [r.at for r in fake_api.requests if r.method == "sendMessage"]
    assert len(sent) == len(chats)
    assert_paced(sent, 30.0, 3)
    assert max(sent) - min(sent) >= (len(chats) - 3) / 30 - 0.1
    # So no one second, wherever it starts, holds more than about 30 (a burst of 3, and two
    # of arrival jitter).
    assert max(sum(1 for t in sent if start <= t < start + 1) for start in sent) <= 35


# --- the young person blocks the bot ----------------------------------------------------------


async def test_a_blocked_bot_marks_them_inactive_then_start_brings_them_back(
        world: World, caplog: pytest.LogCaptureFixture) -> None:
    api, bot = world.bot.api, world.bot
    _, jo = await in_check_in(world)
    await jo.tap("Good")
    await jo.tap("Friend")
    api.block_user(jo.user_id)
    async with bot.services.db.transaction() as session:
        person = await session.scalar(select(Person).where(Person.telegram_user_id == jo.user_id))
        assert person is not None
        person.preferences = {**(person.preferences or {}), "reminders": "weekly"}
        person.next_reminder_at = utcnow() - timedelta(minutes=1)
    assert bot.application is not None
    with caplog.at_level(logging.ERROR):
        assert await jobs.run_now(bot.application, "reminders") == 0  # refused: 403
    assert not (await person_row(bot, jo.user_id)).active
    assert "Traceback" not in caplog.text and not [
        r for r in caplog.records if r.levelno >= logging.ERROR]

    # Nothing more is sent to them, even when a reminder falls due again.
    async with bot.services.db.transaction() as session:
        person = await session.scalar(select(Person).where(Person.telegram_user_id == jo.user_id))
        assert person is not None
        person.next_reminder_at = utcnow() - timedelta(minutes=1)
    since = len(api.requests)
    assert await jobs.run_now(bot.application, "reminders") == 0
    assert sends_to(api, jo.user_id, since) == []

    # A reply to someone who has blocked the bot is dropped without any error.
    delivery = delivery_for_application(bot.application)
    with contextlib.suppress(Exception):
        await delivery.send(jo.user_id, Reply("hello?"))

    api.unblock_user(jo.user_id)
    await jo.send("/start")
    assert (await person_row(bot, jo.user_id)).active
    await jo.tap("Continue")
    assert "What made it good?" in jo.text()
    assert "Friend" in jo.ticked()  # where they were, their pick still ticked


async def test_blocking_the_bot_stops_messages_at_once_and_start_brings_them_back(
        world: World) -> None:
    """Telegram tells the bot when someone blocks it (my_chat_member, "kicked"): nothing more
    is sent to them from then on, not even one refused reminder."""
    api, bot = world.bot.api, world.bot
    _, jo = await in_check_in(world)
    await jo.tap("Good")
    async with bot.services.db.transaction() as session:
        person = await session.scalar(select(Person).where(Person.telegram_user_id == jo.user_id))
        assert person is not None
        person.preferences = {**(person.preferences or {}), "reminders": "weekly"}
        person.next_reminder_at = utcnow() - timedelta(minutes=1)
    me = {"id": 1, "is_bot": True, "first_name": "MySay"}
    update_id = api.push_raw({"my_chat_member": {
        "chat": {"id": jo.user_id, "type": "private", "first_name": "Jo"},
        "from": {"id": jo.user_id, "is_bot": False, "first_name": "Jo"}, "date": 1,
        "old_chat_member": {"status": "member", "user": me},
        "new_chat_member": {"status": "kicked", "until_date": 0, "user": me}}})
    await bot.wait_processed(update_id)
    assert not (await person_row(bot, jo.user_id)).active
    since = len(api.requests)
    assert bot.application is not None
    assert await jobs.run_now(bot.application, "reminders") == 0
    assert sends_to(api, jo.user_id, since) == []  # not even an attempt

    await jo.send("/start")
    assert (await person_row(bot, jo.user_id)).active
    await jo.tap("Continue")
    assert "What made it good?" in jo.text()


# --- the database goes away, then comes back -----------------------------------------------


class TcpProxy:
    """A TCP relay to PostgreSQL that a test can cut (every connection dropped, new ones
    refused, as when the database host goes away) and restore on the same port."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", self.port)

    async def cut(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in list(self._writers):
            writer.transport.abort()
        await self._server.wait_closed()
        self._server = None

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self._writers |= {writer, up_writer}

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError, ConnectionError):
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            sink.transport.abort()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self._writers -= {writer, up_writer}


class Outage:
    """Makes the bot's database unreachable: PostgreSQL behind a cut proxy; for SQLite, the
    database folder moved away (as when a network disk goes)."""

    def __init__(self, settings: Settings, tmp_path: Path) -> None:
        self.settings = settings
        url = make_url(settings.resolved_database_url)
        self.sqlite = url.get_backend_name() == "sqlite"
        self.proxy = None if self.sqlite else TcpProxy(url.host or "127.0.0.1", url.port or 5432)
        self.folder = Path(url.database or "").parent if self.sqlite else tmp_path
        self.away = self.folder.with_name(self.folder.name + "-away")

    async def bot_settings(self) -> Settings:
        if self.proxy is None:
            return self.settings
        await self.proxy.start()
        url = make_url(self.settings.resolved_database_url).set(host="127.0.0.1",
                                                                  port=self.proxy.port)
        return self.settings.model_copy(
            update={"database_url": url.render_as_string(hide_password=False)})

    async def begin(self, db: Database) -> None:
        """`db` is the bot's own database handle."""
        if self.proxy is not None:
            await self.proxy.cut()
        else:
            await db.engine.dispose()  # no open file handles left behind
            self.folder.rename(self.away)

    async def end(self) -> None:
        if self.proxy is not None:
            await self.proxy.start()
        else:
            self.away.rename(self.folder)


async def test_database_away_the_person_is_told_kindly_and_all_works_after(
        settings: Settings, fake_api: FakeBotAPI, tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    outage = Outage(settings, tmp_path)
    async with running(await outage.bot_settings(), fake_api) as bot:
        _, jo = await in_check_in(World(bot))
        card = jo.last()
        good = fake_api.button_data(jo.user_id, "Good")
        await outage.begin(bot.services.db)
        try:
            with caplog.at_level(logging.WARNING):
                update_id, query = fake_api.push_callback(jo.user_id, card.message_id, good)
                await bot.wait_processed(update_id, seconds=60)
            assert "I will try again soon" in jo.text()
            assert "try again" in fake_api.answered_callback_queries[query]["text"]
            assert "database unavailable" in caplog.text
            assert "Traceback" not in caplog.text
        finally:
            await outage.end()
        # Back: the tap that could not be stored was kept back from Telegram's offset, and
        # lands by itself, without the young person pressing again and without a restart.
        async def landed() -> bool:
            async with bot.services.db.transaction() as session:
                return await session.get(ProcessedUpdate, update_id) is not None

        async with asyncio.timeout(60):
            while not await landed():  # noqa: ASYNC110 - made true by the bot's poller
                await asyncio.sleep(0.1)
        await until(lambda: "What made it good?" in (
            fake_api.message(jo.user_id, card.message_id).display_text or ""))
        assert await stored_answers(bot) == {"how": ("answered", ["good"], None)}
        # Everything after it works as usual.
        await jo.tap("Friend")
        await jo.tap("Done")
        assert "own words" in (fake_api.message(jo.user_id, card.message_id).display_text or "")
        assert (await stored_answers(bot))["what_good"] == ("answered", ["friend"], None)


async def test_a_persons_later_update_waits_behind_one_the_database_could_not_store(
        settings: Settings, fake_api: FakeBotAPI, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Their words never land out of order: the kept-back tap goes first."""
    # The kept-back tap's own retry is not due before the next tap arrives.
    monkeypatch.setattr(polling, "FIRST_BACKOFF", 60.0)
    outage = Outage(settings, tmp_path)
    async with running(await outage.bot_settings(), fake_api) as bot:
        _, jo = await in_check_in(World(bot))
        card = jo.last()
        await outage.begin(bot.services.db)
        try:
            update_id, _ = fake_api.push_callback(jo.user_id, card.message_id,
                                                  fake_api.button_data(jo.user_id, "Good"))
            await bot.wait_processed(update_id, seconds=60)
        finally:
            await outage.end()
        # They change their mind on the same card at once, before the kept-back tap's own
        # retry is due: "Good" goes first, so "Bad" is a tap on a screen already answered.
        await jo.tap_data(card.message_id, fake_api.button_data(jo.user_id, "Bad"))
        assert bot.processed[update_id] >= 2
        assert await stored_answers(bot) == {"how": ("answered", ["good"], None)}


async def test_connections_the_database_dropped_are_replaced_without_a_word(
        world: World, caplog: pytest.LogCaptureFixture) -> None:
    """PostgreSQL restarted (or a firewall timed the connections out) while the bot was idle:
    the pool holds dead connections, and the next tap still just works."""
    bot = world.bot
    url = make_url(bot.settings.resolved_database_url)
    if url.get_backend_name() == "sqlite":
        pytest.skip("a SQLite file has no server to drop connections")
    _, jo = await in_check_in(world)
    admin = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            killed = (await conn.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"))).all()
    finally:
        await admin.dispose()
    assert killed  # the bot's pooled connections were there, and are gone
    with caplog.at_level(logging.INFO):
        await jo.tap("Good")
    assert "What made it good?" in jo.text()
    assert "try again" not in jo.text().lower()
    assert await stored_answers(bot) == {"how": ("answered", ["good"], None)}
    assert "trying update" in caplog.text  # it did meet a dead connection, and retried


# --- harmless 400s ---------------------------------------------------------------------------


async def test_message_not_modified_is_ignored(
        world: World, caplog: pytest.LogCaptureFixture) -> None:
    api = world.bot.api
    _, jo = await in_check_in(world)
    before = len(jo.messages())
    since = len(api.requests)
    api.inject_fault("editMessageMedia", status=400, description=NOT_MODIFIED)
    with caplog.at_level(logging.INFO):
        await jo.tap("Good")
    assert sends_to(api, jo.user_id, since) == []  # no second copy, no apology
    assert len(jo.messages()) == before
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


async def test_an_unanswerable_tap_and_a_vanished_message_are_harmless(world: World) -> None:
    api = world.bot.api
    _, jo = await in_check_in(world)
    # Telegram has forgotten the tap (too old) and the message it came from is gone.
    api.inject_fault("answerCallbackQuery", status=400,
                     description="Bad Request: query is too old and response timeout expired "
                                 "or query ID is invalid")
    api.inject_fault("editMessageMedia", status=400,
                     description="Bad Request: message to edit not found")
    card = jo.last()
    update_id, query = api.push_callback(jo.user_id, card.message_id,
                                         api.button_data(jo.user_id, "Bad"))
    await world.bot.wait_processed(update_id)
    assert "What made it bad?" in jo.text()  # sent as a new message instead
    assert jo.last().message_id != card.message_id
    api.answered_callback_queries[query] = {"text": "(expired at Telegram)"}


# --- several people at once (point 4) ---------------------------------------------------------


async def test_a_slow_reply_for_one_person_does_not_stall_another(world: World) -> None:
    api, bot = world.bot.api, world.bot
    therapist = await world.therapist()
    jo = await world.young_person(therapist, "Jo")
    await jo.tap("How was today")
    # The therapist's caseload reply is held up at Telegram for a while.
    api.inject_fault("sendMessage", status=200, delay=5)
    slow = api.push_message(therapist.user_id, "/caseload", first_name=therapist.first_name)
    await until(lambda: any(r.fault_injected for r in api.requests))
    await jo.tap("Good")  # handled, and answered, while the therapist's reply is still held
    assert bot.processed[slow] == 0
    assert "What made it good?" in jo.text()
    await bot.wait_processed(slow)
    assert "Your young people" in therapist.text()


async def test_one_persons_updates_are_handled_strictly_in_order(world: World) -> None:
    api, bot = world.bot.api, world.bot
    _, jo = await in_check_in(world)
    await jo.tap("Good")
    await jo.tap("Skip")
    own_words_card = jo.last()
    api.inject_fault("sendPhoto", status=200, delay=1.5)  # the typed answer's reply is slow
    typed = api.push_message(jo.user_id, "first", first_name="Jo")
    await until(lambda: any(r.fault_injected for r in api.requests))
    # A tap arrives while the words are still being answered: it must wait its turn.
    tap, _ = api.push_callback(jo.user_id, own_words_card.message_id,
                               api.button_data(jo.user_id, "Stop for now"))
    await bot.wait_processed(tap)
    assert bot.processed[typed] == 1  # the words were fully handled first
    # So the tap was one step behind (a double tap), not a "stop" before the words landed.
    async with bot.services.db.transaction() as session:
        run = await session.scalar(select(FlowRun))
    assert run is not None and (run.status, run.step_id) == ("active", "_review")
    assert (await stored_answers(bot))["own_words"] == ("answered", [], "first")


# --- what is retried, by what may have reached Telegram ------------------------------------------


class HalfAnswers:
    """A server that reads each request, starts an answer and hangs up half way: Telegram may
    well have done what was asked. Counts the requests it got."""

    def __init__(self) -> None:
        self.requests = 0
        self.server: asyncio.Server | None = None

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return int(self.server.sockets[0].getsockname()[1])

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            head = await reader.readuntil(b"\r\n\r\n")
            length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length:")), 0)
            await reader.readexactly(length)
            self.requests += 1
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                         b"Content-Length: 200\r\n\r\n{\"ok\": tr")
            await writer.drain()
        writer.transport.abort()

    async def stop(self) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()


@pytest.mark.parametrize(("endpoint", "tries"), [("sendMessage", 1), ("editMessageText", 3)])
async def test_a_half_answered_call_is_retried_only_if_doing_it_twice_is_harmless(
        endpoint: str, tries: int) -> None:
    from telegram.error import NetworkError

    from bot.telegram.request import TelegramHTTP

    server = HalfAnswers()
    port = await server.start()
    http = TelegramHTTP(read_timeout=5.0, retries=2)
    await http.initialize()
    try:
        with pytest.raises(NetworkError):
            await http.post(f"http://127.0.0.1:{port}/bot{TEST_TOKEN}/{endpoint}")
    finally:
        await http.shutdown()
        await server.stop()
    assert server.requests == tries


async def test_a_refused_connection_is_retried_even_for_a_new_message(
        caplog: pytest.LogCaptureFixture) -> None:
    from telegram.error import NetworkError

    from bot.telegram.request import TelegramHTTP

    http = TelegramHTTP(read_timeout=5.0, retries=2)
    await http.initialize()
    try:
        with caplog.at_level(logging.WARNING), pytest.raises(NetworkError):
            await http.post(f"http://127.0.0.1:{free_port()}/bot{TEST_TOKEN}/sendMessage")
    finally:
        await http.shutdown()
    assert caplog.text.count("sendMessage failed") == 2  # nothing was sent: tried again twice
    assert TEST_TOKEN not in caplog.text
