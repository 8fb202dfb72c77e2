"""Bad and odd input (issue 6, point 2), never silent and never a traceback.

Hypothesis makes texts, actions and callback data for the flow engine, the callback codec and
the running bot; and every step of every flow gets stickers, GIFs, contacts, locations, videos,
documents, long, empty, emoji and right-to-left texts, double taps, old and finished buttons,
forged data, repeated updates and edits, each answered kindly with the step shown again.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import time
from collections.abc import AsyncIterator, Coroutine, Mapping
from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as examples
from hypothesis import strategies as st
from sqlalchemy import select

from bot.config import Settings
from bot.engine.core import (
    CHANGE,
    HELPED,
    MAX_OWN_WORDS,
    REVIEW,
    Action,
    ActionKind,
    AnswerRecord,
    InvalidAction,
    RunState,
    RunStatus,
)
from bot.engine.flows import MAX_OUTCOMES
from bot.engine.screen import Screen, ScreenKind
from bot.sandbox.fake_api import FakeBotAPI, SentMessage
from bot.service import callbacks, present
from bot.services import Content, load_content
from bot.store import outcome_repo, repo
from bot.store.models import FlowRun, Person
from tests.conftest import World
from tests.support.harness import Person as Chat
from tests.support.harness import RunningBot, forge_callback
from tests.support.voice_model import OUTCOME_WORDS

CONTENT: Content = load_content()
ENGINE = CONTENT.engine
SORRY = "something went wrong"

# Deterministic in CI (the same examples every run); HYPOTHESIS_PROFILE=explore looks wider.
examples.register_profile("ci", derandomize=True, database=None, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
examples.register_profile("explore", max_examples=2000, database=None, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
examples.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# Words people really type: any language, emoji, right-to-left, stray whitespace and controls.
texts = st.one_of(
    st.text(max_size=60),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=400),
    st.sampled_from(["😀😀😀", "   ", "\n\t ", "مرحبا، كان يومي جيدا", "שלום", "‮reversed",
                     "a" * 2500, "/", "/start", "/continue extra words", "ok\u0000ok"]),
)
# Callback data: anything up to Telegram's 64 bytes, and near-misses of what we issue.
near_misses = st.builds(
    lambda prefix, a, b, tail: f"{prefix}{a}:{b}{tail}",
    st.sampled_from(["r:", "f:", "a:", "s:", "p:", "st:", "as:p:", "rc:f:", ""]),
    st.integers(-5, 10**13), st.integers(-5, 10**10),
    st.sampled_from(["", ":c0", ":t99", ":x", ":z", ":c", ":o", ":v", ":d1", "é"]))
callback_data = st.one_of(st.text(min_size=1, max_size=64), near_misses).filter(
    lambda d: 0 < len(d.encode("utf-8")) <= 64)


# --- the flow engine and the callback codec, alone -----------------------------------------------

simple = [ActionKind.DONE, ActionKind.BACK, ActionKind.SKIP, ActionKind.DONT_KNOW,
          ActionKind.STOP, ActionKind.RESUME, ActionKind.SHARE, ActionKind.KEEP,
          ActionKind.CHANGE, ActionKind.RIGHT]
indexed = [ActionKind.CHOOSE, ActionKind.TOGGLE, ActionKind.MOVE]
any_action = st.one_of(
    st.sampled_from(simple).map(Action),
    st.builds(Action, st.sampled_from(indexed), st.integers(-3, 40)),
    texts.map(lambda text: Action(ActionKind.TEXT, text=text)),
)


def button_actions(screen: Screen, state: RunState) -> list[Action]:
    """The engine actions behind every button the young person would see on this screen."""
    found = []
    for row in present.keyboard(screen, 7, 3, CONTENT.locale):
        for button in row:
            tap = callbacks.decode(button.data)
            assert isinstance(tap, callbacks.RunTap) and (tap.run_id, tap.version) == (7, 3)
            action = tap.action_on(screen)
            # Every button names something on its own screen (a choice by its id, once).
            assert action is not None or tap.extra is not None, button.data
            if action is not None:
                found.append(action)
    return found


def check_state(state: RunState, answers: Mapping[str, AnswerRecord]) -> None:
    flow = ENGINE.flows[state.flow_id]
    # What the store keeps (a JSON column) brings back exactly this state.
    stored = json.loads(json.dumps(state.extra()))
    assert RunState.restore(state.flow_id, state.step_id, state.status.value, state.shared,
                            stored, state.options) == state
    for step_id, answer in answers.items():
        assert step_id == HELPED or flow.has_step(step_id), step_id
        if answer.own_words is not None:
            assert answer.own_words.strip() and len(answer.own_words) <= MAX_OWN_WORDS


@given(flow_id=st.sampled_from(sorted(ENGINE.flows)), data=st.data())
@examples(max_examples=300)
def test_the_engine_takes_any_sequence_of_actions(flow_id: str, data: st.DataObject) -> None:
    state, screen = ENGINE.start(flow_id)
    answers: dict[str, AnswerRecord] = {}
    for _ in range(data.draw(st.integers(0, 40))):
        shown = button_actions(screen, state) if state.status is not RunStatus.FINISHED else []
        pressed = data.draw(st.sampled_from(shown)) if shown and data.draw(st.booleans()) \
            else data.draw(any_action)
        try:
            outcome = ENGINE.apply(state, answers, pressed)
        except InvalidAction:
            # Only an action that is not on the screen may be refused: every button works.
            assert pressed not in shown or state.status is RunStatus.FINISHED
            continue
        if outcome.answer is not None:
            answers[outcome.answer.step_id] = outcome.answer
        if outcome.keep_only is not None:
            answers = {k: v for k, v in answers.items() if k in outcome.keep_only}
        state, screen = outcome.state, outcome.screen
        assert screen.step_id == state.step_id or screen.kind is ScreenKind.FINISHED
        check_state(state, answers)
    if state.status is RunStatus.FINISHED:
        with pytest.raises(InvalidAction):  # a finished flow takes nothing more
            ENGINE.apply(state, answers, Action(ActionKind.SKIP))


@given(callback_data)
@examples(max_examples=2000)
def test_callback_data_decodes_or_is_refused_never_anything_else(data: str) -> None:
    try:
        decoded = callbacks.decode(data)
    except callbacks.InvalidCallback:
        return
    assert decoded is not None


@given(st.integers(1, 10**12 - 1), st.integers(1, 10**9 - 1),
       st.sampled_from([*simple, ActionKind.MOVE, ActionKind.CHOOSE, ActionKind.TOGGLE]),
       st.from_regex(r"[a-z][a-z0-9_]{0,40}", fullmatch=True))
def test_every_run_button_we_issue_decodes_to_itself(run_id: int, version: int,
                                                      kind: ActionKind, choice: str) -> None:
    picks = kind in (ActionKind.CHOOSE, ActionKind.TOGGLE)  # only these carry a choice id
    made = callbacks.RunTap.of(run_id, version, kind, choice if picks else None)
    data = made.pack()
    assert len(data.encode()) <= 64
    tap = callbacks.decode(data)
    assert isinstance(tap, callbacks.RunTap) and tap == made
    assert tap.choice == (callbacks.short_ref(choice) if picks else None)


# --- the running bot: helpers ------------------------------------------------------------------


@contextlib.asynccontextmanager
async def fast_bot(settings_: Settings, api: FakeBotAPI) -> AsyncIterator[RunningBot]:
    """The real bot without the pacing of new messages (tested in test_faults.py) or the flood
    limit, so hundreds of odd inputs fit in a test."""
    quick = settings_.model_copy(update={"chat_sends_per_second": 0.0,
                                         "flood_per_minute": 1000})
    bot = await RunningBot(quick, api).start()
    try:
        yield bot
    finally:
        await bot.stop()


def newest_card(api: FakeBotAPI, user_id: int) -> SentMessage:
    for message in reversed(api.messages_in(user_id)):
        if message.inline_keyboard:
            return message
    raise AssertionError("the bot has sent no buttons")


def run_taps(message: SentMessage) -> list[tuple[str, str, callbacks.RunTap]]:
    found = []
    for row in message.inline_keyboard:
        for button in row:
            data = str(button.get("callback_data"))
            decoded = callbacks.decode(data)  # every button we sent must decode
            if isinstance(decoded, callbacks.RunTap):
                found.append((str(button.get("text")), data, decoded))
    return found


async def give_outcomes(bot: RunningBot, user_id: int) -> None:
    """As many outcomes in the young person's plan as "How am I getting on?" asks about, so
    that every round of it is asked (and probed)."""
    async with bot.services.db.transaction() as session:
        person = await session.scalar(select(Person).where(Person.telegram_user_id == user_id))
        assert person is not None
        for n in range(MAX_OUTCOMES):
            await outcome_repo.add(session, young_person_id=person.id, created_by_id=None,
                                   words=OUTCOME_WORDS.format(n=n + 1))


async def current_run(bot: RunningBot, user_id: int) -> FlowRun | None:
    async with bot.services.db.transaction() as session:
        person = await session.scalar(select(Person).where(Person.telegram_user_id == user_id))
        assert person is not None
        return await session.scalar(
            select(FlowRun).where(FlowRun.person_id == person.id,
                                  FlowRun.status.in_(["active", "paused"]))
            .order_by(FlowRun.updated_at.desc(), FlowRun.id.desc()).limit(1))


class Probe:
    """Sends one odd thing, then checks the answer: something came back, it is not an
    apology, and the newest buttons belong to the step the young person is really on."""

    def __init__(self, bot: RunningBot, chat: Chat) -> None:
        self.bot = bot
        self.api = bot.api
        self.chat = chat
        self._raw_ids = iter(range(900_000, 10**7))

    async def deliver(self, update_id: int, times: int = 1) -> None:
        await self.bot.wait_processed(update_id, times=times, seconds=30)

    async def send(self, **kwargs: Any) -> int:
        update_id = self.api.push_message(self.chat.user_id, first_name="Jo", **kwargs)
        await self.deliver(update_id)
        return update_id

    async def raw(self, **content: Any) -> int:
        """A message the fake cannot make itself (a GIF, a video), shaped as Telegram's."""
        user = self.api.users[self.chat.user_id]
        update_id = self.api.push_raw({"message": {
            "message_id": next(self._raw_ids), "date": int(time.time()), "from": user,
            "chat": {"id": self.chat.user_id, "type": "private", "first_name": "Jo"},
            **content}})
        await self.deliver(update_id)
        return update_id

    async def forge(self, message_id: int, data: str) -> str:
        update_id = forge_callback(self.api, self.chat.user_id, message_id, data)
        await self.deliver(update_id)
        return self.answer_of(update_id)

    async def tap(self, message_id: int, data: str) -> int:
        update_id, _ = self.api.push_callback(self.chat.user_id, message_id, data)
        await self.deliver(update_id)
        return update_id

    def answer_of(self, update_id: int) -> str:
        query = self.api._updates[update_id]["callback_query"]["id"]
        return str(self.api.answered_callback_queries.get(query, {}).get("text") or "")

    async def check(self, since: int, what: str) -> None:
        replies = [r for r in self.api.requests[since:] if r.done and (
            str(r.params.get("chat_id")) == str(self.chat.user_id)
            or (r.method == "answerCallbackQuery" and r.params.get("text")))]
        assert replies, f"{what}: silence"
        for request in replies:
            words = str(request.params.get("text") or request.params.get("caption") or "")
            assert SORRY not in words.lower(), f"{what}: an apology ({words!r})"
            harmless = request.method.startswith("edit") and "not modified" in str(
                request.response)  # retiring buttons that are already gone, for example
            assert request.ok or harmless, (
                f"{what}: Telegram refused {request.method}: {request.response}")
        await self.assert_shows_current(what)

    async def assert_shows_current(self, what: str) -> None:
        run = await current_run(self.bot, self.chat.user_id)
        taps = run_taps(newest_card(self.api, self.chat.user_id))
        if run is None:
            assert not taps, f"{what}: buttons of a finished run"
            return
        assert taps, f"{what}: the step is not shown"
        for label, _data, tap in taps:
            assert (tap.run_id, tap.version) == (run.id, run.version), (
                f"{what}: button {label!r} is for version {tap.version}, run is at "
                f"{run.version}")


async def step_of(bot: RunningBot, user_id: int) -> tuple[str, str, int]:
    run = await current_run(bot, user_id)
    assert run is not None
    return run.step_id, run.status, run.version


async def advance_button(bot: RunningBot, run: FlowRun, card: SentMessage,
                         probed: set[str]) -> tuple[str, str]:
    """The button to move on with: one that leads to a step not probed yet (so every branch
    is reached), else Skip, else the simplest that moves on."""
    async with bot.services.db.transaction() as session:
        state, answers = repo.run_state(run), await repo.answers_of(session, run.id)
    screen = ENGINE.screen(state, answers)  # a choice is named by its id on this screen
    taps = [(label, data, action) for label, data, tap in run_taps(card)
            if (action := tap.action_on(screen)) is not None]
    for label, data, action in taps:
        with contextlib.suppress(InvalidAction):
            after = ENGINE.apply(state, answers, action).state
            if after.step_id not in probed and after.status is RunStatus.ACTIVE:
                return label, data
    for wanted in (ActionKind.SKIP, ActionKind.RIGHT, ActionKind.KEEP, ActionKind.CHOOSE,
                   ActionKind.TOGGLE, ActionKind.DONE):
        for label, data, action in taps:
            if action.kind is wanted:
                return label, data
    raise AssertionError(f"no way on from {[label for label, _, _ in taps]}")


ODD_MESSAGES: list[tuple[str, dict[str, Any]]] = [
    ("a sticker", {"sticker": True}),
    ("a contact", {"contact": True}),
    ("a location", {"location": (51.5, -0.12)}),
    ("a document", {"document": b"%PDF-1.4 not really", "document_name": "plan.pdf"}),
    ("a 4096-letter text", {"text": ("so much to say " * 300)[:4096]}),
    ("only whitespace", {"text": " \n\t  "}),
]
ODD_RAW: list[tuple[str, dict[str, Any]]] = [
    ("a GIF", {"animation": {"file_id": "CgACAgQAAxkBAAFake", "file_unique_id": "AgADgif",
                             "width": 320, "height": 240, "duration": 2},
               "document": {"file_id": "CgACAgQAAxkBAAFake", "file_unique_id": "AgADgif"}}),
    ("a video", {"video": {"file_id": "BAACAgQAAxkBAAFake", "file_unique_id": "AgADvid",
                           "width": 640, "height": 360, "duration": 3}}),
]


async def odd_inputs_at_this_step(probe: Probe, history: list[tuple[int, str]]) -> None:
    """Everything odd that leaves the step where it is; each must show the step again."""
    bot, api, user_id = probe.bot, probe.api, probe.chat.user_id
    at = await step_of(bot, user_id)
    last_update = 0
    for what, kwargs in ODD_MESSAGES:
        since = len(api.requests)
        last_update = await probe.send(**kwargs)
        await probe.check(since, f"{at[0]}: {what}")
        assert await step_of(bot, user_id) == at, f"{at[0]}: {what} moved the flow"
    for what, content in ODD_RAW:
        since = len(api.requests)
        await probe.raw(**content)
        await probe.check(since, f"{at[0]}: {what}")
        assert "Please use the buttons" in (probe.chat.text()), what
    # An edit of something they sent before, and the same update delivered twice.
    since = len(api.requests)
    await probe.send(text="changed my mind", edited=True)
    await probe.check(since, f"{at[0]}: an edited message")
    since = len(api.requests)
    api.push_duplicate(last_update)
    await probe.deliver(last_update, times=2)
    assert [r for r in api.requests[since:] if r.method != "getUpdates"] == [], (
        f"{at[0]}: a repeated update was answered again")
    # Data we never issued, on the newest card.
    card = newest_card(api, user_id)
    since = len(api.requests)
    toast = await probe.forge(card.message_id, "r:1:1:q9")
    assert toast, f"{at[0]}: a forged tap got no answer"
    await probe.check(since, f"{at[0]}: forged data")
    # A button from three screens ago.
    if len(history) >= 3:
        message_id, data = history[-3]
        since = len(api.requests)
        await probe.forge(message_id, data)
        await probe.check(since, f"{at[0]}: a button from three screens ago")
    assert await step_of(bot, user_id) == at


async def typed_answers_then_back(probe: Probe) -> None:
    """Emoji-only and right-to-left words are real answers: kept as typed, then Back."""
    bot, api, user_id = probe.bot, probe.api, probe.chat.user_id
    for words in ("🙂🌈🐶", "كان يومي جيدا"):
        at = await step_of(bot, user_id)
        since = len(api.requests)
        await probe.send(text=words)
        await probe.check(since, f"{at[0]}: {words!r}")
        now = await step_of(bot, user_id)
        if now[0] == at[0]:
            continue  # this step does not take words (it said so, and showed itself again)
        back = [d for label, d, t in run_taps(newest_card(api, user_id))
                if t.op is callbacks.RunOp.BACK]
        if not back:
            return
        since = len(api.requests)
        await probe.tap(newest_card(api, user_id).message_id, back[0])
        await probe.check(since, f"{at[0]}: Back after {words!r}")
        if (await step_of(bot, user_id))[0] != at[0]:
            return  # changing one answer from the review: Back leads to the review


def all_steps(flow_id: str) -> set[str]:
    flow = ENGINE.flows[flow_id]
    return {s.id for s in flow.steps} | ({HELPED} if flow.ask_who_helped else set()) | {
        REVIEW, CHANGE}


async def through_the_flow(probe: Probe, flow_id: str, probed: set[str]) -> None:
    """Start the flow from the menu and go to its end, trying everything odd at each step
    not probed yet; returns when the flow is finished."""
    bot, api, user_id = probe.bot, probe.api, probe.chat.user_id
    await probe.tap(newest_card(api, user_id).message_id, callbacks.StartFlow(flow_id).pack())
    history: list[tuple[int, str]] = []
    for _ in range(80):
        run = await current_run(bot, user_id)
        if run is None:
            break
        step = run.step_id
        card = newest_card(api, user_id)
        # A Talking Mat stays one step while its cards are placed: probe its first card and
        # the whole-mat screen ("this is right"), not each card alike.
        whole_mat = any(t.op is callbacks.RunOp.RIGHT for _, _, t in run_taps(card))
        if step not in probed or (whole_mat and f"{step}:whole" not in probed):
            if whole_mat:
                probed.add(f"{step}:whole")
            await odd_inputs_at_this_step(probe, history)
            await typed_answers_then_back(probe)
            run = await current_run(bot, user_id)
            assert run is not None
        card = newest_card(api, user_id)
        label, data = await advance_button(bot, run, card, probed | {step})
        probed.add(step)
        history.append((card.message_id, data))
        # A double tap on the way on: the second is a quiet "got it" and the step shown.
        since = len(api.requests)
        await probe.tap(card.message_id, data)
        second = await probe.forge(card.message_id, data)
        await probe.check(since, f"{step}: a double tap on {label!r}")
        assert second, "the second of a double tap got no answer"
    else:
        raise AssertionError(f"{flow_id} never finished")
    # The flow is finished: its buttons are old now, and say so kindly.
    finished_card, finished_data = history[-1]
    since = len(api.requests)
    await probe.forge(finished_card, finished_data)
    await probe.check(since, "a button from a finished flow")


@pytest.mark.parametrize("flow_id", sorted(
    f.id for f in ENGINE.flows.values() if f.audience == "young_person"))
async def test_odd_input_at_every_step_of_every_flow(
        settings: Settings, fake_api: FakeBotAPI, flow_id: str,
        caplog: pytest.LogCaptureFixture) -> None:
    async with fast_bot(settings, fake_api) as bot:
        world = World(bot)
        jo = await world.young_person(await world.therapist(), "Jo")
        if ENGINE.flows[flow_id].asks_outcomes:
            await give_outcomes(bot, jo.user_id)
            await jo.send("/menu")  # the menu they had before had no outcomes to ask about
        probe = Probe(bot, jo)
        probed: set[str] = set()
        with caplog.at_level(logging.WARNING):
            for _ in range(4):  # again, by other branches, until every step was probed
                await through_the_flow(probe, flow_id, probed)
                if all_steps(flow_id) <= probed:
                    break
        assert all_steps(flow_id) <= probed, all_steps(flow_id) - probed
        if any(step.type.value == "mat" for step in ENGINE.flows[flow_id].steps):
            assert any(p.endswith(":whole") for p in probed)
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text


# --- Hypothesis against the running bot ---------------------------------------------------------


def on_loop(loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, None]) -> None:
    """Run one example on the bot's event loop (Hypothesis drives from a worker thread)."""
    asyncio.run_coroutine_threadsafe(coro, loop).result(timeout=120)


async def test_any_text_or_callback_data_gets_a_kind_answer(
        settings: Settings, fake_api: FakeBotAPI, caplog: pytest.LogCaptureFixture) -> None:
    async with fast_bot(settings, fake_api) as bot:
        world = World(bot)
        jo = await world.young_person(await world.therapist(), "Jo")
        await jo.tap("How was today")
        probe = Probe(bot, jo)
        loop = asyncio.get_running_loop()

        async def one(kind: str, value: str) -> None:
            since = len(fake_api.requests)
            if kind == "text":
                await probe.send(text=value)
            else:
                card = newest_card(fake_api, jo.user_id)
                toast = await probe.forge(card.message_id, value)
                assert toast or [r for r in fake_api.requests[since:]
                                 if str(r.params.get("chat_id")) == str(jo.user_id)]
            await probe.check(since, f"{kind} {value!r}")

        @given(st.one_of(st.tuples(st.just("text"), texts.filter(lambda t: t.strip())),
                         st.tuples(st.just("data"), callback_data)))
        @examples(max_examples=60)
        def example(event: tuple[str, str]) -> None:
            on_loop(loop, one(*event))

        with caplog.at_level(logging.WARNING):
            await asyncio.to_thread(example)
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text


# --- update types MySay does not use ------------------------------------------------------------


@pytest.mark.parametrize("update", [
    {"chosen_inline_result": {"result_id": "1", "query": "x", "from": {
        "id": 7_100_003, "is_bot": False, "first_name": "C"}}},
    {"chat_join_request": {"chat": {"id": -1003, "type": "supergroup", "title": "G"},
                           "from": {"id": 7_100_004, "is_bot": False, "first_name": "J"},
                           "user_chat_id": 7_100_004, "date": 1}},
    {"inline_query": {"id": "9", "from": {"id": 7_100_001, "is_bot": False, "first_name": "I"},
                      "query": "hi", "offset": ""}},
    {"my_chat_member": {"chat": {"id": 7_100_002, "type": "private"},
                        "from": {"id": 7_100_002, "is_bot": False, "first_name": "B"},
                        "date": 1, "old_chat_member": {
                            "status": "member", "user": {"id": 1, "is_bot": True,
                                                         "first_name": "MySay"}},
                        "new_chat_member": {
                            "status": "kicked", "until_date": 0,
                            "user": {"id": 1, "is_bot": True, "first_name": "MySay"}}}},
    {"message_reaction_count": {"chat": {"id": -1002, "type": "supergroup", "title": "G"},
                                "message_id": 1, "date": 1, "reactions": []}},
])
async def test_update_types_mysay_does_not_use_are_ignored(
        world: World, update: dict[str, Any], caplog: pytest.LogCaptureFixture) -> None:
    api = world.bot.api
    since = len(api.requests)
    with caplog.at_level(logging.WARNING):
        update_id = api.push_raw(update)
        await world.bot.wait_processed(update_id)
    assert [r.method for r in api.requests[since:] if r.method != "getUpdates"] == []
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text
