"""Plain language (issue 3, point 9): short sentences, easy words, a picture for every choice.

Both styles pass the same test (issue 15, point 4): every key below and every key the
grown-up style words differently (media/locales/en/grown_up/), in the young style and in the
grown-up style."""

from __future__ import annotations

import re

import pytest
import textstat

from bot.i18n import STYLES
from bot.services import load_content

CONTENT = load_content()
MAX_WORDS = 15
MIN_EASE = 80
# Words the young person reads that are not part of a flow file.
YOUNG_PERSON_KEYS = [
    "privacy.hello", "hello_stranger", "menu_prompt", "review_prompt", "change_prompt",
    "helped_prompt", "mat_place_prompt", "mat_review_prompt", "mat_move_prompt", "paused",
    "shared", "kept", "use_buttons", "type_now", "first_question", "pick_or_skip",
    "empty_text", "stale_button", "edited_ignored", "too_long", "no_voice", "media_too_big",
    "media_not_fetched", "media_not_here", "photo_unreadable", "mydata.picture_unreadable",
    "remind.text", "young_person_help", "privacy_short", "welcome_young_person",
    "forwarded_kept", "file_words_kept", "album_not_here", "album_file_not_kept",
    "answer.forwarded",
    "consent_later", "consent_ready", "consent_later_link", "safety.carry_on",
]
FIELDS = {"card": "Maths", "topic": "School", "name": "Jo", "limit": "2000"}


def prompts() -> list[tuple[str, str]]:
    """(where, words) for every flow step's question, and for each style every key a young
    person reads (YOUNG_PERSON_KEYS and the keys a style words differently)."""
    found = [(f"{flow.id}/{step.id}", step.prompt)
             for flow in CONTENT.engine.flows.values() for step in flow.steps]
    styled = [k for style in STYLES for k in CONTENT.locale.overlay_keys(style)]
    keys = list(dict.fromkeys([*YOUNG_PERSON_KEYS, *styled]))
    for style in STYLES:
        say = CONTENT.locale.styled(style)
        found += [(f"{style}: {key}", say(key, **FIELDS)) for key in keys]
    return found


def prose(text: str) -> str:
    """Commands like /menu are names to tap, not words to read: leave them out of the score."""
    return re.sub(r"/[a-z_]+:?", "", text)


def sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.?!])\s+|\n+", text) if s.strip()]


# "Part 2 of 5" and the Talking Mat's card count (issue 12, point 5).
YOUNG_PERSON_KEYS += ["part_of", "card_of", "mat_card_count"]
FIELDS.update(n="2", total="8", count="8")
# The fields of the words the grown-up style changes (safety replies, /mine, supporters).
FIELDS.update(helper="your therapist", who="Sam", title="How was today", date="3 May",
              relationship="mum")


@pytest.mark.parametrize(("where", "text"), prompts())
def test_every_prompt_is_short_and_easy(where: str, text: str) -> None:
    longest = max(len(s.split()) for s in sentences(text))
    assert longest <= MAX_WORDS, f"{where}: a sentence of {longest} words"
    assert textstat.flesch_reading_ease(prose(text)) >= MIN_EASE, f"{where}: hard to read"


def test_every_choice_has_a_picture_and_words() -> None:
    vocabulary = CONTENT.vocabulary
    for flow in CONTENT.engine.flows.values():
        for step in flow.steps:
            for symbol_id in [*step.choices, *step.scale, *step.topics,
                              *(c for cards in step.topics.values() for c in cards)]:
                symbol = vocabulary[symbol_id]
                assert symbol.emoji and symbol.words, f"{flow.id}/{step.id}: {symbol_id}"


def test_a_hard_sentence_would_fail() -> None:
    """The checks above can fail: a long, hard sentence does."""
    hard = ("Notwithstanding considerable institutional heterogeneity, multidisciplinary "
            "practitioners collaboratively operationalise individualised educational provision.")
    assert textstat.flesch_reading_ease(hard) < MIN_EASE
    assert max(len(s.split()) for s in sentences("one " * 16)) > MAX_WORDS
