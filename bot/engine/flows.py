"""Flow definitions: one YAML file per co-production tool in flows/, validated at start-up."""

from __future__ import annotations

import enum
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationInfo, field_validator, model_validator

from bot.engine.datafile import DataFileError, parse_model
from bot.engine.vocabulary import Vocabulary

_ID = re.compile(r"^[a-z][a-z0-9_]{0,40}$")
END = "end"
# In a repeated block, "continue" means: the first step of the next round (or what follows).
CONTINUE = "continue"
MAX_CHOICES = 12
MAT_MAX_OPTIONS = 12


class StepType(enum.StrEnum):
    CHOICE = "choice"  # pick one picture
    MULTI = "multi"  # pick any number, ticks shown, then Done
    TEXT = "text"  # own words: typed, or a voice note, or a photo
    PHOTO = "photo"  # a photo (for example of themself, for the one-page profile)
    MAT = "mat"  # a Talking Mat: option cards placed one at a time under a three-point scale


class Heading(enum.StrEnum):
    """Where an answer goes in the person-centred review (the summary's headings)."""

    ABOUT_ME = "about_me"
    LIKE_ADMIRE = "like_admire"
    IMPORTANT_TO = "important_to"
    IMPORTANT_FOR = "important_for"
    WORKING = "working"
    NOT_WORKING = "not_working"
    GOOD_DAYS = "good_days"
    BAD_DAYS = "bad_days"
    TALKING_MAT = "talking_mat"
    QUESTIONS = "questions"
    TAKE_PART = "take_part"
    WHO_HELPED = "who_helped"
    FUTURE = "future"
    SUPPORT = "support"  # how best to support me


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
    heading: Heading | None = None
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

    @field_validator("id")
    @classmethod
    def _id_shape(cls, value: str) -> str:
        if not _ID.match(value) or value in (END, CONTINUE):
            raise ValueError("step ids are lower-case letters, digits and _, not 'end'/'continue'")
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
        if value is not None:
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
    steps: list[Step] = Field(min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _expand_repeats(cls, data: Any, info: ValidationInfo) -> Any:
        if isinstance(data, dict) and isinstance(data.get("steps"), list):
            vocabulary: Vocabulary | None = (info.context or {}).get("vocabulary")
            data = {**data, "steps": expand_repeats(data["steps"], vocabulary)}
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
        return self

    def step(self, step_id: str) -> Step:
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)

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


def expand_repeats(steps: list[Any], vocabulary: Vocabulary | None) -> list[Any]:
    """Unfold `- repeat: [morning, lessons, ...]` blocks into one set of steps per item.

    Inside a block, step ids get the item as a suffix, `{part}` in a prompt becomes the item's
    words, `about` becomes the item, and `continue` goes to the next round (or past the block).
    """
    out: list[Any] = []
    for index, entry in enumerate(steps):
        if not (isinstance(entry, dict) and "repeat" in entry):
            out.append(entry)
            continue
        items, template = entry.get("repeat"), entry.get("steps")
        if not isinstance(items, list) or not isinstance(template, list) or not template:
            out.append(entry)  # left for validation to report
            continue
        following = _first_id(steps[index + 1:]) or END
        ids = {s.get("id") for s in template if isinstance(s, dict)}
        for n, item in enumerate(items):
            after = f"{template[0].get('id')}_{items[n + 1]}" if n + 1 < len(items) else following
            words = vocabulary[item].words.lower() if vocabulary and item in vocabulary else item
            for step in template:
                out.append(_one_round(step, item, words, ids, after))
    return out


def _first_id(steps: list[Any]) -> str | None:
    for entry in steps:
        if isinstance(entry, dict) and "repeat" in entry and entry.get("repeat"):
            first = (entry.get("steps") or [{}])[0]
            return f"{first.get('id')}_{entry['repeat'][0]}"
        if isinstance(entry, dict) and "id" in entry:
            return str(entry["id"])
    return None


def _one_round(step: Any, item: str, words: str, ids: set[Any], after: str) -> Any:
    if not isinstance(step, dict):
        return step

    def target(name: str) -> str:
        if name == CONTINUE:
            return after
        return f"{name}_{item}" if name in ids else name

    made = {**step, "id": f"{step.get('id')}_{item}", "about": step.get("about", item)}
    for key in ("prompt", "label"):
        if isinstance(step.get(key), str):
            made[key] = step[key].replace("{part}", words)
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
