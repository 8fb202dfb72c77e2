"""The flow engine: (state, answers so far, action) -> (new state, answer to keep, screen).

Plain Python: no Telegram, no SQL. The caller loads state and answers, applies one action, and
stores what comes back in one transaction.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from bot.engine.flows import END, Flow, Step, StepType
from bot.engine.screen import Control, Option, ReviewLine, Screen, ScreenKind
from bot.engine.vocabulary import Vocabulary

REVIEW = "_review"
CHANGE = "_change"
MAX_OWN_WORDS = 2000


class AnswerKind(enum.StrEnum):
    ANSWERED = "answered"
    SKIPPED = "skipped"
    DONT_KNOW = "dont_know"


class ActionKind(enum.StrEnum):
    CHOOSE = "choose"  # index of a choice (single) / answer to change (change screen)
    TOGGLE = "toggle"  # index of a choice (multi)
    DONE = "done"
    TEXT = "text"
    BACK = "back"
    SKIP = "skip"
    DONT_KNOW = "dont_know"
    STOP = "stop"
    RESUME = "resume"
    SHARE = "share"
    KEEP = "keep"
    CHANGE = "change"


@dataclass(frozen=True)
class Action:
    kind: ActionKind
    index: int | None = None
    text: str | None = None


@dataclass(frozen=True)
class AnswerRecord:
    step_id: str
    kind: AnswerKind
    choices: tuple[str, ...] = ()
    own_words: str | None = None


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

    def extra(self) -> dict[str, list[str]]:
        """What the store keeps in its JSON column."""
        return {"history": list(self.history), "selected": list(self.selected),
                "rejoin": list(self.rejoin)}

    @classmethod
    def restore(cls, flow_id: str, step_id: str, status: str, shared: bool,
                extra: Mapping[str, list[str]]) -> RunState:
        return cls(flow_id, step_id, RunStatus(status), tuple(extra.get("history", ())),
                   tuple(extra.get("selected", ())), tuple(extra.get("rejoin", ())), shared)


@dataclass(frozen=True)
class Outcome:
    state: RunState
    screen: Screen
    answer: AnswerRecord | None = None  # to store (replacing any earlier one for that step)
    keep_only: frozenset[str] | None = None  # when finishing: drop answers off the final path
    changed: bool = True  # False when nothing moved (a notice only)
    in_place: bool = False  # a multi-select tick: redraw the same question
    notes: tuple[str, ...] = field(default=())


class InvalidAction(ValueError):
    """The action does not fit the current step (a stale or forged button)."""


class FlowEngine:
    def __init__(self, flows: Mapping[str, Flow], vocabulary: Vocabulary) -> None:
        self.flows = dict(flows)
        self.vocabulary = vocabulary

    # -- starting and showing -------------------------------------------------------------

    def start(self, flow_id: str) -> tuple[RunState, Screen]:
        flow = self.flows[flow_id]
        state = RunState(flow_id, flow.steps[0].id)
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
        return self._step_screen(flow, state, notice)

    def _step_screen(self, flow: Flow, state: RunState, notice: str | None) -> Screen:
        step = flow.step(state.step_id)
        kind = ScreenKind(step.type.value)
        options = tuple(
            Option(i, sid, self.vocabulary[sid].words, self.vocabulary[sid].emoji,
                   selected=sid in state.selected)
            for i, sid in enumerate(step.choices)
        )
        controls: list[Control] = [Control.DONE] if kind is ScreenKind.MULTI else []
        if state.history:
            controls.append(Control.BACK)
        controls += [Control.SKIP, Control.DONT_KNOW]
        if kind is not ScreenKind.TEXT:
            controls.append(Control.SOMETHING_ELSE)
        controls.append(Control.STOP)
        return Screen(flow.id, step.id, kind, step.prompt, options, tuple(controls),
                      notice=notice, step_number=len(state.history) + 1,
                      step_count=self._expected_length(flow, state))

    def _expected_length(self, flow: Flow, state: RunState) -> int:
        """Steps on the way from here by default routes, plus those already taken."""
        count, step_id, seen = len(state.history), state.step_id, set(state.history)
        while step_id != END and step_id not in seen:
            seen.add(step_id)
            count += 1
            step_id = flow.default_next(flow.step(step_id))
        return count

    def review_lines(self, flow_id: str, path: tuple[str, ...],
                     answers: Mapping[str, AnswerRecord]) -> tuple[ReviewLine, ...]:
        """What was said at each step of `path`, in order, for the review and the summary."""
        return self._review_lines(self.flows[flow_id], path, answers)

    def _review_lines(self, flow: Flow, path: tuple[str, ...],
                      answers: Mapping[str, AnswerRecord]) -> tuple[ReviewLine, ...]:
        lines = []
        for step_id in path:
            step, answer = flow.step(step_id), answers.get(step_id)
            if answer is None:
                continue
            words = [self.vocabulary[c].words for c in answer.choices if c in self.vocabulary]
            if answer.own_words:
                words.append(f"“{answer.own_words}”")
            if answer.kind is AnswerKind.SKIPPED:
                words, emoji = ["(skipped)"], "⏭️"
            elif answer.kind is AnswerKind.DONT_KNOW:
                words, emoji = ["I don't know"], "🤷"
            else:
                emoji = self.vocabulary[answer.choices[0]].emoji if answer.choices else "✏️"
            lines.append(ReviewLine(step_id, step.prompt, ", ".join(words), emoji))
        return tuple(lines)

    def _review_screen(self, flow: Flow, state: RunState, answers: Mapping[str, AnswerRecord],
                       notice: str | None) -> Screen:
        return Screen(flow.id, REVIEW, ScreenKind.REVIEW, "review_prompt",
                      controls=(Control.SHARE, Control.KEEP, Control.CHANGE, Control.BACK,
                                Control.STOP),
                      review=self._review_lines(flow, state.history, answers), notice=notice,
                      step_number=len(state.history) + 1, step_count=len(state.history) + 1)

    def _change_screen(self, flow: Flow, state: RunState, answers: Mapping[str, AnswerRecord],
                       notice: str | None) -> Screen:
        lines = self._review_lines(flow, state.history, answers)
        options = tuple(
            Option(i, line.step_id, flow.step(line.step_id).prompt, line.emoji)
            for i, line in enumerate(lines)
        )
        return Screen(flow.id, CHANGE, ScreenKind.CHANGE, "change_prompt", options,
                      controls=(Control.BACK, Control.STOP), review=lines, notice=notice)

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
            return self._back(state, answers)
        flow = self.flows[state.flow_id]
        if state.step_id == REVIEW:
            return self._at_review(flow, state, answers, action)
        if state.step_id == CHANGE:
            return self._at_change(flow, state, answers, action)
        return self._at_step(flow, flow.step(state.step_id), state, answers, action)

    def _back(self, state: RunState, answers: Mapping[str, AnswerRecord]) -> Outcome:
        if state.step_id == CHANGE:
            back = replace(state, step_id=REVIEW)
            return Outcome(back, self.screen(back, answers))
        if not state.history:
            return Outcome(state, self.screen(state, answers, notice="first_question"),
                           changed=False)
        back = replace(state, step_id=state.history[-1], history=state.history[:-1],
                       selected=(), rejoin=())
        return Outcome(back, self.screen(back, answers))

    def _at_step(self, flow: Flow, step: Step, state: RunState,
                 answers: Mapping[str, AnswerRecord], action: Action) -> Outcome:
        kind = action.kind
        if kind is ActionKind.CHOOSE and step.type is StepType.CHOICE:
            choice = self._choice(step, action.index)
            answer = AnswerRecord(step.id, AnswerKind.ANSWERED, (choice,))
            return self._advance(flow, state, answers, answer, flow.next_after(step, choice))
        if kind is ActionKind.TOGGLE and step.type is StepType.MULTI:
            choice = self._choice(step, action.index)
            chosen = [c for c in state.selected if c != choice]
            if choice not in state.selected:
                chosen.append(choice)
            ticked = replace(state, selected=tuple(c for c in step.choices if c in chosen))
            return Outcome(ticked, self.screen(ticked, answers), in_place=True)
        if kind is ActionKind.DONE and step.type is StepType.MULTI:
            if not state.selected:
                return Outcome(state, self.screen(state, answers, notice="pick_or_skip"),
                               changed=False)
            answer = AnswerRecord(step.id, AnswerKind.ANSWERED, state.selected)
            return self._advance(flow, state, answers, answer, flow.default_next(step))
        if kind is ActionKind.TEXT:
            words = (action.text or "").strip()
            if not words:
                return Outcome(state, self.screen(state, answers, notice="empty_text"),
                               changed=False)
            answer = AnswerRecord(step.id, AnswerKind.ANSWERED, state.selected,
                                  words[:MAX_OWN_WORDS])
            return self._advance(flow, state, answers, answer, flow.default_next(step))
        if kind in (ActionKind.SKIP, ActionKind.DONT_KNOW):
            answer_kind = AnswerKind.SKIPPED if kind is ActionKind.SKIP else AnswerKind.DONT_KNOW
            answer = AnswerRecord(step.id, answer_kind)
            return self._advance(flow, state, answers, answer, flow.default_next(step))
        raise InvalidAction(f"{kind.value} does not fit step {step.id}")

    @staticmethod
    def _choice(step: Step, index: int | None) -> str:
        if index is None or not 0 <= index < len(step.choices):
            raise InvalidAction("no such choice")
        return step.choices[index]

    def _advance(self, flow: Flow, state: RunState, answers: Mapping[str, AnswerRecord],
                 answer: AnswerRecord, next_id: str) -> Outcome:
        history = (*state.history, state.step_id)
        merged = {**answers, answer.step_id: answer}
        if state.rejoin and next_id in state.rejoin:
            # Changing one answer from the review: if the route rejoins the old one, go
            # straight back to the review instead of asking everything again.
            rest = state.rejoin[state.rejoin.index(next_id):]
            if all(s in merged for s in rest):
                at_review = RunState(flow.id, REVIEW, history=history + rest, shared=state.shared)
                return Outcome(at_review, self.screen(at_review, merged), answer=answer)
        step_id = REVIEW if next_id == END else next_id
        moved = RunState(flow.id, step_id, history=history, shared=state.shared,
                         rejoin=state.rejoin if step_id != REVIEW else ())
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
        lines = self._review_lines(flow, state.history, answers)
        if action.kind is not ActionKind.CHOOSE or action.index is None \
                or not 0 <= action.index < len(lines):
            raise InvalidAction("no such answer to change")
        target = lines[action.index].step_id
        cut = state.history.index(target)
        editing = RunState(flow.id, target, history=state.history[:cut],
                           rejoin=state.history[cut + 1:], shared=state.shared)
        return Outcome(editing, self.screen(editing, answers))
