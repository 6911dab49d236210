"""scheduler interval on the lease row

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel types; alembic #1647)
from alembic import op

import casework.storage.db  # noqa: F401


revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('scheduler_leases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('interval_seconds', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('scheduler_leases', schema=None) as batch_op:
        batch_op.drop_column('interval_seconds')
