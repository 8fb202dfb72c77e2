"""Encryption at rest for everything a young person wrote, said or sent.

Keys come from `MYSAY_DATA_KEYS` (comma-separated Fernet keys, newest first) or, for the embedded
default, from a key file created with 0600 permissions in the data directory. The file lives next
to the database by default; a service should keep its keys elsewhere (see docs/runbook.md).
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import LargeBinary
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

log = logging.getLogger(__name__)

KEY_FILE_NAME = "mysay-data.key"


class DataKeyError(RuntimeError):
    """A stored value could not be decrypted: wrong key, or the value was changed on disk."""


class Keyring:
    """The data keys. The first key encrypts; all keys decrypt (so rotation keeps old rows)."""

    def __init__(self, keys: list[bytes]) -> None:
        if not keys:
            raise ValueError("at least one data key is needed")
        self._keys = keys
        self._fernet = MultiFernet([Fernet(k) for k in keys])

    @classmethod
    def from_string(cls, value: str) -> Keyring:
        keys = [k.strip().encode() for k in value.split(",") if k.strip()]
        try:
            return cls(keys)
        except ValueError as exc:
            raise ValueError(
                "MYSAY_DATA_KEYS must be one or more Fernet keys separated by commas "
                "(make one with: python -m bot admin new-key)"
            ) from exc

    @classmethod
    def from_key_file(cls, data_dir: Path) -> Keyring:
        path = data_dir / KEY_FILE_NAME
        if not path.exists():
            data_dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(Fernet.generate_key() + b"\n")
            log.warning(
                "Created a new data key at %s. Back it up somewhere safe and apart from the "
                "database: without it the young people's answers cannot be read.",
                path,
            )
        return cls.from_string(path.read_text())

    @property
    def primary(self) -> bytes:
        return self._keys[0]

    def encrypt(self, data: bytes) -> bytes:
        return self._fernet.encrypt(data)

    def decrypt(self, token: bytes) -> bytes:
        try:
            return self._fernet.decrypt(token)
        except InvalidToken as exc:
            raise DataKeyError(
                "A stored value could not be decrypted: the data key is wrong or the value "
                "was changed on disk."
            ) from exc

    def rotate(self, token: bytes) -> bytes:
        """Re-encrypt a value under the primary key."""
        try:
            return self._fernet.rotate(token)
        except InvalidToken as exc:
            raise DataKeyError("A stored value could not be re-encrypted: unknown key.") from exc


_active: Keyring | None = None


def activate(keyring: Keyring) -> None:
    """Install the keyring the column types use. Called once when the store opens."""
    global _active
    _active = keyring


def active_keyring() -> Keyring:
    if _active is None:
        raise RuntimeError("No data keyring is active: open the store first.")
    return _active


class EncryptedBytes(TypeDecorator[bytes]):
    """Bytes encrypted with the active keyring before they reach the database."""

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value: bytes | None, dialect: Dialect) -> bytes | None:
        return None if value is None else active_keyring().encrypt(value)

    def process_result_value(self, value: bytes | None, dialect: Dialect) -> bytes | None:
        return None if value is None else active_keyring().decrypt(bytes(value))


class EncryptedText(TypeDecorator[str]):
    """Text encrypted with the active keyring; handlers only ever see plain `str`."""

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> bytes | None:
        return None if value is None else active_keyring().encrypt(value.encode("utf-8"))

    def process_result_value(self, value: bytes | None, dialect: Dialect) -> str | None:
        return None if value is None else active_keyring().decrypt(bytes(value)).decode("utf-8")


class EncryptedJSON(TypeDecorator[Any]):
    """A JSON value (compact, UTF-8) encrypted with the active keyring: for JSON that can hold a
    young person's words, such as a run's options with their own picture cards' words."""

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> bytes | None:
        if value is None:
            return None
        text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
        return active_keyring().encrypt(text.encode("utf-8"))

    def process_result_value(self, value: bytes | None, dialect: Dialect) -> Any:
        return None if value is None else json.loads(active_keyring().decrypt(bytes(value)))


# Every encrypted column type: key rotation re-encrypts the columns of these types.
ENCRYPTED_TYPES = (EncryptedBytes, EncryptedText, EncryptedJSON)
