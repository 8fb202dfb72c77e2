"""One Heading type, and a flow file's own `heading:` (issue 13, point 3).

The heading of every step of every shipped flow is held to a reviewed table in
tests/summary/test_headings_audit.py (issue 14, point 1). That table began as the one captured
here from commit afd3060, when the flows' default headings moved into the flow files, with one
reviewed change: "What would make more good days?" goes under support, not the future.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.engine.datafile import DataFileError
from bot.engine.flows import load_flow, load_flows
from bot.engine.headings import IN_FILES, Heading
from bot.engine.vocabulary import Vocabulary
from bot.paths import flows_dir, media_dir
from bot.summary import model
from bot.summary.classify import SECTIONS, step_heading

VOCABULARY = Vocabulary.load(media_dir() / "symbols.yaml")
FLOWS = load_flows(flows_dir(), VOCABULARY)

def test_an_answer_of_a_flow_that_is_gone_goes_under_other() -> None:
    assert step_heading(None, None) == (Heading.OTHER, False)


def test_one_heading_type_and_no_second_list() -> None:
    """The summary's sections gather Heading members; the flows' defaults live in the files."""
    assert {h for _, group in SECTIONS for h in group} == set(Heading)
    assert all(isinstance(h, Heading) for _, group in SECTIONS for h in group)
    assert not hasattr(model, "FLOW_HEADINGS")
    assert all(f.heading is not None for f in FLOWS.values())


TINY = """\
id: tiny
title: Tiny
symbol: today
description: A tiny flow.
{top}steps:
  - id: how
    type: choice
    prompt: How was today?
    choices: [good, bad]
  - id: words
    type: text
    prompt: Tell me more.
{own}"""


def tiny(tmp_path: Path, top: str = "", own: str = "") -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY.format(top=top, own=own))
    return path


def test_the_flow_heading_is_the_default_and_a_step_heading_wins(tmp_path: Path) -> None:
    flow = load_flow(tiny(tmp_path, "heading: support\n", "    heading: future\n"), VOCABULARY)
    assert flow.heading_of(flow.step("how")) == (Heading.SUPPORT, False)
    assert flow.heading_of(flow.step("words")) == (Heading.FUTURE, True)
    assert flow.heading_of(None) == (Heading.SUPPORT, False)


def test_a_flow_without_a_heading_goes_under_other(tmp_path: Path) -> None:
    flow = load_flow(tiny(tmp_path), VOCABULARY)
    assert flow.heading_of(flow.step("how")) == (Heading.OTHER, False)


@pytest.mark.parametrize(("top", "own", "where", "bad"), [
    ("heading: feelings\n", "", "tiny.yaml: heading (line 5)", "'feelings'"),
    ("", "    heading: good_day\n", 'tiny.yaml: steps > "words" > heading (line 13)',
     "'good_day'"),
    ("heading: other\n", "", "tiny.yaml: heading (line 5)", "'other'"),
    ("heading: [working]\n", "", "tiny.yaml: heading (line 5)", "['working']"),
])
def test_a_bad_heading_stops_start_up_naming_the_file_and_the_value(
        tmp_path: Path, top: str, own: str, where: str, bad: str) -> None:
    with pytest.raises(DataFileError) as error:
        load_flow(tiny(tmp_path, top, own), VOCABULARY)
    said = str(error.value)
    assert said.startswith(where), said
    assert f"unknown heading {bad}" in said
    assert all(h.value in said for h in IN_FILES)
