"""ledger imports: each imported case's fingerprint, and uploads kept between preview and import

A ledger sent twice must add nothing: every case brought in from a ledger carries a keyed hash
of its row (received time, village, phone, category, summary), unique, so the same row is found
again and skipped.  The page keeps an uploaded ledger between its preview and the clerk's
confirmation sealed in ledger_uploads, for minutes.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel types; alembic #1647)
from alembic import op

import casework.storage.db


revision: str = '0017'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # No batch mode: a new nullable column and an index need no copy of the table (a
    # province's cases), and SQLite's ALTER TABLE does both.
    op.add_column('cases', sa.Column('import_fingerprint', sqlmodel.sql.sqltypes.AutoString(
        length=64), nullable=True))
    op.create_index('ix_cases_import_fingerprint', 'cases', ['import_fingerprint'], unique=True)
    op.create_table(
        'ledger_uploads',
        sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('created_at', casework.storage.db.UTCDateTime(), nullable=False),
        sa.Column('filename', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('key_id', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('content_sealed', sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('ledger_uploads', schema=None) as batch_op:
        batch_op.create_index('ix_ledger_uploads_created_at', ['created_at'])
        batch_op.create_index('ix_ledger_uploads_user_id', ['user_id'])


def downgrade() -> None:
    op.drop_table('ledger_uploads')
    op.drop_index('ix_cases_import_fingerprint', table_name='cases')
    op.drop_column('cases', 'import_fingerprint')  # SQLite 3.35+ drops a column in place
