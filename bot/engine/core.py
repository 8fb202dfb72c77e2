"""The flow engine: (state, answers so far, action) -> (new state, answer to keep, screen).

Plain Python: no Telegram, no SQL. The caller loads state and answers, applies one action, and
stores what comes back in one transaction.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from bot.engine.flows import END, Flow, Step, StepType
from bot.engine.screen import (
    OWN_CARD_MARK,
    Control,
    MatCard,
    MatView,
    Option,
    ReviewLine,
    Screen,
    ScreenKind,
)
from bot.engine.vocabulary import Vocabulary, text_emoji

REVIEW = "_review"
CHANGE = "_change"
HELPED = "_helped"
MAX_OWN_WORDS = 2000
HELPED_ALONE = "helped_alone"
HELPED_CHOICES = (HELPED_ALONE, "helped_family", "helped_school", "helped_therapist")
LEFT_OFF = -1  # a Talking Mat card skipped: not placed under the scale
# The symbol beside a review line answered "I don't know" (the same as the "❔ I don't know"
# button), and beside a line of own words alone ("🗨️", the vocabulary's "My words"): never a
# symbol that means something else on the same review, such as "🤷 Not sure" or "✏️ Write it
# down" (issue 15, point 2).
DONT_KNOW_MARK = "❔"
OWN_WORDS_MARK = "🗨️"


class AnswerKind(enum.StrEnum):
    ANSWERED = "answered"
    SKIPPED = "skipped"
    DONT_KNOW = "dont_know"


class ActionKind(enum.StrEnum):
    CHOOSE = "choose"  # index of a choice / a scale column / an answer or card to change
    TOGGLE = "toggle"  # index of a choice (multi)
    DONE = "done"
    TEXT = "text"
    MEDIA = "media"  # a stored photo or voice note (media id and kind)
    BACK = "back"
    SKIP = "skip"
    DONT_KNOW = "dont_know"
    STOP = "stop"
    RESUME = "resume"
    SHARE = "share"
    KEEP = "keep"
    CHANGE = "change"
    MOVE = "move"  # Talking Mat: move a card
    RIGHT = "right"  # Talking Mat: "this is right"
    KEEP_EARLIER = "keep_earlier"  # a reopened step: keep the earlier answer as it was


@dataclass(frozen=True)
class Action:
    kind: ActionKind
    index: int | None = None
    text: str | None = None
    media: tuple[int, str] | None = None  # (media id, "photo" | "voice")
    # TEXT / MEDIA: the words or media were sent on from someone else (AnswerRecord.forwarded).
    forwarded: bool = False


@dataclass(frozen=True)
class AnswerRecord:
    step_id: str
    kind: AnswerKind
    choices: tuple[str, ...] = ()
    own_words: str | None = None
    media: tuple[tuple[int, str], ...] = ()  # (media id, kind) of photos and voice notes
    # A Talking Mat: where each card went, (card, scale column 0-2 or LEFT_OFF), in the order
    # placed. `choices` then holds the cards placed under the scale, for older readers.
    placements: tuple[tuple[str, int], ...] = ()
    # The words or media came in a message forwarded from someone else (Bot API
    # `forward_origin`): kept, but never shown as the young person's own words.
    forwarded: bool = False
    # The album (several photos or videos sent at once) this answer came from: its later
    # items join this answer instead of answering the next step (bot.service.young_person).
    media_group: str | None = None


def mat_order(placed: tuple[tuple[str, int], ...]) -> list[str]:
    """The placed cards of a Talking Mat as its picture shows them: each scale column left to
    right, top to bottom, then the cards left off. "Move a card" lists them in this order, so
    its buttons read like the mat (not in the order the cards happened to be placed)."""
    return [card for wanted in (0, 1, 2, LEFT_OFF) for card, column in placed if column == wanted]


def _put(placed: tuple[tuple[str, int], ...], card: str,
         column: int) -> tuple[tuple[str, int], ...]:
    """`placed` after `card` goes under `column` (0-2, or LEFT_OFF): a new card, or one moved to
    another column, goes last (the end of that column); a card put back where it already was
    keeps its place. Every other card keeps its place and order (issue 15, point 9: a move
    used to send even a card put back in its own column to the end)."""
    if (card, column) in placed:
        return placed
    return (*(p for p in placed if p[0] != card), (card, column))


class RunStatus(enum.StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    FINISHED = "finished"


@dataclass(frozen=True)
class RunState:
    flow_id: str
    step_id: str
    status: RunStatus = RunStatus.ACTIVE
    history: tuple[str, ...] = ()  # steps answered on the way here, for Back and the review
    selected: tuple[str, ...] = ()  # a multi-select not yet Done
    # Set while changing one answer from the review: the path to rejoin afterwards.
    rejoin: tuple[str, ...] = ()
    shared: bool = False
    # Talking Mat in progress: (card, scale column or LEFT_OFF) in the order placed.
    placed: tuple[tuple[str, int], ...] = ()
    moving: str | None = None  # the mat card being moved
    picking: bool = False  # choosing which mat card to move
    # Set when the run starts: offered choices, personal cards, the mat's topic and cards.
    options: Mapping[str, Any] = field(default_factory=dict)

    def extra(self) -> dict[str, Any]:
        """What the store keeps in its JSON column."""
        return {"history": list(self.history), "selected": list(self.selected),
                "rejoin": list(self.rejoin), "placed": [list(p) for p in self.placed],
                "moving": self.moving, "picking": self.picking}

    @classmethod
    def restore(cls, flow_id: str, step_id: str, status: str, shared: bool,
                extra: Mapping[str, Any], options: Mapping[str, Any] | None = None) -> RunState:
        return cls(flow_id, step_id, RunStatus(status), tuple(extra.get("history", ())),
                   tuple(extra.get("selected", ())), tuple(extra.get("rejoin", ())), shared,
                   tuple((str(c), int(i)) for c, i in extra.get("placed", ())),
                   extra.get("moving"), bool(extra.get("picking")), dict(options or {}))


@dataclass(frozen=True)
class Outcome:
    state: RunState
    screen: Screen
    answer: AnswerRecord | None = None  # to store (replacing any earlier one for that step)
    keep_only: frozenset[str] | None = None  # when finishing: drop answers off the final path
    changed: bool = True  # False when nothing moved (a notice only)
    in_place: bool = False  # a multi-select tick or a mat placement: redraw the same question
    mat_finished: bool = False  # a Talking Mat was just confirmed: keep its picture


class InvalidAction(ValueError):
    """The action does not fit the current step (a stale or forged button)."""


# The few words the engine itself puts into a review; the caller passes them from the locale.
LABELS = {"answer.skipped": "(skipped)", "answer.dont_know": "I don't know",
          "answer.photo": "(a photo)", "answer.voice": "(a voice note)",
          "helped_prompt": "Who helped you answer?", "answer.left_off": "Left off",
          "answer.forwarded": "(sent on from someone else)", "helped_label": "Who helped"}


class FlowEngine:
    def __init__(self, flows: Mapping[str, Flow], vocabulary: Vocabulary,
                 labels: Mapping[str, str] | None = None) -> None:
        self.flows = dict(flows)
        self.vocabulary = vocabulary
        self.labels = {**LABELS, **(labels or {})}

    # -- symbols --------------------------------------------------------------------------

    def card(self, state: RunState, symbol_id: str) -> MatCard:
        """A symbol from the vocabulary, or one of this young person's own picture cards."""
        personal = state.options.get("cards", {}).get(symbol_id)
        if personal is not None:
            return MatCard(symbol_id, str(personal["words"]), "", int(personal["media"]))
        outcome = state.options.get("outcomes", {}).get(symbol_id)
        if outcome is not None:  # an outcome slot: the outcome's words as given to this run
            return self._outcome_card(symbol_id, outcome)
        symbol = self.vocabulary[symbol_id]
        return MatCard(symbol_id, symbol.words, symbol.emoji)

    def choices(self, state: RunState, step: Step) -> list[str]:
        """The step's choices for this run: offered from another flow first, then the flow's
        own, then the young person's own cards where the step allows them."""
        offered = list(state.options.get("offered", {}).get(step.id, ()))
        own = list(state.options.get("cards", {})) if step.personal_cards else []
        merged: list[str] = []
        for symbol_id in offered + list(step.choices) + own:
            if symbol_id not in merged and self._known(state, symbol_id):
                merged.append(symbol_id)
        return merged[:12]

    def _card_or_id(self, state: RunState, symbol_id: str) -> MatCard:
        # A symbol taken out of the vocabulary since: its id still says which card it was.
        if self._known(state, symbol_id):
            return self.card(state, symbol_id)
        return MatCard(symbol_id, symbol_id.replace("_", " "), "")

    def _known(self, state: RunState, symbol_id: str) -> bool:
        return (symbol_id in self.vocabulary or symbol_id in state.options.get("cards", {})
                or symbol_id in state.options.get("outcomes", {}))

    def _outcome_card(self, slot: str, outcome: Mapping[str, Any]) -> MatCard:
        """An outcome (run options "outcomes"[slot]: words, and a symbol id or a picture's
        media id) as a card: its words, its symbol's emoji, its picture."""
        symbol = outcome.get("symbol")
        emoji = self.vocabulary[symbol].emoji if symbol in self.vocabulary else "🎯"
        media = outcome.get("media")
        return MatCard(slot, str(outcome.get("words", "")), emoji,
                       int(media) if isinstance(media, int) else None)

    def _given(self, flow: Flow, state: RunState, step_id: str) -> bool:
        """False for a step of an outcome round this run was given no outcome for."""
        if step_id == END or not flow.has_step(step_id):
            return True
        slot = flow.outcome_slot(step_id)
        return slot is None or slot in state.options.get("outcomes", {})

    def _past_absent(self, flow: Flow, state: RunState, step_id: str) -> str:
        """`step_id`, or the first step after it in the file that this run asks (passing over
        the outcome slots it was given nothing for), or END."""
        while not self._given(flow, state, step_id):
            index = [s.id for s in flow.steps].index(step_id)
            step_id = flow.steps[index + 1].id if index + 1 < len(flow.steps) else END
        return step_id

    def mat_setup(self, state: RunState, step: Step) -> tuple[str, list[str], list[str]]:
        """(topic, scale, cards) for a mat: the therapist's choice for this run, else the
        flow's default."""
        mat = state.options.get("mat", {})
        topic = mat.get("topic") if self._known(state, mat.get("topic", "")) else step.topic
        cards = [c for c in mat.get("cards", ()) if self._known(state, c)] or list(step.choices)
        if step.personal_cards:  # the young person's own picture cards go on the mat too
            cards += [c for c in state.options.get("cards", {}) if c not in cards]
        scale = [s for s in mat.get("scale", ()) if self._known(state, s)]
        return str(topic), (scale if len(scale) == 3 else list(step.scale)), cards[:12]

    # -- starting and showing -------------------------------------------------------------

    def start(self, flow_id: str, options: Mapping[str, Any] | None = None
              ) -> tuple[RunState, Screen]:
        flow = self.flows[flow_id]
        state = RunState(flow_id, flow.steps[0].id, options=dict(options or {}))
        state = replace(state, step_id=self._past_absent(flow, state, state.step_id))
        if state.step_id == END:
            raise InvalidAction(f"{flow_id} has nothing to ask without its outcomes")
        return state, self.screen(state, {})

    def screen(self, state: RunState, answers: Mapping[str, AnswerRecord],
               notice: str | None = None) -> Screen:
        flow = self.flows[state.flow_id]
        if state.status is RunStatus.PAUSED:
            return Screen(flow.id, state.step_id, ScreenKind.PAUSED, flow.title,
                          controls=(Control.CONTINUE,), notice=notice)
        if state.status is RunStatus.FINISHED:
            return Screen(flow.id, state.step_id, ScreenKind.FINISHED, flow.title, notice=notice)
        if state.step_id == REVIEW:
            return self._review_screen(flow, state, answers, notice)
        if state.step_id == CHANGE:
            return self._change_screen(flow, state, answers, notice)
        if state.step_id == HELPED:
            return self._helped_screen(flow, state, notice)
        step = flow.step(state.step_id)
        if step.type is StepType.MAT:
            return self._mat_screen(flow, step, state, notice)
        return self._step_screen(flow, step, state, notice, answers.get(step.id))

    def _progress(self, flow: Flow, state: RunState) -> dict[str, int]:
        """The "Part N of M" of the step the run is at: the flow's parts, plus "Who helped you
        answer?" as the last part when the flow asks it. The count is fixed for the flow, and
        the number never goes down on the way forward, whatever the answers (issue 12,
        point 5; the rule for parts is in bot.engine.flows._number_parts)."""
        total = flow.part_count + (1 if flow.ask_who_helped else 0)
        number = total if state.step_id == HELPED else flow.part_of(state.step_id)
        # Outcome rounds this run was given nothing for are not parts of it (each round is
        # one part: the slots are on every route).
        absent = {flow.part_of(s.id) for s in flow.steps if not self._given(flow, state, s.id)}
        if state.step_id != HELPED:
            number -= sum(1 for p in absent if p < number)
        else:
            number -= len(absent)
        return {"part_number": number, "part_count": total - len(absent)}

    def _step_screen(self, flow: Flow, step: Step, state: RunState,
                     notice: str | None, earlier: AnswerRecord | None = None) -> Screen:
        kind = ScreenKind(step.type.value)
        options = []
        for i, symbol_id in enumerate(self.choices(state, step)):
            card = self.card(state, symbol_id)
            options.append(Option(i, symbol_id, card.words, card.emoji,
                                  selected=symbol_id in state.selected, image=card.image))
        controls: list[Control] = [Control.DONE] if kind is ScreenKind.MULTI else []
        kept = _kept_words(earlier)
        if kept and earlier is not None and earlier.forwarded:
            kept = ""  # sent on from someone else: "Keep what I sent", never "You wrote"
        if kept is not None:  # a reopened step: its own words or media kept with one tap
            controls.insert(0, Control.KEEP_EARLIER)
        if state.history:
            controls.append(Control.BACK)
        controls.append(Control.SKIP)
        if kind is not ScreenKind.PHOTO:
            # A photo step asks for a picture to be sent: "I don't know" does not answer that
            # (Skip does, issue 15 point 9).
            controls.append(Control.DONT_KNOW)
        if kind in (ScreenKind.CHOICE, ScreenKind.MULTI):
            controls.append(Control.SOMETHING_ELSE)
        controls += [Control.READ, Control.STOP]
        about = self.card(state, step.about) if step.about else None
        personal = (bool(state.options.get("offered", {}).get(step.id))
                    or any(o.image is not None for o in options))
        return Screen(flow.id, step.id, kind, step.prompt, tuple(options), tuple(controls),
                      notice=notice, about=about, personal=personal or kept is not None,
                      earlier=kept, **self._progress(flow, state))

    def _helped_screen(self, flow: Flow, state: RunState, notice: str | None) -> Screen:
        # More than one person can help (a parent and a teaching assistant): tick, then Done.
        options = tuple(
            Option(i, sid, self.vocabulary[sid].words, self.vocabulary[sid].emoji,
                   selected=sid in state.selected)
            for i, sid in enumerate(HELPED_CHOICES))
        controls = (Control.DONE, Control.BACK, Control.SKIP, Control.READ, Control.STOP)
        return Screen(flow.id, HELPED, ScreenKind.MULTI, "helped_prompt", options, controls,
                      notice=notice, prompt_is_key=True, **self._progress(flow, state))

    # -- the Talking Mat ------------------------------------------------------------------

    def accepts_media(self, state: RunState) -> bool:
        """Whether a photo or voice note can answer the current step."""
        flow = self.flows[state.flow_id]
        if state.status is not RunStatus.ACTIVE or not flow.has_step(state.step_id):
            return False
        return flow.step(state.step_id).type is not StepType.MAT

    def finished_mat(self, state: RunState, step_id: str) -> tuple[MatView, dict[str, Any]]:
        """The mat as confirmed, and what to keep of it: topic, scale and placements."""
        step = self.flows[state.flow_id].step(step_id)
        topic, scale, _ = self.mat_setup(state, step)
        placements = {card: column for card, column in state.placed}
        return (self._mat_view(replace(state, moving=None), step, None),
                {"topic": topic, "scale": scale, "placements": placements})

    def _mat_view(self, state: RunState, step: Step, current: str | None) -> MatView:
        topic, scale, _ = self.mat_setup(state, step)
        columns: list[list[MatCard]] = [[], [], []]
        left_off: list[MatCard] = []
        for card_id, column in state.placed:
            if card_id == state.moving:
                continue
            (left_off if column == LEFT_OFF else columns[column]).append(
                self._card_or_id(state, card_id))
        scale_cards = tuple(self._card_or_id(state, s) for s in scale)
        return MatView(self._card_or_id(state, topic),
                       (scale_cards[0], scale_cards[1], scale_cards[2]),
                       (tuple(columns[0]), tuple(columns[1]), tuple(columns[2])),
                       self.card(state, current) if current else None, tuple(left_off))

    def mat_view_of(self, flow_id: str, answer: AnswerRecord,
                    options: Mapping[str, Any] | None = None) -> MatView | None:
        """The Talking Mat as the young person left it: topic, top scale, the cards under each
        scale point in the order placed, and the cards left off.

        Takes the run's flow id, the mat step's answer (its `placements`) and the run's
        options (the therapist's topic and cards, the young person's own picture cards).
        Returns None when the answer is not a mat's, or was skipped before any card went down.
        A card whose symbol is no longer in the vocabulary keeps its id as its words, so a
        placement is never dropped from the record."""
        flow = self.flows.get(flow_id)
        if flow is None or not flow.has_step(answer.step_id) or not answer.placements:
            return None
        step = flow.step(answer.step_id)
        if step.type is not StepType.MAT:
            return None
        state = RunState(flow_id, step.id, options=dict(options or {}),
                         placed=answer.placements)
        return self._mat_view(state, step, None)

    def mat_words(self, view: MatView, *, symbols: bool = False) -> str:
        """One line of words for a mat: "Like: Lessons, Art · Don't like: Homework · Left off:
        PE". Scale points with no card are left out; every card placed or left off is named.
        With `symbols`, each card's emoji follows its words ("Lessons 📓"), as in the review."""
        def named(cards: tuple[MatCard, ...]) -> str:
            return ", ".join(f"{c.words} {text_emoji(c.emoji)}"
                             if symbols and text_emoji(c.emoji) else c.words for c in cards)

        parts = [f"{point.words}: {named(column)}"
                 for point, column in zip(view.scale, view.columns, strict=True) if column]
        if view.left_off:
            parts.append(f"{self.labels['answer.left_off']}: {named(view.left_off)}")
        return " · ".join(parts)

    def mat_record(self, flow_id: str, answer: AnswerRecord,
                   options: Mapping[str, Any] | None = None) -> dict[str, Any] | None:
        """A mat as data, for exports: {"topic": {id, words}, "scale": [{id, words}, x3],
        "cards": [{id, words, placed, placed_words}, ...]} with the cards in the order placed;
        `placed` is the scale point's id, or "left_off" (words from answer.left_off).
        None where `mat_view_of` gives None (not a mat, or no card went down)."""
        view = self.mat_view_of(flow_id, answer, options)
        if view is None:
            return None
        cards = {c.symbol_id: (c, point.symbol_id, point.words)
                 for point, column in zip(view.scale, view.columns, strict=True)
                 for c in column}
        cards |= {c.symbol_id: (c, "left_off", self.labels["answer.left_off"])
                  for c in view.left_off}
        return {"topic": {"id": view.topic.symbol_id, "words": view.topic.words},
                "scale": [{"id": p.symbol_id, "words": p.words} for p in view.scale],
                "cards": [{"id": card.symbol_id, "words": card.words, "placed": placed,
                           "placed_words": words}
                          for card_id, _ in answer.placements if card_id in cards
                          for card, placed, words in (cards[card_id],)]}

    def _mat_next_card(self, state: RunState, step: Step) -> str | None:
        if state.moving:
            return state.moving
        done = {c for c, _ in state.placed}
        _, _, cards = self.mat_setup(state, step)
        return next((c for c in cards if c not in done), None)

    def _mat_screen(self, flow: Flow, step: Step, state: RunState, notice: str | None) -> Screen:
        current = self._mat_next_card(state, step)
        progress = self._progress(flow, state)
        if current is not None:
            view = self._mat_view(state, step, current)
            options = tuple(Option(i, c.symbol_id, c.words, c.emoji)
                            for i, c in enumerate(view.scale))
            controls = [Control.BACK] if state.history or state.placed else []
            controls += [Control.SKIP, Control.DONT_KNOW, Control.READ, Control.STOP]
            return Screen(flow.id, step.id, ScreenKind.MAT_PLACE, "mat_place_prompt", options,
                          tuple(controls), notice=notice, mat=view, prompt_is_key=True,
                          fields={"card": view.current.words if view.current else "",
                                  "topic": view.topic.words},
                          **progress, **self._card_progress(state, step))
        view = self._mat_view(state, step, None)
        if state.picking:
            options = tuple(Option(i, c, self.card(state, c).words, self.card(state, c).emoji,
                                   image=self.card(state, c).image)
                            for i, c in enumerate(mat_order(state.placed)))
            return Screen(flow.id, step.id, ScreenKind.MAT_MOVE, "mat_move_prompt", options,
                          (Control.BACK, Control.SKIP, Control.STOP), notice=notice, mat=view,
                          prompt_is_key=True, **progress)
        return Screen(flow.id, step.id, ScreenKind.MAT_REVIEW, "mat_review_prompt",
                      controls=(Control.RIGHT, Control.MOVE, Control.BACK, Control.SKIP,
                                Control.READ, Control.STOP),
                      notice=notice, mat=view, prompt_is_key=True,
                      fields={"topic": view.topic.words}, **progress)

    def _card_progress(self, state: RunState, step: Step) -> dict[str, int]:
        """The "Card 3 of 8" while placing the mat's cards: the number goes up by one with each
        card placed (or left off) and the count is the mat's cards for this run. Nothing
        while a placed card is being moved (issue 12, point 5)."""
        if state.moving:
            return {}
        _, _, cards = self.mat_setup(state, step)
        return {"card_number": len(state.placed) + 1, "card_count": len(cards)}

    def _at_mat(self, flow: Flow, step: Step, state: RunState,
                answers: Mapping[str, AnswerRecord], action: Action) -> Outcome:
        kind = action.kind
        current = self._mat_next_card(state, step)
        if current is not None and kind in (ActionKind.CHOOSE, ActionKind.SKIP,
                                            ActionKind.DONT_KNOW):
            if kind is ActionKind.CHOOSE:
                if action.index is None or not 0 <= action.index < 3:
                    raise InvalidAction("no such column")
                column = action.index
            else:
                column = LEFT_OFF
            moved = replace(state, placed=_put(state.placed, current, column), moving=None,
                            picking=False)
            return Outcome(moved, self.screen(moved, answers), in_place=True)
        if current is None and state.picking and kind in (ActionKind.SKIP, ActionKind.DONT_KNOW):
            back = replace(state, picking=False)  # not moving a card after all
            return Outcome(back, self.screen(back, answers), in_place=True)
        if current is None and state.picking:
            cards = mat_order(state.placed)
            if kind is not ActionKind.CHOOSE or action.index is None \
                    or not 0 <= action.index < len(cards):
                raise InvalidAction("no such card")
            moving = replace(state, moving=cards[action.index], picking=False)
            return Outcome(moving, self.screen(moving, answers), in_place=True)
        if current is None and kind is ActionKind.MOVE:
            picking = replace(state, picking=True)
            return Outcome(picking, self.screen(picking, answers), in_place=True)
        if current is None and kind in (ActionKind.RIGHT, ActionKind.SKIP, ActionKind.DONT_KNOW):
            # Skip at the whole mat keeps it as it is: skip is always as easy as answering.
            cards = tuple(c for c, column in state.placed if column != LEFT_OFF)
            answer = AnswerRecord(step.id, AnswerKind.ANSWERED, cards, placements=state.placed)
            earlier = answers.get(step.id)
            if earlier is not None and earlier.placements == state.placed:
                answer = earlier  # a reopened mat left as it was: the same answer, same picture
            outcome = self._advance(flow, state, answers, answer, flow.default_next(step))
            return replace(outcome, mat_finished=True)
        raise InvalidAction(f"{kind.value} does not fit the mat now")

    def _mat_back(self, state: RunState, answers: Mapping[str, AnswerRecord]) -> Outcome | None:
        """Back inside a mat: stop moving/picking, else take back the last card placed."""
        flow = self.flows[state.flow_id]
        if not flow.has_step(state.step_id) or flow.step(state.step_id).type is not StepType.MAT:
            return None
        if state.moving or state.picking:
            back = replace(state, moving=None, picking=False)
        elif state.placed:
            back = replace(state, placed=state.placed[:-1])
        else:
            return None
        return Outcome(back, self.screen(back, answers), in_place=True)

    # -- the review -----------------------------------------------------------------------

    def review_lines(self, flow_id: str, path: tuple[str, ...],
                     answers: Mapping[str, AnswerRecord],
                     options: Mapping[str, Any] | None = None) -> tuple[ReviewLine, ...]:
        """What was said at each step of `path`, in order, for the review and the summary."""
        state = RunState(flow_id, REVIEW, options=dict(options or {}))
        return self._review_lines(self.flows[flow_id], state, path, answers)

    def _question(self, flow: Flow, step_id: str) -> str:
        if step_id == HELPED:
            return self.labels["helped_prompt"]
        return flow.step(step_id).prompt

    def _topic(self, flow: Flow, state: RunState, step_id: str) -> str:
        """A few words naming what a step is about: the round's item (a part of the day) for
        a step of a `repeat:` round, else the step's `label`, else what it is `about`, else
        its prompt."""
        if step_id == HELPED:
            return self.labels["helped_label"]
        step = flow.step(step_id)
        if step.about and (step.round or not step.label):  # a round: its item names it
            return self._card_or_id(state, step.about).words
        return step.label or step.prompt

    def _review_lines(self, flow: Flow, state: RunState, path: tuple[str, ...],
                      answers: Mapping[str, AnswerRecord]) -> tuple[ReviewLine, ...]:
        """One line per answered step of `path`, in order; the steps of one repeated round
        (consecutive steps with the same `about`, such as "How is morning?" and "What makes
        morning good?") share one line: "Morning: Good 😀 · because: Friends 👫, Calm 😌".
        Every choice is named with its symbol, and nothing answered is left out."""
        lines: list[ReviewLine] = []
        last_about: str | None = None
        for step_id in path:
            answer = answers.get(step_id)
            if answer is None or not (step_id == HELPED or flow.has_step(step_id)):
                continue
            about = None if step_id == HELPED else flow.step(step_id).about
            line = self._review_line(flow, state, step_id, answer)
            if about is not None and about == last_about and lines:
                lines[-1] = _joined(lines[-1], line, flow.step(step_id).label)
            else:
                lines.append(line)
            last_about = about
        return tuple(lines)

    def _review_line(self, flow: Flow, state: RunState, step_id: str,
                     answer: AnswerRecord) -> ReviewLine:
        """The line for one answer: its topic, its words with each symbol beside its words,
        and one symbol for the line (the round's item, else the first choice's)."""
        topic = self._topic(flow, state, step_id)
        about = None if step_id == HELPED else flow.step(step_id).about
        if answer.kind is AnswerKind.SKIPPED:
            words = self.labels["answer.skipped"]
            return ReviewLine(step_id, self._question(flow, step_id), words, "⏭️", topic=topic,
                              words=words, step_ids=(step_id,))
        if answer.kind is AnswerKind.DONT_KNOW:
            words = self.labels["answer.dont_know"]
            return ReviewLine(step_id, self._question(flow, step_id), words, DONT_KNOW_MARK,
                              topic=topic,
                              words=words, step_ids=(step_id,))
        cards = [self._card_or_id(state, c) for c in answer.choices]
        symbols = tuple((c.emoji or OWN_CARD_MARK, c.words) for c in cards)
        # In words (a message), an OpenMoji extra has no glyph on phones: its words stand alone.
        shown = [f"{c.words} {text_emoji(emoji)}".rstrip()
                 for (emoji, _), c in zip(symbols, cards, strict=True)]
        plain = [c.words for c in cards]
        if (view := self.mat_view_of(flow.id, answer, state.options)) is not None:
            # Each card under its scale point, and the cards left off; the small symbols in
            # the same order as those words (not the order the cards were placed in).
            shown, plain = [self.mat_words(view, symbols=True)], [self.mat_words(view)]
            laid = [*(c for column in view.columns for c in column), *view.left_off]
            symbols = tuple((c.emoji or OWN_CARD_MARK, c.words) for c in laid)
        extra = []
        if answer.own_words:  # only their own words are quoted as theirs
            extra.append(answer.own_words if answer.forwarded else f"“{answer.own_words}”")
        kinds = [k for _, k in answer.media]
        extra += [self.labels["answer.photo"] for k in kinds if k == "photo"]
        extra += [self.labels["answer.voice"] for k in kinds if k == "voice"]
        if answer.forwarded:  # the label goes with what was sent on, not as an answer
            label = self.labels["answer.forwarded"]
            extra = [*extra[:-1], f"{extra[-1]} {label}"] if extra else [label]
        if about is not None:
            emoji = self._card_or_id(state, about).emoji or OWN_CARD_MARK
        elif symbols:
            emoji = symbols[0][0]
        else:
            emoji = "🎤" if "voice" in kinds else "📷" if "photo" in kinds else OWN_WORDS_MARK
        return ReviewLine(step_id, self._question(flow, step_id), ", ".join(shown + extra),
                          emoji, topic=topic, words=", ".join(plain + extra), symbols=symbols,
                          step_ids=(step_id,))

    def _review_screen(self, flow: Flow, state: RunState, answers: Mapping[str, AnswerRecord],
                       notice: str | None) -> Screen:
        # A finished Talking Mat on the way is the review's picture: each card where it went.
        mats = (self.mat_view_of(flow.id, answers[step_id], state.options)
                for step_id in state.history if step_id in answers)
        return Screen(flow.id, REVIEW, ScreenKind.REVIEW, "review_prompt",
                      controls=(Control.SHARE, Control.KEEP, Control.CHANGE, Control.BACK,
                                Control.READ, Control.STOP),
                      review=self._review_lines(flow, state, state.history, answers),
                      notice=notice, prompt_is_key=True,
                      mat=next((view for view in mats if view is not None), None))

    def _change_screen(self, flow: Flow, state: RunState, answers: Mapping[str, AnswerRecord],
                       notice: str | None) -> Screen:
        lines = self._review_lines(flow, state, state.history, answers)
        # The same topic names as the review: one button per line (a repeated round is one).
        options = tuple(Option(i, line.step_id, line.topic, line.emoji)
                        for i, line in enumerate(lines))
        return Screen(flow.id, CHANGE, ScreenKind.CHANGE, "change_prompt", options,
                      controls=(Control.BACK, Control.STOP), review=lines, notice=notice,
                      prompt_is_key=True)

    # -- applying one action --------------------------------------------------------------

    def apply(self, state: RunState, answers: Mapping[str, AnswerRecord],
              action: Action) -> Outcome:
        if state.status is RunStatus.FINISHED:
            raise InvalidAction("this flow is finished")
        if state.status is RunStatus.PAUSED:
            if action.kind is not ActionKind.RESUME:
                raise InvalidAction("this flow is paused")
            resumed = replace(state, status=RunStatus.ACTIVE)
            return Outcome(resumed, self.screen(resumed, answers))
        if action.kind is ActionKind.RESUME:
            return Outcome(state, self.screen(state, answers), changed=False)
        if action.kind is ActionKind.STOP:
            paused = replace(state, status=RunStatus.PAUSED)
            return Outcome(paused, self.screen(paused, answers))
        if action.kind is ActionKind.BACK:
            return self._mat_back(state, answers) or self._back(state, answers)
        flow = self.flows[state.flow_id]
        if state.step_id == REVIEW:
            return self._at_review(flow, state, answers, action)
        if state.step_id == CHANGE:
            return self._at_change(flow, state, answers, action)
        if state.step_id == HELPED:
            return self._at_helped(flow, state, answers, action)
        step = flow.step(state.step_id)
        if step.type is StepType.MAT:
            return self._at_mat(flow, step, state, answers, action)
        return self._at_step(flow, step, state, answers, action)

    def _back(self, state: RunState, answers: Mapping[str, AnswerRecord]) -> Outcome:
        if state.step_id == CHANGE:
            back = replace(state, step_id=REVIEW)
            return Outcome(back, self.screen(back, answers))
        if not state.history:
            return Outcome(state, self.screen(state, answers, notice="first_question"),
                           changed=False)
        # The step goes back to what was said there: ticks, the choice, the mat's cards.
        back = self._reopened(self.flows[state.flow_id], replace(
            state, step_id=state.history[-1], history=state.history[:-1], rejoin=()), answers)
        return Outcome(back, self.screen(back, answers))

    def _reopened(self, flow: Flow, state: RunState,
                  answers: Mapping[str, AnswerRecord]) -> RunState:
        """`state` arriving at its step again (Back, Change something, or a route through a
        step answered before): the earlier choices ticked or marked, and a mat's cards where
        they were (from the answer's placements). Nothing is dropped: the earlier own words
        and media stay in the stored answer until replaced (see `_at_step`)."""
        state = replace(state, selected=(), moving=None, picking=False)
        earlier = answers.get(state.step_id)
        if earlier is None or earlier.kind is not AnswerKind.ANSWERED:
            return state
        if flow.has_step(state.step_id) and flow.step(state.step_id).type is StepType.MAT:
            return replace(state, placed=earlier.placements) if earlier.placements else state
        return replace(state, selected=earlier.choices)

    def _at_step(self, flow: Flow, step: Step, state: RunState,
                 answers: Mapping[str, AnswerRecord], action: Action) -> Outcome:
        kind = action.kind
        choices = self.choices(state, step)
        # A reopened step: its earlier own words and media stay unless replaced.
        earlier = answers.get(step.id)
        base = earlier if earlier is not None and earlier.kind is AnswerKind.ANSWERED else None
        if kind is ActionKind.CHOOSE and step.type is StepType.CHOICE:
            choice = _pick(choices, action.index)
            answer = _merged(step.id, (choice,), base)
            return self._advance(flow, state, answers, answer, flow.next_after(step, choice))
        if kind is ActionKind.TOGGLE and step.type is StepType.MULTI:
            choice = _pick(choices, action.index)
            chosen = [c for c in state.selected if c != choice]
            if choice not in state.selected:
                chosen.append(choice)
            # In the order shown; an earlier choice no longer offered stays ticked at the end.
            order = [c for c in choices if c in chosen] + [c for c in chosen if c not in choices]
            ticked = replace(state, selected=tuple(order))
            return Outcome(ticked, self.screen(ticked, answers), in_place=True)
        if kind is ActionKind.DONE and step.type is StepType.MULTI:
            if not state.selected and _kept_words(base) is None:
                return Outcome(state, self.screen(state, answers, notice="pick_or_skip"),
                               changed=False)
            answer = _merged(step.id, state.selected, base)
            return self._advance(flow, state, answers, answer, flow.default_next(step))
        if kind is ActionKind.KEEP_EARLIER and base is not None \
                and _kept_words(base) is not None:
            answer = _merged(step.id, state.selected, base)
            first = answer.choices[0] if answer.choices else None
            return self._advance(flow, state, answers, answer, flow.next_after(step, first))
        if kind is ActionKind.TEXT:
            words = (action.text or "").strip()
            if not words:
                return Outcome(state, self.screen(state, answers, notice="empty_text"),
                               changed=False)
            # New words replace the earlier words; earlier media stays (and, if it was sent on
            # from someone else, keeps the answer marked: never shown as their own).
            kept = _merged(step.id, _ticks(step, state), base)
            answer = replace(kept, own_words=words[:MAX_OWN_WORDS],
                             forwarded=action.forwarded or (kept.forwarded and bool(kept.media)))
            return self._advance(flow, state, answers, answer, flow.default_next(step))
        if kind is ActionKind.MEDIA and action.media is not None:
            # A new photo or voice note replaces the earlier one; earlier words stay unless
            # it came with new words.
            kept = _merged(step.id, _ticks(step, state), base)
            new_words = (action.text or "").strip()[:MAX_OWN_WORDS]
            answer = AnswerRecord(step.id, AnswerKind.ANSWERED, _ticks(step, state),
                                  new_words or kept.own_words, (action.media,),
                                  forwarded=action.forwarded
                                  or (not new_words and kept.forwarded and bool(kept.own_words)))
            return self._advance(flow, state, answers, answer, flow.default_next(step))
        if kind in (ActionKind.SKIP, ActionKind.DONT_KNOW):
            answer_kind = AnswerKind.SKIPPED if kind is ActionKind.SKIP else AnswerKind.DONT_KNOW
            answer = AnswerRecord(step.id, answer_kind)
            return self._advance(flow, state, answers, answer, flow.default_next(step))
        raise InvalidAction(f"{kind.value} does not fit step {step.id}")

    def _at_helped(self, flow: Flow, state: RunState, answers: Mapping[str, AnswerRecord],
                   action: Action) -> Outcome:
        """"Who helped you answer?": tick everyone who helped, then Done (more than one person
        often helps). CHOOSE answers with one helper straight away."""
        if action.kind is ActionKind.TOGGLE:
            choice = _pick(list(HELPED_CHOICES), action.index)
            chosen = {*state.selected} ^ {choice}
            if choice in chosen:  # "On my own" and someone helping cannot both be true
                alone = choice == HELPED_ALONE
                chosen = {c for c in chosen if (c == HELPED_ALONE) == alone}
            ticked = replace(state, selected=tuple(c for c in HELPED_CHOICES if c in chosen))
            return Outcome(ticked, self.screen(ticked, answers), in_place=True)
        if action.kind is ActionKind.DONE:
            if not state.selected:
                return Outcome(state, self.screen(state, answers, notice="pick_or_skip"),
                               changed=False)
            answer = AnswerRecord(HELPED, AnswerKind.ANSWERED, state.selected)
        elif action.kind is ActionKind.CHOOSE:
            answer = AnswerRecord(HELPED, AnswerKind.ANSWERED,
                                  (_pick(list(HELPED_CHOICES), action.index),))
        elif action.kind in (ActionKind.SKIP, ActionKind.DONT_KNOW):
            answer = AnswerRecord(HELPED, AnswerKind.SKIPPED)
        else:
            raise InvalidAction(f"{action.kind.value} does not fit 'who helped'")
        return self._advance(flow, state, answers, answer, END, helped=True)

    def _advance(self, flow: Flow, state: RunState, answers: Mapping[str, AnswerRecord],
                 answer: AnswerRecord, next_id: str, *, helped: bool = False) -> Outcome:
        history = (*state.history, state.step_id)
        merged = {**answers, answer.step_id: answer}
        next_id = self._past_absent(flow, state, next_id)
        if next_id == END and not helped and flow.ask_who_helped:
            # Always by way of "who helped", so its answer stays on the way (and is kept at
            # Share): reopened with its ticks when answered before, and passed straight over
            # when changing an answer from the review rejoins the old route.
            next_id = HELPED
        if state.rejoin and (next_id in state.rejoin or next_id == END):
            # Changing one answer from the review: if the route rejoins the old one, go
            # straight back to the review instead of asking everything again.
            rest = state.rejoin[state.rejoin.index(next_id):] if next_id != END else ()
            if all(s in merged for s in rest):
                at_review = replace(state, step_id=REVIEW, history=history + rest,
                                    selected=(), rejoin=(), moving=None, picking=False)
                return Outcome(at_review, self.screen(at_review, merged), answer=answer)
        step_id = REVIEW if next_id == END else next_id
        moved = self._reopened(flow, replace(
            state, step_id=step_id, history=history,
            rejoin=state.rejoin if step_id != REVIEW else ()), merged)
        return Outcome(moved, self.screen(moved, merged), answer=answer)

    def _at_review(self, flow: Flow, state: RunState, answers: Mapping[str, AnswerRecord],
                   action: Action) -> Outcome:
        if action.kind in (ActionKind.SHARE, ActionKind.KEEP):
            done = replace(state, status=RunStatus.FINISHED, shared=action.kind is ActionKind.SHARE)
            notice = "shared" if done.shared else "kept"
            return Outcome(done, self.screen(done, answers, notice=notice),
                           keep_only=frozenset(state.history))
        if action.kind is ActionKind.CHANGE:
            changing = replace(state, step_id=CHANGE)
            return Outcome(changing, self.screen(changing, answers))
        raise InvalidAction(f"{action.kind.value} does not fit the review")

    def _at_change(self, flow: Flow, state: RunState, answers: Mapping[str, AnswerRecord],
                   action: Action) -> Outcome:
        lines = self._review_lines(flow, state, state.history, answers)
        if action.kind is not ActionKind.CHOOSE or action.index is None \
                or not 0 <= action.index < len(lines):
            raise InvalidAction("no such answer to change")
        line = lines[action.index]
        cut = state.history.index(line.step_id)
        # Rejoin after the line's last step: a round's follow-up ("because: ...") is asked
        # again, filled in, rather than passed over on the way back to the review.
        end = state.history.index(line.step_ids[-1]) if line.step_ids else cut
        editing = self._reopened(flow, replace(
            state, step_id=line.step_id, history=state.history[:cut],
            rejoin=state.history[end + 1:]), answers)
        return Outcome(editing, self.screen(editing, answers))


def _ticks(step: Step, state: RunState) -> tuple[str, ...]:
    """The pictures that go with words or media sent at this step: what is ticked on a multi
    step. On a one-picture step, words or a photo answer instead of a picture (the route is
    then the default one, so a picture kept beside them would say a route not taken)."""
    return state.selected if step.type is StepType.MULTI else ()


def _pick(choices: list[str], index: int | None) -> str:
    if index is None or not 0 <= index < len(choices):
        raise InvalidAction("no such choice")
    return choices[index]


def _kept_words(answer: AnswerRecord | None) -> str | None:
    """What a reopened step offers to keep with one tap: the earlier own words ("" when the
    earlier answer was a photo or voice note alone), or None when there is nothing to keep."""
    if answer is None or answer.kind is not AnswerKind.ANSWERED:
        return None
    if answer.own_words:
        return answer.own_words
    return "" if any(kind in ("photo", "voice") for _, kind in answer.media) else None


def _merged(step_id: str, choices: tuple[str, ...], base: AnswerRecord | None) -> AnswerRecord:
    """An answer of `choices` that keeps the earlier answer's own words and media (a reopened
    step: nothing said before is dropped unless the young person replaces it)."""
    if base is None:
        return AnswerRecord(step_id, AnswerKind.ANSWERED, choices)
    return replace(base, kind=AnswerKind.ANSWERED, choices=choices)


def _joined(first: ReviewLine, then: ReviewLine, label: str | None) -> ReviewLine:
    """Two answers of one repeated round on one line; the follow-up introduced by its label
    ("because")."""
    lead = f"{label}: " if label else ""
    return replace(first, answer=f"{first.answer} · {lead}{then.answer}",
                   words=f"{first.words} · {lead}{then.words}",
                   symbols=first.symbols + then.symbols,
                   step_ids=first.step_ids + then.step_ids)
