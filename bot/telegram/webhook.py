"""Webhook mode: Telegram posts each update to us over HTTPS (`python -m bot run --webhook`).

A small aiohttp app rather than PTB's built-in server, because PTB's answers Telegram before the
update is handled. Here an update is answered:

* 403 at once, before its body is read, if the secret token header is wrong or missing;
* 200 only after its transaction committed (and its replies went out);
* 503 if the database could not be reached: nothing was stored, so Telegram sends it again
  later, and by then it is handled as if it had just arrived.

All state is in the database and every update is deduplicated there, so several processes (on
one PostgreSQL) can serve one bot behind a load balancer. Each process sets the same webhook on
start, and none deletes it on stop: the others are still serving.
Telegram only posts to HTTPS: put a TLS-terminating proxy (nginx, Caddy) in front.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from aiohttp import web
from telegram import Update
from telegram.ext import Application

from bot.config import Settings
from bot.telegram.lifecycle import (
    ALLOWED_UPDATES,
    start_embedded,
    stop_embedded,
    stop_on_signals,
)
from bot.telegram.unprocessed import failed_now, track_failures

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Telegram's own rule for secret_token: 1-256 of these characters.
_SECRET_SHAPE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
# Updates are small (4096 characters of text at most); anything far bigger is not Telegram.
MAX_BODY = 1024 * 1024


class WebhookError(SystemExit):
    """A webhook option that cannot work, said in one sentence."""


@dataclass(frozen=True)
class WebhookOptions:
    listen: str
    port: int
    url: str
    secret: str

    @property
    def path(self) -> str:
        return urlsplit(self.url).path or "/"


def webhook_secret(settings: Settings) -> str:
    """MYSAY_WEBHOOK_SECRET, or one derived from the bot token, so that every process of one
    bot agrees without being told. Never logged."""
    given = settings.webhook_secret.get_secret_value().strip() if settings.webhook_secret \
        else ""
    if given:
        if not _SECRET_SHAPE.match(given):
            raise WebhookError("MYSAY_WEBHOOK_SECRET must be 1-256 letters, digits, _ or -.")
        return given
    if settings.telegram_bot_token is None:
        raise WebhookError("Webhook mode needs TELEGRAM_BOT_TOKEN.")
    token = settings.telegram_bot_token.get_secret_value().encode()
    return hmac.new(token, b"mysay webhook secret v1", hashlib.sha256).hexdigest()


def options_for(settings: Settings, *, listen: str, port: int, url: str | None) -> WebhookOptions:
    if not url:
        raise WebhookError("Webhook mode needs --url, the public https:// address Telegram "
                           "posts to.")
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise WebhookError(f"--url must be an https:// address (Telegram only posts to HTTPS), "
                           f"not {url!r}.")
    if not 0 < port < 65536:
        raise WebhookError("--port must be a number from 1 to 65535.")
    return WebhookOptions(listen, port, url, webhook_secret(settings))


# --- the HTTP side ---------------------------------------------------------------------------


class WebhookServer:
    def __init__(self, application: Application, options: WebhookOptions) -> None:
        self.application = application
        self.options = options
        self._secret = options.secret.encode()
        self._runner: web.AppRunner | None = None
        track_failures(application)

    def web_app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_post(self.options.path, self._on_update)
        app.router.add_get("/healthz", self._on_health)
        return app

    async def start(self) -> int:
        """Listen, then tell Telegram where to post. Returns the port (useful with port 0)."""
        self._runner = web.AppRunner(self.web_app(), access_log=None, shutdown_timeout=30.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.options.listen, self.options.port)
        await site.start()
        port = int(self._runner.addresses[0][1])
        await self.application.bot.set_webhook(
            self.options.url, secret_token=self.options.secret, allowed_updates=ALLOWED_UPDATES)
        log.info("serving the webhook on %s:%s%s", self.options.listen, port, self.options.path)
        return port

    async def stop(self) -> None:
        """Stop taking updates; those being handled finish first."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    def _authorised(self, request: web.Request) -> bool:
        given = request.headers.get(SECRET_HEADER, "").encode()
        return hmac.compare_digest(given, self._secret)

    async def _on_update(self, request: web.Request) -> web.Response:
        if not self._authorised(request):  # the body is never read
            return web.Response(status=403)
        if (request.content_length or 0) > MAX_BODY:
            return web.Response(status=413)
        try:
            data = await request.json()
        except ValueError:  # cut short or corrupted on the way: Telegram will send it again
            return web.Response(status=400)
        try:
            update = Update.de_json(data, self.application.bot) if isinstance(data, dict) \
                else None
        except Exception:  # any shape PTB cannot read
            update = None
        if update is None:
            # From Telegram (the secret matched) but unreadable: sending it again cannot help,
            # and Telegram would hold back the updates behind it meanwhile.
            log.warning("dropped a webhook update this version of MySay cannot read")
            return web.Response(status=200)
        application = self.application
        # The same per-person ordering and concurrency limit as long polling uses.
        await application.update_processor.process_update(
            update, application.process_update(update))
        if failed_now(application, update.update_id):
            return web.Response(status=503, headers={"Retry-After": "30"})
        return web.Response(status=200)

    async def _on_health(self, _request: web.Request) -> web.Response:
        return web.Response(status=200 if self.application.running else 503, text="ok")


async def serve(application: Application, options: WebhookOptions,
                stop: asyncio.Event | None = None,
                on_ready: Callable[[int], None] | None = None) -> None:
    """Run until SIGTERM/SIGINT (or `stop` is set), then shut down in order. `on_ready` gets
    the port once Telegram has been told where to post."""
    if stop is None:  # a process of its own: a service manager stops it with a signal
        stop = asyncio.Event()
        stop_on_signals(stop)
    server = WebhookServer(application, options)
    try:
        await start_embedded(application)
        port = await server.start()
        if on_ready is not None:
            on_ready(port)
        await stop.wait()
        log.info("stopping: finishing the updates in hand")
    finally:
        await server.stop()
        await stop_embedded(application)


def run(application: Application, options: WebhookOptions) -> None:
    asyncio.run(serve(application, options))
