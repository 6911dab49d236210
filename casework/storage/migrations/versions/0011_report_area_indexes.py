"""indexes for an area's monthly report on a province's history

A county's or township's report read the whole province's month of events through
ix_events_at_village (time first) and kept its own; with ix_events_village_at it seeks each of
its villages' month instead, and its level counts are read from the index alone.  Its cases
open at the month's end were found by reading the county's whole history; with
ix_cases_county_concluded, by its open and later-concluded cases.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""
from collections.abc import Sequence

import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel types; alembic #1647)
from alembic import op

import casework.storage.db  # noqa: F401


revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index('ix_events_village_at',
                              ['village_code', 'at', 'action', 'from_level', 'to_level'])
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index('ix_cases_county_concluded', ['county_code', 'concluded_at'])
    if op.get_bind().dialect.name == 'sqlite':
        # Statistics from a sample: a province's events are tens of millions of rows.
        op.execute('PRAGMA analysis_limit = 10000')
    op.execute('ANALYZE events')
    op.execute('ANALYZE cases')


def downgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_county_concluded')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index('ix_events_village_at')
