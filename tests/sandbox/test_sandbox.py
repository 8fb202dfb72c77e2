"""The sandbox (issue 7): the real bot, the local Bot API and the web chat's HTTP API, driven
over HTTP as the page drives them, plus `python -m bot sandbox` as a real process."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from PIL import Image
from sqlalchemy import select

from bot.app import services_of
from bot.config import Settings
from bot.sandbox import seed
from bot.sandbox.web import (
    PUBLIC_URL,
    SANDBOX_TOKEN,
    Sandbox,
    SandboxServer,
    SandboxWeb,
    _button_view,
    default_data_dir,
)
from bot.services import load_content
from bot.store.models import Invitation, Person
from bot.webapp.init_data import InitDataRefused, check_init_data
from tests.support.spec_check import check_request

# Loaded once: every sandbox in this file shares the (validated) flows and words.
CONTENT = load_content()


@dataclass
class RunningSandbox:
    """A started sandbox and an HTTP client for its page, like the browser's."""

    server: SandboxServer
    http: aiohttp.ClientSession
    problems: list[str] = field(default_factory=list)

    @property
    def sandbox(self) -> Sandbox:
        return self.server.sandbox

    @property
    def url(self) -> str:
        return self.server.url

    async def state(self) -> dict[str, Any]:
        async with self.http.get(f"{self.url}/api/state") as response:
            assert response.status == 200
            return await response.json()

    async def chat(self, persona: str) -> list[dict[str, Any]]:
        return (await self.state())["chats"][persona]

    async def post(self, path: str, body: Any) -> tuple[int, dict[str, Any]]:
        async with self.http.post(f"{self.url}{path}", json=body) as response:
            return response.status, await response.json()

    async def send(self, persona: str, text: str) -> dict[str, Any]:
        status, body = await self.post("/api/send?wait=1", {"persona": persona, "text": text})
        assert status == 200 and body["processed"], body
        return body

    async def tap(self, persona: str, label: str) -> dict[str, Any]:
        """Tap the button whose label contains `label` on the newest message with buttons."""
        messages = await self.chat(persona)
        message = next(m for m in reversed(messages) if m["buttons"])
        button = next((b for row in message["buttons"] for b in row
                       if label.casefold() in b["text"].casefold()), None)
        assert button is not None, f"no {label!r} in {message['buttons']}"
        status, body = await self.post("/api/tap?wait=1", {
            "persona": persona, "message_id": message["id"], "data": button["data"]})
        assert status == 200 and body["processed"], body
        return body

    async def last_text(self, persona: str) -> str:
        bot_messages = [m for m in await self.chat(persona) if m["fromBot"]]
        return bot_messages[-1]["text"]


def sandbox_settings(tmp_path: Path, **overrides: Any) -> Settings:
    return Settings(_env_file=None, MYSAY_DATA_DIR=tmp_path / "data", **overrides)


@asynccontextmanager
async def running_sandbox(tmp_path: Path, settings: Settings | None = None
                          ) -> AsyncIterator[RunningSandbox]:
    problems: list[str] = []

    def validator(method: str, params: dict[str, Any], files: dict[str, Any]) -> list[str]:
        found = check_request(method, params, files)
        problems.extend(f"{method}: {p}" for p in found)
        return found

    sandbox = Sandbox(settings or sandbox_settings(tmp_path), tmp_path / "sandbox",
                      validator=validator, poll_timeout=1, content=CONTENT)
    server = SandboxServer(sandbox, port=0)
    await server.start()
    try:
        async with aiohttp.ClientSession() as http:
            yield RunningSandbox(server, http, problems)
        api = sandbox.api
        assert api is not None
        assert api.unanswered_callback_queries() == [], "taps left unanswered"
    finally:
        await server.stop()
    # Every request the bot made in the sandbox is one Telegram would accept.
    assert problems == [], "Bot API spec violations:\n" + "\n".join(problems)


@pytest.fixture
async def running(tmp_path: Path) -> AsyncIterator[RunningSandbox]:
    async with running_sandbox(tmp_path) as started:
        yield started


def png(size: tuple[int, int] = (64, 48), colour: str = "orange") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return buffer.getvalue()


async def people(sandbox: Sandbox) -> list[Person]:
    assert sandbox.application is not None
    async with services_of(sandbox.application).db.transaction() as session:
        return list((await session.scalars(select(Person).order_by(Person.id))).all())


# -- the page -------------------------------------------------------------------------------


async def test_the_page_and_everything_it_loads_come_from_this_computer(
        running: RunningSandbox) -> None:
    async with running.http.get(f"{running.url}/") as response:
        assert response.status == 200
        page = await response.text()
        policy = response.headers["Content-Security-Policy"]
    assert "<title>MySay sandbox</title>" in page and "{{" not in page
    assert "Start over" in page and "Type a message" in page
    assert "default-src 'self'" in policy and "connect-src 'self'" in policy
    loaded = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert loaded and all(u.startswith(("/", "data:")) for u in loaded), loaded
    for path in ("/static/chat.js", "/static/chat.css"):
        async with running.http.get(f"{running.url}{path}") as response:
            assert response.status == 200, path
            body = await response.text()
        assert not re.search(r"""(?:url\(|fetch\(|EventSource\(|import )\s*["']?https?:""",
                             body), path
    css = (await (await running.http.get(f"{running.url}/static/chat.css")).text())
    for font in re.findall(r'url\("(/fonts/[^"]+)"\)', css):
        async with running.http.get(f"{running.url}{font}") as response:
            assert response.status == 200 and response.content_type == "font/ttf", font
            assert len(await response.read()) > 10_000
    async with running.http.get(f"{running.url}/static/../web.py") as response:
        assert response.status in (403, 404)


async def test_seeded_the_therapist_is_in_and_the_young_person_is_asked(
        running: RunningSandbox) -> None:
    state = await running.state()
    assert state["ready"] is True
    assert [p["key"] for p in state["personas"]] == ["young_person", "therapist", "supporter"]
    assert len({p["userId"] for p in state["personas"]}) == 3
    assert "set up as a therapist" in state["chats"]["therapist"][1]["text"]
    young = state["chats"]["young_person"]
    assert young[0]["text"].startswith("/start ") and not young[0]["fromBot"]
    asked = young[-1]
    assert "Is it OK to start?" in asked["text"]
    assert [b["text"] for row in asked["buttons"] for b in row] == [
        "✅ Yes, let's start", "✋ Not now"]
    assert state["chats"]["supporter"] == []
    # Nothing about the young person is stored until they agree; the invitation waits.
    everyone = await people(running.sandbox)
    assert [(p.role, p.display_name) for p in everyone] == [("therapist", "Sam")]
    assert running.sandbox.application is not None
    async with services_of(running.sandbox.application).db.transaction() as session:
        kinds = sorted((i.kind, i.used_at is None)
                       for i in (await session.scalars(select(Invitation))).all())
    assert kinds == [("therapist", False), ("young_person", True)]


async def test_the_whole_loop_over_http(running: RunningSandbox) -> None:
    await running.tap("young_person", "Yes")
    assert "What would you like to do?" in await running.last_text("young_person")
    await running.tap("young_person", "How was today")
    card = (await running.chat("young_person"))[-1]
    assert card["fromBot"] and card["photo"]["width"] > 300 and "How was today?" in card["text"]
    async with running.http.get(f"{running.url}/api/file/{card['photo']['fileId']}") as response:
        assert response.status == 200 and response.content_type == "image/jpeg"
        assert (await response.read()).startswith(b"\xff\xd8\xff")  # a card is sent as JPEG
    await running.tap("young_person", "Good")
    await running.tap("young_person", "Friend")
    await running.tap("young_person", "Done")
    await running.send("young_person", "we built a den at break")
    assert "This is what you told me" in await running.last_text("young_person")
    await running.tap("young_person", "Share")
    assert "Your therapist can see this now" in await running.last_text("young_person")

    await running.send("therapist", "/summary")
    before = len(await running.chat("therapist"))
    await running.tap("therapist", "Jo")
    summary = (await running.chat("therapist"))[before:]
    documents = [m["document"] for m in summary if "document" in m]
    if documents:  # the PDF summary, once the bot sends one
        async with running.http.get(f"{running.url}/api/file/{documents[0]['fileId']}"
                                    ) as response:
            assert (await response.read()).startswith(b"%PDF")
            assert "attachment" in response.headers["Content-Disposition"]
    else:
        assert any("we built a den at break" in m["text"] for m in summary), summary


async def test_the_page_follows_the_bot_live(running: RunningSandbox) -> None:
    async with running.http.get(f"{running.url}/api/events") as stream:
        assert stream.headers["Content-Type"].startswith("text/event-stream")
        status, body = await running.post("/api/tap", {
            "persona": "young_person",
            "message_id": (await running.chat("young_person"))[-1]["id"],
            "data": (await running.chat("young_person"))[-1]["buttons"][0][0]["data"]})
        assert status == 200
        events = await read_events(stream, lambda e: e["type"] == "message"
                                   and "What would you like to do?" in e["message"]["text"])
    kinds = [e["type"] for e in events]
    assert "answer" in kinds and "message" in kinds
    answer = next(e for e in events if e["type"] == "answer")
    assert answer["persona"] == "young_person" and answer["queryId"] == body["queryId"]
    said = [e["message"]["text"] for e in events if e["type"] == "message"]
    assert any("You're in!" in text for text in said), said


async def read_events(stream: aiohttp.ClientResponse, until: Any,
                      seconds: float = 15.0) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    async with asyncio.timeout(seconds):
        async for raw in stream.content:
            line = raw.decode().strip()
            if not line.startswith("data: "):
                continue
            events.append(json.loads(line.removeprefix("data: ")))
            if until(events[-1]):
                return events
    raise AssertionError(f"the stream ended early: {events}")


async def test_photos_and_voice_notes_reach_the_bot_and_can_be_seen_again(
        running: RunningSandbox) -> None:
    picture = png()
    form = aiohttp.FormData()
    form.add_field("persona", "therapist")
    form.add_field("file", picture, filename="drawing.png", content_type="image/png")
    async with running.http.post(f"{running.url}/api/photo?wait=1", data=form) as response:
        assert response.status == 200 and (await response.json())["processed"]
    messages = await running.chat("therapist")
    sent = next(m for m in reversed(messages) if not m["fromBot"])
    assert sent["photo"]["width"] == 64 and sent["photo"]["height"] == 48
    assert messages[-1]["fromBot"]  # the bot answered it
    async with running.http.get(f"{running.url}/api/file/{sent['photo']['fileId']}") as response:
        assert response.content_type == "image/png" and await response.read() == picture

    voice = b"OggS" + bytes(2000)
    form = aiohttp.FormData()
    form.add_field("persona", "therapist")
    form.add_field("file", voice, filename="voice.ogg", content_type="audio/ogg")
    form.add_field("duration", "3.4")
    async with running.http.post(f"{running.url}/api/voice?wait=1", data=form) as response:
        assert response.status == 200 and (await response.json())["processed"]
    sent = next(m for m in reversed(await running.chat("therapist")) if not m["fromBot"])
    assert sent["voice"]["duration"] == 3
    async with running.http.get(f"{running.url}/api/file/{sent['voice']['fileId']}") as response:
        assert response.content_type == "audio/ogg" and await response.read() == voice


async def test_a_document_from_the_bot_is_a_download(running: RunningSandbox) -> None:
    application = running.sandbox.application
    assert application is not None
    pdf = b"%PDF-1.4\n% a tiny stand-in\n%%EOF\n"
    await application.bot.send_document(seed.THERAPIST.user_id, pdf,
                                         filename="Jo summary.pdf", caption="Summary")
    newest = (await running.chat("therapist"))[-1]
    assert newest["document"]["name"] == "Jo summary.pdf"
    assert newest["document"]["size"] == len(pdf) and newest["text"] == "Summary"
    url = f"{running.url}/api/file/{newest['document']['fileId']}"
    async with running.http.get(url) as response:
        assert response.status == 200 and await response.read() == pdf
        assert response.headers["Content-Disposition"] == (
            "attachment; filename*=UTF-8''Jo%20summary.pdf")


# -- kind answers to anything odd ----------------------------------------------------------------


async def test_odd_input_gets_a_kind_answer_and_reaches_nobody(running: RunningSandbox) -> None:
    api = running.sandbox.api
    assert api is not None

    def traffic() -> tuple[int, int]:
        return (len(api.messages_in(seed.YOUNG_PERSON.user_id, include_user=True)),
                len(api.callback_queries))

    before = traffic()
    newest = (await running.chat("young_person"))[-1]

    cases: list[tuple[str, Any, int, str]] = [
        ("/api/send", {"persona": "young_person", "text": "   "}, 400, "type something"),
        ("/api/send", {"persona": "young_person", "text": "x" * 4097}, 400, "too long"),
        ("/api/send", {"persona": "stranger", "text": "hi"}, 400, "don't know who"),
        ("/api/send", {"persona": "young_person", "text": 5}, 400, "type something"),
        ("/api/send", ["not", "an", "object"], 400, "did not understand"),
        ("/api/tap", {"persona": "young_person", "message_id": newest["id"],
                      "data": "f:forged"}, 409, "button has gone"),
        ("/api/tap", {"persona": "young_person", "message_id": 999, "data": "n"}, 409,
         "button has gone"),
        ("/api/tap", {"persona": "young_person", "message_id": "1", "data": "n"}, 409,
         "button has gone"),
    ]
    for path, body, status, words in cases:
        got_status, got = await running.post(path, body)
        assert (got_status, words in got["error"]) == (status, True), (path, body, got)

    async with running.http.post(f"{running.url}/api/send", data="text=hi") as response:
        assert response.status == 415 and "did not understand" in (await response.json())["error"]
    for data, words in ((b"not a picture", "not a picture"), (png((2100, 50)), "not a picture"),
                        (bytes(11 * 1024 * 1024), "too big")):
        form = aiohttp.FormData()
        form.add_field("persona", "young_person")
        form.add_field("file", data, filename="x.png", content_type="image/png")
        async with running.http.post(f"{running.url}/api/photo", data=form) as response:
            assert words in (await response.json())["error"]
            assert response.status in (400, 413)
    form = aiohttp.FormData()
    form.add_field("persona", "young_person")
    form.add_field("file", b"", filename="v.ogg", content_type="audio/ogg")
    async with running.http.post(f"{running.url}/api/voice", data=form) as response:
        assert response.status == 400 and "did not work" in (await response.json())["error"]
    async with running.http.get(f"{running.url}/api/file/AgACFake999999") as response:
        assert response.status == 404
    assert traffic() == before  # none of it reached the bot


async def test_only_this_computers_own_page_may_use_it(running: RunningSandbox) -> None:
    body = {"persona": "young_person", "text": "hello"}
    async with running.http.post(f"{running.url}/api/send", json=body,
                                 headers={"Host": "evil.example:80"}) as response:
        assert response.status == 403
    async with running.http.post(f"{running.url}/api/send", json=body,
                                 headers={"Origin": "http://evil.example"}) as response:
        assert response.status == 403
    async with running.http.post(f"{running.url}/api/send", json=body,
                                 headers={"Origin": running.url}) as response:
        assert response.status == 200


async def test_before_it_is_ready_it_says_so_kindly(tmp_path: Path) -> None:
    sandbox = Sandbox(sandbox_settings(tmp_path), tmp_path / "sandbox", content=CONTENT)
    runner = aiohttp.web.AppRunner(SandboxWeb(sandbox).app())
    await runner.setup()
    site = aiohttp.web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{url}/api/state") as response:
                assert (await response.json())["ready"] is False
            async with http.post(f"{url}/api/send",
                                 json={"persona": "young_person", "text": "hi"}) as response:
                assert response.status == 503
                assert (await response.json())["error"] == "Starting over. One moment."
    finally:
        await runner.cleanup()


# -- starting over, and keeping away from real services -------------------------------------------


async def test_start_over_wipes_everything_and_seeds_again(running: RunningSandbox) -> None:
    await running.tap("young_person", "Yes")
    await running.send("therapist", "/caseload")
    assert [p.role for p in await people(running.sandbox)] == ["therapist", "young_person"]
    old_api = running.sandbox.api
    status, state = await running.post("/api/reset", {})
    assert status == 200 and state["ready"]
    assert running.sandbox.api is not old_api
    assert "Is it OK to start?" in state["chats"]["young_person"][-1]["text"]
    assert len(state["chats"]["therapist"]) == 4  # /start, welcome, /invite, the link
    assert [p.role for p in await people(running.sandbox)] == ["therapist"]
    await running.tap("young_person", "Yes")  # and it works again
    assert "What would you like to do?" in await running.last_text("young_person")


async def test_real_settings_never_reach_the_sandbox_bot(tmp_path: Path) -> None:
    settings = sandbox_settings(
        tmp_path, TELEGRAM_BOT_TOKEN="123456:a-real-looking-token-that-must-stay-home-00",
        DATABASE_URL="postgresql+asyncpg://nobody@127.0.0.1:1/nothing",
        TELEGRAM_API_BASE_URL="https://api.telegram.org/bot",
        MYSAY_PUBLIC_URL="https://mysay.example.org/real")
    async with running_sandbox(tmp_path, settings) as started:
        api, application = started.sandbox.api, started.sandbox.application
        assert api is not None and application is not None
        assert application.bot.token == SANDBOX_TOKEN
        # The mat page's address is the sandbox's own, which can reach nothing (.invalid).
        assert services_of(application).settings.public_url == PUBLIC_URL
        assert application.bot.base_url.startswith(f"http://127.0.0.1:{api.port}/bot")
        assert (tmp_path / "sandbox" / "sandbox.sqlite3").exists()
        assert started.server.port is not None
        assert {r.method for r in api.requests} >= {"getMe", "getUpdates", "sendMessage"}
    assert not (tmp_path / "sandbox").exists()  # gone when it stops


async def test_a_mini_app_gets_init_data_signed_for_the_persona(
        running: RunningSandbox) -> None:
    """Issue 16: the chat's stand-in for Telegram signs initData with the sandbox token, for
    the persona who opened the page, and the bot is told the page's public address."""
    status, body = await running.post("/api/webapp/init", {"persona": "young_person"})
    assert status == 200
    user = check_init_data(body["init_data"], SANDBOX_TOKEN)
    assert (user.telegram_user_id, user.first_name) == (seed.YOUNG_PERSON.user_id, "Jo")
    with pytest.raises(InitDataRefused):
        check_init_data(body["init_data"], "7000001:another-bot-token-000000000000000000")
    status, body = await running.post("/api/webapp/init", {"persona": "nobody"})
    assert status == 400 and "error" in body
    assert "init_data" not in body
    application = running.sandbox.application
    assert application is not None
    assert services_of(application).settings.public_url == PUBLIC_URL
    assert (await running.state())["publicUrl"] == PUBLIC_URL


def test_a_web_app_button_is_shown_as_one() -> None:
    """The chat gets a web_app button's URL (`webApp`) and no callback data to send."""
    url = f"{PUBLIC_URL}/mat?run=3"
    assert _button_view({"text": "🧩 Open the mat", "web_app": {"url": url}}) == {
        "text": "🧩 Open the mat", "webApp": url}
    assert _button_view({"text": "Yes", "callback_data": "y"}) == {"text": "Yes", "data": "y"}
    assert _button_view({"text": "Site", "url": "https://example.org"}) == {
        "text": "Site", "url": "https://example.org"}


def test_the_sandbox_never_uses_the_real_data_folder(tmp_path: Path) -> None:
    assert default_data_dir(Settings(_env_file=None)) == Path("sandbox-data")
    chosen = Settings(_env_file=None, MYSAY_DATA_DIR=tmp_path / "mine")
    assert default_data_dir(chosen) == tmp_path / "mine" / "sandbox"


def test_a_link_in_a_message_gives_its_code() -> None:
    assert seed.start_code("Link:\nhttps://t.me/MySaySandboxBot?start=Ab_c-123456\nCode: x") == (
        "Ab_c-123456")
    assert seed.start_code("/start Zz9_-Zz9_-Zz") == "Zz9_-Zz9_-Zz"
    assert seed.start_code("No link here. Use /invite first.") is None


# -- `python -m bot sandbox` as a real process -----------------------------------------------------


def sandbox_process(tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("TELEGRAM_", "MYSAY_", "DATABASE_URL"))}
    return subprocess.Popen([sys.executable, "-m", "bot", "sandbox", *args], cwd=tmp_path,
                            env=clean, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def listening_addresses(pid: int) -> list[str]:
    """The local addresses of the process's listening TCP sockets (Linux /proc)."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        with contextlib.suppress(OSError):
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as rows:
            for row in list(rows)[1:]:
                cells = row.split()
                if cells[3] == "0A" and cells[9] in inodes:  # 0A: LISTEN
                    found.append(cells[1].split(":")[0])
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc (Linux only)")
async def test_the_command_serves_the_chat_on_loopback_only_and_stops_cleanly(
        tmp_path: Path) -> None:
    process = sandbox_process(tmp_path, "--port", "0")
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(asyncio.to_thread(process.stdout.readline), 60)
        found = re.search(r"ready: (http://127\.0\.0\.1:\d+)$", line.strip())
        assert found, line + (process.stderr.read() if process.poll() is not None
                              and process.stderr else "")
        url = found.group(1)
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{url}/api/state") as response:
                state = await response.json()
        assert state["ready"] and "Is it OK to start?" in state["chats"]["young_person"][-1]["text"]
        addresses = listening_addresses(process.pid)
        loopback = {"0100007F", "00000000000000000000000001000000"}
        assert len(addresses) >= 2 and set(addresses) <= loopback, addresses
        assert (tmp_path / "sandbox-data" / "sandbox.sqlite3").exists()
        process.send_signal(signal.SIGINT)
        out, err = await asyncio.wait_for(asyncio.to_thread(process.communicate), 30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, err
    assert "Traceback" not in err and SANDBOX_TOKEN not in err + out
    assert not (tmp_path / "sandbox-data").exists()  # nothing is left behind


def test_a_busy_port_is_explained_in_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = sandbox_process(tmp_path, "--port", str(port))
        _, err = process.communicate(timeout=60)
    assert process.returncode == 2
    assert err.strip() == (f"Port {port} is in use. Try another one: "
                           f"python -m bot sandbox --port {port + 1}")


def test_a_port_that_is_not_a_port_is_refused(tmp_path: Path) -> None:
    process = sandbox_process(tmp_path, "--port", "70000")
    _, err = process.communicate(timeout=60)
    assert process.returncode == 2 and "a port is a number from 0 to 65535" in err
