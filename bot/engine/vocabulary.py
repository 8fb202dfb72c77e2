"""The symbol vocabulary: every picture a flow can show, by id (media/symbols.yaml)."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel, Field, field_validator

from bot.engine.datafile import DataFileError, parse_model

_ID = re.compile(r"^[a-z][a-z0-9_]{0,40}$")
# OpenMoji draws its "extras" (pictograms with no Unicode emoji) at Private Use Area code points.
PRIVATE_USE = range(0xE000, 0xF900)


def is_private_use(text: str) -> bool:
    """True when any character of `text` is in the Basic Multilingual Plane's Private Use Area
    (U+E000..U+F8FF): an OpenMoji extra, which only the OpenMoji font can draw."""
    return any(ord(c) in PRIVATE_USE for c in text)


def text_emoji(emoji: str) -> str:
    """The emoji to put in message text or on a button: itself, or "" for an OpenMoji extra.

    Telegram shows emoji in text with the phone's own font, which has no glyph for a Private Use
    Area code point (it would show an empty box), so such a symbol's button shows its words alone.
    Picture cards draw the emoji itself with OpenMoji (bot.render).
    """
    return "" if is_private_use(emoji) else emoji


def labelled(emoji: str, words: str) -> str:
    """`words` with the symbol's emoji in front, for a button or a line of message text
    ("🏠 Home"); an OpenMoji extra (text_emoji: "") leaves the words alone ("Teaching
    assistant"). Only the symbol is dropped: the words are kept exactly as they are."""
    shown = text_emoji(emoji)
    return f"{shown} {words}" if shown else words


class Symbol(BaseModel):
    id: str
    words: str = Field(min_length=1, max_length=40)
    emoji: str = Field(min_length=1)
    category: str

    @property
    def button_emoji(self) -> str:
        """The emoji a Telegram button or message may show: "" for an OpenMoji extra."""
        return text_emoji(self.emoji)

    @field_validator("id")
    @classmethod
    def _id_shape(cls, value: str) -> str:
        if not _ID.match(value):
            raise ValueError("symbol ids are lower-case letters, digits and _ (at most 41)")
        return value


class _SymbolFile(BaseModel):
    model_config = {"extra": "forbid"}

    version: int = 1
    attribution: str
    symbols: list[Symbol] = Field(min_length=1)


class Vocabulary:
    """Symbols by id. Personal cards (a therapist's photo for one young person) are stored in the
    database and joined in by the caller; this is the shared vocabulary."""

    def __init__(self, symbols: list[Symbol]) -> None:
        self._by_id: dict[str, Symbol] = {}
        for symbol in symbols:
            if symbol.id in self._by_id:
                raise DataFileError(f"symbols.yaml: symbol id '{symbol.id}' is used twice")
            self._by_id[symbol.id] = symbol

    @classmethod
    def load(cls, path: Path) -> Vocabulary:
        return cls(parse_model(_SymbolFile, path).symbols)

    def __contains__(self, symbol_id: object) -> bool:
        return symbol_id in self._by_id

    def __getitem__(self, symbol_id: str) -> Symbol:
        return self._by_id[symbol_id]

    def __len__(self) -> int:
        return len(self._by_id)

    def ids(self) -> list[str]:
        return list(self._by_id)
