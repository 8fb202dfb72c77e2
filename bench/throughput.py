"""MySay's throughput and latency against a bare python-telegram-bot bot, over real HTTP.

Run from the repository root (seven to eight minutes with the defaults on a shared 2-core
machine, mostly people joining, the warm-up and the CPU pass; PostgreSQL is used when it
answers at TEST_DATABASE_URL, else SQLite alone):

    .venv/bin/python bench/throughput.py [--people 1 20] [--seconds 8] [--mix all|checkin]
                                         [--profile DIR]

Both bots run as their own processes and poll a local fake Bot API in this process (no spec
checks, so the fake costs both the same). Simulated young people tap as fast as the replies
arrive. With `--mix all` (the default) each one goes through every activity on a young
person's menu, one after another: the menu lists them, and the walker (Walker below) reads
each screen's buttons as the fake Bot API shows them and answers what it asks. On a choice it
taps the first real answer (not Skip, I don't know, Something else, Back, Read it to me or
Stop for now); on a multi-select it ticks two, then Done; where words are asked it types a
sentence; where the flow asks for a photo (a photo step in flows/) it sends one; on the Talking
Mat it places every card (the flow's own eight, along the scale in turn), then "This is
right"; at the review it taps "Share with my therapist", which brings the menu back. "How am I
getting on?" is only on the menu once a young person has outcomes, so each one gets two,
written straight into the database as a therapist's /outcomes would. Person n starts at the
menu's activity n (round the list), so with many people every activity is in the mix at once;
one person in a short run only gets through the first few. With `--mix checkin` they tap the
Good day / Bad day check-in alone, round and round: the menu, "Good", "Friend", "Done", a typed
sentence, "Share" (the mix of earlier runs). Against the bare bot (bench/bare_bot.py, which
only edits a keyboard per tap) the same number of people tap its one button as fast.

Before the timed window one extra person walks every activity once (so the pictures every
young person sees alike are drawn, as on a bot that has been running); then every person taps
until the time is up, finishing the tap in hand. Printed per run:

- taps/s: updates (taps, typed answers, photos) fully answered per second, all people together;
- p50/p95/p99: milliseconds from the update being available to the bot's first request about
  it (MySay: answering the tap, or its first reply to a message; bare: its edit);
- peak MB: the bot process's peak resident memory (VmHWM), start-up included;
- CPU ms: the bot process's CPU time per update in the timed window (both cores count);
- the ratios to the bare bot measured in the same run (before and after MySay, pooled);
- bench %: this process's own CPU time (the fake Bot API and the people) in % of the window,
  to show the bench itself was not what held taps back (its fake reads an uploaded photo's
  size from the header, no decoding: see BenchAPI);

and whether the targets hold: at the most people MySay's taps/s at least 0.5x the bare bot's
and its p99 at most 3x; at the fewest people p99 at most 2x; peak memory under 200 MB.

Then, for the activity mix, a table per database by activity. CPU per tap is measured apart
from the timed runs, since with people tapping at once the bot's CPU time cannot be split by
tap: after the timed window of the run with the most people, one more person walks every
activity once, alone. The bot's CPU time (the sum over its threads of
/proc/<pid>/task/*/schedstat, in nanoseconds) is read once the bot is idle (under 1 ms of CPU
in 20 ms) before and after each of their updates, so pictures drawn after a reply count with
it; the interval is that update's, and each update belongs to the activity it was part of
(its menu tap and its Share too).
That pass's p50 is given too, and p50/p95/p99 of each activity's taps in each timed run.

MySay runs as `python -m bot run` with its production settings, except two limits a
simulated person tapping non-stop would hit at once: the pacing of new messages (about one a
second per chat, 30 overall; tested in tests/telegram/test_faults.py) and the flood limit per
person. Those are deliberate waits, not costs. --profile DIR also writes a pyinstrument profile
of MySay per run (`pip install -e ".[bench]"`), or with BENCH_CPROFILE=1 a cProfile .pstats
file.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import os
import signal
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from cryptography.fernet import Fernet  # noqa: E402
from PIL import Image  # noqa: E402
from sqlalchemy import make_url, select, text  # noqa: E402
from sqlalchemy.ext.asyncio import create_async_engine  # noqa: E402

from bot.engine.flows import StepType  # noqa: E402
from bot.sandbox.fake_api import FakeBotAPI  # noqa: E402
from bot.sandbox.fake_api.records import StoredFile  # noqa: E402
from bot.service.present import TICK  # noqa: E402
from bot.services import Content, load_content  # noqa: E402
from bot.store import crypto, outcome_repo, repo  # noqa: E402
from bot.store.db import Database  # noqa: E402
from bot.store.models import InvitationKind, Role  # noqa: E402
from bot.store.models import Person as PersonRow  # noqa: E402

TOKEN = "123456:BENCH-not-a-real-token-00000000000000000"
PG_URL = os.environ.get("TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")
THERAPIST = 8_000_000
ROUND = ("How was today", "Good", "Friend", "Done", None, "Share")  # None: type a sentence
WORDS = "We played football at lunch and it was fun"
OUTCOMES = ("Ask for help when I need it", "Join in at break time")  # for "How am I getting on?"
TICKS = 2  # choices ticked on a multi-select before Done
MAX_TAPS = 400  # a walk through one activity longer than this has lost its way
# Buttons that are no answer: the walker never taps them (their words come from the locale).
NOT_ANSWERS = ("control.done", "control.back", "control.skip", "control.dont_know",
               "control.something_else", "control.stop", "control.share", "control.keep",
               "control.change", "control.continue", "control.unsafe", "control.read",
               "control.move", "control.right", "menu.more", "menu.back")
TARGET_TAPS_RATIO = 0.5  # at the most people: at least half the bare bot's taps per second
TARGET_P99_MOST = 3.0  # at the most people: p99 at most three times the bare bot's
TARGET_P99_ONE = 2.0  # at the fewest people (one): p99 at most twice the bare bot's
TARGET_PEAK_MB = 200.0


@dataclass
class Run:
    bot: str
    database: str
    people: int
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)  # milliseconds
    activities: list[str] = field(default_factory=list)  # the activity of each latency's tap
    peak_mb: float = 0.0
    cpu_seconds: float = 0.0  # the bot process's CPU time in the timed window
    bench_seconds: float = 0.0  # this process's (the fake Bot API and the people) in it
    flood_notices: int = 0
    stale_notices: int = 0  # "That button is from before": the walker tapped an old screen
    # The sequential pass (MySay, activity mix): activity -> (CPU ms, latency ms) per update.
    cpu_pass: dict[str, list[tuple[float, float]]] = field(default_factory=dict)

    @property
    def cpu_ms_per_tap(self) -> float:
        return self.cpu_seconds * 1000 / len(self.latencies) if self.latencies else 0.0

    @property
    def taps_per_second(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    @property
    def bench_share(self) -> float:
        """This process's CPU time in the timed window, in % of the window: near 100, the
        fake Bot API and the simulated people (one event loop) were what held taps back."""
        return self.bench_seconds * 100 / self.seconds if self.seconds else 0.0

    def pooled(self, other: Run) -> Run:
        """Two runs of the same bot as one: all their taps over all their time."""
        return Run(self.bot, self.database, self.people, self.seconds + other.seconds,
                   self.latencies + other.latencies, self.activities + other.activities,
                   max(self.peak_mb, other.peak_mb), self.cpu_seconds + other.cpu_seconds,
                   self.bench_seconds + other.bench_seconds,
                   self.flood_notices + other.flood_notices,
                   self.stale_notices + other.stale_notices)

    def percentile(self, p: float) -> float:
        return percentile(self.latencies, p)

    def by_activity(self) -> dict[str, list[float]]:
        """The latencies (ms) of each activity's taps in the timed window."""
        grouped: dict[str, list[float]] = {}
        for activity, latency in zip(self.activities, self.latencies, strict=True):
            grouped.setdefault(activity, []).append(latency)
        return grouped


def percentile(values: list[float], p: float) -> float:
    """The `p`th percentile (0-100) of `values`, nearest rank; NaN for none."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


# --- the bot under test, as its own process ---------------------------------------------------


class BotProcess:
    def __init__(self, command: list[str], env: dict[str, str], workdir: Path) -> None:
        self.command, self.env, self.workdir = command, env, workdir
        self.process: asyncio.subprocess.Process | None = None
        self.log = workdir / "bot.log"

    async def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        with self.log.open("wb") as log:
            self.process = await asyncio.create_subprocess_exec(
                *self.command, cwd=ROOT, env=self.env, stdin=asyncio.subprocess.DEVNULL,
                stdout=log, stderr=log)

    def cpu_seconds(self) -> float:
        """CPU time used so far (user + system, every thread, ended ones too), from /proc."""
        assert self.process is not None
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def cpu_ns(self) -> int:
        """CPU time so far in nanoseconds, summed over the live threads' schedstat: finer than
        cpu_seconds (clock ticks), but a thread that has ended no longer counts."""
        assert self.process is not None
        total = 0
        for task in Path(f"/proc/{self.process.pid}/task").iterdir():
            with contextlib.suppress(OSError):  # a thread ending as we read
                total += int((task / "schedstat").read_text().split()[0])
        return total

    def peak_mb(self) -> float:
        """Peak resident memory so far (VmHWM), from /proc: only while the process lives."""
        assert self.process is not None
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    async def stop(self, signum: int = signal.SIGTERM) -> None:
        if self.process is None or self.process.returncode is not None:
            return
        self.process.send_signal(signum)
        try:
            async with asyncio.timeout(60):
                await self.process.wait()
        except TimeoutError:
            self.process.kill()
            await self.process.wait()


class BenchAPI(FakeBotAPI):
    """The fake Bot API, less work Telegram's own servers would do: an uploaded photo's size
    is read from its header, and no thumbnail is made. The fake runs in this process, on the
    same event loop as the simulated people; decoding every picture card MySay uploads (each
    personal screen is one) made it the slowest part of the activity mix at 20 people."""

    def _store_photo(self, data: bytes, file_name: str | None) -> list[StoredFile]:
        with Image.open(io.BytesIO(data)) as image:  # the header only: no decoding
            width, height = image.size
            mime = Image.MIME.get(image.format or "", "image/jpeg")
        stored = self._store_file("photo", data, file_name or "photo.jpg", mime, width=width,
                                  height=height)
        stored.photo_group = (stored.file_id,)
        return [stored]


def base_env(api: FakeBotAPI) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("TELEGRAM_", "MYSAY_", "DATABASE_URL"))}
    env.update(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE_URL=api.base_url,
               TELEGRAM_API_BASE_FILE_URL=api.base_file_url)
    return env


async def wait_polling(api: FakeBotAPI, process: BotProcess, since: int) -> None:
    """Ready once the bot asks for updates."""
    async with asyncio.timeout(60):
        while not any(r.method == "getUpdates" for r in api.requests[since:]):
            assert process.process is not None
            if process.process.returncode is not None:
                raise SystemExit(f"the bot stopped; see {process.log}")
            await asyncio.sleep(0.05)


# --- what a young person sees, and what they do about it -------------------------------------


class Shown(Protocol):
    """A message as the fake Bot API keeps it (bot.sandbox.fake_api SentMessage); the chat
    driver's messages in tests/support/driver.py (Said) read the same."""

    @property
    def message_id(self) -> int: ...
    @property
    def display_text(self) -> str | None: ...
    @property
    def inline_keyboard(self) -> list[list[dict[str, Any]]]: ...


@dataclass(frozen=True)
class Move:
    """One thing a simulated person does: tap a button (its callback data), type words, or
    send a photo (JPEG bytes). `last`: the move that finishes an activity (sharing it)."""

    data: str | None = None
    words: str | None = None
    photo: bytes | None = None
    last: bool = False


def buttons(message: Shown) -> list[tuple[str, str]]:
    """Every button of a message as (label, callback data), row after row."""
    return [(str(b.get("text", "")), str(b["callback_data"]))
            for row in message.inline_keyboard for b in row if "callback_data" in b]


def a_photo() -> bytes:
    """A small JPEG with something in it (a gradient), as a phone camera might send."""
    picture = Image.linear_gradient("L").resize((640, 480)).convert("RGB")
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=80)
    return out.getvalue()


class Walker:
    """Answers whatever screen a flow shows, from its buttons: the words of the controls come
    from the locale and the photo steps from the flows, so it follows the flows as they are.

    Takes the loaded content (bot.services.load_content)."""

    def __init__(self, content: Content) -> None:
        say = content.locale
        self.not_answers = {say(key) for key in NOT_ANSWERS}
        self.done, self.share, self.right = (say("control.done"), say("control.share"),
                                             say("control.right"))
        flows = [f for f in content.engine.flows.values() if f.audience == "young_person"]
        self.titles = {f.title: f.id for f in flows}
        self.mats = {f.id for f in flows if any(s.type is StepType.MAT for s in f.steps)}
        self.photo_prompts = tuple(s.prompt for f in flows for s in f.steps
                                   if s.type is StepType.PHOTO)
        self.photo = a_photo()
        self.stale = say("stale_button")  # a tap on an old screen: the walk ran ahead

    def activities(self, menu: Shown) -> dict[str, str]:
        """The activities on a menu: flow id -> the callback data of its button, in order."""
        found = {}
        for label, data in buttons(menu):
            for title, flow_id in self.titles.items():
                if label.endswith(title):
                    found[flow_id] = data
        return found

    def move(self, screen: Shown, activity: str, seen: Counter[tuple[str, ...]]) -> Move:
        """What to do on `screen`, part of `activity` (a flow id). `seen` counts the moves
        made on each step of this activity so far, and is updated. Raises
        RuntimeError on a screen it cannot answer."""
        words = screen.display_text or ""
        labels = buttons(screen)
        by_label = dict(labels)
        answers = [(label, data) for label, data in labels if label not in self.not_answers]
        # One step, as long as the walker is on it: its last line ("Part 2 of 5", or the
        # words asked) and its answers, ticked or not (a notice may come first, then go).
        step = (words.rsplit("\n", 1)[-1],
                *(label.removeprefix(TICK).strip() for label, _ in answers))
        times = seen[step]
        seen[step] += 1
        if self.share in by_label:  # the review: share it, which ends the activity
            return Move(data=by_label[self.share], last=True)
        if self.right in by_label:  # the finished mat: this is right
            return Move(data=by_label[self.right])
        if self.done in by_label:  # a multi-select: tick some, then Done
            unticked = [data for label, data in answers if not label.startswith(TICK)]
            ticked = len(answers) - len(unticked)
            if ticked >= TICKS or not unticked or times >= TICKS:
                return Move(data=by_label[self.done])
            return Move(data=unticked[0])
        if answers:  # a choice, or a mat card to place: along the scale in turn on a mat
            turn = sum(seen.values()) - 1 if activity in self.mats else 0
            return Move(data=answers[turn % len(answers)][1])
        if words.startswith(self.photo_prompts):
            return Move(photo=self.photo)
        if times > 2:
            raise RuntimeError(f"stuck in {activity} on {words!r} with {list(by_label)}")
        return Move(words=WORDS)


# --- simulated people ----------------------------------------------------------------------


class Chats:
    """Wakes whoever waits on a chat when the bot sends or edits a message there."""

    def __init__(self, api: FakeBotAPI) -> None:
        self.api = api
        self.changed: dict[int, asyncio.Event] = {}
        self.queue = api.subscribe()
        self.task = asyncio.create_task(self._dispatch())

    async def _dispatch(self) -> None:
        while True:
            event = await self.queue.get()
            chat = event.get("chat_id")
            if chat in self.changed:
                self.changed[chat].set()

    def screen(self, chat_id: int) -> Shown | None:
        """The newest message with buttons: the screen the person answers."""
        for message in reversed(self.api.messages_in(chat_id)):
            if message.inline_keyboard:
                return message
        return None

    def card(self, chat_id: int) -> tuple[int, str]:
        """The newest message with buttons, as (message id, its buttons)."""
        message = self.screen(chat_id)
        return (message.message_id, repr(message.inline_keyboard)) if message else (0, "")

    async def until_new_card(self, chat_id: int, before: tuple[int, str]) -> None:
        """Until the newest buttons are new: a newer message, or the same one edited (never
        an older one, which a message losing its buttons first would uncover)."""
        event = self.changed.setdefault(chat_id, asyncio.Event())
        async with asyncio.timeout(60):
            while (now := self.card(chat_id)) == before or now[0] < before[0]:
                event.clear()
                await event.wait()

    async def close(self) -> None:
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task
        self.api.unsubscribe(self.queue)


def first_reply_at(api: FakeBotAPI, since: int, chat_id: int, query_id: str | None) -> float:
    for request in api.requests[since:]:
        if query_id is not None and request.params.get("callback_query_id") == query_id:
            return request.at
        if str(request.params.get("chat_id")) == str(chat_id) and request.method != "getUpdates":
            return request.at
    raise AssertionError("a reply without a request")


async def interact(api: FakeBotAPI, chats: Chats, user_id: int, move: Move) -> float:
    """One move (a tap on the newest buttons, typed words or a photo), until its reply is
    complete. Returns the milliseconds from the update being available to the bot's first
    request about it."""
    before = chats.card(user_id)
    since = len(api.requests)
    query_id = None
    started = time.time()
    if move.data is not None:
        _, query_id = api.push_callback(user_id, before[0], move.data)
    else:
        api.push_message(user_id, move.words, photo=move.photo, first_name="Jo")
    await chats.until_new_card(user_id, before)
    return (first_reply_at(api, since, user_id, query_id) - started) * 1000


def tap(api: FakeBotAPI, user_id: int, label: str | None) -> Move:
    """A tap on the newest button with `label` in its words; None: typing WORDS."""
    return Move(words=WORDS) if label is None else Move(data=api.button_data(user_id, label))


# A person's taps: (activity, latency ms) for each update, until the round is over.
Rounds = Callable[[int], AsyncIterator[tuple[str, float]]]


async def timed(people: list[int], seconds: float, rounds: Rounds) -> tuple[Run, float]:
    """Every person taps through `rounds` (again and again) until `seconds` are up, finishing
    the update in hand. Returns a Run with each update's latency and activity, and the seconds
    from the start until the last person stopped."""
    run = Run("", "", len(people))
    started = time.perf_counter()
    own = time.process_time()
    deadline = started + seconds

    async def person(user_id: int) -> None:
        while time.perf_counter() < deadline:
            async for activity, latency in rounds(user_id):
                run.activities.append(activity)
                run.latencies.append(latency)
                if time.perf_counter() >= deadline:
                    return

    await asyncio.gather(*(person(p) for p in people))
    run.bench_seconds = time.process_time() - own
    return run, time.perf_counter() - started


async def walk(api: FakeBotAPI, chats: Chats, walker: Walker, user_id: int,
               activity: str) -> AsyncIterator[tuple[str, float]]:
    """One person through one activity, from their menu to sharing it; yields (activity,
    latency ms) per update. Raises RuntimeError if the walk loses its way."""
    menu = chats.screen(user_id)
    offered = walker.activities(menu) if menu is not None else {}
    if activity not in offered:
        raise RuntimeError(f"{activity} is not on the menu: {menu and menu.display_text!r}")
    yield activity, await interact(api, chats, user_id, Move(data=offered[activity]))
    seen: Counter[tuple[str, ...]] = Counter()
    for _ in range(MAX_TAPS):
        screen = chats.screen(user_id)
        assert screen is not None
        move = walker.move(screen, activity, seen)
        yield activity, await interact(api, chats, user_id, move)
        if move.last:
            return
    raise RuntimeError(f"{activity}: no end after {MAX_TAPS} updates")


def rounds_from(people: list[int], activities: list[str],
                walk_one: Callable[[int, str], AsyncIterator[tuple[str, float]]]) -> Rounds:
    """Rounds for the activity mix: each person goes through every activity in menu order,
    the nth person beginning at the nth activity (round the list)."""

    async def rounds(user_id: int) -> AsyncIterator[tuple[str, float]]:
        place = people.index(user_id)
        for step in range(len(activities)):
            async for tapped in walk_one(user_id, activities[(place + step) % len(activities)]):
                yield tapped

    return rounds


# --- MySay ----------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def database(kind: str, workdir: Path) -> AsyncIterator[str]:
    if kind == "sqlite":
        yield f"sqlite+aiosqlite:///{workdir / 'mysay.sqlite3'}"
        return
    name = f"mysay_bench_{uuid.uuid4().hex[:10]}"
    admin = create_async_engine(make_url(PG_URL).set(database="postgres"),
                                isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f"CREATE DATABASE {name}"))
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        await admin.dispose()


_ids = iter(range(8_001_000, 10**9, 1_000))


def new_people(count: int) -> list[int]:
    """Telegram ids no earlier run used (the fake keeps every chat)."""
    first = next(_ids)
    return [first + i for i in range(count)]


async def invitations(url: str, people: int) -> list[str]:
    """A therapist and one young-person invitation each, straight into the database."""
    db = Database(url)
    try:
        async with db.transaction() as session:
            therapist = await repo.add_person(
                session, telegram_user_id=THERAPIST, chat_id=THERAPIST, role=Role.THERAPIST,
                display_name="Sam", consented=True)
            return [await repo.create_invitation(session, kind=InvitationKind.YOUNG_PERSON,
                                                 days=14, created_by=therapist, label="Jo")
                    for _ in range(people)]
    finally:
        await db.dispose()


async def set_outcomes(url: str, users: Iterable[int]) -> None:
    """OUTCOMES for each young person, straight into the database (as their therapist's
    /outcomes would set them), so "How am I getting on?" is on their menu."""
    db = Database(url)
    try:
        async with db.transaction() as session:
            therapist = await session.scalar(select(PersonRow.id).where(
                PersonRow.telegram_user_id == THERAPIST))
            for user_id in users:
                young = await session.scalar(select(PersonRow.id).where(
                    PersonRow.telegram_user_id == user_id))
                assert young is not None, f"{user_id} has not joined"
                for words in OUTCOMES:
                    await outcome_repo.add(session, young_person_id=young,
                                           created_by_id=therapist, words=words)
    finally:
        await db.dispose()


async def join(api: FakeBotAPI, chats: Chats, user_id: int, code: str) -> None:
    """Accept the invitation and agree; returns once the menu is shown."""
    api.add_user(user_id, "Jo")
    before = chats.card(user_id)
    api.push_message(user_id, f"/start {code}", first_name="Jo")
    await chats.until_new_card(user_id, before)
    await interact(api, chats, user_id, tap(api, user_id, "Yes"))
    async with asyncio.timeout(60):  # the menu comes after the welcome
        while "How was today" not in chats.card(user_id)[1]:
            await chats.until_new_card(user_id, chats.card(user_id))


async def mysay(api: FakeBotAPI, kind: str, people: int, seconds: float, mix: str,
                walker: Walker, *, cpu_pass: bool, profile: Path | None) -> Run:
    """MySay's run on database `kind` ("sqlite" or "postgres") with `people` tapping for
    `seconds` through `mix` ("all" or "checkin"). With `cpu_pass` (the activity mix only),
    one more person then walks every activity alone, for the CPU time by activity."""
    run = Run("MySay", kind, people)
    with tempfile.TemporaryDirectory(prefix="mysay-bench-") as folder:
        workdir = Path(folder)
        async with database(kind, workdir) as url:
            key = Fernet.generate_key().decode()
            crypto.activate(crypto.Keyring.from_string(key))
            env = base_env(api) | {
                "DATABASE_URL": url, "MYSAY_DATA_KEYS": key, "MYSAY_DATA_DIR": str(workdir),
                "MYSAY_CHAT_SENDS_PER_SECOND": "0", "MYSAY_SENDS_PER_SECOND": "0",
                "MYSAY_FLOOD_PER_MINUTE": "100000"}  # a simulated person taps non-stop
            command = [sys.executable, "-m", "bot", "run"]
            if profile is not None:
                out = profile / f"mysay-{kind}-{people}.txt"
                command = [sys.executable, "-m", "pyinstrument", "-r", "text", "-o", str(out),
                           "-m", "bot", "run"]
                if os.environ.get("BENCH_CPROFILE"):  # exact per-function times, for pstats
                    command = [sys.executable, "-m", "cProfile", "-o",
                               str(out.with_suffix(".pstats")), "-m", "bot", "run"]
            bot = BotProcess(command, env, workdir)
            since = len(api.requests)
            await bot.start()
            chats = Chats(api)
            try:
                await wait_polling(api, bot, since)
                api.add_user(THERAPIST, "Sam")
                everyone = new_people(people + 2)  # and one to warm up, one for the CPU pass
                users, extra = everyone[:people], everyone[people:]
                codes = await invitations(url, len(everyone))
                await asyncio.gather(*(join(api, chats, u, c) for u, c in
                                       zip(everyone, codes, strict=True)))
                if mix == "all":
                    rounds = await the_mix(api, chats, walker, url, everyone, users)
                else:
                    async def rounds(user_id: int) -> AsyncIterator[tuple[str, float]]:
                        for label in ROUND:
                            yield "check_in", await interact(api, chats, user_id,
                                                             tap(api, user_id, label))

                    await asyncio.gather(*(_drain(rounds(u)) for u in users))  # warm up
                    await _drain(rounds(extra[0]))
                cpu = bot.cpu_seconds()
                tapped, run.seconds = await timed(users, seconds, rounds)
                run.latencies, run.activities = tapped.latencies, tapped.activities
                run.bench_seconds = tapped.bench_seconds
                run.cpu_seconds = bot.cpu_seconds() - cpu
                run.peak_mb = bot.peak_mb()
                if cpu_pass and mix == "all":
                    run.cpu_pass = await by_activity(api, chats, walker, bot, extra[1])
                for user_id in everyone:
                    said = [(m.display_text or "") for m in api.messages_in(user_id)]
                    run.flood_notices += sum("slow down" in s.lower() for s in said)
                    run.stale_notices += sum(s.startswith(walker.stale) for s in said)
            except BaseException:
                print(bot.log.read_text()[-3000:], file=sys.stderr)
                raise
            finally:
                await chats.close()
                await bot.stop(signal.SIGINT if profile is not None else signal.SIGTERM)
    return run


async def the_mix(api: FakeBotAPI, chats: Chats, walker: Walker, url: str,
                  everyone: list[int], users: list[int]) -> Rounds:
    """Everyone's outcomes and a fresh menu; then one of `everyone` beyond `users` walks every
    activity once (the warm-up). Returns the rounds of the activity mix for `users`."""
    await set_outcomes(url, everyone)

    async def fresh_menu(user_id: int) -> None:
        before = chats.card(user_id)
        api.push_message(user_id, "/menu", first_name="Jo")
        await chats.until_new_card(user_id, before)

    await asyncio.gather(*(fresh_menu(u) for u in everyone))
    menu = chats.screen(everyone[-1])
    assert menu is not None
    activities = list(walker.activities(menu))

    def walk_one(user_id: int, activity: str) -> AsyncIterator[tuple[str, float]]:
        return walk(api, chats, walker, user_id, activity)

    for activity in activities:  # the warm-up
        await _drain(walk_one(everyone[len(users)], activity))
    return rounds_from(users, activities, walk_one)


async def by_activity(api: FakeBotAPI, chats: Chats, walker: Walker, bot: BotProcess,
                      user_id: int) -> dict[str, list[tuple[float, float]]]:
    """One person walks every activity on their menu once, alone. Returns, by activity, the
    bot's CPU time (ms, from its threads' schedstat) and the latency (ms) of each update: an
    update's CPU time runs from the bot being idle before it to the bot being idle after it
    (so pictures drawn after the reply count, and the bench waits a little between updates)."""
    menu = chats.screen(user_id)
    assert menu is not None
    found: dict[str, list[tuple[float, float]]] = {}
    before = await idle(bot)
    for activity in walker.activities(menu):
        async for _, latency in walk(api, chats, walker, user_id, activity):
            after = await idle(bot)  # the walk waits here before its next update
            found.setdefault(activity, []).append(((after - before) / 1e6, latency))
            before = after
    return found


async def idle(bot: BotProcess, quiet_ms: float = 1.0, seconds: float = 3.0) -> int:
    """Waits until the bot used under `quiet_ms` of CPU in 20 ms (or `seconds` passed);
    returns its CPU time then (ns)."""
    now = bot.cpu_ns()
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        await asyncio.sleep(0.02)
        now, before = bot.cpu_ns(), now
        if now - before < quiet_ms * 1e6:
            break
    return now


async def _drain(rounds: AsyncIterator[Any]) -> None:
    async for _ in rounds:
        pass


# --- the bare bot ----------------------------------------------------------------------------


async def bare(api: FakeBotAPI, people: int, seconds: float) -> Run:
    run = Run("bare PTB", "-", people)
    with tempfile.TemporaryDirectory(prefix="mysay-bench-bare-") as folder:
        bot = BotProcess([sys.executable, str(ROOT / "bench" / "bare_bot.py")], base_env(api),
                         Path(folder))
        since = len(api.requests)
        await bot.start()
        chats = Chats(api)
        try:
            await wait_polling(api, bot, since)
            users = new_people(people)
            for user_id in users:
                api.add_user(user_id, "Jo")

            async def start(user_id: int) -> None:
                before = chats.card(user_id)
                api.push_message(user_id, "/start", first_name="Jo")
                await chats.until_new_card(user_id, before)

            await asyncio.gather(*(start(u) for u in users))

            async def rounds(user_id: int) -> AsyncIterator[tuple[str, float]]:
                for _ in ROUND:
                    yield "bare", await interact(api, chats, user_id,
                                                 tap(api, user_id, "Tapped"))

            await asyncio.gather(*(_drain(rounds(u)) for u in users))  # warm up
            cpu = bot.cpu_seconds()
            tapped, run.seconds = await timed(users, seconds, rounds)
            run.latencies, run.activities = tapped.latencies, tapped.activities
            run.bench_seconds = tapped.bench_seconds
            run.cpu_seconds = bot.cpu_seconds() - cpu
            run.peak_mb = bot.peak_mb()
        finally:
            await chats.close()
            await bot.stop()
    return run


# --- the report ----------------------------------------------------------------------------


def row(run: Run, floor: Run) -> str:
    ratio = run.taps_per_second / floor.taps_per_second if floor.taps_per_second else 0.0
    p99 = run.percentile(99) / floor.percentile(99) if floor.latencies else 0.0
    return (f"{run.people:>6}  {run.bot:<8}  {run.database:<8}  {run.taps_per_second:>7.1f}"
            f"  {run.percentile(50):>6.1f}  {run.percentile(95):>6.1f}  {run.percentile(99):>6.1f}"
            f"  {run.peak_mb:>7.1f}  {run.cpu_ms_per_tap:>6.1f}  {ratio:>9.2f}  {p99:>8.2f}"
            f"  {run.bench_share:>7.0f}")


def verdicts(runs: list[tuple[Run, Run]]) -> list[str]:
    """PASS / FAIL per target for each MySay run against its floor (and NOTE lines)."""
    most = max(r.people for r, _ in runs)
    least = min(r.people for r, _ in runs)
    lines = []
    for run, floor in runs:
        if run.bot == floor.bot:
            continue
        where = f"{run.database}, {run.people} {'person' if run.people == 1 else 'people'}"
        p99 = run.percentile(99) / floor.percentile(99)
        if run.people == most:
            ratio = run.taps_per_second / floor.taps_per_second
            lines.append(f"{'PASS' if ratio >= TARGET_TAPS_RATIO else 'FAIL'}  {where}: taps/s "
                         f"{ratio:.2f}x the bare bot (target >= {TARGET_TAPS_RATIO})")
            lines.append(f"{'PASS' if p99 <= TARGET_P99_MOST else 'FAIL'}  {where}: p99 "
                         f"{p99:.2f}x the bare bot (target <= {TARGET_P99_MOST})")
        if run.people == least and least != most:
            lines.append(f"{'PASS' if p99 <= TARGET_P99_ONE else 'FAIL'}  {where}: p99 "
                         f"{p99:.2f}x the bare bot (target <= {TARGET_P99_ONE})")
        lines.append(f"{'PASS' if run.peak_mb < TARGET_PEAK_MB else 'FAIL'}  {where}: peak "
                     f"{run.peak_mb:.0f} MB (target < {TARGET_PEAK_MB:.0f})")
        if run.flood_notices:
            lines.append(f"NOTE  {where}: {run.flood_notices} flood-limit notices (too fast)")
        if run.stale_notices:
            lines.append(f"NOTE  {where}: {run.stale_notices} 'button from before' notices "
                         "(the walker tapped a screen already replaced)")
    return lines


def activity_table(kind: str, runs: list[Run], order: list[str]) -> list[str]:
    """By activity, for one database: the CPU pass (taps, CPU ms per tap, p50) and each timed
    run's taps and p50/p95/p99 (ms). `order`: the activities in menu order."""
    passed = next((r.cpu_pass for r in runs if r.cpu_pass), {})
    head = f"{'activity':<20}  {'taps':>4}  {'CPU ms/tap':>10}  {'p50 ms':>6}"
    for run in runs:
        head += f"  | {run.people:>2} {'person' if run.people == 1 else 'people'}: taps" \
                "    p50    p95    p99"
    lines = [f"By activity, {kind}: CPU and p50 from one person walking each activity once "
             "after the timed runs; then each timed run's taps and latency (ms)", head]
    for activity in order:
        seq = passed.get(activity, [])
        cpu = sum(c for c, _ in seq) / len(seq) if seq else float("nan")
        line = (f"{activity:<20}  {len(seq):>4}  {cpu:>10.1f}  "
                f"{percentile([lat for _, lat in seq], 50):>6.1f}")
        for run in runs:
            got = run.by_activity().get(activity, [])
            width = 16 if run.people == 1 else 15
            line += (f"  | {len(got):>{width}}  {percentile(got, 50):>5.1f}  "
                     f"{percentile(got, 95):>5.1f}  {percentile(got, 99):>5.1f}")
        lines.append(line)
    every = [x for seq in passed.values() for x in seq]
    if every:
        lines.append(f"{'all':<20}  {len(every):>4}  "
                     f"{sum(c for c, _ in every) / len(every):>10.1f}  "
                     f"{percentile([lat for _, lat in every], 50):>6.1f}")
    return lines


async def postgres_answers() -> bool:
    engine = create_async_engine(make_url(PG_URL).set(database="postgres"))
    try:
        async with asyncio.timeout(5), engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return True
    except Exception:
        return False
    finally:
        await engine.dispose()


async def main(people_counts: list[int], seconds: float, mix: str,
               profile: Path | None) -> int:
    backends = ["sqlite"] + (["postgres"] if await postgres_answers() else [])
    walker = Walker(load_content())
    api = BenchAPI(TOKEN, bot_username="MySayBenchBot")
    await api.start()
    began = time.perf_counter()
    runs: list[tuple[Run, Run]] = []
    try:
        what = "every activity on the menu" if mix == "all" else "the check-in alone"
        print(f"MySay vs a bare python-telegram-bot bot; {os.cpu_count()} CPUs, {seconds:g} s "
              f"a run, local fake Bot API; young people go through {what}", flush=True)
        print("people  bot       database    taps/s  p50 ms  p95 ms  p99 ms  peak MB  CPU ms"
              "  taps/bare  p99/bare  bench %", flush=True)
        for people in people_counts:
            # The floor is measured before and after MySay and the two pooled, so a shared
            # machine slowing down (or speeding up) mid-run moves both sides alike.
            before = await bare(api, people, seconds)
            ours = [await mysay(api, kind, people, seconds, mix, walker,
                                cpu_pass=people == people_counts[-1], profile=profile)
                    for kind in backends]
            floor = before.pooled(await bare(api, people, seconds))
            runs.append((floor, floor))
            print(row(floor, floor), flush=True)
            for run in ours:
                runs.append((run, floor))
                print(row(run, floor), flush=True)
    finally:
        await api.stop()
    for line in verdicts(runs):
        print(line)
    if mix == "all":
        order = list(walker.titles.values())
        for kind in backends:
            print()
            for line in activity_table(kind, [r for r, _ in runs if r.database == kind], order):
                print(line)
    print(f"({time.perf_counter() - began:.0f} s in all)")
    return 0 if all(not line.startswith("FAIL") for line in verdicts(runs)) else 1


def _run(coro: Awaitable[int]) -> int:
    return asyncio.run(coro)  # type: ignore[arg-type]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, nargs="+", default=[1, 20])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--mix", choices=["all", "checkin"], default="all",
                        help="every activity on the menu (default), or the check-in alone")
    parser.add_argument("--profile", type=Path, default=None,
                        help="write a pyinstrument profile of MySay per run into this folder")
    options = parser.parse_args()
    if options.profile is not None:
        options.profile.mkdir(parents=True, exist_ok=True)
    sys.exit(_run(main(options.people, options.seconds, options.mix, options.profile)))
