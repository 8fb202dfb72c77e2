"""MySay's throughput and latency against a bare python-telegram-bot bot, over real HTTP.

Run from the repository root (about two minutes; PostgreSQL is used when it answers):

    .venv/bin/python bench/throughput.py [--people 1 20] [--seconds 8] [--profile DIR]

Both bots run as their own processes and poll a local fake Bot API in this process (no spec
checks, so the fake costs both the same). Simulated young people each tap through the Good
day / Bad day check-in as fast as the replies arrive: the menu, "Good", "Friend", "Done", a
typed sentence, "Share", and round again. Against the bare bot (bench/bare_bot.py, which only
edits a keyboard per tap) they tap its one button as fast. Printed per run:

- taps/s: updates (taps and typed answers) fully answered per second, all people together;
- p50/p95/p99: milliseconds from the update being available to the bot's first request about
  it (MySay: answering the tap, or its reply to a typed answer; bare: its edit);
- peak MB: the bot process's peak resident memory (VmHWM), start-up included;
- CPU ms: the bot process's CPU time per update in the timed window (both cores count);
- the ratios to the bare bot measured in the same run (before and after MySay, pooled), and
  whether the targets hold.

MySay runs as `python -m bot run` with its production settings, except two limits a
simulated person tapping non-stop would hit at once: the pacing of new messages (about one a
second per chat, 30 overall; tested in tests/telegram/test_faults.py) and the flood limit per
person.
Those are deliberate waits, not costs. --profile DIR also writes a pyinstrument profile of
MySay per run (`pip install -e ".[bench]"`), or with BENCH_CPROFILE=1 a cProfile .pstats file.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from cryptography.fernet import Fernet  # noqa: E402
from sqlalchemy import make_url, text  # noqa: E402
from sqlalchemy.ext.asyncio import create_async_engine  # noqa: E402

from bot.sandbox.fake_api import FakeBotAPI  # noqa: E402
from bot.store import crypto, repo  # noqa: E402
from bot.store.db import Database  # noqa: E402
from bot.store.models import InvitationKind, Role  # noqa: E402

TOKEN = "123456:BENCH-not-a-real-token-00000000000000000"
PG_URL = os.environ.get("TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")
ROUND = ("How was today", "Good", "Friend", "Done", None, "Share")  # None: type a sentence
WORDS = "We played football at lunch and it was fun"
TARGET_TAPS_RATIO = 0.5  # at the most people: at least half the bare bot's taps per second
TARGET_P99_RATIO = 5.0  # at one person: p99 at most five times the bare bot's
TARGET_PEAK_MB = 200.0


@dataclass
class Run:
    bot: str
    database: str
    people: int
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)  # milliseconds
    peak_mb: float = 0.0
    cpu_seconds: float = 0.0  # the bot process's CPU time in the timed window
    flood_notices: int = 0

    @property
    def cpu_ms_per_tap(self) -> float:
        return self.cpu_seconds * 1000 / len(self.latencies) if self.latencies else 0.0

    @property
    def taps_per_second(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def pooled(self, other: Run) -> Run:
        """Two runs of the same bot as one: all their taps over all their time."""
        return Run(self.bot, self.database, self.people, self.seconds + other.seconds,
                   self.latencies + other.latencies, max(self.peak_mb, other.peak_mb),
                   self.cpu_seconds + other.cpu_seconds, self.flood_notices + other.flood_notices)

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
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
        """CPU time used so far (user + system), from /proc."""
        assert self.process is not None
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

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

    def card(self, chat_id: int) -> tuple[int, str]:
        """The newest message with buttons, as (message id, its buttons)."""
        for message in reversed(self.api.messages_in(chat_id)):
            if message.inline_keyboard:
                return message.message_id, repr(message.inline_keyboard)
        return 0, ""

    async def until_new_card(self, chat_id: int, before: tuple[int, str]) -> None:
        event = self.changed.setdefault(chat_id, asyncio.Event())
        async with asyncio.timeout(60):
            while self.card(chat_id) == before:
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


async def interact(api: FakeBotAPI, chats: Chats, user_id: int, label: str | None) -> float:
    """One tap on `label` (or a typed sentence), until its reply is complete. Returns the
    milliseconds from the update being available to the bot's first request about it."""
    before = chats.card(user_id)
    since = len(api.requests)
    query_id = None
    started = time.time()
    if label is None:
        api.push_message(user_id, WORDS, first_name="Jo")
    else:
        _, query_id = api.push_callback(user_id, before[0], api.button_data(user_id, label))
    await chats.until_new_card(user_id, before)
    return (first_reply_at(api, since, user_id, query_id) - started) * 1000


async def timed(people: list[int], seconds: float,
                one_round: Callable[[int], AsyncIterator[float]]) -> tuple[list[float], float]:
    """Every person goes round until time is up; latencies of interactions finished in time."""
    latencies: list[float] = []
    started = time.perf_counter()
    deadline = started + seconds

    async def person(user_id: int) -> None:
        while time.perf_counter() < deadline:
            async for latency in one_round(user_id):
                if time.perf_counter() <= deadline:
                    latencies.append(latency)

    await asyncio.gather(*(person(p) for p in people))
    return latencies, seconds


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
                session, telegram_user_id=8_000_000, chat_id=8_000_000, role=Role.THERAPIST,
                display_name="Sam", consented=True)
            return [await repo.create_invitation(session, kind=InvitationKind.YOUNG_PERSON,
                                                 days=14, created_by=therapist, label="Jo")
                    for _ in range(people)]
    finally:
        await db.dispose()


async def mysay(api: FakeBotAPI, kind: str, people: int, seconds: float,
                profile: Path | None) -> Run:
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
                api.add_user(8_000_000, "Sam")
                codes = await invitations(url, people)
                users = new_people(people)
                await asyncio.gather(*(join(api, chats, u, c) for u, c in
                                       zip(users, codes, strict=True)))

                async def one_round(user_id: int) -> AsyncIterator[float]:
                    for label in ROUND:
                        yield await interact(api, chats, user_id, label)

                await asyncio.gather(*(_drain(one_round(u)) for u in users))  # warm up
                cpu = bot.cpu_seconds()
                run.latencies, run.seconds = await timed(users, seconds, one_round)
                run.cpu_seconds = bot.cpu_seconds() - cpu
                run.peak_mb = bot.peak_mb()
                run.flood_notices = sum("slow down" in (m.display_text or "").lower()
                                        for u in users for m in api.messages_in(u))
            except BaseException:
                print(bot.log.read_text()[-3000:], file=sys.stderr)
                raise
            finally:
                await chats.close()
                await bot.stop(signal.SIGINT if profile is not None else signal.SIGTERM)
    return run


async def join(api: FakeBotAPI, chats: Chats, user_id: int, code: str) -> None:
    api.add_user(user_id, "Jo")
    before = chats.card(user_id)
    api.push_message(user_id, f"/start {code}", first_name="Jo")
    await chats.until_new_card(user_id, before)
    await interact(api, chats, user_id, "Yes")
    async with asyncio.timeout(60):  # the menu comes after the welcome
        while "How was today" not in chats.card(user_id)[1]:
            await chats.until_new_card(user_id, chats.card(user_id))


async def _drain(rounds: AsyncIterator[float]) -> None:
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

            async def one_round(user_id: int) -> AsyncIterator[float]:
                for _ in ROUND:
                    yield await interact(api, chats, user_id, "Tapped")

            await asyncio.gather(*(_drain(one_round(u)) for u in users))  # warm up
            cpu = bot.cpu_seconds()
            run.latencies, run.seconds = await timed(users, seconds, one_round)
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
            f"  {run.peak_mb:>7.1f}  {run.cpu_ms_per_tap:>6.1f}  {ratio:>9.2f}  {p99:>8.2f}")


def verdicts(runs: list[tuple[Run, Run]]) -> list[str]:
    most = max(r.people for r, _ in runs)
    least = min(r.people for r, _ in runs)
    lines = []
    for run, floor in runs:
        if run.bot == floor.bot:
            continue
        where = f"{run.database}, {run.people} people"
        if run.people == most:
            ratio = run.taps_per_second / floor.taps_per_second
            lines.append(f"{'PASS' if ratio >= TARGET_TAPS_RATIO else 'FAIL'}  {where}: taps/s "
                         f"{ratio:.2f}x the bare bot (target >= {TARGET_TAPS_RATIO})")
        if run.people == least:
            ratio = run.percentile(99) / floor.percentile(99)
            lines.append(f"{'PASS' if ratio <= TARGET_P99_RATIO else 'FAIL'}  {where}: p99 "
                         f"{ratio:.2f}x the bare bot (target <= {TARGET_P99_RATIO})")
        lines.append(f"{'PASS' if run.peak_mb < TARGET_PEAK_MB else 'FAIL'}  {where}: peak "
                     f"{run.peak_mb:.0f} MB (target < {TARGET_PEAK_MB:.0f})")
        if run.flood_notices:
            lines.append(f"NOTE  {where}: {run.flood_notices} flood-limit notices (too fast)")
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


async def main(people_counts: list[int], seconds: float, profile: Path | None) -> int:
    backends = ["sqlite"] + (["postgres"] if await postgres_answers() else [])
    api = FakeBotAPI(TOKEN, bot_username="MySayBenchBot")
    await api.start()
    began = time.perf_counter()
    runs: list[tuple[Run, Run]] = []
    try:
        print(f"MySay vs a bare python-telegram-bot bot; {os.cpu_count()} CPUs, {seconds:g} s "
              "a run, local fake Bot API", flush=True)
        print("people  bot       database    taps/s  p50 ms  p95 ms  p99 ms  peak MB  CPU ms"
              "  taps/bare  p99/bare", flush=True)
        for people in people_counts:
            # The floor is measured before and after MySay and the two pooled, so a shared
            # machine slowing down (or speeding up) mid-run moves both sides alike.
            before = await bare(api, people, seconds)
            ours = [await mysay(api, kind, people, seconds, profile) for kind in backends]
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
    print(f"({time.perf_counter() - began:.0f} s in all)")
    return 0 if all(not line.startswith("FAIL") for line in verdicts(runs)) else 1


def _run(coro: Awaitable[int]) -> int:
    return asyncio.run(coro)  # type: ignore[arg-type]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, nargs="+", default=[1, 20])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--profile", type=Path, default=None,
                        help="write a pyinstrument profile of MySay per run into this folder")
    options = parser.parse_args()
    if options.profile is not None:
        options.profile.mkdir(parents=True, exist_ok=True)
    sys.exit(_run(main(options.people, options.seconds, options.profile)))
