"""The sandbox: try MySay with no token and no internet, in one process.

`python -m bot sandbox` starts three parts, all on 127.0.0.1:

- the local Telegram Bot API (`FakeBotAPI`, the same part the tests use) on a free port;
- the real MySay bot, built by `build_application` exactly as `python -m bot run` builds it,
  pointed at that API, on a SQLite file in a sandbox data folder;
- a small web page that looks and works like a phone chat, where one person plays the young
  person, their therapist and a parent (`bot/sandbox/static/`).

The same web server also serves the Talking Mat page (issue 16) under `/app`, standing in for the
HTTPS proxy a real service puts in front of it: the bot is told its public address is
`PUBLIC_URL`, and the chat opens a `web_app` button whose URL starts with it in an overlay that
plays Telegram's part (the Mini App sheet, and initData signed with the sandbox token).

Every start, and every "Start over", begins with a fresh database and fresh chats, set up by
`bot.sandbox.seed`. The data key is made new each time and never written down, so nothing a
sandbox chat stored can be read after it ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import html
import io
import json
import logging
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from aiohttp import web
from cryptography.fernet import Fernet
from PIL import Image, UnidentifiedImageError
from pydantic import SecretStr
from telegram import Update
from telegram.ext import Application, ContextTypes, TypeHandler

from bot.app import build_application, services_of
from bot.config import Settings
from bot.i18n import Locale
from bot.render.fonts import atkinson_path, emoji_font_path
from bot.sandbox import seed as seeding
from bot.sandbox.fake_api import MAX_PHOTO_BYTES, FakeBotAPI, SentMessage, Validator
from bot.sandbox.seed import Persona
from bot.services import Content, load_content
from bot.telegram.lifecycle import start_embedded, stop_embedded, stop_on_signals
from bot.webapp.init_data import sign_init_data
from bot.webapp.server import add_mat_page

log = logging.getLogger(__name__)

# Shaped like a token so every part treats it as one; plainly not a real one.
SANDBOX_TOKEN = "7000000:SANDBOX-not-a-real-token-000000000000000"
BOT_USERNAME = "MySaySandboxBot"
DATABASE_NAME = "sandbox.sqlite3"
HOST = "127.0.0.1"
DEFAULT_PORT = 8080
MAX_TEXT = 4096  # Telegram's limit for one message
MAX_VOICE_BYTES = 10 * 1024 * 1024
MAX_REQUEST_BYTES = MAX_PHOTO_BYTES + 1024 * 1024
MAX_VOICE_SECONDS = 3600
_WAIT_SECONDS = 20.0
_KEEP_ALIVE_SECONDS = 15.0
_LAST_GROUP = 10_000  # after every MySay handler: "processed" means the replies were sent
STATIC_DIR = Path(__file__).resolve().parent / "static"
# The mat page's public address as the sandbox's bot knows it (MYSAY_PUBLIC_URL). The host is
# in the reserved .invalid domain (RFC 2606), so it can never reach anything: the sandbox chat
# opens such a URL on its own web server, under the same path.
PUBLIC_URL = "https://mysay.sandbox.invalid/app"
PAGE_PREFIX = "/app"
_PLACEHOLDER = re.compile(r"\{\{(sandbox\.[a-z_.]+)\}\}")
_FILE_ID = re.compile(r"^[A-Za-z0-9_-]{1,128}$")


class SandboxInputError(Exception):
    """Something the person sent that the sandbox cannot pass on; `key` names the kind words."""

    def __init__(self, key: str, status: int = 400) -> None:
        super().__init__(key)
        self.key = key
        self.status = status


class NotReady(Exception):
    """The sandbox is starting or starting over."""


def default_data_dir(settings: Settings) -> Path:
    """`<MYSAY_DATA_DIR>/sandbox` when MYSAY_DATA_DIR is set, else `./sandbox-data`: never the
    real bot's database, because "Start over" deletes it."""
    if "data_dir" in settings.model_fields_set:
        return settings.data_dir / "sandbox"
    return Path("sandbox-data")


class Sandbox:
    """The fake Telegram, the real bot and the seeded people, started and reset together."""

    def __init__(self, settings: Settings, data_dir: Path, *, validator: Validator | None = None,
                 poll_timeout: int = 10, content: Content | None = None) -> None:
        self.base_settings = settings
        self.data_dir = data_dir
        self.validator = validator
        self.poll_timeout = poll_timeout
        # Broken flow files (or a broken MYSAY_SYMBOLS_DIR) stop us here.
        self.content = content or load_content(settings.flows_dir, settings.symbols_dir)
        self.api: FakeBotAPI | None = None
        self.application: Application | None = None
        self.ready = False
        self._processed: set[int] = set()
        self._changed = asyncio.Event()
        self._listeners: set[asyncio.Queue[dict[str, Any] | None]] = set()
        self._pump: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    @property
    def locale(self) -> Locale:
        return self.content.locale

    @property
    def database_path(self) -> Path:
        return self.data_dir / DATABASE_NAME

    # -- life cycle -----------------------------------------------------------------------

    async def start(self) -> None:
        async with self._lock:
            await self._start_parts()

    async def stop(self) -> None:
        async with self._lock:
            await self._stop_parts()
            self._wipe_database()
            with contextlib.suppress(OSError):  # only if nothing else is in it
                self.data_dir.rmdir()
        for queue in list(self._listeners):
            queue.put_nowait(None)  # ends every open event stream

    async def reset(self) -> None:
        """Start over: a fresh database, fresh chats, the people set up again."""
        async with self._lock:
            self._broadcast({"type": "resetting"})
            await self._stop_parts()
            await self._start_parts()
        self._broadcast({"type": "reset"})

    def bot_settings(self, api: FakeBotAPI) -> Settings:
        """The settings MySay was started with, minus anything that could reach a real service."""
        return self.base_settings.model_copy(update={
            "telegram_bot_token": SecretStr(SANDBOX_TOKEN),
            "database_url": f"sqlite+aiosqlite:///{self.database_path.resolve()}",
            "telegram_api_base_url": api.base_url,
            "telegram_api_base_file_url": api.base_file_url,
            "data_dir": self.data_dir,
            "data_keys": SecretStr(Fernet.generate_key().decode()),
            "bot_username": None,
            "public_url": PUBLIC_URL,
        })

    async def _start_parts(self) -> None:
        self._wipe_database()
        api = FakeBotAPI(SANDBOX_TOKEN, bot_username=BOT_USERNAME, validator=self.validator)
        await api.start(HOST, 0)
        self.api = api
        self._pump = asyncio.create_task(self._forward(api, api.subscribe()))
        try:
            await self._start_bot(api)
            await seeding.seed(api, services_of(self._require_application()),
                               self._wait_for_seed)
        except BaseException:
            await self._stop_parts()
            raise
        self.ready = True
        log.info("sandbox ready: %s is set up and %s is invited",
                 seeding.THERAPIST.first_name, seeding.YOUNG_PERSON.first_name)

    async def _start_bot(self, api: FakeBotAPI) -> None:
        # Polling that confirms an update only once it is handled (bot.telegram.polling).
        application = build_application(self.bot_settings(api), self.content)
        application.add_handler(TypeHandler(Update, self._mark), group=_LAST_GROUP)
        self.application = application
        await start_embedded(application, poll_timeout=self.poll_timeout)

    async def _stop_parts(self) -> None:
        self.ready = False
        application, self.application = self.application, None
        if application is not None:
            await stop_embedded(application)
        pump, self._pump = self._pump, None
        if pump is not None:
            pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pump
        api, self.api = self.api, None
        if api is not None:
            await api.stop()
        self._processed.clear()

    def _wipe_database(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        for suffix in ("", "-wal", "-shm", "-journal"):
            path = self.data_dir / f"{DATABASE_NAME}{suffix}"
            path.unlink(missing_ok=True)

    def _require_application(self) -> Application:
        if self.application is None:
            raise NotReady()
        return self.application

    # -- knowing when the bot has answered ----------------------------------------------------

    async def _mark(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        self._processed.add(update.update_id)
        self._changed.set()

    async def wait_processed(self, update_id: int, seconds: float = _WAIT_SECONDS) -> bool:
        """Whether the bot handled the update (and sent its replies) within `seconds`."""
        try:
            async with asyncio.timeout(seconds):
                while update_id not in self._processed:
                    self._changed.clear()
                    await self._changed.wait()
        except TimeoutError:
            return False
        return True

    async def _wait_for_seed(self, update_id: int) -> None:
        if not await self.wait_processed(update_id):
            raise seeding.SeedError("the bot did not answer in time")

    # -- what the people do ---------------------------------------------------------------

    def _require_api(self) -> FakeBotAPI:
        if not self.ready or self.api is None:
            raise NotReady()
        return self.api

    def send_text(self, who: Persona, text: str) -> int:
        api = self._require_api()
        if not text.strip():
            raise SandboxInputError("error.empty")
        if len(text) > MAX_TEXT:
            raise SandboxInputError("error.too_long")
        return api.push_message(who.user_id, text, first_name=who.first_name)

    def send_photo(self, who: Persona, data: bytes, caption: str | None) -> int:
        api = self._require_api()
        if not data:
            raise SandboxInputError("error.not_picture")
        if len(data) > MAX_PHOTO_BYTES:
            raise SandboxInputError("error.too_big", 413)
        if caption is not None and len(caption) > 1024:
            raise SandboxInputError("error.too_long")
        # Checked first: FakeBotAPI.push_message keeps the message even when it then
        # refuses the photo, which would leave an empty bubble in the chat.
        if not _telegram_would_take(data):
            raise SandboxInputError("error.not_picture")
        try:
            return api.push_message(who.user_id, None, first_name=who.first_name, photo=data,
                                    caption=caption or None)
        except ValueError:  # Telegram could not read it as a picture
            raise SandboxInputError("error.not_picture") from None

    def send_voice(self, who: Persona, data: bytes, duration: int) -> int:
        api = self._require_api()
        if not data:
            raise SandboxInputError("error.not_voice")
        if len(data) > MAX_VOICE_BYTES:
            raise SandboxInputError("error.too_big", 413)
        seconds = min(max(duration, 1), MAX_VOICE_SECONDS)
        return api.push_message(who.user_id, None, first_name=who.first_name, voice=data,
                                duration=seconds)

    def tap(self, who: Persona, message_id: int, data: str) -> tuple[int, str]:
        """Press an inline button; (update id, callback query id)."""
        api = self._require_api()
        try:
            return api.push_callback(who.user_id, message_id, data)
        except ValueError:  # the message or the button is no longer there
            raise SandboxInputError("error.button_gone", 409) from None

    # -- what the page shows ----------------------------------------------------------------

    def words(self) -> dict[str, str]:
        return {key.removeprefix("sandbox."): self.locale(key)
                for key in self.locale.keys() if key.startswith("sandbox.")}

    def snapshot(self) -> dict[str, Any]:
        api = self.api if self.ready else None
        chats: dict[str, list[dict[str, Any]]] = {}
        for person in seeding.PERSONAS:
            messages = api.messages_in(person.user_id, include_user=True) if api else []
            chats[person.key] = [message_view(api, m) for m in messages] if api else []
        return {
            "ready": self.ready and api is not None,
            "bot": {"username": api.bot_username if api else BOT_USERNAME},
            "personas": [{"key": p.key, "name": p.first_name, "userId": p.user_id}
                         for p in seeding.PERSONAS],
            "publicUrl": PUBLIC_URL,
            "chats": chats,
            "words": self.words(),
        }

    def init_data(self, who: Persona, now: datetime | None = None) -> str:
        """The initData Telegram would give a Mini App opened by `who` now: signed with the
        sandbox token exactly as Telegram signs it (Bot API, "Validating data received via the
        Mini App"), so the mat page's server checks it as it checks a real one.

        Raises NotReady while the sandbox is starting or starting over."""
        self._require_api()
        return sign_init_data(SANDBOX_TOKEN, who.user_id, who.first_name, now or datetime.now(UTC))

    def current_application(self) -> Application:
        """The bot now running (it is a new one after every "Start over"), for the mat page.

        Raises NotReady while the sandbox is starting or starting over."""
        return self._require_application()

    def file(self, file_id: str) -> tuple[bytes, str, str | None] | None:
        """(bytes, content type, download name for documents) of a file in a chat."""
        api = self._require_api()
        stored = api.files.get(file_id)
        if stored is None:
            return None
        if stored.kind == "document":
            return stored.data, stored.mime_type or "application/octet-stream", (
                stored.file_name or "file")
        return stored.data, _content_type(stored.kind, stored.data, stored.mime_type), None

    # -- live updates -----------------------------------------------------------------------

    def listen(self) -> asyncio.Queue[dict[str, Any] | None]:
        queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self._listeners.add(queue)
        return queue

    def unlisten(self, queue: asyncio.Queue[dict[str, Any] | None]) -> None:
        self._listeners.discard(queue)

    def _broadcast(self, event: dict[str, Any]) -> None:
        for queue in self._listeners:
            queue.put_nowait(event)

    async def _forward(self, api: FakeBotAPI, queue: asyncio.Queue[dict[str, Any]]) -> None:
        try:
            while True:
                raw = await queue.get()
                try:
                    event = event_view(api, raw)
                except (KeyError, TypeError, ValueError):  # keep the page live whatever came
                    log.exception("sandbox: could not show event %s", raw.get("type"))
                    continue
                if event is not None:
                    self._broadcast(event)
        finally:
            api.unsubscribe(queue)


def _telegram_would_take(data: bytes) -> bool:
    """Whether Telegram would take these bytes as a photo (a picture, of sensible shape)."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return False
    return width + height <= 10_000 and max(width, height) <= 20 * max(min(width, height), 1)


# -- views: what the page gets ------------------------------------------------------------------


def _button_view(button: dict[str, Any]) -> dict[str, Any]:
    """One inline button as the page draws it: `data` (callback_data), `url` (a link) or
    `webApp` (a Mini App's URL, from `web_app: {url}`; Bot API InlineKeyboardButton)."""
    view: dict[str, Any] = {"text": str(button.get("text", ""))}
    web_app = button.get("web_app")
    if "callback_data" in button:
        view["data"] = str(button["callback_data"])
    elif isinstance(web_app, dict) and isinstance(web_app.get("url"), str):
        view["webApp"] = web_app["url"]
    elif "url" in button:
        view["url"] = str(button["url"])
    return view


def message_view(api: FakeBotAPI, message: SentMessage) -> dict[str, Any]:
    """One chat message as the page draws it (plain text, file ids, buttons)."""
    view: dict[str, Any] = {
        "id": message.message_id, "fromBot": message.from_bot,
        "text": message.display_text or "", "date": message.date,
        "edited": message.edit_date is not None,
        "buttons": [[_button_view(b) for b in row] for row in message.inline_keyboard],
    }
    if message.photo and message.photo in api.files:
        stored = api.files[message.photo]  # its size lets the page keep room before it loads
        view["photo"] = {"fileId": stored.file_id, "width": stored.width or 0,
                         "height": stored.height or 0}
    if message.sticker:
        view["sticker"] = True
    for kind in ("voice", "audio"):
        file_id = getattr(message, kind)
        if file_id and file_id in api.files:
            view["voice"] = {"fileId": file_id, "duration": api.files[file_id].duration or 0}
    if message.document and message.document in api.files:
        stored = api.files[message.document]
        view["document"] = {"fileId": stored.file_id, "name": stored.file_name or "file",
                            "size": len(stored.data)}
    return view


def event_view(api: FakeBotAPI, event: dict[str, Any]) -> dict[str, Any] | None:
    """A FakeBotAPI event as the page wants it, or None if it is not about a persona's chat."""
    kind = event.get("type")
    if kind == "callback_answer":
        query = api.callback_queries.get(str(event.get("callback_query_id")), {})
        who = seeding.persona_for_user(int(query.get("from", {}).get("id", 0)))
        if who is None:
            return None
        return {"type": "answer", "persona": who.key, "queryId": event["callback_query_id"],
                "text": event.get("text") or "", "alert": bool(event.get("show_alert"))}
    who = seeding.persona_for_user(int(event.get("chat_id", 0)))
    if who is None:
        return None
    if kind == "chat_action":
        return {"type": "typing", "persona": who.key, "action": event.get("action")}
    if kind == "deleted":
        return {"type": "deleted", "persona": who.key, "id": event["message_id"]}
    message = api.message(int(event["chat_id"]), int(event["message_id"]))
    if kind not in ("sent", "edited", "user_message") or message is None or message.deleted:
        return None
    return {"type": "message", "persona": who.key, "message": message_view(api, message)}


def _content_type(kind: str, data: bytes, mime_type: str | None) -> str:
    """What a picture or voice note really is (a browser records voice as WebM, not Ogg)."""
    if kind in ("photo", "sticker"):
        return mime_type if mime_type and mime_type.startswith("image/") else "image/jpeg"
    if data.startswith(b"OggS"):
        return "audio/ogg"
    if data.startswith(b"\x1a\x45\xdf\xa3"):
        return "audio/webm"
    if mime_type and mime_type.startswith("audio/"):
        return mime_type
    return "application/octet-stream"


# -- the web page and its HTTP API ----------------------------------------------------------------

_CSP = ("default-src 'self'; img-src 'self' blob: data:; media-src 'self' blob:; "
        "style-src 'self'; script-src 'self'; font-src 'self'; connect-src 'self'; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
# The mat page's own answers carry its own CSP (bot.webapp.server, which lets Telegram frame
# it); this one is only a fallback for anything under /app that has none: same-origin framing.
_PAGE_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
             "media-src 'self' blob:; font-src 'self'; connect-src 'self'; base-uri 'none'; "
             "form-action 'none'; frame-ancestors 'self'")
_FONTS: dict[str, Callable[[], Path]] = {
    "atkinson-regular.ttf": lambda: atkinson_path(bold=False),
    "atkinson-bold.ttf": lambda: atkinson_path(bold=True),
    "openmoji.ttf": emoji_font_path,
}
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class SandboxWeb:
    """The page (index.html, CSS, JS, fonts) and the JSON + event-stream API it uses."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self._page: str | None = None

    def app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_REQUEST_BYTES,
                              middlewares=[self._guard, self._kind_errors])
        app.router.add_get("/", self.index)
        app.router.add_static("/static", STATIC_DIR)
        app.router.add_get("/fonts/{name}", self.font)
        app.router.add_get("/api/state", self.state)
        app.router.add_get("/api/events", self.events)
        app.router.add_get("/api/file/{file_id}", self.file)
        app.router.add_post("/api/send", self.send)
        app.router.add_post("/api/tap", self.tap)
        app.router.add_post("/api/photo", self.photo)
        app.router.add_post("/api/voice", self.voice)
        app.router.add_post("/api/reset", self.reset)
        app.router.add_post("/api/webapp/init", self.webapp_init)
        # The Talking Mat page, as the service's HTTPS proxy would pass it on (issue 16).
        add_mat_page(app, PAGE_PREFIX, self.sandbox.current_application)
        return app

    # -- middlewares --------------------------------------------------------------------

    @web.middleware
    async def _guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Only this computer's own pages may use the sandbox (no DNS rebinding, no posts from
        other sites), and the page may load nothing from anywhere else."""
        host = request.host.lower()
        sockname = request.transport.get_extra_info("sockname") if request.transport else None
        port = sockname[1] if sockname else None
        allowed = {f"127.0.0.1:{port}", f"localhost:{port}"}
        if host not in allowed:
            return self._error("error.bad_request", 403)
        origin = request.headers.get("Origin")
        if origin is not None and origin.lower() not in {f"http://{h}" for h in allowed}:
            return self._error("error.bad_request", 403)
        response = await handler(request)
        page = request.path.startswith(f"{PAGE_PREFIX}/")
        response.headers.setdefault("Content-Security-Policy", _PAGE_CSP if page else _CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        if request.path.startswith("/api/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @web.middleware
    async def _kind_errors(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except SandboxInputError as error:
            return self._error(error.key, error.status)
        except NotReady:
            return self._error("resetting", 503)
        except web.HTTPRequestEntityTooLarge:
            return self._error("error.too_big", 413)
        except web.HTTPException as error:
            if error.status >= 400 and request.path.startswith("/api/"):
                return self._error("error.bad_request", error.status)
            raise
        except Exception:
            if not request.path.startswith("/api/"):
                raise
            log.exception("sandbox: %s failed", request.path)
            return self._error("error.generic", 500)

    def _error(self, key: str, status: int) -> web.Response:
        return web.json_response({"error": self.sandbox.locale(f"sandbox.{key}")}, status=status)

    # -- the page -------------------------------------------------------------------------

    async def index(self, _request: web.Request) -> web.Response:
        if self._page is None:
            template = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
            locale = self.sandbox.locale
            self._page = _PLACEHOLDER.sub(
                lambda m: html.escape(locale(m.group(1))), template)
        return web.Response(text=self._page, content_type="text/html", charset="utf-8",
                            headers={"Cache-Control": "no-store"})

    async def font(self, request: web.Request) -> web.StreamResponse:
        find = _FONTS.get(request.match_info["name"])
        if find is None:
            raise web.HTTPNotFound()
        try:
            path = find()
        except FileNotFoundError:
            raise web.HTTPNotFound() from None
        return web.FileResponse(path, headers={"Content-Type": "font/ttf",
                                               "Cache-Control": "max-age=86400"})

    # -- the API --------------------------------------------------------------------------

    async def state(self, _request: web.Request) -> web.Response:
        return web.json_response(self.sandbox.snapshot())

    async def events(self, request: web.Request) -> web.StreamResponse:
        """Server-Sent Events: every message, edit, tap answer and "typing" as it happens."""
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream",
                                               "Cache-Control": "no-store"})
        await response.prepare(request)
        queue = self.sandbox.listen()
        try:
            await response.write(b"retry: 1000\n\n")
            while True:
                try:
                    event = await asyncio.wait_for(queue.get(), _KEEP_ALIVE_SECONDS)
                except TimeoutError:
                    await response.write(b": still here\n\n")
                    continue
                if event is None:
                    break
                await response.write(f"data: {json.dumps(event)}\n\n".encode())
        except (ConnectionResetError, ConnectionError):
            pass  # the page was closed
        finally:
            self.sandbox.unlisten(queue)
        return response

    async def file(self, request: web.Request) -> web.Response:
        file_id = request.match_info["file_id"]
        found = self.sandbox.file(file_id) if _FILE_ID.match(file_id) else None
        if found is None:
            raise web.HTTPNotFound()
        data, content_type, download = found
        headers = {"Cache-Control": "private, max-age=3600"}
        if download is not None:
            headers["Content-Disposition"] = (
                f"attachment; filename*=UTF-8''{quote(download, safe='')}")
        return web.Response(body=data, content_type=content_type, headers=headers)

    async def send(self, request: web.Request) -> web.Response:
        body = await _json_body(request)
        who = _persona(body.get("persona"))
        text = body.get("text")
        if not isinstance(text, str):
            raise SandboxInputError("error.empty")
        return await self._sent(request, self.sandbox.send_text(who, text))

    async def tap(self, request: web.Request) -> web.Response:
        body = await _json_body(request)
        who = _persona(body.get("persona"))
        message_id, data = body.get("message_id"), body.get("data")
        if not isinstance(message_id, int) or not isinstance(data, str):
            raise SandboxInputError("error.button_gone", 409)
        update_id, query_id = self.sandbox.tap(who, message_id, data)
        return await self._sent(request, update_id, queryId=query_id)

    async def photo(self, request: web.Request) -> web.Response:
        form = await _form(request)
        who = _persona(form.get("persona"))
        upload = form.get("file")
        if not isinstance(upload, web.FileField):
            raise SandboxInputError("error.not_picture")
        caption = form.get("caption")
        update_id = self.sandbox.send_photo(who, upload.file.read(),
                                            caption if isinstance(caption, str) else None)
        return await self._sent(request, update_id)

    async def voice(self, request: web.Request) -> web.Response:
        form = await _form(request)
        who = _persona(form.get("persona"))
        upload = form.get("file")
        if not isinstance(upload, web.FileField):
            raise SandboxInputError("error.not_voice")
        try:
            duration = round(float(str(form.get("duration", "1"))))
        except ValueError:
            duration = 1
        return await self._sent(request,
                                self.sandbox.send_voice(who, upload.file.read(), duration))

    async def reset(self, _request: web.Request) -> web.Response:
        await self.sandbox.reset()
        return web.json_response(self.sandbox.snapshot())

    async def webapp_init(self, request: web.Request) -> web.Response:
        """`{"persona": key}` -> `{"init_data": ...}`: what Telegram hands a Mini App opened by
        that persona (the page reads it from the URL's `#tgWebAppData=`)."""
        body = await _json_body(request)
        who = _persona(body.get("persona"))
        return web.json_response({"init_data": self.sandbox.init_data(who)})

    async def _sent(self, request: web.Request, update_id: int, **extra: Any) -> web.Response:
        """`?wait=1` answers once the bot has replied (for scripts and tests)."""
        body: dict[str, Any] = {"updateId": update_id, **extra}
        if request.query.get("wait") == "1":
            body["processed"] = await self.sandbox.wait_processed(update_id)
        return web.json_response(body)


def _persona(key: object) -> Persona:
    found = seeding.persona(key) if isinstance(key, str) else None
    if found is None:
        raise SandboxInputError("error.who")
    return found


async def _json_body(request: web.Request) -> dict[str, Any]:
    if request.content_type != "application/json":
        raise SandboxInputError("error.bad_request", 415)
    try:
        body = await request.json()
    except ValueError:
        raise SandboxInputError("error.bad_request") from None
    if not isinstance(body, dict):
        raise SandboxInputError("error.bad_request")
    return body


async def _form(request: web.Request) -> dict[str, Any]:
    if request.content_type != "multipart/form-data":
        raise SandboxInputError("error.bad_request", 415)
    try:
        return dict(await request.post())
    except ValueError:
        raise SandboxInputError("error.bad_request") from None


# -- running it -----------------------------------------------------------------------------------


class SandboxServer:
    """The web page on 127.0.0.1:port plus the sandbox behind it."""

    def __init__(self, sandbox: Sandbox, port: int = DEFAULT_PORT) -> None:
        self.sandbox = sandbox
        self.requested_port = port
        self.port: int | None = None
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        if self.port is None:
            raise RuntimeError("the sandbox is not started")
        return f"http://{HOST}:{self.port}"

    async def start(self) -> None:
        """Take the port first (a busy port fails at once), then start the bot and seed."""
        runner = web.AppRunner(SandboxWeb(self.sandbox).app(), access_log=None,
                               shutdown_timeout=2.0)
        await runner.setup()
        try:
            await web.TCPSite(runner, HOST, self.requested_port).start()
        except OSError as error:
            await runner.cleanup()
            if error.errno == errno.EADDRINUSE:
                raise SystemExit(
                    f"Port {self.requested_port} is in use. Try another one: "
                    f"python -m bot sandbox --port {self.requested_port + 1}") from None
            raise
        self._runner = runner
        self.port = int(runner.addresses[0][1])
        try:
            await self.sandbox.start()
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        await self.sandbox.stop()
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()


async def serve(settings: Settings, *, port: int, data_dir: Path,
                announce: Callable[[str], None]) -> None:
    """Run until Ctrl+C (SIGINT) or SIGTERM; `announce` gets the address once it works."""
    stop = asyncio.Event()
    stop_on_signals(stop)
    server = SandboxServer(Sandbox(settings, data_dir), port)
    try:
        await server.start()
    except seeding.SeedError as error:
        raise SystemExit(f"The sandbox could not start: {error}.") from None
    try:
        announce(server.url)
        await stop.wait()
    finally:
        await server.stop()
