"""events hash-chained per case (casework/lifecycle/chain.py), the chain head on the case row

Existing events are chained in seq order per case, a batch of cases at a time, with format
``casework-event/1``: what they hold now becomes what ``casework audit verify`` checks from here.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel types; alembic #1647)
from alembic import op

import casework.storage.db  # noqa: F401
from casework.storage.db import UTCDateTime

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CASES_A_BATCH = 500
# The tables as this migration knows them (not the models, which may move on).
cases = sa.table('cases', sa.column('id', sa.Integer), sa.column('number', sa.String),
                 sa.column('last_hash', sa.String))
events = sa.table(
    'events', sa.column('id', sa.Integer), sa.column('case_id', sa.Integer),
    sa.column('seq', sa.Integer), sa.column('action', sa.String),
    sa.column('from_level', sa.String), sa.column('from_status', sa.String),
    sa.column('to_level', sa.String), sa.column('to_status', sa.String),
    sa.column('actor_id', sa.Integer), sa.column('actor', sa.String),
    sa.column('at', UTCDateTime), sa.column('note', sa.String), sa.column('data', sa.JSON),
    sa.column('due_at', UTCDateTime), sa.column('warn_at', UTCDateTime),
    sa.column('deadline_met', sa.Boolean), sa.column('village_code', sa.String),
    sa.column('prev_hash', sa.String), sa.column('hash', sa.String))


def upgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('prev_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.add_column(sa.Column('hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
    _chain_all(op.get_bind())


def _chain_all(bind) -> None:
    from casework.lifecycle.chain import FIELDS, digest, canonical

    set_event = (sa.update(events).where(events.c.id == sa.bindparam('event_id'))
                 .values(prev_hash=sa.bindparam('new_prev'), hash=sa.bindparam('new_hash')))
    set_case = (sa.update(cases).where(cases.c.id == sa.bindparam('case_id_'))
                .values(last_hash=sa.bindparam('new_last')))
    columns = [events.c[name] for name in FIELDS]
    last = 0
    while True:
        batch = bind.execute(sa.select(cases.c.id, cases.c.number).where(cases.c.id > last)
                             .order_by(cases.c.id).limit(CASES_A_BATCH)).all()
        if not batch:
            return
        numbers = dict(batch)
        heads: dict[int, str | None] = dict.fromkeys(numbers)
        rows = bind.execute(sa.select(events.c.id, events.c.case_id, *columns)
                            .where(events.c.case_id.in_(numbers))
                            .order_by(events.c.case_id, events.c.seq)).all()
        updates = []
        for row in rows:
            prev = heads[row.case_id]
            heads[row.case_id] = new = digest(canonical(numbers[row.case_id], *row[2:], prev))
            updates.append({'event_id': row.id, 'new_prev': prev, 'new_hash': new})
        if updates:
            bind.execute(set_event, updates)
        bind.execute(set_case, [{'case_id_': case_id, 'new_last': head}
                                for case_id, head in heads.items()])
        last = batch[-1].id


def downgrade() -> None:
    # ALTER TABLE ... DROP COLUMN (SQLite 3.35+), not a batch copy: rebuilding ``cases`` would
    # drop a table that ``events`` refers to.
    op.drop_column('events', 'hash')
    op.drop_column('events', 'prev_hash')
    op.drop_column('cases', 'last_hash')
