"""The events table in monthly partitions (casework/storage/partitions.py): the conversion of a
database made through the real services keeps every event, every report figure and the audit chain;
new events land in their month's partition; the DEFAULT partition's rows move out when their
month's partition is made; SQLite and a second conversion are refused cleanly.

PostgreSQL tests run where CASEWORK_TEST_DATABASE_URL is set (skipped, with the reason,
elsewhere), each on a database of its own made from a migrated template: a conversion changes
the schema, which the other tests' shared database must not see.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import zlib
from datetime import UTC, datetime, timedelta

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from click.testing import CliRunner
from conftest import COUNTY, DATA_KEY, PG_URL, VILLAGE_A1, VILLAGE_B1, WORKFLOW, petition
from sqlalchemy import event, func, select, text
from sqlalchemy.engine import make_url
from test_pg_concurrency import _one_winner
from test_reports import act, april, bj, intake, march  # noqa: F401  (fixtures)

from casework.clock import Clock
from casework.entrypoints.cli import main
from casework.errors import AlreadyPartitioned, PartitionRefused
from casework.lifecycle.audit import verify
from casework.lifecycle.intake import receive
from casework.reporting.reports import monthly_report
from casework.scheduling.deadlines import SHANGHAI
from casework.scheduling.lease import scan_lease
from casework.scheduling.scan import scan
from casework.scheduling.scheduler import PARTITION_JOB, PartitionJob, configure
from casework.storage.db import make_engine, reading, utcnow
from casework.storage.models import Event
from casework.storage.partitions import Month, ensure_partitions, list_partitions, partition_events
from casework.storage.schema import upgrade

POSTGRES = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
AFTER = bj(5, 1, 12)  # the conversion's "now": partitions from January to August 2026
# Either side of a month's end, Beijing time: 28 Feb 23:30 is February, 1 Mar 00:30 (28 Feb
# 16:30 UTC) is March.
END_OF_FEB = datetime(2026, 2, 28, 23, 30, tzinfo=SHANGHAI)
START_OF_MARCH = datetime(2026, 3, 1, 0, 30, tzinfo=SHANGHAI)


# -- databases --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def pg_template(worker_id):
    if not PG_URL:
        pytest.skip("PostgreSQL tests need CASEWORK_TEST_DATABASE_URL (not set here)")
    base = make_url(PG_URL)
    name = f"{base.database}_cwpart_{worker_id}_{os.getpid()}"
    admin = make_engine(base.render_as_string(hide_password=False), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(base.set(database=name).render_as_string(hide_password=False))
    upgrade(engine)
    engine.dispose()  # a template must have no connections when it is copied
    yield admin, base, name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """Overrides conftest's: a fresh PostgreSQL database per test, never the shared one."""
    if request.param == "sqlite":
        path = tmp_path / "casework.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    admin, base, template = request.getfixturevalue("pg_template")
    name = f"{template}_{zlib.crc32(request.node.nodeid.encode())}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    yield base.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def history(request, cw, people):
    """The report tests' county from January to April 2026 (test_reports.py's ``april``), and
    a case either side of the end of February (Beijing time)."""
    cases = request.getfixturevalue("april")
    op, v1 = people["operator"], people["village_a1"]
    late = intake(cw, op, END_OF_FEB, VILLAGE_A1, "property")
    return {**cases, "late": act(cw, v1, late, "accept", START_OF_MARCH)}


def fail_on(problem) -> None:
    pytest.fail(str(problem))


def rows(cw, sql: str, **params) -> list[tuple]:
    with cw.engine.connect() as conn:
        return [tuple(row) for row in conn.execute(text(sql), params)]


def snapshot(cw) -> dict:
    """Every event row as stored, the columns' types, the events' sequence."""
    return {
        "rows": rows(cw, "SELECT * FROM events ORDER BY id"),
        "columns": rows(cw, "SELECT column_name, data_type, character_maximum_length,"
                            " is_nullable, column_default FROM information_schema.columns"
                            " WHERE table_name = 'events' ORDER BY ordinal_position"),
    }


def constraints(cw) -> dict[str, str]:
    return dict(rows(cw, "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
                         " WHERE conrelid = 'events'::regclass"))


def indexes(cw) -> dict[str, str]:
    return dict(rows(cw, "SELECT indexname, indexdef FROM pg_indexes"
                         " WHERE tablename = 'events'"))


def partition_of_each_event(cw) -> list[tuple[str, datetime]]:
    return rows(cw, "SELECT tableoid::regclass::text, at FROM events ORDER BY id")


def converted(cw) -> None:
    partition_events(cw.engine, now=AFTER)


# -- the conversion ---------------------------------------------------------------------------
@POSTGRES
def test_the_conversion_keeps_every_row_column_and_index(cw, history):
    before, keys_before, indexes_before = snapshot(cw), constraints(cw), indexes(cw)
    done = partition_events(cw.engine, now=AFTER)

    assert snapshot(cw) == before
    assert done.rows == len(before["rows"]) == 39
    assert [p.month for p in done.partitions] == [
        f"2026-{m:02d}" for m in range(1, 9)] + [None]
    assert done.partitions[-1].name == "events_default" and done.partitions[-1].default
    assert rows(cw, "SELECT relkind FROM pg_class WHERE relname = 'events'") == [("p",)]
    # The keys as PostgreSQL allows them on a partitioned table: widened by ``at``.
    assert keys_before["events_pkey"] == "PRIMARY KEY (id)"
    assert keys_before["uq_events_case_seq"] == "UNIQUE (case_id, seq)"
    assert constraints(cw) == {**keys_before, "events_pkey": "PRIMARY KEY (id, at)",
                               "uq_events_case_seq": "UNIQUE (case_id, seq, at)"}
    # Every other index as it was (a partitioned table's are printed "ON ONLY"), and all of
    # them on every partition, where the planner uses them.
    after = {name: sql.replace(" ON ONLY ", " ON ") for name, sql in indexes(cw).items()}
    after["events_pkey"] = after["events_pkey"].replace("(id, at)", "(id)")
    after["uq_events_case_seq"] = after["uq_events_case_seq"].replace(
        "(case_id, seq, at)", "(case_id, seq)")
    assert after == indexes_before
    assert "ix_events_at_village" in indexes_before
    assert rows(cw, "SELECT count(*) FROM pg_indexes WHERE tablename = 'events_2026_03'") == [
        (len(indexes_before),)]
    assert rows(cw, "SELECT pg_get_serial_sequence('events', 'id')") == [
        ("public.events_id_seq",)]


@POSTGRES
def test_every_event_sits_in_the_partition_of_its_beijing_month(cw, history):
    converted(cw)
    placed = partition_of_each_event(cw)
    assert {name for name, _at in placed} >= {"events_2026_01", "events_2026_02",
                                               "events_2026_03", "events_2026_04"}
    for name, at in placed:
        assert name == Month.of(at.replace(tzinfo=UTC)).name, (name, at)
    late = rows(cw, "SELECT e.seq, e.tableoid::regclass::text FROM events e"
                    " JOIN cases c ON c.id = e.case_id WHERE c.number = :n ORDER BY e.seq",
                n=history["late"].number)
    assert late == [(1, "events_2026_02"), (2, "events_2026_03")]  # 28 Feb 15:30 / 16:30 UTC


@POSTGRES
def test_new_intake_and_actions_land_in_their_month_and_ids_continue(cw, people, history):
    converted(cw)
    (last_id,) = rows(cw, "SELECT max(id) FROM events")[0]
    may = receive(cw, people["operator"], petition(), now=bj(5, 6))
    may = act(cw, people["village_a1"], may, "accept", bj(5, 7))
    act(cw, people["village_a1"], may, "resolve", bj(6, 1, 9), outcome="mediated", note="好了")
    new = rows(cw, "SELECT e.id, e.seq, e.tableoid::regclass::text FROM events e JOIN cases c"
                   " ON c.id = e.case_id WHERE c.number = :n ORDER BY e.seq", n=may.number)
    assert [(seq, name) for _id, seq, name in new] == [
        (1, "events_2026_05"), (2, "events_2026_05"), (3, "events_2026_06")]
    assert [id_ for id_, _seq, _name in new] == list(range(last_id + 1, last_id + 4))
    assert verify(cw.engine, report=fail_on).problems == 0


@POSTGRES
def test_the_monthly_reports_are_the_same_before_and_after(cw, history):
    def reports() -> list[dict]:
        return [monthly_report(cw, month=month, area=area, now=AFTER, closed=False)
                for month in ("2026-02", "2026-03", "2026-04") for area in (COUNTY, None)]

    before = reports()
    converted(cw)
    assert reports() == before
    assert before[2]["received"] == 8  # the March of test_reports, unchanged by this history


@POSTGRES
def test_audit_verify_finds_the_chain_intact_after_the_conversion(cw, history):
    before = verify(cw.engine, report=fail_on)
    converted(cw)
    after = verify(cw.engine, report=fail_on)
    assert (after.cases, after.events, after.problems) == (before.cases, before.events, 0)
    # and still sees damage: an event altered inside its partition
    with cw.engine.begin() as conn:
        conn.execute(text("UPDATE events_2026_03 SET note = 'x' WHERE id ="
                          " (SELECT min(id) FROM events_2026_03)"))
    found = []
    assert verify(cw.engine, report=found.append).problems == 1
    assert "altered" in str(found[0])


@POSTGRES
def test_the_deadline_scan_flags_cases_into_the_partition_of_its_moment(cw, history):
    converted(cw)
    result = scan(cw, AFTER)
    assert result.overdue >= 2 and not result.failed  # c4 and c9 at least (test_reports)
    assert scan(cw, AFTER).overdue == 0  # each flag once
    assert rows(cw, "SELECT DISTINCT tableoid::regclass::text FROM events"
                    " WHERE action IN ('warn', 'overdue')") == [("events_2026_05",)]
    assert verify(cw.engine, report=fail_on).problems == 0


@POSTGRES
def test_the_months_query_of_the_report_reads_only_that_months_partition(cw, history):
    """EXPLAIN of the report's own statements (caught as they run) with their parameters."""
    converted(cw)
    caught: list[tuple[str, dict]] = []

    def catch(_conn, _cursor, statement, parameters, _context, _many):
        if "events.at >=" in statement and "events.at <" in statement:
            caught.append((statement, parameters))

    event.listen(cw.engine, "before_cursor_execute", catch)
    try:
        monthly_report(cw, month="2026-03", area=COUNTY, now=AFTER, closed=False)
    finally:
        event.remove(cw.engine, "before_cursor_execute", catch)
    # March's own statements (the level counts, the conclusions) and its trend's (each earlier
    # month's received cases, which read their events from that month only).
    start, end = datetime(2026, 2, 28, 16, 0), datetime(2026, 3, 31, 16, 0)  # Beijing midnights
    own = [(s, p) for s, p in caught if {start, end} <= set(p.values())]
    assert len(own) >= 2, caught  # the level counts and the conclusions, at least
    assert len(caught) > len(own)  # the trend's months
    with cw.engine.connect() as conn:
        for statement, parameters in caught:
            plan = "\n".join(conn.exec_driver_sql(f"EXPLAIN (COSTS OFF) {statement}",
                                                  parameters).scalars())
            read = set(re.findall(r"\bevents_(?:\d{4}_\d{2}|default)\b", plan))
            assert len(read) == 1, plan
            if (statement, parameters) in own:
                assert read == {"events_2026_03"}, plan


# -- keeping partitions ahead ------------------------------------------------------------------
@POSTGRES
def test_ensure_partitions_makes_the_coming_months_once(cw, history):
    converted(cw)
    october = datetime(2026, 10, 20, tzinfo=SHANGHAI)
    assert ensure_partitions(cw.engine, october) == [
        "events_2026_10", "events_2026_11", "events_2026_12", "events_2027_01"]
    assert ensure_partitions(cw.engine, october) == []
    assert ensure_partitions(cw.engine, october, months_ahead=4) == ["events_2027_02"]
    months = [p.month for p in list_partitions(cw.engine) if p.month]
    assert months[-5:] == ["2026-10", "2026-11", "2026-12", "2027-01", "2027-02"]
    assert "2026-09" not in months  # nothing asked for it: it stays in DEFAULT if ever used


@POSTGRES
def test_rows_in_the_default_partition_move_into_their_new_month(cw, people, history):
    converted(cw)
    operator = people["operator"]
    october = receive(cw, operator, petition(), now=datetime(2026, 10, 1, 0, 10, tzinfo=SHANGHAI))
    october = act(cw, people["village_a1"], october, "accept", bj(10, 9))
    before = snapshot(cw)
    listed = {p.name: p.rows for p in list_partitions(cw.engine)}
    assert listed["events_default"] == 2  # no partition for October yet, and no failure

    assert ensure_partitions(cw.engine, bj(10, 12))[0] == "events_2026_10"
    assert snapshot(cw) == before
    assert rows(cw, "SELECT tableoid::regclass::text, count(*) FROM events"
                    " WHERE case_id = (SELECT id FROM cases WHERE number = :n) GROUP BY 1",
                n=october.number) == [("events_2026_10", 2)]
    assert {p.name: p.rows for p in list_partitions(cw.engine)}["events_default"] == 0
    # DEFAULT is attached again, and October's inserts now go to its partition
    act(cw, people["village_a1"], october, "note", bj(10, 13), note="回访")
    assert {p.name: p.rows for p in list_partitions(cw.engine)}["events_2026_10"] == 3
    assert verify(cw.engine, report=fail_on).problems == 0


@POSTGRES
def test_a_past_month_found_in_the_default_partition_gets_its_own(cw, people):
    receive(cw, people["operator"], petition(), now=bj(3, 10))
    partition_events(cw.engine, now=bj(3, 11), months_ahead=1)  # March and April 2026
    # A petition dated back into February, as the intake allows (up to 365 days back):
    receive(cw, people["operator"], petition(received_at=bj(2, 20).isoformat()), now=bj(3, 12))
    assert rows(cw, "SELECT count(*) FROM events_default") == [(1,)]
    assert ensure_partitions(cw.engine, bj(3, 12), months_ahead=1) == ["events_2026_02"]
    assert rows(cw, "SELECT count(*) FROM events_default") == [(0,)]
    assert rows(cw, "SELECT count(*) FROM events_2026_02") == [(1,)]


# -- refusals ---------------------------------------------------------------------------------
@SQLITE
def test_sqlite_refuses_in_one_sentence_and_writes_nothing(cw, people):
    receive(cw, people["operator"], petition())
    tables = rows(cw, "SELECT name, sql FROM sqlite_master ORDER BY name")
    with pytest.raises(PartitionRefused, match="partitioning is for PostgreSQL; this database "
                                               "is sqlite"):
        partition_events(cw.engine)
    assert rows(cw, "SELECT name, sql FROM sqlite_master ORDER BY name") == tables
    assert ensure_partitions(cw.engine, utcnow()) == []
    assert list_partitions(cw.engine) is None
    with reading(cw.engine) as session:
        assert session.execute(select(func.count()).select_from(Event)).scalar_one() == 1


@POSTGRES
def test_a_second_conversion_is_refused_and_changes_nothing(cw, history):
    converted(cw)
    before, listed = snapshot(cw), list_partitions(cw.engine)
    with pytest.raises(AlreadyPartitioned, match="already partitioned by month .9 partitions"):
        partition_events(cw.engine, now=AFTER + timedelta(days=200))
    assert snapshot(cw) == before and list_partitions(cw.engine) == listed


@POSTGRES
def test_a_table_with_something_the_conversion_would_lose_is_refused(cw, history):
    with cw.engine.begin() as conn:
        conn.execute(text("CREATE VIEW closes AS SELECT * FROM events WHERE action = 'close'"))
    before = snapshot(cw)
    with pytest.raises(PartitionRefused, match="view closes reads it .nothing was changed"):
        partition_events(cw.engine, now=AFTER)
    assert snapshot(cw) == before
    assert list_partitions(cw.engine) is None


@POSTGRES
def test_a_stale_double_action_after_the_conversion_still_has_one_winner(cw, people):
    partition_events(cw.engine)
    row = _one_winner(cw, people["village_a1"],
                      lambda version, _i: {"action": "accept", "version": version})
    assert row.status == "in_progress"
    assert rows(cw, "SELECT DISTINCT tableoid::regclass::text FROM events") == [
        (Month.of(utcnow()).name,)]


# -- the scheduler ----------------------------------------------------------------------------
def test_the_scheduler_keeps_partitions_ahead_daily(cw):
    jobs = {job.id: job for job in configure(BackgroundScheduler(timezone=SHANGHAI), cw)
            .get_jobs()}
    assert str(jobs[PARTITION_JOB].trigger) == "cron[hour='3', minute='50']"
    assert isinstance(jobs[PARTITION_JOB].func, PartitionJob)


@POSTGRES
def test_the_partition_job_runs_only_while_its_scheduler_holds_the_lease(cw, history):
    converted(cw)
    cw.settings = dataclasses.replace(cw.settings, clock=Clock(
        start=datetime(2026, 10, 20, tzinfo=SHANGHAI), anchor=datetime.now(UTC).timestamp()))
    ttl = timedelta(minutes=3)
    other, ours = scan_lease(cw, "other-scheduler", ttl), scan_lease(cw, "this-scheduler", ttl)
    job = PartitionJob(cw, ours)
    try:
        assert other.acquire(utcnow())
        job()
        assert "events_2026_10" not in {p.name for p in list_partitions(cw.engine)}
        other.release()
        job()
        assert {"events_2026_10", "events_2027_01"} <= {p.name for p in list_partitions(cw.engine)}
    finally:
        other.release()
        ours.release()


# -- the command line -------------------------------------------------------------------------
@pytest.fixture
def run(database_url):
    env = {"CASEWORK_DATABASE_URL": database_url, "CASEWORK_WORKFLOW": str(WORKFLOW),
           "CASEWORK_DATA_KEY": DATA_KEY}

    def invoke(*args):
        return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)

    return invoke


@POSTGRES
def test_the_partition_commands(run, cw, people):
    for village in (VILLAGE_A1, VILLAGE_B1):
        receive(cw, people["operator"], petition(village_code=village))
    this, last = Month.of(utcnow()), Month.of(utcnow()).plus(3)
    assert run("partitions", "status").stdout == "the events table is not partitioned\n"
    assert run("partitions", "ensure").stdout == (
        "the events table is not partitioned: nothing to do\n")

    result = run("partitions", "convert")
    assert result.exit_code == 0, result.output
    assert result.stdout == (f"events partitioned by month: 2 events in 4 monthly partitions "
                             f"({this.label} to {last.label}) and a DEFAULT one\n")
    again = run("partitions", "convert")
    assert again.exit_code == 0 and again.stdout.startswith(
        "nothing to do: the events table is already partitioned by month (5 partitions)")

    status = run("partitions", "status")
    assert status.exit_code == 0
    lines = status.stdout.splitlines()
    assert lines[0].split() == ["partition", "month", "from", "(UTC)", "to", "(UTC)", "rows"]
    assert lines[1].split()[:2] == [this.name, this.label] and lines[1].split()[-1] == "2"
    assert lines[5].split() == ["events_default", "default", "-", "-", "0"]
    assert lines[-1] == "5 partitions, 2 events"
    assert run("partitions", "status", "--estimate").stdout.endswith(
        "5 partitions, 2 events (estimated)\n")
    ensured = run("partitions", "ensure", "--months-ahead", "4")
    assert (ensured.exit_code, ensured.stdout) == (0, f"created {this.plus(4).name}\n")
    assert run("partitions", "ensure").stdout == "no partition was missing\n"


@SQLITE
def test_the_partition_commands_on_sqlite(run, cw):
    result = run("partitions", "convert")
    assert result.exit_code == 1
    assert result.stderr == ("casework: partitioning is for PostgreSQL; this database is "
                             "sqlite, which keeps the events in one table.\n")
    status = run("partitions", "status")
    assert (status.exit_code, status.stdout) == (
        0, "the events table is not partitioned (SQLite keeps one table)\n")
