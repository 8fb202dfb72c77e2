"""The poller's promise, for any order in which updates finish (issue 11, point 1): the offset
sent to Telegram never passes an update that is not handled, every update is handled once,
one that the database could not store is handled again, and each person's updates land in
the order they were sent. Telegram is played by a stub that keeps what is not confirmed, as
getUpdates does."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from telegram import Update
from telegram.error import InvalidToken

from bot.telegram import polling
from bot.telegram.ordering import PerPersonUpdateProcessor
from bot.telegram.polling import SafePoller
from bot.telegram.unprocessed import note_committed, note_unprocessed

FIRST_ID = 500


def _update(update_id: int, chat: int) -> Update:
    return Update.de_json({"update_id": update_id, "message": {
        "message_id": update_id, "date": 0, "text": "words",
        "chat": {"id": chat, "type": "private"}}}, None)


class StubTelegram:
    """getUpdates as Telegram does it: everything from `offset` on, until it is confirmed."""

    def __init__(self, updates: list[Update], unfinished: set[int]) -> None:
        self.pending = list(updates)
        self.unfinished = unfinished  # ids not yet handled (shared with the application)
        self.offsets: list[int | None] = []
        self.too_far: list[tuple[int, int]] = []

    async def do_api_request(self, endpoint: str, api_kwargs: dict[str, Any],
                             **_: Any) -> list[dict[str, Any]]:
        assert endpoint == "getUpdates"
        offset, limit = api_kwargs.get("offset"), api_kwargs.get("limit", 100)
        self.offsets.append(offset)
        if offset is not None:
            passed = [uid for uid in self.unfinished if uid < offset]
            self.too_far += [(offset, uid) for uid in passed]
            self.pending = [u for u in self.pending if u.update_id >= offset]
        if not self.pending:
            await asyncio.sleep(0.002)  # a long poll with nothing new
        return [u.to_dict() for u in self.pending[:limit]]

    async def delete_webhook(self, **_: Any) -> bool:
        return True


class StubApplication:
    """Just what the poller uses of PTB's Application; handling waits for the test's go."""

    def __init__(self, updates: list[Update], fail_once: set[int],
                 concurrency: int = 64) -> None:
        self.unfinished = {u.update_id for u in updates}
        self.bot = StubTelegram(updates, self.unfinished)
        self.bot_data: dict[str, Any] = {}
        self.update_processor = PerPersonUpdateProcessor(concurrency)
        self.gates = {u.update_id: asyncio.Event() for u in updates}
        self.fail_once = set(fail_once)
        self.without_database: set[int] = set()  # handled without a transaction
        self.handled: list[tuple[int, int]] = []  # (chat, update id), in the order they landed

    async def process_update(self, update: Update) -> None:
        uid = update.update_id
        await self.gates[uid].wait()
        if uid in self.fail_once:  # the database was away this time
            self.fail_once.discard(uid)
            note_unprocessed(self, uid)  # type: ignore[arg-type]
            return
        assert update.effective_chat is not None
        self.handled.append((update.effective_chat.id, uid))
        self.unfinished.discard(uid)
        if uid not in self.without_database:
            note_committed(self)  # type: ignore[arg-type]


@st.composite
def bursts(draw: st.DrawFn) -> tuple[list[Update], list[int], set[int], int]:
    """Updates from up to four people, the order their handling is let go, which ones find
    the database away the first time, and how many may be handled at once."""
    chats = draw(st.lists(st.integers(1, 4), min_size=1, max_size=25))
    updates = [_update(FIRST_ID + i, chat) for i, chat in enumerate(chats)]
    ids = [u.update_id for u in updates]
    order = draw(st.permutations(ids))
    fail_once = draw(st.sets(st.sampled_from(ids), max_size=4))
    return updates, order, fail_once, draw(st.sampled_from([1, 2, 64]))


@pytest.fixture(autouse=True)
def _quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(polling, "FIRST_BACKOFF", 0.01)  # seconds, not a second


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # the same patch each time
@given(burst=bursts())
def test_the_offset_never_passes_an_update_that_is_not_handled(
        burst: tuple[list[Update], list[int], set[int], int]) -> None:
    updates, order, fail_once, concurrency = burst
    application = asyncio.run(_run(updates, order, fail_once, concurrency))
    telegram = application.bot
    assert telegram.too_far == [], "confirmed to Telegram before it was handled"
    handled = [uid for _, uid in application.handled]
    assert sorted(handled) == [u.update_id for u in updates]  # each once, none lost
    for chat in {chat for chat, _ in application.handled}:
        theirs = [uid for c, uid in application.handled if c == chat]
        assert theirs == sorted(theirs), f"person {chat}: out of order"
    assert telegram.offsets[-1] == updates[-1].update_id + 1  # all confirmed on stopping


async def _polling(application: StubApplication) -> SafePoller:
    """A poller on the stub, started, asking again quickly while updates are in hand."""
    poller = SafePoller(application, timeout=0, allowed_updates=["message"],  # type: ignore[arg-type]
                        busy_pause=0.005)
    await poller.start()
    return poller


async def _run(updates: list[Update], order: list[int], fail_once: set[int],
               concurrency: int) -> StubApplication:
    application = StubApplication(updates, fail_once, concurrency)
    poller = await _polling(application)
    for uid in order:
        # Slower than a first retry (FIRST_BACKOFF here), so updates handed over again meet
        # others still waiting for their turn.
        application.gates[uid].set()
        await asyncio.sleep(0.004)
    async with asyncio.timeout(10):
        while application.unfinished:  # noqa: ASYNC110 - made true by the poller's tasks
            await asyncio.sleep(0.005)
    await poller.stop()
    return application


async def test_an_update_that_keeps_failing_while_others_are_stored_is_given_up() -> None:
    """Not an outage but that update: after a few tries it is confirmed, so it cannot hold the
    offset, and with it Telegram's 100-update window, for everyone behind it."""
    updates = [_update(FIRST_ID + i, 1 + i % 7) for i in range(150)]
    application = StubApplication(updates, set())
    bad = FIRST_ID + 3
    always_failing = _AlwaysFailing(application, bad)
    application.unfinished.discard(bad)
    for gate in application.gates.values():
        gate.set()
    poller = await _polling(application)
    async with asyncio.timeout(20):
        while application.unfinished or poller.next_offset() != updates[-1].update_id + 1:  # noqa: ASYNC110
            await asyncio.sleep(0.01)
    await poller.stop()
    assert always_failing.tries == polling.GIVE_UP_AFTER
    assert application.bot.too_far == []


async def test_polling_goes_on_after_an_answer_it_cannot_read_and_ends_on_a_refused_token(
        caplog: pytest.LogCaptureFixture) -> None:
    updates = [_update(FIRST_ID, 1)]
    application = StubApplication(updates, set())
    application.gates[FIRST_ID].set()
    real = application.bot.do_api_request
    faults: list[BaseException] = [KeyError("odd answer")]

    async def flaky(endpoint: str, api_kwargs: dict[str, Any], **kwargs: Any) -> Any:
        if faults:
            raise faults.pop()
        return await real(endpoint, api_kwargs, **kwargs)

    application.bot.do_api_request = flaky  # type: ignore[method-assign]
    poller = await _polling(application)
    async with asyncio.timeout(10):
        while application.unfinished:  # noqa: ASYNC110 - made true by the poller
            await asyncio.sleep(0.01)
    assert "could not read" in caplog.text  # logged, then polling went on
    faults.append(InvalidToken("Unauthorized"))
    assert poller.task is not None
    async with asyncio.timeout(10):
        await asyncio.wait([poller.task])
    assert isinstance(poller.task.exception(), InvalidToken)
    await poller.stop()  # raises nothing: how it ended is the caller's to read


class _AlwaysFailing:
    """Makes one update's transaction fail every time, as if it broke something in the
    database, while everyone else's are stored."""

    def __init__(self, application: StubApplication, update_id: int) -> None:
        self.tries = 0
        self.over = False
        original = application.process_update

        async def process_update(update: Update) -> None:
            if update.update_id == update_id and not self.over:
                self.tries += 1
                note_unprocessed(application, update_id)  # type: ignore[arg-type]
                return
            await original(update)

        application.process_update = process_update  # type: ignore[method-assign]


async def test_in_an_outage_an_update_is_never_given_up_for_others_that_store_nothing() -> None:
    """Group messages, blocked-bot notices and flood drops finish without a transaction: they
    say nothing about the database, so the kept-back update keeps waiting for it."""
    updates = [_update(FIRST_ID + i, 1 + i) for i in range(12)]
    application = StubApplication(updates, set())
    waiting = FIRST_ID
    application.without_database = {u.update_id for u in updates} - {waiting}
    outage = _AlwaysFailing(application, waiting)
    for gate in application.gates.values():
        gate.set()
    poller = await _polling(application)
    async with asyncio.timeout(20):
        while outage.tries < polling.GIVE_UP_AFTER + 3:  # noqa: ASYNC110 - the poller retries
            await asyncio.sleep(0.01)
    assert poller.next_offset() == waiting  # still kept back, not given up
    outage.over = True  # the database is back
    await _all_done(application, poller)
    assert application.bot.offsets[-1] == updates[-1].update_id + 1


async def test_a_kept_back_update_telegram_no_longer_has_stops_pinning_the_offset() -> None:
    updates = [_update(FIRST_ID + i, 1) for i in range(3)]
    application = StubApplication(updates, set())
    outage = _AlwaysFailing(application, FIRST_ID)
    application.unfinished.discard(FIRST_ID)
    for gate in application.gates.values():
        gate.set()
    poller = await _polling(application)
    async with asyncio.timeout(20):
        while outage.tries < 2:  # noqa: ASYNC110 - the poller retries
            await asyncio.sleep(0.01)
    # A day later Telegram has dropped it: only the newer ones come back.
    application.bot.pending = [u for u in application.bot.pending if u.update_id != FIRST_ID]
    await _all_done(application, poller)
    assert application.bot.offsets[-1] == updates[-1].update_id + 1


async def _all_done(application: StubApplication, poller: SafePoller) -> None:
    """Wait until every update is handled, then stop the poller."""
    async with asyncio.timeout(20):
        while application.unfinished:  # noqa: ASYNC110 - made true by the poller
            await asyncio.sleep(0.01)
    await poller.stop()
