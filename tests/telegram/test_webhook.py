"""Webhook mode (issue 6, point 3): the secret header, 200 only once committed, 503 while the
database is away, and two real bot processes serving one young person's updates."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import socket
import warnings
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import settings as examples
from hypothesis import strategies as st
from sqlalchemy import func, select
from telegram import Bot
from telegram.warnings import PTBDeprecationWarning

from bot.app import build_application, services_of
from bot.config import Settings
from bot.sandbox.fake_api import FakeBotAPI, SentMessage
from bot.services import Services
from bot.store import repo
from bot.store.models import Answer, FlowRun, InvitationKind, ProcessedUpdate
from bot.telegram import lifecycle, webhook
from tests.conftest import TEST_TOKEN
from tests.service.test_fuzz import on_loop
from tests.support.spec_check import load_spec
from tests.telegram.test_faults import BotProcess, Outage, free_port, replies_to, until

URL = "https://mysay.example.invalid/telegram/hook"
PATH = "/telegram/hook"


class Telegram:
    """Plays Telegram's side of a webhook: the fake Bot API makes each update (and keeps the
    chat), and this posts it to a bot process, as Telegram would."""

    def __init__(self, api: FakeBotAPI, secret: str) -> None:
        self.api = api
        self.secret = secret
        self.http = httpx.AsyncClient(timeout=60)

    def update(self, update_id: int) -> dict[str, Any]:
        return self.api._updates[update_id]  # the fake keeps every update it made

    async def post(self, port: int, update_id: int, *, secret: str | None = None) -> int:
        headers = {webhook.SECRET_HEADER: self.secret if secret is None else secret}
        response = await self.http.post(f"http://127.0.0.1:{port}{PATH}",
                                        json=self.update(update_id), headers=headers)
        return response.status_code


class HookChat:
    """One person's private chat, delivered through the webhook to a chosen process."""

    def __init__(self, telegram: Telegram, user_id: int, first_name: str) -> None:
        self.telegram = telegram
        self.api = telegram.api
        self.user_id = user_id
        self.first_name = first_name
        self.api.add_user(user_id, first_name)

    def message(self, text: str) -> int:
        return self.api.push_message(self.user_id, text, first_name=self.first_name)

    def tap(self, label: str, message_id: int | None = None) -> int:
        message = self.api.message(self.user_id, message_id) if message_id else self.last_card()
        assert message is not None
        buttons = [b for row in message.inline_keyboard for b in row]
        data = next((str(b["callback_data"]) for b in buttons
                     if label.casefold() in str(b.get("text", "")).casefold()), None)
        assert data is not None, f"no {label!r} on {[b.get('text') for b in buttons]}"
        return self.api.push_callback(self.user_id, message.message_id, data)[0]

    async def send(self, port: int, text: str) -> None:
        assert await self.telegram.post(port, self.message(text)) == 200

    async def press(self, port: int, label: str) -> None:
        assert await self.telegram.post(port, self.tap(label)) == 200

    def last_card(self) -> SentMessage:
        for message in reversed(self.api.messages_in(self.user_id)):
            if message.inline_keyboard:
                return message
        raise AssertionError("no buttons yet")

    def text(self) -> str:
        last = self.api.last_message(self.user_id)
        return (last.display_text or "") if last else ""


async def therapist_code(services: Services) -> str:
    async with services.db.transaction() as session:
        return await repo.create_invitation(session, kind=InvitationKind.THERAPIST, days=14,
                                            label="Sam")


async def young_person_in_check_in(services: Services, telegram: Telegram,
                                   ports: list[int]) -> HookChat:
    """A therapist and a young person, brought in over the webhook (to alternate processes)."""
    sam = HookChat(telegram, 6_000_001, "Sam")
    await sam.send(ports[0], f"/start {await therapist_code(services)}")
    async with services.db.transaction() as session:  # what /invite makes
        therapist = await repo.person_by_telegram_id(session, sam.user_id)
        code = await repo.create_invitation(session, kind=InvitationKind.YOUNG_PERSON, days=14,
                                            created_by=therapist, label="Jo")
    jo = HookChat(telegram, 6_000_002, "Jo")
    await jo.send(ports[0], f"/start {code}")
    await jo.press(ports[-1], "Yes")
    await jo.press(ports[0], "How was today")
    assert "How was today?" in jo.text()
    return jo


@contextlib.asynccontextmanager
async def webhook_bot(settings: Settings) -> AsyncIterator[tuple[int, Any]]:
    """The real application behind the real webhook server, in this process."""
    application = build_application(settings)
    options = webhook.WebhookOptions("127.0.0.1", 0, URL, webhook.webhook_secret(settings))
    stop, ready = asyncio.Event(), asyncio.get_running_loop().create_future()
    task = asyncio.create_task(webhook.serve(application, options, stop, ready.set_result))
    try:
        port = await asyncio.wait_for(asyncio.shield(ready), 30)
        yield port, application
    finally:
        stop.set()
        await task


@pytest.fixture
async def telegram(fake_api: FakeBotAPI, settings: Settings) -> AsyncIterator[Telegram]:
    played = Telegram(fake_api, webhook.webhook_secret(settings))
    yield played
    await played.http.aclose()


async def processed(services: Services, update_id: int) -> bool:
    async with services.db.transaction() as session:
        return await session.get(ProcessedUpdate, update_id) is not None


# --- one process, in this test's own event loop -----------------------------------------------


async def test_start_sets_the_webhook_with_its_secret(
        settings: Settings, fake_api: FakeBotAPI) -> None:
    async with webhook_bot(settings):
        assert fake_api.webhook_url == URL
        assert fake_api.webhook_secret == webhook.webhook_secret(settings)
        call = next(r for r in fake_api.requests if r.method == "setWebhook")
        assert set(call.params["allowed_updates"]) == set(lifecycle.ALLOWED_UPDATES)
    assert fake_api.webhook_url == URL  # not deleted on stop: other processes still serve


async def test_a_wrong_or_missing_secret_is_refused_before_the_body_is_read(
        settings: Settings, services: Services, telegram: Telegram) -> None:
    async with webhook_bot(settings) as (port, _):
        sam = HookChat(telegram, 6_000_001, "Sam")
        update_id = sam.message("/start")
        assert await telegram.post(port, update_id, secret="") == 403
        assert await telegram.post(port, update_id, secret="not-the-secret") == 403
        assert await telegram.post(port, update_id, secret=telegram.secret[:-1]) == 403
        assert not await processed(services, update_id)
        assert telegram.api.messages_in(sam.user_id) == []
        # A request that announces a large body and never sends it is still answered at once.
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(f"POST {PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     f"Content-Length: 900000\r\n{webhook.SECRET_HEADER}: wrong\r\n\r\n".encode())
        await writer.drain()
        status = await asyncio.wait_for(reader.readline(), 10)
        writer.close()
        assert status.startswith(b"HTTP/1.1 403")
        # The right secret: handled.
        assert await telegram.post(port, update_id) == 200
        assert await processed(services, update_id)


async def test_200_comes_only_after_the_update_committed_and_was_answered(
        settings: Settings, services: Services, telegram: Telegram) -> None:
    async with webhook_bot(settings) as (port, _):
        sam = HookChat(telegram, 6_000_001, "Sam")
        update_id = sam.message(f"/start {await therapist_code(services)}")
        assert await telegram.post(port, update_id) == 200
        # No waiting: by the time Telegram hears 200, it is stored and the reply has gone.
        assert await processed(services, update_id)
        assert "set up as a therapist" in sam.text()
        # Telegram sends it again (it does, after a timeout): handled once, nothing resent.
        sent = len(telegram.api.messages_in(sam.user_id))
        assert await telegram.post(port, update_id) == 200
        assert len(telegram.api.messages_in(sam.user_id)) == sent


async def test_unreadable_requests_and_health(
        settings: Settings, telegram: Telegram) -> None:
    async with webhook_bot(settings) as (port, _):
        headers = {webhook.SECRET_HEADER: telegram.secret}
        base = f"http://127.0.0.1:{port}"
        assert (await telegram.http.post(base + PATH, content=b"{not json",
                                         headers=headers)).status_code == 400
        assert (await telegram.http.post(base + PATH, json={"update_id": "x"},
                                         headers=headers)).status_code == 400
        assert (await telegram.http.get(base + "/healthz")).status_code == 200


# Bodies with the right secret that are not updates (issue 11, point 6). "Blue whale" stands for
# a young person's words: it must never reach the log.
_WORDS = "blue whale"
_NOT_UPDATES = {
    "nested 200,000 deep": b'{"update_id": 1, "message": ' + b"[" * 200_000 + b"]" * 200_000
                           + b"}",
    "a bare array nested 200,000 deep": b"[" * 200_000 + b"]" * 200_000,
    "invalid UTF-8": b'{"update_id": 1, "message": {"text": "' + _WORDS.encode() + b'\xff"}}',
    "cut short": b'{"update_id": 1, "message": {"text": "' + _WORDS.encode(),
    "not an object": json.dumps([_WORDS]).encode(),
    "a string": json.dumps(_WORDS).encode(),
    "no update_id": json.dumps({"message": {"text": _WORDS}}).encode(),
    "update_id a string": json.dumps({"update_id": "7", "message": {"text": _WORDS}}).encode(),
    "update_id true": json.dumps({"update_id": True, "message": {"text": _WORDS}}).encode(),
    "update_id NaN": b'{"update_id": NaN, "message": {"text": "' + _WORDS.encode() + b'"}}',
    "a huge update_id": b'{"update_id": 1' + b"0" * 5000 + b', "message": {}}',
    "a chat id beyond 64 bits": json.dumps({"update_id": 7, "message": {
        "message_id": 1, "date": 1, "text": _WORDS,
        "chat": {"id": 2**64, "type": "private"}}}).encode(),
    "a date beyond any calendar": json.dumps({"update_id": 7, "message": {
        "message_id": 1, "date": 10**15, "text": _WORDS,
        "chat": {"id": 1, "type": "private"}}}).encode(),
    "Infinity": b'{"update_id": 7, "message": {"date": Infinity}}',
    "1e999": b'{"update_id": 7, "message": {"date": 1e999}}',
    "an object that is not an update": json.dumps({"update_id": 7, "words": _WORDS}).encode(),
    "a kind of update that is null": json.dumps({"update_id": 7, "message": None}).encode(),
    "a message that is a string": json.dumps({"update_id": 7, "message": _WORDS}).encode(),
    "a message missing its chat": json.dumps({"update_id": 7, "message": {
        "message_id": 1, "date": 1, "text": _WORDS}}).encode(),
    "empty": b"",
}


# --- every update the Bot API allows is still read ---------------------------------------------

_TYPES = load_spec()["types"]
_ALWAYS = re.compile(r'always [“"]([^”"]+)[”"]')  # 'Type of the origin, always "user"'


def _spec_value(types: list[str]) -> Any:
    """A value of the first of these Bot API types, with only the required fields inside."""
    kind = types[0]
    if kind.startswith("Array of "):
        return [_spec_value([kind.removeprefix("Array of ")])]
    simple = {"Integer": 1, "Float": 1.5, "Boolean": True, "True": True, "String": "x"}
    return simple[kind] if kind in simple else _spec_object(kind)


def _spec_object(name: str, subtype: int = 0) -> Any:
    """The smallest object of this Bot API type: its required fields only."""
    spec = _TYPES[name]
    if "subtypes" in spec:  # ChatMember, MessageOrigin, ...: one of them
        return _spec_value([spec["subtypes"][subtype]])
    found: dict[str, Any] = {}
    for field in spec.get("fields", []):
        if field["required"]:
            fixed = _ALWAYS.search(field["description"]) if field["types"] == ["String"] else None
            found[field["name"]] = fixed.group(1) if fixed else _spec_value(field["types"])
    return found


def _smallest_updates() -> list[tuple[str, dict[str, Any]]]:
    """For each kind of update MySay asks for: its object with only the required fields, then
    with each optional field added in turn (itself with only its required fields)."""
    cases = []
    update_fields = {f["name"]: f["types"][0] for f in _TYPES["Update"]["fields"]}
    for kind in lifecycle.ALLOWED_UPDATES:
        name = update_fields[kind]
        smallest = _spec_object(name)
        cases.append((kind, {"update_id": 1, kind: smallest}))
        for field in _TYPES[name]["fields"]:
            if not field["required"]:
                cases.append((f"{kind}.{field['name']}", {"update_id": 1, kind: {
                    **smallest, field["name"]: _spec_value(field["types"])}}))
    members = _TYPES["ChatMember"]["subtypes"]
    cases += [(f"my_chat_member.{members[n]}", {"update_id": 1, "my_chat_member": {
        **_spec_object("ChatMemberUpdated"), "new_chat_member": _spec_object("ChatMember", n)}})
        for n in range(len(members))]
    return cases


def test_every_update_the_bot_api_allows_is_read() -> None:
    """read_update refuses objects missing a field PTB requires: check that PTB never requires
    one the Bot API spec (tests/data) calls optional, or real updates would get 400."""
    bot = Bot(TEST_TOKEN)
    refused = []
    with warnings.catch_warnings():  # reading every field must not fill the log with these
        warnings.simplefilter("error", PTBDeprecationWarning)
        for where, update in _smallest_updates():
            try:
                webhook.read_update(json.dumps(update).encode(), bot)
            except webhook.NotAnUpdate as error:
                refused.append(f"{where}: {error}")
    assert refused == []
    assert len(_smallest_updates()) > 100  # the spec was read, with its optional fields


async def post_body(telegram: Telegram, port: int, body: bytes) -> int:
    """POST raw bytes with the right secret, as Telegram would; returns the HTTP status."""
    response = await telegram.http.post(
        f"http://127.0.0.1:{port}{PATH}", content=body,
        headers={webhook.SECRET_HEADER: telegram.secret, "Content-Type": "application/json"})
    return response.status_code


async def test_a_body_that_is_not_an_update_gets_400_one_warning_and_the_next_is_served(
        settings: Settings, services: Services, telegram: Telegram,
        caplog: pytest.LogCaptureFixture) -> None:
    async with webhook_bot(settings) as (port, _):
        sam = HookChat(telegram, 6_000_001, "Sam")
        for name, body in _NOT_UPDATES.items():
            caplog.clear()
            with caplog.at_level(logging.WARNING):
                assert await post_body(telegram, port, body) == 400, name
            warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
            assert len(warnings) == 1, (name, caplog.text)
            assert warnings[0].exc_info is None and "Traceback" not in caplog.text, name
            assert _WORDS not in caplog.text and "\\xff" not in caplog.text, name
            # The server is still serving: the next real update is handled.
            update_id = sam.message(f"/start {await therapist_code(services)}")
            assert await telegram.post(port, update_id) == 200, name
            assert await processed(services, update_id), name


# JSON as anyone might send it: any value, NaN and Infinity included.
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner,
                                                                 max_size=4),
    max_leaves=12)
# Shaped like an update, with anything inside (ids clear of the fake API's, which start at
# 100,000,001, so a body that does pass never stands in for a real update).
_update_like = st.fixed_dictionaries(
    {"update_id": st.one_of(st.integers(), st.integers(0, 99_999_999), _json)},
    optional={kind: st.one_of(_json, st.fixed_dictionaries(
        {"message_id": st.integers(), "date": st.integers(),
         "chat": st.fixed_dictionaries({"id": st.integers(), "type": st.text(max_size=10)})},
        optional={"text": st.text(max_size=20), "from": _json}))
        for kind in ("message", "edited_message", "callback_query", "my_chat_member",
                     "channel_post")}).filter(
    lambda d: not (isinstance(d["update_id"], int)
                   and 100_000_000 <= d["update_id"] < 200_000_000))
_bodies = st.one_of(
    st.binary(max_size=200),
    _json.map(lambda value: json.dumps(value).encode()),
    _update_like.map(lambda value: json.dumps(value).encode()),
    st.integers(1, 300_000).map(lambda depth: b"[" * depth + b"]" * depth),
    st.integers(1, 300_000).map(lambda depth: b'{"update_id": 1, "message": '
                                + b'{"a": ' * depth + b"1" + b"}" * depth + b"}"),
)


async def test_any_body_with_the_right_secret_gets_200_or_400_and_serving_goes_on(
        settings: Settings, services: Services, telegram: Telegram,
        caplog: pytest.LogCaptureFixture) -> None:
    """The property: whatever the body, 200 or a 4xx (never a 5xx), never a traceback, and
    the next real update is still handled."""
    # Without pacing or the flood limit, so that many examples fit in a test.
    quick = settings.model_copy(update={"chat_sends_per_second": 0.0, "flood_per_minute": 1000})
    async with webhook_bot(quick) as (port, _):
        sam = HookChat(telegram, 6_000_001, "Sam")
        loop = asyncio.get_running_loop()

        async def one(body: bytes) -> None:
            # 413 for a body over MAX_BODY, before it is parsed.
            assert await post_body(telegram, port, body) in (200, 400, 413)
            update_id = sam.message("hello")
            assert await telegram.post(port, update_id) == 200
            assert await processed(services, update_id)

        @given(_bodies)
        @examples(max_examples=80)  # the profile (tests/service/test_fuzz.py) decides the rest
        def example(body: bytes) -> None:
            on_loop(loop, one(body))

        with caplog.at_level(logging.WARNING):
            await asyncio.to_thread(example)
    assert "Traceback" not in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text


async def test_database_away_answers_503_then_telegrams_redelivery_is_handled(
        settings: Settings, services: Services, telegram: Telegram, tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    outage = Outage(settings, tmp_path)
    async with webhook_bot(await outage.bot_settings()) as (port, application):
        jo = await young_person_in_check_in(services, telegram, [port])
        card = jo.last_card()
        update_id = jo.tap("Good")
        await outage.begin(services_of(application).db)
        try:
            with caplog.at_level(logging.WARNING):
                assert await telegram.post(port, update_id) == 503
                assert "I will try again soon" in jo.text()
                apologies = len(telegram.api.messages_in(jo.user_id))
                # Telegram tries again while it is still away: 503 again, no second apology.
                assert await telegram.post(port, update_id) == 503
                assert len(telegram.api.messages_in(jo.user_id)) == apologies
        finally:
            await outage.end()
        assert not await processed(services, update_id)
        assert await telegram.post(port, update_id) == 200  # back: the same update lands
        assert await processed(services, update_id)
        shown = telegram.api.message(jo.user_id, card.message_id)
        assert shown is not None and "What made it good?" in (shown.display_text or "")
        assert "Traceback" not in caplog.text


@pytest.mark.parametrize(("args", "env", "words"), [
    (["--webhook"], {}, "--url"),
    (["--webhook", "--url", "http://example.invalid/hook"], {}, "https://"),
    (["--webhook", "--url", URL, "--port", "0"], {}, "--port"),
    (["--webhook", "--url", URL], {"MYSAY_WEBHOOK_SECRET": "has spaces!"},
     "MYSAY_WEBHOOK_SECRET"),
])
def test_the_command_line_explains_bad_webhook_options(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path,
        args: list[str], env: dict[str, str], words: str) -> None:
    from bot.__main__ import main

    monkeypatch.chdir(tmp_path)  # no .env file here
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456:TEST-not-a-real-token-000000000000000")
    monkeypatch.setenv("MYSAY_DATA_DIR", str(tmp_path / "data"))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main(["run", *args]) == 2  # stops before anything starts
    said = capsys.readouterr().err
    assert words in said and "Traceback" not in said
    assert len(said.strip().splitlines()) == 1


# --- two real processes, one database ----------------------------------------------------------


async def test_two_processes_serve_one_young_person_without_loss_doubling_or_race(
        settings: Settings, services: Services, telegram: Telegram, tmp_path: Path) -> None:
    api = telegram.api
    ports = [free_port(), free_port()]
    bots = [BotProcess(settings, tmp_path / name, "--webhook", "--listen", "127.0.0.1",
                       "--port", str(port), "--url", URL, name=name)
            for name, port in zip(("a", "b"), ports, strict=True)]
    for bot in bots:
        await bot.start()
    try:
        for port in ports:
            await until(lambda port=port: _healthy(port), seconds=60)
        a, b = ports
        jo = await young_person_in_check_in(services, telegram, ports)

        # Two different taps on one screen at the same moment, one to each process: exactly
        # one lands; the other is seen as a tap on a screen already answered.
        await jo.press(a, "Good")
        run_before = await _run(services)
        friend, games = jo.tap("Friend"), jo.tap("Games")
        assert await asyncio.gather(telegram.post(a, friend), telegram.post(b, games)) == [
            200, 200]
        run_after = await _run(services)
        assert run_after.version == run_before.version + 1
        assert len(run_after.state["selected"]) == 1  # one tick, never two from one screen

        # The same update delivered to both at once: handled once.
        done = jo.tap("Done")
        before = len(replies_to(api, jo.user_id))
        assert await asyncio.gather(telegram.post(a, done), telegram.post(b, done)) == [200, 200]
        assert len(replies_to(api, jo.user_id)) == before + 1
        assert "own words" in jo.text()

        # Alternately to each process, to the end.
        await jo.send(b, "a sunny day")
        assert "This is what you told me" in jo.text()
        await jo.press(a, "Share")
        assert "Thank you" in jo.text()

        # Two taps on the menu's same flow button, one to each process: one run, not two.
        menu = jo.last_card()
        first = jo.tap("How was today", menu.message_id)
        second = jo.tap("How was today", menu.message_id)
        assert await asyncio.gather(telegram.post(a, first), telegram.post(b, second)) == [
            200, 200]
        async with services.db.transaction() as session:
            runs = (await session.scalars(select(FlowRun).order_by(FlowRun.id))).all()
            answers = (await session.scalars(select(Answer))).all()
            updates = await session.scalar(select(func.count()).select_from(ProcessedUpdate))
        assert [(r.status, r.shared) for r in runs] == [("finished", True), ("active", False)]
        kept = {a.step_id: (list(a.choices), a.own_words) for a in answers}
        assert kept["how"] == (["good"], None) and kept["own_words"] == ([], "a sunny day")
        assert len(kept["what_good"][0]) == 1 and set(kept) == {"how", "what_good",
                                                                "own_words"}
        assert updates == len(api._updates)  # every update Telegram made: stored exactly once
    finally:
        codes = [await bot.stop() for bot in bots]
    assert codes == [0, 0]
    for bot in bots:
        assert "Traceback" not in bot.log() and " ERROR " not in bot.log(), bot.log()


def _healthy(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
            conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            return conn.recv(64).startswith(b"HTTP/1.1 200")
    except OSError:
        return False


async def _run(services: Services) -> FlowRun:
    async with services.db.transaction() as session:
        run = await session.scalar(select(FlowRun).order_by(FlowRun.id.desc()))
    assert run is not None
    return run
