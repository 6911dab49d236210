"""Create or upgrade the schema with the migrations shipped in the package (``casework init``)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from casework.privacy.crypto import KEY_ENV, OLD_KEYS_ENV, Keyring

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return config


def upgrade(engine: Engine, keys: Callable[[], Keyring] | None = None) -> None:
    """Bring the database to the newest schema; running it again changes nothing.

    ``keys`` gives the data keys, asked for only when a migration must seal or open existing
    petitioners (default: CASEWORK_DATA_KEY from the environment)."""
    config = alembic_config(engine)
    config.attributes["casework_keys"] = keys
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    if config.attributes.get("casework_purge_plaintext"):
        purge_free_space(engine, config.attributes.get("casework_purge_tables",
                                                       ["petitioners"]))


def keyring_for_migrations(config: Config) -> Keyring:
    keys = config.attributes.get("casework_keys")
    if keys is not None:
        return keys()
    return Keyring.from_texts(os.environ.get(KEY_ENV), os.environ.get(OLD_KEYS_ENV))


def update_in_batches(bind, table, columns: tuple[str, ...], change, batch: int = 1000) -> None:
    """For a data migration: ``change(row)`` (the row's new values, or None to keep it) for
    every row of ``table``, by id, ``batch`` rows a statement, so a province's events are never
    held in memory at once."""
    statement = (sa.update(table).where(table.c.id == sa.bindparam("row_id"))
                 .values({name: sa.bindparam(f"new_{name}") for name in columns}))
    last = 0
    while True:
        rows = bind.execute(sa.select(table.c.id, *(table.c[name] for name in columns))
                            .where(table.c.id > last).order_by(table.c.id).limit(batch)).all()
        if not rows:
            return
        changes = [{"row_id": row.id, **{f"new_{k}": v for k, v in new.items()}}
                   for row in rows if (new := change(row)) is not None]
        if changes:
            bind.execute(statement, changes)
        last = rows[-1].id


def purge_free_space(engine: Engine, tables: list[str] | None = None) -> None:
    """Rewrite the storage so that plaintext a migration removed is gone from the files, not
    just unreachable: SQLite keeps freed pages and WAL frames, PostgreSQL dead tuples and
    dropped columns' bytes.  (Backups and archived WAL taken before still hold it.)"""
    if engine.dialect.name == "sqlite":
        raw = engine.raw_connection()
        try:
            raw.driver_connection.execute("VACUUM")
            raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            raw.close()
    elif engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            for table in dict.fromkeys(tables or ["petitioners"]):
                connection.exec_driver_sql(f"VACUUM FULL {table}")
