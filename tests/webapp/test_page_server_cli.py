"""`python -m bot run --webapp-port N` (issue 16): in polling mode the Talking Mat page gets a
web server of its own beside polling, stopped with the bot; and the ways this can be set up
wrong each end as one sentence and exit 2."""

from __future__ import annotations

import asyncio
import socket
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest

from bot.config import Settings
from bot.sandbox.fake_api import FakeBotAPI
from bot.webapp.init_data import sign_init_data
from tests.conftest import TEST_TOKEN
from tests.telegram.test_faults import BotProcess, free_port, until
from tests.test_cli import run_cli

PUBLIC_URL = "https://mysay.example.invalid/app"
CSP_START = "default-src 'none'; script-src 'self';"


async def _status(http: aiohttp.ClientSession, url: str, **headers: str) -> int | None:
    try:
        async with http.get(url, headers=headers) as response:
            await response.read()
            return response.status
    except aiohttp.ClientConnectionError:
        return None


async def test_run_with_a_webapp_port_serves_the_page_beside_polling(
        settings: Settings, fake_api: FakeBotAPI, tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}/app/mat"
    bot = await BotProcess(settings, tmp_path / "bot", "--webapp-port", str(port),
                           MYSAY_PUBLIC_URL=PUBLIC_URL).start()
    try:
        async with aiohttp.ClientSession() as http:
            # 503 while the bot starts; 401 for a request without initData once it runs.
            async with asyncio.timeout(60):
                while await _status(http, f"{base}/api/state?run=1") != 401:  # noqa: ASYNC110 - another process
                    await asyncio.sleep(0.1)
            another_bot = sign_init_data("654321:TEST-another-bot", 5_200_001, "Jo",
                                         datetime.now(UTC))
            assert await _status(http, f"{base}/api/state?run=1",
                                 Authorization=f"tma {another_bot}") == 401
            async with http.get(f"{base}/font/atkinson") as response:
                assert response.status == 200
                assert response.headers["Content-Type"] == "font/ttf"
                assert response.headers["Content-Security-Policy"].startswith(CSP_START)
            async with http.get(f"{base}?run=1") as response:
                # The page (or, before it is installed, one sentence saying so), with its CSP.
                assert response.status in (200, 503)
                assert response.headers["Content-Security-Policy"].startswith(CSP_START)
            assert await _status(http, f"http://127.0.0.1:{port}/mat") == 404
        # Polling goes on beside it: a message is answered.
        fake_api.add_user(5_200_002, "Sam")
        fake_api.push_message(5_200_002, "/start", first_name="Sam")
        await until(lambda: fake_api.last_message(5_200_002) is not None, seconds=60)
    finally:
        assert await bot.stop() == 0, bot.log()
    assert TEST_TOKEN not in bot.log() and "Traceback" not in bot.log()
    async with aiohttp.ClientSession() as http:  # stopped with the bot
        assert await _status(http, f"{base}/font/atkinson") is None


def _one_sentence(result: object) -> str:
    stderr = getattr(result, "stderr", "")
    assert getattr(result, "returncode", None) == 2, stderr
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


def test_a_public_url_in_polling_mode_needs_a_webapp_port(tmp_path: Path) -> None:
    line = _one_sentence(run_cli("run", tmp_path=tmp_path, TELEGRAM_BOT_TOKEN=TEST_TOKEN,
                                 MYSAY_PUBLIC_URL=PUBLIC_URL))
    assert "--webapp-port" in line and "MYSAY_PUBLIC_URL" in line
    assert not (tmp_path / "data").exists()  # said before anything was made


@pytest.mark.parametrize("url", ["http://mysay.example.invalid/app",
                                 "https://mysay.example.invalid/app?x=1", "mysay.invalid",
                                 "https://someone:pw@mysay.example.invalid/app",
                                 "https://mysay.example.invalid:99999/app"])
def test_a_public_url_that_is_not_https_is_one_sentence(tmp_path: Path, url: str) -> None:
    line = _one_sentence(run_cli("run", tmp_path=tmp_path, TELEGRAM_BOT_TOKEN=TEST_TOKEN,
                                 MYSAY_PUBLIC_URL=url))
    assert line.startswith("MySay cannot start: MYSAY_PUBLIC_URL must be an https:// address")
    assert url not in line  # a setting's value is never repeated (it may be a secret)


def test_a_setting_out_of_range_is_one_sentence_naming_it(tmp_path: Path) -> None:
    line = _one_sentence(run_cli("run", tmp_path=tmp_path, TELEGRAM_BOT_TOKEN=TEST_TOKEN,
                                 MYSAY_WEBAPP_PORT="70000"))
    assert line.startswith("MySay cannot start: MYSAY_WEBAPP_PORT")


def test_a_webapp_port_in_use_is_one_sentence(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        line = _one_sentence(run_cli(
            "run", "--webapp-port", str(port), tmp_path=tmp_path,
            TELEGRAM_BOT_TOKEN=TEST_TOKEN, MYSAY_PUBLIC_URL=PUBLIC_URL,
            # Never reached: the port is refused before Telegram is asked anything.
            TELEGRAM_API_BASE_URL="http://127.0.0.1:9/bot"))
    assert line == (f"The Talking Mat page cannot listen on 127.0.0.1:{port} (the port is in "
                    f"use): give --webapp-port another port.")


@pytest.mark.parametrize("given", [("--webapp-port", "8999"), ("MYSAY_WEBAPP_PORT", "8999")])
def test_a_webapp_port_without_a_public_url_is_one_sentence(tmp_path: Path,
                                                            given: tuple[str, str]) -> None:
    """A page server nothing links to (no public URL, so no chat button) is refused."""
    option, value = given
    args, env = ((option, value), {}) if option.startswith("--") else ((), {option: value})
    line = _one_sentence(run_cli("run", *args, tmp_path=tmp_path, TELEGRAM_BOT_TOKEN=TEST_TOKEN,
                                 **env))
    assert line == ("A webapp port is given but MYSAY_PUBLIC_URL is not, so no chat button "
                    "would ever lead to the Talking Mat page: set MYSAY_PUBLIC_URL to its "
                    "https:// address, or leave out --webapp-port and MYSAY_WEBAPP_PORT.")
    assert not (tmp_path / "data").exists()  # said before anything was made


@pytest.mark.parametrize(("listen", "why"), [
    ("no-such-host.invalid", "no-such-host.invalid is not a name or address this machine knows"),
    ("192.0.2.1", "192.0.2.1 is not an address of this machine"),  # RFC 5737: nobody's
])
def test_a_webapp_listen_address_not_of_this_machine_is_its_own_sentence(
        tmp_path: Path, listen: str, why: str) -> None:
    """An address that cannot be listened on names --webapp-listen, not another port."""
    port = free_port()
    line = _one_sentence(run_cli(
        "run", "--webapp-port", str(port), "--webapp-listen", listen, tmp_path=tmp_path,
        TELEGRAM_BOT_TOKEN=TEST_TOKEN, MYSAY_PUBLIC_URL=PUBLIC_URL,
        TELEGRAM_API_BASE_URL="http://127.0.0.1:9/bot"))
    assert line == (f"The Talking Mat page cannot listen on {listen}:{port} ({why}): give "
                    f"--webapp-listen an address of this machine, such as 127.0.0.1.")
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize("path", ["/{run}", "/my%20say", "/my say", "/a/../mysay", "/./mysay",
                                  "/my{say}/x", "/caf\u00e9"])
def test_a_public_url_path_of_unsafe_characters_is_one_sentence(tmp_path: Path,
                                                                path: str) -> None:
    """The path becomes the page's routes: only RFC 3986's unreserved characters and "/"."""
    url = f"https://mysay.example.invalid{path}"
    line = _one_sentence(run_cli("run", "--webapp-port", "8999", tmp_path=tmp_path,
                                 TELEGRAM_BOT_TOKEN=TEST_TOKEN, MYSAY_PUBLIC_URL=url))
    assert line == ("MySay cannot start: MYSAY_PUBLIC_URL's path may contain only letters, "
                    "digits and . _ ~ / - (no . or .. part), such as /mysay.")
    assert path not in line


def test_webhook_and_page_paths_that_clash_are_one_sentence(tmp_path: Path) -> None:
    line = _one_sentence(run_cli(
        "run", "--webhook", "--url", "https://mysay.example.invalid/app/mat/hook",
        tmp_path=tmp_path, TELEGRAM_BOT_TOKEN=TEST_TOKEN, MYSAY_PUBLIC_URL=PUBLIC_URL))
    assert "inside the mat page's path /app/mat" in line
