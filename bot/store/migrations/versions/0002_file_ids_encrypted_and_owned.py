"""Telegram file ids and run options encrypted at rest; card uploads tied to their owner

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 08:00:00

Issue 11, points 4 and 5. `media_files.telegram_file_id` and `flow_runs.options` (which holds
the words of a young person's own picture cards) are encrypted here, by the migration (not on
first read), so no plain value is left in a row nobody reads again. The old `card_uploads`
rows are dropped: they cannot be told apart (a question card for everyone, or one drawn from a
young person's photo or words), and they are only a saving, so each card is uploaded once
more and then kept with its owner.

No table is rebuilt: on SQLite, dropping the old copy of `media_files` or `flow_runs` with
foreign keys on would cascade into personal cards, recordings and answers. A new column is
added, filled, and put in the old one's place instead (SQLite 3.35 or newer).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from alembic import op

from bot.store import crypto

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

_FILE_ID = ("media_files", "telegram_file_id")
_OPTIONS = ("flow_runs", "options")


def _keyring() -> crypto.Keyring:
    try:
        return crypto.active_keyring()
    except RuntimeError as exc:  # only reachable outside the CLI, which opens the keys first
        raise RuntimeError("Encrypting stored values needs the data keys: run "
                           "'python -m bot db upgrade' with MYSAY_DATA_KEYS set.") from exc


def _seal(value: Any) -> bytes:
    return _keyring().encrypt(str(value).encode("utf-8"))


def _open_text(value: Any) -> str:
    return _keyring().decrypt(bytes(value)).decode("utf-8")


def _open_json(value: Any) -> Any:
    return json.loads(_open_text(value))


def _swap_column(where: tuple[str, str], new_type: sa.types.TypeEngine[Any],
                 convert: Callable[[Any], object], *, not_null: bool = False) -> None:
    """Replace `table.column` with a column of `new_type`, each value passed through `convert`
    (all converted before the schema changes, so a missing key changes nothing)."""
    table, column = where
    new = f"{column}_new"
    conn = op.get_bind()
    # Plain values are read as text (PostgreSQL's JSON too); encrypted ones as their bytes.
    read = f"CAST({column} AS TEXT)" if isinstance(new_type, sa.LargeBinary) else column
    rows = conn.execute(sa.text(f"SELECT id, {read} FROM {table} "
                                f"WHERE {column} IS NOT NULL")).all()
    values = [{"id": row_id, "value": convert(value)} for row_id, value in rows]
    op.add_column(table, sa.Column(new, new_type, nullable=True))
    if values:
        conn.execute(sa.text(f"UPDATE {table} SET {new} = :value WHERE id = :id")
                     .bindparams(sa.bindparam("value", type_=new_type)), values)
    op.drop_column(table, column)
    op.execute(f"ALTER TABLE {table} RENAME COLUMN {new} TO {column}")
    if not_null and conn.dialect.name != "sqlite":  # SQLite cannot add it without a rebuild
        op.alter_column(table, column, nullable=False)


def _card_uploads(*, owned: bool) -> None:
    op.drop_table('card_uploads')
    columns: list[sa.SchemaItem] = [
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('file_id', sa.LargeBinary() if owned else sa.String(length=256),
                  nullable=False),
    ]
    if owned:
        columns += [sa.Column('owner_id', sa.Integer(), nullable=True),
                    sa.ForeignKeyConstraint(['owner_id'], ['people.id'], ondelete='CASCADE')]
    columns += [sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
                sa.PrimaryKeyConstraint('key')]
    op.create_table('card_uploads', *columns)
    if owned:
        op.create_index('ix_card_uploads_owner_id', 'card_uploads', ['owner_id'], unique=False)


def upgrade() -> None:
    _swap_column(_FILE_ID, sa.LargeBinary(), _seal)
    _swap_column(_OPTIONS, sa.LargeBinary(), _seal, not_null=True)
    _card_uploads(owned=True)


def downgrade() -> None:
    _swap_column(_FILE_ID, sa.String(length=256), _open_text)
    _swap_column(_OPTIONS, sa.JSON(), _open_json, not_null=True)
    _card_uploads(owned=False)
