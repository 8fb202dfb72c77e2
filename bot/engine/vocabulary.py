"""The symbol vocabulary: every picture a flow can show, by id (media/symbols.yaml)."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel, Field, field_validator

from bot.engine.datafile import DataFileError, parse_model

_ID = re.compile(r"^[a-z][a-z0-9_]{0,40}$")


class Symbol(BaseModel):
    id: str
    words: str = Field(min_length=1, max_length=40)
    emoji: str = Field(min_length=1)
    category: str

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
