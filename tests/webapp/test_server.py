"""The Talking Mat page's HTTP side (bot/webapp/server.py, issue 16), over real HTTP to the real
application polling the fake Bot API: initData checked before anything else (401, the service
never called), requests read strictly (400), the page's files and fonts served safely, the
security headers on every answer, and the chat told what the page did.

The service itself (`unit_of_work.handle_page`) is replaced here by a stand-in that records
what it was asked: what it does with a move is tested with the service."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from yarl import URL

from bot.app import build_application
from bot.config import Settings
from bot.render.fonts import emoji_font_path, text_font_path
from bot.sandbox.fake_api import FakeBotAPI
from bot.service import unit_of_work
from bot.service.mat_page import PageAnswer, PageMove, PageRequest
from bot.service.types import Result
from bot.services import Services
from bot.telegram import webhook
from bot.webapp import server
from bot.webapp.init_data import sign_init_data
from tests.conftest import TEST_TOKEN
from tests.support.harness import RunningBot
from tests.telegram.test_webhook import HookChat, Telegram

PREFIX = "/app"
PUBLIC_URL = "https://mysay.example.invalid/app"
JO = 5_100_001
FIRST_NAME = "Jo"
OTHER_TOKEN = "654321:TEST-another-bot-token-00000000000000"
API = ("state", "move", "picture", "speech")


class StandIn:
    """`unit_of_work.handle_page` as the server sees it: records each call and gives
    `answer` (or raises `error`)."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, PageRequest]] = []
        self.answer = PageAnswer(200, {"run": 12, "version": 7, "stage": "place"})
        self.error: BaseException | None = None

    async def __call__(self, services: Services, telegram_user_id: int,
                       request: PageRequest) -> PageAnswer:
        assert isinstance(services, Services)
        self.calls.append((telegram_user_id, request))
        if self.error is not None:
            raise self.error
        return self.answer


@dataclass(frozen=True)
class Answer:
    """What the server answered: status, headers and the whole body."""

    status: int
    headers: Mapping[str, str]
    body: bytes

    def text(self) -> str:
        return self.body.decode("utf-8")


async def _answer(response: aiohttp.ClientResponse) -> Answer:
    return Answer(response.status, response.headers, await response.read())


@dataclass
class Page:
    """The page's routes served for the running bot, and an HTTP client for them."""

    base: str
    http: aiohttp.ClientSession
    service: StandIn
    static: Path

    async def get(self, path: str, *, init_data: str | None = None,
                  headers: dict[str, str] | None = None) -> Answer:
        async with self.http.get(self.url(path), headers=_auth(init_data, headers)) as response:
            return await _answer(response)

    async def post(self, path: str, body: bytes | str | dict[str, Any], *,
                   init_data: str | None = None) -> Answer:
        data = json.dumps(body) if isinstance(body, dict) else body
        async with self.http.post(self.url(path), data=data, headers=_auth(
                init_data, {"Content-Type": "application/json"})) as response:
            return await _answer(response)

    def url(self, path: str) -> URL:
        return URL(self.base + path, encoded=True)  # sent as written: no ".." tidied away


def _auth(init_data: str | None, headers: dict[str, str] | None = None) -> dict[str, str]:
    given = dict(headers or {})
    if init_data is not None:
        given["Authorization"] = f"tma {init_data}"
    return given


def signed(user_id: int = JO, *, token: str = TEST_TOKEN, age: timedelta = timedelta(0)) -> str:
    return sign_init_data(token, user_id, FIRST_NAME, datetime.now(UTC) - age)


def _page_files(folder: Path) -> None:
    (folder / "vendor").mkdir(parents=True)
    (folder / "mat.html").write_text("<!doctype html><title>Mat</title>", encoding="utf-8")
    (folder / "mat.js").write_text("'use strict';", encoding="utf-8")
    (folder / "mat.css").write_text("body{}", encoding="utf-8")
    (folder / "vendor" / "telegram-web-app.js").write_text("//", encoding="utf-8")
    (folder / "vendor" / "LICENSE").write_text("MIT", encoding="utf-8")
    (folder / "mark.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    (folder / "tile.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (folder / "font.woff2").write_bytes(b"wOF2")
    (folder / "note.txt").write_text("a note", encoding="utf-8")
    (folder / "server.py").write_text("print('no')", encoding="utf-8")
    (folder / ".hidden.js").write_text("//", encoding="utf-8")
    (folder.parent / "secret.txt").write_text("not for the page", encoding="utf-8")


@pytest.fixture
def service(monkeypatch: pytest.MonkeyPatch) -> StandIn:
    stand_in = StandIn()
    monkeypatch.setattr(unit_of_work, "handle_page", stand_in, raising=False)
    return stand_in


@pytest.fixture
def static_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "page" / "static"
    _page_files(folder)
    monkeypatch.setattr(server, "STATIC_DIR", folder)
    return folder


@pytest.fixture
async def page(bot: RunningBot, service: StandIn, static_dir: Path) -> AsyncIterator[Page]:
    bot.api.add_user(JO, FIRST_NAME)
    served = server.PageServer(server.page_app(PREFIX, lambda: bot.application), "127.0.0.1", 0)
    port = await served.start()
    try:
        async with aiohttp.ClientSession() as http:
            yield Page(f"http://127.0.0.1:{port}", http, service, static_dir)
    finally:
        await served.stop()


def assert_secured(response: Answer | aiohttp.ClientResponse, *, no_store: bool) -> None:
    assert response.headers["Content-Security-Policy"] == (
        "default-src 'none'; script-src 'self'; "
        "style-src 'self' 'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='; "
        "img-src 'self' blob: data:; "
        "media-src 'self' blob:; font-src 'self'; connect-src 'self'; base-uri 'none'; "
        "form-action 'none'; frame-ancestors 'self' https://web.telegram.org")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    if no_store:
        assert response.headers["Cache-Control"] == "no-store"


async def call(page: Page, what: str, init_data: str | None, *,
               run: str = "12") -> Answer:
    """One API request of each kind, as the page makes it."""
    if what == "move":
        return await page.post(f"{PREFIX}/mat/api/move?run={run}",
                               {"version": 7, "op": "place", "card": "art", "column": 0},
                               init_data=init_data)
    card = "&card=art" if what in ("picture", "speech") else ""
    return await page.get(f"{PREFIX}/mat/api/{what}?run={run}{card}", init_data=init_data)


# --- initData: checked first ------------------------------------------------------------------


def _forged_user() -> str:
    """Jo's signed data with the user id changed afterwards (the hash is Jo's)."""
    return signed().replace(f"%22id%22%3A{JO}", f"%22id%22%3A{JO + 1}")


REFUSED = {
    "missing": None,
    "empty": "",
    "another bot's": signed(token=OTHER_TOKEN),
    "a changed user id": "FORGED",  # made per test: signed() now
    "expired (25 h)": "EXPIRED",
    "from the future": "FUTURE",
    "garbage": "user=%7B%7D&hash=zz",
}


def _refused(kind: str) -> str | None:
    made = {"FORGED": _forged_user, "EXPIRED": lambda: signed(age=timedelta(hours=25)),
            "FUTURE": lambda: signed(age=-timedelta(hours=1))}
    value = REFUSED[kind]
    return made[value]() if value in made else value


@pytest.mark.parametrize("kind", list(REFUSED))
async def test_a_request_without_good_init_data_is_refused_and_reaches_nothing(
        page: Page, kind: str) -> None:
    assert _forged_user() != signed()  # the user id really was changed
    for what in API:
        response = await call(page, what, _refused(kind))
        assert response.status == 401, (what, kind)
        body = json.loads(response.text())
        assert "open the mat again" in body["error"]
        assert_secured(response, no_store=True)
    assert page.service.calls == []


async def test_another_scheme_or_a_bare_header_is_refused(page: Page) -> None:
    good = signed()
    for header in (f"Bearer {good}", good, "tma", "tma  "):
        response = await page.get(f"{PREFIX}/mat/api/state?run=12",
                                  headers={"Authorization": header})
        assert response.status == 401, header
    assert page.service.calls == []


async def test_each_request_with_good_init_data_reaches_the_service_as_that_user(
        page: Page) -> None:
    for what in API:
        response = await call(page, what, signed())
        assert response.status == 200
        assert json.loads(response.text())["stage"] == "place"
        assert_secured(response, no_store=True)
    assert page.service.calls == [
        (JO, PageRequest(12, "state")),
        (JO, PageRequest(12, "move", move=PageMove(7, "place", "art", 0))),
        (JO, PageRequest(12, "picture", card="art")),
        (JO, PageRequest(12, "speech", card="art")),
    ]


async def test_a_picture_or_speech_is_its_bytes_with_their_type_never_cached(
        page: Page) -> None:
    page.service.answer = PageAnswer(200, data=b"\x89PNG picture", mime_type="image/png")
    response = await page.get(f"{PREFIX}/mat/api/picture?run=12&card=card_3",
                              init_data=signed())
    assert response.status == 200 and response.body == b"\x89PNG picture"
    assert response.headers["Content-Type"] == "image/png"
    assert_secured(response, no_store=True)


async def test_the_services_refusals_pass_through_with_their_status(page: Page) -> None:
    page.service.answer = PageAnswer(409, {"stale": True, "gone": True, "error": "finished"})
    response = await call(page, "move", signed())
    assert response.status == 409
    assert json.loads(response.text()) == {"stale": True, "gone": True,
                                                 "error": "finished"}


async def test_the_database_away_is_503_with_kind_words(page: Page) -> None:
    page.service.error = ConnectionRefusedError("database")
    response = await call(page, "state", signed())
    assert response.status == 503
    assert "try again" in json.loads(response.text())["error"]
    assert_secured(response, no_store=True)


# --- requests read strictly --------------------------------------------------------------------


@pytest.mark.parametrize("run", ["", "abc", "-1", "1.5", "12&run=13", "1" * 19, "%C2%B2",
                                 "12%00", "12%0A"])
async def test_a_run_that_is_not_a_run_id_is_400(page: Page, run: str) -> None:
    for what in API:
        response = await call(page, what, signed(), run=run)
        assert response.status == 400, (what, run)
        assert "could not read" in json.loads(response.text())["error"]
    no_run = await page.get(f"{PREFIX}/mat/api/state", init_data=signed())
    assert no_run.status == 400
    assert page.service.calls == []


@pytest.mark.parametrize("card", ["", "../mat", "a b", "x" * 65, "art&card=pe", "art%0A"])
async def test_a_card_that_is_not_a_card_id_is_400(page: Page, card: str) -> None:
    for what in ("picture", "speech"):
        response = await page.get(f"{PREFIX}/mat/api/{what}?run=12&card={card}",
                                  init_data=signed())
        assert response.status == 400, (what, card)
    assert page.service.calls == []


@pytest.mark.parametrize("body", [
    b"", b"not json", b"[1, 2]", b'"place"', b"\xff\xfe", b'{"version": NaN, "op": "back"}',
    {"op": "back"}, {"version": "7", "op": "back"}, {"version": True, "op": "back"},
    {"version": -1, "op": "back"}, {"version": 7.0, "op": "back"}, {"version": 2**64, "op": "back"},
    {"version": 7}, {"version": 7, "op": "fly"}, {"version": 7, "op": ["back"]},
    {"version": 7, "op": "place", "card": 12}, {"version": 7, "op": "place", "card": "../x"},
    {"version": 7, "op": "place", "card": "art", "column": 3},
    {"version": 7, "op": "place", "card": "art", "column": -2},
    {"version": 7, "op": "place", "card": "art", "column": True},
    {"version": 7, "op": "place", "card": "art", "column": "0"},
    {"version": 7, "op": "back", "person": 5},
])
async def test_a_move_that_is_not_the_pages_is_400(page: Page, body: bytes | dict[str, Any]
                                                  ) -> None:
    response = await page.post(f"{PREFIX}/mat/api/move?run=12", body, init_data=signed())
    assert response.status == 400, body
    assert "could not read" in json.loads(response.text())["error"]
    assert_secured(response, no_store=True)
    assert page.service.calls == []


async def test_moves_the_page_makes_are_read_as_they_are(page: Page) -> None:
    bodies = [{"version": 0, "op": "back"}, {"version": 3, "op": "right", "card": None,
                                             "column": None},
              {"version": 4, "op": "move", "card": "card_12", "column": -1},
              {"version": 5, "op": "leave_off", "card": "pe"}]
    for body in bodies:
        assert (await page.post(f"{PREFIX}/mat/api/move?run=12", body,
                                init_data=signed())).status == 200
    assert [request.move for _, request in page.service.calls] == [
        PageMove(0, "back"), PageMove(3, "right"), PageMove(4, "move", "card_12", -1),
        PageMove(5, "leave_off", "pe")]


async def test_a_move_body_over_16_kb_is_refused_unread(page: Page) -> None:
    big = json.dumps({"version": 7, "op": "back", "card": None, "pad": "x" * 20_000})
    response = await page.post(f"{PREFIX}/mat/api/move?run=12", big, init_data=signed())
    assert response.status == 413
    assert "too much" in json.loads(response.text())["error"]
    assert page.service.calls == []


async def test_a_move_needs_post(page: Page) -> None:
    response = await page.get(f"{PREFIX}/mat/api/move?run=12", init_data=signed())
    assert response.status in (404, 405)
    assert page.service.calls == []


# --- the chat is told --------------------------------------------------------------------------


async def test_what_the_chat_must_show_is_sent_to_the_young_persons_chat(
        page: Page, bot: RunningBot) -> None:
    page.service.answer = PageAnswer(200, {"stage": "done"},
                                     result=Result().say("Here is your mat.", edit=True))
    response = await call(page, "move", signed())
    assert response.status == 200
    assert [m.display_text for m in bot.api.messages_in(JO)] == ["Here is your mat."]


async def test_a_state_request_sends_nothing(page: Page, bot: RunningBot) -> None:
    page.service.answer = PageAnswer(200, {"stage": "place"}, result=Result())
    assert (await call(page, "state", signed())).status == 200
    assert bot.api.messages_in(JO) == []


async def test_a_telegram_error_while_telling_the_chat_is_logged_and_the_page_answered(
        page: Page, bot: RunningBot, caplog: pytest.LogCaptureFixture) -> None:
    page.service.answer = PageAnswer(200, {"stage": "done"},
                                     result=Result().say("Here is your mat."))
    bot.api.inject_fault("sendMessage", status=400, description="Bad Request: chat not found")
    with caplog.at_level(logging.INFO):
        response = await call(page, "move", signed())
    assert response.status == 200
    assert json.loads(response.text()) == {"stage": "done"}
    assert "could not send the chat its messages after run 12" in caplog.text


async def test_a_chat_that_blocked_the_bot_still_gets_the_page_its_answer(
        page: Page, bot: RunningBot) -> None:
    page.service.answer = PageAnswer(200, {"stage": "paused"},
                                     result=Result().say("Stopped for now.").say("And this."))
    bot.api.inject_fault("sendMessage", status=403)
    response = await call(page, "move", signed())
    assert response.status == 200
    assert json.loads(response.text()) == {"stage": "paused"}
    assert bot.api.messages_in(JO) == []  # stopped at the first: the chat is closed to us


async def test_log_lines_name_no_init_data_user_or_words(
        page: Page, caplog: pytest.LogCaptureFixture) -> None:
    page.service.answer = PageAnswer(409, {"error": "Your words", "stale": True})
    good = signed()
    with caplog.at_level(logging.DEBUG):
        await call(page, "move", good)
        await call(page, "state", signed(age=timedelta(hours=30)))
        await call(page, "state", good, run="abc")
    assert "run 12" in caplog.text  # something was logged, naming the run
    for secret in (good, str(JO), FIRST_NAME, "Your words", "hash", "auth_date"):
        assert secret not in caplog.text, secret


# --- the page, its files and its fonts ---------------------------------------------------------


async def test_the_page_is_served_with_the_security_headers(page: Page) -> None:
    response = await page.get(f"{PREFIX}/mat?run=12")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert "<title>Mat</title>" in response.text()
    assert_secured(response, no_store=False)


async def test_a_missing_page_is_503_in_one_sentence(page: Page) -> None:
    (page.static / "mat.html").unlink()
    response = await page.get(f"{PREFIX}/mat?run=12")
    assert response.status == 503
    text = response.text()
    assert text.count(".") == 1 and "not installed" in text
    assert_secured(response, no_store=False)


@pytest.mark.parametrize(("name", "kind"), [
    ("mat.js", "text/javascript"), ("mat.css", "text/css"), ("mark.svg", "image/svg+xml"),
    ("tile.png", "image/png"), ("font.woff2", "font/woff2"), ("note.txt", "text/plain"),
    ("vendor/telegram-web-app.js", "text/javascript")])
async def test_the_pages_files_are_served_with_their_type(page: Page, name: str,
                                                          kind: str) -> None:
    response = await page.get(f"{PREFIX}/mat/static/{name}")
    assert response.status == 200, name
    assert response.headers["Content-Type"].split(";")[0] == kind
    assert response.body == (page.static / name).read_bytes()
    assert_secured(response, no_store=False)


@pytest.mark.parametrize("path", [
    "../secret.txt", "..%2Fsecret.txt", "%2E%2E/secret.txt", "%2e%2e%2fsecret.txt",
    "vendor/../../secret.txt", "./mat.js", "vendor/", "vendor", "", "server.py",
    ".hidden.js", "vendor/LICENSE", "mat.js%00.png", "..%5Csecret.txt", "/etc/passwd",
    "%2Fetc%2Fpasswd", "nothing.js"])
async def test_nothing_outside_the_pages_files_is_served(page: Page, path: str) -> None:
    response = await page.get(f"{PREFIX}/mat/static/{path}")
    assert response.status == 404, path
    assert "not for the page" not in response.text()
    assert "print(" not in response.text()
    assert_secured(response, no_store=False)


async def test_a_link_out_of_the_pages_folder_is_not_followed(page: Page) -> None:
    (page.static / "out.txt").symlink_to(page.static.parent / "secret.txt")
    response = await page.get(f"{PREFIX}/mat/static/out.txt")
    assert response.status == 404
    assert "not for the page" not in response.text()


async def test_the_card_fonts_are_served_and_nothing_else(page: Page) -> None:
    for name in ("atkinson", "opendyslexic"):
        response = await page.get(f"{PREFIX}/mat/font/{name}")
        assert response.status == 200, name
        assert response.body == text_font_path(name).read_bytes()
        assert response.headers["Content-Type"] in ("font/ttf", "font/otf")
        assert_secured(response, no_store=False)
    # The page's emoji (🔈, ❔, ⏭️) in OpenMoji, as on the picture cards and in the chat.
    response = await page.get(f"{PREFIX}/mat/font/emoji")
    assert response.status == 200
    assert response.body == emoji_font_path().read_bytes()
    assert response.headers["Content-Type"] == "font/ttf"
    assert_secured(response, no_store=False)
    for name in ("comic", "emoji.ttf", "openmoji", "..", "atkinson.ttf", "%2e%2e%2fsecret.txt"):
        response = await page.get(f"{PREFIX}/mat/font/{name}")
        assert response.status == 404, name
        assert_secured(response, no_store=False)


async def test_anything_else_under_the_page_is_404_with_the_headers(page: Page) -> None:
    for path in ("/mat/other", "/mat/api/other?run=1", "/mat/", "/mat/api"):
        response = await page.get(PREFIX + path, init_data=signed())
        assert response.status == 404, path
        assert_secured(response, no_store=True)
    assert page.service.calls == []


# --- where the page is served ------------------------------------------------------------------


def test_the_prefix_is_the_public_urls_path(settings: Settings) -> None:
    def prefix(url: str | None) -> str:
        return server.page_prefix(settings.model_copy(update={"public_url": url}))

    assert prefix(None) == ""
    assert prefix("https://mysay.example.invalid") == ""
    assert prefix("https://mysay.example.invalid/") == ""
    assert prefix("https://mysay.example.invalid/app/") == "/app"
    assert prefix("https://mysay.example.invalid/a/b") == "/a/b"


@pytest.mark.parametrize(("public", "hook", "clash"), [
    ("https://mysay.example.invalid/app", "https://mysay.example.invalid/app/mat", True),
    ("https://mysay.example.invalid/app", "https://mysay.example.invalid/app/mat/api/x", True),
    ("https://mysay.example.invalid", "https://mysay.example.invalid/mat/", True),
    ("https://mysay.example.invalid/app", "https://mysay.example.invalid/app/hook", False),
    ("https://mysay.example.invalid/app", "https://mysay.example.invalid/mat", False),
    ("https://mysay.example.invalid/app", "https://mysay.example.invalid/app/matter", False),
])
def test_the_webhooks_path_may_not_be_inside_the_pages(settings: Settings, public: str,
                                                       hook: str, clash: bool) -> None:
    settings = settings.model_copy(update={"public_url": public})
    if clash:
        with pytest.raises(server.PagePathClash) as said:
            webhook.options_for(settings, listen="127.0.0.1", port=8443, url=hook)
        assert isinstance(said.value.code, str) and said.value.code.count(". ") == 0
    else:
        options = webhook.options_for(settings, listen="127.0.0.1", port=8443, url=hook)
        assert options.page_prefix == server.page_prefix(settings)


def test_no_public_url_no_page_on_the_webhook(settings: Settings) -> None:
    options = webhook.options_for(settings, listen="127.0.0.1", port=8443,
                                  url="https://mysay.example.invalid/hook")
    assert options.page_prefix is None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.asynccontextmanager
async def webhook_with_page(settings: Settings) -> AsyncIterator[int]:
    options = webhook.options_for(settings, listen="127.0.0.1", port=_free_port(),
                                  url="https://mysay.example.invalid/telegram/hook")
    application = build_application(settings)
    stop, ready = asyncio.Event(), asyncio.get_running_loop().create_future()
    task = asyncio.create_task(webhook.serve(application, options, stop, ready.set_result))
    try:
        yield await asyncio.wait_for(asyncio.shield(ready), 30)
    finally:
        stop.set()
        await task


async def test_the_webhooks_server_serves_the_page_under_the_public_path_and_updates(
        settings: Settings, fake_api: FakeBotAPI, service: StandIn, static_dir: Path) -> None:
    settings = settings.model_copy(update={"public_url": PUBLIC_URL})
    telegram = Telegram(fake_api, webhook.webhook_secret(settings))
    async with webhook_with_page(settings) as port, aiohttp.ClientSession() as http:
        base = f"http://127.0.0.1:{port}"
        async with http.get(f"{base}/app/mat?run=3") as response:
            assert response.status == 200 and "Mat" in await response.text()
            assert_secured(response, no_store=False)
        async with http.get(f"{base}/app/mat/api/state?run=3",
                            headers={"Authorization": f"tma {signed()}"}) as response:
            assert response.status == 200
            assert_secured(response, no_store=True)
        async with http.get(f"{base}/app/mat/api/state?run=3",
                            headers={"Authorization": f"tma {signed(token=OTHER_TOKEN)}"}
                            ) as response:
            assert response.status == 401
        async with http.get(f"{base}/mat?run=3") as response:
            assert response.status == 404  # only under the public URL's path
        # Telegram's updates still arrive, on the same server.
        await HookChat(telegram, 6_100_001, "Sam").send(port, "/start")
    assert service.calls == [(JO, PageRequest(3, "state"))]
    assert fake_api.last_message(6_100_001) is not None
    await telegram.http.aclose()
