"""Locale styles (issue 15, point 4): the grown-up overlay, media/locales/en/grown_up/, is
data checked at start-up, looked up in the one place words are (bot.i18n.Locale)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.engine.datafile import DataFileError
from bot.i18n import STYLES, Locale, fields_of
from bot.paths import media_dir

LOCALES = media_dir() / "locales"
# What the grown-up style never says (the young style's cheering).
CHEERS = ("🎉", "🌟", "💛", "⭐", "✨", "🥳", "👏", "Well done", "right thing", "Thank you!")


def _locales(tmp_path: Path, overlay: str, style: str = "grown_up") -> Path:
    (tmp_path / "en" / style).mkdir(parents=True)
    (tmp_path / "en" / "core.yaml").write_text(
        "hello: \"Hello {name}! 🎉\"\nbye: Bye\n", encoding="utf-8")
    (tmp_path / "en" / style / "plain.yaml").write_text(overlay, encoding="utf-8")
    return tmp_path


def test_a_style_overrides_only_its_keys_and_falls_back_to_the_words_as_written(
        tmp_path: Path) -> None:
    say = Locale.load(_locales(tmp_path, "hello: \"Hello {name}.\"\n"))
    assert say("hello", name="Jo") == "Hello Jo! 🎉"
    grown = say.styled("grown_up")
    assert grown("hello", name="Jo") == "Hello Jo." and grown("bye") == "Bye"
    assert say.styled("young") is say and say.styled(None) is say
    assert say.styled("nonsense") is say
    assert grown.styled("young") is say and say.styled("grown_up") is grown
    assert say.keys() == ["hello", "bye"]  # an overlay adds no keys


@pytest.mark.parametrize(("overlay", "problem"), [
    ("goodbye: Bye\n", "'goodbye' overrides no key"),
    ("hello: Hello.\n", "'hello' fills in []"),
    ("hello: \"Hello {nam}.\"\n", "'hello' fills in ['nam']"),
])
def test_an_overlay_key_that_overrides_nothing_or_changes_its_fields_stops_start_up(
        tmp_path: Path, overlay: str, problem: str) -> None:
    with pytest.raises(DataFileError, match=problem.replace("[", r"\[").replace("]", r"\]")):
        Locale.load(_locales(tmp_path, overlay))


def test_a_folder_that_names_no_style_stops_start_up(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match="teen: not a style"):
        Locale.load(_locales(tmp_path, "bye: Bye\n", style="teen"))


def test_another_language_takes_the_english_words_under_its_overlay(tmp_path: Path) -> None:
    _locales(tmp_path, "bye: Bye.\n")
    (tmp_path / "cy" / "grown_up").mkdir(parents=True)
    (tmp_path / "cy" / "core.yaml").write_text("bye: Hwyl\n", encoding="utf-8")
    (tmp_path / "cy" / "grown_up" / "plain.yaml").write_text("hello: \"Helo {name}.\"\n",
                                                             encoding="utf-8")
    cy = Locale.load(tmp_path, "cy").styled("grown_up")
    assert cy("hello", name="Jo") == "Helo Jo." and cy("bye") == "Hwyl"


def test_the_shipped_overlay_overrides_existing_keys_with_the_same_fields() -> None:
    say = Locale.load(LOCALES)
    styled = [s for s in STYLES if say.overlay_keys(s)]
    assert styled == ["grown_up"]
    for key in say.overlay_keys("grown_up"):
        assert key in say.keys(), key
        assert fields_of(say.styled("grown_up")._overlays["grown_up"][key]) == \
            fields_of(say._words[key]), key


def test_the_grown_up_style_says_nothing_cheering() -> None:
    """Every word MySay has, in the grown-up style: no celebratory emoji or cheering phrase
    (the young style says them: the check would catch them)."""
    say = Locale.load(LOCALES)
    grown = say.styled("grown_up")
    cheering = {key: grown(key) for key in say.keys() if any(c in grown(key) for c in CHEERS)}
    assert cheering == {}
    assert any(c in say(key) for key in say.keys() for c in CHEERS)
