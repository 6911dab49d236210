"""The migrations and the models describe one schema, on SQLite and on PostgreSQL alike.

A province runs on the same alembic migrations as a county's SQLite file; an index added to
the models but not to a migration (or the other way round) would pass every other test on a
fresh database made from the migrations, and still leave the two apart."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import casework.storage.models  # noqa: F401  (the tables, on SQLModel's metadata)


# SQLite cannot reflect an index on an expression (ix_cases_area_order): alembic says so and
# skips it there; PostgreSQL compares it too.
@pytest.mark.filterwarnings("ignore:.*expression-based index")
def test_the_migrated_schema_is_the_models_schema(cw):
    with cw.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []


@pytest.mark.filterwarnings("ignore:.*expression-based index")
def test_the_report_indexes_exist_with_their_columns(cw):
    from sqlalchemy import inspect

    inspector = inspect(cw.engine)
    events = {ix["name"]: ix["column_names"] for ix in inspector.get_indexes("events")}
    cases = {ix["name"]: ix["column_names"] for ix in inspector.get_indexes("cases")}
    assert events["ix_events_village_at"] == ["village_code", "at", "action", "from_level",
                                              "to_level"]
    assert events["ix_events_at_village"] == ["at", "village_code", "action", "from_level",
                                              "to_level"]
    assert cases["ix_cases_county_concluded"] == ["county_code", "concluded_at"]
