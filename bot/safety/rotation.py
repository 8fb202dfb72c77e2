"""Data key rotation: re-encrypt every encrypted value in the database with the primary key.

Found by looking at the models, not by a list, so a new encrypted column is rotated too.
Values are read and written as raw bytes (no handler ever sees them), in small transactions,
so a large database is not locked for long and the bot can keep running (restarted first
with the new key in front; see docs/runbook.md).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.fernet import Fernet
from sqlalchemy import Column, LargeBinary, Table, bindparam, select, type_coerce, update

from bot.store.crypto import ENCRYPTED_TYPES, KEY_FILE_NAME, DataKeyError, Keyring
from bot.store.db import Database
from bot.store.models import Base

BATCH = 200


@dataclass
class Rotation:
    counts: dict[str, int] = field(default_factory=dict)  # "table.column" -> values rotated
    unreadable: list[str] = field(default_factory=list)  # "table.column id=5"

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def encrypted_columns() -> list[tuple[Table, Column[object]]]:
    found = []
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, ENCRYPTED_TYPES):
                found.append((table, column))
    return found


async def rotate_all(db: Database, keyring: Keyring, batch: int = BATCH) -> Rotation:
    """Re-encrypt every value with the keyring's primary key. A value no key can read is
    reported (table, column, row) and left as it is; everything else is still rotated."""
    report = Rotation()
    for table, column in encrypted_columns():
        key = f"{table.name}.{column.name}"
        report.counts[key] = await _rotate_column(db, keyring, table, column, batch,
                                                  report.unreadable)
    return report


async def _rotate_column(db: Database, keyring: Keyring, table: Table, column: Column[object],
                         batch: int, unreadable: list[str]) -> int:
    pk = next(iter(table.primary_key.columns))
    raw = type_coerce(column, LargeBinary)  # the stored bytes, not decrypted
    done, after = 0, None
    while True:
        query = select(pk, raw).where(column.isnot(None)).order_by(pk).limit(batch)
        if after is not None:
            query = query.where(pk > after)
        async with db.transaction() as session:
            rows = (await session.execute(query)).all()
            for row_id, value in rows:
                try:
                    fresh = keyring.rotate(bytes(value))
                except DataKeyError:
                    unreadable.append(f"{table.name}.{column.name} {pk.name}={row_id}")
                    continue
                await session.execute(update(table).where(pk == row_id).values(
                    {column.name: bindparam("fresh", fresh, type_=LargeBinary)}))
                done += 1
        if len(rows) < batch:
            return done
        after = rows[-1][0]


async def unreadable_with(db: Database, keyring: Keyring) -> list[str]:
    """Values this keyring cannot read (use the primary key alone: what old keys still hold)."""
    found = []
    for table, column in encrypted_columns():
        pk = next(iter(table.primary_key.columns))
        async with db.transaction() as session:
            rows = await session.execute(select(pk, type_coerce(column, LargeBinary))
                                         .where(column.isnot(None)))
            for row_id, value in rows.all():
                try:
                    keyring.decrypt(bytes(value))
                except DataKeyError:
                    found.append(f"{table.name}.{column.name} {pk.name}={row_id}")
    return found


def add_key_to_file(data_dir: Path) -> Keyring:
    """Key-file mode: put a new key in front of the file's keys (old ones stay, to read
    backups), written atomically with 0600 permissions."""
    path = data_dir / KEY_FILE_NAME
    old = path.read_text().strip() if path.exists() else ""
    keys = ",".join(k for k in [Fernet.generate_key().decode(), *old.split(",")] if k.strip())
    fresh = path.with_suffix(".new")
    fd = os.open(fresh, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(keys + "\n")
    os.replace(fresh, path)
    return Keyring.from_string(keys)
