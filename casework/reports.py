"""The monthly report (DESIGN.md, "Reports"): the figures of month M for area A, as JSON.

Every figure is read from events, never from today's case rows, so a closed month's report is
the same every time it is run: counts are of events dated in M, and a case's state at the end
of M is the replay of its events dated before that end.  The cost follows the month's events
and the cases open at its end, not the history: a few set-based queries for area A, whose rows
are then bucketed by sub-area in Python (never one query per sub-area or per case).
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import groupby

from sqlalchemy import ColumnElement, Text, case, cast, func, literal_column, or_, select, true
from sqlalchemy.orm import Session

from casework.bootstrap import Casework
from casework.db import reading, utcnow
from casework.deadlines import SHANGHAI
from casework.errors import Invalid
from casework.models import Area, Case, Event
from casework.projection import CONCLUDING, replay
from casework.vocabulary import CATEGORIES
from casework.workflow import Workflow

MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")
YEARS = range(2000, 2101)
LEVEL_FIELDS = ("entered", "resolved", "referred", "escalated", "returned", "open_end",
                "overdue_end")
# The event columns projection.project reads: enough to replay a case without whole rows.
REPLAYED = (Event.case_id, Event.seq, Event.action, Event.from_level, Event.to_level,
            Event.to_status, Event.at, Event.due_at, Event.warn_at, Event.village_code)
TREND_MONTHS = 12


@dataclass(frozen=True)
class Window:
    label: str  # YYYY-MM
    start: datetime
    cut: datetime  # the month's end, or now for the month in progress


@dataclass
class Tally:
    """Counts per sub-area code (a prefix of village codes); area A's are the sum of all."""

    levels: dict = field(default_factory=lambda: defaultdict(lambda: defaultdict(Counter)))
    received: Counter = field(default_factory=Counter)
    concluded: Counter = field(default_factory=Counter)
    categories: dict = field(default_factory=lambda: defaultdict(Counter))


def monthly_report(cw: Casework, *, month: str, area: str | None = None,
                   now: datetime | None = None) -> dict:
    now = now or utcnow()
    index = _month_index(month, now)
    window = _window(index, now)
    workflow = cw.workflow
    engine = cw.engine
    if engine.dialect.name == "postgresql":
        # One snapshot for all queries, as SQLite's read transaction gives by itself.
        engine = engine.execution_options(isolation_level="REPEATABLE READ")
    with reading(engine) as session:
        place, children = _place(session, area)
        # Sub-areas' codes are 3 digits longer than the area's; counties have 6.
        width = min(len(area) + 3, 12) if area else 6
        tally = Tally()
        _count_level_events(session, tally, window, area, width)
        _count_open_at_end(workflow, tally, _states_at(session, window.cut, area), window.cut,
                           width)
        _count_received(session, workflow, tally, window, area, width)
        on_time, satisfaction = _outcome_rates(session, workflow, window, area)
        total = _summary(workflow, tally, None)
        earlier = [_window(i, now) for i in range(index - TREND_MONTHS + 1, index)]
        trend = [_point(w.label, *session.execute(_received(workflow, w, area)).one())
                 for w in earlier]
    return {
        "month": window.label, "area": place,
        "received": total["received"], "concluded": total["concluded"],
        "handling_rate": total["handling_rate"], "on_time_rate": on_time,
        "satisfaction_rate": satisfaction, "levels": total["levels"],
        "by_area": {code: {"name": name, **_summary(workflow, tally, code)}
                    for code, name in children.items()},
        "by_category": {cat: {"received": tally.categories["received"][cat],
                              "concluded": tally.categories["concluded"][cat]}
                        for cat in CATEGORIES},
        "trend": [*trend, _point(window.label, total["received"], total["concluded"])],
    }


# -- input ------------------------------------------------------------------------------------
def _month_index(month: object, now: datetime) -> int:
    """``YYYY-MM`` as a count of months (year * 12 + month - 1), checked."""
    match = MONTH.fullmatch(month) if isinstance(month, str) else None
    if not match or int(match[1]) not in YEARS or not 1 <= int(match[2]) <= 12:
        raise Invalid({"month": "must be a month as YYYY-MM, from 2000-01 to 2100-12"})
    local = now.astimezone(SHANGHAI)
    index = int(match[1]) * 12 + int(match[2]) - 1
    if index > local.year * 12 + local.month - 1:
        raise Invalid({"month": "must not be after the current month"})
    return index


def _window(index: int, now: datetime) -> Window:
    """The month in Asia/Shanghai, cut at ``now`` while it is in progress."""
    (year, month), (next_year, next_month) = divmod(index, 12), divmod(index + 1, 12)
    start = datetime(year, month + 1, 1, tzinfo=SHANGHAI).astimezone(UTC)
    end = datetime(next_year, next_month + 1, 1, tzinfo=SHANGHAI).astimezone(UTC)
    # The cut is exclusive; for the month in progress everything up to and including ``now``
    # counts, and a microsecond is the resolution of the stored times.
    cut = min(end, now + timedelta(microseconds=1))
    return Window(f"{year:04d}-{month + 1:02d}", start, cut)


def _place(session: Session, area: str | None) -> tuple[dict | None, dict[str, str]]:
    """The area as JSON and its children (code -> name); the counties for the whole database."""
    if area is None:
        parent = Area.parent_code.is_(None)
        place = None
    else:
        found = session.get(Area, area) if isinstance(area, str) else None
        if found is None:
            raise Invalid({"area": "no such area"})
        parent = Area.parent_code == area
        place = {"code": found.code, "name": found.name}
    rows = session.execute(select(Area.code, Area.name).where(parent).order_by(Area.code))
    return place, {code: name for code, name in rows}


def _inside(column, area: str | None) -> ColumnElement[bool]:
    return true() if area is None else column.startswith(area, autoescape=True)


def _prefix(column, width: int):
    """The first ``width`` digits of a village code: its sub-area's code."""
    # Literals, so that the select list and the GROUP BY are the same SQL text on PostgreSQL
    # whatever the driver does with parameters.
    return func.substr(column, literal_column("1"), literal_column(str(int(width))))


# -- facts ------------------------------------------------------------------------------------
def _count_level_events(session: Session, tally: Tally, window: Window, area: str | None,
                        width: int) -> None:
    """entered/resolved/referred/escalated/returned per level and sub-area, one GROUP BY."""
    prefix = _prefix(Event.village_code, width)
    rows = session.execute(
        select(prefix, Event.action, Event.from_level, Event.to_level, func.count())
        .where(Event.at >= window.start, Event.at < window.cut, _inside(Event.village_code, area))
        .group_by(prefix, Event.action, Event.from_level, Event.to_level))
    for code, action, from_level, to_level, count in rows:
        levels = tally.levels[code]
        if to_level != from_level:
            levels[to_level]["entered"] += count
        if action in CONCLUDING:
            levels[to_level]["resolved" if action == "resolve" else "referred"] += count
        elif action == "escalate":
            levels[from_level]["escalated"] += count
        elif action == "return":
            levels[from_level]["returned"] += count


def _states_at(session: Session, cut: datetime, area: str | None) -> dict[int, dict]:
    """The state at ``cut`` (a replay) of every case of ``area`` received before ``cut`` and
    not concluded for good by then (see _concluded_by): the cases open now or concluded since,
    which the index on concluded_at finds without reading the history."""
    candidates = select(Case.id).where(
        # "Received before the cut" is the whole history: an expression rather than the bare
        # column keeps SQLite (which plans without statistics) from reading it through the
        # received_at index instead of the open and later-concluded cases.
        func.coalesce(Case.received_at, Case.received_at) < cut,
        or_(Case.concluded_at.is_(None), Case.concluded_at >= cut),
        _inside(Case.village_code, area))
    rows = session.execute(
        select(*REPLAYED).where(Event.case_id.in_(candidates), Event.at < cut)
        .order_by(Event.case_id, Event.seq))
    states = {}
    for case_id, events in groupby(rows, key=lambda row: row.case_id):
        events = list(events)
        states[case_id] = {**replay(events), "village_code": events[0].village_code}
    return states


def _count_open_at_end(workflow: Workflow, tally: Tally, states: dict[int, dict],
                       cut: datetime, width: int) -> None:
    handling = {level.id for level in workflow.handling_levels()}
    for state in states.values():
        status = workflow.statuses[state["status"]]
        if state["level"] not in handling or status.concluded:
            continue
        counter = tally.levels[state["village_code"][:width]][state["level"]]
        counter["open_end"] += 1
        # A waiting case's clock stopped when it began to wait: judge its deadline then.
        clock = cut if status.clock_running else (state["waiting_since"] or cut)
        if state["due_at"] is not None and state["due_at"] < clock:
            counter["overdue_end"] += 1


def _concluded_by(workflow: Workflow, cut: datetime) -> ColumnElement[bool]:
    """SQL: the case's state at ``cut`` is concluded, as its last event before ``cut`` says.

    A row whose concluded_at lies before ``cut`` stayed concluded through ``cut`` (a reopen or
    a move would have cleared it), so only the other cases' events are read."""
    last_status = (select(Event.to_status).where(Event.case_id == Case.id, Event.at < cut)
                   .order_by(Event.seq.desc()).limit(1).scalar_subquery())
    concluded = [status.id for status in workflow.statuses.values() if status.concluded]
    return or_(Case.concluded_at < cut, last_status.in_(concluded))


def _received(workflow: Workflow, window: Window, area: str | None, *columns):
    """SELECT columns, received, concluded-at-the-cut FROM the cases received in M."""
    concluded = func.count(case((_concluded_by(workflow, window.cut), 1)))
    return select(*columns, func.count(), concluded).where(
        Case.received_at >= window.start, Case.received_at < window.cut,
        _inside(Case.village_code, area))


def _count_received(session: Session, workflow: Workflow, tally: Tally, window: Window,
                    area: str | None, width: int) -> None:
    prefix = _prefix(Case.village_code, width)
    rows = session.execute(_received(workflow, window, area, prefix, Case.category)
                           .group_by(prefix, Case.category))
    for code, category, received, concluded in rows:
        tally.received[code] += received
        tally.concluded[code] += concluded
        tally.categories["received"][category] += received
        tally.categories["concluded"][category] += concluded


def _outcome_rates(session: Session, workflow: Workflow, window: Window, area: str | None
                   ) -> tuple[float | None, float | None]:
    """on_time_rate (the last conclusion in M of each case) and satisfaction_rate (closes)."""
    in_month = (Event.at >= window.start, Event.at < window.cut,
                _inside(Event.village_code, area))
    rows = session.execute(
        select(Event.case_id, Event.deadline_met)
        .where(*in_month, Event.action.in_(CONCLUDING)).order_by(Event.case_id, Event.seq))
    last_met = {case_id: met is True for case_id, met in rows}  # by seq: the last one wins
    # The few distinct texts of the close events' data, each decoded once in Python (JSON
    # functions differ between databases).
    text = cast(Event.data, Text)
    closes = session.execute(
        select(text, func.count()).where(*in_month, Event.action == "close").group_by(text))
    counts = [(json.loads(data).get("satisfaction"), count) for data, count in closes]
    satisfied = sum(count for said, count in counts if said in workflow.choices["satisfied"])
    return (_rate(sum(last_met.values()), len(last_met)),
            _rate(satisfied, sum(count for _said, count in counts)))


# -- figures ----------------------------------------------------------------------------------
def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _point(month: str, received: int, concluded: int) -> dict:
    return {"month": month, "received": received, "concluded": concluded,
            "handling_rate": _rate(concluded, received)}


def _summary(workflow: Workflow, tally: Tally, code: str | None) -> dict:
    """received, concluded, handling_rate and levels of one sub-area, or of all (None)."""
    codes = list(tally.levels.keys() | tally.received.keys()) if code is None else [code]
    received = sum(tally.received[c] for c in codes)
    concluded = sum(tally.concluded[c] for c in codes)
    levels = {}
    for level in workflow.handling_levels():
        counts = sum((tally.levels[c][level.id] for c in codes if c in tally.levels), Counter())
        figures = {name: counts[name] for name in LEVEL_FIELDS}
        done = counts["resolved"] + counts["referred"]
        figures["resolution_rate"] = _rate(done, done + counts["escalated"])
        levels[level.id] = figures
    return {"received": received, "concluded": concluded,
            "handling_rate": _rate(concluded, received), "levels": levels}
