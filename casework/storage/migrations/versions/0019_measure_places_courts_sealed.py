"""a measure's place, court and authority sealed under the data key, like reasons

A shelter's place is where a survivor hides; the court and the police station that issued a
warning letter say where she lives.  Migration 0016 sealed summaries, notes and reasons; the
measure events' ``place``, ``court`` and ``authority`` stayed in clear.  They are sealed here
through the same functions the write paths use (casework/privacy/narratives.py), with the
same rules: refused before anything changes when there is such text and no key, the hash
chain untouched (it is taken over the plaintext), the old plaintext purged from free pages.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

revision: str = '0019'
down_revision: str | None = '0018'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MEASURE_TEXT = ('place', 'court', 'authority')
events = sa.table('events', sa.column('id', sa.Integer), sa.column('action', sa.String),
                  sa.column('data', sa.JSON))


def _in_clear(data) -> bool:
    return any(isinstance((data or {}).get(name), str) and data[name]
               and not data[name].startswith('sealed:') for name in MEASURE_TEXT)


def _holds_text(bind) -> bool:
    return bool(bind.execute(sa.select(sa.func.count()).select_from(events)
                             .where(events.c.action == 'measure')).scalar_one())


def upgrade() -> None:
    from casework.privacy.narratives import seal_data
    from casework.storage.schema import keyring_for_migrations, update_in_batches

    bind = op.get_bind()
    if not _holds_text(bind):
        return
    key = keyring_for_migrations(context.config).current  # refuse before changing anything
    if bind.dialect.name == 'sqlite':
        op.execute('PRAGMA secure_delete = ON')  # freed pages zeroed: no plaintext lingers
    update_in_batches(bind, events, ('data',), lambda row: {
        'data': seal_data(key, row.data, MEASURE_TEXT)} if _in_clear(row.data) else None)
    context.config.attributes['casework_purge_plaintext'] = True
    context.config.attributes.setdefault('casework_purge_tables', []).append('events')


def downgrade() -> None:
    from casework.privacy.narratives import open_data
    from casework.storage.schema import keyring_for_migrations, update_in_batches

    bind = op.get_bind()
    if not _holds_text(bind):
        return
    keyring = keyring_for_migrations(context.config)
    update_in_batches(bind, events, ('data',), lambda row: {
        'data': open_data(keyring, row.data, MEASURE_TEXT)}
        if any(name in (row.data or {}) for name in MEASURE_TEXT) else None)
