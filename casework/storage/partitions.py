"""The events table partitioned by month on PostgreSQL (a province: ~5 million events a year).

``partition_events`` converts the plain ``events`` table, once, into a table partitioned
``BY RANGE (at)`` with one partition per month (``events_2026_10``) and a DEFAULT partition;
``ensure_partitions`` (the scheduler, daily) keeps partitions made a few months ahead;
``list_partitions`` shows them.  SQLite keeps its one table: converting refuses there, the rest
does nothing.

Months are Asia/Shanghai months, as the monthly report's are: a report cuts at Shanghai
midnight of the 1st, so a month's report reads exactly one partition.  ``at`` is stored as
naive UTC (casework.storage.db.UTCDateTime), so the bounds are those midnights as UTC instants:
``events_2026_10`` holds ``at`` from 2026-09-30 16:00 to 2026-10-31 16:00 (UTC).

PostgreSQL requires a partitioned table's PRIMARY KEY and UNIQUE constraints to contain the
partition key, so ``events_pkey`` becomes (id, at) and ``uq_events_case_seq`` becomes
(case_id, seq, at): two events of a case with the same seq but different times would no longer
be refused by the database itself.  That is still safe, because no such pair can commit: every
event is written in the transaction of a versioned UPDATE of its case row
(casework/lifecycle/events.py,
casework/lifecycle/_driver.py: ``UPDATE cases ... WHERE id = ? AND version = ?`` and a rowcount
check), and its seq is the case row's ``last_event_seq + 1`` read under that same version; of two
writers of the same seq one updates the row and the other finds it moved on and is refused as
stale.  And should something write behind Casework's back, ``casework audit verify`` names the
duplicate ("out of order" / "inserted") or a missing seq.  ``id`` stays unique in practice: it
is given by the same sequence as before, which the new table takes over.  Nothing refers to
events by a foreign key, and nothing names ``uq_events_case_seq`` (no ON CONFLICT on events).

Every DDL step of the conversion runs in one transaction (PostgreSQL's DDL is transactional):
a failure leaves the plain table as it was.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

from casework.errors import AlreadyPartitioned, PartitionRefused
from casework.scheduling.deadlines import SHANGHAI
from casework.scheduling.lease import LOCK_SPACE, advisory_key
from casework.storage.db import utcnow

TABLE = "events"
OLD = "events_unpartitioned"  # the plain table, during the conversion only
DEFAULT = "events_default"
KEY = "at"
MONTHS_AHEAD = 3
# The conversion may wait a little for running transactions; the scheduler's daily upkeep
# waits less: while a DDL statement waits for its lock, every insert queues behind it.
CONVERT_LOCK_TIMEOUT, UPKEEP_LOCK_TIMEOUT = "60s", "5s"
LOCK_KEY = advisory_key("event_partitions")
LOCK_NOT_AVAILABLE = "55P03"
BOUND = re.compile(r"FOR VALUES FROM \('([^']+)'\) TO \('([^']+)'\)")


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month in Asia/Shanghai."""

    year: int
    month: int

    @classmethod
    def of(cls, moment: datetime) -> Month:
        local = moment.astimezone(SHANGHAI)
        return cls(local.year, local.month)

    def plus(self, months: int) -> Month:
        index = self.year * 12 + self.month - 1 + months
        return Month(index // 12, index % 12 + 1)

    @property
    def label(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def name(self) -> str:
        return f"{TABLE}_{self.year:04d}_{self.month:02d}"

    @property
    def start(self) -> datetime:
        """Shanghai midnight of the 1st, in UTC."""
        return datetime(self.year, self.month, 1, tzinfo=SHANGHAI).astimezone(UTC)

    @property
    def end(self) -> datetime:
        return self.plus(1).start


@dataclass(frozen=True)
class Partition:
    name: str
    start: datetime | None  # None for the DEFAULT partition (and an unbounded side)
    end: datetime | None
    rows: int  # exact, or the planner's estimate when listed with exact=False
    default: bool = False

    @property
    def month(self) -> str | None:
        """YYYY-MM when the partition holds exactly one Shanghai month."""
        if self.start is None or self.end is None:
            return None
        month = Month.of(self.start)
        return month.label if (month.start, month.end) == (self.start, self.end) else None


@dataclass(frozen=True)
class Conversion:
    rows: int
    partitions: list[Partition]


def partition_events(engine: Engine, *, now: datetime | None = None,
                     months_ahead: int = MONTHS_AHEAD) -> Conversion:
    """Convert ``events`` into monthly partitions: every month from its oldest event to
    ``months_ahead`` after this one (or after its newest event), and a DEFAULT partition so that
    no insert can fail.  Every row, column, index and constraint is kept (keys widened by
    ``at``, see above); new ids continue the old sequence.  One transaction.

    PartitionRefused on SQLite or on a table this cannot convert faithfully (the reason
    named); AlreadyPartitioned on a second run."""
    _refuse_sqlite(engine)
    now = now or utcnow()
    with _refused_when_busy(), engine.begin() as conn:
        if _kind(conn) is None:
            raise PartitionRefused("there is no events table; run `casework init` first")
        _take_lock(conn, CONVERT_LOCK_TIMEOUT)
        if _kind(conn) == "p":  # asked again under the lock: another run may just have ended
            raise AlreadyPartitioned(
                f"the events table is already partitioned by month "
                f"({len(_bounds(conn))} partitions); `casework partitions status` lists them")
        conn.execute(text(f"LOCK TABLE {TABLE} IN ACCESS EXCLUSIVE MODE"))
        _refuse_what_would_be_lost(conn)
        keys = _keys_and_indexes(conn)
        columns = ", ".join(_quote(conn, name) for name in _columns(conn))
        months = _months_held(conn, Month.of(now), months_ahead)
        conn.execute(text(f"ALTER TABLE {TABLE} RENAME TO {OLD}"))
        # LIKE copies the columns with their types, NOT NULLs, defaults (id's nextval of
        # events_id_seq), CHECKs, storage and comments; keys and indexes come after the load,
        # which is faster than keeping them up to date row by row.
        conn.execute(text(
            f"CREATE TABLE {TABLE} (LIKE {OLD} INCLUDING DEFAULTS INCLUDING CONSTRAINTS "
            f"INCLUDING STORAGE INCLUDING COMMENTS) PARTITION BY RANGE ({KEY})"))
        for month in months:
            _create_month(conn, month)
        conn.execute(text(f"CREATE TABLE {DEFAULT} PARTITION OF {TABLE} DEFAULT"))
        rows = conn.execute(text(f"SELECT count(*) FROM {OLD}")).scalar_one()
        copied = conn.execute(text(
            f"INSERT INTO {TABLE} ({columns}) SELECT {columns} FROM {OLD}")).rowcount
        if copied != rows:  # cannot happen in one transaction; checked because it is cheap
            raise PartitionRefused(f"copied {copied} of {rows} events; nothing was changed")
        for sequence, column in conn.execute(text(OWNED_SEQUENCES), {"table": OLD}).all():
            # The sequence would be dropped with its old owner; new ids continue from it.
            conn.execute(text(f"ALTER SEQUENCE {sequence} OWNED BY {TABLE}.{column}"))
        grants = conn.execute(text(GRANTS), {"table": OLD}).all()
        conn.execute(text(f"DROP TABLE {OLD}"))  # frees the index and constraint names
        for statement in keys:  # as PostgreSQL printed them: not through text()'s ":name"s
            conn.exec_driver_sql(statement)
        for privilege, grantee in grants:
            conn.exec_driver_sql(f"GRANT {privilege} ON {TABLE} TO {grantee}")
        conn.execute(text(f"ANALYZE {TABLE}"))
        return Conversion(rows=rows, partitions=_listed(conn, exact=False))


def ensure_partitions(engine: Engine, now: datetime, months_ahead: int = MONTHS_AHEAD
                      ) -> list[str]:
    """Create the partitions missing from this month to ``months_ahead`` ahead, and one for
    every month whose events sit in the DEFAULT partition (a ledger of past months, say),
    moving those rows into it; recreate a lost DEFAULT partition.  Idempotent; does nothing
    on SQLite or on an unpartitioned table.  The names created, oldest month first."""
    if engine.dialect.name != "postgresql":
        return []
    with _refused_when_busy(), engine.begin() as conn:
        if _kind(conn) != "p":
            return []
        _take_lock(conn, UPKEEP_LOCK_TIMEOUT)
        bounds = _bounds(conn)
        default = next((name for name, start, _end in bounds if start is None), None)
        taken = [(start, end) for _name, start, end in bounds if start is not None]
        this = Month.of(now)
        wanted = set(_months(this, this.plus(months_ahead)))
        if default is not None:
            wanted |= _months_in(conn, default)
        missing = sorted(month for month in wanted
                         if not any(start < month.end and month.start < end
                                    for start, end in taken))
        crowded = [month for month in missing
                   if default is not None and _holds(conn, default, month)]
        if crowded:
            _move_out_of_default(conn, default, crowded)
        for month in missing:
            if month not in crowded:
                _create_month(conn, month)
        created = [month.name for month in missing]
        if default is None:
            conn.execute(text(f"CREATE TABLE {DEFAULT} PARTITION OF {TABLE} DEFAULT"))
            created.append(DEFAULT)
        return created


def list_partitions(engine: Engine, *, exact: bool = True) -> list[Partition] | None:
    """The partitions of ``events``, oldest first and DEFAULT last, with their rows (counted,
    or the planner's estimates when ``exact`` is False: counting reads every row).  None when
    the table is not partitioned (always on SQLite)."""
    if engine.dialect.name != "postgresql":
        return None
    with engine.connect() as conn:
        return _listed(conn, exact=exact) if _kind(conn) == "p" else None


# -- helpers ----------------------------------------------------------------------------------
OWNED_SEQUENCES = """
SELECT d.objid::regclass::text, quote_ident(a.attname)
FROM pg_depend d JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
WHERE d.refobjid = CAST(:table AS regclass) AND d.deptype = 'a'"""
# What other roles were granted on the table (a reporting role, say), to grant again.
GRANTS = """
SELECT a.privilege_type, CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(r.rolname) END
FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) a
LEFT JOIN pg_roles r ON r.oid = a.grantee
WHERE c.oid = CAST(:table AS regclass) AND a.grantee <> c.relowner"""


def _refuse_sqlite(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        raise PartitionRefused(
            f"partitioning is for PostgreSQL; this database is {engine.dialect.name}, "
            "which keeps the events in one table")


@contextmanager
def _refused_when_busy() -> Iterator[None]:
    """A lock wait past the timeout as one sentence, not as "the database is unreachable"."""
    try:
        yield
    except DBAPIError as exc:
        if getattr(exc.orig, "sqlstate", None) == LOCK_NOT_AVAILABLE:
            raise PartitionRefused("the events table is busy (its lock was not granted in "
                                   "time); stop the web app and the scheduler, then try again"
                                   ) from None
        raise


def _take_lock(conn: Connection, timeout: str) -> None:
    """One partition change at a time (the scheduler's daily run, the command line), made as
    the owner of events: its new tables then belong to the role the app and the scheduler run
    as, which must own them to manage them later (a superuser running this can act as it)."""
    owner = conn.execute(text("SELECT pg_get_userbyid(relowner) FROM pg_class"
                              " WHERE oid = CAST(:t AS regclass)"), {"t": TABLE}).scalar_one()
    if owner != conn.execute(text("SELECT current_user")).scalar_one():
        try:
            conn.execute(text(f"SET LOCAL ROLE {_quote(conn, owner)}"))
        except DBAPIError:
            raise PartitionRefused(f"run this as the owner of the events table ({owner}) or a "
                                   "role that may act as it") from None
    conn.execute(text(f"SET LOCAL lock_timeout = '{timeout}'"))
    conn.execute(text("SELECT pg_advisory_xact_lock(CAST(:space AS integer),"
                      " CAST(:key AS integer))"), {"space": LOCK_SPACE, "key": LOCK_KEY})


def _kind(conn: Connection) -> str | None:
    """'r' for a plain table, 'p' for a partitioned one, None when there is none."""
    return conn.execute(text("SELECT relkind FROM pg_class WHERE oid = to_regclass(:t)"),
                        {"t": TABLE}).scalar_one_or_none()


# What the conversion would not carry over: a catalog query naming each such thing, and how
# to say it.
WOULD_BE_LOST = (
    ("SELECT conrelid::regclass::text FROM pg_constraint WHERE confrelid = CAST(:t AS regclass)",
     "table {} refers to it by a foreign key"),
    ("SELECT DISTINCT v.oid::regclass::text FROM pg_depend d"
     " JOIN pg_rewrite w ON w.oid = d.objid JOIN pg_class v ON v.oid = w.ev_class"
     " WHERE d.refobjid = CAST(:t AS regclass) AND v.oid <> d.refobjid",
     "view {} reads it"),
    ("SELECT tgname FROM pg_trigger WHERE tgrelid = CAST(:t AS regclass) AND NOT tgisinternal",
     "it has trigger {}"),
    ("SELECT attname FROM pg_attribute WHERE attrelid = CAST(:t AS regclass)"
     " AND attidentity <> '' AND NOT attisdropped",
     "its column {} is an identity column"),
    ("SELECT conname FROM pg_constraint WHERE conrelid = CAST(:t AS regclass)"
     " AND contype NOT IN ('p', 'u', 'f', 'c')",
     "it has constraint {}"),
    ("SELECT i.indexrelid::regclass::text FROM pg_index i"
     " WHERE i.indrelid = CAST(:t AS regclass) AND i.indisunique"
     " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
     "it has unique index {}, which is not a constraint"),
)


def _refuse_what_would_be_lost(conn: Connection) -> None:
    """Things of the plain table this conversion does not carry over: refuse, naming them,
    rather than drop them silently."""
    reasons = [saying.format(name) for query, saying in WOULD_BE_LOST
               for (name,) in conn.execute(text(query), {"t": TABLE})]
    if reasons:
        raise PartitionRefused("cannot partition the events table: " + "; ".join(reasons)
                               + " (nothing was changed)")


def _keys_and_indexes(conn: Connection) -> list[str]:
    """The statements that give the partitioned table the plain one's keys, foreign keys and
    indexes under their own names, read before the plain table goes.  A primary key or unique
    constraint gets ``at`` added: PostgreSQL requires it (see the module's docstring)."""
    statements = []
    for name, kind, columns, definition in conn.execute(text(
            "SELECT quote_ident(conname), contype,"
            " ARRAY(SELECT quote_ident(attname) FROM unnest(conkey) WITH ORDINALITY k(n, o)"
            "       JOIN pg_attribute ON attrelid = conrelid AND attnum = k.n ORDER BY k.o),"
            " pg_get_constraintdef(oid)"
            " FROM pg_constraint WHERE conrelid = CAST(:t AS regclass)"
            " AND contype IN ('p', 'u', 'f')"
            " ORDER BY contype DESC, conname"), {"t": TABLE}):
        if kind == "f":
            statements.append(f"ALTER TABLE {TABLE} ADD CONSTRAINT {name} {definition}")
            continue
        keyed = [*columns, KEY] if KEY not in columns else columns
        kind_sql = "PRIMARY KEY" if kind == "p" else "UNIQUE"
        statements.append(
            f"ALTER TABLE {TABLE} ADD CONSTRAINT {name} {kind_sql} ({', '.join(keyed)})")
    # The other indexes as PostgreSQL prints them: "CREATE INDEX name ON public.events ...";
    # the partitioned table has the same name, so the text creates them there, on every
    # partition.
    statements.extend(conn.execute(text(
        "SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i"
        " WHERE i.indrelid = CAST(:t AS regclass)"
        " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)"
        " ORDER BY i.indexrelid::regclass::text"), {"t": TABLE}).scalars())
    return statements


def _columns(conn: Connection) -> list[str]:
    return list(conn.execute(text(
        "SELECT attname FROM pg_attribute WHERE attrelid = CAST(:t AS regclass)"
        " AND attnum > 0 AND NOT attisdropped ORDER BY attnum"), {"t": TABLE}).scalars())


def _quote(conn: Connection, name: str) -> str:
    return conn.dialect.identifier_preparer.quote(name)


def _months(first: Month, last: Month) -> list[Month]:
    months, month = [], first
    while month <= last:
        months.append(month)
        month = month.plus(1)
    return months


def _months_held(conn: Connection, this: Month, months_ahead: int) -> list[Month]:
    """From the month of the oldest event to ``months_ahead`` after this month or the newest
    event's, without gaps: a petition dated back lands in a partition too."""
    first, last = conn.execute(text(f"SELECT min({KEY}), max({KEY}) FROM {TABLE}")).one()
    oldest = Month.of(first.replace(tzinfo=UTC)) if first else this
    newest = max(this, Month.of(last.replace(tzinfo=UTC))) if last else this
    return _months(oldest, newest.plus(months_ahead))


def _literal(moment: datetime) -> str:
    """A bound as ``at`` stores it: naive UTC.  (DDL takes no parameters; this is our own
    datetime, not input.)"""
    return f"'{moment.astimezone(UTC).replace(tzinfo=None).isoformat(sep=' ')}'"


def _create_month(conn: Connection, month: Month) -> None:
    conn.execute(text(
        f"CREATE TABLE {month.name} PARTITION OF {TABLE} FOR VALUES FROM "
        f"({_literal(month.start)}) TO ({_literal(month.end)})"))


def _bounds(conn: Connection) -> list[tuple[str, datetime | None, datetime | None]]:
    """(name, start, end) of every partition; start None for DEFAULT (and MINVALUE)."""
    found = []
    for name, bound in conn.execute(text(
            "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i"
            " JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = CAST(:t AS regclass)"),
            {"t": TABLE}):
        match = BOUND.fullmatch(bound)
        start, end = (None, None) if match is None else (_utc(match[1]), _utc(match[2]))
        found.append((name, start, end))
    return found


def _utc(value: str) -> datetime:
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def _listed(conn: Connection, *, exact: bool) -> list[Partition]:
    estimates = dict(conn.execute(text(
        "SELECT c.relname, greatest(c.reltuples, 0)::bigint FROM pg_inherits i"
        " JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = CAST(:t AS regclass)"),
        {"t": TABLE}).all())
    listed = []
    for name, start, end in _bounds(conn):
        rows = (conn.execute(text(f"SELECT count(*) FROM {_quote(conn, name)}")).scalar_one()
                if exact else estimates[name])
        listed.append(Partition(name, start, end, rows, default=start is None and end is None))
    far = datetime.max.replace(tzinfo=UTC)
    return sorted(listed, key=lambda p: (p.default, p.start or far, p.name))


def _months_in(conn: Connection, default: str) -> set[Month]:
    """The Shanghai months of the events in the DEFAULT partition (a few rows, normally)."""
    starts = conn.execute(text(
        f"SELECT DISTINCT date_trunc('month', ({KEY} AT TIME ZONE 'UTC')"
        f" AT TIME ZONE 'Asia/Shanghai')"
        f" FROM {_quote(conn, default)}")).scalars()
    return {Month(start.year, start.month) for start in starts}


def _holds(conn: Connection, default: str, month: Month) -> bool:
    return conn.execute(text(
        f"SELECT EXISTS (SELECT 1 FROM {_quote(conn, default)} WHERE {KEY} >= :start"
        f" AND {KEY} < :end)"), _range(month)).scalar_one()


def _range(month: Month) -> dict:
    return {"start": month.start.replace(tzinfo=None), "end": month.end.replace(tzinfo=None)}


def _move_out_of_default(conn: Connection, default: str, months: list[Month]) -> None:
    """PostgreSQL refuses to create a partition for rows the DEFAULT partition holds, so:
    detach DEFAULT, create the months' partitions, move their rows over, attach it again; in
    the caller's transaction (attaching checks that DEFAULT holds nothing of another
    partition)."""
    quoted = _quote(conn, default)
    columns = ", ".join(_quote(conn, name) for name in _columns(conn))
    conn.execute(text(f"ALTER TABLE {TABLE} DETACH PARTITION {quoted}"))
    for month in months:
        _create_month(conn, month)
        conn.execute(text(
            f"WITH moved AS (DELETE FROM {quoted} WHERE {KEY} >= :start AND {KEY} < :end"
            f" RETURNING {columns}) INSERT INTO {TABLE} ({columns}) SELECT {columns} FROM moved"),
            _range(month))
    conn.execute(text(f"ALTER TABLE {TABLE} ATTACH PARTITION {quoted} DEFAULT"))
