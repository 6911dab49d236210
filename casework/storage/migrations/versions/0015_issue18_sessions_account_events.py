"""browser sessions on the server, the account log, one-time passwords, token expiry

A session lived only in its signed cookie, so a copy of the cookie opened every page until it
timed out, whatever logout did: sessions are now rows (``user_sessions``) that logout, idle
time, the 8 hours, a password change and a deactivation end.  ``account_events`` records what
happens to accounts.  ``users.must_change_password`` marks an administrator's reset;
``api_tokens.expires_at`` ends a token.  Tokens made before this keep no expiry until revoked.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel types; alembic #1647)
from alembic import op

import casework.storage.db

revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('user_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('id_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', casework.storage.db.UTCDateTime(), nullable=False),
    sa.Column('last_seen_at', casework.storage.db.UTCDateTime(), nullable=False),
    sa.Column('address', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('browser', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('ended_at', casework.storage.db.UTCDateTime(), nullable=True),
    sa.Column('ended_reason', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('id_hash')
    )
    op.create_index('ix_user_sessions_user_live', 'user_sessions', ['user_id', 'ended_at'])
    op.create_table('account_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', casework.storage.db.UTCDateTime(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('username', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('area_code', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(length=96), nullable=False),
    sa.Column('address', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_account_events_at'), 'account_events', ['at'])
    op.create_index('ix_account_events_area_at', 'account_events', ['area_code', 'at'])
    op.create_index('ix_account_events_user_at', 'account_events', ['username', 'at'])
    # Plain ADD COLUMN, not a batch copy: copying ``users`` on SQLite means dropping the
    # table that events and tokens refer to, which foreign keys refuse once there are events.
    op.add_column('users', sa.Column('must_change_password', sa.Boolean(), nullable=False,
                                     server_default=sa.false()))
    op.add_column('api_tokens', sa.Column('expires_at', casework.storage.db.UTCDateTime(),
                                          nullable=True))


def downgrade() -> None:
    # A plain DROP COLUMN (SQLite 3.35+, PostgreSQL): a batch copy of ``users`` would have to
    # drop the table that events and tokens refer to, which foreign keys refuse.
    op.execute('ALTER TABLE api_tokens DROP COLUMN expires_at')
    op.execute('ALTER TABLE users DROP COLUMN must_change_password')
    op.drop_index('ix_account_events_user_at', table_name='account_events')
    op.drop_index('ix_account_events_area_at', table_name='account_events')
    op.drop_index(op.f('ix_account_events_at'), table_name='account_events')
    op.drop_table('account_events')
    op.drop_index('ix_user_sessions_user_live', table_name='user_sessions')
    op.drop_table('user_sessions')
