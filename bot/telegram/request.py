"""Every Bot API call MySay makes goes through here: retried when that is safe, paced so
Telegram never has to slow us down, and watched for people who blocked the bot.

Two layers, both plain python-telegram-bot extension points:

* `TelegramHTTP` (the HTTP client, on aiohttp) retries a call that failed on the way: Telegram
  answered 5xx, the connection could not be made, or it was closed before any answer came.
  A call that reached Telegram but got no answer in time (a read timeout, a connection lost
  while reading) is retried only when doing it twice is harmless: edits, answers to taps,
  settings and reads. A new message (sendMessage, sendPhoto, ...) is then NOT sent again,
  because Telegram may have delivered it already, and a young person who sees every question
  twice loses trust. Its state is committed before sending, so nothing is lost: the next tap
  shows the current step.
* `PacingRateLimiter` keeps new messages to about one a second in each chat (short bursts
  allowed, as Telegram allows them) and to 30 a second overall; waits out 429 `retry_after`
  (every call pauses, as Telegram asks); and reports a 403 from a private chat (the person
  blocked the bot or deleted their account) so they are marked inactive. Edits and answers to
  taps are not paced: they replace what a person already sees, one per tap they make.

With several bot processes each paces itself: set MYSAY_SENDS_PER_SECOND to 30 divided by the
number of processes.
"""

from __future__ import annotations

import asyncio
import logging
import time
import warnings
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any
from urllib.parse import urlencode

import aiohttp
from telegram.error import Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.ext import BaseRateLimiter
from telegram.request import BaseRequest, RequestData
from telegram.warnings import PTBDeprecationWarning

from bot.config import Settings
from bot.store import reliability_repo
from bot.store.db import Database

log = logging.getLogger(__name__)

# Calls that add a message to a chat: doing one twice means the person sees it twice.
_COPY_OR_FORWARD = frozenset({"copyMessage", "copyMessages", "forwardMessage",
                              "forwardMessages"})
# How many new messages one chat may get at once before pacing starts (Telegram allows bursts).
CHAT_BURST = 5
# A 429 asking us to wait longer than this is not waited out inside an update: the person's
# other updates would queue behind it. The call fails and is logged instead.
MAX_RETRY_AFTER = 60.0
RETRIES = 4
_FIRST_BACKOFF = 0.5
_MAX_BACKOFF = 8.0

JSONResult = bool | dict[str, Any] | list[dict[str, Any]]
BlockedHook = Callable[[int], Awaitable[None]]


def adds_a_message(endpoint: str) -> bool:
    """Whether the Bot API method puts a new message in a chat (so must never be doubled)."""
    return (endpoint.startswith("send") and endpoint != "sendChatAction") or (
        endpoint in _COPY_OR_FORWARD)


def _never_reached_telegram(cause: BaseException | None) -> bool:
    """The call cannot have been carried out: no connection, or closed before any answer."""
    if isinstance(cause, aiohttp.ClientConnectorError | aiohttp.ConnectionTimeoutError):
        return True  # refused, unreachable, or no free connection in time: nothing was sent
    # Closed with nothing received (a kept-alive connection the server had dropped while idle):
    # the request was never read. With part of an answer received, it may have been.
    return isinstance(cause, aiohttp.ServerDisconnectedError) and isinstance(cause.message, str)


def safe_to_retry(error: TimedOut | NetworkError, endpoint: str) -> bool:
    if _never_reached_telegram(error.__cause__):
        return True
    return not adds_a_message(endpoint)


def backoff(attempt: int) -> float:
    return min(_FIRST_BACKOFF * 2 ** attempt, _MAX_BACKOFF)


# PTB passes a "not given" marker for timeouts the caller left alone (its DefaultValue class).
_NOT_GIVEN = type(BaseRequest.DEFAULT_NONE)
Seconds = Any  # float | None, or PTB's marker


def _seconds_or(value: Seconds, default: float | None) -> float | None:
    return default if isinstance(value, _NOT_GIVEN) else value


class TelegramHTTP(BaseRequest):
    """PTB's HTTP client on aiohttp, with retries for server errors and failed connections.

    aiohttp rather than PTB's default httpx: a Bot API call costs about a third of the CPU (the
    benchmark's biggest single saving; bench/throughput.py), and aiohttp is already ours."""

    def __init__(self, *, read_timeout: float | None, retries: int = RETRIES,
                 connect_timeout: float = 5.0, write_timeout: float = 10.0,
                 media_write_timeout: float = 30.0, pool_timeout: float = 3.0,
                 connections: int = 256) -> None:
        self.retries = retries
        self._read_timeout = read_timeout
        self._connect_timeout = connect_timeout
        self._write_timeout = write_timeout
        self._media_write_timeout = media_write_timeout
        self._pool_timeout = pool_timeout
        self._connections = connections
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._connections),
                headers={"User-Agent": self.USER_AGENT})

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         read_timeout: Seconds = BaseRequest.DEFAULT_NONE,
                         write_timeout: Seconds = BaseRequest.DEFAULT_NONE,
                         connect_timeout: Seconds = BaseRequest.DEFAULT_NONE,
                         pool_timeout: Seconds = BaseRequest.DEFAULT_NONE,
                         ) -> tuple[int, bytes]:
        endpoint = url.rsplit("/", 1)[-1]  # never log the URL: it carries the token
        files = request_data.multipart_data if request_data is not None else None
        # aiohttp has no write timeout of its own: it bounds the whole call instead.
        write = _seconds_or(write_timeout, self._media_write_timeout if files else
                            self._write_timeout)
        timeouts = (_seconds_or(read_timeout, self._read_timeout), write,
                    _seconds_or(connect_timeout, self._connect_timeout),
                    _seconds_or(pool_timeout, self._pool_timeout))
        attempt = 0
        while True:
            try:
                code, payload = await self._once(url, method, request_data, *timeouts)
            except (TimedOut, NetworkError) as error:
                if attempt >= self.retries or not safe_to_retry(error, endpoint):
                    raise
                log.warning("%s failed (%s); trying again", endpoint, error.message)
            else:
                if code < 500 or attempt >= self.retries:
                    return code, payload
                log.warning("%s: Telegram answered %s; trying again", endpoint, code)
            await asyncio.sleep(backoff(attempt))
            attempt += 1

    async def _once(self, url: str, method: str, request_data: RequestData | None,
                    read: float | None, write: float | None, connect: float | None,
                    pool: float | None) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("TelegramHTTP is not initialized")
        total = None if read is None else read + (write or 0) + (connect or 0) + (pool or 0)
        timeout = aiohttp.ClientTimeout(total=total, sock_read=read, sock_connect=connect,
                                        connect=None if connect is None else connect + (pool or 0))
        try:
            body, headers = _body(request_data)
            async with self._session.request(method, url, data=body, headers=headers,
                                             timeout=timeout) as response:
                return response.status, await response.read()
        except TimeoutError as error:  # aiohttp's own timeouts are TimeoutErrors too
            raise TimedOut(f"Timed out ({type(error).__name__})") from error
        except aiohttp.ClientError as error:
            raise NetworkError(f"aiohttp.{type(error).__name__}: {error}") from error


_FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _body(request_data: RequestData | None
          ) -> tuple[aiohttp.FormData | bytes | None, dict[str, str] | None]:
    """A form, as Telegram takes it: multipart when there are files, else url-encoded (encoded
    here: handing aiohttp a dict makes it build a multipart writer first, on every call)."""
    if request_data is None:
        return None, None
    fields = request_data.json_parameters
    files = request_data.multipart_data
    if not files:
        return urlencode(fields).encode(), _FORM
    form = aiohttp.FormData(quote_fields=False)
    for name, value in fields.items():
        form.add_field(name, value)
    for name, (filename, content, mime_type) in files.items():
        form.add_field(name, content, filename=filename, content_type=mime_type)
    return form, None


class TokenBucket:
    """At most `burst` at once, then `rate` a second; waiters go first come, first served."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.capacity = float(burst)
        self._tokens = float(burst)
        self._stamp = time.monotonic()
        self._lock = asyncio.Lock()

    def _refill(self) -> None:
        now = time.monotonic()
        self._tokens = min(self.capacity, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now

    @property
    def idle(self) -> bool:
        """Full and nobody waiting: forgetting it changes nothing."""
        self._refill()
        return self._tokens >= self.capacity and not self._lock.locked()

    async def take(self) -> None:
        async with self._lock:
            self._refill()
            if self._tokens < 1:
                await asyncio.sleep((1 - self._tokens) / self.rate)
                self._refill()
            self._tokens -= 1


class PacingRateLimiter(BaseRateLimiter[int]):
    """Paces new messages, waits out 429s and reports blocked chats (see the module doc)."""

    _FORGET_AFTER = 1_000  # chats remembered before idle ones are dropped

    def __init__(self, *, chat_rate: float = 1.0, overall_rate: float = 30.0,
                 chat_burst: int = CHAT_BURST, max_retries: int = 5,
                 on_blocked: BlockedHook | None = None) -> None:
        self.chat_rate = chat_rate
        self.chat_burst = chat_burst
        self.max_retries = max_retries
        self.on_blocked = on_blocked
        # Evenly spread: a tenth of a second's worth at once, so no one second holds more
        # than about `overall_rate` (a whole second's burst could double it).
        self._overall = TokenBucket(overall_rate, max(1, round(overall_rate / 10))) \
            if overall_rate else None
        self._chats: dict[int | str, TokenBucket] = {}
        self._open = asyncio.Event()
        self._open.set()

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    def _chat_bucket(self, chat_id: int | str) -> TokenBucket:
        bucket = self._chats.get(chat_id)
        if bucket is None:
            if len(self._chats) >= self._FORGET_AFTER:
                self._chats = {k: b for k, b in self._chats.items() if not b.idle}
            bucket = self._chats[chat_id] = TokenBucket(self.chat_rate, self.chat_burst)
        return bucket

    async def _pace(self, chat_id: int | str | None) -> None:
        # The chat first: a person waiting for their own chat holds no overall slot meanwhile.
        if chat_id is not None and self.chat_rate:
            await self._chat_bucket(chat_id).take()
        if self._overall is not None:
            await self._overall.take()

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, JSONResult]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> JSONResult:
        chat_id = _chat_of(data)
        paced = adds_a_message(endpoint)
        retries = self.max_retries if rate_limit_args is None else rate_limit_args
        attempt = 0
        while True:
            await self._open.wait()
            if paced:
                await self._pace(chat_id)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as error:
                seconds = retry_after_seconds(error)
                if attempt >= retries or seconds > MAX_RETRY_AFTER:
                    log.warning("%s: Telegram still asks us to wait (%.0f s); giving up",
                                endpoint, seconds)
                    raise
                await self._pause(seconds + 0.1, endpoint)
            except Forbidden:
                await self._blocked(chat_id)
                raise
            attempt += 1

    async def _pause(self, seconds: float, endpoint: str) -> None:
        """Telegram said "too many requests": every call waits, not only this one."""
        log.info("%s: Telegram asks us to wait %.1f s", endpoint, seconds)
        self._open.clear()
        try:
            await asyncio.sleep(seconds)
        finally:
            self._open.set()

    async def _blocked(self, chat_id: int | str | None) -> None:
        # Only a private chat is a person; a group's 403 means the bot was removed from it.
        if self.on_blocked is None or not isinstance(chat_id, int) or chat_id <= 0:
            return
        try:
            await self.on_blocked(chat_id)
        except Exception:  # the 403 itself is what the caller must see, not this
            log.exception("could not mark chat %s inactive", chat_id)


def retry_after_seconds(error: RetryAfter) -> float:
    """How long Telegram asks us to wait after a 429, in seconds (Bot API: retry_after)."""
    with warnings.catch_warnings():  # PTB 22 warns that the type will become timedelta
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        wait = error.retry_after
    return float(wait) if isinstance(wait, int | float) else wait.total_seconds()


def _chat_of(data: dict[str, Any]) -> int | str | None:
    chat_id = data.get("chat_id")
    if chat_id is None:
        return None
    try:
        return int(chat_id)
    except (TypeError, ValueError):
        return str(chat_id)


def build_request(settings: Settings) -> TelegramHTTP:
    return TelegramHTTP(read_timeout=settings.telegram_read_timeout)


# Seconds to wait for getUpdates' answer beyond its long-poll timeout.
UPDATES_READ_TIMEOUT = 5.0


def build_updates_request() -> TelegramHTTP:
    """For getUpdates: the poller retries on its own (bot.telegram.polling), and waits as long
    as it polls plus UPDATES_READ_TIMEOUT."""
    return TelegramHTTP(read_timeout=UPDATES_READ_TIMEOUT, retries=0, connections=1)


def build_rate_limiter(settings: Settings, db: Database) -> PacingRateLimiter:
    """The limiter `python -m bot run` uses; a blocked chat's person is marked inactive."""

    async def mark_inactive(chat_id: int) -> None:
        async with db.transaction() as session:
            if await reliability_repo.mark_chat_inactive(session, chat_id):
                log.info("chat %s has blocked the bot: marked inactive", chat_id)

    return PacingRateLimiter(chat_rate=settings.chat_sends_per_second,
                             overall_rate=settings.sends_per_second, on_blocked=mark_inactive)
