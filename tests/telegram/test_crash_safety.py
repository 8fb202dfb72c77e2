"""An update confirmed to Telegram is an update handled (issue 11, point 1).

A real `python -m bot run` process (long polling, then webhook mode) takes a burst from 40 young
people, each sending their own words and a tap, four rounds; it is SIGKILLed in the middle of
the burst and started again. Afterwards every update is stored exactly once, every text was
followed by a new message from the bot, every tap was answered, and SQLite's integrity check is
ok.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, make_url, select

from bot.config import Settings
from bot.sandbox.fake_api import FakeBotAPI
from bot.services import Services
from bot.store import repo
from bot.store.models import InvitationKind, ProcessedUpdate
from bot.telegram import webhook
from bot.telegram.request import adds_a_message
from tests.conftest import World
from tests.support.harness import Person as Chat
from tests.telegram.test_faults import BotProcess, free_port, in_check_in, until

PEOPLE, ROUNDS = 40, 4
HOOK_URL = "https://mysay.example.invalid/telegram/hook"
# Buttons a young person might press next, in order of preference (never the safety button:
# that alerts a therapist, which is another test's business).
TAP_LABELS = ("How was today", "Skip", "Good", "Done", "Back")


@dataclass
class Burst:
    """What the young people sent: texts (chat, update id, when) and every update id."""

    texts: list[tuple[int, int, float]] = field(default_factory=list)
    updates: list[int] = field(default_factory=list)
    taps: list[str] = field(default_factory=list)  # callback query ids


async def _young_people(world: World, services: Services) -> list[Chat]:
    """A therapist and 40 young people who agreed to take part, set up side by side."""
    therapist = await world.therapist()
    async with services.db.transaction() as session:
        owner = await repo.person_by_telegram_id(session, therapist.user_id)
        codes = [await repo.create_invitation(session, kind=InvitationKind.YOUNG_PERSON,
                                              days=14, created_by=owner, label=f"YP {i}")
                 for i in range(PEOPLE)]
    people = [world.person(f"Young{i}") for i in range(PEOPLE)]

    async def join(chat: Chat, code: str) -> None:
        await chat.send(f"/start {code}")
        await chat.tap("Yes")

    await asyncio.gather(*(join(chat, code) for chat, code in zip(people, codes, strict=True)))
    return people


def _tap_data(api: FakeBotAPI, chat: Chat) -> tuple[int, str] | None:
    """A sensible button on the newest message with buttons, as a person would press."""
    for message in reversed(api.messages_in(chat.user_id)):
        if not message.inline_keyboard:
            continue
        buttons = [b for row in message.inline_keyboard for b in row if "callback_data" in b]
        for label in TAP_LABELS:
            for button in buttons:
                if label.casefold() in str(button.get("text", "")).casefold():
                    return message.message_id, str(button["callback_data"])
        return None
    return None


def _push_round(api: FakeBotAPI, people: list[Chat], round_no: int, burst: Burst) -> None:
    for chat in people:
        update_id = api.push_message(chat.user_id, f"my words in round {round_no + 1}",
                                     first_name=chat.first_name)
        burst.texts.append((chat.user_id, update_id, time.time()))
        burst.updates.append(update_id)
        tap = _tap_data(api, chat)
        if tap is not None:
            update_id, query_id = api.push_callback(chat.user_id, *tap)
            burst.updates.append(update_id)
            burst.taps.append(query_id)


def _unanswered_texts(api: FakeBotAPI, burst: Burst) -> list[int]:
    """Texts with no new message from the bot to that chat after them (each new message counts
    for one text only, oldest text first). A weaker check than the stored updates: a reply to a
    tap can stand in for one to a text."""
    answers: dict[int, list[float]] = {}
    for request in api.requests:
        if request.status == 200 and adds_a_message(request.method):
            chat = int(request.params.get("chat_id", 0))
            answers.setdefault(chat, []).append(request.at)
    missing = []
    for chat, update_id, pushed_at in sorted(burst.texts, key=lambda t: t[2]):
        later = [at for at in answers.get(chat, []) if at >= pushed_at]
        if later:
            answers[chat].remove(later[0])
        else:
            missing.append(update_id)
    return missing


async def _stored(services: Services, burst: Burst) -> int:
    async with services.db.transaction() as session:
        return int(await session.scalar(
            select(func.count()).select_from(ProcessedUpdate)
            .where(ProcessedUpdate.update_id.in_(burst.updates))) or 0)


def _integrity_ok(settings: Settings, services: Services) -> None:
    if services.db.is_sqlite:
        database = make_url(settings.resolved_database_url).database
        with contextlib.closing(sqlite3.connect(database)) as check:
            assert check.execute("PRAGMA integrity_check").fetchall() == [("ok",)]


async def _all_handled(api: FakeBotAPI, services: Services, burst: Burst) -> str:
    """Waits until the burst is handled; returns what is still missing if it never is."""
    try:
        await until(lambda: not api.unanswered_callback_queries(), seconds=180)
        await until(lambda: not _unanswered_texts(api, burst), seconds=60)
    except TimeoutError:
        pass
    stored = await _stored(services, burst)
    return (f"{len(burst.updates)} updates pushed, {len(burst.updates) - stored} never stored; "
            f"{len(api.unanswered_callback_queries())} of {len(burst.taps)} taps unanswered; "
            f"{len(_unanswered_texts(api, burst))} of {len(burst.texts)} texts unanswered")


def _handled(api: FakeBotAPI) -> int:
    """Updates visibly handled so far: callback queries answered, messages sent."""
    return len(api.answered_callback_queries) + sum(
        1 for r in api.requests if r.status == 200 and adds_a_message(r.method))


async def test_sigkill_mid_burst_while_polling_loses_nothing(
        world: World, settings: Settings, services: Services, tmp_path: Path) -> None:
    api = world.bot.api
    people = await _young_people(world, services)
    await world.bot.stop()  # from here on only the child processes serve the bot

    first = await BotProcess(settings, tmp_path / "first", name="first").start()
    burst = Burst()
    before = _handled(api)
    for round_no in range(2):
        _push_round(api, people, round_no, burst)
    # Killed while the first rounds are being handled: some done, most still in hand.
    await until(lambda: _handled(api) - before >= PEOPLE // 2, seconds=120)
    await first.kill()
    _integrity_ok(settings, services)
    for round_no in range(2, ROUNDS):  # they carry on while the bot is down
        _push_round(api, people, round_no, burst)

    second = await BotProcess(settings, tmp_path / "second", name="second").start()
    try:
        lost = await _all_handled(api, services, burst)
        assert lost == (f"{len(burst.updates)} updates pushed, 0 never stored; 0 of "
                        f"{len(burst.taps)} taps unanswered; 0 of {len(burst.texts)} texts "
                        "unanswered"), lost
    finally:
        assert await second.stop() == 0
    _integrity_ok(settings, services)
    for process in (first, second):
        assert "Traceback" not in process.log(), process.log()


class Deliverer:
    """Plays Telegram's webhook side: posts each update until it gets 200, one at a time per
    chat and chats side by side, retrying (as Telegram does) while the bot is down."""

    def __init__(self, api: FakeBotAPI, secret: str, port: int) -> None:
        self.api, self.secret, self.port = api, secret, port
        self.http = httpx.AsyncClient(timeout=60)
        self.delivered: set[int] = set()
        self.queues: dict[int, asyncio.Queue[int]] = {}
        self.tasks: list[asyncio.Task[None]] = []

    def post(self, chat_id: int, update_id: int) -> None:
        if chat_id not in self.queues:
            self.queues[chat_id] = asyncio.Queue()
            self.tasks.append(asyncio.create_task(self._chat(self.queues[chat_id])))
        self.queues[chat_id].put_nowait(update_id)

    async def _chat(self, queue: asyncio.Queue[int]) -> None:
        while True:
            update_id = await queue.get()
            while not await self._once(update_id):  # noqa: ASYNC110 - as Telegram retries
                await asyncio.sleep(0.2)
            self.delivered.add(update_id)

    async def _once(self, update_id: int) -> bool:
        body: Any = self.api._updates[update_id]  # the fake keeps every update it made
        try:
            response = await self.http.post(
                f"http://127.0.0.1:{self.port}/telegram/hook", json=body,
                headers={webhook.SECRET_HEADER: self.secret})
        except httpx.HTTPError:  # refused while down, or cut off by the kill
            return False
        return response.status_code == 200

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await self.http.aclose()


async def test_sigkill_mid_burst_in_webhook_mode_loses_nothing(
        world: World, settings: Settings, services: Services, tmp_path: Path) -> None:
    api = world.bot.api
    people = await _young_people(world, services)
    await world.bot.stop()
    port = free_port()
    args = ("--webhook", "--listen", "127.0.0.1", "--port", str(port), "--url", HOOK_URL)
    deliverer = Deliverer(api, webhook.webhook_secret(settings), port)
    first = await BotProcess(settings, tmp_path / "first", *args, name="first").start()
    second: BotProcess | None = None
    try:
        burst = Burst()
        before = _handled(api)
        for round_no in range(2):
            _push_round(api, people, round_no, burst)
        for update_id in burst.updates:
            deliverer.post(_chat_of(api, update_id), update_id)
        await until(lambda: _handled(api) - before >= PEOPLE // 2, seconds=120)
        await first.kill()
        _integrity_ok(settings, services)
        pushed = len(burst.updates)
        for round_no in range(2, ROUNDS):
            _push_round(api, people, round_no, burst)
        for update_id in burst.updates[pushed:]:
            deliverer.post(_chat_of(api, update_id), update_id)

        second = await BotProcess(settings, tmp_path / "second", *args, name="second").start()
        lost = await _all_handled(api, services, burst)
        assert lost == (f"{len(burst.updates)} updates pushed, 0 never stored; 0 of "
                        f"{len(burst.taps)} taps unanswered; 0 of {len(burst.texts)} texts "
                        "unanswered"), lost
        await until(lambda: deliverer.delivered >= set(burst.updates), seconds=60)
    finally:
        await deliverer.close()
        if second is not None:
            assert await second.stop() == 0
    _integrity_ok(settings, services)
    for process in (first, second):
        assert "Traceback" not in process.log(), process.log()


def _chat_of(api: FakeBotAPI, update_id: int) -> int:
    update = api._updates[update_id]
    if "message" in update:
        return int(update["message"]["chat"]["id"])
    return int(update["callback_query"]["from"]["id"])


async def test_another_process_polling_gives_one_warning_then_polling_goes_on(
        world: World, caplog: pytest.LogCaptureFixture) -> None:
    """409 Conflict (a deploy still running the old process): one clear warning naming the
    cause, no traceback on every retry, and the update waiting meanwhile is handled after."""
    _, jo = await in_check_in(world)
    api = world.bot.api
    with caplog.at_level(logging.INFO):
        api.inject_fault("getUpdates", status=409, count=3,
                         description="Conflict: terminated by other getUpdates request; make "
                                     "sure that only one bot instance is running")
        await until(lambda: not api._faults, seconds=30)
        await jo.tap("Good")
    assert "What made it good?" in jo.text()
    warnings = [r for r in caplog.records
                if r.levelno >= logging.WARNING and r.name == "bot.telegram.polling"]
    assert [r.getMessage() for r in warnings if "another process is polling" in r.getMessage()]
    assert len(warnings) == 2, [r.getMessage() for r in warnings]  # trouble, then it is over
    assert "polling Telegram works again" in warnings[1].getMessage()
    assert "Traceback" not in caplog.text and not any(r.exc_info for r in caplog.records)
