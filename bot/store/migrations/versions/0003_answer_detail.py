"""Answers keep what else they are: a Talking Mat's placements, words sent on from others

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 10:00:00

Issue 12, points 1, 3 and 4. `answers.detail` (encrypted JSON) holds where each card of a
Talking Mat went, and whether words or media were forwarded from someone else. Until now a
finished mat's placements lived only in its run's options; they are copied onto the mat's
answer here (the answer that carries the mat picture), so every reader has them from the
answer itself. `flow_runs.helped_by` grows to hold more than one helper.
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

from bot.store import crypto

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def _keyring() -> crypto.Keyring:
    try:
        return crypto.active_keyring()
    except RuntimeError as exc:  # only reachable outside the CLI, which opens the keys first
        raise RuntimeError("Copying Talking Mat placements needs the data keys: run "
                           "'python -m bot db upgrade' with MYSAY_DATA_KEYS set.") from exc


def _mat_placements() -> list[dict[str, Any]]:
    """(answer id, sealed detail) for each finished mat whose run options hold placements."""
    conn = op.get_bind()
    runs = conn.execute(sa.text("SELECT id, options FROM flow_runs")).all()
    found: list[dict[str, Any]] = []
    for run_id, sealed in runs:
        if sealed is None:
            continue
        options = json.loads(_keyring().decrypt(bytes(sealed)).decode("utf-8"))
        placements = options.get("placements") if isinstance(options, dict) else None
        if not isinstance(placements, dict) or not placements:
            continue
        rows = conn.execute(sa.text("SELECT id, CAST(media AS TEXT) FROM answers "
                                    "WHERE run_id = :run_id"), {"run_id": run_id}).all()
        for answer_id, media in rows:
            kinds = {str(m.get("kind")) for m in json.loads(media or "[]")
                     if isinstance(m, dict)}
            if "mat" in kinds:
                detail = {"placements": [[str(c), int(col)] for c, col in placements.items()]}
                found.append({"id": answer_id, "detail": _keyring().encrypt(
                    json.dumps(detail, separators=(",", ":")).encode("utf-8"))})
    return found


def upgrade() -> None:
    values = _mat_placements()  # read (and decrypted) before the schema changes
    op.add_column("answers", sa.Column("detail", sa.LargeBinary(), nullable=True))
    if values:
        op.get_bind().execute(sa.text("UPDATE answers SET detail = :detail WHERE id = :id"),
                              values)
    _helped_by_length(200, 40)


def downgrade() -> None:
    op.drop_column("answers", "detail")
    # The old column held one helper: keep the first named.
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, helped_by FROM flow_runs "
                                "WHERE helped_by LIKE '%,%'")).all()
    if rows:
        conn.execute(sa.text("UPDATE flow_runs SET helped_by = :first WHERE id = :id"),
                     [{"id": i, "first": str(h).split(",")[0]} for i, h in rows])
    _helped_by_length(40, 200)


def _helped_by_length(new: int, old: int) -> None:
    # SQLite does not hold VARCHAR to its length, and changing a column there means
    # rebuilding the table, which with foreign keys on would cascade into the answers.
    if op.get_bind().dialect.name != "sqlite":
        op.alter_column("flow_runs", "helped_by", type_=sa.String(length=new),
                        existing_type=sa.String(length=old), existing_nullable=True)
