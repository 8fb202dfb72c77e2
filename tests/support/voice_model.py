"""A model of what the young person said, for the voice-fidelity tests (issue 12).

The model walks a flow beside the bot, from what a person sees: the question's words and the
buttons' words (media/locales/en) and the flows' and symbols' data (flows/*.yaml,
media/symbols.yaml). It never reads the bot's state. It keeps the young person's last answer
at each step (last answer wins; Back then a new answer replaces; Skip is skipped; a Talking Mat
is where each card went) and the steps on the way to the review, and it checks what the review,
/mydata and the therapist's summary show against that.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from hypothesis import strategies as st

from bot.engine.core import HELPED_CHOICES, LEFT_OFF, mat_order
from bot.engine.flows import END, Flow, Step, StepType, outcome_slots
from bot.engine.screen import Control
from bot.services import Content, load_content

CONTENT: Content = load_content()
ENGINE = CONTENT.engine
SAY = CONTENT.locale
HELPED = "_helped"  # the "Who helped you answer?" step, as the store names it
REVIEW, CHANGE = "review", "change"
# Every control's words, as the buttons show them.
CONTROLS: dict[str, str] = {SAY(f"control.{c.value}"): c.value for c in Control
                             if c is not Control.KEEP_EARLIER}
# "📌 Keep what I wrote: “…”" (the start of the earlier words) or "📌 Keep what I sent": a
# reopened step's one tap that keeps the earlier answer as it was.
KEEP_EARLIER = (SAY("control.keep_sent"), SAY("control.keep_earlier").split("{")[0])
ANSWERED, SKIPPED, DONT_KNOW = "answered", "skipped", "dont_know"

# Own words as people type them: quotes, apostrophes, emoji (with skin tones and joiners),
# accents, right-to-left script, markup-like text and stray spaces. Each gets a unique tag,
# so an answer that was replaced can be looked for afterwards.
FRAGMENTS = ('Mum said "yes" 😀', "it's OK 👍🏽", "très bien", "مرحبا صديقي", "<b>not bold</b>",
             "fish & chips", "🙂🌈🐶", "Mr O'Neil's class", "  spaced out  ", "👩‍👩‍👧 at home",
             "'single' quotes", "100% fine", "Zoë and Chloé", "a\\b/c")


# The words of the outcomes the walks give a young person ("How am I getting on?" asks one
# round per outcome slot; tests/service/test_fuzz.py give_outcomes, EngineChat).
OUTCOME_WORDS = "Outcome {n}, in a few words"


def words_of(symbol_id: str) -> str:
    """The words of a symbol (media/symbols.yaml), or of the outcome in a slot ("outcome_2":
    OUTCOME_WORDS)."""
    if symbol_id in outcome_slots():
        return OUTCOME_WORDS.format(n=outcome_slots().index(symbol_id) + 1)
    return ENGINE.vocabulary[symbol_id].words


def question(flow: Flow, step_id: str) -> str:
    """The question of a step as the young person reads it (a translation if there is one)."""
    if step_id == HELPED:
        return SAY("helped_prompt")
    key = f"flow.{flow.id}.{step_id}"
    return SAY(key) if SAY.has(key) else flow.step(step_id).prompt


@dataclass(frozen=True)
class Said:
    """One step's answer as the young person gave it."""

    kind: str
    choices: tuple[str, ...] = ()  # symbol ids, in the order shown
    own_words: str | None = None
    placements: tuple[tuple[str, int], ...] = ()  # a Talking Mat: (card, scale point or -1)
    mat: bool = False


@dataclass(frozen=True)
class Seen:
    """A screen as the person sees it: its words, its option buttons and its controls."""

    text: str
    options: tuple[tuple[str, bool], ...]  # (words, ticked)
    controls: Mapping[str, str]  # control name -> the button's words

    @classmethod
    def of(cls, text: str, labels: Iterable[str]) -> Seen:
        """Read button labels: a control's words, else "<emoji> <words>" or "✅ <emoji> <words>",
        or the words alone ("✅ <words>" ticked) for a symbol drawn with an OpenMoji extra (no
        glyph on phones)."""
        options, controls = [], {}
        for label in labels:
            if label in CONTROLS:
                controls[CONTROLS[label]] = label
                continue
            if label.startswith(KEEP_EARLIER):
                controls["keep_earlier"] = label
                continue
            if label[:1].isalnum():  # an OpenMoji extra's button: its words alone
                options.append((label, False))
                continue
            head, _, words = label.partition(" ")
            if head == "✅" and not words[:1].isalnum():  # keeps its symbol: "✅ 😀 Happy"
                words = words.partition(" ")[2]
            options.append((words, head == "✅"))
        return cls(text, tuple(options), controls)


class Chooser(Protocol):
    """Where the walk's choices come from (Hypothesis draws, or a seeded generator)."""

    def pick(self, items: Sequence[Any]) -> Any: ...

    def chance(self, percent: int) -> bool: ...


class SeededChooser:
    """Choices from a seed that Hypothesis drew: for the slow walk through the real bot."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def pick(self, items: Sequence[Any]) -> Any:
        """One of `items`."""
        return items[self.rng.randrange(len(items))]

    def chance(self, percent: int) -> bool:
        """True `percent` times in a hundred."""
        return self.rng.randrange(100) < percent


class DrawnChooser:
    """Choices drawn by Hypothesis one by one, so a failing walk shrinks to a short one."""

    def __init__(self, data: st.DataObject) -> None:
        self.data = data

    def pick(self, items: Sequence[Any]) -> Any:
        """One of `items`."""
        return items[self.data.draw(st.integers(0, len(items) - 1))]

    def chance(self, percent: int) -> bool:
        """True `percent` times in a hundred (shrinks towards False)."""
        return self.data.draw(st.integers(0, 99)) >= 100 - percent


@dataclass(frozen=True)
class Do:
    """One thing the young person does: tap an option (by its place among the options) or a
    control (by name), type words, or send /continue."""

    what: str  # "option", "control", "type" or "continue"
    index: int = -1
    name: str = ""  # the control, or the option's words
    text: str = ""

    def __str__(self) -> str:
        return {"option": f"tap {self.name!r}", "control": f"tap {self.name}",
                "type": f"type {self.text!r}", "continue": "/continue"}[self.what]


@dataclass
class Model:
    """Where the young person is in a flow and what they said, step by step."""

    flow: Flow
    answers: dict[str, Said] = field(default_factory=dict)
    given: dict[str, list[Said]] = field(default_factory=dict)  # every answer, per step
    path: list[str] = field(default_factory=list)  # steps answered on the way
    at: str = ""
    rejoin: list[str] = field(default_factory=list)
    placed: list[tuple[str, int]] = field(default_factory=list)
    moving: str | None = None
    picking: bool = False
    paused: bool = False
    finished: bool = False
    typed: int = 0
    done: list[str] = field(default_factory=list)  # what was done, for a reproduction

    def __post_init__(self) -> None:
        self.at = self.at or self.flow.steps[0].id

    # -- where we are ----------------------------------------------------------------------

    def step(self) -> Step | None:
        """The flow step we are at (None at the review, the change list and "who helped")."""
        return self.flow.step(self.at) if self.flow.has_step(self.at) else None

    def kind(self) -> str:
        """What the screen should be: paused, review, change, helped, mat_place, mat_review,
        mat_move, or the step's type (choice, multi, text, photo)."""
        if self.paused:
            return "paused"
        if self.at in (REVIEW, CHANGE, HELPED):
            return {REVIEW: "review", CHANGE: "change", HELPED: "helped"}[self.at]
        step = self.flow.step(self.at)
        if step.type is StepType.MAT:
            if self.current_card() is not None:
                return "mat_place"
            return "mat_move" if self.picking else "mat_review"
        return step.type.value

    def current_card(self) -> str | None:
        """The mat card to place now: the one being moved, else the first not placed."""
        step = self.step()
        assert step is not None and step.type is StepType.MAT
        if self.moving:
            return self.moving
        done = {card for card, _ in self.placed}
        return next((c for c in step.choices if c not in done), None)

    def prompt(self) -> str:
        """The words the screen must show, so we know the bot is where the model is."""
        kind = self.kind()
        if kind in ("paused", "review", "change", "helped"):
            return SAY({"paused": "paused", "review": "review_prompt",
                        "change": "change_prompt", "helped": "helped_prompt"}[kind])
        step = self.step()
        assert step is not None
        if kind == "mat_place":
            card = self.current_card()
            assert card is not None and step.topic is not None
            return SAY("mat_place_prompt", topic=words_of(step.topic), card=words_of(card))
        if kind == "mat_review":
            assert step.topic is not None
            return SAY("mat_review_prompt", topic=words_of(step.topic))
        if kind == "mat_move":
            return SAY("mat_move_prompt")
        return question(self.flow, step.id)

    def check_screen(self, seen: Seen) -> None:
        """The screen shows what the model expects (else the walk has lost its way)."""
        assert self.prompt() in seen.text, (
            f"after {self.done}: expected {self.prompt()!r} ({self.kind()}), "
            f"the screen says {seen.text!r}")

    # -- choosing what to do -----------------------------------------------------------------

    def new_words(self, chooser: Chooser) -> str:
        """Own words nobody typed before in this walk (each ends in a unique tag)."""
        self.typed += 1
        return f"{chooser.pick(FRAGMENTS)} ~{self.typed}~"

    def choose(self, seen: Seen, chooser: Chooser) -> Do:
        """Something a young person might do on this screen, at random: tap an option, tick,
        type, Skip, I don't know, Back, Stop for now, Change something, Share."""
        kind = self.kind()
        if kind == "paused":
            return chooser.pick([Do("continue"), Do("control", name="continue")])
        if kind == "review":
            if chooser.chance(35):
                return Do("control", name="share")
            return Do("control", name=chooser.pick(["change", "back", "stop"]))
        options = [Do("option", i, words) for i, (words, _) in enumerate(seen.options)]
        if kind == "multi" and options and chooser.chance(60):
            return chooser.pick(options)  # a tick (or an untick)
        if options and chooser.chance(50):
            return chooser.pick(options)
        moves = [Do("control", name=c) for c in
                 ("back", "skip", "dont_know", "stop", "something_else", "move", "right",
                  "done") if c in seen.controls]
        if kind in ("choice", "multi", "text", "photo"):
            moves += [Do("type", text=self.new_words(chooser))] * 3
        return chooser.pick(moves or options)

    def finish(self, seen: Seen) -> Do:
        """The quickest way on to the end: Skip, "this is right", back to the review, Share."""
        if self.kind() == "paused":
            return Do("control", name="continue")
        for name in ("share", "right", "skip"):
            if name in seen.controls:
                return Do("control", name=name)
        return Do("control", name="back")  # the change list, or moving a card

    # -- what doing it means -----------------------------------------------------------------

    def apply(self, do: Do, seen: Seen) -> None:
        """Change the model as the bot should change for `do` on the screen `seen`."""
        self.done.append(f"{self.kind()}: {do}")
        if do.what == "continue":
            self.paused = False
        elif do.what == "type":
            self._typed(do.text, seen)
        elif do.what == "option":
            self._option(do.index, seen)
        else:
            self._control(do.name, seen)


    def _typed(self, text: str, seen: Seen) -> None:
        kind = self.kind()
        words = text.strip()
        step = self.step()
        if kind not in ("choice", "multi", "text", "photo") or not words or step is None:
            return  # the step shows itself again, with a kind note
        # New words replace the earlier words; what is ticked stays with them (on a
        # one-picture step the words answer instead of a picture).
        ticked = self._ticked(seen) if kind == "multi" else ()
        self._advance(Said(ANSWERED, ticked, words), self.flow.default_next(step))

    def _option(self, index: int, seen: Seen) -> None:
        kind, words = self.kind(), seen.options[index][0]
        step = self.step()
        if kind == "choice":
            assert step is not None
            choice = self._symbol(words, step.choices)
            self._advance(Said(ANSWERED, (choice,), self._earlier_words()),
                          self.flow.next_after(step, choice))
        elif kind == "multi" or (kind == "helped" and "done" in seen.controls):
            pass  # a tick: read from the buttons at Done
        elif kind == "helped":
            self._advance(Said(ANSWERED, (self._symbol(words, HELPED_CHOICES),)), END,
                          helped=True)
        elif kind == "mat_place":
            assert step is not None
            assert words == words_of(step.scale[index]), (words, step.scale)
            self._place(index)
        elif kind == "mat_move":
            card = mat_order(tuple(self.placed))[index]  # the buttons read like the mat
            assert words == words_of(card), (words, card)
            self.moving, self.picking = card, False
        elif kind == "change":  # one button per review line (a repeated round is one line)
            starts = self.lines()
            at = starts[index]
            end = starts[index + 1] if index + 1 < len(starts) else len(self.path)
            target = self.path[at]
            assert topic(self.flow, target) in words, (words, target)
            # Back to the review after the line's last step: a round's follow-up is asked
            # again, filled in.
            self.at, self.rejoin = target, self.path[end:]
            self.path = self.path[:at]
            self.moving, self.picking = None, False
        else:
            raise AssertionError(f"an option tapped on a {kind} screen")

    def _control(self, name: str, seen: Seen) -> None:
        kind, step = self.kind(), self.step()
        if name in ("something_else", "read"):
            return
        if name == "stop":
            self.paused = True
        elif name == "continue":
            self.paused = False
        elif name == "back":
            self._back()
        elif kind == "review" and name == "share":
            self.finished = True
        elif kind == "review" and name == "change":
            self.at = CHANGE
        elif kind == "mat_place" and name in ("skip", "dont_know"):
            self._place(LEFT_OFF)
        elif kind == "mat_move" and name in ("skip", "dont_know"):
            self.picking = False
        elif kind == "mat_review" and name == "move":
            self.picking = True
        elif kind == "mat_review" and name in ("right", "skip", "dont_know"):
            assert step is not None
            cards = tuple(c for c, column in self.placed if column != LEFT_OFF)
            self._advance(Said(ANSWERED, cards, placements=tuple(self.placed), mat=True),
                          self.flow.default_next(step))
        elif kind == "helped" and name in ("skip", "dont_know"):
            self._advance(Said(SKIPPED), END, helped=True)
        elif kind == "helped" and name == "done":
            ticked = self._ticked(seen)
            if ticked:
                self._advance(Said(ANSWERED, ticked), END, helped=True)
        elif kind in ("choice", "multi", "text", "photo") and step is not None:
            if name in ("skip", "dont_know"):
                self._advance(Said(SKIPPED if name == "skip" else DONT_KNOW),
                              self.flow.default_next(step))
            elif name == "done" and (self._ticked(seen) or self._earlier_words()):
                self._advance(Said(ANSWERED, self._ticked(seen), self._earlier_words()),
                              self.flow.default_next(step))
            elif name == "keep_earlier":  # the earlier answer as it was, with what is ticked
                ticked = self._ticked(seen)
                self._advance(Said(ANSWERED, ticked, self._earlier_words()),
                              self.flow.next_after(step, ticked[0] if ticked else None))
        else:
            raise AssertionError(f"{name} on a {kind} screen")

    def _earlier_words(self) -> str | None:
        """The own words of this step's earlier answer: kept when a reopened step is answered
        by a tap (nothing said before is dropped unless replaced)."""
        earlier = self.answers.get(self.at)
        return earlier.own_words if earlier is not None and earlier.kind == ANSWERED else None

    def lines(self) -> list[int]:
        """Where each review line starts in the path: the steps of one repeated round (the same
        `about`, one after the other) share a line."""
        starts, last = [], None
        for n, step_id in enumerate(self.path):
            about = None if step_id == HELPED else self.flow.step(step_id).about
            if about is None or about != last:
                starts.append(n)
            last = about
        return starts

    def _ticked(self, seen: Seen) -> tuple[str, ...]:
        """What is ticked now, read from the buttons (a reopened step may show old ticks)."""
        candidates = HELPED_CHOICES if self.at == HELPED else self.flow.step(self.at).choices
        return tuple(self._symbol(w, candidates) for w, ticked in seen.options if ticked)

    @staticmethod
    def _symbol(words: str, candidates: Iterable[str]) -> str:
        found = [c for c in candidates if words_of(c) == words]
        assert len(found) == 1, f"no one symbol with the words {words!r} in {candidates}"
        return found[0]

    def _place(self, column: int) -> None:
        card = self.current_card()
        assert card is not None
        # A card put back where it was keeps its place; a new or moved card goes last (the end
        # of its column); every other card keeps its order (bot.engine.core._put).
        if (card, column) not in self.placed:
            self.placed = [p for p in self.placed if p[0] != card] + [(card, column)]
        self.moving, self.picking = None, False

    def _back(self) -> None:
        if self.at == CHANGE:
            self.at = REVIEW
            return
        step = self.step()
        if step is not None and step.type is StepType.MAT and (self.moving or self.picking):
            self.moving, self.picking = None, False
            return
        if step is not None and step.type is StepType.MAT and self.placed:
            self.placed.pop()  # Back on a mat takes back the last card placed
            return
        if self.path:
            self.at = self.path.pop()
            self.rejoin, self.moving, self.picking = [], None, False

    def _advance(self, said: Said, next_id: str, *, helped: bool = False) -> None:
        """An answer: it replaces any earlier one for this step; then on to the next step.

        The routes are the flow's (flows/*.yaml); "who helped" comes once before the review;
        after "Change something", the walk goes straight back to the review where the new
        route meets the old one."""
        step_id = self.at
        self.answers[step_id] = said
        self.given.setdefault(step_id, []).append(said)
        self.path.append(step_id)
        if next_id == END and not helped and self.flow.ask_who_helped:
            # Always by way of "who helped": after "Change something" the rejoin below passes
            # straight over it (its answer stays on the way); after Back it is asked again,
            # with its earlier ticks.
            next_id = HELPED
        if self.rejoin and (next_id in self.rejoin or next_id == END):
            rest = self.rejoin[self.rejoin.index(next_id):] if next_id != END else []
            if all(s in self.answers for s in rest):
                self.path += rest
                self.at, self.rejoin = REVIEW, []
                return
        self.at = REVIEW if next_id == END else next_id
        if self.at == REVIEW:
            self.rejoin = []
        self.moving, self.picking = None, False

    # -- what must be shown ------------------------------------------------------------------

    def final(self) -> list[tuple[str, Said]]:
        """Each step on the way to the review, with the young person's last answer there."""
        return [(s, self.answers[s]) for s in self.path]

    def own_words(self) -> list[str]:
        """The own words of the answers on the final path."""
        return [said.own_words for _, said in self.final() if said.own_words]

    def replaced_words(self) -> list[str]:
        """Own words typed on the way that are no longer anyone's answer."""
        kept = set(self.own_words())
        return [s.own_words for said in self.given.values() for s in said
                if s.own_words and s.own_words not in kept]

    def replaced_symbols(self, step_id: str) -> set[str]:
        """Words of symbols once chosen at this step but not in its last answer."""
        now = {words_of(c) for c in self.answers[step_id].choices}
        return {words_of(c) for s in self.given.get(step_id, ()) for c in s.choices} - now


# --- checks ---------------------------------------------------------------------------------
# Each check returns the problems it found, as sentences; a test asserts there are none.


def topic(flow: Flow, step_id: str) -> str:
    """The few words a review line starts with: the round's item for a repeated step (its
    `about` symbol's words), else the step's label, else its question."""
    if step_id == HELPED:
        return SAY("helped_label")
    step = flow.step(step_id)
    if step.about and (step.round or not step.label):
        return words_of(step.about)
    return step.label or question(flow, step_id)


def segments(text: str, flow: Flow, path: Sequence[str]) -> list[str]:
    """Each step's review line after its topic ("🌅 Morning: Good 😀 · because: Calm 😌"),
    however it is laid out. The steps of one repeated round (the same `about`, one after the
    other) share their round's line. Every step on the way must have its line, in order."""
    lines = text.split("\n")
    found: list[str] = []
    at, last_about = 0, None
    for step_id in path:
        about = None if step_id == HELPED else flow.step(step_id).about
        if about is not None and about == last_about and found:
            found.append(found[-1])
            continue
        last_about = about
        head = re.compile(rf"^\W*{re.escape(topic(flow, step_id))}:")
        index = next((n for n in range(at, len(lines)) if head.match(lines[n])), None)
        if index is None:
            raise AssertionError(f"no line for {step_id!r} ({topic(flow, step_id)!r}), "
                                 f"in order, in:\n{text}")
        found.append(head.sub("", lines[index], count=1))
        at = index + 1
    return found


def has_word(text: str, words: str) -> bool:
    """`words` in `text` as whole words."""
    return re.search(rf"(?<!\w){re.escape(words)}(?!\w)", text) is not None


def quotes(text: str) -> Counter[str]:
    """Every “quoted” piece of the text."""
    return Counter(re.findall(r"“(.*?)”", text, flags=re.S))


def check_line(where: str, model: Model, step_id: str, said: Said, segment: str) -> list[str]:
    """One step's line: its symbols' words, its own words quoted exactly, skipped or "I don't
    know" said so, and none of the symbols it had before."""
    problems = []
    if said.kind == SKIPPED and "skipped" not in segment.casefold():
        problems.append(f"{where}: {step_id} was skipped, its line says {segment!r}")
    if said.kind == DONT_KNOW and SAY("answer.dont_know") not in segment:
        problems.append(f"{where}: {step_id} was 'I don't know', its line says {segment!r}")
    for choice in said.choices:
        if not has_word(segment, words_of(choice)):
            problems.append(f"{where}: {step_id} lacks {words_of(choice)!r}: {segment!r}")
    if said.own_words and f"“{said.own_words}”" not in segment:
        problems.append(f"{where}: {step_id} lacks “{said.own_words}”: {segment!r}")
    kept = " ".join([words_of(c) for c in said.choices] + [said.own_words or ""])
    for old in model.replaced_symbols(step_id):
        if has_word(segment, old) and not has_word(kept, old):
            problems.append(f"{where}: {step_id} still shows {old!r}, replaced: {segment!r}")
    return problems


def check_review(text: str, model: Model) -> list[str]:
    """The review ("This is what you told me") against the model: one line per step on the
    way, in order, each with the last answer only (a mat: its cards placed under the scale);
    own words quoted exactly and only there; replaced own words nowhere."""
    final = model.final()
    problems: list[str] = []
    lines = segments(text, model.flow, [s for s, _ in final])
    for (step_id, said), segment in zip(final, lines, strict=True):
        if said.mat:
            problems += [f"review: mat card {words_of(c)!r} missing: {segment!r}"
                         for c in said.choices if not has_word(segment, words_of(c))]
        else:
            problems += check_line("review", model, step_id, said, segment)
    return problems + check_quotes("review", text, model)


def check_review_mat(text: str, model: Model) -> list[str]:
    """Issue 12: a mat's line names every card with its scale point ("Like: Lessons, Art ·
    Don't like: Homework · Left off: PE"): each card in the same part as its point."""
    final = model.final()
    lines = segments(text, model.flow, [s for s, _ in final])
    problems: list[str] = []
    for (step_id, said), segment in zip(final, lines, strict=True):
        if said.mat:
            problems += mat_by_scale("review", model.flow.step(step_id), said, segment)
    return problems


def mat_by_scale(where: str, step: Step, said: Said, text: str) -> list[str]:
    """Each placed card's words in the same part of `text` as its scale point's words."""
    parts = re.split(r"[·\n;|]", text)
    points = [words_of(s) for s in step.scale] + [SAY("answer.left_off")]
    problems = []
    for card, column in said.placements:
        point = points[-1] if column == LEFT_OFF else points[column]
        if not any(has_word(p, words_of(card)) and point_named(p, points) == point
                   for p in parts):
            problems.append(f"{where}: {words_of(card)!r} is not shown under {point!r}: "
                            f"{text!r}")
    return problems


def point_named(part: str, points: Sequence[str]) -> str | None:
    """The scale point a part of a line is under: the longest point named in it as whole
    words ("Don't like" rather than the "like" inside it)."""
    named = [p for p in points if has_word(part.casefold(), p.casefold())]
    return max(named, key=len) if named else None


def check_quotes(where: str, text: str, model: Model) -> list[str]:
    """Own words appear exactly, quoted, as often as they were said; replaced ones nowhere."""
    problems = []
    if quotes(text) != Counter(model.own_words()):
        problems.append(f"{where}: quoted {dict(quotes(text))}, said {model.own_words()}")
    problems += [f"{where}: replaced words {w!r} still shown" for w in model.replaced_words()
                 if w in text]
    return problems


def check_record(where: str, answers: Mapping[str, Mapping[str, Any]], model: Model,
                 choice_words: Callable[[Mapping[str, Any]], list[str]]) -> list[str]:
    """A data file's answers by step (/mydata, the therapist's export) against the model:
    exactly the steps on the way, each with its last answer's kind, symbols and own words."""
    problems = []
    final = dict(model.final())
    if set(answers) != set(final):
        problems.append(f"{where}: steps {sorted(answers)}, expected {sorted(final)}")
    for step_id, said in final.items():
        got = answers.get(step_id)
        if got is None:
            continue
        if got.get("kind") != said.kind:
            problems.append(f"{where}: {step_id} is {got.get('kind')!r}, said {said.kind!r}")
        said_words = sorted(words_of(c) for c in said.choices)
        if sorted(choice_words(got)) != said_words:
            problems.append(f"{where}: {step_id} choices {sorted(choice_words(got))}, said "
                            f"{said_words}")
        if got.get("own_words") != said.own_words:
            problems.append(f"{where}: {step_id} own words {got.get('own_words')!r}, said "
                            f"{said.own_words!r}")
    return problems


def check_record_mat(where: str, record: Any, model: Model) -> list[str]:
    """Issue 12: the data file says where each mat card went (its scale point, or left off)."""
    problems = []
    for step_id, said in model.final():
        if said.mat:
            step = model.flow.step(step_id)
            problems += [f"{where}: {words_of(c)!r} not recorded at its scale point "
                         f"({'left off' if p == LEFT_OFF else step.scale[p]})"
                         for c, p in said.placements if not placed_in(record, c, step, p)]
    return problems


def placed_in(record: Any, card: str, step: Step, column: int) -> bool:
    """Whether a data record says where `card` went: anywhere in it, a mapping or list that
    holds the card (id or words) with its scale point (id, words or column number), or a
    scale point's entry listing the card. Left off is -1 or "left off"."""
    cards = {card, words_of(card)}
    if column == LEFT_OFF:
        points: set[Any] = {LEFT_OFF, "left_off", SAY("answer.left_off"),
                            SAY("answer.left_off").lower()}
    else:
        points = {column, step.scale[column], words_of(step.scale[column])}

    def flat(values: Iterable[Any]) -> set[Any]:
        return {v for v in values if not isinstance(v, dict | list | bool)}

    def holds(value: Any) -> bool:
        if isinstance(value, dict):
            if flat(value.values()) & cards and flat(value.values()) & points:
                return True
            for key, inner in value.items():
                inner_flat = flat(inner) if isinstance(inner, dict | list) else flat([inner])
                if (key in cards and inner_flat & points) or (key in points
                                                              and inner_flat & cards):
                    return True
            return any(holds(v) for v in value.values())
        if isinstance(value, list):
            return bool(flat(value) & cards and flat(value) & points) or any(
                holds(v) for v in value)
        return False

    return holds(record)
