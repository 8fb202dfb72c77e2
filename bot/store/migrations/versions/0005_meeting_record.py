"""The meeting record: what was agreed and the next steps; a meeting the therapist said happened

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 15:00:00

Issue 14, points 7 and 8. `meeting_records` holds, per meeting, the outcomes agreed and the
next steps the therapist recorded after it (encrypted JSON lists; final once they tap Done).
`meetings.happened_at` is set when the therapist says the meeting has happened before its date
has passed, so "you said, we did" can be sent that day.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("meetings", sa.Column("happened_at", sa.DateTime(timezone=True),
                                        nullable=True))
    op.create_table(
        "meeting_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("young_person_id", sa.Integer(), nullable=False),
        sa.Column("therapist_id", sa.Integer(), nullable=True),
        sa.Column("agreed", sa.LargeBinary(), nullable=False),
        sa.Column("next_steps", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("final_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["meeting_id"], ["meetings.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["therapist_id"], ["people.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["young_person_id"], ["people.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("meeting_id"),
    )
    with op.batch_alter_table("meeting_records", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_meeting_records_young_person_id"),
                              ["young_person_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("meeting_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meeting_records_young_person_id"))
    op.drop_table("meeting_records")
    # Not a batch rebuild: on SQLite that would drop and re-create `meetings`, which with
    # foreign keys on would touch the rows that point at it (you_said.meeting_id).
    op.drop_column("meetings", "happened_at")
