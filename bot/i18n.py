"""User-facing words, from media/locales/<language>.yaml. A new language is a new file."""

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
        english = cls("en", _read(directory / "en.yaml"))
        if language == "en":
            return english
        return cls(language, _read(directory / f"{language}.yaml"), fallback=english)

    def has(self, key: str) -> bool:
        return key in self._words or (self._fallback is not None and self._fallback.has(key))

    def __call__(self, key: str, **fields: Any) -> str:
        if key in self._words:
            return self._words[key].format(**fields) if fields else self._words[key]
        if self._fallback is not None:
            return self._fallback(key, **fields)
        raise KeyError(f"no words for '{key}' in media/locales/{self.language}.yaml")


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
