"""own device: a browser session says whether it runs on the user's own phone

A village cadre who ticks "this is my own phone" at login may read her worklist and the cases
she opened lately with no signal (DESIGN.md, "On a phone").  The server marks those pages as
keepable only for such a session, so the choice is a column of the session's record; every
session opened before this migration counts as not her own (nothing is kept).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0020'
down_revision: str | None = '0019'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Not a batch copy: a NOT NULL column with a server default is added in place everywhere.
    op.add_column('user_sessions', sa.Column('own_device', sa.Boolean(), nullable=False,
                                             server_default=sa.false()))


def downgrade() -> None:
    op.drop_column('user_sessions', 'own_device')  # SQLite 3.35+ drops a column in place
