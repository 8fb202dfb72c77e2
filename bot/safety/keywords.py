"""Worrying words: a configurable list, matched only as a prompt for a human to read.

A match never makes a clinical decision or a different reply by itself: it makes sure the
young person's words reach their therapist and the safeguarding contact. Matching is generous
(case, punctuation and apostrophes are ignored) but whole-word, so "hit me" does not fire on
"white meat".
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from bot.engine.datafile import DataFileError
from bot.paths import media_dir

log = logging.getLogger(__name__)

DEFAULT_FILE = "safeguarding-words.yaml"
_APOSTROPHES = re.compile(r"['’‘`´]")
_NOT_WORD = re.compile(r"[^\w]+")
_PHRASE_WORD = re.compile(r"^[a-z0-9]+\*?$")


@dataclass(frozen=True)
class Match:
    category: str
    phrase: str


def normalise(text: str) -> str:
    """Lower case, accents folded, apostrophes dropped, everything else a single space."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    folded = _APOSTROPHES.sub("", folded).replace("_", " ")
    return _NOT_WORD.sub(" ", folded).strip()


class WordList:
    """Phrases by category, compiled once."""

    def __init__(self, phrases: dict[str, list[str]]) -> None:
        self.phrases = phrases
        self._patterns: list[tuple[Match, re.Pattern[str]]] = []
        for category, items in phrases.items():
            for phrase in items:
                self._patterns.append((Match(category, phrase), _compile(phrase)))

    def __len__(self) -> int:
        return len(self._patterns)

    def find(self, text: str) -> list[Match]:
        """Every listed phrase in `text`, in list order (empty when nothing matched)."""
        clean = f" {normalise(text)} "
        return [match for match, pattern in self._patterns if pattern.search(clean)]


def _compile(phrase: str) -> re.Pattern[str]:
    words = []
    for word in phrase.split():
        stem = re.escape(word.rstrip("*"))
        words.append(stem + r"\w*" if word.endswith("*") else stem)
    return re.compile(r"(?<!\w)" + r"\s+".join(words) + r"(?!\w)")


def load(path: Path) -> WordList:
    """Read and check a words file; a broken file stops start-up with the file and the reason."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise DataFileError(f"{path.name}: cannot read the safeguarding words ({exc})") from exc
    if not isinstance(data, dict) or not data:
        raise DataFileError(f"{path.name}: expected categories, each with a list of phrases")
    phrases: dict[str, list[str]] = {}
    for category, items in data.items():
        if not isinstance(category, str) or not isinstance(items, list) or not items:
            raise DataFileError(f"{path.name}: '{category}' needs a list of phrases")
        clean = []
        for item in items:
            phrase = " ".join(normalise(w) + ("*" if w.endswith("*") else "")
                              for w in str(item).split())
            if not isinstance(item, str) or not phrase or not all(
                    _PHRASE_WORD.match(w) for w in phrase.split()):
                raise DataFileError(f"{path.name}: '{category}': {item!r} is not a phrase of "
                                    "words (letters and numbers, * only at a word's end)")
            clean.append(phrase)
        phrases[category] = clean
    return WordList(phrases)


def words_path(configured: Path | None) -> Path:
    return configured if configured is not None else media_dir() / DEFAULT_FILE


@lru_cache(maxsize=4)
def _cached(path: Path, _mtime: float) -> WordList:
    return load(path)


_last_good: dict[Path, WordList] = {}


def word_list(configured: Path | None = None) -> WordList:
    """The list in use, re-read when the file changes so a service can edit it live.

    A broken edit never switches checking off: the last good list stays in use, loudly.
    """
    path = words_path(configured)
    try:
        found = _cached(path, path.stat().st_mtime)
    except (OSError, DataFileError) as exc:
        if path in _last_good:
            log.error("safeguarding words file %s is broken (%s); using the list read before",
                      path, exc)
            return _last_good[path]
        if isinstance(exc, DataFileError):
            raise
        raise DataFileError(f"{path}: the safeguarding words file is missing") from exc
    _last_good[path] = found
    return found
