"""User-facing words, from media/locales/<language>/*.yaml (one file per part of MySay).

A new language is a new folder of files; a key missing there falls back to English.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bot.engine.datafile import DataFileError


class Locale:
    def __init__(self, language: str, words: dict[str, str], fallback: Locale | None = None):
        self.language = language
        self._words = words
        self._fallback = fallback

    @classmethod
    def load(cls, directory: Path, language: str = "en") -> Locale:
        english = cls("en", _read_folder(directory / "en"))
        if language == "en":
            return english
        return cls(language, _read_folder(directory / language), fallback=english)

    def has(self, key: str) -> bool:
        return key in self._words or (self._fallback is not None and self._fallback.has(key))

    def __call__(self, key: str, **fields: Any) -> str:
        if key in self._words:
            return self._words[key].format(**fields) if fields else self._words[key]
        if self._fallback is not None:
            return self._fallback(key, **fields)
        raise KeyError(f"no words for '{key}' in media/locales/{self.language}/")

    def keys(self) -> list[str]:
        return list(self._words)


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
