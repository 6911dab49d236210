"""Alembic environment: runs against the connection Casework hands it (see
casework.storage.schema)."""

from alembic import context
from sqlmodel import SQLModel

import casework.storage.models  # noqa: F401  (registers the tables on SQLModel.metadata)

config = context.config
target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        from casework.storage.db import make_engine

        engine = make_engine(config.get_main_option("sqlalchemy.url"))
        try:
            with engine.connect() as conn:
                _run(conn)
        finally:
            engine.dispose()
    else:
        _run(connection)


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
