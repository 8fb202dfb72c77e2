"""Flow definitions: one YAML file per co-production tool in flows/, validated at start-up."""

from __future__ import annotations

import enum
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationInfo, field_validator, model_validator

from bot.engine.datafile import DataFileError, parse_model
from bot.engine.vocabulary import Vocabulary

_ID = re.compile(r"^[a-z][a-z0-9_]{0,30}$")
END = "end"
MAX_CHOICES = 12


class StepType(enum.StrEnum):
    CHOICE = "choice"  # pick one picture
    MULTI = "multi"  # pick any number, ticks shown, then Done
    TEXT = "text"  # own words (typed; voice and photos come with the visual flows)


class Step(BaseModel):
    model_config = {"extra": "forbid"}

    id: str
    type: StepType
    prompt: str = Field(min_length=1, max_length=200)
    choices: list[str] = Field(default_factory=list)
    # Where to go next: a step id, "end", or {choice id: step id} with an optional "default".
    next: str | dict[str, str] | None = None

    @field_validator("id")
    @classmethod
    def _id_shape(cls, value: str) -> str:
        if not _ID.match(value) or value == END:
            raise ValueError("step ids are lower-case letters, digits and _, and not 'end'")
        return value

    @field_validator("choices")
    @classmethod
    def _choices_known(cls, value: list[str], info: ValidationInfo) -> list[str]:
        vocabulary: Vocabulary | None = (info.context or {}).get("vocabulary")
        if vocabulary is not None:
            unknown = [c for c in value if c not in vocabulary]
            if unknown:
                raise ValueError(f"unknown symbol id(s) {unknown}: add them to media/symbols.yaml")
        if len(set(value)) != len(value):
            raise ValueError("a choice is listed twice")
        return value

    @model_validator(mode="after")
    def _choices_fit_type(self) -> Step:
        if self.type is StepType.TEXT and self.choices:
            raise ValueError("a text step has no choices")
        if self.type is not StepType.TEXT and not 2 <= len(self.choices) <= MAX_CHOICES:
            raise ValueError(f"a {self.type.value} step needs 2 to {MAX_CHOICES} choices")
        if isinstance(self.next, dict):
            if self.type is not StepType.CHOICE:
                raise ValueError("only a choice step can branch on the choice")
            stray = set(self.next) - set(self.choices) - {"default"}
            if stray:
                raise ValueError(f"next names choices this step does not offer: {sorted(stray)}")
        return self

    def targets(self) -> list[str]:
        if self.next is None:
            return []
        return list(self.next.values()) if isinstance(self.next, dict) else [self.next]


class Flow(BaseModel):
    model_config = {"extra": "forbid"}

    id: str
    title: str = Field(min_length=1, max_length=60)
    symbol: str
    description: str = Field(min_length=1, max_length=200)
    steps: list[Step] = Field(min_length=1)

    @field_validator("id")
    @classmethod
    def _id_shape(cls, value: str) -> str:
        if not _ID.match(value):
            raise ValueError("flow ids are lower-case letters, digits and _")
        return value

    @field_validator("symbol")
    @classmethod
    def _symbol_known(cls, value: str, info: ValidationInfo) -> str:
        vocabulary: Vocabulary | None = (info.context or {}).get("vocabulary")
        if vocabulary is not None and value not in vocabulary:
            raise ValueError(f"unknown symbol id '{value}': add it to media/symbols.yaml")
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


def as_data(flow: Flow) -> dict[str, Any]:
    return flow.model_dump(mode="json")
