"""login attempts: failed logins counted in the database, shared by every web worker

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel types; alembic #1647)
from alembic import op

import casework.storage.db

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('login_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('failed_at', casework.storage.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_login_attempts_key_time', 'login_attempts', ['key_hash', 'failed_at'])
    op.create_index(op.f('ix_login_attempts_failed_at'), 'login_attempts', ['failed_at'])


def downgrade() -> None:
    op.drop_index(op.f('ix_login_attempts_failed_at'), table_name='login_attempts')
    op.drop_index('ix_login_attempts_key_time', table_name='login_attempts')
    op.drop_table('login_attempts')
