"""Reading YAML data files with errors a person can act on: the file, the place and the line."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError


class DataFileError(ValueError):
    """A flow, symbol or locale file is broken; the message names the file, place and line."""


def _line_of(node: yaml.Node | None, loc: Sequence[int | str]) -> int | None:
    """Follow a pydantic error location through the YAML node tree to a line number."""
    line = node.start_mark.line + 1 if node is not None else None
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            match = next((v for k, v in node.value if k.value == key), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            match = node.value[key]
        else:
            match = None
        if match is None:
            break
        node = match
        line = node.start_mark.line + 1
    return line


def read_yaml(path: Path) -> tuple[Any, yaml.Node | None]:
    text = path.read_text(encoding="utf-8")
    try:
        return yaml.safe_load(text), yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise DataFileError(f"{path.name}{where}: not valid YAML ({exc})") from exc


def describe_location(data: Any, loc: Sequence[int | str]) -> str:
    """'step "how" > choices' rather than 'steps.0.choices'."""
    parts: list[str] = []
    node = data
    for key in loc:
        if isinstance(node, list) and isinstance(key, int) and key < len(node):
            item = node[key]
            ident = item.get("id") if isinstance(item, dict) else None
            parts.append(f'"{ident}"' if ident else f"item {key + 1}")
            node = item
        else:
            parts.append(str(key))
            node = node.get(key) if isinstance(node, dict) else None
    return " > ".join(parts) or "top level"


M = TypeVar("M", bound=BaseModel)


def parse_model(model: type[M], path: Path, context: dict[str, Any] | None = None) -> M:
    data, root = read_yaml(path)
    try:
        return model.model_validate(data, context=context)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = first["loc"]
        line = _line_of(root, loc)
        where = describe_location(data, loc)
        at_line = f" (line {line})" if line else ""
        more = f" [and {exc.error_count() - 1} more problem(s)]" if exc.error_count() > 1 else ""
        raise DataFileError(f"{path.name}: {where}{at_line}: {first['msg']}{more}") from exc
