"""indexes for the case list and the worklist

The area filter became a range on village_code (or an equality on county_code), which these
answer: ix_cases_by_status for anything filtered by status (the worklist), ix_cases_area_order
for a county's list in its own order.  ix_cases_status is the first column of
ix_cases_by_status, so it goes.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-22
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel types; alembic #1647)
from alembic import op

import casework.storage.db  # noqa: F401


revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index('ix_cases_by_status', ['status', 'level', 'village_code',
                                                     'overdue', 'warning', 'due_at'])
        batch_op.create_index('ix_cases_area_order', ['county_code', sa.text('(due_at IS NULL)'),
                                                      'due_at', 'id', 'village_code'])
        batch_op.drop_index('ix_cases_status')
    # Statistics, so that SQLite's planner knows a status from a county (PostgreSQL's
    # autovacuum keeps its own; ANALYZE here only makes them current at once).
    op.execute('ANALYZE cases')


def downgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index('ix_cases_status', ['status'])
        batch_op.drop_index('ix_cases_area_order')
        batch_op.drop_index('ix_cases_by_status')
