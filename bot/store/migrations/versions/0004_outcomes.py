"""The outcomes in a young person's EHC plan, entered by their therapist (/outcomes)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 15:00:00

Issue 14, point 3. One row per outcome: its words (encrypted), a symbol id or a picture (a
media file), its place in the list, and when it was taken off the list (kept, so earlier views
keep their words). Deleting the young person deletes their outcomes (ON DELETE CASCADE, and
bot.safety.erase).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'outcomes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('young_person_id', sa.Integer(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('words', sa.LargeBinary(), nullable=False),
        sa.Column('symbol_id', sa.String(length=60), nullable=True),
        sa.Column('media_id', sa.Integer(), nullable=True),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['created_by_id'], ['people.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['media_id'], ['media_files.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['young_person_id'], ['people.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('outcomes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outcomes_young_person_id'), ['young_person_id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('outcomes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outcomes_young_person_id'))
    op.drop_table('outcomes')
