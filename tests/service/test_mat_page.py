"""The Talking Mat page (issue 16) behind its HTTP adapter: bot.service.mat_page through the
unit of work (bot.service.unit_of_work.handle_page), on the real services and database.

A mat finished on the page is stored exactly as the chat's buttons store it; any sequence of
page moves leaves the mat as the engine leaves it for the same taps in the chat; a stale page
changes nothing, someone else's run shows nothing, a page from an old run is told it is gone;
pictures and speech only for what is on the mat; the chat's mat screens offer the page only
when MySay has a public address, and the fake Bot API refuses a Mini App button as Telegram
does."""

from __future__ import annotations

import asyncio
import io
import re
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from bot.config import Settings
from bot.engine.core import LEFT_OFF, Action, ActionKind, AnswerRecord, RunState, mat_order
from bot.render import speech
from bot.sandbox.fake_api.markup import check_reply_markup
from bot.sandbox.fake_api.wire import BotAPIError
from bot.service.mat_page import PageAnswer, PageMove, PageRequest
from bot.service.unit_of_work import handle_page
from bot.store import repo
from bot.store.models import FlowRun
from tests.engine.test_engine import ENGINE
from tests.support.driver import Driver, Person, World, row_of

PUBLIC = "https://mysay.example.org/app"
SCALE = {0: "Like", 1: "Not sure", 2: "Don't like", LEFT_OFF: "Skip"}
CARDS = list(ENGINE.flows["talking_mat"].step("mat").choices)
# Where each of the talking_mat flow's cards goes (as tests/service/test_mat_placements.py).
COLUMNS = [0, 2, 1, 0, LEFT_OFF, 0, 1, 2]


def jpeg(colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (320, 240), colour).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
async def paged(offline_settings: Settings) -> AsyncIterator[Driver]:
    """The conversation with a public address set (MYSAY_PUBLIC_URL): the page is offered."""
    opened = await Driver.open(offline_settings.model_copy(update={"public_url": PUBLIC}))
    yield opened
    await opened.close()


async def young(world: World, name: str = "Jo") -> Person:
    return await world.young_person(await world.therapist(f"Sam {name}"), name)


async def run_of(world: World, person: Person) -> FlowRun:
    """The young person's current run, as stored now."""
    async with world.services.db.transaction() as session:
        row = await row_of(session, person)
        run = await repo.current_run(session, row.id)
        assert run is not None
        return run


async def page(world: World, person: Person, what: str = "state", run_id: int | None = None,
               *, move: PageMove | None = None, card: str | None = None) -> PageAnswer:
    """One request from the page as `person`, through the unit of work; what it sends to the
    chat is shown there as the adapter shows it (new messages)."""
    run_id = (await run_of(world, person)).id if run_id is None else run_id
    answer = await handle_page(world.services, person.user_id,
                               PageRequest(run_id, what, move=move, card=card))  # type: ignore[arg-type]
    if answer.result is not None:
        assert all(not reply.edit for reply in answer.result.replies)
        await world.driver.show(person.user_id, answer.result, None)
    return answer


async def do(world: World, person: Person, op: str, card: str | None = None,
             column: int | None = None, *, version: int | None = None) -> PageAnswer:
    """A move on the page, at the version it shows (the run's, unless given)."""
    run = await run_of(world, person)
    move = PageMove(run.version if version is None else version, op, card, column)
    return await page(world, person, "move", run.id, move=move)


async def stored(world: World, run_id: int) -> tuple[FlowRun, dict[str, AnswerRecord]]:
    async with world.services.db.transaction() as session:
        run = await session.get(FlowRun, run_id)
        assert run is not None
        return run, await repo.answers_of(session, run_id)


async def mat_picture(world: World, answer: AnswerRecord) -> bytes:
    from bot.store import media_repo

    kept = [media for media, kind in answer.media if kind == "mat"]
    assert len(kept) == 1, answer.media
    async with world.services.db.transaction() as session:
        return (await media_repo.contents(session, kept))[kept[0]]


def words(messages: list[Any]) -> list[str]:
    return [m.text for m in messages]


# -- the finished mat -------------------------------------------------------------------------


async def test_a_mat_finished_on_the_page_is_stored_as_the_chats_buttons_store_it(
        chat: World) -> None:
    jo, al = await young(chat, "Jo"), await young(chat, "Al")
    await jo.tap("Talking Mat")
    await al.tap("Talking Mat")
    for column in COLUMNS:
        await jo.tap(SCALE[column])
    await jo.tap("Move a card")
    await jo.tap("Maths")
    await jo.tap("Like")
    jo_seen = len(jo.messages())
    await jo.tap("This is right")

    state = (await page(chat, al)).body
    assert state is not None and state["stage"] == "place" and state["current"] == CARDS[0]
    for card, column in zip(CARDS, COLUMNS, strict=True):
        answer = await do(chat, al, "place", card, column)
        assert answer.status == 200 and answer.result is None, answer.body
    assert (await do(chat, al, "move", "maths", 0)).status == 200
    al_seen = len(al.messages())
    done = await do(chat, al, "right")
    assert done.status == 200 and done.body is not None and done.body["stage"] == "done"
    assert done.result is not None

    jo_run, jo_answers = await stored(chat, (await run_of(chat, jo)).id)
    al_run, al_answers = await stored(chat, (await run_of(chat, al)).id)
    jo_mat, al_mat = jo_answers["mat"], al_answers["mat"]
    assert al_mat.placements == jo_mat.placements
    assert ("maths", 0) == al_mat.placements[-1]
    assert (al_mat.kind, al_mat.choices) == (jo_mat.kind, jo_mat.choices)
    assert al_run.options == jo_run.options  # the placements kept with the run, too
    assert (al_run.step_id, al_run.status, repo.run_state(al_run).history) == \
        (jo_run.step_id, jo_run.status, repo.run_state(jo_run).history)
    assert await mat_picture(chat, al_mat) == await mat_picture(chat, jo_mat)
    # The chat shows what the button version shows: the mat picture, then the next step.
    assert words(al.messages()[al_seen:]) == words(jo.messages()[jo_seen:])
    assert [m.kind for m in al.messages()[al_seen:]] == ["photo", "photo"]

    for person in (jo, al):  # and the rest of the flow, with who helped, is the same
        await person.send("I like art best")
        await person.tap("On my own")
        await person.tap("Done")
    assert jo.text() == al.text() and "This is what you told me" in al.text()
    await jo.tap("Keep it just for me")
    await al.tap("Keep it just for me")
    jo_run, _ = await stored(chat, jo_run.id)
    al_run, _ = await stored(chat, al_run.id)
    assert al_run.helped_by == jo_run.helped_by == "helped_alone"


async def test_a_move_is_several_engine_actions_saved_as_one_version(chat: World) -> None:
    jo = await young(chat)
    await jo.tap("Talking Mat")
    for card, column in zip(CARDS, COLUMNS, strict=True):
        await do(chat, jo, "place", card, column)
    before = await run_of(chat, jo)
    moved = await do(chat, jo, "move", "pe", 2)
    after = await run_of(chat, jo)
    assert moved.status == 200 and after.version == before.version + 1
    assert moved.body is not None and moved.body["version"] == after.version
    assert repo.run_state(after).placed[-1] == ("pe", 2)
    assert not repo.run_state(after).picking and repo.run_state(after).moving is None
    pe = next(c for c in moved.body["cards"] if c["id"] == "pe")
    # Last under "Don't like"', the last column now that nothing is left off.
    assert pe["column"] == 2 and pe["order"] == len(CARDS) - 1


async def test_the_page_finishes_a_move_the_chat_began(chat: World) -> None:
    """The chat's "Move a card" leaves the run choosing a card; the page shows the whole mat
    and its moves still do what they say: move the card named, take back the last card,
    or "This is right"."""
    jo = await young(chat)
    await jo.tap("Talking Mat")
    for column in COLUMNS:
        await jo.tap(SCALE[column])
    await jo.tap("Move a card")
    state = (await page(chat, jo)).body
    assert state is not None and (state["stage"], state["current"]) == ("look", None)
    assert (await do(chat, jo, "move", "art", 2)).status == 200
    after = repo.run_state(await run_of(chat, jo))
    assert after.placed[-1] == ("art", 2) and not after.picking
    await jo.send("/continue")  # the chat shows the mat as the page left it
    await jo.tap("Move a card")
    assert (await do(chat, jo, "back")).status == 200
    after = repo.run_state(await run_of(chat, jo))
    assert len(after.placed) == len(CARDS) - 1 and not after.picking
    await do(chat, jo, "place", "art", 0)
    await jo.send("/continue")
    await jo.tap("Move a card")
    done = await do(chat, jo, "right")
    assert done.status == 200 and (await run_of(chat, jo)).step_id == "more"


async def test_stop_pauses_and_the_chat_says_so(chat: World) -> None:
    jo = await young(chat)
    await jo.tap("Talking Mat")
    await do(chat, jo, "place", CARDS[0], 0)
    stopped = await do(chat, jo, "stop")
    assert stopped.status == 200 and stopped.body is not None
    assert stopped.body["stage"] == "paused" and stopped.body["cards"][0]["column"] == 0
    assert "Stopped for now" in jo.text()
    run = await run_of(chat, jo)
    assert run.status == "paused"
    again = await page(chat, jo)
    assert again.status == 409 and again.body == {
        "stale": True, "gone": True,
        "error": "This mat is stopped for now. Tap Continue in the chat to carry on."}
    await jo.tap("Continue")
    back = await page(chat, jo)
    assert back.status == 200 and back.body is not None
    assert back.body["current"] == CARDS[1] and back.body["cards"][0]["column"] == 0


async def test_chat_sends_the_step_again_and_changes_nothing(chat: World) -> None:
    jo = await young(chat)
    await jo.tap("Talking Mat")
    await do(chat, jo, "place", CARDS[0], 1)
    before = await run_of(chat, jo)
    seen = len(jo.messages())
    sent = await do(chat, jo, "chat")
    assert sent.status == 200 and (await run_of(chat, jo)).version == before.version
    assert len(jo.messages()) == seen + 1
    assert "where does Maths go?" in jo.text() and "Card 2 of" in jo.text()
    await jo.tap("Like")  # the chat's buttons are live again
    assert repo.run_state(await run_of(chat, jo)).placed == (("lessons", 1), ("maths", 0))


# -- any sequence of page moves ---------------------------------------------------------------

# A page move, read against the mat as it stands when it is made: ("put", a, column) places
# the card in hand, or once all are placed moves the a-th card of the mat; ("back",) takes
# back the last card; ("dont_know",) the card in hand; ("wrong", a, column) names a card that
# is not the card in hand (refused, nothing changes).
page_moves = st.lists(st.one_of(
    st.tuples(st.just("put"), st.integers(0, 7), st.sampled_from([0, 1, 2, LEFT_OFF])),
    st.tuples(st.just("back"), st.just(0), st.just(0)),
    st.tuples(st.just("dont_know"), st.just(0), st.just(0)),
    st.tuples(st.just("wrong"), st.integers(0, 7), st.sampled_from([0, 1, 2, LEFT_OFF])),
), max_size=24)


def chat_taps(state: RunState, current: str | None, kind: str, pick: int,
              column: int) -> tuple[PageMove | None, list[Action], bool]:
    """The page move for one drawn move, the chat's taps that do the same (as the chat's
    buttons send them: a scale point, Skip, I don't know, Back, or Move a card / the card /
    its place), and whether the page must refuse it."""
    put = Action(ActionKind.CHOOSE, column) if column != LEFT_OFF else Action(ActionKind.SKIP)
    placed = mat_order(state.placed)
    if kind == "put" and current is not None:
        return PageMove(0, "place", current, column), [put], False
    if kind == "put":
        card = placed[pick % len(placed)]
        return PageMove(0, "move", card, column), [
            Action(ActionKind.MOVE), Action(ActionKind.CHOOSE, placed.index(card)), put], False
    if kind == "back":
        return PageMove(0, "back"), [Action(ActionKind.BACK)], not state.placed
    if kind == "dont_know":
        if current is None:
            return PageMove(0, "dont_know", CARDS[0]), [], True
        return PageMove(0, "dont_know", current), [Action(ActionKind.DONT_KNOW)], False
    other = [c for c in CARDS if c != current]
    return PageMove(0, "place", other[pick % len(other)], column), [], True


def on_loop(loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, None]) -> None:
    """Run one example on the test's event loop (Hypothesis drives from a worker thread)."""
    asyncio.run_coroutine_threadsafe(coro, loop).result(timeout=120)


async def test_any_page_moves_leave_the_mat_as_the_same_chat_taps_do(chat: World) -> None:
    therapist = await chat.therapist()
    loop = asyncio.get_running_loop()

    async def one(moves: list[tuple[str, int, int]]) -> None:
        jo = await chat.young_person(therapist, "Jo")
        await jo.tap("Talking Mat")
        expected, _ = ENGINE.start("talking_mat", repo.run_state(await run_of(chat, jo)).options)
        for kind, pick, column in moves:
            screen = ENGINE.screen(expected, {})
            current = screen.mat.current.symbol_id if screen.mat and screen.mat.current \
                else None
            move, taps, refused = chat_taps(expected, current, kind, pick, column)
            before = await run_of(chat, jo)
            answer = await do(chat, jo, move.op, move.card, move.column)
            after = await run_of(chat, jo)
            if refused:
                assert answer.status == 400 and after.version == before.version, answer.body
            else:
                for tap in taps:
                    expected = ENGINE.apply(expected, {}, tap).state
                assert answer.status == 200, (kind, answer.body)
                assert after.version == before.version + 1  # saved once, however many taps
            assert repo.run_state(after).placed == expected.placed
            body = answer.body if answer.status == 200 else (answer.body or {})["state"]
            assert {c["id"]: c["column"] for c in body["cards"] if c["column"] is not None} \
                == dict(expected.placed)

    @given(page_moves)
    @settings(max_examples=12, deadline=None, database=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow])
    def example(moves: list[tuple[str, int, int]]) -> None:
        on_loop(loop, one(moves))

    await asyncio.to_thread(example)


# -- refusals ---------------------------------------------------------------------------------


async def test_a_stale_page_is_told_and_shown_the_mat_as_it_is_now(chat: World) -> None:
    jo = await young(chat)
    await jo.tap("Talking Mat")
    old = (await run_of(chat, jo)).version
    await jo.tap("Like")  # the chat moved on: the page's version is old
    now = await run_of(chat, jo)
    stale = await do(chat, jo, "place", CARDS[1], 2, version=old)
    assert stale.status == 409 and stale.body is not None and stale.body["stale"] is True
    assert stale.body["error"] == "The mat changed in the chat. Here it is now."
    fresh = stale.body["state"]
    assert fresh["version"] == now.version and fresh["current"] == CARDS[1]
    assert fresh["cards"][0]["column"] == 0
    after = await run_of(chat, jo)
    assert after.version == now.version and repo.run_state(after).placed == (("lessons", 0),)
    assert stale.result is None


async def test_another_young_persons_run_is_refused_showing_nothing_of_theirs(
        chat: World) -> None:
    jo, al = await young(chat, "Jo"), await young(chat, "Al")
    await jo.tap("Talking Mat")
    await jo.tap("Like")
    jo_run = await run_of(chat, jo)
    for what, move, card in (("state", None, None),
                             ("move", PageMove(jo_run.version, "place", CARDS[1], 2), None),
                             ("move", PageMove(jo_run.version, "right"), None),
                             ("picture", None, "lessons"), ("speech", None, "question")):
        refused = await page(chat, al, what, jo_run.id, move=move, card=card)
        assert refused.status == 403, what
        assert refused.body == {"error": "Sorry, you can't open this mat."}
        assert refused.data is None and refused.result is None
    after = await run_of(chat, jo)
    assert after.version == jo_run.version
    # Nor anyone who is not a young person, nor someone MySay does not know.
    sam = await chat.therapist("Sam")
    for user_id in (sam.user_id, 9_999_999):
        answer = await handle_page(chat.services, user_id, PageRequest(jo_run.id, "state"))
        assert answer.status == 403 and "lessons" not in str(answer.body)


@pytest.mark.parametrize("where", ["finished", "paused", "past_the_mat", "another_flow"])
async def test_a_page_from_an_old_run_is_told_it_is_gone(chat: World, where: str) -> None:
    jo = await young(chat)
    await jo.tap("Talking Mat")
    run = await run_of(chat, jo)
    if where == "finished":
        await jo.tap("Stop for now")
        await jo.send("/menu")
        await jo.tap("How was today")  # a new flow: the mat's run stays stopped
        for _ in range(20):
            if "Keep it just for me" in " ".join(jo.buttons()):
                break
            await jo.tap("Skip")
        await jo.tap("Keep it just for me")
    elif where == "paused":
        await jo.tap("Stop for now")
    elif where == "past_the_mat":
        for column in COLUMNS:
            await jo.tap(SCALE[column])
        await jo.tap("This is right")
    else:
        await jo.send("/menu")
        await jo.tap("How was today")
    gone = await page(chat, jo, "state", run.id)
    assert gone.status == 409 and gone.body is not None
    assert gone.body["gone"] is True and gone.body["stale"] is True
    version = (await stored(chat, run.id))[0].version
    moved = await page(chat, jo, "move", run.id, move=PageMove(version, "right"))
    assert moved.status == 409 and moved.result is None
    assert (await stored(chat, run.id))[0].version == version  # nothing stored


async def test_back_with_nothing_placed_is_refused_and_the_run_stays_at_the_mat(
        chat: World) -> None:
    jo = await young(chat)
    await jo.tap("Talking Mat")
    before = await run_of(chat, jo)
    refused = await do(chat, jo, "back")
    after = await run_of(chat, jo)
    assert refused.status == 400 and refused.body is not None
    assert refused.body["state"]["current"] == CARDS[0]
    assert (after.version, after.step_id) == (before.version, "mat")
    await do(chat, jo, "place", CARDS[0], 2)
    taken = await do(chat, jo, "back")
    assert taken.status == 200 and repo.run_state(await run_of(chat, jo)).placed == ()
    assert (await do(chat, jo, "right")).status == 400  # cards still to place
    assert (await do(chat, jo, "move", CARDS[0], 0)).status == 400  # nothing placed to move
    assert (await do(chat, jo, "place", CARDS[0], 3)).status == 400  # no such column


# -- what locks the young person's row -------------------------------------------------------


async def test_only_a_move_locks_the_young_persons_row_and_notes_them_seen(
        chat: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """The page's state, pictures and speech only read (many at once when the page opens):
    no FOR UPDATE on the person or the run and no write; a move locks both as a tap does."""
    jo = await young(chat)
    await jo.tap("Talking Mat")
    run = await run_of(chat, jo)
    locks: list[tuple[str, bool]] = []
    for name in ("person_by_telegram_id", "run_for_person"):
        real = getattr(repo, name)

        async def spy(*args: Any, _real: Any = real, _name: str = name, **kw: Any) -> Any:
            locks.append((_name, kw.get("for_update", _name == "run_for_person")))
            return await _real(*args, **kw)

        monkeypatch.setattr(repo, name, spy)
    async with chat.services.db.transaction() as session:
        (await row_of(session, jo)).last_active_at = None
    for what, card in (("state", None), ("picture", "art"), ("speech", "art"),
                       ("speech", "question"), ("picture", "pizza")):
        locks.clear()
        await page(chat, jo, what, run.id, card=card)
        assert locks and not any(locked for _, locked in locks), (what, locks)
    async with chat.services.db.transaction() as session:
        assert (await row_of(session, jo)).last_active_at is None  # nothing written
    locks.clear()
    assert (await do(chat, jo, "place", CARDS[0], 0)).status == 200
    assert ("person_by_telegram_id", True) in locks and ("run_for_person", True) in locks
    async with chat.services.db.transaction() as session:
        assert (await row_of(session, jo)).last_active_at is not None  # seen, as a tap


async def test_reads_never_wait_on_the_row_lock_a_tap_holds_but_moves_do(chat: World) -> None:
    """On PostgreSQL: while another transaction holds the young person's row (a chat tap in
    progress), the page's state and pictures are answered; a move waits for the tap."""
    if chat.services.db.is_sqlite:
        pytest.skip("SQLite has one connection: one transaction at a time anyway")
    jo = await young(chat)
    await jo.tap("Talking Mat")
    run = await run_of(chat, jo)
    async with chat.services.db.transaction() as session:
        await repo.person_by_telegram_id(session, jo.user_id, for_update=True)
        await repo.run_for_person(session, run.id, (await row_of(session, jo)).id)
        state = await asyncio.wait_for(page(chat, jo, "state", run.id), 10)
        picture = await asyncio.wait_for(page(chat, jo, "picture", run.id, card="art"), 10)
        assert state.status == 200 and picture.status == 200
        move = asyncio.create_task(do(chat, jo, "place", CARDS[0], 0, version=run.version))
        await asyncio.sleep(0.5)
        assert not move.done()  # waits for the tap's lock
    assert (await asyncio.wait_for(move, 10)).status == 200


async def test_pictures_and_speech_are_made_after_the_transaction(
        chat: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """A symbol is drawn and words are spoken only once the transaction has committed (so
    the connection and any lock are free while espeak and Pillow work)."""
    from bot.service import mat_page
    from bot.store import db

    jo = await young(chat)
    await jo.tap("Talking Mat")
    open_now = 0
    real_transaction = db.Database.transaction

    def counted(self: db.Database) -> Any:
        @asynccontextmanager
        async def inside() -> AsyncIterator[Any]:
            nonlocal open_now
            async with real_transaction(self) as session:
                open_now += 1
                try:
                    yield session
                finally:
                    open_now -= 1
        return inside()

    made: list[tuple[str, int]] = []

    def drawing(emoji: str, side: int, symbols: int) -> bytes:
        made.append(("drawn", open_now))
        return b"\x89PNG\r\n\x1a\n"

    async def speaking(text: str) -> bytes:
        made.append(("spoken", open_now))
        return b"OggS"

    monkeypatch.setattr(db.Database, "transaction", counted)
    monkeypatch.setattr(mat_page, "_symbol_png", drawing)
    monkeypatch.setattr(mat_page.speech, "speak", speaking)
    assert (await page(chat, jo, "picture", card="art")).data == b"\x89PNG\r\n\x1a\n"
    assert (await page(chat, jo, "speech", card="art")).data == b"OggS"
    assert (await page(chat, jo, "speech", card="question")).data == b"OggS"
    assert made == [("drawn", 0), ("spoken", 0), ("spoken", 0)]


async def test_one_query_opens_the_run_for_a_picture_or_speech(
        chat: World, monkeypatch: pytest.MonkeyPatch) -> None:
    jo = await young(chat)
    await jo.tap("Talking Mat")
    run = await run_of(chat, jo)
    opened: list[int] = []
    real = repo.run_for_person

    async def spy(*args: Any, **kw: Any) -> Any:
        opened.append(args[1])
        return await real(*args, **kw)

    monkeypatch.setattr(repo, "run_for_person", spy)
    for what in ("picture", "speech"):
        opened.clear()
        await page(chat, jo, what, run.id, card="art")
        assert opened == [run.id], what


# -- pictures and speech ---------------------------------------------------------------------


async def test_pictures_only_for_what_is_on_the_mat_and_own_cards_are_the_photo(
        chat: World) -> None:
    sam = await chat.therapist()
    jo = await chat.young_person(sam, "Jo")
    photo = jpeg((10, 120, 200))
    await sam.send("/addcard")
    await sam.tap("Jo")
    await sam.send(photo=photo)
    await sam.send("Grandma's dog")
    await jo.tap("Talking Mat")
    state = (await page(chat, jo)).body
    assert state is not None
    own = [c for c in state["cards"] if c["own"]]
    assert [c["words"] for c in own] == ["Grandma's dog"]
    assert own[0]["picture"] == f"api/picture?run={state['run']}&card={own[0]['id']}"
    got = await page(chat, jo, "picture", card=own[0]["id"])
    assert got.status == 200 and got.mime_type == "image/jpeg"
    async with chat.services.db.transaction() as session:
        from bot.store import media_repo

        row = await row_of(session, jo)
        cards = await media_repo.personal_cards(session, row.id)
        kept = (await media_repo.contents(session, [cards[own[0]["id"]]["media"]]))
    assert got.data == next(iter(kept.values()))  # the photo as kept, not a symbol
    for card in ("school", "like", "dont_like", "art"):  # topic, scale and cards
        drawn = await page(chat, jo, "picture", card=card)
        assert drawn.status == 200 and drawn.mime_type == "image/png", card
        assert drawn.data is not None
        assert Image.open(io.BytesIO(drawn.data)).size == (144, 144)
    for card in ("pizza", "question", "../etc/passwd", ""):  # not on this mat
        missing = await page(chat, jo, "picture", card=card)
        assert missing.status == 404 and missing.data is None, card
    assert (await page(chat, jo, "speech", card="pizza")).status == 404


@pytest.mark.skipif(not speech.available(), reason="espeak-ng and opusenc are not installed")
async def test_speech_is_the_cards_words_or_the_question(chat: World) -> None:
    jo = await young(chat)
    await jo.tap("Talking Mat")
    spoken = await page(chat, jo, "speech", card="art")
    assert spoken.status == 200 and spoken.mime_type == "audio/ogg"
    assert spoken.data is not None and spoken.data.startswith(b"OggS")
    question = await page(chat, jo, "speech", card="question")
    assert question.data is not None and question.data != spoken.data


async def test_the_question_is_the_therapists_recording_when_there_is_one(
        chat: World) -> None:
    from bot.store import media_repo

    sam = await chat.therapist()
    jo = await chat.young_person(sam, "Jo")
    recorded = b"OggS\x00\x02" + b"\x01" * 300
    async with chat.services.db.transaction() as session:
        therapist = await row_of(session, sam)
        media = await media_repo.keep(session, owner_id=therapist.id, kind="voice",
                                      mime_type="audio/ogg", data=recorded)
        await media_repo.replace_recording(session, therapist_id=therapist.id,
                                           flow_id="talking_mat", step_id="mat",
                                           media_id=media)
    await jo.tap("Talking Mat")
    question = await page(chat, jo, "speech", card="question")
    assert question.status == 200 and question.data == recorded


# -- the state's words and look ---------------------------------------------------------------


async def test_the_state_is_in_the_young_persons_words_and_colours(chat: World) -> None:
    jo = await young(chat)
    await jo.send("/settings")
    await jo.tap("Strong")  # the high-contrast colours
    await jo.tap("Grown-up")  # the plain words (media/locales/en/grown_up/)
    await jo.send("/menu")
    await jo.tap("Talking Mat")
    body = (await page(chat, jo)).body
    assert body is not None
    assert body["prompt"] == "School: where does Lessons go?"
    assert body["topic"] == {"id": "school", "words": "School",
                             "picture": f"api/picture?run={body['run']}&card=school"}
    assert [s["words"] for s in body["scale"]] == ["Like", "Not sure", "Don't like"]
    assert [c["id"] for c in body["cards"]] == CARDS
    assert (body["card_number"], body["card_count"]) == (1, len(CARDS))
    assert body["words"]["card_of"] == f"Card 1 of {len(CARDS)}"
    assert body["words"]["right"] == "✔️ This is right"
    assert body["words"]["look_prompt"] == "My mat about School. Is it right?"
    assert body["look"]["font"] == "atkinson" and body["look"]["text_scale"] == 1.0
    assert body["look"]["palette"] == "high_contrast"
    assert body["look"]["colours"]["background"] == "#ffffff"
    assert body["look"]["colours"]["text"] == "#000000"


def fallback_keys() -> set[str]:
    """The keys of the page's English fallback words (bot/webapp/static/mat.js FALLBACK)."""
    from pathlib import Path

    script = (Path(__file__).parents[2] / "bot/webapp/static/mat.js").read_text()
    table = re.search(r"const FALLBACK = \{(.*?)\n  \};", script, re.S)
    assert table is not None, "mat.js has no FALLBACK table"
    return set(re.findall(r"^\s*(\w+):", table.group(1), re.M))


async def test_every_word_the_page_shows_or_says_comes_from_the_locale(chat: World) -> None:
    """Nothing the page shows or says is left to its English fallback: every key of mat.js's
    FALLBACK is in the state's words, in the young person's style, with the language."""
    from bot.i18n import Locale

    jo = await young(chat)
    await jo.tap("Talking Mat")
    body = (await page(chat, jo)).body
    assert body is not None and body["lang"] == "en"
    keys = fallback_keys()
    assert {"picked", "put_down", "under", "taken_back", "no_speech", "close", "ok",
            "try_again", "open_again", "not_saved"} <= keys
    assert keys <= set(body["words"]), keys - set(body["words"])
    locale = chat.services.conversation.ctx.locale
    assert isinstance(locale, Locale)
    assert body["words"]["taken_back"] == locale("mat_page.taken_back")
    assert all(isinstance(w, str) for w in body["words"].values())
    # The speech the page asks for and cannot have: 404 with the page's words.
    missing = await page(chat, jo, "speech", card="pizza")
    assert missing.status == 404 and missing.body == {"error": locale("mat_page.no_speech")}


# -- the chat's button ------------------------------------------------------------------------


def opens(said: Any) -> str | None:
    """The page a message's first row opens, if it is the mat page's button."""
    first = said.inline_keyboard[0] if said.inline_keyboard else []
    return first[0]["web_app"]["url"] if first and "web_app" in first[0] else None


async def test_every_mat_screen_offers_the_page_with_a_public_address(paged: Driver) -> None:
    world = World(paged)
    jo = await young(world)
    await jo.tap("Talking Mat")
    run = await run_of(world, jo)
    url = f"{PUBLIC}/mat?run={run.id}"
    assert opens(jo.last()) == url and jo.last().labels[0] == "🧩 Open the mat"  # MAT_PLACE
    for column in COLUMNS:
        await jo.tap(SCALE[column])
    assert "Is it right?" in jo.text() and opens(jo.last()) == url  # MAT_REVIEW
    await jo.tap("Move a card")
    assert "Which card" in jo.text() and opens(jo.last()) == url  # MAT_MOVE
    await jo.tap("Maths")
    assert "where does Maths go?" in jo.text() and opens(jo.last()) == url  # moving
    await jo.send("/continue")
    assert opens(jo.last()) == url
    await jo.tap("Stop for now")
    assert opens(jo.last()) is None  # paused: no mat to open
    await jo.tap("Continue")
    assert opens(jo.last()) == url
    await jo.send("hello")  # words at the mat: the step again, with its button
    assert opens(jo.last()) == url
    await jo.tap("Back")  # the move undone: the whole mat, with its button
    await jo.tap("This is right")
    assert all(opens(m) is None for m in jo.messages()[-2:])  # past the mat: none


async def test_a_stale_tap_and_a_restart_show_the_mat_with_its_button(paged: Driver) -> None:
    world = World(paged)
    jo = await young(world)
    await jo.tap("Talking Mat")
    url = f"{PUBLIC}/mat?run={(await run_of(world, jo)).id}"
    old = jo.last()
    like = next(data for row in old.buttons for label, data in row if "Like" in label)
    await jo.tap("Like")
    await jo.tap("Like")
    seen = len(jo.messages())
    await jo.tap_data(old.message_id, like)  # a button two screens old
    assert len(jo.messages()) == seen + 1 and "from before" in jo.text()
    assert opens(jo.last()) == url
    await paged.restart()
    from bot.service.types import Text

    run = await run_of(world, jo)
    await paged.handle(jo.sender, Text("hi"), update_id=1)  # claimed before the restart
    assert opens(jo.last()) == url and run.step_id == "mat"


async def test_without_a_public_address_no_mat_screen_has_the_button(chat: World) -> None:
    jo = await young(chat)
    await jo.tap("Talking Mat")
    for column in COLUMNS[:3]:
        assert not jo.last().web_apps
        await jo.tap(SCALE[column])
    assert all(not m.web_apps and all("web_app" not in b for row in m.inline_keyboard
                                      for b in row) for m in jo.messages())
    assert not any("Open the mat" in label for m in jo.messages() for label in m.labels)


def test_the_fake_bot_api_takes_a_mini_app_button_only_as_telegram_does() -> None:
    good = {"inline_keyboard": [[{"text": "🧩 Open the mat",
                                  "web_app": {"url": "https://mysay.example.org/mat?run=1"}}]]}
    assert check_reply_markup(good, private=True) == good
    refusals = {
        "Only HTTPS links are allowed": ({"url": "http://mysay.example.org/mat"}, True),
        "BUTTON_TYPE_INVALID": ({"url": "https://mysay.example.org/mat"}, False),
        'Field "url" must be of type String': ({}, True),
    }
    for words_, (web_app, private) in refusals.items():
        with pytest.raises(BotAPIError) as refused:
            check_reply_markup({"inline_keyboard": [[{"text": "x", "web_app": web_app}]]},
                               private=private)
        assert refused.value.status == 400 and words_ in refused.value.description
    with pytest.raises(BotAPIError, match="exactly one"):
        check_reply_markup({"inline_keyboard": [[{
            "text": "x", "callback_data": "a", "web_app": {"url": "https://x.example/"}}]]})


async def test_the_running_bot_sends_the_button_to_telegram_as_a_web_app(
        settings: Settings, fake_api: Any) -> None:
    from tests.conftest import World as HttpWorld
    from tests.support.harness import RunningBot

    bot = await RunningBot(settings.model_copy(update={"public_url": PUBLIC}),
                           fake_api).start()
    try:
        world = HttpWorld(bot)
        jo = await world.young_person(await world.therapist(), "Jo")
        await jo.tap("Talking Mat")
        first = jo.last().inline_keyboard[0][0]
        assert first["text"] == "🧩 Open the mat"
        assert first["web_app"]["url"].startswith(f"{PUBLIC}/mat?run=")
        assert "callback_data" not in first
    finally:
        await bot.stop()
