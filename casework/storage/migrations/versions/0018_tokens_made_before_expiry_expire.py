"""tokens made before expiry existed expire too: 365 days after they were made, 30 days at least

Migration 0015 gave every new token an expiry but left older ones without: a token forgotten in
an old script would have worked for ever, which is what expiry exists to prevent.  Each gets the
expiry it would have had (made + 365 days); one already older than that keeps 30 days from the
upgrade, so a county's running script is not cut off without warning (``casework tokens list``
shows the date).  After this no token is without an expiry, and one that is counts as expired.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04
"""
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

import casework.storage.db

revision: str = '0018'
down_revision: str | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIFETIME = timedelta(days=365)
GRACE = timedelta(days=30)

api_tokens = sa.table(
    'api_tokens',
    sa.column('id', sa.Integer()),
    sa.column('created_at', casework.storage.db.UTCDateTime()),
    sa.column('expires_at', casework.storage.db.UTCDateTime()),
)


def upgrade() -> None:
    connection = op.get_bind()
    upgraded_at = datetime.now(UTC)
    rows = connection.execute(sa.select(api_tokens.c.id, api_tokens.c.created_at)
                              .where(api_tokens.c.expires_at.is_(None))).all()
    for token_id, created_at in rows:
        expires = max(created_at + LIFETIME, upgraded_at + GRACE)
        connection.execute(sa.update(api_tokens).where(api_tokens.c.id == token_id)
                           .values(expires_at=expires))


def downgrade() -> None:
    # The expiry given here cannot be told from one set by `tokens create`: both stay.
    pass
