"""Flow definitions: one YAML file per co-production tool in flows/, validated at start-up."""

from __future__ import annotations

import enum
import re
from pathlib import Path
from typing import Any

from pydantic import (
    BaseModel,
    Field,
    PrivateAttr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from bot.engine.datafile import DataFileError, parse_model
from bot.engine.headings import FileHeading, Heading
from bot.engine.vocabulary import Vocabulary

_ID = re.compile(r"^[a-z][a-z0-9_]{0,40}$")
END = "end"
# In a repeated block, "continue" means: the first step of the next round (or what follows).
CONTINUE = "continue"
MAX_CHOICES = 12
MAT_MAX_OPTIONS = 12
# `repeat: outcomes`: one round per outcome in the young person's plan, given to the run when it
# starts (run options "outcomes", slot -> the outcome's id and words). The file holds a fixed
# number of slots, so step ids stay the same for every young person; a run passes over the
# slots it was given no outcome for (bot.engine.core).
OUTCOMES_REPEAT = "outcomes"
MAX_OUTCOMES = 8
OUTCOME_SLOT = re.compile(r"^outcome_[1-9][0-9]?$")


def outcome_slots() -> list[str]:
    """The slot ids of a `repeat: outcomes` block, in order ("outcome_1" ... "outcome_8")."""
    return [f"outcome_{n}" for n in range(1, MAX_OUTCOMES + 1)]


class StepType(enum.StrEnum):
    CHOICE = "choice"  # pick one picture
    MULTI = "multi"  # pick any number, ticks shown, then Done
    TEXT = "text"  # own words: typed, or a voice note, or a photo
    PHOTO = "photo"  # a photo (for example of themself, for the one-page profile)
    MAT = "mat"  # a Talking Mat: option cards placed one at a time under a three-point scale


class Step(BaseModel):
    model_config = {"extra": "forbid"}

    id: str
    type: StepType
    prompt: str = Field(min_length=1, max_length=200)
    # A few words naming what the step is about, for the review and "Change something"
    # ("More good days"); the prompt when not given. Within a repeated round (steps with the
    # same `about`) the round's item names the line, and a follow-up step's label leads its
    # answer ("because").
    label: str | None = Field(default=None, min_length=1, max_length=40)
    choices: list[str] = Field(default_factory=list)
    # Where to go next: a step id, "end", or {choice id: step id} with an optional "default".
    next: str | dict[str, str] | None = None
    # Where the answer goes in the summary; wins over the flow's own `heading:`.
    heading: FileHeading = None
    # The symbol of what this step is about (a part of the day, a place): drawn on the card.
    about: str | None = None
    # Offer again what the young person picked in another flow (flow id and step ids).
    offer_from: dict[str, list[str]] | None = None
    # Mat steps: the three-point scale (never yes/no) and the default topic.
    scale: list[str] = Field(default_factory=list)
    topic: str | None = None
    # Add the young person's own picture cards (made by their therapist) to the choices.
    personal_cards: bool = False
    # Mat steps: topics a therapist can pick from in /assign, each with its option cards.
    topics: dict[str, list[str]] = Field(default_factory=dict)
    # Set by a repeat block (never written in a file): the item this round of steps is about.
    round: str | None = None

    @field_validator("id")
    @classmethod
    def _id_shape(cls, value: str) -> str:
        if not _ID.match(value) or value in (END, CONTINUE):
            raise ValueError("step ids are lower-case letters, digits and _, not 'end'/'continue'")
        return value

    @field_validator("prompt")
    @classmethod
    def _no_braces(cls, value: str) -> str:
        if "{" in value or "}" in value:
            raise ValueError("a prompt has a { or } left: {name} works only inside a repeat "
                             "block, for a phrase every item gives")
        return value

    @field_validator("choices", "scale")
    @classmethod
    def _symbols_known(cls, value: list[str], info: ValidationInfo) -> list[str]:
        _check_symbols(value, info)
        if len(set(value)) != len(value):
            raise ValueError("a symbol is listed twice")
        return value

    @field_validator("about", "topic")
    @classmethod
    def _symbol_known(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and not OUTCOME_SLOT.match(value):  # a slot: given per run
            _check_symbols([value], info)
        return value

    @field_validator("topics")
    @classmethod
    def _topics_known(cls, value: dict[str, list[str]],
                      info: ValidationInfo) -> dict[str, list[str]]:
        for topic, cards in value.items():
            _check_symbols([topic, *cards], info)
            if not 2 <= len(cards) <= MAT_MAX_OPTIONS:
                raise ValueError(f"topic {topic} needs 2 to {MAT_MAX_OPTIONS} cards")
        return value

    @model_validator(mode="after")
    def _fits_type(self) -> Step:
        kind = self.type
        if kind in (StepType.TEXT, StepType.PHOTO) and self.choices:
            raise ValueError(f"a {kind.value} step has no choices")
        if kind in (StepType.CHOICE, StepType.MULTI) and not (
                2 <= len(self.choices) <= MAX_CHOICES
                or (self.offer_from and len(self.choices) <= MAX_CHOICES)):
            raise ValueError(f"a {kind.value} step needs 2 to {MAX_CHOICES} choices")
        if kind is StepType.MAT:
            if len(self.scale) != 3:
                raise ValueError("a Talking Mat needs a scale of exactly 3 symbols")
            if {"yes", "no"} & set(self.scale):
                raise ValueError("a Talking Mat scale must allow reflection: not yes/no")
            if not 2 <= len(self.choices) <= MAT_MAX_OPTIONS or self.topic is None:
                raise ValueError(f"a Talking Mat needs a topic and 2 to {MAT_MAX_OPTIONS} cards")
        elif self.scale or self.topic or self.topics:
            raise ValueError("only a mat step has a scale or topics")
        if isinstance(self.next, dict):
            if kind is not StepType.CHOICE:
                raise ValueError("only a choice step can branch on the choice")
            stray = set(self.next) - set(self.choices) - {"default"}
            if stray:
                raise ValueError(f"next names choices this step does not offer: {sorted(stray)}")
        return self

    def targets(self) -> list[str]:
        if self.next is None:
            return []
        return list(self.next.values()) if isinstance(self.next, dict) else [self.next]


def _check_symbols(ids: list[str], info: ValidationInfo) -> None:
    vocabulary: Vocabulary | None = (info.context or {}).get("vocabulary")
    if vocabulary is not None:
        unknown = [s for s in ids if s not in vocabulary]
        if unknown:
            raise ValueError(f"unknown symbol id(s) {unknown}: add them to media/symbols.yaml")


class Flow(BaseModel):
    model_config = {"extra": "forbid"}

    id: str
    title: str = Field(min_length=1, max_length=60)
    symbol: str
    description: str = Field(min_length=1, max_length=200)
    # "Who helped you answer?" is asked once, before the review (off for very short flows).
    ask_who_helped: bool = True
    # Who this flow is for: the young person, or a supporter adding their own view.
    audience: str = Field(default="young_person", pattern="^(young_person|supporter)$")
    # A picture made from the answers when the flow ends ("profile": the one-page profile).
    ends_with: str | None = Field(default=None, pattern="^profile$")
    # The summary heading of every step that names none of its own (Heading.OTHER if unset).
    heading: FileHeading = None
    steps: list[Step] = Field(min_length=1)
    # Part number of each step (1, 2, ...): made from the steps when the file is loaded.
    _parts: dict[str, int] = PrivateAttr(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _expand_repeats(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("steps"), list):
            data = {**data, "steps": expand_repeats(data["steps"])}
        return data

    @field_validator("id")
    @classmethod
    def _id_shape(cls, value: str) -> str:
        if not _ID.match(value):
            raise ValueError("flow ids are lower-case letters, digits and _")
        return value

    @field_validator("symbol")
    @classmethod
    def _symbol_known(cls, value: str, info: ValidationInfo) -> str:
        _check_symbols([value], info)
        return value

    @model_validator(mode="after")
    def _steps_connect(self) -> Flow:
        ids = [s.id for s in self.steps]
        dupes = {i for i in ids if ids.count(i) > 1}
        if dupes:
            raise ValueError(f"step id(s) used twice: {sorted(dupes)}")
        known = set(ids) | {END}
        for step in self.steps:
            missing = [t for t in step.targets() if t not in known]
            if missing:
                raise ValueError(f'step "{step.id}" goes next to unknown step(s) {missing}')
        order = {s.id: i for i, s in enumerate(self.steps)}
        for i, step in enumerate(self.steps):
            back = [t for t in step.targets() if t != END and order[t] <= i]
            if back:
                raise ValueError(f'step "{step.id}" goes back to {back}: a flow only moves '
                                 "on, so that its parts can be counted (issue 12, point 5)")
        self._parts = _number_parts(self)
        return self

    def step(self, step_id: str) -> Step:
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)

    def heading_of(self, step: Step | None) -> tuple[Heading, bool]:
        """(heading, explicit): where an answer at `step` goes in the summary.

        The step's own `heading:` wins; a Talking Mat step is always TALKING_MAT; otherwise
        the flow's `heading:` (OTHER when the file names none), also for a step the flow no
        longer has (None). `explicit` is False only for the flow's default: when that default
        is one side of a pair (good / bad days, working / not working), the summary lets the
        answer's verdict choose the side (bot.summary.classify)."""
        if step is not None and step.heading is not None:
            return step.heading, True
        if step is not None and step.type is StepType.MAT:
            return Heading.TALKING_MAT, True
        return self.heading or Heading.OTHER, False

    def outcome_slot(self, step_id: str) -> str | None:
        """The outcome slot ("outcome_2") a step of a `repeat: outcomes` round asks about,
        else None. Raises KeyError for a step the flow does not have."""
        round_ = self.step(step_id).round
        return round_ if round_ is not None and OUTCOME_SLOT.match(round_) else None

    @property
    def asks_outcomes(self) -> bool:
        """True when the flow has a `repeat: outcomes` block (it needs the young person's
        outcomes when a run starts, and is not offered without any)."""
        return any(s.round is not None and OUTCOME_SLOT.match(s.round) for s in self.steps)

    def has_step(self, step_id: str) -> bool:
        return any(s.id == step_id for s in self.steps)

    def default_next(self, step: Step) -> str:
        """The step after this one when no choice decides: `next`, else the following step."""
        if isinstance(step.next, str):
            return step.next
        if isinstance(step.next, dict) and "default" in step.next:
            return step.next["default"]
        index = self.steps.index(step)
        return self.steps[index + 1].id if index + 1 < len(self.steps) else END

    def next_after(self, step: Step, choice: str | None) -> str:
        if isinstance(step.next, dict) and choice in step.next:
            return step.next[choice]
        return self.default_next(step)

    def following(self, step: Step) -> set[str]:
        """Every step (or END) that can come straight after `step`: by a choice, or by
        default (a skip, or a choice with no route of its own)."""
        routes = set(step.next.values()) if isinstance(step.next, dict) else set()
        return routes | {self.default_next(step)}

    @property
    def part_count(self) -> int:
        """How many parts the flow has (its questions; "Who helped you answer?" not counted)."""
        return max(self._parts.values())

    def part_of(self, step_id: str) -> int:
        """The part (1 to `part_count`) a step belongs to. See `_number_parts` for the rule.

        Raises KeyError for a step the flow does not have."""
        return self._parts[step_id]


def _number_parts(flow: Flow) -> dict[str, int]:
    """Number the parts of a flow, so that "Part 2 of 5" never jumps or changes its end.

    The rule (issue 12, point 5): a part begins at the first step of each top-level entry of
    the flow file (a step, or one round of a repeat block) that every route through the flow
    passes. Any other step belongs to the part before it, so a branch's follow-up question
    (like "What makes lessons good?") shares the part of the question that led to it. As a
    flow only moves forward through its file, every route meets every part in order, one at a
    time, and the count is the same whichever answers are given.
    """
    first = flow.steps[0]
    numbers: dict[str, int] = {}
    part, previous_round = 0, None
    for step in flow.steps:
        begins_entry = step.round is None or step.round != previous_round
        if step is first or (begins_entry and _on_every_route(flow, step.id)):
            part += 1
        numbers[step.id] = part
        previous_round = step.round
    return numbers


def _on_every_route(flow: Flow, step_id: str) -> bool:
    """True when no route from the first step to the end gets by without `step_id` (and some
    route reaches it)."""
    start = flow.steps[0].id

    def reach(avoid: str | None) -> set[str]:
        seen, todo = {start}, [start]
        while todo:
            here = todo.pop()
            if here == END:
                continue
            for there in flow.following(flow.step(here)):
                if there != avoid and there not in seen:
                    seen.add(there)
                    todo.append(there)
        return seen

    return step_id in reach(None) and END not in reach(step_id)


def expand_repeats(steps: list[Any]) -> list[Any]:
    """Unfold `- repeat: [...]` blocks into one set of steps per item (one *round* each).

    Takes the raw `steps` list of a flow file and returns it with every block unfolded (an
    item's words come from the file, never from its symbol lower-cased). Inside a block,
    step ids get the item as a suffix, `about` becomes the item, `round` is set to the item,
    `continue` goes to the next round (or past the block), and each `{name}` in a prompt
    becomes that item's phrase `name`. An item is a symbol id, or a mapping of the symbol id
    (`item`) and the phrases its prompts need, written out in full by the flow's author so
    that each prompt reads right (issue 12, point 6: "How are lessons for you?", never "How
    is lessons"):

        - repeat:
            - {item: lessons, part: lessons, is: are}
          steps:
            - {id: how, type: choice, prompt: "How {is} {part} for you?", ...}

    Raises ValueError (reported with the file's name by `load_flow`) when a prompt names a
    phrase an item lacks, an item has a phrase no prompt uses, or a prompt is left with a brace.
    """
    out: list[Any] = []
    for index, entry in enumerate(steps):
        if not (isinstance(entry, dict) and "repeat" in entry):
            if isinstance(entry, dict) and "round" in entry:
                raise ValueError(f'step "{entry.get("id")}": "round" is set by repeat blocks')
            out.append(entry)
            continue
        items, template = entry.get("repeat"), entry.get("steps")
        if items == OUTCOMES_REPEAT:
            items = outcome_slots()
        if not isinstance(items, list) or not isinstance(template, list) or not template:
            out.append(entry)  # left for validation to report
            continue
        _check_template(template)
        rounds = [_round_item(item, template) for item in items]
        following = _first_id(steps[index + 1:]) or END
        ids = {s.get("id") for s in template if isinstance(s, dict)}
        for n, (item, phrases) in enumerate(rounds):
            after = (f"{template[0].get('id')}_{rounds[n + 1][0]}" if n + 1 < len(rounds)
                     else following)
            for step in template:
                out.append(_one_round(step, item, phrases, ids, after))
    return out


PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
PHRASED = ("prompt", "label")  # a repeat block's step fields that take the item's phrases
_PHRASE_NAME = re.compile(r"^[a-z][a-z_]{0,20}$")


def placeholders(template: list[Any]) -> set[str]:
    """The `{name}`s used in the prompts (and labels) of a repeat block's steps."""
    return {name for step in template if isinstance(step, dict) for key in PHRASED
            if isinstance(step.get(key), str)
            for name in PLACEHOLDER.findall(step[key])}


def _check_template(template: list[Any]) -> None:
    """Every brace in a repeat block's prompts is part of a `{name}` of a phrase, and no step
    sets `round` itself. Raises ValueError naming the step."""
    for step in template:
        if isinstance(step, dict) and "round" in step:
            raise ValueError(f'step "{step.get("id")}": "round" is set by repeat blocks')
        for key in PHRASED:
            prompt = step.get(key) if isinstance(step, dict) else None
            if not isinstance(prompt, str):
                continue
            bad = [n for n in PLACEHOLDER.findall(prompt) if not _PHRASE_NAME.match(n)]
            if bad or set(PLACEHOLDER.sub("", prompt)) & set("{}"):
                raise ValueError(f'step "{step.get("id")}": in "{prompt}", write each phrase '
                                 "as {name} (a-z and _)")


def _round_item(item: Any, template: list[Any]) -> tuple[str, dict[str, str]]:
    """(symbol id, phrases) of one repeat item, checked against the prompts that use it."""
    if isinstance(item, dict):
        phrases = {str(k): v for k, v in item.items() if k != "item"}
        item_id = item.get("item")
    else:
        phrases, item_id = {}, item
    if not isinstance(item_id, str) or not _ID.match(item_id):
        raise ValueError(f"repeat item {item!r}: give the symbol id, as `item: lessons`")
    wanted = placeholders(template)
    missing = sorted(wanted - set(phrases))
    if missing:
        raise ValueError(f"repeat item {item_id}: no phrase for {{{missing[0]}}}; write it as "
                         f"{{item: {item_id}, {missing[0]}: ...}}")
    unused = sorted(set(phrases) - wanted)
    if unused:
        raise ValueError(f"repeat item {item_id}: no prompt uses the phrase {unused[0]!r}")
    for name, words in phrases.items():
        if not isinstance(words, str) or not words.strip() or set(words) & set("{}"):
            raise ValueError(f"repeat item {item_id}: phrase {name!r} must be words")
    return item_id, phrases


def _item_id(item: Any) -> Any:
    return item.get("item") if isinstance(item, dict) else item


def _first_id(steps: list[Any]) -> str | None:
    for entry in steps:
        if isinstance(entry, dict) and "repeat" in entry and entry.get("repeat"):
            first = (entry.get("steps") or [{}])[0]
            items = entry["repeat"]
            items = outcome_slots() if items == OUTCOMES_REPEAT else items
            return f"{first.get('id')}_{_item_id(items[0])}"
        if isinstance(entry, dict) and "id" in entry:
            return str(entry["id"])
    return None


def _one_round(step: Any, item: str, phrases: dict[str, str], ids: set[Any], after: str) -> Any:
    if not isinstance(step, dict):
        return step

    def target(name: str) -> str:
        if name == CONTINUE:
            return after
        return f"{name}_{item}" if name in ids else name

    made = {**step, "id": f"{step.get('id')}_{item}", "about": step.get("about", item),
            "round": item}
    for key in PHRASED:
        if isinstance(step.get(key), str):
            made[key] = PLACEHOLDER.sub(lambda m: phrases[m.group(1)], step[key])
    nxt = step.get("next")
    if isinstance(nxt, str):
        made["next"] = target(nxt)
    elif isinstance(nxt, dict):
        made["next"] = {k: target(v) if isinstance(v, str) else v for k, v in nxt.items()}
    elif nxt is None and step is not None:
        made["next"] = None
    return made


def load_flow(path: Path, vocabulary: Vocabulary) -> Flow:
    return parse_model(Flow, path, context={"vocabulary": vocabulary})


def load_flows(directory: Path, vocabulary: Vocabulary) -> dict[str, Flow]:
    """Every flows/*.yaml, validated. A broken file stops start-up with its name and line."""
    flows: dict[str, Flow] = {}
    files = sorted(directory.glob("*.yaml"))
    if not files:
        raise DataFileError(f"no flow files (*.yaml) in {directory}")
    for path in files:
        flow = load_flow(path, vocabulary)
        if flow.id in flows:
            raise DataFileError(f"{path.name}: flow id '{flow.id}' is used by another file too")
        flows[flow.id] = flow
    return flows
