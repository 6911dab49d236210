"""The monthly report (DESIGN.md, "Reports"): the figures of month M for area A, as JSON.

Every figure is read from events, never from today's case rows, so a closed month's report is
the same every time it is run: counts are of events dated in M, and a case's state at the end
of M is the replay of its events dated before that end.  The cost follows the month's events
and the cases open at its end, not the history: a few set-based queries for area A, whose rows
are then bucketed by sub-area in Python (never one query per sub-area or per case).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import groupby

from sqlalchemy import ColumnElement, case, func, literal_column, or_, select, true
from sqlalchemy.orm import Session

from casework.bootstrap import Casework
from casework.db import reading, utcnow
from casework.deadlines import SHANGHAI
from casework.errors import Invalid
from casework.models import Area, Case, Event
from casework.projection import CONCLUDING, replay
from casework.vocabulary import CATEGORIES
from casework.workflow import Workflow

MONTH = re.compile(r"(\d{4})-(\d{2})")
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
    window = month_window(month, now)
    workflow = cw.workflow
    engine = cw.engine
    if engine.dialect.name == "postgresql":
        # One snapshot for all queries, as SQLite's read transaction gives by itself.
        engine = engine.execution_options(isolation_level="REPEATABLE READ")
    with reading(engine) as session:
        place, children = _place(session, area)
        # Sub-areas' codes are 3 digits longer than the area's; counties have 6.
        width = len(area) + 3 if area else 6
        tally = Tally()
        _count_level_events(session, tally, window, area, width)
        states = states_at(session, window.cut, area)
        _count_open_at_end(workflow, tally, states, window.cut, width)
        _count_received(session, workflow, tally, window, area, width, states)
        on_time, satisfaction = _outcome_rates(session, workflow, window, area)
        total = _summary(workflow, tally, None)
        trend = [_trend_point(session, workflow, w, area) for w in _earlier(window)]
    return {
        "month": window.label, "area": place,
        "received": total["received"], "concluded": total["concluded"],
        "handling_rate": total["handling_rate"], "on_time_rate": on_time,
        "satisfaction_rate": satisfaction, "levels": total["levels"],
        "by_area": {code: {"name": name, **_summary(workflow, tally, code)}
                    for code, name in children.items()},
        "by_category": {cat: {"received": sum(tally.categories["received"][cat] for _ in [0]),
                              "concluded": tally.categories["concluded"][cat]}
                        for cat in CATEGORIES},
        "trend": [*trend, {"month": window.label, **{k: total[k] for k in (
            "received", "concluded", "handling_rate")}}],
    }


# -- input ------------------------------------------------------------------------------------
def month_window(month: object, now: datetime) -> Window:
    """The month ``YYYY-MM`` in Asia/Shanghai, cut at ``now`` while it is in progress."""
    match = MONTH.fullmatch(month) if isinstance(month, str) else None
    if not match or int(match[1]) not in YEARS or not 1 <= int(match[2]) <= 12:
        raise Invalid({"month": "must be a month as YYYY-MM, from 2000-01 to 2100-12"})
    year, number = int(match[1]), int(match[2])
    local = now.astimezone(SHANGHAI)
    if (year, number) > (local.year, local.month):
        raise Invalid({"month": "must not be after the current month"})
    return _window(year, number, now)


def _window(year: int, month: int, now: datetime) -> Window:
    start = datetime(year, month, 1, tzinfo=SHANGHAI).astimezone(UTC)
    following = (year + month // 12, month % 12 + 1)
    end = datetime(*following, 1, tzinfo=SHANGHAI).astimezone(UTC)
    return Window(f"{year:04d}-{month:02d}", start, min(end, now))


def _earlier(window: Window) -> list[Window]:
    """The 11 whole months before ``window``, oldest first."""
    year, month = int(window.label[:4]), int(window.label[5:])
    found = []
    for _ in range(TREND_MONTHS - 1):
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
        found.append(_window(year, month, window.start))
    return found[::-1]


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
    return place, dict(rows.tuples())


def _inside(column, area: str | None) -> ColumnElement[bool]:
    return true() if area is None else column.startswith(area, autoescape=True)


# -- facts ------------------------------------------------------------------------------------
def _count_level_events(session: Session, tally: Tally, window: Window, area: str | None,
                        width: int) -> None:
    """entered/resolved/referred/escalated/returned per level and sub-area, one GROUP BY."""
    # The width is a literal: with a bound parameter PostgreSQL would not see that the select
    # list and the GROUP BY hold the same expression.
    prefix = func.substr(Event.village_code, 1, literal_column(str(int(width))))
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


def states_at(session: Session, cut: datetime, area: str | None,
              received_from: datetime | None = None) -> dict[int, dict]:
    """The state at ``cut`` (a replay) of every case of ``area`` received before ``cut`` (and
    from ``received_from``) that was not concluded for good by then.

    A case whose row says it concluded before ``cut`` stayed concluded through ``cut`` (a reopen
    or a move would have cleared concluded_at), so only the others are replayed: the cases open
    now or concluded since, which the index on concluded_at finds without reading the history.
    """
    candidates = select(Case.id).where(
        Case.received_at < cut,
        Case.received_at >= received_from if received_from else true(),
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


def _concluded(workflow: Workflow, concluded_at: datetime | None, state: dict | None,
               cut: datetime) -> bool:
    if concluded_at is not None and concluded_at < cut:
        return True  # concluded for good before the cut (see states_at)
    return state is not None and workflow.statuses[state["status"]].concluded


def _count_received(session: Session, workflow: Workflow, tally: Tally, window: Window,
                    area: str | None, width: int, states: dict[int, dict]) -> None:
    rows = session.execute(
        select(Case.id, Case.village_code, Case.category, Case.concluded_at)
        .where(Case.received_at >= window.start, Case.received_at < window.cut,
               _inside(Case.village_code, area)))
    for case_id, village, category, concluded_at in rows:
        done = _concluded(workflow, concluded_at, states.get(case_id), window.cut)
        tally.received[village[:width]] += 1
        tally.concluded[village[:width]] += done
        tally.categories["received"][category] += 1
        tally.categories["concluded"][category] += done


def _outcome_rates(session: Session, workflow: Workflow, window: Window, area: str | None
                   ) -> tuple[float | None, float | None]:
    """on_time_rate (the last conclusion in M of each case) and satisfaction_rate (closes)."""
    rows = session.execute(
        select(Event.case_id, Event.seq, Event.action, Event.deadline_met, Event.data)
        .where(Event.at >= window.start, Event.at < window.cut,
               Event.action.in_((*CONCLUDING, "close")), _inside(Event.village_code, area))
        .order_by(Event.case_id, Event.seq))
    last_met: dict[int, bool] = {}
    closes = satisfied = 0
    for case_id, _seq, action, met, data in rows:
        if action in CONCLUDING:
            last_met[case_id] = met is True  # ordered by seq: the last one wins
        else:
            closes += 1
            # JSON is read in Python: the same on every database.
            satisfied += (data or {}).get("satisfaction") in workflow.choices["satisfied"]
    return _rate(sum(last_met.values()), len(last_met)), _rate(satisfied, closes)


def _trend_point(session: Session, workflow: Workflow, window: Window, area: str | None
                 ) -> dict:
    received, settled = session.execute(
        select(func.count(), func.count(case((Case.concluded_at < window.cut, 1))))
        .where(Case.received_at >= window.start, Case.received_at < window.cut,
               _inside(Case.village_code, area))).one()
    states = states_at(session, window.cut, area, received_from=window.start)
    concluded = settled + sum(workflow.statuses[s["status"]].concluded for s in states.values())
    return {"month": window.label, "received": received, "concluded": concluded,
            "handling_rate": _rate(concluded, received)}


# -- figures ----------------------------------------------------------------------------------
def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


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
