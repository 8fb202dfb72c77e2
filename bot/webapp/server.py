"""The Talking Mat page over HTTP: a thin aiohttp adapter (issue 16).

`add_mat_page(app, prefix, get_application)` adds, under `{prefix}/mat`:

* `GET  /mat`                the page (bot/webapp/static/mat.html);
* `GET  /mat/static/<file>`  its files (only files inside STATIC_DIR, of the kinds in
  CONTENT_TYPES; never a folder's listing, never a path with `..`);
* `GET  /mat/font/<name>`    `atkinson` or `opendyslexic`: the font files the picture cards use;
* `GET  /mat/api/state`, `POST /mat/api/move`, `GET /mat/api/picture`, `GET /mat/api/speech`:
  each checks Telegram's initData first (header `Authorization: tma <initData>`, the Telegram
  Mini Apps convention; bot.webapp.init_data) and answers 401 with nothing read or changed
  when it is missing, forged, another bot's, expired or from the future. Then the request is
  read (`run`, and a move's JSON body) and handed to the unit of work
  (`bot.service.unit_of_work.handle_page`), which runs it in one transaction through the same
  engine, run version and access checks as a tap in the chat. What the chat must show after
  it (the mat picture and the review after "This is right") is sent once that has committed.

The webhook's server mounts it under the path of MYSAY_PUBLIC_URL (bot.telegram.webhook); in
polling mode `serve_page` runs a server with only these routes (`run --webapp-port`); the
sandbox mounts it on its own web server. Every answer carries CSP (the page loads nothing
from outside MySay), nosniff and no-referrer; API answers are never cached.

Log lines name the kind of request, its run id and the kind of fault only: never initData,
a young person's words, or a Telegram id.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import re
import socket
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web
from telegram.error import TelegramError
from telegram.ext import Application

from bot import strict_json
from bot.config import Settings
from bot.i18n import Locale
from bot.render.fonts import FONT_FAMILIES, emoji_font_path, text_font_path
from bot.service import unit_of_work
from bot.service.mat_page import MOVE_OPS, PageAnswer, PageMove, PageRequest
from bot.store.db import DATABASE_AWAY
from bot.telegram.handlers import delivery_for_application, services_of_application
from bot.webapp.init_data import InitDataRefused, WebAppUser, check_init_data

log = logging.getLogger(__name__)

# The page's own files (helper B's mat.html, mat.js, mat.css, vendor/...). A module constant
# so tests can serve a folder of their own.
STATIC_DIR = Path(__file__).resolve().parent / "static"
PAGE_FILE = "mat.html"

# What the page may load: only MySay's own files, its API, and blob:/data: pictures and
# sounds it made from them; no inline script, nothing from another site. Framed only by
# Telegram's web clients (https://web.telegram.org, where a Mini App is shown in a frame; the
# phone and desktop apps use a web view, not a frame) and by MySay's own pages ('self': the
# sandbox's chat frames the page from the same origin); any other site may not frame it, so
# it cannot be made to look like something else (clickjacking). The one hash
# in style-src is that of an empty string: Telegram's script (vendor/telegram-web-app.js)
# adds an empty <style> element when the page is in a frame, and that alone is allowed
# inline (style attributes and any <style> with content stay refused).
EMPTY_STYLE = "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"
CSP = ("default-src 'none'; script-src 'self'; "
       f"style-src 'self' {EMPTY_STYLE}; img-src 'self' blob: data:; "
       "media-src 'self' blob:; font-src 'self'; connect-src 'self'; base-uri 'none'; "
       "form-action 'none'; frame-ancestors 'self' https://web.telegram.org")
# The kinds of file the page is made of; any other is not served.
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".woff2": "font/woff2",
    ".txt": "text/plain; charset=utf-8",
}
_FONT_TYPES = {".ttf": "font/ttf", ".otf": "font/otf"}
# A move is four small fields; anything far bigger is not from the page.
MAX_MOVE_BODY = 16 * 1024
# Telegram's Authorization scheme for Mini Apps: "tma <initData>".
_SCHEME = "tma"
# Ids as the engine makes them ("art", "card_12", "question"); and a run id that fits the
# database's 64-bit column.
_CARD_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_RUN_ID = re.compile(r"[0-9]{1,18}")
_MOVE_FIELDS = frozenset({"version", "op", "card", "column"})
_COLUMNS = (-1, 0, 1, 2)  # left off, then the top scale's points left to right

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
GetApplication = Callable[[], Application]


class BadPageRequest(ValueError):
    """A request from the page that is not one it would send: a missing or malformed `run` or
    `card`, or a move body that is not the contract's JSON object. The message names only the
    kind of fault (never the body). `key` is the locale key the page is answered with."""

    def __init__(self, reason: str, key: str = "mat_page_http.bad_request",
                 status: int = 400) -> None:
        super().__init__(reason)
        self.key = key
        self.status = status


class PagePathClash(SystemExit):
    """The page's path and the webhook's path would be the same, said in one sentence."""


class PagePortError(SystemExit):
    """The page's own server (polling mode) cannot listen where it was told, in one
    sentence."""


def page_prefix(settings: Settings) -> str:
    """The path the page lives under: MYSAY_PUBLIC_URL's path without its trailing "/" (""
    for an address with no path). The page itself is `{prefix}/mat`."""
    if not settings.public_url:
        return ""
    return urlsplit(settings.public_url).path.rstrip("/")


def check_no_clash(prefix: str, webhook_path: str) -> None:
    """Raises PagePathClash when the webhook's path is the page's path or inside it (then
    Telegram's updates would reach the page, or the page's requests the webhook)."""
    base = f"{prefix}/mat"
    path = webhook_path.rstrip("/") or "/"
    if path == base or path.startswith(base + "/"):
        raise PagePathClash(f"The webhook's path {webhook_path} is inside the mat page's path "
                            f"{base}: give --url or MYSAY_PUBLIC_URL a different path.")


def add_mat_page(app: web.Application, prefix: str, get_application: GetApplication) -> None:
    """Add the page's routes to `app` under `{prefix}/mat` (`prefix` "" or a path starting
    with "/" and not ending with one, as `page_prefix` gives). `get_application` gives the
    running bot (the sandbox's changes on "Start over"), for its settings, services and
    Delivery. Raises ValueError for a prefix of another shape."""
    if prefix and (not prefix.startswith("/") or prefix.endswith("/")):
        raise ValueError(f"the mat page's prefix must start with / and not end with it: "
                         f"{prefix!r}")
    pages = _MatPage(get_application)
    base = f"{prefix}/mat"
    router = app.router
    router.add_get(base, _secured(pages.page, no_store=False))
    router.add_get(base + "/static/{path:.+}", _secured(pages.static, no_store=False))
    router.add_get(base + "/font/{name}", _secured(pages.font, no_store=False))
    router.add_get(base + "/api/state", _secured(pages.api("state"), no_store=True))
    router.add_post(base + "/api/move", _secured(pages.api("move"), no_store=True))
    router.add_get(base + "/api/picture", _secured(pages.api("picture"), no_store=True))
    router.add_get(base + "/api/speech", _secured(pages.api("speech"), no_store=True))
    # Anything else under the page's path: a 404 with the same headers.
    router.add_route("*", base + "/{rest:.*}", _secured(pages.not_found, no_store=True))


def _secured(handler: Handler, *, no_store: bool) -> Handler:
    """`handler` with the page's security headers on every answer (CSP, nosniff, no-referrer;
    no-store when `no_store`), including aiohttp's own refusals raised inside it."""

    async def secured(request: web.Request) -> web.StreamResponse:
        try:
            response = await handler(request)
        except web.HTTPException as refusal:
            response = web.Response(status=refusal.status, text=refusal.reason)
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        if no_store:
            response.headers["Cache-Control"] = "no-store"
        return response

    return secured


class _MatPage:
    """The handlers, each reading the running bot through `get_application` per request."""

    def __init__(self, get_application: GetApplication) -> None:
        self.get_application = get_application

    def _locale(self) -> Locale:
        return services_of_application(self.get_application()).content.locale

    def _error(self, key: str, status: int) -> web.Response:
        return web.json_response({"error": self._locale()(key)}, status=status)

    # -- the page and its files ---------------------------------------------------------

    async def page(self, _request: web.Request) -> web.StreamResponse:
        """The page itself, or 503 with one sentence when it is not installed."""
        path = STATIC_DIR / PAGE_FILE
        if not path.is_file():
            log.warning("the mat page was asked for, but %s is missing", PAGE_FILE)
            return web.Response(status=503, text=self._locale()("mat_page_http.no_page"))
        return web.FileResponse(path, headers={"Content-Type": CONTENT_TYPES[".html"],
                                               "Cache-Control": "no-cache"})

    async def static(self, request: web.Request) -> web.StreamResponse:
        """A file of the page from STATIC_DIR, or 404."""
        path = static_file(STATIC_DIR, request.match_info["path"])
        if path is None:
            return self._not_found_text()
        return web.FileResponse(path, headers={"Content-Type": CONTENT_TYPES[path.suffix],
                                               "Cache-Control": "no-cache"})

    async def font(self, request: web.Request) -> web.StreamResponse:
        """The bold font file a picture card of this family is drawn with (bot.render.fonts:
        OpenDyslexic falls back to Atkinson Hyperlegible when it is not installed), the OpenMoji
        font for `emoji`, or 404."""
        name = request.match_info["name"]
        if name == "emoji":  # OpenMoji: the emoji of the picture cards and the sandbox chat
            try:
                path = emoji_font_path()
            except FileNotFoundError:
                return self._not_found_text()
        elif name in FONT_FAMILIES:
            path = text_font_path(name)
        else:
            return self._not_found_text()
        kind = _FONT_TYPES.get(path.suffix.lower())
        if kind is None or not path.is_file():
            return self._not_found_text()
        return web.FileResponse(path, headers={"Content-Type": kind,
                                               "Cache-Control": "max-age=86400"})

    async def not_found(self, request: web.Request) -> web.StreamResponse:
        """Anything else under the page's path."""
        if "/api/" in request.path:
            return self._error("mat_page_http.not_found", 404)
        return self._not_found_text()

    def _not_found_text(self) -> web.Response:
        return web.Response(status=404, text=self._locale()("mat_page_http.not_found"))

    # -- the API ------------------------------------------------------------------------

    def api(self, what: str) -> Handler:
        """The handler of one API call: "state", "move", "picture" or "speech"."""

        async def handle(request: web.Request) -> web.StreamResponse:
            return await self._api(request, what)

        return handle

    async def _api(self, request: web.Request, what: str) -> web.StreamResponse:
        application = self.get_application()
        services = services_of_application(application)
        if not application.running:  # starting or stopping: no Telegram to send to yet
            return self._error("mat_page_http.starting", 503)
        try:
            user = _signed_user(request, services.settings)
        except InitDataRefused as refused:
            log.info("mat page: refused a %s request (%s)", what, refused)
            return self._error("mat_page_http.not_signed", 401)
        try:
            page_request = await _page_request(request, what)
        except BadPageRequest as bad:
            log.info("mat page: a %s request that is not the page's (%s)", what, bad)
            return self._error(bad.key, bad.status)
        run_id = page_request.run_id
        try:
            answer = await unit_of_work.handle_page(services, user.telegram_user_id,
                                                    page_request)
        except DATABASE_AWAY as error:
            log.warning("mat page: database unavailable for a %s request on run %s: %s",
                        what, run_id, type(error).__name__)
            return self._error("mat_page_http.database_away", 503)
        except Exception as error:  # the page gets kind words; the log gets the kind
            log.error("mat page: a %s request on run %s failed: %s", what, run_id,
                      type(error).__name__)
            return self._error("mat_page_http.went_wrong", 500)
        if answer.status != 200:
            log.info("mat page: %s on run %s answered %s", what, run_id, answer.status)
        await self._send_to_chat(application, user, answer, run_id)
        return _response(answer)

    async def _send_to_chat(self, application: Application, user: WebAppUser,
                            answer: PageAnswer, run_id: int) -> None:
        """What the chat shows after the page's move (committed already): new messages in
        the young person's private chat, whose id is their user id (Bot API `Chat.id`). A
        failure is logged and the page still gets its answer: the next tap in the chat shows
        where they are."""
        if answer.result is None or not answer.result.replies:
            return
        try:
            await delivery_for_application(application).deliver_to_chat(
                user.telegram_user_id, answer.result)
        except TelegramError as error:
            log.warning("mat page: could not send the chat its messages after run %s: %s",
                        run_id, type(error).__name__)
        except Exception as error:  # drawing a card, say: the move is kept all the same
            log.error("mat page: telling the chat after run %s failed: %s", run_id,
                      type(error).__name__)


def _response(answer: PageAnswer) -> web.Response:
    """The page's answer: bytes with their type (a picture, speech), or JSON."""
    if answer.data is not None:
        return web.Response(status=answer.status, body=answer.data,
                            content_type=answer.mime_type or "application/octet-stream")
    return web.json_response(answer.body or {}, status=answer.status)


def static_file(folder: Path, relative: str) -> Path | None:
    """The file `relative` names inside `folder`, if it is a regular file there of a kind in
    CONTENT_TYPES; None for anything else: a folder, a hidden file, `..` or `.` parts,
    backslashes, or a symbolic link leading out of `folder`."""
    parts = relative.split("/")
    if any(part in ("", ".", "..") or part.startswith(".") or "\\" in part or "\0" in part
           for part in parts):
        return None
    root = folder.resolve()
    try:
        path = root.joinpath(*parts).resolve()
    except (OSError, ValueError):
        return None
    if not path.is_relative_to(root) or not path.is_file():
        return None
    return path if path.suffix in CONTENT_TYPES else None


# -- reading a request ------------------------------------------------------------------------


def _signed_user(request: web.Request, settings: Settings) -> WebAppUser:
    """Who Telegram signed this request's initData for. Raises InitDataRefused when the
    Authorization header is missing or not `tma <initData>`, or the data does not pass
    `check_init_data` with this bot's token."""
    header = request.headers.get("Authorization", "")
    scheme, _, init_data = header.strip().partition(" ")
    if scheme.lower() != _SCHEME or not init_data.strip():
        raise InitDataRefused("no initData")
    token = settings.telegram_bot_token
    if token is None:  # a bot always has one; without it nothing can be checked
        raise InitDataRefused("no bot token to check with")
    return check_init_data(init_data.strip(), token.get_secret_value())


async def _page_request(request: web.Request, what: str) -> PageRequest:
    """The PageRequest a request makes. Raises BadPageRequest."""
    run_id = int(_one(request, "run", _RUN_ID))
    if what == "move":
        return PageRequest(run_id, "move", move=read_move(await _body(request)))
    if what in ("picture", "speech"):
        return PageRequest(run_id, what, card=_one(request, "card", _CARD_ID))
    return PageRequest(run_id, "state")


def _one(request: web.Request, name: str, shape: re.Pattern[str]) -> str:
    """The query parameter `name`, given once and of `shape`. Raises BadPageRequest."""
    given = request.query.getall(name, [])
    if len(given) != 1 or not shape.fullmatch(given[0]):
        raise BadPageRequest(f"no {name}" if not given else f"a {name} of the wrong shape")
    return given[0]


async def _body(request: web.Request) -> bytes:
    """A move's body, at most MAX_MOVE_BODY bytes. Raises BadPageRequest: 413 beyond it, 400
    for a body cut short."""
    if (request.content_length or 0) > MAX_MOVE_BODY:
        raise BadPageRequest("a body too big", "mat_page_http.too_big", 413)
    body = bytearray()
    while len(body) <= MAX_MOVE_BODY:
        try:
            chunk = await request.content.read(MAX_MOVE_BODY + 1 - len(body))
        except (OSError, asyncio.IncompleteReadError, aiohttp.ClientPayloadError):
            # The page went away mid-body (a closed sheet, a lost signal): nothing to move.
            raise BadPageRequest("a body cut short") from None
        if not chunk:
            return bytes(body)
        body += chunk
    raise BadPageRequest("a body too big", "mat_page_http.too_big", 413)


def read_move(body: bytes) -> PageMove:
    """The move in a body: UTF-8 JSON, an object with `version` (a whole number, 0 or
    more), `op` (one of MOVE_OPS), and optionally `card` (a card id or null) and `column`
    (-1, 0, 1, 2 or null), and nothing else (read by bot.strict_json). Raises BadPageRequest
    for anything else."""
    try:  # strict JSON, as the webhook reads Telegram's: no NaN, no number beyond 64 bits
        data: Any = strict_json.loads(body)
    except strict_json.NotJSON as error:
        raise BadPageRequest(str(error)) from None
    if not isinstance(data, dict):
        raise BadPageRequest("not a JSON object")
    if set(data) - _MOVE_FIELDS:
        raise BadPageRequest("a field a move does not have")
    version, op = data.get("version"), data.get("op")
    card, column = data.get("card"), data.get("column")
    # bool is an int too; strict_json refused any number beyond 64 bits already.
    if type(version) is not int or version < 0:
        raise BadPageRequest("no version")
    if not isinstance(op, str) or op not in MOVE_OPS:
        raise BadPageRequest("no move of that name")
    if card is not None and (not isinstance(card, str) or not _CARD_ID.fullmatch(card)):
        raise BadPageRequest("a card of the wrong shape")
    if column is not None and (type(column) is not int or column not in _COLUMNS):
        raise BadPageRequest("a column that is not on the mat")
    return PageMove(version=version, op=op, card=card, column=column)


# -- polling mode: a server with only the page ------------------------------------------------


def page_app(prefix: str, get_application: GetApplication) -> web.Application:
    """An aiohttp application serving only the page's routes (polling mode's
    `--webapp-port`, behind the service's HTTPS proxy)."""
    app = web.Application(client_max_size=MAX_MOVE_BODY)
    add_mat_page(app, prefix, get_application)
    return app


def check_address(listen: str, port: int) -> None:
    """Raises PagePortError, in one sentence, when (listen, port) cannot be listened on now
    (the port in use, an address not on this machine): said at start-up, before the
    database or Telegram is touched. `PageServer.start` still says so if it is taken later."""
    try:
        found = socket.getaddrinfo(listen, port, type=socket.SOCK_STREAM,
                                   flags=socket.AI_PASSIVE)
        for family, kind, proto, _name, address in found:
            with socket.socket(family, kind, proto) as probe:
                # As aiohttp listens: a port left in TIME_WAIT by the last run is free.
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                probe.bind(address)
    except OSError as error:
        raise _port_error(listen, port, error) from None


def _port_error(listen: str, port: int, error: OSError) -> PagePortError:
    """The one sentence for an address the page's server cannot listen on, with the setting
    to change: --webapp-listen when the host is not this machine's (a name that does not
    resolve, or an address of another machine), --webapp-port when the port is taken or
    needs privileges, else both."""
    where = f"The Talking Mat page cannot listen on {listen}:{port}"
    if isinstance(error, socket.gaierror):
        return PagePortError(f"{where} ({listen} is not a name or address this machine knows): "
                             f"give --webapp-listen an address of this machine, such as "
                             f"127.0.0.1.")
    if error.errno == errno.EADDRNOTAVAIL:
        return PagePortError(f"{where} ({listen} is not an address of this machine): give "
                             f"--webapp-listen an address of this machine, such as 127.0.0.1.")
    if error.errno in (errno.EADDRINUSE, errno.EACCES):
        why = "the port is in use" if error.errno == errno.EADDRINUSE else \
            "this port needs privileges"
        return PagePortError(f"{where} ({why}): give --webapp-port another port.")
    why = (error.strerror or type(error).__name__).lower()
    return PagePortError(f"{where} ({why}): check --webapp-listen and --webapp-port.")


class PageServer:
    """The page's own web server beside long polling: `start` listens on (listen, port),
    `stop` finishes the requests in hand and closes it."""

    def __init__(self, app: web.Application, listen: str, port: int) -> None:
        self.app = app
        self.listen = listen
        self.port = port
        self._runner: web.AppRunner | None = None

    async def start(self) -> int:
        """Listen; returns the port (useful with port 0). Raises PagePortError when the
        address cannot be used (the port taken, an address not on this machine)."""
        runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=10.0)
        await runner.setup()
        try:
            await web.TCPSite(runner, self.listen, self.port).start()
        except OSError as error:
            await runner.cleanup()
            raise _port_error(self.listen, self.port, error) from None
        self._runner = runner
        port = int(runner.addresses[0][1])
        log.info("serving the mat page on %s:%s", self.listen, port)
        return port

    async def stop(self) -> None:
        """Stop serving; requests in hand finish first."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
