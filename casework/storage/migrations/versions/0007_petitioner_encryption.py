"""petitioners' name, phone and ID number sealed under the data key

Existing rows are sealed with CASEWORK_DATA_KEY and the plaintext columns dropped.  A database
with petitioners and no key is refused before anything changes.  casework.storage.schema.upgrade then
purges the old plaintext from free pages (SQLite VACUUM, PostgreSQL VACUUM FULL).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel types; alembic #1647)
from alembic import context, op

import casework.storage.db  # noqa: F401

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 1000
SEALED = ('name_sealed', 'phone_sealed', 'id_number_sealed')
petitioners = sa.table(
    'petitioners', sa.column('id', sa.Integer), sa.column('name', sa.String),
    sa.column('phone', sa.String), sa.column('key_id', sa.String),
    sa.column('phone_hash', sa.String), sa.column('gender', sa.String),
    sa.column('age_group', sa.String),
    *(sa.column(name, sa.LargeBinary) for name in SEALED))


def _keyring():
    """The keys casework.storage.schema.upgrade was given (else the environment's): DataKeyError, one
    clear sentence, when there are none."""
    from casework.storage.schema import keyring_for_migrations

    return keyring_for_migrations(context.config)


def _count(bind) -> int:
    return bind.execute(sa.select(sa.func.count()).select_from(petitioners)).scalar_one()


def upgrade() -> None:
    bind = op.get_bind()
    count = _count(bind)
    keyring = _keyring() if count else None  # refuse before changing anything
    if bind.dialect.name == 'sqlite':
        # Pages freed below are zeroed, so the plaintext does not linger in the file.
        op.execute('PRAGMA secure_delete = ON')
    with op.batch_alter_table('petitioners', schema=None) as batch_op:
        batch_op.add_column(sa.Column('key_id', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True))
        for name in SEALED:
            batch_op.add_column(sa.Column(name, sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('phone_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
    if count:
        _seal_all(bind, keyring)
        context.config.attributes['casework_purge_plaintext'] = True
    with op.batch_alter_table('petitioners', schema=None) as batch_op:
        batch_op.drop_index('ix_petitioners_phone')
        batch_op.drop_column('name')
        batch_op.drop_column('phone')
        batch_op.alter_column('key_id', existing_type=sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False)
        for name in SEALED:
            batch_op.alter_column(name, existing_type=sa.LargeBinary(), nullable=False)
        batch_op.create_index(batch_op.f('ix_petitioners_key_id'), ['key_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_petitioners_phone_hash'), ['phone_hash'], unique=False)


def _seal_all(bind, keyring) -> None:
    from casework.privacy.petitioners import PetitionerData, sealed_columns

    key = keyring.current
    statement = (sa.update(petitioners).where(petitioners.c.id == sa.bindparam('row_id'))
                 .values({name: sa.bindparam(name) for name in ('key_id', 'phone_hash', *SEALED)}))
    last = 0
    while True:
        rows = bind.execute(sa.select(petitioners.c.id, petitioners.c.name, petitioners.c.phone)
                            .where(petitioners.c.id > last).order_by(petitioners.c.id)
                            .limit(BATCH)).all()
        if not rows:
            return
        bind.execute(statement, [
            {'row_id': row.id, **sealed_columns(key, PetitionerData(name=row.name, phone=row.phone))}
            for row in rows])
        last = rows[-1].id


def downgrade() -> None:
    # Back to plaintext name and phone; 0004 has no column for the ID number, so it is lost.
    from casework.privacy.petitioners import open_petitioner

    bind = op.get_bind()
    count = _count(bind)
    keyring = _keyring() if count else None
    with op.batch_alter_table('petitioners', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('phone', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False, server_default=''))
    last = 0
    while count:
        rows = bind.execute(sa.select(petitioners).where(petitioners.c.id > last)
                            .order_by(petitioners.c.id).limit(BATCH)).all()
        if not rows:
            break
        opened = [(row.id, open_petitioner(keyring, row)) for row in rows]
        bind.execute(sa.update(petitioners).where(petitioners.c.id == sa.bindparam('row_id'))
                     .values(name=sa.bindparam('plain_name'), phone=sa.bindparam('plain_phone')),
                     [{'row_id': i, 'plain_name': p.name, 'plain_phone': p.phone} for i, p in opened])
        last = rows[-1].id
    with op.batch_alter_table('petitioners', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_petitioners_phone_hash'))
        batch_op.drop_index(batch_op.f('ix_petitioners_key_id'))
        for name in ('phone_hash', *reversed(SEALED), 'key_id'):
            batch_op.drop_column(name)
        batch_op.create_index('ix_petitioners_phone', ['phone'], unique=False)
