"""The therapist's notes on a finished activity (a Talking Mat's hesitations, non-verbal
responses, changes of mind)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 15:00:00

Issue 14, point 9. `run_notes`: one row per note (several per activity), the words encrypted;
deleted with the activity (and so with the young person).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'run_notes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('run_id', sa.Integer(), nullable=False),
        sa.Column('author_id', sa.Integer(), nullable=True),
        sa.Column('text', sa.LargeBinary(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['author_id'], ['people.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['run_id'], ['flow_runs.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_run_notes_run_id'), 'run_notes', ['run_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_run_notes_run_id'), table_name='run_notes')
    op.drop_table('run_notes')
