"""Access control everywhere, groups refused, the token never logged, and the flood limit
(issue 4, points 5 and 7). Every action is tried with someone else's ids."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import zipfile
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.config import Settings
from bot.engine.core import ActionKind
from bot.safety.flood import FloodGate, Verdict
from bot.sandbox.fake_api import FakeBotAPI
from bot.service import callbacks
from bot.store.models import Alert, AuditEntry, DeletionRequest, FlowRun, Person
from tests.conftest import DATA_KEY, TEST_TOKEN, World
from tests.service.test_privacy import check_in, documents, everything, join
from tests.support.harness import RunningBot, forge_callback

# --- access control --------------------------------------------------------------------------


async def jo_ids(bot: RunningBot, user_id: int) -> dict[str, int]:
    async with bot.services.db.transaction() as session:
        jo = await session.scalar(select(Person).where(Person.telegram_user_id == user_id))
        assert jo is not None
        run = await session.scalar(select(FlowRun.id).where(FlowRun.person_id == jo.id))
        alert = await session.scalar(select(Alert.id).where(Alert.young_person_id == jo.id))
        request = await session.scalar(select(DeletionRequest.id)
                                       .where(DeletionRequest.young_person_id == jo.id))
    assert run and alert and request
    return {"person": jo.id, "run": run, "alert": alert, "request": request}


async def jo_state(bot: RunningBot, ids: dict[str, int]) -> tuple[Any, ...]:
    async with bot.services.db.transaction() as session:
        run = await session.get(FlowRun, ids["run"])
        alert = await session.get(Alert, ids["alert"])
        request = await session.get(DeletionRequest, ids["request"])
        assert run and alert and request
        return (run.shared, run.version, run.status, alert.acknowledged_at, alert.words,
                request.decision, await session.get(Person, ids["person"]) is not None)


def every_action(ids: dict[str, int]) -> list[str]:
    """Every button MySay issues, pointed at Jo's things."""
    return [
        callbacks.PickPerson("s", ids["person"]).pack(),
        callbacks.PickPerson("p", ids["person"]).pack(),
        callbacks.RunTap.of(ids["run"], 1, ActionKind.SHARE).pack(),
        callbacks.RunTap.of(ids["run"], 1, ActionKind.CHOOSE, "good").pack(),
        callbacks.RunTap(ids["run"], 1, callbacks.RunOp.CHOOSE, index=0).pack(),  # before #13
        callbacks.RunTap.of(ids["run"], 1, ActionKind.RESUME).pack(),
        callbacks.RunTap.of(ids["run"], 1, callbacks.SOMETHING_ELSE).pack(),
        callbacks.MineToggle(ids["run"], True, 0).pack(),
        callbacks.MineToggle(ids["run"], False, 0).pack(),
        callbacks.AlertAck(ids["alert"]).pack(), callbacks.AlertMore(ids["alert"]).pack(),
        callbacks.DeletionDecision(ids["request"], "y").pack(),
        callbacks.DeletionDecision(ids["request"], "n").pack(),
        callbacks.DeletionDecision(ids["request"], "c").pack(),
    ]


async def test_every_action_with_someone_elses_ids_is_refused(world: World) -> None:
    bot = world.bot
    sam = await world.therapist("Sam")
    jo = await join(world, sam, "Jo")
    await check_in(jo, "words only for sam zq81", share=False)
    await jo.send("nobody should see this: he hits me")
    await jo.send("/delete")
    await jo.tap("Yes, delete everything")
    kim = await world.therapist("Kim")
    ali = await join(world, kim, "Ali")
    ids = await jo_ids(bot, jo.user_id)
    before = await jo_state(bot, ids)
    for person in (kim, ali):
        for data in every_action(ids):
            update_id = forge_callback(bot.api, person.user_id, person.last().message_id, data)
            await bot.wait_processed(update_id)
        # Typed ids are not a way in either.
        for typed in (f"/summary {ids['person']}", f"/mydata {ids['person']}",
                      f"/mine {ids['person']}", f"/delete {ids['person']}",
                      f"/caseload {ids['person']}", str(ids["person"])):
            await person.send(typed)
    # Kim's "don't delete" was refused, so these words are nobody's reason.
    await kim.send("a reason nobody asked for")
    assert await jo_state(bot, ids) == before
    for person in (kim, ali):
        seen = everything(person)
        assert "Jo" not in seen and "zq81" not in seen and "he hits me" not in seen
        for name, data in documents(person, bot.api).items():
            if name.endswith(".zip"):
                content = zipfile.ZipFile(BytesIO(data)).read("my-mysay-data.json")
                assert json.loads(content)["you"]["name"] == "Ali"
    async with bot.services.db.transaction() as session:
        refused = await session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action.like("refused%")))
    assert refused and refused >= 4  # summary, alert, deletion, sharing: each on record


async def test_invitations_only_work_for_whom_they_are_meant(world: World) -> None:
    sam = await world.therapist("Sam")
    jo = await join(world, sam, "Jo")
    await sam.send("/invite")
    fresh = everything(sam).rsplit("Code: ", 1)[1].split()[0]
    therapist_code = await world.therapist_code("Dr New")
    await jo.send(f"/start {therapist_code}")  # a young person with a therapist's link
    assert "already in MySay" in jo.text()
    await sam.send(f"/start {fresh}")  # a therapist with a young person's link
    assert "already in MySay" in sam.text()
    update_id = forge_callback(world.bot.api, sam.user_id, sam.last().message_id,
                               callbacks.Consent(fresh).pack())  # and tapping "yes" on it anyway
    await world.bot.wait_processed(update_id)
    async with world.bot.services.db.transaction() as session:
        roles = sorted((await session.scalars(select(Person.role))).all())
    assert roles == ["therapist", "young_person"]


# --- groups, supergroups and channels --------------------------------------------------------


async def test_supergroups_are_refused_and_left(world: World) -> None:
    api = world.bot.api
    update_id = api.push_message(7_100_001, "/start", chat_id=-1001234567890,
                                 chat_type="supergroup")
    await world.bot.wait_processed(update_id)
    said = api.messages_in(-1001234567890)
    assert said and "only works in a private chat" in (said[-1].display_text or "")
    assert -1001234567890 in api.left_chats
    async with world.bot.services.db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(Person)) == 0


async def test_channels_are_left_without_a_word(world: World) -> None:
    api = world.bot.api
    channel = -1009876543210
    api.chats[channel] = {"id": channel, "type": "channel", "title": "A channel"}
    update_id = api.push_raw({"channel_post": {
        "message_id": 1, "date": 1, "chat": api.chats[channel], "text": "/start"}})
    await world.bot.wait_processed(update_id)
    assert channel in api.left_chats
    assert api.messages_in(channel) == []


# --- the bot token never reaches a log ---------------------------------------------------------


def bot_env(settings: Settings, token: str, base_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("TELEGRAM_", "MYSAY_", "DATABASE_URL"))}
    env.update(TELEGRAM_BOT_TOKEN=token, TELEGRAM_API_BASE_URL=base_url,
               TELEGRAM_API_BASE_FILE_URL=settings.telegram_api_base_file_url,
               DATABASE_URL=settings.resolved_database_url, MYSAY_DATA_KEYS=DATA_KEY,
               MYSAY_DATA_DIR=str(settings.data_dir), MYSAY_LOG_LEVEL="DEBUG",
               PYTHONWARNINGS="always")
    return env


async def run_bot(env: dict[str, str], cwd: Path, until_done: Any = None,
                  seconds: float = 60) -> tuple[int | None, str]:
    """`python -m bot run` as a real process; everything it writes is captured."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", env=env, cwd=cwd, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT)
    try:
        if until_done is not None:
            await until_done()
            process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(seconds):
            output, _ = await process.communicate()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    return process.returncode, output.decode("utf-8", "replace")


def assert_no_secret(output: str, *secrets: str) -> None:
    for secret in secrets:
        assert secret not in output
        assert secret.split(":", 1)[-1] not in output


async def test_the_token_never_reaches_the_logs_even_when_things_go_wrong(
        settings: Settings, fake_api: FakeBotAPI, tmp_path: Path) -> None:
    fake_api.add_user(7_200_001, "Robin")  # a stranger: the bot runs in another process

    async def exercise() -> None:
        await fake_api.wait_for_request("getUpdates", timeout=60)
        fake_api.push_message(7_200_001, "/start", first_name="Robin")
        await fake_api.wait_for_request("sendMessage", timeout=30)
        # An error on the way: Telegram refuses a message, the handler logs the failure.
        fake_api.inject_fault("sendMessage", status=400, description="Bad Request: chat not "
                              f"found {TEST_TOKEN}", count=2)
        fake_api.push_message(7_200_001, "hello?", first_name="Robin")
        await fake_api.wait_for_request("sendMessage", lambda r: r.fault_injected, timeout=30)
        marker = len(fake_api.requests)
        fake_api.inject_fault("getUpdates", status=502, count=2)  # Telegram away for a moment
        fake_api.push_message(7_200_001, "/start", first_name="Robin")
        await fake_api.wait_for_request("sendMessage", lambda r: r.ok, after_index=marker,
                                        timeout=60)

    env = bot_env(settings, TEST_TOKEN, fake_api.base_url)
    code, output = await run_bot(env, tmp_path, exercise)
    assert code == 0 and "MySay is running" in output and "ERROR" in output, output
    assert_no_secret(output, TEST_TOKEN, DATA_KEY)


async def test_a_rejected_token_is_explained_without_printing_it(
        settings: Settings, fake_api: FakeBotAPI, tmp_path: Path) -> None:
    wrong = "987654:WRONG-but-token-shaped-000000000000000000"
    code, output = await run_bot(bot_env(settings, wrong, fake_api.base_url), tmp_path)
    assert code != 0
    assert "did not accept the bot token" in output
    assert_no_secret(output, wrong, DATA_KEY)


async def test_an_unreachable_telegram_is_logged_without_the_token(
        settings: Settings, fake_api: FakeBotAPI, tmp_path: Path) -> None:
    closed = "http://127.0.0.1:9/bot"  # the discard port: nothing listens there
    code, output = await run_bot(bot_env(settings, TEST_TOKEN, closed), tmp_path)
    assert code != 0 and "Traceback" in output  # the full story, for whoever runs it
    assert_no_secret(output, TEST_TOKEN, DATA_KEY)


# --- the flood limit --------------------------------------------------------------------------


@pytest.fixture
async def limited(settings: Settings, fake_api: FakeBotAPI) -> Any:
    running = await RunningBot(settings.model_copy(update={"flood_per_minute": 6}),
                               fake_api).start()
    yield running
    await running.stop()


async def test_a_flood_gets_one_polite_word_and_never_silences_a_safety_message(
        limited: RunningBot) -> None:
    bot = limited
    world = World(bot)
    sam = await world.therapist("Sam")
    jo = await join(world, sam, "Jo")
    ali = await join(world, sam, "Ali")
    sent_before = len(jo.messages())
    for n in range(12):
        await jo.send(f"message number {n}")
    polite = [m for m in jo.messages() if "Please slow down a little" in (m.display_text or "")]
    assert len(polite) == 1
    assert len(jo.messages()) - sent_before <= 6 + 1  # the rest were dropped
    await ali.send("/menu")  # someone else is not slowed down at all
    assert "What would you like to do?" in ali.text()
    await jo.send("he hits me")  # words on the safeguarding list always get through
    assert "Thank you" in everything(jo) and "Safety alert about Jo" in everything(sam)
    # And so does the button (on the menu: the safety reply is all that follows the words).
    menu = next(m for m in reversed(jo.messages()) if "What would you like" in (m.display_text
                                                                              or ""))
    await jo.tap("I don't feel safe", message_id=menu.message_id)
    async with bot.services.db.transaction() as session:
        words = await session.scalar(select(Alert.words))
    assert words == "he hits me"
    # An ordinary tap while limited (on the menu above: the safety reply stays the last
    # message, issue 15): answered, nothing happens.
    await jo.tap("How was today", message_id=menu.message_id)
    assert bot.api.unanswered_callback_queries() == []


def test_the_gate_opens_again_once_they_slow_down() -> None:
    now = [0.0]
    gate = FloodGate(3, clock=lambda: now[0])
    assert [gate.check(1) for _ in range(5)] == [Verdict.PASS] * 3 + [Verdict.WARN, Verdict.DROP]
    assert gate.check(2) is Verdict.PASS  # another person
    now[0] = 30.0
    assert gate.check(1) is Verdict.DROP  # still too many in the last minute
    now[0] = 61.0
    assert gate.check(1) is Verdict.PASS  # slowed down: a new minute
    assert [gate.check(1) for _ in range(3)] == [Verdict.PASS, Verdict.WARN, Verdict.DROP]
    assert gate.check(1, always_pass=True) is Verdict.PASS
    verdict, new = gate.decide(99, 3)
    assert (verdict, new) == (Verdict.PASS, True) and gate.decide(99, 3) == (Verdict.PASS, False)


def test_the_gate_forgets_people_who_went_quiet() -> None:
    now = [0.0]
    gate = FloodGate(3, clock=lambda: now[0])
    for person in range(5000):
        gate.check(person)
    assert len(gate) == 5000  # all within the last minute: all remembered
    now[0] = 61.0
    gate.check(1)
    assert len(gate) == 1  # memory stays flat however many people write
