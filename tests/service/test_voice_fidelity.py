"""The young person's voice, exactly (issue 12): for every flow, a walk with random answers,
ticks, own words, Skip, I don't know, Back, Stop for now / Continue and "Change something",
then Share; what the review, /mydata and the therapist's summary show must agree with the young
person's last answer at every step on the way (tests/support/voice_model.py holds the model).

Two layers: the flow engine alone (hundreds of walks a flow, in milliseconds), and the real bot
over HTTP through the fake Bot API on SQLite and PostgreSQL (a few walks a flow: it is slow).
"""

from __future__ import annotations

import asyncio
import io
import json
import re
import zipfile
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.config import Settings
from bot.engine.core import Action, ActionKind, AnswerRecord, InvalidAction
from bot.engine.flows import outcome_slots
from bot.engine.screen import Screen, ScreenKind
from bot.sandbox.fake_api import FakeBotAPI, SentMessage
from bot.service import callbacks, present
from bot.service.types import Button
from bot.store.models import Person as PersonRow
from bot.summary.export import export_for
from tests.conftest import World
from tests.service.test_fuzz import fast_bot, give_outcomes, on_loop
from tests.support.harness import Person, RunningBot
from tests.support.voice_model import (
    ENGINE,
    OUTCOME_WORDS,
    SAY,
    Chooser,
    Do,
    DrawnChooser,
    Model,
    SeededChooser,
    Seen,
    check_line,
    check_quotes,
    check_record,
    check_record_mat,
    check_review,
    check_review_mat,
    has_word,
    mat_by_scale,
    words_of,
)

YOUNG_FLOWS = sorted(f.id for f in ENGINE.flows.values() if f.audience == "young_person")
MAT_FLOWS = sorted(f.id for f in ENGINE.flows.values()
                   if any(s.type.value == "mat" for s in f.steps))
# The real bot is slow: a few walks, each from a drawn seed (a seed does not shrink).
FEW = settings(max_examples=2, deadline=None, derandomize=True, database=None,
               suppress_health_check=list(HealthCheck),
               phases=[Phase.explicit, Phase.generate])
MANY = settings(max_examples=150, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow])


# --- walking a flow -------------------------------------------------------------------------


class EngineChat:
    """The flow engine alone, seen through the same words and buttons as in Telegram
    (bot/service/present.py), with answers kept as the conversation keeps them."""

    def __init__(self, flow_id: str) -> None:
        # "How am I getting on?" asks about the outcomes given to the run: give every slot one.
        options = ({"outcomes": {slot: {"id": n, "words": OUTCOME_WORDS.format(n=n),
                                        "symbol": None, "media": None}
                                 for n, slot in enumerate(outcome_slots(), 1)}}
                   if ENGINE.flows[flow_id].asks_outcomes else None)
        self.state, self.screen = ENGINE.start(flow_id, options)
        self.answers: dict[str, AnswerRecord] = {}
        self.buttons: list[Button] = []

    async def seen(self) -> Seen:
        """The screen as words and buttons."""
        self.buttons = [b for row in present.keyboard(self.screen, 1, 1, SAY) for b in row]
        return Seen.of(present.caption(self.screen, SAY), [b.label for b in self.buttons])

    async def do(self, do: Do, seen: Seen) -> None:
        """Tap, type or continue; store the outcome as bot/service/young_person.py does."""
        action = (Action(ActionKind.TEXT, text=do.text) if do.what == "type"
                  else Action(ActionKind.RESUME) if do.what == "continue"
                  else _decode(button_for(self.buttons, do, seen).data, self.screen))
        if action is None:
            return  # "Something else" only says: type your answer
        try:
            outcome = ENGINE.apply(self.state, self.answers, action)
        except InvalidAction:
            assert do.what == "type", f"{do} was refused"
            return
        if outcome.answer is not None:
            self.answers[outcome.answer.step_id] = outcome.answer
        if outcome.keep_only is not None:
            self.answers = {k: v for k, v in self.answers.items() if k in outcome.keep_only}
        self.state, self.screen = outcome.state, outcome.screen


def _decode(data: str, screen: Screen) -> Action | None:
    tap = callbacks.decode(data)
    assert isinstance(tap, callbacks.RunTap)
    return tap.action_on(screen)


def button_for(buttons: list[Any], do: Do, seen: Seen) -> Any:
    """The button behind `do`: the n-th option, or the control with that name's words."""
    if do.what == "option":
        options = [b for b in buttons if _label(b) not in seen.controls.values()]
        return options[do.index]
    wanted = seen.controls[do.name]
    return next(b for b in buttons if _label(b) == wanted)


def _label(button: Any) -> str:
    return button.label if isinstance(button, Button) else str(button.get("text"))


async def walk(chat: Any, model: Model, chooser: Chooser, steps: int, look: Any = None,
               changes: int = 0) -> None:
    """`steps` random things, then on to the review by the quickest way; there, `changes`
    times, "Change something", a random answer and a few random things more; then Share.
    `look` is called on every screen (to check the review whenever it is shown)."""
    random_left, picking = steps, False
    for _ in range(steps + 500):
        seen = await chat.seen()
        model.check_screen(seen)
        if look is not None:
            look(seen, model)
        if random_left > 0:
            do, random_left = model.choose(seen, chooser), random_left - 1
        elif model.kind() == "review" and changes > 0:
            do, changes, picking = Do("control", name="change"), changes - 1, True
        elif model.kind() == "change" and picking:
            index = chooser.pick(range(len(seen.options)))
            do, picking = Do("option", index, seen.options[index][0]), False
            random_left = chooser.pick([1, 2, 3, 5, 8])
        else:
            do = model.finish(seen)
        model.apply(do, seen)
        await chat.do(do, seen)
        if model.finished:
            return
    raise AssertionError(f"never finished: {model.done}")


def no_problems(problems: list[str], model: Model) -> None:
    """Fail with every problem and the walk that led to it (a reproduction)."""
    walked = "\n  ".join(model.done)
    assert not problems, "\n".join(problems) + f"\nflow {model.flow.id}, walk:\n  {walked}"


# --- the flow engine alone ------------------------------------------------------------------


def review_lines_agree(chat: EngineChat, model: Model) -> list[str]:
    """FlowEngine.review_lines for the steps on the way, against the model."""
    lines = ENGINE.review_lines(model.flow.id, tuple(model.path), chat.answers)
    problems = []
    shown = [step_id for line in lines for step_id in line.step_ids]
    if shown != model.path:  # every step on the way, in order (a round's steps share a line)
        problems.append(f"review_lines for {shown}, the way was {model.path}")
    for line in lines:
        for step_id in line.step_ids:
            said = model.answers[step_id]
            if said.mat:
                problems += [f"review_lines: mat card {words_of(c)!r} missing: {line.answer!r}"
                             for c in said.choices if words_of(c) not in line.answer]
            else:
                problems += check_line("review_lines", model, step_id, said, line.answer)
    text = "\n".join(line.answer for line in lines)
    return problems + check_quotes("review_lines", text, model)


def engine_walk(flow_id: str, data: st.DataObject, *, mats: bool) -> None:
    """One drawn walk through the engine alone, then Share. mats=False: at every step
    FlowEngine.review_lines and the review's words agree with the model, and Share keeps
    exactly the steps on the way. mats=True: the review shows each mat card at its point."""
    chat, model = EngineChat(flow_id), Model(ENGINE.flows[flow_id])
    problems: list[str] = []

    def look(seen: Seen, model: Model) -> None:
        if mats:
            if model.kind() == "review":
                problems.extend(check_review_mat(seen.text, model))
            return
        problems.extend(review_lines_agree(chat, model))
        if model.kind() in ("review", "change"):
            problems.extend(check_review(seen.text, model))

    asyncio.run(walk(chat, model, DrawnChooser(data), data.draw(st.integers(0, 40)), look,
                     data.draw(st.integers(0, 2))))
    assert chat.screen.kind is ScreenKind.FINISHED and chat.state.shared
    if not mats and set(chat.answers) != set(model.path):
        problems.append(f"kept {sorted(chat.answers)} after Share, the way was {model.path}")
    no_problems(problems, model)


@pytest.mark.parametrize("flow_id", sorted(ENGINE.flows))
@given(data=st.data())
@MANY
def test_the_engine_review_shows_the_last_answer_of_every_step(
        flow_id: str, data: st.DataObject) -> None:
    engine_walk(flow_id, data, mats=False)


@pytest.mark.parametrize("flow_id", MAT_FLOWS)
@given(data=st.data())
@MANY
def test_the_engine_review_shows_each_mat_card_at_its_scale_point(
        flow_id: str, data: st.DataObject) -> None:
    engine_walk(flow_id, data, mats=True)


async def change_the_last_question(flow_id: str) -> tuple[Model, str]:
    """Skip to "who helped", tap its first answer, then at the review "Change something",
    the last question before it, and Skip: returns the model and the review shown then."""
    chat, model = EngineChat(flow_id), Model(ENGINE.flows[flow_id])

    async def do(what: Do) -> Seen:
        seen = await chat.seen()
        model.check_screen(seen)
        model.apply(what, seen)
        await chat.do(what, seen)
        return await chat.seen()

    seen = await chat.seen()
    while model.kind() != "helped":
        seen = await do(model.finish(seen))
    seen = await do(Do("option", 0, seen.options[0][0]))
    if model.kind() == "helped":  # "who helped" as ticks and Done
        seen = await do(Do("control", name="done"))
    seen = await do(Do("control", name="change"))
    await do(Do("option", len(seen.options) - 2, seen.options[-2][0]))
    while model.kind() != "review":
        seen = await do(model.finish(await chat.seen()))
    return model, (await chat.seen()).text


@pytest.mark.parametrize("flow_id", sorted(f.id for f in ENGINE.flows.values()
                                           if f.ask_who_helped))
def test_changing_the_last_question_keeps_who_helped(flow_id: str) -> None:
    """The smallest case, in every flow that asks "who helped": the young person said who
    helped, then changed the last question from the review. Their "who helped" answer must
    still be on the review (it was neither taken back nor asked again)."""
    model, review = asyncio.run(change_the_last_question(flow_id))
    helped = words_of(model.answers["_helped"].choices[0])
    assert SAY("helped_label") in review and helped in review, (
        f"'who helped' ({helped}) is gone from the review: {review!r}; walk: {model.done}")


# --- the real bot over HTTP -----------------------------------------------------------------


class BotChat:
    """A young person in their Telegram chat with the real bot (through the fake Bot API)."""

    def __init__(self, person: Person) -> None:
        self.person = person
        self.message: SentMessage | None = None

    async def seen(self) -> Seen:
        """The newest message with buttons: its words and its buttons."""
        messages = self.person.messages()
        self.message = next(m for m in reversed(messages) if m.inline_keyboard)
        labels = [str(b.get("text")) for row in self.message.inline_keyboard for b in row]
        text = self.message.display_text or ""
        page = re.match(r"Page (\d+) of \d+", text)
        if page and int(page[1]) > 1:  # a long review: its earlier pages are above it (the
            # first may be the message tapped, edited in place)
            at, pages = messages.index(self.message), [text]
            for n in range(int(page[1]) - 1, 0, -1):
                at = next(i for i in range(at - 1, -1, -1)
                          if (messages[i].display_text or "").startswith(f"Page {n} of "))
                pages.insert(0, messages[at].display_text or "")
            text = "\n".join(pages)
        return Seen.of(text, labels)

    async def do(self, do: Do, seen: Seen) -> None:
        """Tap the button, type the words, or send /continue."""
        if do.what == "type":
            await self.person.send(do.text)
        elif do.what == "continue":
            await self.person.send("/continue")
        else:
            assert self.message is not None
            buttons = [b for row in self.message.inline_keyboard for b in row]
            button = button_for(buttons, do, seen)
            await self.person.tap_data(self.message.message_id, str(button["callback_data"]))


def documents(person: Person) -> dict[str, bytes]:
    """The files the bot sent this person, by file name."""
    found = {}
    for message in person.messages():
        if message.document:
            stored = person.api.files[message.document]
            found[stored.file_name] = stored.data
    return found


async def mydata(jo: Person, model: Model, *, mats: bool) -> list[str]:
    """/mydata's data file: this flow's finished run, answer by answer."""
    await jo.send("/mydata")
    archive = zipfile.ZipFile(io.BytesIO(documents(jo)["my-mysay-data.zip"]))
    data = json.loads(archive.read("my-mysay-data.json"))
    runs = [f for f in data["flows"] if f["flow"] == model.flow.id and f["status"] == "finished"]
    assert len(runs) == 1, data["flows"]
    answers = {a["step"]: a for a in runs[0]["answers"]}
    if mats:
        return [p for step_id, said in model.final() if said.mat
                for p in check_record_mat("/mydata", answers.get(step_id, {}), model)]
    return check_record("/mydata", answers, model, lambda a: list(a["choices"]))


def run_line(text: str, model: Model, name: str) -> str | None:
    """The therapist's short summary line for this run: what comes after "Title, Name's view:
    " (issue 14: then each topic's answer in context)."""
    head = f"{model.flow.title}, {name}'s view: "
    for line in text.splitlines():
        if head in line:
            return line.split(head, 1)[1]
    return None


def summary_text_problems(text: str, model: Model, name: str, *, mats: bool) -> list[str]:
    """The short summary in the therapist's chat: every answer's words, own words quoted
    exactly, and nothing of an answer the young person replaced. ("Who helped" is counted
    in the PDF, not listed on this line.)"""
    final = [(s, a) for s, a in model.final() if s != "_helped"]
    line = run_line(text, model, name)
    if line is None:
        shown = [a for _, a in final if a.choices or a.own_words or a.kind == "dont_know"]
        return [f"summary: no line for {model.flow.title}: {text!r}"] if shown else []
    if mats:
        return [p for s, a in final if a.mat
                for p in mat_by_scale("summary", model.flow.step(s), a, line)]
    problems = []
    # A mat names every card, the ones left off too ("Left off: PE").
    kept = " ".join(words_of(c) for _, a in final
                    for c in (*a.choices, *(card for card, _ in a.placements)))
    for step_id, said in final:
        problems += [f"summary: {step_id} lacks {words_of(c)!r}: {line!r}" for c in said.choices
                     if not has_word(line, words_of(c))]
        problems += [f"summary: {step_id} still shows replaced {old!r}: {line!r}"
                     for old in model.replaced_symbols(step_id)
                     if has_word(line, old) and not has_word(kept, old)]
    if any(a.kind == "dont_know" for _, a in final) and SAY("answer.dont_know") not in line:
        problems.append(f"summary: 'I don't know' missing: {line!r}")
    return problems + check_quotes("summary", line, model)


async def therapist_export(bot: RunningBot, sam: Person, jo: Person,
                           model: Model) -> tuple[dict[str, Any], list[str]]:
    """What `python -m bot export` writes for the therapist (bot/summary/export.py)."""
    async with bot.services.db.transaction() as session:
        viewer = await session.scalar(select(PersonRow).where(
            PersonRow.telegram_user_id == sam.user_id))
        young = await session.scalar(select(PersonRow).where(
            PersonRow.telegram_user_id == jo.user_id))
        assert viewer is not None and young is not None
        made = await export_for(session, bot.services.content.engine, viewer, young.id,
                                datetime.now(UTC))
    runs = [r for r in made.data["runs"] if r["flow_id"] == model.flow.id
            and r["by"]["role"] == "young_person"]
    assert len(runs) == 1, made.data["runs"]
    answers: Mapping[str, Mapping[str, Any]] = {a["step_id"]: a for a in runs[0]["answers"]}
    problems = check_record("export", answers, model,
                            lambda a: [c["words"] for c in a["choices"]])
    return runs[0], problems + check_record_mat("export", runs[0], model)


NAMES = iter(f"Jo{chr(65 + n // 26)}{chr(65 + n % 26)}" for n in range(26 * 26))


async def real_walk(world: World, sam: Person, flow_id: str, seed: int, *,
                    mats: bool) -> None:
    """One young person: the flow from the menu, a random walk, Share; then the review they
    saw, their /mydata, and the therapist's summary and export, against the model."""
    name = next(NAMES)
    jo = await world.young_person(sam, name)
    if ENGINE.flows[flow_id].asks_outcomes:  # offered only with outcomes in their plan
        await give_outcomes(world.bot, jo.user_id)
        await jo.send("/menu")
    await jo.tap(ENGINE.flows[flow_id].title)
    chat, model = BotChat(jo), Model(ENGINE.flows[flow_id])
    problems: list[str] = []

    def look(seen: Seen, model: Model) -> None:
        if model.kind() in ("review", "change"):
            problems.extend(check_review_mat(seen.text, model) if mats
                            else check_review(seen.text, model))

    chooser = SeededChooser(seed)
    await walk(chat, model, chooser, 12 + seed % 12, look, changes=1 + seed % 2)
    problems += await mydata(jo, model, mats=mats)
    await sam.send("/summary")
    await sam.tap(name)
    problems += summary_text_problems(sam.text(), model, name, mats=mats)
    if not mats:
        problems += (await therapist_export(world.bot, sam, jo, model))[1]
    no_problems(problems, model)


async def real_walks(settings_: Settings, fake_api: FakeBotAPI, flow_id: str, *,
                     mats: bool) -> None:
    """A few walks (FEW), each by a new young person, through the real bot polling the fake
    Bot API; one therapist (Sam) looks at each one's summary."""
    async with fast_bot(settings_, fake_api) as bot:
        world = World(bot)
        sam = await world.therapist("Sam")
        loop = asyncio.get_running_loop()

        @given(seed=st.integers(0, 2**31))
        @FEW
        def example(seed: int) -> None:
            on_loop(loop, real_walk(world, sam, flow_id, seed, mats=mats))

        await asyncio.to_thread(example)


@pytest.mark.parametrize("flow_id", YOUNG_FLOWS)
async def test_the_real_bot_shows_the_last_answer_everywhere(
        settings: Settings, fake_api: FakeBotAPI, flow_id: str) -> None:
    await real_walks(settings, fake_api, flow_id, mats=False)


@pytest.mark.parametrize("flow_id", MAT_FLOWS)
async def test_the_real_bot_shows_each_mat_card_at_its_scale_point(
        settings: Settings, fake_api: FakeBotAPI, flow_id: str) -> None:
    await real_walks(settings, fake_api, flow_id, mats=True)
