"""A local, in-memory fake of the Telegram Bot API, served over HTTP on 127.0.0.1.

`FakeBotAPI` speaks the real Bot API wire protocol, so an unmodified python-telegram-bot
`Application` can run against it::

    api = FakeBotAPI("123:abc")
    await api.start()
    app = (
        Application.builder().token("123:abc")
        .base_url(api.base_url).base_file_url(api.base_file_url).build()
    )

It plays the part of Telegram's servers *and* of the people chatting with the bot: the
`push_*` methods queue updates as if users had sent them, and the bot's replies are kept as
`SentMessage` objects (with edits applied in place) that tests or a local web chat can read,
or stream through `subscribe()`. Errors mimic Telegram's own status codes and descriptions,
and `inject_fault` / `block_user` make it misbehave on purpose.

Everything runs on the event loop that called `start()`; the synchronous methods must be
called from that loop's thread.
"""

from __future__ import annotations

import asyncio
import copy
import inspect
import io
import itertools
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from aiohttp import web
from PIL import Image, UnidentifiedImageError

__all__ = [
    "FakeBotAPI",
    "RecordedRequest",
    "SentMessage",
    "StoredFile",
    "UploadedFile",
    "Validator",
]

_LOG = logging.getLogger(__name__)

JSONDict = dict[str, Any]
Validator = Callable[[str, dict[str, Any], dict[str, "UploadedFile"]], list[str]]

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024
# inject_fault's name for fetching a file's bytes from the file URL (after getFile).
FILE_DOWNLOAD = "fileDownload"
THUMBNAIL_SIDE = 90

_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
_QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"
_BLOCKED = "Forbidden: bot was blocked by the user"
# Form fields that carry free text and must never be JSON-decoded, even if they look like JSON.
_PLAIN_TEXT_PARAMS = frozenset(
    {"text", "caption", "quote", "title", "description", "short_description", "name",
     "question", "explanation", "performer", "data", "url", "secret_token", "file_id",
     "callback_query_id", "inline_message_id", "chat_id", "action", "parse_mode"}
)
_CHAT_ACTIONS = frozenset(
    {"typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
     "upload_document", "choose_sticker", "find_location", "record_video_note",
     "upload_video_note"}
)
_HTML_TAGS = frozenset(
    {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a",
     "tg-emoji", "tg-time", "code", "pre", "blockquote"}
)
_MDV2_RESERVED = "_*[]()~`>#+-=|{}.!"
_FILE_PREFIX = {"photo": "AgAC", "voice": "AwAC", "audio": "CQAC", "document": "BQAC",
                "sticker": "CAAC"}
_FILE_SUFFIX = {"photo": "jpg", "voice": "oga", "audio": "mp3", "sticker": "webp"}
_MIME_DEFAULT = {"voice": "audio/ogg", "audio": "audio/mpeg"}
_FILE_DIR = {"photo": "photos", "voice": "voice", "audio": "music", "document": "documents",
             "sticker": "stickers"}
_DEFAULT_ALLOWED_UPDATES = frozenset(
    {"message", "edited_message", "channel_post", "edited_channel_post", "callback_query",
     "inline_query", "chosen_inline_result", "shipping_query", "pre_checkout_query", "poll",
     "poll_answer", "my_chat_member", "chat_join_request", "chat_boost", "removed_chat_boost",
     "business_connection", "business_message", "edited_business_message",
     "deleted_business_messages", "purchased_paid_media"}
)


class BotAPIError(Exception):
    """An error answered to the bot exactly as Telegram would (status + description)."""

    def __init__(self, status: int, description: str, parameters: JSONDict | None = None):
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def body(self) -> JSONDict:
        """The JSON body Telegram sends for this error."""
        body: JSONDict = {"ok": False, "error_code": self.status, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def _bad(description: str) -> BotAPIError:
    return BotAPIError(400, f"Bad Request: {description}")


@dataclass(frozen=True)
class UploadedFile:
    """One file part of a multipart/form-data request."""

    data: bytes
    filename: str | None = None
    content_type: str | None = None


@dataclass
class RecordedRequest:
    """One Bot API call made by the bot. `status` stays None while it is being handled."""

    method: str
    params: dict[str, Any]
    files: dict[str, UploadedFile]
    at: float
    status: int | None = None
    response: JSONDict | None = None
    reused_file_ids: list[str] = field(default_factory=list)
    fault_injected: bool = False

    @property
    def done(self) -> bool:
        """Whether an answer (or a dropped connection, status 0) has been produced."""
        return self.status is not None

    @property
    def ok(self) -> bool:
        return self.status == 200


@dataclass
class StoredFile:
    """A file known to the fake server, downloadable via getFile + the file URL."""

    file_id: str
    file_unique_id: str
    kind: str
    data: bytes
    file_path: str
    mime_type: str | None = None
    file_name: str | None = None
    width: int | None = None
    height: int | None = None
    duration: int | None = None
    photo_group: tuple[str, ...] = ()  # photo sizes (file ids, smallest first) of one photo


@dataclass
class SentMessage:
    """A message in a chat: sent by the bot or pushed as a user's message.

    `text`/`caption` are kept as sent (with `parse_mode` markup); `history` holds a
    snapshot of the message before each edit.
    """

    chat_id: int
    message_id: int
    from_id: int
    from_bot: bool
    date: int
    text: str | None = None
    caption: str | None = None
    parse_mode: str | None = None
    entities: list[JSONDict] | None = None
    photo: str | None = None
    voice: str | None = None
    audio: str | None = None
    document: str | None = None
    sticker: str | None = None
    location: tuple[float, float] | None = None
    contact: JSONDict | None = None
    reply_markup: JSONDict | None = None
    reply_to_message_id: int | None = None
    media_group_id: str | None = None
    forward_origin: JSONDict | None = None  # a user's message sent on from someone else
    edit_date: int | None = None
    history: list[JSONDict] = field(default_factory=list)
    deleted: bool = False

    @property
    def inline_keyboard(self) -> list[list[JSONDict]]:
        """The inline keyboard rows, or [] if the message has none."""
        markup = self.reply_markup or {}
        return list(markup.get("inline_keyboard") or [])

    @property
    def display_text(self) -> str | None:
        """Text or caption as the user sees it (HTML/Markdown markup removed)."""
        raw = self.text if self.text is not None else self.caption
        return None if raw is None else _parse_formatted(raw, self.parse_mode)

    def snapshot(self) -> JSONDict:
        """The editable content, as stored in `history`."""
        return {"text": self.text, "caption": self.caption, "parse_mode": self.parse_mode,
                "entities": copy.deepcopy(self.entities), "photo": self.photo,
                "voice": self.voice, "audio": self.audio, "document": self.document,
                "reply_markup": copy.deepcopy(self.reply_markup), "edit_date": self.edit_date}


@dataclass
class _Fault:
    method: str | None
    status: int
    description: str
    retry_after: int | None
    remaining: int
    delay: float
    drop_connection: bool

    def matches(self, method: str) -> bool:
        if self.method is None:
            return method not in ("getUpdates", FILE_DOWNLOAD)
        return self.method.lower() == method.lower()


class _TelegramHTML(HTMLParser):
    """Checks Telegram's HTML subset and extracts the plain text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.open_tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _HTML_TAGS:
            raise _bad(f'can\'t parse entities: Unsupported start tag "{tag}"')
        self.open_tags.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open_tags or self.open_tags[-1] != tag:
            raise _bad(f'can\'t parse entities: Unmatched end tag "{tag}"')
        self.open_tags.pop()

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def _parse_formatted(text: str, parse_mode: str | None) -> str:
    """Return the plain text Telegram would show, raising BotAPIError on bad markup."""
    if not parse_mode:
        return text
    mode = parse_mode.lower()
    if mode == "html":
        parser = _TelegramHTML()
        parser.feed(text)
        parser.close()
        if parser.open_tags:
            raise _bad(
                "can't parse entities: Can't find end tag corresponding to start tag "
                f'"{parser.open_tags[-1]}"'
            )
        return "".join(parser.parts)
    if mode == "markdownv2":
        return _parse_markdown_v2(text)
    if mode == "markdown":
        return "".join(c for c in text if c not in "*_`[")
    raise _bad(f"unsupported parse_mode {parse_mode!r}")


def _parse_markdown_v2(text: str) -> str:
    """Approximate MarkdownV2 parsing: unescaped reserved characters are rejected."""
    out: list[str] = []
    i, n = 0, len(text)
    in_code = in_pre = False
    while i < n:
        char = text[i]
        if char == "\\" and i + 1 < n:
            out.append(text[i + 1])
            i += 2
            continue
        if text.startswith("```", i):
            in_pre = not in_pre
            i += 3
            continue
        if in_pre or in_code:
            if char == "`" and in_code:
                in_code = False
            else:
                out.append(char)
            i += 1
            continue
        if char == "`":
            in_code = True
        elif char == "]" and text.startswith("](", i):
            end = text.find(")", i)
            i = n if end < 0 else end
        elif char in "*_~|[" or (char == ">" and (i == 0 or text[i - 1] == "\n")):
            pass
        elif char in _MDV2_RESERVED:
            raise _bad(
                f"can't parse entities: Character '{char}' is reserved and must be escaped "
                "with the preceding '\\'"
            )
        else:
            out.append(char)
        i += 1
    return "".join(out)


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _maybe_json(name: str, value: str) -> Any:
    """Decode a form value that is a JSON object/array (how PTB sends nested objects)."""
    stripped = value.strip()
    if name in _PLAIN_TEXT_PARAMS or not stripped or stripped[0] not in "[{":
        return value
    try:
        decoded = json.loads(stripped)
    except ValueError:
        return value
    return decoded if isinstance(decoded, dict | list) else value


class _Call:
    """Typed access to one request's parameters, raising Telegram-style 400 errors."""

    def __init__(self, record: RecordedRequest) -> None:
        self.record = record
        self.params = record.params
        self.files = record.files

    def has(self, name: str) -> bool:
        return self.params.get(name) not in (None, "")

    def string(self, name: str, default: str | None = None, *, empty: str | None = None) -> Any:
        value = self.params.get(name)
        if value is None or value == "":
            if empty is not None:
                raise _bad(empty)
            return default
        return value if isinstance(value, str) else json.dumps(value)

    def integer(self, name: str, default: int | None = None, *, empty: str | None = None) -> Any:
        value = self.params.get(name)
        if value is None or value == "":
            if empty is not None:
                raise _bad(empty)
            return default
        try:
            return int(value)
        except (TypeError, ValueError):
            raise _bad(f"invalid {name} specified") from None

    def number(self, name: str, default: float = 0.0) -> float:
        value = self.params.get(name)
        if value is None or value == "":
            return default
        try:
            return float(value)
        except (TypeError, ValueError):
            raise _bad(f"invalid {name} specified") from None

    def flag(self, name: str) -> bool:
        value = self.params.get(name)
        if isinstance(value, str):
            return value.strip().lower() in ("true", "1")
        return bool(value)

    def json(self, name: str) -> Any:
        value = self.params.get(name)
        if isinstance(value, str) and value:
            try:
                return json.loads(value)
            except ValueError:
                raise _bad(f"can't parse {name} JSON object") from None
        return value


class FakeBotAPI:
    """An in-memory Telegram Bot API server for local runs, tests and the sandbox chat."""

    def __init__(
        self,
        token: str,
        bot_username: str = "MySayTestBot",
        bot_id: int | None = None,
        validator: Validator | None = None,
    ) -> None:
        prefix = token.split(":", 1)[0]
        self.token = token
        self.bot_id = bot_id if bot_id is not None else int(prefix) if prefix.isdigit() else 1
        self.bot_username = bot_username
        self.validator = validator
        self.port: int | None = None
        self.host = "127.0.0.1"

        self.requests: list[RecordedRequest] = []
        self.violations: list[str] = []
        self.users: dict[int, JSONDict] = {}
        self.chats: dict[int, JSONDict] = {}
        self.files: dict[str, StoredFile] = {}
        self.commands: dict[tuple[str, str], list[JSONDict]] = {}
        self.menu_buttons: dict[int | None, JSONDict] = {}
        self.chat_actions: list[tuple[int, str, float]] = []
        self.callback_queries: dict[str, JSONDict] = {}
        self.delivered_callback_queries: list[str] = []
        self.answered_callback_queries: dict[str, JSONDict] = {}
        self.blocked_users: set[int] = set()
        self.left_chats: set[int] = set()
        self.webhook_url = ""
        self.webhook_secret: str | None = None

        self._messages: dict[int, dict[int, SentMessage]] = {}
        self._message_seq: dict[int, itertools.count[int]] = {}
        self._updates: dict[int, JSONDict] = {}  # every update ever queued, by update_id
        self._pending: list[JSONDict] = []
        self._redeliver: list[JSONDict] = []
        self._allowed_updates: frozenset[str] = _DEFAULT_ALLOWED_UPDATES
        self._update_seq = itertools.count(100_000_001)
        self._file_seq = itertools.count(1)
        self._callback_seq = itertools.count(4_000_000_000_000_000_001)
        self._media_group_seq = itertools.count(13_000_000_000_000_001)
        self._faults: list[_Fault] = []
        self._poll_generation = 0
        self._update_waiters: list[asyncio.Future[None]] = []
        self._request_waiters: list[asyncio.Future[None]] = []
        self._subscribers: set[asyncio.Queue[JSONDict]] = set()
        self._runner: web.AppRunner | None = None
        self._closing = False
        self._methods: dict[str, Callable[[_Call], Any]] = {
            "getMe": self._get_me, "getUpdates": self._get_updates,
            "deleteWebhook": self._delete_webhook, "setWebhook": self._set_webhook,
            "getWebhookInfo": self._get_webhook_info, "setMyCommands": self._set_my_commands,
            "deleteMyCommands": self._delete_my_commands, "getMyCommands": self._get_my_commands,
            "setChatMenuButton": self._set_chat_menu_button,
            "getChatMenuButton": self._get_chat_menu_button,
            "sendMessage": self._send_message, "sendPhoto": self._send_photo,
            "sendVoice": self._send_voice, "sendAudio": self._send_audio,
            "sendDocument": self._send_document, "sendMediaGroup": self._send_media_group,
            "sendChatAction": self._send_chat_action, "editMessageText": self._edit_text,
            "editMessageCaption": self._edit_caption,
            "editMessageReplyMarkup": self._edit_reply_markup,
            "editMessageMedia": self._edit_media, "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback_query, "leaveChat": self._leave_chat,
            "getFile": self._get_file, "getChat": self._get_chat,
            "close": lambda call: True, "logOut": lambda call: True,
        }
        self._method_names = {name.lower(): name for name in self._methods}

    # ----------------------------------------------------------------- server lifecycle

    @property
    def base_url(self) -> str:
        """Value for `ApplicationBuilder.base_url` (PTB appends the token and method)."""
        return f"http://{self.host}:{self._require_port()}/bot"

    @property
    def base_file_url(self) -> str:
        """Value for `ApplicationBuilder.base_file_url`."""
        return f"http://{self.host}:{self._require_port()}/file/bot"

    def _require_port(self) -> int:
        if self.port is None:
            raise RuntimeError("FakeBotAPI is not started")
        return self.port

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Serve on host:port (port 0 picks a free port, see `.port`). Loopback only."""
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("FakeBotAPI only listens on the loopback interface")
        app = web.Application(client_max_size=MAX_UPLOAD_BYTES + 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{file_path:.+}", self._handle_file)
        self._closing = False
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()
        self.host = "127.0.0.1" if host == "localhost" else host
        self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        """End pending long polls and shut the server down."""
        self._closing = True
        self._wake(self._update_waiters)
        self._wake(self._request_waiters)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # ------------------------------------------------------------------- HTTP handlers

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.json_response(BotAPIError(401, "Unauthorized").body(), status=401)
        raw_method = request.match_info["method"]
        method = self._method_names.get(raw_method.lower(), raw_method)
        try:
            params, files = await self._read_params(request)
        except BotAPIError as error:
            return web.json_response(error.body(), status=error.status)
        record = RecordedRequest(method, params, files, time.time())
        self.requests.append(record)
        self._validate(record)
        status, body = await self._answer(record)
        record.status, record.response = status, body
        self._wake(self._request_waiters)
        if status == 0:
            if request.transport is not None:
                request.transport.close()
            return web.Response(status=500)
        return web.json_response(body, status=status)

    async def _answer(self, record: RecordedRequest) -> tuple[int, Any]:
        """Run one call; (0, None) means 'drop the connection'."""
        try:
            fault = self._take_fault(record.method)
            if fault is not None:
                record.fault_injected = True
                if fault.delay:
                    await asyncio.sleep(fault.delay)
                if fault.drop_connection:
                    return 0, None
                if fault.status >= 400:
                    params = {"retry_after": fault.retry_after} if fault.retry_after else None
                    raise BotAPIError(fault.status, fault.description, params)
            handler = self._methods.get(record.method)
            if handler is None:
                raise BotAPIError(404, "Not Found: method not found")
            result = handler(_Call(record))
            if inspect.isawaitable(result):
                result = await result
            return 200, {"ok": True, "result": result}
        except BotAPIError as error:
            return error.status, error.body()
        except Exception as error:  # a bug in the fake: answer like a server error
            _LOG.exception("FakeBotAPI failed on %s", record.method)
            return 500, BotAPIError(500, f"Internal Server Error: {error}").body()

    async def _read_params(
        self, request: web.Request
    ) -> tuple[dict[str, Any], dict[str, UploadedFile]]:
        params: dict[str, Any] = {k: _maybe_json(k, v) for k, v in request.query.items()}
        files: dict[str, UploadedFile] = {}
        if not request.can_read_body:
            return params, files
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise _bad("can't parse JSON body") from None
            if not isinstance(body, dict):
                raise _bad("JSON body must be an object")
            params.update(body)
        elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    files[key] = UploadedFile(value.file.read(), value.filename,
                                              value.content_type)
                else:
                    params[key] = _maybe_json(key, str(value))
        return params, files

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.json_response(BotAPIError(401, "Unauthorized").body(), status=401)
        fault = self._take_fault(FILE_DOWNLOAD)
        if fault is not None:
            if fault.delay:
                await asyncio.sleep(fault.delay)
            if fault.status >= 400:
                return web.json_response(BotAPIError(fault.status, fault.description).body(),
                                         status=fault.status)
        path = request.match_info["file_path"]
        stored = next((f for f in self.files.values() if f.file_path == path), None)
        if stored is None:
            return web.json_response(BotAPIError(404, "Not Found").body(), status=404)
        return web.Response(body=stored.data,
                            content_type=stored.mime_type or "application/octet-stream")

    def _validate(self, record: RecordedRequest) -> None:
        if self.validator is None:
            return
        try:
            problems = self.validator(record.method, record.params, record.files)
        except Exception as error:
            problems = [f"validator raised {error!r}"]
        self.violations.extend(f"{record.method}: {problem}" for problem in problems)

    # ------------------------------------------------------------------- fault injection

    def inject_fault(
        self,
        method: str | None,
        *,
        status: int = 429,
        retry_after: int | None = None,
        description: str | None = None,
        count: int = 1,
        delay: float = 0.0,
        drop_connection: bool = False,
    ) -> None:
        """Make the next `count` calls to `method` fail. None: any method but getUpdates;
        FILE_DOWNLOAD: fetching a file's bytes from the file URL.

        429 answers carry `parameters.retry_after` (default 1 s) like Telegram. A status
        below 400 with a `delay` gives a slow but successful answer; `drop_connection`
        closes the connection (after `delay`) without answering.
        """
        if status == 429 and retry_after is None:
            retry_after = 1
        if description is None:
            description = {
                429: f"Too Many Requests: retry after {retry_after}",
                403: _BLOCKED,
                400: "Bad Request",
                409: "Conflict",
                502: "Bad Gateway",
            }.get(status, "Internal Server Error" if status >= 500 else "Error")
        self._faults.append(_Fault(method, status, description, retry_after, count, delay,
                                   drop_connection))

    def clear_faults(self) -> None:
        """Remove every pending injected fault."""
        self._faults.clear()

    def _take_fault(self, method: str) -> _Fault | None:
        for fault in self._faults:
            if fault.matches(method):
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    def block_user(self, user_id: int) -> None:
        """From now on, sends to this user's chat answer 403 'bot was blocked by the user'."""
        self.blocked_users.add(user_id)

    def unblock_user(self, user_id: int) -> None:
        self.blocked_users.discard(user_id)

    # ------------------------------------------------------------- simulation: updates

    def add_user(self, user_id: int, first_name: str = "Test", *,
                 username: str | None = None, language_code: str = "en") -> JSONDict:
        """Register (or update) a user and their private chat; returns the User object."""
        user = self.users.setdefault(user_id, {"id": user_id, "is_bot": False})
        user.update(first_name=first_name, language_code=language_code)
        if username:
            user["username"] = username
        chat = {"id": user_id, "type": "private", "first_name": first_name}
        if username:
            chat["username"] = username
        self.chats.setdefault(user_id, {}).update(chat)
        return user

    def push_message(
        self,
        user_id: int,
        text: str | None = None,
        *,
        first_name: str = "Test",
        chat_id: int | None = None,
        chat_type: str = "private",
        entities: list[JSONDict] | None = None,
        edited: bool = False,
        sticker: bool = False,
        photo: bytes | None = None,
        voice: bytes | None = None,
        duration: int = 2,
        document: bytes | None = None,
        document_name: str = "document.pdf",
        location: tuple[float, float] | None = None,
        contact: bool = False,
        caption: str | None = None,
        reply_to: int | None = None,
        forward_origin: JSONDict | None = None,
        media_group_id: str | None = None,
    ) -> int:
        """Queue a user's message (or, with `edited`, an edit of their latest one).
        `forward_origin`: a Bot API MessageOrigin, for a message forwarded from someone else;
        `media_group_id`: for one item of an album (send each item with its own call)."""
        if chat_type != "private" and chat_id is None:
            raise ValueError(f"a {chat_type} message needs a chat_id")
        user = self.add_user(user_id, first_name)
        target = chat_id if chat_id is not None else user_id
        if target != user_id or chat_type != "private":
            self.chats.setdefault(target, {"id": target, "type": chat_type,
                                           "title": "Test group"})
        if entities is None and text and text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            entities = [{"type": "bot_command", "offset": 0, "length": _utf16_len(command)}]
        now = int(time.time())
        previous = self._latest(target, lambda m: m.from_id == user_id) if edited else None
        if previous is not None:
            message = previous
            message.history.append(message.snapshot())
            message.edit_date = now
        else:
            message = SentMessage(target, self._next_message_id(target), user_id, False, now)
            if edited:
                message.edit_date = now
            self._messages.setdefault(target, {})[message.message_id] = message
        message.text, message.caption, message.entities = text, caption, entities
        message.reply_to_message_id = reply_to
        message.forward_origin, message.media_group_id = forward_origin, media_group_id
        try:
            if photo is not None:
                message.photo = self._store_photo(photo, "photo.jpg")[-1].file_id
            if voice is not None:
                message.voice = self._store_file("voice", voice, "voice.ogg", "audio/ogg",
                                                 duration=duration).file_id
            if document is not None:
                message.document = self._store_file("document", document, document_name,
                                                    "application/octet-stream").file_id
        except BotAPIError as error:
            raise ValueError(error.description) from None
        if sticker:
            message.sticker = self._sticker_file().file_id
        message.location = location
        if contact:
            message.contact = {"phone_number": f"+4477009{user_id % 100_000:05d}",
                               "first_name": user["first_name"], "user_id": user_id}
        self._emit("user_message", message)
        key = "edited_message" if edited else "message"
        return self.push_raw({key: self._message_json(message)})

    def push_callback(
        self, user_id: int, message_id: int, data: str, *, chat_id: int | None = None
    ) -> tuple[int, str]:
        """Queue a press of the inline button with callback `data` on a bot message."""
        target = chat_id if chat_id is not None else user_id
        message = self._messages.get(target, {}).get(message_id)
        if message is None or message.deleted or not message.from_bot:
            raise ValueError(f"no bot message {message_id} in chat {target}")
        buttons = [b.get("callback_data") for row in message.inline_keyboard for b in row]
        if data not in buttons:
            raise ValueError(f"message {message_id} has no button with callback_data {data!r}")
        user = self.users.get(user_id) or self.add_user(user_id)
        query_id = str(next(self._callback_seq))
        query = {"id": query_id, "from": user, "message": self._message_json(message),
                 "chat_instance": str(-abs(target) * 7 - 1), "data": data}
        self.callback_queries[query_id] = query
        return self.push_raw({"callback_query": query}), query_id

    def push_raw(self, update: JSONDict) -> int:
        """Queue any update dict; an `update_id` is assigned if missing."""
        update = copy.deepcopy(update)
        if "update_id" not in update:
            update["update_id"] = next(self._update_seq)
        update_id = int(update["update_id"])
        self._updates[update_id] = update
        self._pending.append(update)
        self._pending.sort(key=lambda u: u["update_id"])
        self._wake(self._update_waiters)
        return update_id

    def push_duplicate(self, update_id: int) -> None:
        """Deliver an already queued update again, with the same update_id."""
        if update_id not in self._updates:
            raise KeyError(f"unknown update_id {update_id}")
        self._redeliver.append(copy.deepcopy(self._updates[update_id]))
        self._wake(self._update_waiters)

    @property
    def pending_update_count(self) -> int:
        return len(self._pending) + len(self._redeliver)

    # ------------------------------------------------------------- simulation: reading

    def messages_in(self, chat_id: int, *, include_user: bool = False,
                    include_deleted: bool = False) -> list[SentMessage]:
        """Messages of a chat in order; by default only the bot's, not deleted."""
        return [m for m in self._messages.get(chat_id, {}).values()
                if (include_user or m.from_bot) and (include_deleted or not m.deleted)]

    def last_message(self, chat_id: int) -> SentMessage | None:
        """The bot's newest (not deleted) message in the chat."""
        return self._latest(chat_id, lambda m: m.from_bot)

    def message(self, chat_id: int, message_id: int) -> SentMessage | None:
        return self._messages.get(chat_id, {}).get(message_id)

    def keyboard(self, chat_id: int, message_id: int | None = None) -> list[list[JSONDict]]:
        """Inline keyboard of a message (default: the newest bot message that has one)."""
        if message_id is not None:
            found = self.message(chat_id, message_id)
        else:
            found = self._latest(chat_id, lambda m: m.from_bot and bool(m.inline_keyboard))
        return found.inline_keyboard if found is not None else []

    def button_data(self, chat_id: int, text_contains: str) -> str:
        """callback_data of the first button whose label contains `text_contains`
        (case-insensitive) on the newest bot message with an inline keyboard."""
        rows = self.keyboard(chat_id)
        needle = text_contains.casefold()
        for button in itertools.chain.from_iterable(rows):
            if needle in str(button.get("text", "")).casefold() and "callback_data" in button:
                return str(button["callback_data"])
        labels = [b.get("text") for b in itertools.chain.from_iterable(rows)]
        raise LookupError(f"no button containing {text_contains!r}; buttons: {labels}")

    def unanswered_callback_queries(self) -> list[str]:
        """Ids of pushed callback queries the bot has not answered."""
        return [q for q in self.callback_queries if q not in self.answered_callback_queries]

    def file_bytes(self, file_id: str) -> bytes:
        return self.files[file_id].data

    def subscribe(self) -> asyncio.Queue[JSONDict]:
        """A queue receiving an event dict for every message sent, edited or deleted, chat
        action and callback answer (for streaming to a web UI)."""
        queue: asyncio.Queue[JSONDict] = asyncio.Queue()
        self._subscribers.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[JSONDict]) -> None:
        self._subscribers.discard(queue)

    async def wait_for_request(
        self,
        method: str | None,
        predicate: Callable[[RecordedRequest], bool] | None = None,
        timeout: float = 10.0,  # noqa: ASYNC109 - part of the documented API
        after_index: int = 0,
    ) -> RecordedRequest:
        """Wait for a completed call to `method` (None: any) at index >= `after_index`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            for record in self.requests[after_index:]:
                if (record.done and (method is None or record.method == method)
                        and (predicate is None or predicate(record))):
                    return record
            remaining = deadline - loop.time()
            if remaining <= 0 or self._closing:
                raise TimeoutError(f"no matching {method or 'any'} request within {timeout}s")
            await self._wait(self._request_waiters, remaining)

    # --------------------------------------------------------------------- internals

    def _wake(self, waiters: list[asyncio.Future[None]]) -> None:
        for future in waiters:
            if not future.done():
                future.set_result(None)
        waiters.clear()

    async def _wait(self, waiters: list[asyncio.Future[None]], seconds: float) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        waiters.append(future)
        try:
            await asyncio.wait_for(future, seconds)
        except TimeoutError:
            pass
        finally:
            if future in waiters:
                waiters.remove(future)

    def _emit(self, kind: str, message: SentMessage | None = None, **extra: Any) -> None:
        event: JSONDict = {"type": kind, **extra}
        if message is not None:
            event.update(chat_id=message.chat_id, message_id=message.message_id)
            if kind != "deleted":
                event["message"] = self._message_json(message)
        for queue in self._subscribers:
            queue.put_nowait(event)

    def _latest(self, chat_id: int, predicate: Callable[[SentMessage], bool]
                ) -> SentMessage | None:
        for message in reversed(list(self._messages.get(chat_id, {}).values())):
            if not message.deleted and predicate(message):
                return message
        return None

    def _next_message_id(self, chat_id: int) -> int:
        return next(self._message_seq.setdefault(chat_id, itertools.count(1)))

    def _bot_user(self) -> JSONDict:
        return {"id": self.bot_id, "is_bot": True, "first_name": self.bot_username,
                "username": self.bot_username}

    def _store_file(self, kind: str, data: bytes, file_name: str | None,
                    mime_type: str | None, **extra: Any) -> StoredFile:
        if len(data) > MAX_UPLOAD_BYTES:
            raise BotAPIError(413, "Request Entity Too Large")
        n = next(self._file_seq)
        suffix = _FILE_SUFFIX.get(kind) or (
            file_name.rsplit(".", 1)[-1] if file_name and "." in file_name else "bin")
        if kind == "photo" and mime_type in ("image/png", "image/webp", "image/gif"):
            suffix = mime_type.removeprefix("image/")
        stored = StoredFile(
            file_id=f"{_FILE_PREFIX.get(kind, 'BAAC')}Fake{n:06d}", file_unique_id=f"AQAD{n:06d}",
            kind=kind, data=data, file_path=f"{_FILE_DIR.get(kind, 'files')}/file_{n}.{suffix}",
            mime_type=mime_type, file_name=file_name if kind in ("document", "audio") else None,
            **extra,
        )
        self.files[stored.file_id] = stored
        return stored

    def _store_photo(self, data: bytes, file_name: str | None) -> list[StoredFile]:
        """Store an uploaded photo (original + small thumbnail), checking Telegram's limits."""
        if len(data) > MAX_PHOTO_BYTES:
            raise _bad("PHOTO_SAVE_FILE_INVALID")
        try:
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
                mime = Image.MIME.get(image.format or "", "image/jpeg")
                thumb = image.convert("RGB")
        except (UnidentifiedImageError, OSError):
            raise _bad("IMAGE_PROCESS_FAILED") from None
        if width + height > 10_000 or max(width, height) > 20 * min(width, height):
            raise _bad("PHOTO_INVALID_DIMENSIONS")
        sizes = []
        if max(width, height) > THUMBNAIL_SIDE:
            thumb.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
            buffer = io.BytesIO()
            thumb.save(buffer, "JPEG")
            sizes.append(self._store_file("photo", buffer.getvalue(), "thumb.jpg", "image/jpeg",
                                          width=thumb.width, height=thumb.height))
        sizes.append(self._store_file("photo", data, file_name or "photo.jpg", mime,
                                      width=width, height=height))
        group = tuple(s.file_id for s in sizes)
        for size in sizes:
            size.photo_group = group
        return sizes

    def _sticker_file(self) -> StoredFile:
        buffer = io.BytesIO()
        Image.new("RGBA", (512, 512), (255, 200, 0, 255)).save(buffer, "WEBP")
        return self._store_file("sticker", buffer.getvalue(), "sticker.webp", "image/webp",
                                width=512, height=512)

    def _file_json(self, file_id: str) -> JSONDict:
        stored = self.files[file_id]
        result: JSONDict = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
                            "file_size": len(stored.data)}
        if stored.kind in ("photo", "sticker"):
            result.update(width=stored.width, height=stored.height)
        if stored.kind == "sticker":
            result.update(type="regular", is_animated=False, is_video=False, emoji="👍")
        if stored.kind in ("voice", "audio"):
            result["duration"] = stored.duration or 0
        if stored.kind != "photo" and stored.mime_type:
            result["mime_type"] = stored.mime_type
        if stored.file_name:
            result["file_name"] = stored.file_name
        return result

    def _message_json(self, message: SentMessage, *, nested: bool = False) -> JSONDict:
        """The Telegram `Message` object for a stored message."""
        sender = self._bot_user() if message.from_bot else self.users.get(message.from_id)
        result: JSONDict = {"message_id": message.message_id, "date": message.date,
                            "chat": dict(self.chats.get(message.chat_id) or
                                         {"id": message.chat_id, "type": "private"})}
        if sender:
            result["from"] = sender
        if message.text is not None:
            result["text"] = _parse_formatted(message.text, message.parse_mode)
        if message.caption is not None:
            result["caption"] = _parse_formatted(message.caption, message.parse_mode)
        if message.entities:
            result["entities" if message.text is not None else "caption_entities"] = (
                message.entities)
        if message.photo:
            result["photo"] = [self._file_json(f) for f in self.files[message.photo].photo_group]
        for kind in ("voice", "audio", "document", "sticker"):
            file_id = getattr(message, kind)
            if file_id:
                result[kind] = self._file_json(file_id)
        if message.location:
            result["location"] = {"latitude": message.location[0],
                                  "longitude": message.location[1]}
        if message.contact:
            result["contact"] = message.contact
        if message.media_group_id:
            result["media_group_id"] = message.media_group_id
        if message.forward_origin:
            result["forward_origin"] = message.forward_origin
        if message.edit_date:
            result["edit_date"] = message.edit_date
        if message.reply_markup and "inline_keyboard" in message.reply_markup:
            result["reply_markup"] = message.reply_markup
        reply = self.message(message.chat_id, message.reply_to_message_id or 0)
        if reply is not None and not nested:
            result["reply_to_message"] = self._message_json(reply, nested=True)
        return result

    # ------------------------------------------------------------ request helpers

    def _chat(self, call: _Call) -> int:
        """Resolve `chat_id`, enforcing blocks for send* methods."""
        raw = call.params.get("chat_id")
        if raw in (None, ""):
            raise _bad("chat_id is empty")
        chat_id: int | None
        if isinstance(raw, str) and raw.startswith("@"):
            chat_id = next((c for c, chat in self.chats.items()
                            if chat.get("username", "").lower() == raw[1:].lower()), None)
        else:
            try:
                chat_id = int(raw)
            except (TypeError, ValueError):
                chat_id = None
        if chat_id is None or chat_id not in self.chats:
            raise _bad("chat not found")
        if chat_id in self.left_chats:
            raise BotAPIError(403, "Forbidden: bot is not a member of the group chat")
        if chat_id in self.blocked_users and call.record.method.startswith("send"):
            raise BotAPIError(403, _BLOCKED)
        return chat_id

    def _markup(self, call: _Call) -> JSONDict | None:
        markup = call.json("reply_markup")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise _bad("can't parse reply keyboard markup JSON object")
        for row in markup.get("inline_keyboard") or []:
            for button in row:
                if not isinstance(button, dict) or not button.get("text"):
                    raise _bad("can't parse inline keyboard button: Text must be non-empty")
                actions = set(button) - {"text", "icon_custom_emoji_id", "style"}
                if not actions:
                    raise _bad("can't parse inline keyboard button: Text buttons are "
                               "unallowed in the inline keyboard")
                data = button.get("callback_data")
                if data is not None and not 1 <= len(str(data).encode()) <= 64:
                    raise _bad("BUTTON_DATA_INVALID")
        return markup

    def _check_text(self, text: str, parse_mode: str | None, *, caption: bool) -> None:
        plain = _parse_formatted(text, parse_mode)
        if caption:
            if len(plain) > MAX_CAPTION_LENGTH:
                raise _bad("message caption is too long")
        elif not plain.strip():
            raise _bad("message text is empty")
        elif len(plain) > MAX_TEXT_LENGTH:
            raise _bad("message is too long")

    def _resolve_file(self, call: _Call, value: Any, kind: str, files: dict[str, UploadedFile],
                      upload: UploadedFile | None = None) -> StoredFile:
        """An uploaded part, `attach://name` or an existing file_id -> a stored file."""
        if upload is None and isinstance(value, str) and value.startswith("attach://"):
            upload = files.get(value.removeprefix("attach://"))
            if upload is None:
                raise _bad(f"file {value} not found in the request")
        if upload is not None:
            if kind == "photo":
                return self._store_photo(upload.data, upload.filename)[-1]
            mime = upload.content_type
            if kind in _MIME_DEFAULT and mime in (None, "application/octet-stream"):
                mime = _MIME_DEFAULT[kind]  # PTB labels raw bytes as application/octet-stream
            return self._store_file(kind, upload.data, upload.filename, mime,
                                    duration=call.integer("duration", 1) if kind in
                                    ("voice", "audio") else None)
        if not value:
            raise _bad(f"there is no {kind} in the request")
        stored = self.files.get(str(value))
        if stored is None:
            if str(value).startswith(("http://", "https://")):
                raise _bad("failed to get HTTP URL content")
            raise _bad("wrong file identifier/HTTP URL specified")
        if (stored.kind == "photo") != (kind == "photo"):
            raise _bad(f"can't use file of type {stored.kind.title()} as {kind.title()}")
        call.record.reused_file_ids.append(stored.file_id)
        return stored

    def _new_bot_message(self, call: _Call, chat_id: int, **content: Any) -> SentMessage:
        reply_to = call.integer("reply_to_message_id")
        reply_parameters = call.json("reply_parameters")
        if isinstance(reply_parameters, dict):
            reply_to = int(reply_parameters.get("message_id", 0)) or None
        allow_missing = isinstance(reply_parameters, dict) and bool(
            reply_parameters.get("allow_sending_without_reply"))
        if reply_to is not None and self.message(chat_id, reply_to) is None:
            if not allow_missing:
                raise _bad("message to be replied not found")
            reply_to = None
        message = SentMessage(chat_id, self._next_message_id(chat_id), self.bot_id, True,
                              int(time.time()), reply_to_message_id=reply_to, **content)
        self._messages.setdefault(chat_id, {})[message.message_id] = message
        self._emit("sent", message)
        return message

    def _editable(self, call: _Call) -> SentMessage:
        if call.has("inline_message_id"):
            raise _bad("MESSAGE_ID_INVALID")
        chat_id = self._chat(call)
        message_id = call.integer("message_id", empty="message identifier is not specified")
        message = self.message(chat_id, message_id)
        if message is None or message.deleted:
            raise _bad("message to edit not found")
        if not message.from_bot:
            raise _bad("message can't be edited")
        return message

    def _apply_edit(self, message: SentMessage, **changes: Any) -> JSONDict:
        before = message.snapshot()
        if all(before[k] == v for k, v in changes.items()):
            raise _bad(_NOT_MODIFIED)
        message.history.append(before)
        for key, value in changes.items():
            setattr(message, key, value)
        message.edit_date = int(time.time())
        self._emit("edited", message)
        return self._message_json(message)

    # ------------------------------------------------------------------ API methods

    def _get_me(self, call: _Call) -> JSONDict:
        return {**self._bot_user(), "can_join_groups": True,
                "can_read_all_group_messages": False, "supports_inline_queries": False,
                "can_connect_to_business": False, "has_main_web_app": False}

    async def _get_updates(self, call: _Call) -> list[JSONDict]:
        if self.webhook_url:
            raise BotAPIError(409, "Conflict: can't use getUpdates method while webhook is "
                                   "active; use deleteWebhook to delete the webhook first")
        offset = call.integer("offset", 0)
        limit = min(max(call.integer("limit", 100), 1), 100)
        timeout = max(call.number("timeout", 0.0), 0.0)
        allowed = call.json("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = frozenset(allowed) or _DEFAULT_ALLOWED_UPDATES
        if offset > 0:
            self._pending = [u for u in self._pending if u["update_id"] >= offset]
        elif offset < 0:
            self._pending = self._pending[offset:]
        self._poll_generation += 1
        generation = self._poll_generation
        self._wake(self._update_waiters)  # an older long poll now ends with 409
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if generation != self._poll_generation:
                raise BotAPIError(409, "Conflict: terminated by other getUpdates request; make "
                                       "sure that only one bot instance is running")
            batch = self._take_updates(limit)
            remaining = deadline - loop.time()
            if batch or remaining <= 0 or self._closing:
                return batch
            await self._wait(self._update_waiters, remaining)

    def _take_updates(self, limit: int) -> list[JSONDict]:
        def allowed(update: JSONDict) -> bool:
            return any(key in self._allowed_updates for key in update if key != "update_id")

        self._pending = [u for u in self._pending if allowed(u)]
        batch = [u for u in self._redeliver if allowed(u)][:limit]
        self._redeliver = []
        batch += self._pending[: limit - len(batch)]
        for update in batch:
            query = update.get("callback_query")
            if query and query["id"] not in self.delivered_callback_queries:
                self.delivered_callback_queries.append(query["id"])
        return batch

    def _delete_webhook(self, call: _Call) -> bool:
        self.webhook_url, self.webhook_secret = "", None
        if call.flag("drop_pending_updates"):
            self._pending.clear()
            self._redeliver.clear()
        return True

    def _set_webhook(self, call: _Call) -> bool:
        url = call.string("url", "")
        if url and not url.startswith("https://"):
            raise _bad("bad webhook: An HTTPS URL must be provided for webhook")
        self.webhook_url, self.webhook_secret = url, call.string("secret_token")
        if call.flag("drop_pending_updates"):
            self._pending.clear()
        return True

    def _get_webhook_info(self, call: _Call) -> JSONDict:
        return {"url": self.webhook_url, "has_custom_certificate": False,
                "pending_update_count": self.pending_update_count}

    @staticmethod
    def _commands_key(call: _Call) -> tuple[str, str]:
        scope = call.json("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), call.string("language_code", "")

    def _set_my_commands(self, call: _Call) -> bool:
        commands = call.json("commands")
        if not isinstance(commands, list):
            raise _bad("parameter \"commands\" is required")
        for command in commands:
            name = str(command.get("command", "")) if isinstance(command, dict) else ""
            if not (1 <= len(name) <= 32 and name == name.lower()
                    and all(c.isalnum() or c == "_" for c in name)):
                raise _bad("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise _bad("BOT_COMMAND_DESCRIPTION_INVALID")
        self.commands[self._commands_key(call)] = commands
        return True

    def _delete_my_commands(self, call: _Call) -> bool:
        self.commands.pop(self._commands_key(call), None)
        return True

    def _get_my_commands(self, call: _Call) -> list[JSONDict]:
        return self.commands.get(self._commands_key(call), [])

    def _set_chat_menu_button(self, call: _Call) -> bool:
        chat_id = self._chat(call) if call.has("chat_id") else None
        self.menu_buttons[chat_id] = call.json("menu_button") or {"type": "default"}
        return True

    def _get_chat_menu_button(self, call: _Call) -> JSONDict:
        chat_id = self._chat(call) if call.has("chat_id") else None
        return self.menu_buttons.get(chat_id) or self.menu_buttons.get(None) or {
            "type": "commands"}

    def _send_message(self, call: _Call) -> JSONDict:
        chat_id = self._chat(call)
        text = call.string("text", empty="message text is empty")
        parse_mode = call.string("parse_mode")
        self._check_text(text, parse_mode, caption=False)
        message = self._new_bot_message(call, chat_id, text=text, parse_mode=parse_mode,
                                        entities=call.json("entities"),
                                        reply_markup=self._markup(call))
        return self._message_json(message)

    def _send_media(self, call: _Call, kind: str) -> JSONDict:
        chat_id = self._chat(call)
        caption, parse_mode = call.string("caption"), call.string("parse_mode")
        if caption is not None:
            self._check_text(caption, parse_mode, caption=True)
        markup = self._markup(call)
        stored = self._resolve_file(call, call.params.get(kind), kind, call.files,
                                    call.files.get(kind))
        message = self._new_bot_message(call, chat_id, caption=caption, parse_mode=parse_mode,
                                        entities=call.json("caption_entities"),
                                        reply_markup=markup, **{kind: stored.file_id})
        return self._message_json(message)

    def _send_photo(self, call: _Call) -> JSONDict:
        return self._send_media(call, "photo")

    def _send_voice(self, call: _Call) -> JSONDict:
        return self._send_media(call, "voice")

    def _send_audio(self, call: _Call) -> JSONDict:
        return self._send_media(call, "audio")

    def _send_document(self, call: _Call) -> JSONDict:
        return self._send_media(call, "document")

    def _send_media_group(self, call: _Call) -> list[JSONDict]:
        chat_id = self._chat(call)
        media = call.json("media")
        if not isinstance(media, list) or not 2 <= len(media) <= 10:
            raise _bad("media must be a list of 2-10 InputMedia objects")
        group_id = str(next(self._media_group_seq))
        resolved: list[tuple[str, StoredFile, JSONDict]] = []
        for item in media:
            kind = item.get("type") if isinstance(item, dict) else None
            if kind not in ("photo", "audio", "document"):
                raise _bad(f"media type {kind!r} is not supported by the fake Bot API")
            if item.get("caption") is not None:
                self._check_text(item["caption"], item.get("parse_mode"), caption=True)
            resolved.append((kind, self._resolve_file(call, item.get("media"), kind, call.files),
                             item))
        results = []
        for kind, stored, item in resolved:
            message = self._new_bot_message(
                call, chat_id, caption=item.get("caption"), parse_mode=item.get("parse_mode"),
                entities=item.get("caption_entities"), media_group_id=group_id,
                **{kind: stored.file_id})
            results.append(self._message_json(message))
        return results

    def _send_chat_action(self, call: _Call) -> bool:
        chat_id = self._chat(call)
        action = call.string("action", empty="parameter \"action\" is required")
        if action not in _CHAT_ACTIONS:
            raise _bad("wrong parameter action in request")
        self.chat_actions.append((chat_id, action, time.time()))
        for queue in self._subscribers:
            queue.put_nowait({"type": "chat_action", "chat_id": chat_id, "action": action})
        return True

    def _edit_text(self, call: _Call) -> JSONDict:
        message = self._editable(call)
        text = call.string("text", empty="message text is empty")
        parse_mode = call.string("parse_mode")
        if message.text is None:
            raise _bad("there is no text in the message to edit")
        self._check_text(text, parse_mode, caption=False)
        return self._apply_edit(message, text=text, parse_mode=parse_mode,
                                entities=call.json("entities"),
                                reply_markup=self._markup(call))

    def _edit_caption(self, call: _Call) -> JSONDict:
        message = self._editable(call)
        caption, parse_mode = call.string("caption"), call.string("parse_mode")
        if message.text is not None or message.sticker:
            raise _bad("there is no caption in the message to edit")
        if caption is not None:
            self._check_text(caption, parse_mode, caption=True)
        return self._apply_edit(message, caption=caption, parse_mode=parse_mode,
                                entities=call.json("caption_entities"),
                                reply_markup=self._markup(call))

    def _edit_reply_markup(self, call: _Call) -> JSONDict:
        message = self._editable(call)
        return self._apply_edit(message, reply_markup=self._markup(call))

    def _edit_media(self, call: _Call) -> JSONDict:
        message = self._editable(call)
        media = call.json("media")
        kind = media.get("type") if isinstance(media, dict) else None
        if kind not in ("photo", "audio", "document"):
            raise _bad(f"media type {kind!r} is not supported by the fake Bot API")
        if message.text is not None:
            raise _bad("there is no media in the message to edit")
        caption = media.get("caption")
        if caption is not None:
            self._check_text(caption, media.get("parse_mode"), caption=True)
        stored = self._resolve_file(call, media.get("media"), kind, call.files)
        changes: dict[str, Any] = {"photo": None, "audio": None, "document": None,
                                   "voice": None, kind: stored.file_id}
        return self._apply_edit(message, caption=caption, parse_mode=media.get("parse_mode"),
                                entities=media.get("caption_entities"),
                                reply_markup=self._markup(call), **changes)

    def _delete_message(self, call: _Call) -> bool:
        chat_id = self._chat(call)
        message_id = call.integer("message_id", empty="message identifier is not specified")
        message = self.message(chat_id, message_id)
        if message is None or message.deleted:
            raise _bad("message to delete not found")
        message.deleted = True
        self._emit("deleted", message)
        return True

    def _answer_callback_query(self, call: _Call) -> bool:
        query_id = call.string("callback_query_id", empty="query_id is empty")
        if query_id not in self.callback_queries or query_id in self.answered_callback_queries:
            raise _bad(_QUERY_INVALID)
        text = call.string("text", "")
        if len(text) > 200:
            raise _bad("MESSAGE_TOO_LONG")
        answer = {"text": text, "show_alert": call.flag("show_alert"), "url": call.string("url")}
        self.answered_callback_queries[query_id] = answer
        for queue in self._subscribers:
            queue.put_nowait({"type": "callback_answer", "callback_query_id": query_id, **answer})
        return True

    def _leave_chat(self, call: _Call) -> bool:
        self.left_chats.add(self._chat(call))
        return True

    def _get_file(self, call: _Call) -> JSONDict:
        file_id = call.string("file_id", empty="file_id is empty")
        stored = self.files.get(file_id)
        if stored is None:
            raise _bad("invalid file_id")
        if len(stored.data) > MAX_DOWNLOAD_BYTES:
            raise _bad("file is too big")
        return {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
                "file_size": len(stored.data), "file_path": stored.file_path}

    def _get_chat(self, call: _Call) -> JSONDict:
        chat = dict(self.chats[self._chat(call)])
        chat.update(accent_color_id=0, max_reaction_count=11,
                    accepted_gift_types={"unlimited_gifts": False, "limited_gifts": False,
                                         "unique_gifts": False, "premium_subscription": False,
                                         "gifts_from_channels": False})
        return chat

