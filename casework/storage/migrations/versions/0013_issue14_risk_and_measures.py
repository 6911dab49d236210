"""danger assessment on the case, and the protective measures of the Anti-Domestic Violence Law

cases.risk_level and risk_assessed_at are projected from assess events; protection_measures
holds each measure as its events leave it, so the scheduler finds an undecided protection order
application or an order about to end through an index.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel types; alembic #1647)
from alembic import op

import casework.storage.db  # noqa: F401


revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ALTER TABLE, not a batch: SQLite adds a nullable column in place, and a batch would
    # reflect (and could rebuild) cases with its expression index ix_cases_area_order.
    op.add_column('cases', sa.Column('risk_level', sqlmodel.sql.sqltypes.AutoString(length=8),
                                     nullable=True))
    op.add_column('cases', sa.Column('risk_assessed_at', casework.storage.db.UTCDateTime(),
                                     nullable=True))
    op.create_table('protection_measures',
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('measure_id', sa.Integer(), nullable=False),
    sa.Column('measure', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('stage', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('decide_by', casework.storage.db.UTCDateTime(), nullable=True),
    sa.Column('expiring_at', casework.storage.db.UTCDateTime(), nullable=True),
    sa.Column('ends_at', casework.storage.db.UTCDateTime(), nullable=True),
    sa.Column('overdue_recorded', sa.Boolean(), nullable=False),
    sa.Column('expiring_recorded', sa.Boolean(), nullable=False),
    sa.Column('last_seq', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], ),
    sa.PrimaryKeyConstraint('case_id', 'measure_id')
    )
    with op.batch_alter_table('protection_measures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_protection_measures_decide_by'), ['decide_by'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_protection_measures_expiring_at'),
                              ['expiring_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('protection_measures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_protection_measures_expiring_at'))
        batch_op.drop_index(batch_op.f('ix_protection_measures_decide_by'))
    op.drop_table('protection_measures')
    # SQLite (3.35 and later) drops an unindexed column in place, as PostgreSQL does.
    op.drop_column('cases', 'risk_assessed_at')
    op.drop_column('cases', 'risk_level')
