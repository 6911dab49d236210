"""case summaries, event notes and reasons sealed under the data key (issue 18)

Existing rows are sealed with CASEWORK_DATA_KEY, as 0007 sealed petitioners: every case's
summary, every event's note and the narrative fields of its data (``reason``), through the
same functions the write paths use (casework/privacy/narratives.py).  The columns keep their
types: a sealed value is a text token.  A database holding such text and no key is refused
before anything changes.  The event hash chain is taken over the plaintext
(casework/lifecycle/chain.py), so every chain stays valid.  casework.storage.schema.upgrade
then purges the old plaintext from free pages.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel types; alembic #1647)
from alembic import context, op

import casework.storage.db  # noqa: F401

revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The narrative fields of this revision: later ones add their own migration (0019).
NARRATIVE_DATA = ('reason',)
cases = sa.table('cases', sa.column('id', sa.Integer), sa.column('summary', sa.Text))
events = sa.table('events', sa.column('id', sa.Integer), sa.column('note', sa.Text),
                  sa.column('data', sa.JSON))


def _keyring():
    from casework.storage.schema import keyring_for_migrations

    return keyring_for_migrations(context.config)


def _each_batch(bind, table, columns, change) -> None:
    from casework.storage.schema import update_in_batches

    update_in_batches(bind, table, columns, change)


def _holds_text(bind) -> bool:
    return bool(bind.execute(sa.select(sa.func.count()).select_from(cases)
                             .where(cases.c.summary != '')).scalar_one()
                or bind.execute(sa.select(sa.func.count()).select_from(events)
                                .where(events.c.note != '')).scalar_one()
                or bind.execute(sa.select(sa.func.count()).select_from(events)
                                .where(sa.cast(events.c.data, sa.Text).contains('"reason"'))
                                ).scalar_one())


def upgrade() -> None:
    from casework.privacy.narratives import NOTE, SUMMARY, seal_data, seal_text

    bind = op.get_bind()
    if not _holds_text(bind):
        return
    key = _keyring().current  # refuse before changing anything
    if bind.dialect.name == 'sqlite':
        op.execute('PRAGMA secure_delete = ON')  # freed pages zeroed: no plaintext lingers
    _each_batch(bind, cases, ('summary',), lambda row: {
        'summary': seal_text(key, SUMMARY, row.summary)} if row.summary else None)
    _each_batch(bind, events, ('note', 'data'), lambda row: {
        'note': seal_text(key, NOTE, row.note),
        'data': seal_data(key, row.data or {}, NARRATIVE_DATA)}
        if row.note or any(name in (row.data or {}) for name in NARRATIVE_DATA) else None)
    context.config.attributes['casework_purge_plaintext'] = True
    tables = context.config.attributes.setdefault('casework_purge_tables', ['petitioners'])
    tables += ['cases', 'events']


def downgrade() -> None:
    from casework.privacy.narratives import open_data, open_note, open_summary

    bind = op.get_bind()
    if not _holds_text(bind):
        return
    keyring = _keyring()
    _each_batch(bind, cases, ('summary',), lambda row: {
        'summary': open_summary(keyring, row.summary)} if row.summary else None)
    _each_batch(bind, events, ('note', 'data'), lambda row: {
        'note': open_note(keyring, row.note),
        'data': open_data(keyring, row.data or {}, NARRATIVE_DATA)}
        if row.note or any(name in (row.data or {}) for name in NARRATIVE_DATA) else None)
