"""The Talking Mat page end to end (issue 16), with no stand-ins: the real bot application (as
`python -m bot run` builds it) against the fake Bot API, which checks every request against
the Bot API spec; MYSAY_PUBLIC_URL set; the page's real server over real HTTP, both ways it
runs: on the webhook's own aiohttp server under the public address's path (updates posted
to it as Telegram would), and beside long polling on the page's own port (`run
--webapp-port`); on SQLite files and on PostgreSQL (TEST_DATABASE_URL).

Who the page acts for comes only from initData signed as Telegram signs it
(bot.webapp.init_data.sign_init_data, with the test bot's token); what it stores is read
back from the database through the bot's own store (bot.store.repo)."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from PIL import Image
from sqlalchemy import func, select

from bot.app import build_application, services_of
from bot.config import Settings
from bot.engine.core import LEFT_OFF
from bot.sandbox.fake_api import FakeBotAPI, SentMessage
from bot.services import Services
from bot.store import media_repo, repo
from bot.store.models import Answer, FlowRun, InvitationKind
from bot.telegram import webhook
from bot.webapp import server
from bot.webapp.init_data import sign_init_data
from tests.conftest import TEST_TOKEN
from tests.support.content import shipped_content
from tests.support.harness import Person, RunningBot
from tests.telegram.test_faults import Outage, free_port
from tests.telegram.test_webhook import Telegram

PUBLIC_URL = "https://mysay.example.invalid/app"
PREFIX = "/app"
HOOK_URL = "https://mysay.example.invalid/telegram/hook"
OTHER_TOKEN = "654321:TEST-another-bot-token-00000000000000"
# The talking_mat flow's mat (flows/talking_mat.yaml): its cards in the order given, and the
# chat's buttons for the top scale's points and for leaving a card off.
CARDS = ["lessons", "maths", "reading", "art", "pe", "break", "lunch", "homework"]
SCALE = {0: "Like", 1: "Not sure", 2: "Don't like", LEFT_OFF: "Skip"}
# One move per card on the page, in turn: (op, column).
PAGE_PLACES = [("place", 0), ("place", 2), ("place", 1), ("leave_off", None),
               ("dont_know", None), ("place", 0), ("place", 1), ("place", 2)]


# -- the bot, served one way or the other -------------------------------------------------------


@dataclass
class Served:
    """The running bot with its page: the fake Bot API it talks to, its services, where its
    page's API is (`{http://host:port}{PREFIX}/mat`), and how an update the fake API made
    reaches it and is handled (polled, or posted to the webhook)."""

    mode: str
    api: FakeBotAPI
    services: Services
    page_base: str
    deliver: Callable[[int], Awaitable[None]]
    http: aiohttp.ClientSession


@contextlib.asynccontextmanager
async def polling_with_page(settings: Settings, api: FakeBotAPI) -> AsyncIterator[Served]:
    """`run --webapp-port`: the bot long-polling, the page on its own server (bot/cli.py)."""
    bot = await RunningBot(settings, api).start()
    page = server.PageServer(server.page_app(server.page_prefix(settings),
                                             lambda: bot.application), "127.0.0.1", 0)
    try:
        port = await page.start()
        async with aiohttp.ClientSession() as http:
            yield Served("polling", api, bot.services, f"http://127.0.0.1:{port}{PREFIX}/mat",
                         bot.wait_processed, http)
    finally:
        await page.stop()
        await bot.stop()


@contextlib.asynccontextmanager
async def webhook_with_page(settings: Settings, api: FakeBotAPI) -> AsyncIterator[Served]:
    """`run --webhook`: one aiohttp server takes Telegram's updates and serves the page under
    the public address's path; updates are posted to it as Telegram would."""
    options = webhook.options_for(settings, listen="127.0.0.1", port=free_port(), url=HOOK_URL)
    assert options.page_prefix == PREFIX
    application = build_application(settings, shipped_content(settings.flows_dir))
    stop, ready = asyncio.Event(), asyncio.get_running_loop().create_future()
    task = asyncio.create_task(webhook.serve(application, options, stop, ready.set_result))
    telegram = Telegram(api, webhook.webhook_secret(settings))
    try:
        port = await asyncio.wait_for(asyncio.shield(ready), 30)

        async def deliver(update_id: int) -> None:
            assert await telegram.post(port, update_id) == 200

        async with aiohttp.ClientSession() as http:
            yield Served("webhook", api, services_of(application),
                         f"http://127.0.0.1:{port}{PREFIX}/mat", deliver, http)
    finally:
        stop.set()
        await task
        await telegram.http.aclose()


@pytest.fixture(params=["polling", "webhook"])
async def served(request: pytest.FixtureRequest, settings: Settings,
                 fake_api: FakeBotAPI) -> AsyncIterator[Served]:
    """The bot with MYSAY_PUBLIC_URL set, its page served as the mode serves it."""
    settings = settings.model_copy(update={"public_url": PUBLIC_URL})
    serve = polling_with_page if request.param == "polling" else webhook_with_page
    async with serve(settings, fake_api) as running:
        yield running


@pytest.fixture
async def polled(settings: Settings, fake_api: FakeBotAPI) -> AsyncIterator[Served]:
    """The bot long-polling with its page on its own port (for tests of the conversation
    between the chat and the page, which is the same whichever way updates arrive)."""
    settings = settings.model_copy(update={"public_url": PUBLIC_URL})
    async with polling_with_page(settings, fake_api) as running:
        yield running


# -- people in the chat, and their page ---------------------------------------------------------


class Chatter(Person):
    """One Telegram user in their private chat with the served bot (tests.support.harness
    Person, delivering each update the way `served` takes them)."""

    def __init__(self, served: Served, user_id: int, first_name: str) -> None:
        self.served = served
        self.api = served.api
        self.user_id = user_id
        self.first_name = first_name
        self.api.add_user(user_id, first_name)

    async def send(self, text: str | None = None, **kwargs: Any) -> SentMessage:
        """Send a message; returns the bot's newest message once it is handled."""
        await self.served.deliver(self.api.push_message(self.user_id, text,
                                                        first_name=self.first_name, **kwargs))
        return self.last()

    async def tap(self, label: str, message_id: int | None = None) -> SentMessage:
        """Tap the button whose label has `label` on the newest message with buttons (or on
        `message_id`); returns the bot's newest message once it is handled."""
        message = self._message_with_buttons(message_id)
        data = self._find(message, label)
        await self.served.deliver(self.api.push_callback(self.user_id, message.message_id,
                                                         data)[0])
        return self.last()

    def init_data(self, *, token: str = TEST_TOKEN, age: timedelta = timedelta(0)) -> str:
        """initData as Telegram signs it for this user opening the page `age` ago."""
        return sign_init_data(token, self.user_id, self.first_name, datetime.now(UTC) - age)


@dataclass(frozen=True)
class Reply:
    """What the page's server answered."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict[str, Any]:
        """The body, a JSON object."""
        data = json.loads(self.body)
        assert isinstance(data, dict)
        return data


# A Page request's default initData: its owner's, signed now.
OWN = "the owner's initData"


class Page:
    """The mat page of one run, as the page script calls its API: paths relative to the
    page, initData in `Authorization: tma ...` (or whatever `init_data` is given)."""

    def __init__(self, served: Served, owner: Chatter, run_id: int) -> None:
        self.served = served
        self.owner = owner
        self.run_id = run_id
        self.version = 0  # the version the page last saw

    def _headers(self, init_data: str | None) -> dict[str, str]:
        return {} if init_data is None else {"Authorization": f"tma {init_data}"}

    async def get(self, path: str, init_data: str | None = OWN) -> Reply:
        """GET `path` (relative to the page, as its script asks) with `init_data`."""
        signed = self.owner.init_data() if init_data == OWN else init_data
        async with self.served.http.get(f"{self.served.page_base}/{path}",
                                        headers=self._headers(signed)) as response:
            return Reply(response.status, dict(response.headers), await response.read())

    async def state(self, init_data: str | None = OWN) -> Reply:
        """The mat as it stands (the page then shows its version)."""
        reply = await self.get(f"api/state?run={self.run_id}", init_data)
        if reply.status == 200:
            self.version = reply.json()["version"]
        return reply

    async def move(self, op: str, card: str | None = None, column: int | None = None, *,
                   version: int | None = None, init_data: str | None = OWN) -> Reply:
        """A move at the version the page last saw (or `version`); the page then shows the
        version answered."""
        signed = self.owner.init_data() if init_data == OWN else init_data
        body = {"version": self.version if version is None else version, "op": op,
                "card": card, "column": column}
        async with self.served.http.post(
                f"{self.served.page_base}/api/move?run={self.run_id}", json=body,
                headers=self._headers(signed)) as response:
            reply = Reply(response.status, dict(response.headers), await response.read())
        if reply.status == 200:
            self.version = reply.json()["version"]
        return reply


class Cast:
    """A therapist, and young people invited by them through the real chat (/invite)."""

    def __init__(self, served: Served) -> None:
        self.served = served
        self._next_user = 5_300_001

    def person(self, first_name: str) -> Chatter:
        """Someone new in the chat, with the next free Telegram user id."""
        self._next_user += 1
        return Chatter(self.served, self._next_user, first_name)

    async def therapist(self, first_name: str = "Sam") -> Chatter:
        """A therapist, brought in with a therapist's invitation code."""
        async with self.served.services.db.transaction() as session:
            code = await repo.create_invitation(session, kind=InvitationKind.THERAPIST,
                                                days=14, label=first_name)
        sam = self.person(first_name)
        await sam.send(f"/start {code}")
        return sam

    async def young_person(self, therapist: Chatter, first_name: str) -> Chatter:
        """A young person, invited by `therapist` (/invite) and agreeing to start."""
        reply = await therapist.send("/invite")
        code = (reply.display_text or "").rsplit("Code: ", 1)[1].split()[0]
        young = self.person(first_name)
        await young.send(f"/start {code}")
        await young.tap("Yes")
        return young


async def current_run(served: Served, person: Chatter) -> FlowRun:
    """The person's current run, as stored now."""
    async with served.services.db.transaction() as session:
        row = await repo.person_by_telegram_id(session, person.user_id)
        assert row is not None
        run = await repo.current_run(session, row.id)
        assert run is not None
        return run


@dataclass(frozen=True)
class Stored:
    """Everything stored of one run: its row's version, status, step and state, its answers,
    and how many runs and answers there are at all."""

    version: int
    status: str
    step_id: str
    state: Any
    answers: dict[str, Any]
    runs: int
    all_answers: int


async def stored(served: Served, run_id: int) -> Stored:
    """What is stored of run `run_id` now."""
    async with served.services.db.transaction() as session:
        run = await session.get(FlowRun, run_id)
        assert run is not None
        answers = await repo.answers_of(session, run_id)
        runs = await session.scalar(select(func.count()).select_from(FlowRun))
        all_answers = await session.scalar(select(func.count()).select_from(Answer))
        return Stored(run.version, run.status, run.step_id, json.loads(json.dumps(run.state)),
                      dict(answers), int(runs or 0), int(all_answers or 0))


def web_app_url(message: SentMessage) -> str | None:
    """The address the message's web_app button opens, if it has one."""
    for row in message.inline_keyboard:
        for button in row:
            if "web_app" in button:
                return str(button["web_app"]["url"])
    return None


async def open_mat(served: Served, young: Chatter) -> Page:
    """The young person starts the Talking Mat in the chat and opens the page from its
    button: the run named in the button's web_app address."""
    await young.tap("Talking Mat")
    url = web_app_url(young.last())
    assert url is not None, young.last().inline_keyboard
    run = await current_run(served, young)
    assert url == f"{PUBLIC_URL}/mat?run={run.id}"
    opened = Page(served, young, int(parse_qs(urlsplit(url).query)["run"][0]))
    assert (await opened.state()).status == 200
    return opened


def put(placed: list[tuple[str, int]], card: str, column: int) -> list[tuple[str, int]]:
    """Where the cards are after `card` goes under `column` (as bot.engine.core._put: a card
    moved to another column goes last; put back where it was, it keeps its place)."""
    if (card, column) in placed:
        return placed
    return [*(p for p in placed if p[0] != card), (card, column)]


def placed_on(state: dict[str, Any]) -> dict[str, int]:
    """The placed cards of a page state and their columns."""
    return {c["id"]: c["column"] for c in state["cards"] if c["column"] is not None}


# -- 1. a mat made on the page ------------------------------------------------------------------


async def test_a_mat_made_on_the_page_is_stored_and_the_chat_shows_what_comes_next(
        served: Served) -> None:
    cast = Cast(served)
    jo = await cast.young_person(await cast.therapist(), "Jo")
    await jo.tap("Talking Mat")
    mat_message = jo.last()
    url = web_app_url(mat_message)
    run = await current_run(served, jo)
    assert url == f"{PUBLIC_URL}/mat?run={run.id}"
    assert mat_message.inline_keyboard[0][0]["text"] == "🧩 Open the mat"
    page = Page(served, jo, int(parse_qs(urlsplit(url).query)["run"][0]))

    shown = await page.state()
    assert shown.status == 200, shown.body
    state = shown.json()
    assert (state["run"], state["version"], state["stage"]) == (run.id, run.version, "place")
    assert [c["id"] for c in state["cards"]] == CARDS
    start = run.version
    moves = 0
    expected: list[tuple[str, int]] = []

    async def made(reply: Reply) -> dict[str, Any]:
        nonlocal moves
        assert reply.status == 200, reply.body
        moves += 1
        body = reply.json()
        assert body["version"] == start + moves  # once per move
        assert (await stored(served, run.id)).version == start + moves
        return body

    for card, (op, column) in zip(CARDS, PAGE_PLACES, strict=True):
        assert state["current"] == card
        state = await made(await page.move(op, card, column))
        expected.append((card, LEFT_OFF if column is None else column))
        assert placed_on(state) == dict(expected)
    assert (state["stage"], state["current"]) == ("look", None)

    state = await made(await page.move("move", "reading", 0))  # on the whole mat
    expected = put(expected, "reading", 0)
    assert placed_on(state) == dict(expected)
    state = await made(await page.move("back"))  # takes back the last card placed
    expected = expected[:-1]
    assert placed_on(state) == dict(expected) and state["stage"] == "place"
    assert state["current"] == "reading"
    state = await made(await page.move("place", "reading", 2))
    expected.append(("reading", 2))

    # Every picture on the mat (its topic, top scale and cards): an image.
    for card in ["school", "like", "not_sure", "dont_like", *CARDS]:
        picture = await page.get(f"api/picture?run={run.id}&card={card}")
        assert picture.status == 200, card
        assert picture.headers["Cache-Control"] == "no-store"
        with Image.open(io.BytesIO(picture.body)) as image:
            assert image.format in ("PNG", "JPEG"), card
            assert image.size[0] > 0

    seen = {m.message_id for m in jo.messages()}
    done = await made(await page.move("right"))
    assert done["stage"] == "done"

    # The chat got the mat picture and the next step, as new messages in Jo's chat.
    new = [m for m in jo.messages() if m.message_id not in seen]
    assert [m.chat_id for m in new] == [jo.user_id] * len(new) and len(new) == 2
    assert new[0].photo is not None and new[0].display_text == "Here is your finished mat. 🖼️"
    assert "anything else you want to say" in (new[1].display_text or "")
    assert all(m.edit_date is None for m in new)

    # Stored as the page left it: the placements in the order placed, and the picture kept.
    kept = await stored(served, run.id)
    mat = kept.answers["mat"]
    assert list(mat.placements) == expected
    assert set(mat.choices) == {c for c, column in expected if column != LEFT_OFF}
    assert [kind for _, kind in mat.media] == ["mat"]
    assert (kept.step_id, kept.status) == ("more", "active")
    # The page of the finished mat shows nothing more of it.
    assert (await page.get(f"api/picture?run={run.id}&card=art")).status == 409

    # And the flow goes on in the chat, to the review with the mat in it.
    await jo.send("Art is the best")
    await jo.tap("On my own")
    await jo.tap("Done")
    assert "This is what you told me" in jo.text()


# -- 2. refusals, with nothing changed ----------------------------------------------------------


def forged_user(signed: str, user_id: int, other: int) -> str:
    """`signed` with the user id in it changed afterwards (the hash stays the first user's)."""
    changed = signed.replace(f"%22id%22%3A{user_id}", f"%22id%22%3A{other}")
    assert changed != signed
    return changed


async def test_refused_requests_change_nothing_and_show_nothing_of_anyone(
        served: Served) -> None:
    cast = Cast(served)
    sam = await cast.therapist()
    jo = await cast.young_person(sam, "Jo")
    al = await cast.young_person(sam, "Al")
    page = await open_mat(served, jo)
    assert (await page.move("place", CARDS[0], 1)).status == 200
    assert (await page.move("place", CARDS[1], 0)).status == 200
    before = await stored(served, page.run_id)
    stranger = cast.person("Lee")  # never invited: MySay does not know them
    chats = {p.user_id: len(p.messages()) for p in (jo, al, sam, stranger)}

    async def refused(status: int, init_data: str | None, *, state: int | None = None,
                      **move: Any) -> dict[str, Any]:
        """The state (answered with `state`, or refused too) and a move refused with
        `status`; nothing stored changes, nothing is said in the chat."""
        replies = [await page.state(init_data),
                   await page.move(**({"op": "place", "card": CARDS[2], "column": 2} | move),
                                   init_data=init_data)]
        for reply, expected in zip(replies, (state or status, status), strict=True):
            assert reply.status == expected, reply.body
            assert reply.headers["Cache-Control"] == "no-store"
        assert await stored(served, page.run_id) == before
        assert {p.user_id: len(p.messages()) for p in (jo, al, sam, stranger)} == chats
        return replies[-1].json()

    # initData missing, forged, another bot's or expired: 401 before anything is read.
    for init_data in (None, "", forged_user(jo.init_data(), jo.user_id, al.user_id),
                      forged_user(al.init_data(), al.user_id, jo.user_id),
                      jo.init_data(token=OTHER_TOKEN), jo.init_data(age=timedelta(hours=25))):
        body = await refused(401, init_data)
        assert set(body) == {"error"}
    # Signed by Telegram, but not Jo: another young person, her therapist, a stranger.
    for someone in (al, sam, stranger):
        body = await refused(403, someone.init_data())
        assert body == {"error": "Sorry, you can't open this mat."}
        picture = await page.get(f"api/picture?run={page.run_id}&card={CARDS[0]}",
                                 someone.init_data())
        assert picture.status == 403 and b"PNG" not in picture.body
    # Jo's page at an old version: 409 with the mat as it is now.
    body = await refused(409, jo.init_data(), state=200, version=before.version - 1)
    assert body["stale"] is True and "gone" not in body
    assert body["state"]["version"] == before.version
    assert placed_on(body["state"]) == {CARDS[0]: 1, CARDS[1]: 0}
    # A move the mat cannot take: a card that is not the one in hand, "right" with cards
    # still to place, a card moved before every card is placed, no such column.
    for move in ({"card": CARDS[5]}, {"op": "right", "card": None, "column": None},
                 {"op": "move", "card": CARDS[0], "column": 2}, {"column": 3}):
        body = await refused(400, jo.init_data(), state=200, **move)
        assert set(body) <= {"error", "stale", "state"}

    # Jo started another activity: a page from the mat's run is gone, whatever it asks.
    await jo.send("/menu")
    await jo.tap("How was today")
    assert (await current_run(served, jo)).id != page.run_id
    before = await stored(served, page.run_id)
    chats = {p.user_id: len(p.messages()) for p in (jo, al, sam, stranger)}
    body = await refused(409, jo.init_data(), version=before.version)
    assert body["gone"] is True and body["stale"] is True and "state" not in body


async def test_a_page_of_a_finished_mat_is_gone(served: Served) -> None:
    cast = Cast(served)
    jo = await cast.young_person(await cast.therapist(), "Jo")
    page = await open_mat(served, jo)
    mat_message = jo.last()
    for card, (op, column) in zip(CARDS, PAGE_PLACES, strict=True):
        assert (await page.move(op, card, column)).status == 200
    finished = await page.move("right")
    assert finished.status == 200
    kept = await stored(served, page.run_id)
    said = len(jo.messages())
    for reply in (await page.state(), await page.move("back"), await page.move("right"),
                  await page.move("move", CARDS[0], 2, version=kept.version)):
        assert reply.status == 409 and reply.json()["gone"] is True
        assert reply.json()["error"] == "This mat is finished. Carry on in the chat."
    assert await stored(served, page.run_id) == kept
    assert len(jo.messages()) == said  # no second mat picture, no second review
    # The chat's own mat buttons from before the page finished it change nothing either.
    await jo.tap(SCALE[2], mat_message.message_id)
    assert await stored(served, page.run_id) == kept
    again = [m.display_text or "" for m in jo.messages()[said:]]
    assert len(again) == 1 and again[0].startswith("That button is from before.")
    assert "anything else you want to say" in again[0]  # where Jo is: past the mat


# -- 3. the chat's buttons and the page, by turns ----------------------------------------------


async def mat_picture(served: Served, run_id: int) -> bytes:
    """The finished mat's picture, as kept with the mat's answer."""
    kept = await stored(served, run_id)
    media = [media for media, kind in kept.answers["mat"].media if kind == "mat"]
    assert len(media) == 1
    async with served.services.db.transaction() as session:
        return (await media_repo.contents(session, media))[media[0]]


async def test_chat_taps_between_page_moves_make_the_page_stale_and_the_mat_the_same(
        served: Served) -> None:
    cast = Cast(served)
    sam = await cast.therapist()
    jo, al = await cast.young_person(sam, "Jo"), await cast.young_person(sam, "Al")

    # Al makes the whole mat on the page.
    al_page = await open_mat(served, al)
    for card, (op, column) in zip(CARDS, PAGE_PLACES, strict=True):
        assert (await al_page.move(op, card, column)).status == 200
    al_seen = len(al.messages())
    assert (await al_page.move("right")).status == 200

    # Jo makes the same mat with the page open, tapping the chat's buttons now and then.
    jo_page = await open_mat(served, jo)
    await jo.tap(SCALE[0])  # the lessons card, in the chat
    moved_on = await stored(served, jo_page.run_id)
    stale = await jo_page.move("place", CARDS[0], 2)  # the page still shows lessons
    assert stale.status == 409 and stale.json()["stale"] is True
    assert stale.json()["error"] == "The mat changed in the chat. Here it is now."
    fresh = stale.json()["state"]
    assert fresh["version"] == moved_on.version and fresh["current"] == CARDS[1]
    assert placed_on(fresh) == {CARDS[0]: 0}
    assert await stored(served, jo_page.run_id) == moved_on
    assert (await jo_page.state()).json()["version"] == moved_on.version  # reloaded
    assert (await jo_page.move("place", CARDS[1], 2)).status == 200  # and it goes on

    # The page closed: the chat gets live buttons again, and is used for two cards.
    closed = await jo_page.move("chat")
    assert closed.status == 200 and closed.json()["version"] == jo_page.version
    assert "where does Reading go?" in jo.text() and web_app_url(jo.last()) is not None
    await jo.tap(SCALE[1])
    await jo.tap(SCALE[LEFT_OFF])
    assert (await jo_page.move("dont_know", CARDS[4])).status == 409  # stale again
    state = (await jo_page.state()).json()
    assert state["current"] == CARDS[4]
    for card, (op, column) in zip(CARDS[4:], PAGE_PLACES[4:], strict=True):
        assert (await jo_page.move(op, card, column)).status == 200
    jo_seen = len(jo.messages())
    assert (await jo_page.move("right")).status == 200

    jo_kept, al_kept = await stored(served, jo_page.run_id), await stored(served, al_page.run_id)
    jo_mat, al_mat = jo_kept.answers["mat"], al_kept.answers["mat"]
    assert jo_mat.placements == al_mat.placements
    assert (jo_mat.kind, jo_mat.choices) == (al_mat.kind, al_mat.choices)
    assert (jo_kept.step_id, jo_kept.status) == (al_kept.step_id, al_kept.status)
    assert await mat_picture(served, jo_page.run_id) == await mat_picture(served, al_page.run_id)
    assert [m.display_text for m in jo.messages()[jo_seen:]] == [
        m.display_text for m in al.messages()[al_seen:]]


# -- 4. stop for now, and back -----------------------------------------------------------------


async def test_stop_for_now_on_the_page_and_continue_in_the_chat_keeps_the_mat(
        served: Served) -> None:
    cast = Cast(served)
    jo = await cast.young_person(await cast.therapist(), "Jo")
    page = await open_mat(served, jo)
    for card, (op, column) in zip(CARDS[:3], PAGE_PLACES[:3], strict=True):
        assert (await page.move(op, card, column)).status == 200
    before = await stored(served, page.run_id)
    said = len(jo.messages())
    stopped = await page.move("stop")
    assert stopped.status == 200 and stopped.json()["stage"] == "paused"
    assert len(jo.messages()) == said + 1
    assert "Stopped for now. Your answers are kept." in jo.text()
    paused = await stored(served, page.run_id)
    assert paused.status == "paused" and paused.version == before.version + 1
    gone = await page.state()
    assert gone.status == 409 and gone.json()["gone"] is True
    assert (await page.move("place", CARDS[3], 0)).status == 409
    assert await stored(served, page.run_id) == paused

    await jo.send("/continue")
    assert web_app_url(jo.last()) == f"{PUBLIC_URL}/mat?run={page.run_id}"
    again = await page.state()
    assert again.status == 200
    state = again.json()
    assert state["stage"] == "place" and state["current"] == CARDS[3]
    assert placed_on(state) == {CARDS[0]: 0, CARDS[1]: 2, CARDS[2]: 1}
    assert (await page.move("leave_off", CARDS[3])).status == 200
    assert repo.run_state(await current_run(served, jo)).placed[-1] == (CARDS[3], LEFT_OFF)


# -- at the same moment ------------------------------------------------------------------------


async def test_two_moves_at_once_from_one_version_land_once(served: Served) -> None:
    """Two pages (or a double tap) sending a move from the same version at the same moment:
    exactly one lands (one version step), the other is told the mat changed; two "This is
    right" at once keep one mat and send the chat one mat picture."""
    cast = Cast(served)
    jo = await cast.young_person(await cast.therapist(), "Jo")
    page = await open_mat(served, jo)
    before = await stored(served, page.run_id)
    replies = await asyncio.gather(page.move("place", CARDS[0], 0),
                                   page.move("place", CARDS[0], 2))
    assert sorted(r.status for r in replies) == [200, 409]
    landed = next(r for r in replies if r.status == 200).json()
    after = await stored(served, page.run_id)
    assert after.version == before.version + 1
    assert repo.run_state(await current_run(served, jo)).placed == (
        (CARDS[0], placed_on(landed)[CARDS[0]]),)

    await page.state()
    for card, (op, column) in zip(CARDS[1:], PAGE_PLACES[1:], strict=True):
        assert (await page.move(op, card, column)).status == 200
    look = await stored(served, page.run_id)
    said = len(jo.messages())
    replies = await asyncio.gather(page.move("right"), page.move("right"))
    assert sorted(r.status for r in replies) == [200, 409]
    finished = await stored(served, page.run_id)
    assert finished.version == look.version + 1 and finished.step_id == "more"
    assert [m.photo is not None for m in jo.messages()[said:]] == [True, True]
    assert finished.all_answers == look.all_answers + 1  # one mat answer, not two


# -- a personal picture card -------------------------------------------------------------------


def photo_jpeg() -> bytes:
    """A small photo, as a therapist's phone might send it for a picture card."""
    out = io.BytesIO()
    Image.new("RGB", (320, 240), (10, 120, 200)).save(out, "JPEG")
    return out.getvalue()


async def test_a_personal_card_is_shown_placed_and_kept_like_any_other(served: Served) -> None:
    cast = Cast(served)
    sam = await cast.therapist()
    jo = await cast.young_person(sam, "Jo")
    await sam.send("/addcard")
    await sam.tap("Jo")
    await sam.send(photo=photo_jpeg())
    await sam.send("Grandma's dog")
    page = await open_mat(served, jo)
    state = (await page.state()).json()
    own = [c for c in state["cards"] if c["own"]]
    assert [c["words"] for c in own] == ["Grandma's dog"]
    picture = await page.get(own[0]["picture"])
    assert picture.status == 200 and picture.headers["Content-Type"] == "image/jpeg"
    with Image.open(io.BytesIO(picture.body)) as image:
        assert image.format == "JPEG"
    not_jos = await page.get(own[0]["picture"], cast.person("Lee").init_data())
    assert not_jos.status == 403 and not_jos.body != picture.body

    columns = iter([0, 1, 2] * 4)
    expected = []
    while state["current"] is not None:
        column = next(columns)
        expected.append((state["current"], column))
        reply = await page.move("place", state["current"], column)
        assert reply.status == 200, reply.body
        state = reply.json()
    assert (await page.move("right")).status == 200
    mat = (await stored(served, page.run_id)).answers["mat"]
    assert list(mat.placements) == expected and own[0]["id"] in mat.choices


# -- the database away at "This is right" --------------------------------------------------------


async def test_this_is_right_while_the_database_is_away_is_kept_back_then_lands_once(
        settings: Settings, fake_api: FakeBotAPI, tmp_path: Path) -> None:
    """The page is told to try again (503) and nothing is half stored; "This is right" sent
    again once the database is back stores the mat once, with one picture in the chat."""
    outage = Outage(settings, tmp_path)
    away = (await outage.bot_settings()).model_copy(update={"public_url": PUBLIC_URL})
    async with polling_with_page(away, fake_api) as served:
        cast = Cast(served)
        jo = await cast.young_person(await cast.therapist(), "Jo")
        page = await open_mat(served, jo)
        for card, (op, column) in zip(CARDS, PAGE_PLACES, strict=True):
            assert (await page.move(op, card, column)).status == 200
        look = await stored(served, page.run_id)
        said = len(jo.messages())
        await outage.begin(served.services.db)
        try:
            refused = await page.move("right")
            assert refused.status == 503, refused.body
            assert "try again" in refused.json()["error"]
        finally:
            await outage.end()
        assert await stored(served, page.run_id) == look
        assert len(jo.messages()) == said
        again = await page.move("right")  # the page sends it again, at the same version
        assert again.status == 200 and again.json()["stage"] == "done"
        kept = await stored(served, page.run_id)
        assert kept.version == look.version + 1 and "mat" in kept.answers
        assert [m.display_text for m in jo.messages()[said:]][:1] == [
            "Here is your finished mat. 🖼️"]
        assert len(jo.messages()) == said + 2
