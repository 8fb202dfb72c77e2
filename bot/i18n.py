"""User-facing words, from media/locales/<language>/*.yaml (one file per part of MySay).

A new language is a new folder of files; a key missing there falls back to English.

A style is an overlay: media/locales/<language>/<style>/*.yaml holds the keys whose words
differ in that style (issue 15, point 4: "grown_up", the plain style, without cheering
emoji or phrases). Each overlay key must override a key of the language (or of English),
with the same {fields}; `Locale.load` checks that at start-up. `Locale.styled(style)` is the
same words with the style's overlay on top, and `Locale.__call__` is the one place a key is
looked up, so every word MySay says follows the person's style.
"""

from __future__ import annotations

import string
from pathlib import Path
from typing import Any

import yaml

from bot.engine.datafile import DataFileError

DEFAULT_STYLE = "young"  # the words as written in media/locales/<language>/*.yaml
STYLES = (DEFAULT_STYLE, "grown_up")  # a style other than the default is an overlay folder


class Locale:
    """The words of one language (with English behind it) in one style."""

    def __init__(self, language: str, words: dict[str, str], fallback: Locale | None = None,
                 overlays: dict[str, dict[str, str]] | None = None,
                 style: str = DEFAULT_STYLE) -> None:
        self.language = language
        self.style = style
        self._words = words
        self._fallback = fallback
        self._overlays = overlays or {}
        self._styled: dict[str, Locale] = {style: self}

    @classmethod
    def load(cls, directory: Path, language: str = "en") -> Locale:
        """The words of `language` from `directory` (media/locales), English behind them.

        Raises DataFileError for an unreadable file, a key defined twice, an overlay folder
        that names no style, or an overlay key that overrides nothing or changes its fields.
        """
        words, overlays = _read_language(directory / "en")
        english = cls("en", words, overlays=overlays)
        if language == "en":
            return english
        words, overlays = _read_language(directory / language, behind=english._words)
        return cls(language, words, fallback=english, overlays=overlays)

    def styled(self, style: str | None) -> Locale:
        """These words in `style` ("young", "grown_up"; None or an unknown style: the
        default). The same object each time for one style."""
        style = style if style in STYLES else DEFAULT_STYLE
        if style not in self._styled:
            fallback = self._fallback.styled(style) if self._fallback is not None else None
            made = Locale(self.language, self._words, fallback, self._overlays, style)
            made._styled = self._styled
            self._styled[style] = made
        return self._styled[style]

    def has(self, key: str) -> bool:
        return key in self._words or (self._fallback is not None and self._fallback.has(key))

    def __call__(self, key: str, **fields: Any) -> str:
        """The words of `key` in this style, with `fields` filled in.

        Raises KeyError when neither this language nor English has the key."""
        words = self._overlays.get(self.style, {}).get(key)
        if words is None:
            words = self._words.get(key)
        if words is not None:
            return words.format(**fields) if fields else words
        if self._fallback is not None:
            return self._fallback(key, **fields)
        raise KeyError(f"no words for '{key}' in media/locales/{self.language}/")

    def keys(self) -> list[str]:
        """The language's own keys (the default style's; an overlay adds none)."""
        return list(self._words)

    def overlay_keys(self, style: str) -> list[str]:
        """The keys `style` words differently in this language (none for the default)."""
        return list(self._overlays.get(style, {}))


def fields_of(words: str) -> set[str]:
    """The {fields} a locale text fills in: "Hello {name}" -> {"name"}."""
    return {field for _, field, _, _ in string.Formatter().parse(words) if field}


def _read_language(folder: Path, behind: dict[str, str] | None = None
                   ) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """A language folder's words and its style overlays (checked against the words and, for
    a language other than English, the English words `behind` them)."""
    words = _read_folder(folder)
    base = {**(behind or {}), **words}
    overlays: dict[str, dict[str, str]] = {}
    for sub in sorted(p for p in folder.iterdir() if p.is_dir()):
        if sub.name not in STYLES or sub.name == DEFAULT_STYLE:
            raise DataFileError(f"{folder.name}/{sub.name}: not a style (styles: "
                                f"{', '.join(s for s in STYLES if s != DEFAULT_STYLE)})")
        overlays[sub.name] = _checked_overlay(_read_folder(sub), base, f"{folder.name}/{sub.name}")
    return words, overlays


def _checked_overlay(overlay: dict[str, str], base: dict[str, str],
                     where: str) -> dict[str, str]:
    """`overlay` if every key overrides a key of `base` with the same {fields}; else raises
    DataFileError naming the key."""
    for key, words in overlay.items():
        if key not in base:
            raise DataFileError(f"{where}: '{key}' overrides no key of the language")
        if fields_of(words) != fields_of(base[key]):
            raise DataFileError(
                f"{where}: '{key}' fills in {sorted(fields_of(words))}, the words it overrides "
                f"{sorted(fields_of(base[key]))}")
    return overlay


def _read_folder(folder: Path) -> dict[str, str]:
    words: dict[str, str] = {}
    files = sorted(folder.glob("*.yaml"))
    if not files:
        raise DataFileError(f"no locale files in {folder}")
    for path in files:
        for key, value in _read(path).items():
            if key in words:
                raise DataFileError(f"{folder.name}/{path.name}: '{key}' is defined twice")
            words[key] = value
    return words


def _read(path: Path) -> dict[str, str]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise DataFileError(f"{path.name}: cannot read locale file ({exc})") from exc
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in data.items()
    ):
        raise DataFileError(f"{path.name}: a locale file is a list of key: words lines")
    return data
