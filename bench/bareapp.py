"""The baseline of ``python -m bench http``: a bare Flask app doing Casework's inserts by hand.

Served by gunicorn exactly like ``casework serve`` (gthread workers, the same threads and access
log), it answers the same two requests with the same rows written, through the database driver
alone (``sqlite3`` or psycopg 3): no authentication, no validation beyond the fields it reads,
no ORM, no workflow, no notification outbox, deadlines as constants.

- ``POST /api/v1/cases``: one transaction (BEGIN IMMEDIATE on SQLite): the village looked up,
  the petitioner inserted, the county's yearly number taken with the same upsert as
  ``casework.lifecycle.intake.next_case_number``, the case row and its ``intake`` event inserted.
- ``POST /api/v1/cases/NUMBER/actions`` with ``{"action": "note", "version", "note"}``: the case
  row read by number, its version compared (409 when stale), ``UPDATE cases ... WHERE id AND
  version`` with the rowcount checked, the ``note`` event inserted.
- ``GET /ping``: nothing at all (the server's own ceiling).

The database comes from ``CASEWORK_DATABASE_URL`` (``sqlite:///PATH`` or ``postgresql://...``).
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from datetime import UTC, datetime, timedelta

from flask import Flask, request

from casework.lifecycle.chain import event_hash
from casework.privacy.crypto import Keyring
from casework.privacy.petitioners import SEALED, PetitionerData, sealed_columns

URL = os.environ.get("CASEWORK_DATABASE_URL", "").replace("+psycopg://", "://")
POSTGRES = URL.startswith("postgresql")
BOOL_TRUE, BOOL_FALSE = (True, False) if POSTGRES else (1, 0)
START_LEVEL = "village_congress"  # the default start level of workflows.yaml
DEADLINE = timedelta(days=7)  # five working days, near enough for a baseline

SELECT_VILLAGE = "SELECT code, kind FROM areas WHERE code = ?"
# The same sealed columns and hash chain as Casework writes (migrations 0007 and 0009): the
# baseline pays for the encryption and the hashing too, only not for the framework around them.
KEY = Keyring.from_texts(os.environ.get("CASEWORK_DATA_KEY"), None).current
INSERT_PETITIONER = ("INSERT INTO petitioners (key_id, name_sealed, phone_sealed, "
                     "id_number_sealed, phone_hash, gender, age_group) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id")
NEXT_NUMBER = ("INSERT INTO case_number_sequences (county_code, year, last) VALUES (?, ?, 1) "
               "ON CONFLICT (county_code, year) DO UPDATE SET last = case_number_sequences.last "
               "+ 1 RETURNING last")
INSERT_CASE = (
    "INSERT INTO cases (number, county_code, year, seq, channel, category, urgency, summary, "
    "petitioner_id, village_code, level, status, received_at, entered_level_at, due_at, "
    "warn_at, warning, overdue, extended, waiting_since, concluded_at, last_event_seq, "
    "last_event_at, version, last_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
    "?, ?, ?, NULL, NULL, 1, ?, 1, ?) RETURNING id")
INSERT_EVENT = (
    "INSERT INTO events (case_id, seq, action, from_level, from_status, to_level, to_status, "
    "actor_id, actor, at, note, data, due_at, warn_at, village_code, prev_hash, hash) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
SELECT_CASE = ("SELECT id, version, level, status, village_code, due_at, warn_at, "
               "last_event_seq, last_hash FROM cases WHERE number = ?")
UPDATE_NOTE = ("UPDATE cases SET last_event_seq = ?, last_event_at = ?, version = ?, "
               "last_hash = ? WHERE id = ? AND version = ?")


def _sql(statement: str) -> str:
    return statement.replace("?", "%s") if POSTGRES else statement


def _stamp(moment: datetime):
    """What Casework stores: naive UTC (as text on SQLite, as SQLAlchemy writes it)."""
    naive = moment.astimezone(UTC).replace(tzinfo=None)
    return naive if POSTGRES else naive.isoformat(" ", "microseconds")


def _moment(stored) -> datetime | None:
    """A stored time back as an aware UTC datetime (text on SQLite, naive on PostgreSQL)."""
    if stored is None:
        return None
    moment = datetime.fromisoformat(stored) if isinstance(stored, str) else stored
    return moment.replace(tzinfo=UTC)


def _hash(number: str, seq: int, action: str, level: str, status: str, from_level, from_status,
          at: datetime, note: str, data: dict, due: datetime | None, warn: datetime | None,
          village: str, prev: str | None) -> str:
    return event_hash(number, {
        "seq": seq, "action": action, "from_level": from_level, "from_status": from_status,
        "to_level": level, "to_status": status, "actor_id": None, "actor": "operator",
        "at": at, "note": note, "data": data, "due_at": due, "warn_at": warn,
        "deadline_met": None, "village_code": village}, prev)


_local = threading.local()


def _connect():
    if POSTGRES:
        import psycopg

        return psycopg.connect(URL, autocommit=True)
    connection = sqlite3.connect(URL.removeprefix("sqlite:///"), isolation_level=None,
                                 check_same_thread=False)
    for pragma in ("journal_mode=WAL", "busy_timeout=5000", "foreign_keys=ON",
                   "synchronous=NORMAL"):
        connection.execute(f"PRAGMA {pragma}")
    return connection


def _connection():
    connection = getattr(_local, "connection", None)
    if connection is None:
        connection = _local.connection = _connect()
    return connection


class _Transaction:
    """BEGIN IMMEDIATE on SQLite (as casework.storage.db), BEGIN on PostgreSQL; rollback on
    error."""

    def __enter__(self):
        self.db = _connection()
        self.db.execute("BEGIN" if POSTGRES else "BEGIN IMMEDIATE")
        return self

    def one(self, statement: str, params: tuple):
        return self.db.execute(_sql(statement), params).fetchone()

    def run(self, statement: str, params: tuple) -> int:
        return self.db.execute(_sql(statement), params).rowcount

    def __exit__(self, kind, *_):
        self.db.execute("ROLLBACK" if kind else "COMMIT")
        return False


app = Flask(__name__)


@app.get("/ping")
def ping():
    return {"ok": True}


@app.post("/api/v1/cases")
def intake():
    body = request.get_json()
    petitioner = body["petitioner"]
    now = datetime.now(UTC)
    due, warn = now + DEADLINE, now + DEADLINE - timedelta(days=1)
    with _Transaction() as tx:
        village = tx.one(SELECT_VILLAGE, (body["village_code"],))
        if village is None or village[1] != "village":
            return {"error": "invalid", "fields": {"village_code": "no such village"}}, 422
        sealed = sealed_columns(KEY, PetitionerData(
            name=petitioner["name"], phone="".join(c for c in petitioner["phone"] if c.isdigit())))
        petitioner_id = tx.one(INSERT_PETITIONER, (
            sealed["key_id"], *(sealed[f"{name}_sealed"] for name in SEALED),
            sealed["phone_hash"], petitioner["gender"], petitioner["age_group"]))[0]
        county, year = village[0][:6], now.year
        seq = tx.one(NEXT_NUMBER, (county, year))[0]
        number = f"{county}-{year}-{seq:06d}"
        data = {"channel": body["channel"]}
        chained = _hash(number, 1, "intake", START_LEVEL, "pending", None, None, now, "", data,
                        due, warn, village[0], None)
        case_id = tx.one(INSERT_CASE, (
            number, county, year, seq, body["channel"], body["category"], body["urgency"],
            body["summary"], petitioner_id, village[0], START_LEVEL, "pending", _stamp(now),
            _stamp(now), _stamp(due), _stamp(warn), BOOL_FALSE, BOOL_FALSE, BOOL_FALSE,
            _stamp(now), chained))[0]
        tx.run(INSERT_EVENT, (case_id, 1, "intake", None, None, START_LEVEL, "pending",
                              "operator", _stamp(now), "", json.dumps(data), _stamp(due),
                              _stamp(warn), village[0], None, chained))
    return {"number": number, "level": START_LEVEL, "status": "pending", "version": 1}, 201


@app.post("/api/v1/cases/<number>/actions")
def action(number: str):
    body = request.get_json()
    now = datetime.now(UTC)
    with _Transaction() as tx:
        row = tx.one(SELECT_CASE, (number,))
        if row is None:
            return {"error": "not_found"}, 404
        case_id, version, level, status, village, due, warn, seq, last_hash = row
        if body["version"] != version:
            return {"error": "stale_version", "version": version}, 409
        chained = _hash(number, seq + 1, "note", level, status, level, status, now,
                        body["note"], {}, _moment(due), _moment(warn), village, last_hash)
        if tx.run(UPDATE_NOTE, (seq + 1, _stamp(now), version + 1, chained, case_id,
                                version)) != 1:
            return {"error": "stale_version"}, 409
        tx.run(INSERT_EVENT, (case_id, seq + 1, "note", level, status, level, status,
                              "operator", _stamp(now), body["note"], "{}", due, warn, village,
                              last_hash, chained))
    return {"number": number, "level": level, "status": status, "version": version + 1}
