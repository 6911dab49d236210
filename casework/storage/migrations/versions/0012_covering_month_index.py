"""a month's events counted from the index alone

ix_events_at_village (at, village_code) found a month's events; the report then read each
event's row for its action and levels: 23,000 cases' worth of the month in progress took 0.2 s
of table reads on a province's SQLite file, and the conclusions and closes as much again.
With the action and levels in the index, the counts need no row, and only the conclusions and
closes are read.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""
from collections.abc import Sequence

import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel types; alembic #1647)
from alembic import op

import casework.storage.db  # noqa: F401


revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
COLUMNS = ['at', 'village_code', 'action', 'from_level', 'to_level']


def upgrade() -> None:
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index('ix_events_at_village')
        batch_op.create_index('ix_events_at_village', COLUMNS)


def downgrade() -> None:
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index('ix_events_at_village')
        batch_op.create_index('ix_events_at_village', ['at', 'village_code'])
