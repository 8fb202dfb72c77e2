"""Flows and symbols are data, validated at start-up with errors that say where (issue 2/3)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.engine.datafile import DataFileError
from bot.engine.flows import load_flow, load_flows
from bot.engine.vocabulary import Vocabulary
from bot.paths import flows_dir, media_dir

VOCABULARY = Vocabulary.load(media_dir() / "symbols.yaml")

GOOD = """\
id: tiny
title: Tiny
symbol: today
description: A tiny flow.
steps:
  - id: how
    type: choice
    prompt: How was today?
    choices: [good, bad]
  - id: words
    type: text
    prompt: Tell me more.
"""


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(body)
    return path


def test_every_shipped_flow_is_valid() -> None:
    flows = load_flows(flows_dir(), VOCABULARY)
    assert "check_in" in flows


def test_a_good_file_loads(tmp_path: Path) -> None:
    assert load_flow(write(tmp_path, GOOD), VOCABULARY).steps[1].id == "words"


@pytest.mark.parametrize(("change", "expected"), [
    (("choices: [good, bad]", "choices: [good, gobbledygook]"),
     r'tiny.yaml: steps > "how" > choices \(line 9\): .*unknown symbol id'),
    (("type: text", "type: essay"), r'tiny.yaml: steps > "words" > type \(line 11\)'),
    (("    prompt: Tell me more.\n", "    prompt: Tell me more.\n    next: nowhere\n"),
     r'tiny.yaml: top level.*goes next to unknown step'),
    (("id: words", "id: how"), r"step id\(s\) used twice"),
    (("choices: [good, bad]", "choices: [good]"), r"needs 2 to 12 choices"),
    (("symbol: today", "symbol: nope"), r"symbol \(line 3\): .*unknown symbol id\(s\) \['nope'\]"),
    (("    type: text\n", "    type: text\n    colour: red\n"),
     r'"words" > colour \(line 12\): Extra inputs'),
    (("steps:", "steps: [\n"), r"tiny.yaml line \d+: not valid YAML"),
])
def test_broken_files_name_the_file_the_step_and_the_line(
        tmp_path: Path, change: tuple[str, str], expected: str) -> None:
    with pytest.raises(DataFileError, match=expected):
        load_flow(write(tmp_path, GOOD.replace(*change)), VOCABULARY)


def test_an_empty_flows_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match="no flow files"):
        load_flows(tmp_path, VOCABULARY)
