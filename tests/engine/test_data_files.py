"""Flows and symbols are data, validated at start-up with errors that say where (issue 2/3)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

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


# -- repeated prompts (issue 12, point 6) -----------------------------------------------------

REPEATED = """\
id: tiny
title: Tiny
symbol: today
description: A tiny flow.
steps:
  - repeat:
      - {item: morning, part: the morning, is: is}
      - {item: lessons, part: lessons, is: are}
    steps:
      - id: how
        type: choice
        prompt: "How {is} {part} for you?"
        choices: [good, bad]
"""


def repeat_blocks(path: Path) -> list[dict]:
    """The file's `repeat:` blocks over items written in it (not `repeat: outcomes`, whose
    rounds are a young person's outcomes, given when a run starts: their prompts never vary)."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [entry for entry in raw["steps"] if isinstance(entry, dict) and "repeat" in entry
            and isinstance(entry["repeat"], list)]


def plural(phrase: str) -> bool:
    """Enough English for the items shipped: "break and lunch", "lessons" are plural;
    "after school", "the morning" are not."""
    last = phrase.split()[-1]
    return " and " in phrase or (last.endswith("s") and not last.endswith(("ss", "is", "us")))


SHIPPED_REPEATS = [(path.name, n, item) for path in sorted(flows_dir().glob("*.yaml"))
                   for block in repeat_blocks(path) for n, item in enumerate(block["repeat"])]
SHIPPED_TEMPLATES = [(path.name, str(step["id"])) for path in sorted(flows_dir().glob("*.yaml"))
                     for block in repeat_blocks(path) for step in block["steps"]]


def test_some_shipped_flow_repeats() -> None:
    assert ("good_day_bad_day.yaml", "how") in SHIPPED_TEMPLATES


def item_words(prompts: list[str]) -> list[tuple[str, list[str]]]:
    """Each round's own words in one repeated prompt: what differs between the rounds, with
    the word before it ("How is | the morning | for you?")."""
    split = [p.split() for p in prompts]
    head = 0
    while all(len(w) > head and w[head] == split[0][head] for w in split):
        head += 1
    tail = 0
    while all(len(w) > head + tail and w[-1 - tail] == split[0][-1 - tail] for w in split):
        tail += 1
    before = split[0][head - 1] if head else ""
    return [(before, w[head:len(w) - tail]) for w in split]


@pytest.mark.parametrize(("name", "template"), SHIPPED_TEMPLATES)
def test_every_repeated_prompt_reads_right(name: str, template: str) -> None:
    """Every round of a repeated prompt, as rendered: no brace left, an item's proper words
    (PE, TV) not lower-cased, and "is" or "are" to agree with the item's words."""
    flow = load_flow(flows_dir() / name, VOCABULARY)
    rounds = [s for s in flow.steps if s.round and s.id == f"{template}_{s.round}"]
    assert rounds, f"{name}: no rounds of {template}"
    for (before, own), step in zip(item_words([s.prompt for s in rounds]), rounds, strict=True):
        prompt = step.prompt
        assert "{" not in prompt and "}" not in prompt, prompt
        for word in VOCABULARY[str(step.round)].words.split():
            if word[1:] != word[1:].lower():  # initials or a name: keeps its capitals
                assert word.lower() not in prompt.split(), f"{prompt!r} lower-cases {word}"
        if own and own[0] in ("is", "are"):
            before, own = own[0], own[1:]
        if before in ("is", "are") and own:
            said = " ".join(own)
            assert before == ("are" if plural(said) else "is"), f"{name}: {prompt!r}"


def test_the_phrase_tables_agree() -> None:
    for name, _, item in SHIPPED_REPEATS:
        if isinstance(item, dict) and "is" in item:
            assert item["is"] == ("are" if plural(item["part"]) else "is"), (name, item)


def test_the_good_day_prompts_read_as_written() -> None:
    flow = load_flow(flows_dir() / "good_day_bad_day.yaml", VOCABULARY)
    assert flow.step("how_lessons").prompt == "How are lessons for you?"
    assert flow.step("how_break_lunch").prompt == "How are break and lunch for you?"
    assert flow.step("how_morning").prompt == "How is the morning for you?"
    assert flow.step("why_bad_after_school").prompt == "What makes after school bad?"


def test_a_repeat_block_fills_in_each_items_words(tmp_path: Path) -> None:
    flow = load_flow(write(tmp_path, REPEATED), VOCABULARY)
    assert [s.prompt for s in flow.steps] == ["How is the morning for you?",
                                             "How are lessons for you?"]
    assert [s.round for s in flow.steps] == ["morning", "lessons"]


@pytest.mark.parametrize(("change", "expected"), [
    (("{part} for you", "{parts} for you"), r"no phrase for \{parts\}"),
    (("part: lessons, is: are", "is: are"), r"repeat item lessons: no phrase for \{part\}"),
    (("is: are}", "is: are, was: were}"), r"repeat item lessons: no prompt uses the phrase 'was'"),
    (("How {is} {part}", "How {is {part}"), r'"how": in "How \{is \{part\} .*write each'),
    (("How {is} {part}", "How {Is} {part}"), r'"how": in "How \{Is\} .*write each'),
    (("- {item: morning, part: the morning, is: is}", "- morning"),
     r"repeat item morning: no phrase for \{is\}"),
    (("{item: lessons,", "{thing: lessons,"), r"give the symbol id"),
    (("part: the morning,", "part: '',"), r"phrase 'part' must be words"),
])
def test_a_broken_repeat_block_names_the_file_and_the_item(
        tmp_path: Path, change: tuple[str, str], expected: str) -> None:
    with pytest.raises(DataFileError, match=r"tiny.yaml: .*" + expected):
        load_flow(write(tmp_path, REPEATED.replace(*change)), VOCABULARY)


def test_a_placeholder_outside_a_repeat_block_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match=r'tiny.yaml: steps > "how" > prompt.*\{ or \}'):
        load_flow(write(tmp_path, GOOD.replace("How was today?", "How was {part}?")),
                  VOCABULARY)


def test_a_flow_that_goes_back_is_an_error(tmp_path: Path) -> None:
    """Parts are counted down the file, so a step may only go on to a later one."""
    body = GOOD.replace("    prompt: Tell me more.\n", "    prompt: Tell me more.\n    next: how\n")
    with pytest.raises(DataFileError, match=r'tiny.yaml: .*"words" goes back to \[\'how\'\]'):
        load_flow(write(tmp_path, body), VOCABULARY)
