"""a ledger upload's progress: its state and rows checked and written, for large files

A province's year (100,000 rows) takes minutes to check and longer to write; the page no
longer holds a web worker for that.  The check and the import run beside the request and
write here how far they got; the page reads it.  ``progress_at`` tells a running job from one
that stopped (a restarted server); ``outcome_sealed`` keeps the preview or the result, sealed
under the data key like the file (the preview shows rows of it).

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-04
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel types; alembic #1647)
from alembic import op

import casework.storage.db

revision: str = '0021'
down_revision: str | None = '0020'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ('state', 'rows_checked', 'rows_written', 'progress_at', 'outcome_sealed')


def upgrade() -> None:
    # Plain ADD COLUMN (no batch copy): SQLite and PostgreSQL both add these in place.
    op.add_column('ledger_uploads', sa.Column(
        'state', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False,
        server_default='kept'))
    op.add_column('ledger_uploads', sa.Column('rows_checked', sa.Integer(), nullable=False,
                                              server_default='0'))
    op.add_column('ledger_uploads', sa.Column('rows_written', sa.Integer(), nullable=False,
                                              server_default='0'))
    op.add_column('ledger_uploads', sa.Column('progress_at', casework.storage.db.UTCDateTime(),
                                              nullable=True))
    op.add_column('ledger_uploads', sa.Column('outcome_sealed', sa.LargeBinary(),
                                              nullable=True))


def downgrade() -> None:
    for column in reversed(COLUMNS):
        op.drop_column('ledger_uploads', column)  # SQLite 3.35+ drops a column in place
