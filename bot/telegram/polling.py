"""Long polling that confirms an update to Telegram only once it has been handled.

Telegram's getUpdates confirms every update whose id is below the `offset` it is given, and
then never sends those again (Bot API, getUpdates). python-telegram-bot's own Updater asks for
the next batch as soon as the previous one is queued, so it confirms updates still waiting in
its queue: a crash (SIGKILL, power loss, out of memory) then loses them, and with them a young
person's own words and taps left spinning.

Here the offset only moves past an update once its handling has finished: its transaction
committed (or it was refused on purpose, or failed in a way a retry cannot mend) and its replies
were sent. Until then Telegram keeps it, and after a crash sends it again to the next process;
the processed-updates table (bot.store.repo.claim_update) makes the repeat harmless, and
bot.service.unit_of_work shows the young person where they are if the old process may have died
before replying.

An update whose transaction could not commit because the database was away is kept back too
and handled again later (as Telegram does in webhook mode after our 503); a person's later
updates wait behind it, so their words never land out of order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import warnings
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from telegram import Update
from telegram.error import Conflict, EndPointNotFound, InvalidToken, RetryAfter, TelegramError
from telegram.ext import Application
from telegram.warnings import PTBUserWarning

from bot.telegram.ordering import update_key
from bot.telegram.request import UPDATES_READ_TIMEOUT, retry_after_seconds
from bot.telegram.unprocessed import committed, failed_now, track_failures

log = logging.getLogger(__name__)

POLLER = "mysay_poller"  # bot_data key
# While updates are in hand, Telegram answers getUpdates at once (with them again); this is
# the longest we wait for the offset to move before asking anyway, for other people's news.
BUSY_PAUSE = 0.1  # seconds
FIRST_BACKOFF, MAX_BACKOFF = 1.0, 30.0  # seconds, for Telegram or the database being away
# While only kept-back updates wait, the longest pause between asks (seconds): Telegram would
# answer at once with them again, and other people's news can wait this long in an outage.
HELD_PAUSE = 2.0
# An update that failed this often while other people's updates were stored is not a database
# outage but something about that update: it is given up on, so it cannot hold back the
# offset (and Telegram's 100-update window) for everyone.
GIVE_UP_AFTER = 5


@dataclass
class _Held:
    """An update whose transaction could not commit, waiting to be handled again."""

    update: Update
    due: float  # event-loop time (seconds) after which it is tried again
    backoff: float  # seconds to wait if it fails once more
    failures: int = 0  # times its own transaction could not commit
    stored_before: int = 0  # transactions committed (by anyone) when it first failed itself


class SafePoller:
    """Fetches updates with getUpdates and hands each to the Application's update processor,
    confirming to Telegram only what is finished.

    `timeout` is the long-poll wait in whole seconds (the Bot API takes an Integer);
    `allowed_updates` the update types to ask for. Started by `start()`; `stop()` lets the
    updates in hand finish first.
    """

    def __init__(self, application: Application, *, timeout: int,
                 allowed_updates: Sequence[str], busy_pause: float = BUSY_PAUSE) -> None:
        self.application = application
        self.timeout = timeout
        self.allowed_updates = list(allowed_updates)
        self.busy_pause = busy_pause
        self._in_flight: dict[int, asyncio.Task[None]] = {}
        self._held: dict[int, _Held] = {}
        self._done: set[int] = set()  # finished, not yet confirmed (something older is not)
        self._highest: int | None = None  # highest update id finished or in hand
        self._waiting_turn: dict[int, int | None] = {}  # handed over, not yet begun: its person
        self._progress = asyncio.Event()
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        track_failures(application)

    # --- the offset ---------------------------------------------------------------------------

    def next_offset(self) -> int | None:
        """The offset to send: the oldest update not finished, else one past the newest seen.
        None before anything was seen (Telegram then sends all it holds)."""
        waiting = self._in_flight.keys() | self._held.keys()
        if waiting:
            return min(waiting)
        return None if self._highest is None else self._highest + 1

    def _is_waiting(self) -> bool:
        return bool(self._in_flight or self._held)

    # --- running ------------------------------------------------------------------------------

    async def start(self) -> None:
        """Remove any webhook (Telegram refuses getUpdates while one is set), then poll in the
        background. Raises InvalidToken if Telegram does not know the token."""
        await self._call_until_done(lambda: self.application.bot.delete_webhook(
            drop_pending_updates=False), "deleteWebhook")
        self._task = asyncio.create_task(self._poll_forever(), name="mysay-polling")

    @property
    def task(self) -> asyncio.Task[None] | None:
        """The polling task once started. It ends by itself only if Telegram refuses the token
        (InvalidToken); every other fault is logged and retried."""
        return self._task

    async def stop(self) -> None:
        """Stop asking for updates, let those in hand finish, then confirm what is done (an
        update kept back because the database was away stays with Telegram for next time).
        Raises nothing: how the polling task ended was logged, or is the caller's to read."""
        self._stopping.set()
        if self._task is not None:
            if not self._task.done():
                self._task.cancel()
            await asyncio.wait([self._task])
        if self._in_flight:
            await asyncio.gather(*self._in_flight.values(), return_exceptions=True)
        offset = self.next_offset()
        if offset is None:
            return
        try:
            await self._fetch(offset, wait=0, limit=1)
        except TelegramError as error:  # they come again on the next start, and are deduplicated
            log.info("could not confirm the last updates on stopping: %s", type(error).__name__)

    async def _poll_forever(self) -> None:
        backoff = FIRST_BACKOFF
        trouble: str | None = None  # what went wrong last time, said once, not on every retry
        while not self._stopping.is_set():
            offset = self.next_offset()
            try:
                updates = await self._fetch(offset, wait=self.timeout)
            except RetryAfter as error:
                await self._sleep(retry_after_seconds(error))
                continue
            except InvalidToken:
                log.critical("Telegram no longer accepts the bot token: stopping")
                raise
            except TelegramError as error:  # 409 Conflict, network trouble, a 5xx
                trouble = _warn_once(error, trouble)
                await self._sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)
                continue
            except Exception:  # an answer we could not read: never stop polling over it
                log.exception("getUpdates gave an answer MySay could not read; asking again")
                await self._sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)
                continue
            if trouble is not None:
                log.warning("polling Telegram works again")
                trouble, backoff = None, FIRST_BACKOFF
            self._forget_confirmed(offset)
            started = self._take(updates)
            if not started and self._is_waiting():
                await self._pause()

    async def _fetch(self, offset: int | None, *, wait: int,
                     limit: int = 100) -> list[dict[str, Any]]:
        """getUpdates (a long poll of `wait` seconds from `offset`, at most `limit` updates), as
        the Bot API's JSON objects. Those Telegram sends again because they are in hand are
        then skipped unread: reading one into PTB's objects costs about half a millisecond, and
        up to 100 come back on each ask. Raises TelegramError (InvalidToken for a 404)."""
        kwargs: dict[str, Any] = {"timeout": wait, "limit": limit,
                                  "allowed_updates": self.allowed_updates}
        if offset is not None:
            kwargs["offset"] = offset
        with warnings.catch_warnings():  # PTB would rather we called Bot.get_updates
            warnings.simplefilter("ignore", PTBUserWarning)
            try:
                answer = await self.application.bot.do_api_request(
                    "getUpdates", api_kwargs=kwargs, read_timeout=UPDATES_READ_TIMEOUT + wait)
            except EndPointNotFound as error:  # Bot API 404 once started: the token is gone
                raise InvalidToken(error.message) from None
        if not isinstance(answer, list):
            raise TelegramError("getUpdates did not answer with a list of updates")
        return [item for item in answer if isinstance(item, dict)
                and isinstance(item.get("update_id"), int)]

    def _take(self, updates: Sequence[dict[str, Any]]) -> int:
        """Start handling what is new in a batch; returns how many were started."""
        now = asyncio.get_running_loop().time()
        started = 0
        self._forget_held_telegram_dropped(updates)
        for data in sorted(updates, key=lambda item: int(item["update_id"])):
            uid = int(data["update_id"])
            if uid in self._in_flight or uid in self._done:
                continue  # Telegram sends unconfirmed updates again: already in hand
            held = self._held.get(uid)
            if held is not None and held.due > now:
                continue
            update = held.update if held is not None else self._read(uid, data)
            if update is None:
                continue
            started += self._release_held_before(update)
            self._dispatch(update, held)
            started += 1
        return started

    def _read(self, uid: int, data: dict[str, Any]) -> Update | None:
        """The update as PTB's object, or None (and it counts as done) if PTB cannot read it:
        asking for it again would bring the same bytes."""
        try:
            update = Update.de_json(data, self.application.bot)
        except Exception:  # an update shape this version of PTB cannot read
            update = None
        if update is None:
            log.warning("update %s could not be read and was skipped", uid)
            self._done.add(uid)
            self._highest = uid if self._highest is None else max(self._highest, uid)
        return update

    def _forget_held_telegram_dropped(self, updates: Sequence[dict[str, Any]]) -> None:
        """Telegram keeps an unconfirmed update for a day, then drops it: a kept-back update
        older than everything it sends is gone, and would otherwise pin the offset for good."""
        if not updates:
            return
        oldest = min(int(item["update_id"]) for item in updates)
        for uid in [uid for uid in self._held if uid < oldest]:
            log.error("update %s, kept back since the database was away, is no longer at "
                      "Telegram (it keeps updates a day): it is lost", uid)
            del self._held[uid]

    def _release_held_before(self, update: Update) -> int:
        """A person's newer update arrived: hand over their kept-back ones first, in order."""
        key = update_key(update)
        earlier = sorted(uid for uid, held in self._held.items()
                         if uid < update.update_id and update_key(held.update) == key)
        for uid in earlier:
            self._dispatch(self._held[uid].update, self._held[uid])
        return len(earlier)

    def _dispatch(self, update: Update, held: _Held | None) -> None:
        uid = update.update_id
        self._held.pop(uid, None)
        self._highest = uid if self._highest is None else max(self._highest, uid)
        self._waiting_turn[uid] = update_key(update)
        self._in_flight[uid] = asyncio.create_task(self._handle(update, held),
                                                   name=f"mysay-update-{uid}")

    async def _handle(self, update: Update, held: _Held | None) -> None:
        application = self.application
        uid = update.update_id
        try:
            # The same per-person ordering and concurrency limit as webhook mode uses.
            await application.update_processor.process_update(
                update, self._unless_behind_held(update))
        except Exception:  # a retry cannot mend it: error handlers have had their say
            log.exception("an update could not be handled")
        finally:
            del self._in_flight[uid]
            self._waiting_turn.pop(uid, None)
            if uid in self._held:
                pass  # kept back, behind an earlier one of theirs (_unless_behind_held)
            elif failed_now(application, uid) and not self._give_up(uid, held):
                backoff = held.backoff if held else FIRST_BACKOFF  # the database was away
                failed_before = held is not None and held.failures > 0
                self._held[uid] = _Held(
                    update, asyncio.get_running_loop().time() + backoff,
                    min(backoff * 2, MAX_BACKOFF), (held.failures if held else 0) + 1,
                    held.stored_before if held and failed_before else committed(application))
            else:
                self._done.add(uid)
            self._progress.set()

    def _give_up(self, uid: int, held: _Held | None) -> bool:
        """True for an update that keeps failing while others are stored: the database is
        there, so waiting cannot help, and holding it would stop everyone's updates."""
        if held is None or held.failures + 1 < GIVE_UP_AFTER \
                or committed(self.application) <= held.stored_before:
            return False
        log.error("update %s could not be stored after %s tries while others were; giving it "
                  "up", uid, held.failures + 1)
        return True

    async def _unless_behind_held(self, update: Update) -> None:
        """Handle the update, unless an earlier one of the same person's was kept back while
        this one waited its turn: then keep this one back too, so their words stay in order.
        Runs inside the person's turn (PerPersonUpdateProcessor). An earlier one handed over
        again may also still wait for a place among the concurrent updates, behind this one: then
        this one waits too."""
        uid = update.update_id
        key = self._waiting_turn.pop(uid, None)
        if key is None:  # not a person's update: no order to keep
            await self.application.process_update(update)
            return
        earlier = [held.due for other, held in self._held.items()
                   if other < uid and update_key(held.update) == key]
        behind = any(other < uid and person == key for other, person in self._waiting_turn.items())
        if earlier or behind:
            due = min(earlier, default=asyncio.get_running_loop().time())
            self._held[uid] = _Held(update, due, FIRST_BACKOFF)
            return
        await self.application.process_update(update)

    def _forget_confirmed(self, offset: int | None) -> None:
        """Telegram has now confirmed everything below `offset` and will not send it again
        (unless it is a true duplicate, which is handled as one)."""
        if offset is not None:
            self._done = {uid for uid in self._done if uid >= offset}

    async def _pause(self) -> None:
        """Wait until the offset can move (the oldest update in hand finished), or a short
        while, or stop: asking again sooner would only bring the same updates back. With only
        kept-back updates waiting (the database is away), until the first is due again."""
        offset = self.next_offset()
        loop = asyncio.get_running_loop()
        pause = self.busy_pause
        if not self._in_flight and self._held:
            earliest = min(held.due for held in self._held.values())
            pause = min(max(earliest - loop.time(), self.busy_pause), HELD_PAUSE)
        deadline = loop.time() + pause
        while self.next_offset() == offset and not self._stopping.is_set():
            remaining = deadline - loop.time()
            if remaining <= 0:
                return
            self._progress.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._progress.wait(), remaining)

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

    async def _call_until_done(self, call: Callable[[], Awaitable[object]], what: str) -> None:
        """Telegram calls needed before polling can start, tried until they work."""
        backoff, trouble = FIRST_BACKOFF, None
        while True:
            try:
                await call()
                return
            except InvalidToken:
                raise
            except RetryAfter as error:
                await asyncio.sleep(retry_after_seconds(error))
            except TelegramError as error:  # cancelled by whoever starts us, if they stop
                trouble = _warn_once(error, trouble, what)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)


def _warn_once(error: TelegramError, before: str | None, what: str = "getUpdates") -> str:
    """One clear warning when a kind of trouble starts, not a traceback on every retry.
    Returns the kind, to compare with next time."""
    kind = type(error).__name__
    if kind != before:
        if isinstance(error, Conflict):
            log.warning("Telegram says another process is polling with this bot's token (a "
                        "deploy still running, or a second copy of MySay): waiting and trying "
                        "again. Only one process may poll; for several, use --webhook.")
        else:
            log.warning("%s failed (%s: %s): trying again, waiting longer each time", what, kind,
                        error.message)
    return kind

