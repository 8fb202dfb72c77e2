"""One Heading type, and a flow file's own `heading:` (issue 13, point 3).

The table below was captured from the code at commit afd3060, before the flows' default
headings moved from bot/summary/model.py (FLOW_HEADINGS) into the flow files: the heading
(and whether it was the step's own) of every step of every shipped flow, and of an answer
at a step the flow no longer has. The refactor keeps every answer's heading exactly.
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

# (flow id, step id or None: a step the flow no longer has) -> (heading, the step's own?)
BEFORE: dict[tuple[str, str | None], tuple[str, bool]] = {
    # check_in
    ('check_in', 'how'): ('good_days', False),
    ('check_in', 'what_good'): ('good_days', False),
    ('check_in', 'what_bad'): ('good_days', False),
    ('check_in', 'what_made'): ('good_days', False),
    ('check_in', 'own_words'): ('good_days', False),
    ('check_in', None): ('good_days', False),
    # good_day_bad_day
    ('good_day_bad_day', 'how_morning'): ('good_days', False),
    ('good_day_bad_day', 'why_good_morning'): ('good_days', True),
    ('good_day_bad_day', 'why_bad_morning'): ('bad_days', True),
    ('good_day_bad_day', 'how_getting_to_school'): ('good_days', False),
    ('good_day_bad_day', 'why_good_getting_to_school'): ('good_days', True),
    ('good_day_bad_day', 'why_bad_getting_to_school'): ('bad_days', True),
    ('good_day_bad_day', 'how_lessons'): ('good_days', False),
    ('good_day_bad_day', 'why_good_lessons'): ('good_days', True),
    ('good_day_bad_day', 'why_bad_lessons'): ('bad_days', True),
    ('good_day_bad_day', 'how_break_lunch'): ('good_days', False),
    ('good_day_bad_day', 'why_good_break_lunch'): ('good_days', True),
    ('good_day_bad_day', 'why_bad_break_lunch'): ('bad_days', True),
    ('good_day_bad_day', 'how_after_school'): ('good_days', False),
    ('good_day_bad_day', 'why_good_after_school'): ('good_days', True),
    ('good_day_bad_day', 'why_bad_after_school'): ('bad_days', True),
    ('good_day_bad_day', 'how_evening'): ('good_days', False),
    ('good_day_bad_day', 'why_good_evening'): ('good_days', True),
    ('good_day_bad_day', 'why_bad_evening'): ('bad_days', True),
    ('good_day_bad_day', 'how_bedtime'): ('good_days', False),
    ('good_day_bad_day', 'why_good_bedtime'): ('good_days', True),
    ('good_day_bad_day', 'why_bad_bedtime'): ('bad_days', True),
    ('good_day_bad_day', 'more_good'): ('future', True),
    ('good_day_bad_day', 'own_words'): ('good_days', False),
    ('good_day_bad_day', None): ('good_days', False),
    # important_to_for
    ('important_to_for', 'people'): ('important_to', True),
    ('important_to_for', 'places'): ('important_to', True),
    ('important_to_for', 'activities'): ('important_to', True),
    ('important_to_for', 'things'): ('important_to', True),
    ('important_to_for', 'routines'): ('important_to', True),
    ('important_to_for', 'to_words'): ('important_to', True),
    ('important_to_for', 'for_health'): ('important_for', True),
    ('important_to_for', 'for_words'): ('important_for', True),
    ('important_to_for', None): ('important_to', False),
    # my_meeting
    ('my_meeting', 'talk_about'): ('questions', True),
    ('my_meeting', 'questions'): ('questions', True),
    ('my_meeting', 'who'): ('take_part', True),
    ('my_meeting', 'how'): ('take_part', True),
    ('my_meeting', None): ('take_part', False),
    # one_page_profile
    ('one_page_profile', 'admire'): ('like_admire', True),
    ('one_page_profile', 'admire_words'): ('like_admire', True),
    ('one_page_profile', 'important'): ('important_to', True),
    ('one_page_profile', 'support'): ('support', True),
    ('one_page_profile', 'photo'): ('about_me', True),
    ('one_page_profile', None): ('about_me', False),
    # supporter_view
    ('supporter_view', 'working'): ('working', True),
    ('supporter_view', 'not_working'): ('not_working', True),
    ('supporter_view', 'admire'): ('like_admire', True),
    ('supporter_view', None): ('working', False),
    # talking_mat
    ('talking_mat', 'mat'): ('talking_mat', True),
    ('talking_mat', 'more'): ('talking_mat', True),
    ('talking_mat', None): ('talking_mat', False),
    # working_not_working
    ('working_not_working', 'school'): ('working', False),
    ('working_not_working', 'school_why'): ('working', False),
    ('working_not_working', 'home'): ('working', False),
    ('working_not_working', 'home_why'): ('working', False),
    ('working_not_working', 'friends'): ('working', False),
    ('working_not_working', 'friends_why'): ('working', False),
    ('working_not_working', 'talking'): ('working', False),
    ('working_not_working', 'talking_why'): ('working', False),
    ('working_not_working', None): ('working', False),
}
# How am I getting on? (issue 14, point 3): every round of every outcome slot, and "anything".
BEFORE.update({('how_am_i_getting_on', f'{step}_outcome_{n}'): ('outcomes', False)
               for step in ('view', 'helps', 'words') for n in range(1, 9)})
BEFORE.update({('how_am_i_getting_on', 'anything'): ('outcomes', False),
               ('how_am_i_getting_on', None): ('outcomes', False)})


def test_the_table_covers_every_step_of_every_shipped_flow() -> None:
    expected = {(f.id, s.id) for f in FLOWS.values() for s in f.steps}
    expected |= {(f.id, None) for f in FLOWS.values()}
    assert set(BEFORE) == expected


@pytest.mark.parametrize(("flow_id", "step_id"), sorted(BEFORE, key=str))
def test_every_answer_keeps_its_heading(flow_id: str, step_id: str | None) -> None:
    flow = FLOWS[flow_id]
    step = flow.step(step_id) if step_id is not None else None
    heading, explicit = step_heading(flow, step)
    assert (heading, explicit) == BEFORE[(flow_id, step_id)]
    assert isinstance(heading, Heading)


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
