"""The symbol vocabulary (media/symbols.yaml): shape, coverage, and every picture in OpenMoji."""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from PIL import Image, ImageDraw, ImageFont

from bot.paths import media_dir
from bot.render import fonts

CATEGORIES = {
    "feelings",
    "people",
    "places",
    "school",
    "activities",
    "food",
    "body_health",
    "communication",
    "times_of_day",
    "controls",
    "scale",
    "things",
}

# Ids that flows and the Telegram adapter rely on: renaming one breaks stored answers.
REQUIRED_IDS = {
    # feelings
    "good", "ok", "bad", "not_sure", "happy", "sad", "angry", "worried", "scared", "tired",
    "calm", "excited", "bored", "proud", "confused", "lonely",
    # people
    "mum", "dad", "carer", "brother", "sister", "grandparent", "friend", "teacher",
    "teaching_assistant", "therapist", "doctor", "me", "pet", "everyone",
    # places
    "home", "school", "classroom", "playground", "park", "shops", "hospital", "car", "bus",
    "bedroom", "outside", "quiet_place",
    # school
    "lessons", "maths", "reading", "writing", "art", "music", "pe", "computer", "homework",
    "break", "lunch", "getting_to_school", "test",
    # activities
    "games", "tv", "football", "swimming", "drawing", "music_listening", "dancing", "cooking",
    "walking", "video_games", "phone", "reading_books",
    # body and health
    "sleep", "medicine", "pain", "headache", "toilet", "exercise", "eating_well", "safe", "hurt",
    "feeling_unsafe",
    # communication supports
    "give_me_time", "use_pictures", "show_me", "say_it_again", "short_words", "write_it_down",
    "sign_language", "talking_mat", "ask_me_first", "one_thing_at_a_time",
    # times of day
    "morning", "break_lunch", "after_school", "evening", "bedtime", "today", "week",
    # scale
    "like", "dont_like", "working", "not_working",
    # controls
    "yes_share", "keep_private", "back", "skip", "dont_know", "something_else", "stop_for_now",
    "read_to_me", "done", "change", "this_is_right", "help",
    # things
    "my_phone", "toys", "books", "photos",
    # the meeting
    "meeting", "calendar", "question", "talk_about", "be_there", "send_pictures", "someone_reads",
}  # fmt: skip

SNAKE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
SKIN_TONES = {chr(c) for c in range(0x1F3FB, 0x1F400)}


def _path() -> Path:
    return media_dir() / "symbols.yaml"


@lru_cache(maxsize=1)
def _load() -> dict[str, Any]:
    with _path().open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _symbols() -> list[dict[str, Any]]:
    return _load()["symbols"]


@lru_cache(maxsize=1)
def _openmoji_sequences() -> frozenset[str]:
    """Every sequence OpenMoji draws, from its SVG file names (e.g. 1F9D1-200D-1F3EB)."""
    svg = fonts.emoji_font_path().parent.parent / "svg"
    return frozenset(p.name[: -len(".svg")] for p in svg.iterdir() if p.name.endswith(".svg"))


def _codes(emoji: str, keep_vs16: bool = True) -> str:
    return "-".join(f"{ord(c):04X}" for c in emoji if keep_vs16 or c != "\ufe0f")


def _render(emoji: str, size: int = 96) -> Image.Image:
    font = ImageFont.truetype(
        str(fonts.emoji_font_path()), size, layout_engine=ImageFont.Layout.RAQM
    )
    img = Image.new("RGB", (size * 3, size * 2), (255, 255, 255))
    ImageDraw.Draw(img).text((size, size), emoji, font=font, embedded_color=True, anchor="mm")
    return img


def test_file_loads_with_attribution() -> None:
    text = _path().read_text(encoding="utf-8")
    assert "OpenMoji" in text and "CC BY-SA 4.0" in text
    data = _load()
    assert isinstance(data["symbols"], list)
    assert "CC BY-SA 4.0" in data["attribution"]


def test_enough_unique_snake_case_ids() -> None:
    ids = [s["id"] for s in _symbols()]
    assert len(ids) >= 140
    assert all(isinstance(i, str) for i in ids), "quote ids YAML reads as booleans (yes/no)"
    duplicates = [i for i, n in Counter(ids).items() if n > 1]
    assert not duplicates
    assert all(SNAKE.match(i) for i in ids), [i for i in ids if not SNAKE.match(i)]


def test_required_ids_present() -> None:
    missing = REQUIRED_IDS - {s["id"] for s in _symbols()}
    assert not missing


def test_fields_and_words() -> None:
    for s in _symbols():
        assert set(s) == {"id", "words", "emoji", "category"}, s
        words = s["words"]
        assert isinstance(words, str) and words.strip(), s
        assert len(words.split()) <= 3, s
        assert words == words.strip() and words[0].isupper(), s
        assert s["category"] in CATEGORIES, s


def test_every_category_has_five_cards() -> None:
    counts = Counter(s["category"] for s in _symbols())
    assert set(counts) == CATEGORIES
    assert min(counts.values()) >= 5, counts


def test_emoji_are_distinct_and_without_skin_tones() -> None:
    emoji = [s["emoji"] for s in _symbols()]
    duplicates = [e for e, n in Counter(emoji).items() if n > 1]
    assert not duplicates, "two cards with the same picture are easy to confuse"
    for e in emoji:
        assert e and not (set(e) & SKIN_TONES), e


def test_every_emoji_is_an_openmoji_sequence() -> None:
    known = _openmoji_sequences()
    missing = [
        (s["id"], _codes(s["emoji"]))
        for s in _symbols()
        if _codes(s["emoji"]) not in known and _codes(s["emoji"], keep_vs16=False) not in known
    ]
    assert not missing


@pytest.mark.parametrize("symbol", _symbols(), ids=lambda s: s["id"])
def test_every_emoji_renders_one_picture(symbol: dict[str, Any]) -> None:
    size = 96
    img = _render(symbol["emoji"], size)
    ink_mask = img.convert("L").point(lambda v: 255 if v < 250 else 0)
    box = ink_mask.getbbox()
    assert box is not None, "blank"
    width = box[2] - box[0]
    # one glyph, not a ZWJ sequence falling apart into several
    assert width <= size * 1.45, (symbol["id"], width)
    missing = _render("\u0378", size)  # the font's "missing glyph" box
    assert img.tobytes() != missing.tobytes(), "drawn as the missing-glyph box"
    ink = ink_mask.histogram()[255]
    assert ink > 150, (symbol["id"], ink)
