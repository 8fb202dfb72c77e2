"""Webhook mode: Telegram posts each update to us over HTTPS (`python -m bot run --webhook`).

A small aiohttp app rather than PTB's built-in server, because PTB's answers Telegram before the
update is handled. Here an update is answered:

* 403 at once, before its body is read, if the secret token header is wrong or missing;
* 400 if its body is not a Telegram update (`read_update` says what one is): one warning line,
  never the body and never a traceback, and the server goes on serving;
* 200 only after its transaction committed (and its replies went out);
* 503 if the database could not be reached: nothing was stored, so Telegram sends it again
  later, and by then it is handled as if it had just arrived.

All state is in the database and every update is deduplicated there, so several processes (on
one PostgreSQL) can serve one bot behind a load balancer. Each process sets the same webhook on
start, and none deletes it on stop: the others are still serving.
Telegram only posts to HTTPS: put a TLS-terminating proxy (nginx, Caddy) in front.

With MYSAY_PUBLIC_URL set, the same server also serves the Talking Mat page under that
address's path (bot.webapp.server); its path and the webhook's must not overlap.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import hmac
import inspect
import logging
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from telegram import Bot, TelegramObject, Update
from telegram.ext import Application
from telegram.warnings import PTBDeprecationWarning

from bot import strict_json
from bot.config import Settings
from bot.telegram.lifecycle import (
    ALLOWED_UPDATES,
    start_embedded,
    stop_embedded,
    stop_on_signals,
)
from bot.telegram.unprocessed import failed_now, track_failures
from bot.webapp import server as mat_page

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Telegram's own rule for secret_token: 1-256 of these characters.
_SECRET_SHAPE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
# Updates are small (4096 characters of text at most); anything far bigger is not Telegram.
MAX_BODY = 1024 * 1024
_UPDATE_KINDS = frozenset(Update.ALL_TYPES)  # message, callback_query, ...: what PTB can read


class WebhookError(SystemExit):
    """A webhook option that cannot work, said in one sentence."""


@dataclass(frozen=True)
class WebhookOptions:
    listen: str
    port: int
    url: str
    secret: str
    # Where the Talking Mat page is served on this same server (bot.webapp.server.page_prefix:
    # MYSAY_PUBLIC_URL's path); None when MYSAY_PUBLIC_URL is not set (no page).
    page_prefix: str | None = None

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
    prefix = None
    if settings.public_url:  # the Talking Mat page, on this same server (issue 16)
        prefix = mat_page.page_prefix(settings)
        mat_page.check_no_clash(prefix, parts.path or "/")
    return WebhookOptions(listen, port, url, webhook_secret(settings), prefix)


# --- what a body must be ---------------------------------------------------------------------


class NotAnUpdate(ValueError):
    """A webhook body that is not a Telegram update. Its message names only the kind of fault,
    never the body's content (which may be a young person's words)."""


def _shape(data: Any) -> dict[str, Any]:
    """The parsed body if it looks like an update: an object with a whole update_id of 0 or
    more and one of the kinds of update the Bot API defines. Raises NotAnUpdate."""
    if not isinstance(data, dict):
        raise NotAnUpdate("not a JSON object")
    update_id = data.get("update_id")
    if type(update_id) is not int or update_id < 0:  # bool is an int to isinstance
        raise NotAnUpdate("no update_id")
    if not any(data.get(kind) is not None for kind in _UPDATE_KINDS):
        raise NotAnUpdate("no kind of update")
    return data


@functools.cache
def _fields(kind: type[TelegramObject]) -> tuple[tuple[str, bool], ...]:
    """(name, required) for each field of a PTB class: its constructor's parameters, where
    PTB marks the Bot API's required fields by giving them no default."""
    return tuple((name, param.default is inspect.Parameter.empty)
                 for name, param in inspect.signature(kind).parameters.items()
                 if param.kind is param.POSITIONAL_OR_KEYWORD or param.kind is param.KEYWORD_ONLY)


def _check_complete(found: TelegramObject) -> None:
    """Every object inside has the fields the Bot API requires. PTB's de_json does not check
    this (a message without its chat reads as chat=None, and fails later in a handler).
    Raises NotAnUpdate."""
    for name, required in _fields(type(found)):
        value = getattr(found, name, None)
        if value is None:
            if required:
                raise NotAnUpdate(f"{type(found).__name__} without {name}")
            continue
        for inner in _objects(value):
            _check_complete(inner)


def _objects(value: object) -> list[TelegramObject]:
    """The PTB objects in a field: itself, or those in its tuples (an inline keyboard is a
    tuple of rows, each a tuple of buttons)."""
    if isinstance(value, TelegramObject):
        return [value]
    if isinstance(value, tuple):
        return [found for item in value for found in _objects(item)]
    return []


def read_update(body: bytes, bot: Bot) -> Update:
    """The update in a webhook body: UTF-8 JSON (RFC 8259) holding one Bot API `Update`
    object. Returns it; raises NotAnUpdate for anything else, whatever went wrong inside."""
    try:
        # Strict JSON: no NaN or Infinity, no number beyond 64 bits (bot.strict_json).
        data = strict_json.loads(body)
        with warnings.catch_warnings():  # PTB 22: durations will become timedelta one day
            warnings.simplefilter("ignore", PTBDeprecationWarning)
            update = Update.de_json(_shape(data), bot)
            if update is not None:
                _check_complete(update)
    except NotAnUpdate:
        raise
    except strict_json.NotJSON as error:
        raise NotAnUpdate(str(error)) from None
    except Exception as error:
        # Untrusted input, so any failure means "not an update": RecursionError from deep
        # nesting, UnicodeDecodeError, ValueError, TypeError, KeyError, ... Only the kind of
        # error is kept: a decoder's message can quote the body's bytes.
        raise NotAnUpdate(type(error).__name__) from None
    if update is None:
        raise NotAnUpdate("empty")
    return update


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
        if self.options.page_prefix is not None:
            application = self.application
            mat_page.add_mat_page(app, self.options.page_prefix, lambda: application)
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
            update = read_update(await request.read(), self.application.bot)
        except NotAnUpdate as error:
            # Cut short or corrupted on the way, or not from Telegram at all: a client error.
            log.warning("answered 400 to a webhook body that is not an update (%s)", error)
            return web.Response(status=400)
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
