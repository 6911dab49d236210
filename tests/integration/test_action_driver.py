"""The action path on the database driver (casework/lifecycle/_driver.py) against the ORM path it
stands in for: the same rows, byte for byte, and the same refusals."""

from __future__ import annotations

import json
import sqlite3
import threading
from datetime import UTC, datetime, timedelta

import pytest
from conftest import petition
from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError

from casework.errors import Invalid, StaleVersion
from casework.lifecycle import _driver as driver
from casework.lifecycle.actions import apply_action, perform
from casework.lifecycle.intake import case_by_number, receive
from casework.lifecycle.projection import PROJECTED, projected_columns, replay
from casework.privacy import narratives
from casework.storage.db import reading, writing
from casework.storage.models import Event

T0 = datetime(2026, 9, 29, 2, 0, 0, 123456, tzinfo=UTC)
# (who, action, fields, minutes after T0): every kind of change of the projection.
STEPS = [
    ("village_a1", "note", {"note": "电话回访"}, 1),
    ("village_a1", "accept", {}, 2),
    ("village_a1", "wait", {"reason": "等待当事人提供材料"}, 3),
    ("village_a1", "resume", {}, 60 * 24 * 3),
    ("village_a1", "extend", {"days": 2, "reason": "当事人外出"}, 60 * 24 * 3 + 1),
    ("village_a1", "escalate", {"note": "需要乡镇出面"}, 60 * 24 * 3 + 2),
    ("township_a", "accept", {}, 60 * 24 * 4),
    ("township_a", "resolve", {"outcome": "mediated", "note": "调解成功"}, 60 * 24 * 5),
    ("county_officer", "reopen", {"reason": "当事人再次来电"}, 60 * 24 * 6),
]
CASE_COLUMNS = ("level, status, entered_level_at, due_at, warn_at, warning, overdue, extended, "
                "waiting_since, concluded_at, last_event_seq, last_event_at, version")
EVENT_COLUMNS = ("seq, action, from_level, from_status, to_level, to_status, actor_id, actor, "
                 "at, note, data, due_at, warn_at, deadline_met, village_code")


def stored(cw, case_id: int) -> tuple[list, list]:
    """The case's row and its events as the database holds them (text on SQLite), with each
    sealed text shown as ("sealed", its plaintext): a seal's nonce is new every time, so two
    seals of one note differ byte for byte (issue 18)."""
    with cw.engine.connect() as conn:
        row = conn.execute(text(f"SELECT {CASE_COLUMNS} FROM cases WHERE id = :id"),
                           {"id": case_id}).one()
        events = conn.execute(text(f"SELECT {EVENT_COLUMNS} FROM events WHERE case_id = :id "
                                   "ORDER BY seq"), {"id": case_id}).all()
    return list(row), [[_unsealed(cw, name, value) for name, value in e._mapping.items()]
                       for e in events]


def _unsealed(cw, name: str, value):
    if name == "note" and value:
        assert value.startswith(narratives.PREFIX), value
        return ("sealed", narratives.open_note(cw.keyring, value))
    if name == "data":
        data = json.loads(value) if isinstance(value, str) else value
        opened = narratives.open_data(cw.keyring, data)
        return [(key, ("sealed", opened[key]) if key in narratives.NARRATIVE_DATA else data[key])
                for key in sorted(data)]
    return value


def test_the_driver_path_stores_what_the_orm_path_stores(cw, people):
    through_driver = receive(cw, people["operator"], petition(), now=T0)
    through_orm = receive(cw, people["operator"], petition(), now=T0)
    for who, action, fields, minutes in STEPS:
        at = T0 + timedelta(minutes=minutes)
        body = {"action": action, "version": through_driver.version, **fields}
        through_driver = perform(cw, people[who], through_driver.number, body, now=at)
        assert isinstance(through_driver, driver.CaseRow)
        with writing(cw.engine) as session:
            case = case_by_number(session, through_orm.number)
            apply_action(cw, session, people[who], case, action, fields, now=at)
        through_orm = case
    assert stored(cw, through_driver.id) == stored(cw, through_orm.id)
    # and the ORM reads the driver's row back as what perform returned
    with reading(cw.engine) as session:
        case = case_by_number(session, through_driver.number)
        assert {name: getattr(case, name) for name in driver.CASE_COLUMNS} == {
            name: getattr(through_driver, name) for name in driver.CASE_COLUMNS}


def test_the_driver_path_and_the_orm_path_chain_the_same_hashes(cw, people):
    """The same actions on the same case, once on each path (the case put back in between):
    the same events, hashes and chain head, byte for byte."""
    case = receive(cw, people["operator"], petition(), now=T0)
    with cw.engine.connect() as conn:
        after_intake = conn.execute(text("SELECT * FROM cases WHERE id = :id"),
                                    {"id": case.id}).one()._asdict()

    def chained() -> tuple:
        with cw.engine.connect() as conn:
            head = conn.execute(text("SELECT last_hash FROM cases WHERE id = :id"),
                                {"id": case.id}).scalar_one()
            links = conn.execute(text("SELECT seq, prev_hash, hash FROM events "
                                      "WHERE case_id = :id ORDER BY seq"), {"id": case.id}).all()
        return stored(cw, case.id), head, [tuple(link) for link in links]

    version = case.version
    for who, action, fields, minutes in STEPS:
        version = perform(cw, people[who], case.number, {"action": action, "version": version,
                                                         **fields},
                          now=T0 + timedelta(minutes=minutes)).version
    through_driver = chained()
    with cw.engine.begin() as conn:
        conn.execute(text("DELETE FROM events WHERE case_id = :id AND seq > 1"), {"id": case.id})
        conn.execute(text("UPDATE cases SET " + ", ".join(
            f"{name} = :{name}" for name in after_intake if name != "id") + " WHERE id = :id"),
            after_intake)
    for who, action, fields, minutes in STEPS:
        with writing(cw.engine) as session:
            apply_action(cw, session, people[who], case_by_number(session, case.number), action,
                         fields, now=T0 + timedelta(minutes=minutes))
    through_orm = chained()
    assert through_driver == through_orm
    _rows, head, links = through_orm
    assert len(links) == len(STEPS) + 1 and head == links[-1][2]
    assert all(later[1] == earlier[2] for earlier, later in zip(links, links[1:], strict=False))


def test_a_row_that_moved_on_after_it_was_read_is_stale_and_nothing_is_written(
        cw, people, monkeypatch):
    case = receive(cw, people["operator"], petition(), now=T0)
    real_read = driver.DriverTransaction.case_by_number

    def read_an_older_version(tx, number):
        row = real_read(tx, number)
        row.version -= 1  # as if another transaction had updated it since
        return row

    monkeypatch.setattr(driver.DriverTransaction, "case_by_number", read_an_older_version)
    with pytest.raises(StaleVersion):
        perform(cw, people["village_a1"], case.number,
                {"action": "note", "version": case.version - 1, "note": "n"}, now=T0)
    with reading(cw.engine) as session:
        assert session.execute(select(func.count()).select_from(Event)).scalar_one() == 1
        assert case_by_number(session, case.number).version == case.version


def test_an_event_dated_before_the_last_one_is_refused_and_nothing_is_written(cw, people):
    case = receive(cw, people["operator"], petition(), now=T0)
    with pytest.raises(Invalid) as refused:
        perform(cw, people["village_a1"], case.number,
                {"action": "note", "version": case.version, "note": "n"},
                now=T0 - timedelta(seconds=1))
    assert refused.value.fields == {
        "at": "a case's events cannot be dated before its last event"}
    with reading(cw.engine) as session:
        assert session.execute(select(func.count()).select_from(Event)).scalar_one() == 1


def test_actions_from_many_threads_lose_no_update(cw, people):
    """Threads noting the same case at once: each note is either written under the version it
    read or refused as stale, never lost; the row stays the replay of its events."""
    case = receive(cw, people["operator"], petition(), now=T0)
    written = []

    def cadre(n: int) -> None:
        for i in range(8):
            while True:
                with reading(cw.engine) as session:
                    version = case_by_number(session, case.number).version
                try:
                    perform(cw, people["village_a1"], case.number,
                            {"action": "note", "version": version, "note": f"{n}-{i}"},
                            now=T0 + timedelta(minutes=1))
                except StaleVersion:
                    continue
                written.append((n, i))
                break

    threads = [threading.Thread(target=cadre, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(written) == 32
    with reading(cw.engine) as session:
        row = case_by_number(session, case.number)
        events = session.execute(select(Event).where(Event.case_id == row.id)).scalars().all()
        assert row.version == len(events) == 33
        assert sorted(e.seq for e in events) == list(range(1, 34))
        replayed = replay(events)
        assert {name: replayed[name] for name in PROJECTED} == projected_columns(row)
        assert replayed["urgency"] == row.urgency


def test_disposing_the_engine_closes_the_connection_actions_keep(cw, people):
    if cw.engine.dialect.name != "sqlite":
        pytest.skip("only SQLite connections are kept between actions")
    case = receive(cw, people["operator"], petition(), now=T0)
    perform(cw, people["village_a1"], case.number,
            {"action": "note", "version": case.version, "note": "n"}, now=T0)
    kept = driver._kept(cw.engine).connections
    assert len(kept) == 1
    connection = kept[0].driver_connection
    cw.engine.dispose()
    assert kept == []
    with pytest.raises(sqlite3.ProgrammingError):
        connection.execute("SELECT 1")


def test_a_locked_database_is_sqlalchemys_operational_error_and_nothing_is_written(
        cw, people):
    """The web app answers sqlalchemy's OperationalError with 503; a raw sqlite3 error would
    be a 500."""
    if cw.engine.dialect.name != "sqlite":
        pytest.skip("a write lock held by another connection is SQLite's")
    case = receive(cw, people["operator"], petition(), now=T0)
    perform(cw, people["village_a1"], case.number,
            {"action": "note", "version": case.version, "note": "n"}, now=T0)
    driver._kept(cw.engine).connections[0].driver_connection.execute("PRAGMA busy_timeout=50")
    blocker = sqlite3.connect(cw.engine.url.database, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(OperationalError):
            perform(cw, people["village_a1"], case.number,
                    {"action": "note", "version": case.version + 1, "note": "n"}, now=T0)
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    with reading(cw.engine) as session:
        assert case_by_number(session, case.number).version == case.version + 1
    perform(cw, people["village_a1"], case.number,
            {"action": "note", "version": case.version + 1, "note": "n"}, now=T0)
