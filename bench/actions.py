"""Persisted actions per second: the engine (``casework.lifecycle.actions.perform``) against the raw
floor.

The raw floor is the same work with nothing on top: Python's ``sqlite3`` with Casework's
connection settings (WAL, synchronous=NORMAL, busy_timeout=5000, foreign_keys=ON), and per action
``BEGIN IMMEDIATE``, the SELECT of the case row by number, ``UPDATE cases SET <the changed
columns> WHERE id=? AND version=?`` (rowcount checked), ``INSERT INTO events (...)`` and
``COMMIT`` -- the statements the engine sends (its driver path, casework/lifecycle/_driver.py: the
same SQL
text, checked before each raw run), with the values the engine would compute given as constants
(its times formatted, and each event's hash chain link, casework/lifecycle/chain.py, worked out
before the timed loop: the engine hashes on its path, the floor does not).

Both run in the same process, on copies of one prepared database, in alternating order; each
workload is repeated and the median rates are compared.  Workloads:

- ``note``: the ``note`` action over and over, round-robin over many cases (the cheapest action:
  the UPDATE sets only last_event_seq, last_event_at and version).
- ``mix``: every case goes accept -> escalate -> accept -> resolve, as a village cadre and then
  the township's cadre would do it (phases across all cases, so consecutive actions touch
  different cases); the escalation computes a new working-day deadline.
"""

from __future__ import annotations

import json
import operator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.common import (
    copy_db,
    empty_schema,
    median,
    open_casework,
    raw_connection,
    remove_db,
    say,
    timed_cpu,
)
from casework.imports.areas import add_area
from casework.lifecycle._driver import CASE_COLUMNS, statements
from casework.lifecycle.actions import perform
from casework.lifecycle.chain import event_hash
from casework.lifecycle.intake import receive_validated
from casework.lifecycle.schemas import CaseCreate, parse
from casework.people.access import Actor
from casework.people.users import actor_of, add_user
from casework.scheduling.timing import level_deadline
from casework.storage.db import writing

COUNTY = "450330"
TOWNSHIPS = [f"{COUNTY}{100 + t:03d}" for t in range(4)]
VILLAGES = [f"{town}{201 + v:03d}" for town in TOWNSHIPS for v in range(5)]
PASSWORD = "bench-password"
NOTE = "已与当事人电话沟通，约定下周再次回访"
# Intake on Monday 2 March 2026 at 09:00 Beijing time; the actions follow, one second apart.
INTAKE_AT = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
ACTIONS_FROM = datetime(2026, 3, 3, 1, 0, tzinfo=UTC)

# What an action reads of a case (casework.lifecycle._driver.CaseRow), and where in the row.
SELECT_CASE = (f"SELECT {', '.join(f'cases.{name}' for name in CASE_COLUMNS)} \nFROM cases "
               "\nWHERE cases.number = ?")
PICK = operator.itemgetter(*(CASE_COLUMNS.index(name) for name in (
    "id", "village_code", "level", "status", "due_at", "warn_at", "version")))
EVENT_COLUMNS = ("case_id, seq, action, from_level, from_status, to_level, to_status, actor_id, "
                 "actor, at, note, data, due_at, warn_at, deadline_met, village_code, "
                 "prev_hash, hash")
INSERT_EVENT = f"INSERT INTO events ({EVENT_COLUMNS}) VALUES ({', '.join('?' * 18)})"
UPDATE_NOTE = ("UPDATE cases SET last_event_seq=?, last_event_at=?, version=?, last_hash=? "
               "WHERE cases.id = ? AND cases.version = ?")
UPDATE_STATUS = ("UPDATE cases SET status=?, last_event_seq=?, last_event_at=?, version=?, "
                 "last_hash=? WHERE cases.id = ? AND cases.version = ?")
UPDATE_LEVEL = ("UPDATE cases SET level=?, status=?, entered_level_at=?, due_at=?, warn_at=?, "
                "last_event_seq=?, last_event_at=?, version=?, last_hash=? "
                "WHERE cases.id = ? AND cases.version = ?")
UPDATE_CONCLUDE = ("UPDATE cases SET status=?, concluded_at=?, last_event_seq=?, last_event_at=?, "
                   "version=?, last_hash=? WHERE cases.id = ? AND cases.version = ?")


@dataclass
class Prepared:
    path: Path
    numbers: list[str]
    village_actor: dict[str, Actor]  # by case number
    township_actor: dict[str, Actor]
    users: dict[str, int]  # username -> id


@dataclass
class Result:
    workload: str
    actions: int
    engine_rates: list[float] = field(default_factory=list)
    raw_rates: list[float] = field(default_factory=list)
    engine_cpu_rates: list[float] = field(default_factory=list)  # actions per CPU second
    raw_cpu_rates: list[float] = field(default_factory=list)

    @property
    def engine(self) -> float:
        return median(self.engine_rates)

    @property
    def raw(self) -> float:
        return median(self.raw_rates)

    @property
    def ratio(self) -> float:
        return self.engine / self.raw

    @property
    def cpu_ratio(self) -> float:
        return median(self.engine_cpu_rates) / median(self.raw_cpu_rates)


def prepare(path: Path, cases: int) -> Prepared:
    """One county, 4 townships, 20 villages, a cadre for each, ``cases`` pending cases."""
    empty_schema(path)
    cw = open_casework(path)
    with writing(cw.engine) as session:
        add_area(session, COUNTY, "平乐县")
        for t, town in enumerate(TOWNSHIPS):
            add_area(session, town, f"第{t + 1}镇")
        for v, village in enumerate(VILLAGES):
            add_area(session, village, f"第{v + 1}村")
    import casework.people.users
    from casework.people._passwords import hash_password
    hashed = hash_password(PASSWORD)
    original = casework.people.users.hash_password
    casework.people.users.hash_password = lambda _password: hashed  # one slow hash, not 26
    try:
        operator = actor_of(add_user(cw, username="operator", role="hotline_operator",
                                     area_code=COUNTY, password=PASSWORD))
        village_cadres = {v: actor_of(add_user(cw, username=f"village{i}", role="village_cadre",
                                               area_code=v, password=PASSWORD))
                          for i, v in enumerate(VILLAGES)}
        town_cadres = {t: actor_of(add_user(cw, username=f"township{i}", role="township_cadre",
                                            area_code=t, password=PASSWORD))
                       for i, t in enumerate(TOWNSHIPS)}
    finally:
        casework.people.users.hash_password = original
    numbers, village_actor, township_actor = [], {}, {}
    with writing(cw.engine) as session:
        for i in range(cases):
            village = VILLAGES[i % len(VILLAGES)]
            data = parse(CaseCreate, {
                "channel": "hotline_12338", "village_code": village, "category": "marriage_family",
                "urgency": "normal", "summary": "离婚后子女抚养费未按时支付",
                "petitioner": {"name": "李某", "phone": f"138{i:08d}", "gender": "female"}})
            case = receive_validated(cw, session, operator, data,
                                     now=INTAKE_AT + timedelta(seconds=i))
            numbers.append(case.number)
            village_actor[case.number] = village_cadres[village]
            township_actor[case.number] = town_cadres[village[:9]]
    cw.engine.dispose()
    users = {a.username: a.id for a in [operator, *village_cadres.values(), *town_cadres.values()]}
    return Prepared(path, numbers, village_actor, township_actor, users)


# -- the plans: (number, action, actor) in order; the same for the engine and the raw floor ----

def note_plan(prepared: Prepared, total: int) -> list[tuple[str, str, Actor]]:
    numbers = prepared.numbers
    return [(numbers[i % len(numbers)], "note", prepared.village_actor[numbers[i % len(numbers)]])
            for i in range(total)]


def mix_plan(prepared: Prepared) -> list[tuple[str, str, Actor]]:
    numbers = prepared.numbers
    plan = [(n, "accept", prepared.village_actor[n]) for n in numbers]
    plan += [(n, "escalate", prepared.village_actor[n]) for n in numbers]
    plan += [(n, "accept", prepared.township_actor[n]) for n in numbers]
    plan += [(n, "resolve", prepared.township_actor[n]) for n in numbers]
    return plan


BODIES = {"note": {"note": NOTE}, "accept": {}, "escalate": {"note": "村级调解未果，上报乡镇妇联"},
          "resolve": {"outcome": "mediated", "note": "双方达成调解协议"}}


def at_of(i: int) -> datetime:
    return ACTIONS_FROM + timedelta(seconds=i)


def _rates(step, total: int, warmup: int) -> tuple[float, float]:
    """Actions per second (wall, CPU) of steps warmup..total, after untimed warm-up steps;
    the engine and the raw floor are timed by this same loop."""
    for i in range(warmup):
        step(i)

    def timed_part():
        for i in range(warmup, total):
            step(i)

    seconds, cpu, _ = timed_cpu(timed_part)
    return (total - warmup) / seconds, (total - warmup) / cpu


def run_engine(path: Path, plan, warmup: int) -> float:
    """Actions per second (wall, CPU) of ``perform`` over ``plan`` (``warmup`` ones untimed)."""
    cw = open_casework(path)
    versions: dict[str, int] = {}

    def step(i: int) -> None:
        number, action, actor = plan[i]
        body = {"action": action, "version": versions.get(number, 1), **BODIES[action]}
        versions[number] = perform(cw, actor, number, body, now=at_of(i)).version

    rates = _rates(step, len(plan), warmup)
    cw.engine.dispose()
    return rates


def _stamp(moment: datetime) -> str:
    return moment.replace(tzinfo=None).isoformat(" ", "microseconds")


def _next_state(action: str, level: str, status: str) -> tuple[str, str]:
    """Where the plan's actions take a case (the workflow's answer, for these four)."""
    if action == "accept":
        return level, "in_progress"
    if action == "escalate":
        return "township_federation", "pending"
    if action == "resolve":
        return level, "resolved"
    return level, status


def _links(path: Path, plan, users: dict[str, int], deadlines: dict) -> list[tuple]:
    """(prev_hash, hash) of each planned action's event: the engine's chain, worked out from
    the prepared cases before the timed loop (``deadlines``: escalation's, as datetimes)."""
    connection = raw_connection(path)
    rows = connection.execute("SELECT number, village_code, level, status, due_at, warn_at, "
                              "version, last_hash FROM cases").fetchall()
    connection.close()

    def moment(text):
        return None if text is None else datetime.fromisoformat(text + "+00:00")

    cases = {row[0]: [row[1], row[2], row[3], moment(row[4]), moment(row[5]), row[6], row[7]]
             for row in rows}
    links = []
    for i, (number, action, actor) in enumerate(plan):
        case = cases[number]
        village, level, status, due, warn, version, last = case
        to_level, to_status = _next_state(action, level, status)
        if action == "escalate":
            due, warn = deadlines[i]
        event = {"seq": version + 1, "action": action, "from_level": level,
                 "from_status": status, "to_level": to_level, "to_status": to_status,
                 "actor_id": users[actor.username], "actor": actor.username, "at": at_of(i),
                 "note": BODIES[action].get("note", ""),
                 "data": {"outcome": "mediated"} if action == "resolve" else {},
                 "due_at": due, "warn_at": warn,
                 "deadline_met": True if action == "resolve" else None, "village_code": village}
        new = event_hash(number, event, last)
        links.append((last, new))
        case[1:] = [to_level, to_status, due, warn, version + 1, new]
    return links


def run_raw(path: Path, plan, warmup: int, users: dict[str, int]) -> float:
    """Actions per second (wall, CPU) of the same statements through Python's sqlite3."""
    connection = raw_connection(path)
    execute = connection.execute
    stamps = [_stamp(at_of(i)) for i in range(len(plan))]
    # What the engine computes for an escalation (a new level's deadline), worked out before
    # the timed loop: the floor is the database work, the values may be fixed.
    cw = open_casework(path)
    _check_statements(cw)
    deadlines, moments = {}, {}
    for i, (_number, action, _actor) in enumerate(plan):
        if action == "escalate":
            d = level_deadline(cw.workflow, cw.calendar, level="township_federation",
                               urgency="normal", entered_at=at_of(i))
            deadlines[i] = (_stamp(d.due_at), _stamp(d.warn_at))
            moments[i] = (d.due_at, d.warn_at)
    cw.engine.dispose()
    links = _links(path, plan, users, moments)
    data = {"note": "{}", "accept": "{}", "escalate": "{}",
            "resolve": json.dumps({"outcome": "mediated"})}
    pick = PICK

    def step(i: int) -> None:
        number, action, actor = plan[i]
        at = stamps[i]
        execute("BEGIN IMMEDIATE")
        row = execute(SELECT_CASE, (number,)).fetchone()
        case_id, village, level, status, due, warn, version = pick(row)
        new = version + 1
        to_level, to_status = level, status
        prev, own = links[i]
        if action == "note":
            cursor = execute(UPDATE_NOTE, (new, at, new, own, case_id, version))
        elif action == "accept":
            to_status = "in_progress"
            cursor = execute(UPDATE_STATUS, (to_status, new, at, new, own, case_id, version))
        elif action == "escalate":
            to_level, to_status = "township_federation", "pending"
            due, warn = deadlines[i]
            cursor = execute(UPDATE_LEVEL, (to_level, to_status, at, due, warn, new, at, new,
                                            own, case_id, version))
        else:  # resolve
            to_status = "resolved"
            cursor = execute(UPDATE_CONCLUDE, (to_status, at, new, at, new, own, case_id,
                                               version))
        if cursor.rowcount != 1:
            execute("ROLLBACK")
            raise RuntimeError(f"stale version on {number}")
        execute(INSERT_EVENT, (case_id, new, action, level, status, to_level, to_status,
                               users[actor.username], actor.username, at,
                               BODIES[action].get("note", ""), data[action], due, warn,
                               1 if action == "resolve" else None, village, prev, own))
        execute("COMMIT")

    rates = _rates(step, len(plan), warmup)
    connection.close()
    return rates


def _check_statements(cw) -> None:
    """The raw floor must send the engine's SQL, word for word."""
    engine = statements(cw.engine.dialect)
    ours = {SELECT_CASE: engine.case_by_number.sql, INSERT_EVENT: engine.insert_event.sql}
    for sql, columns in ((UPDATE_NOTE, ("last_event_seq", "last_event_at", "version",
                                        "last_hash")),
                         (UPDATE_STATUS, ("status", "last_event_seq", "last_event_at", "version",
                                          "last_hash")),
                         (UPDATE_LEVEL, ("level", "status", "due_at", "warn_at", "last_event_seq",
                                         "last_event_at", "version", "entered_level_at",
                                         "last_hash")),
                         (UPDATE_CONCLUDE, ("status", "last_event_seq", "last_event_at",
                                            "version", "concluded_at", "last_hash"))):
        ours[sql] = engine.update_case(columns).sql
    for raw_sql, engine_sql in ours.items():
        if raw_sql != engine_sql:
            raise RuntimeError(f"the raw floor no longer sends the engine's SQL: {engine_sql!r}")


def check_same(engine_db: Path, raw_db: Path) -> None:
    """Both sides must have written the same rows (ids, times and deadlines alike)."""
    queries = ("SELECT id, level, status, entered_level_at, due_at, warn_at, concluded_at, "
               "last_event_seq, last_event_at, version, last_hash FROM cases ORDER BY id",
               "SELECT case_id, seq, action, from_level, from_status, to_level, to_status, "
               "actor_id, actor, at, note, data, due_at, warn_at, deadline_met, village_code, "
               "prev_hash, hash FROM events ORDER BY id")
    a, b = raw_connection(engine_db), raw_connection(raw_db)
    try:
        for query in queries:
            if a.execute(query).fetchall() != b.execute(query).fetchall():
                raise AssertionError(f"engine and raw floor wrote different rows: {query[:40]}")
    finally:
        a.close()
        b.close()


def bench_actions(work: Path, *, cases: int, notes: int, rounds: int,
                  workloads: tuple[str, ...] = ("note", "mix")) -> list[Result]:
    template = work / "actions-template.db"
    say(f"actions: preparing {cases} cases ...")
    prepared = prepare(template, cases)
    plans = {"note": note_plan(prepared, notes), "mix": mix_plan(prepared)}
    results = []
    for name in workloads:
        plan = plans[name]
        warmup = min(200, len(plan) // 10)
        result = Result(name, len(plan) - warmup)
        for r in range(rounds):
            engine_db, raw_db = work / f"actions-{name}-engine.db", work / f"actions-{name}-raw.db"
            copy_db(template, engine_db)
            copy_db(template, raw_db)
            order = ("engine", "raw") if r % 2 == 0 else ("raw", "engine")
            for side in order:
                if side == "engine":
                    wall, cpu = run_engine(engine_db, plan, warmup)
                    result.engine_rates.append(wall)
                    result.engine_cpu_rates.append(cpu)
                else:
                    wall, cpu = run_raw(raw_db, plan, warmup, prepared.users)
                    result.raw_rates.append(wall)
                    result.raw_cpu_rates.append(cpu)
            check_same(engine_db, raw_db)
            say(f"actions: {name} round {r + 1}/{rounds}: engine "
                f"{result.engine_rates[-1]:,.0f}/s, raw {result.raw_rates[-1]:,.0f}/s")
        for path in (engine_db, raw_db):
            remove_db(path)
        results.append(result)
    remove_db(template)
    return results
