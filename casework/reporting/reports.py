"""The monthly report (DESIGN.md, "Reports"): the figures of month M for area A, as JSON.

Every figure is read from events, never from today's case rows, so a closed month's report is
the same every time it is run: counts are of events dated in M, and a case's state at the end
of M is the replay of its events dated before that end.  The cost follows the month's events
and the cases open at its end, not the history: a few set-based queries for area A, whose rows
are then bucketed by sub-area in Python (never one query per sub-area or per case).

A closed month (closed_months.py, closing.py) is not computed again: its report is put together
from the counts stored when it was closed, by the same code that turns counts into figures.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import groupby

from sqlalchemy import (
    ColumnElement,
    Text,
    case,
    cast,
    func,
    literal,
    literal_column,
    or_,
    select,
    true,
)
from sqlalchemy.orm import Session

from casework.bootstrap import Casework
from casework.errors import Invalid
from casework.lifecycle.projection import CONCLUDING, replay
from casework.people.access import code_range, inside_area
from casework.reporting.closed_months import closed_through, stored_figures, stored_trend
from casework.reporting.protection import count_protection, protection_figures
from casework.scheduling.deadlines import SHANGHAI
from casework.storage.db import reading, utcnow
from casework.storage.models import Area, Case, Event
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
VILLAGE_CODE_LENGTH = 12
REPLAY_BATCH = 500  # case ids in one IN list (SQLite allows some thousands of parameters)
NEVER = datetime(9999, 12, 31, tzinfo=UTC)  # "not concluded" where a time is compared


@dataclass(frozen=True)
class Window:
    label: str  # YYYY-MM
    start: datetime
    cut: datetime  # the month's end, or now for the month in progress


Tally = dict  # sub-area code -> Counter of figure names (see models.ClosedFigure)


def new_tally() -> Tally:
    return defaultdict(Counter)


def monthly_report(cw: Casework, *, month: str, area: str | None = None,
                   now: datetime | None = None, closed: bool = True) -> dict:
    """The report of ``month`` for ``area`` (None: every area).  A closed month's is read from
    its stored figures (closed_months.py); ``closed=False`` computes it from events anyway,
    which gives the same JSON as long as nothing was written into the month since."""
    now = now or utcnow()
    index = month_index(month, now)
    window = month_window(index, now)
    workflow = cw.workflow
    engine = cw.engine
    if engine.dialect.name == "postgresql":
        # One snapshot for all queries, as SQLite's read transaction gives by itself.
        engine = engine.execution_options(isolation_level="REPEATABLE READ")
    with reading(engine) as session:
        place, children = _place(session, area)
        through = closed_through(session) if closed else None
        earlier = [month_label(i) for i in range(index - TREND_MONTHS + 1, index)]
        if through is not None and window.label <= through:
            code = area or ""
            stored = stored_figures(session, window.label, [code, *children])
            total = stored.get(code, Counter())
            parts = {child: stored.get(child, Counter()) for child in children}
            past = stored_trend(session, earlier, code)
            trend = [_point(label, past[label]["received"], past[label]["concluded"])
                     for label in earlier]
        else:
            # Sub-areas' codes are 3 digits longer than the area's; counties have 6.
            width = min(len(area) + 3, 12) if area else 6
            tally = tally_month(session, workflow, window, area, width)
            total = sum(tally.values(), Counter())
            parts = {child: tally.get(child, Counter()) for child in children}
            # The trend's closed months from their stored figures, the others from events.
            stored = stored_trend(session, [m for m in earlier if through and m <= through],
                                  area or "")
            trend = [_point(label, stored[label]["received"], stored[label]["concluded"])
                     if through and label <= through else _point(label, *session.execute(
                         _received(workflow, month_window(i, now), area)).one())
                     for i, label in zip(range(index - TREND_MONTHS + 1, index), earlier,
                                         strict=True)]
    summary = _summary(workflow, total)
    return {
        "month": window.label, "area": place,
        "received": summary["received"], "concluded": summary["concluded"],
        "handling_rate": summary["handling_rate"],
        "on_time_rate": _rate(total["on_time.met"], total["on_time.of"]),
        "satisfaction_rate": _rate(total["satisfied"], total["closes"]),
        "levels": summary["levels"],
        "by_area": {code: {"name": name, **_summary(workflow, parts[code])}
                    for code, name in children.items()},
        "by_category": {cat: {"received": total[f"category.{cat}.received"],
                              "concluded": total[f"category.{cat}.concluded"]}
                        for cat in CATEGORIES},
        "trend": [*trend, _point(window.label, summary["received"], summary["concluded"])],
        "protection": protection_figures(total),
        "protection_by_area": {code: protection_figures(parts[code]) for code in children},
    }


def tally_month(session: Session, workflow: Workflow, window: Window, area: str | None,
                width: int) -> Tally:
    """Every count of the month, per sub-area: the first ``width`` digits of village codes."""
    tally = new_tally()
    _count_level_events(session, tally, window, area, width)
    _count_open_at_end(workflow, tally, _states_at(session, window.cut, area), window.cut,
                       width)
    _count_received(session, workflow, tally, window, area, width)
    _count_outcomes(session, workflow, tally, window, area, width)
    for code, counts in count_protection(session, window.start, window.cut, area, width).items():
        tally[code].update(counts)
    return tally


# -- input ------------------------------------------------------------------------------------
def month_index(month: object, now: datetime) -> int:
    """``YYYY-MM`` as a count of months (year * 12 + month - 1), checked."""
    match = MONTH.fullmatch(month) if isinstance(month, str) else None
    if not match or int(match[1]) not in YEARS or not 1 <= int(match[2]) <= 12:
        raise Invalid({"month": "must be a month as YYYY-MM, from 2000-01 to 2100-12"})
    local = now.astimezone(SHANGHAI)
    index = int(match[1]) * 12 + int(match[2]) - 1
    if index > local.year * 12 + local.month - 1:
        raise Invalid({"month": "must not be after the current month"})
    return index


def month_label(index: int) -> str:
    year, month = divmod(index, 12)
    return f"{year:04d}-{month + 1:02d}"


def month_window(index: int, now: datetime) -> Window:
    """The month in Asia/Shanghai, cut at ``now`` while it is in progress."""
    (year, month), (next_year, next_month) = divmod(index, 12), divmod(index + 1, 12)
    start = datetime(year, month + 1, 1, tzinfo=SHANGHAI).astimezone(UTC)
    end = datetime(next_year, next_month + 1, 1, tzinfo=SHANGHAI).astimezone(UTC)
    # The cut is exclusive; for the month in progress everything up to and including ``now``
    # counts, and a microsecond is the resolution of the stored times.
    cut = min(end, now + timedelta(microseconds=1))
    return Window(month_label(index), start, cut)


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
    """Inside ``area``, as a range an index can answer (casework.people.access.code_range)."""
    if area is None:
        return true()
    return code_range(column, area) if area.isdigit() else column.startswith(
        area, autoescape=True)


def _events_inside(area: str | None) -> ColumnElement[bool]:
    """Events inside ``area``: its villages by name, so that ix_events_village_at is read as
    one seek per village and month, instead of the whole month's events filtered by code."""
    if area is None:
        return true()
    if len(area) == VILLAGE_CODE_LENGTH:
        return Event.village_code == area
    return Event.village_code.in_(
        select(Area.code).where(Area.kind == "village", _inside(Area.code, area)))


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
        .where(Event.at >= window.start, Event.at < window.cut, _events_inside(area))
        .group_by(prefix, Event.action, Event.from_level, Event.to_level))
    for code, action, from_level, to_level, count in rows:
        counts = tally[code]
        if to_level != from_level:
            counts[f"level.{to_level}.entered"] += count
        if action in CONCLUDING:
            kind = "resolved" if action == "resolve" else "referred"
            counts[f"level.{to_level}.{kind}"] += count
        elif action == "escalate":
            counts[f"level.{from_level}.escalated"] += count
        elif action == "return":
            counts[f"level.{from_level}.returned"] += count


def _states_at(session: Session, cut: datetime, area: str | None) -> dict[int, dict]:
    """The state at ``cut`` of every case of ``area`` open at ``cut``: received before it and
    not concluded for good by then (see _concluded_by).

    Which index finds them depends on the month.  A recent one's are the cases open now or
    concluded since (few: the index on concluded_at); an old one's are among the cases received
    before it (fewer than those concluded since: the index on received_at).  Each query hides
    the other column in an expression, so that SQLite, which plans without knowing how many
    rows a range holds, takes the index meant (ix_cases_county_concluded for an area).

    A case with no event at or after ``cut`` is at ``cut`` what its row says (the row is the
    replay of its events): only the others are replayed from their events before ``cut``.  For
    the month in progress that is none of them."""
    # Two statements: each is one index seek, together in one SELECT they are a table scan.
    first = session.execute(select(func.min(Case.received_at))).scalar_one()
    last = session.execute(select(func.max(Case.last_event_at))).scalar_one()
    if first is None:
        return {}
    # Ranges are closed on both sides by the oldest receipt and the newest event, which bound
    # every case's times anyway: SQLite takes a one-sided range for a quarter of the table and
    # would rather scan it (a second on a province's 3 million cases).
    if cut - first < last - cut:  # an old month
        queries = [(Case.received_at >= first, Case.received_at < cut,
                    func.coalesce(Case.concluded_at, literal(NEVER, Case.concluded_at.type))
                    >= cut)]
    else:
        # Two queries, not an OR, which SQLite also weighed against a scan.
        received = func.coalesce(Case.received_at, Case.received_at) < cut
        queries = [(received, Case.concluded_at.is_(None)),
                   (received, Case.concluded_at.between(cut, last))]
    columns = (Case.id, Case.level, Case.status, Case.due_at, Case.waiting_since,
               Case.village_code, Case.last_event_at, Case.received_at)
    states, moved = {}, []
    for conditions in queries:
        rows = session.execute(select(*columns).where(*conditions, inside_area(area or "")))
        for row in rows:
            if row.last_event_at < cut:
                states[row.id] = {"level": row.level, "status": row.status,
                                  "due_at": row.due_at, "waiting_since": row.waiting_since,
                                  "village_code": row.village_code}
            else:
                moved.append((row.received_at, row.id))
    # In order of receipt, so that each batch's events lie in a short span of time: no event
    # precedes its case's receipt, and with the events in monthly partitions (partitions.py)
    # only that span's partitions are read.
    moved.sort()
    for start in range(0, len(moved), REPLAY_BATCH):
        batch = moved[start:start + REPLAY_BATCH]
        events = session.execute(
            select(*REPLAYED).where(Event.case_id.in_([case_id for _, case_id in batch]),
                                    Event.at >= batch[0][0], Event.at < cut)
            .order_by(Event.case_id, Event.seq))
        for case_id, of_case in groupby(events, key=lambda row: row.case_id):
            of_case = list(of_case)
            states[case_id] = {**replay(of_case), "village_code": of_case[0].village_code}
    return states


def _count_open_at_end(workflow: Workflow, tally: Tally, states: dict[int, dict],
                       cut: datetime, width: int) -> None:
    handling = {level.id for level in workflow.handling_levels()}
    for state in states.values():
        status = workflow.statuses[state["status"]]
        if state["level"] not in handling or status.concluded:
            continue
        counts, level = tally[state["village_code"][:width]], state["level"]
        counts[f"level.{level}.open_end"] += 1
        # A waiting case's clock stopped when it began to wait: judge its deadline then.
        clock = cut if status.clock_running else (state["waiting_since"] or cut)
        if state["due_at"] is not None and state["due_at"] < clock:
            counts[f"level.{level}.overdue_end"] += 1


def _concluded_by(workflow: Workflow, window: Window) -> ColumnElement[bool]:
    """SQL: the state at the window's cut of a case received in the window is concluded, as
    its last event before the cut says.

    A row whose concluded_at lies before the cut stayed concluded through it (a reopen or a
    move would have cleared it), so only the other cases' events are read; and only from the
    window's start, since no event precedes its case's receipt: with the events in monthly
    partitions (partitions.py) that is the month's partition, not every one before the cut."""
    last_status = (select(Event.to_status)
                   .where(Event.case_id == Case.id, Event.at >= window.start,
                          Event.at < window.cut)
                   .order_by(Event.seq.desc()).limit(1).scalar_subquery())
    concluded = [status.id for status in workflow.statuses.values() if status.concluded]
    return or_(Case.concluded_at < window.cut, last_status.in_(concluded))


def _received(workflow: Workflow, window: Window, area: str | None, *columns):
    """SELECT columns, received, concluded-at-the-cut FROM the cases received in M."""
    concluded = func.count(case((_concluded_by(workflow, window), 1)))
    return select(*columns, func.count(), concluded).where(
        Case.received_at >= window.start, Case.received_at < window.cut,
        _inside(Case.village_code, area))


def _count_received(session: Session, workflow: Workflow, tally: Tally, window: Window,
                    area: str | None, width: int) -> None:
    prefix = _prefix(Case.village_code, width)
    rows = session.execute(_received(workflow, window, area, prefix, Case.category)
                           .group_by(prefix, Case.category))
    for code, category, received, concluded in rows:
        counts = tally[code]
        counts["received"] += received
        counts["concluded"] += concluded
        counts[f"category.{category}.received"] += received
        counts[f"category.{category}.concluded"] += concluded


def _count_outcomes(session: Session, workflow: Workflow, tally: Tally, window: Window,
                    area: str | None, width: int) -> None:
    """The parts of on_time_rate (the last conclusion in M of each case) and of
    satisfaction_rate (the close events), per sub-area."""
    in_month = (Event.at >= window.start, Event.at < window.cut, _events_inside(area))
    prefix = _prefix(Event.village_code, width)
    rows = session.execute(
        select(Event.case_id, prefix, Event.deadline_met)
        .where(*in_month, Event.action.in_(CONCLUDING)).order_by(Event.case_id, Event.seq))
    last_met = {case_id: (code, met is True) for case_id, code, met in rows}  # the last wins
    for code, met in last_met.values():
        tally[code]["on_time.of"] += 1
        tally[code]["on_time.met"] += met
    # The few distinct texts of the close events' data, each decoded once in Python (JSON
    # functions differ between databases).
    text = cast(Event.data, Text)
    closes = session.execute(select(prefix, text, func.count()).where(
        *in_month, Event.action == "close").group_by(prefix, text))
    for code, data, count in closes:
        tally[code]["closes"] += count
        if json.loads(data).get("satisfaction") in workflow.choices["satisfied"]:
            tally[code]["satisfied"] += count


# -- figures ----------------------------------------------------------------------------------
def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _point(month: str, received: int, concluded: int) -> dict:
    return {"month": month, "received": received, "concluded": concluded,
            "handling_rate": _rate(concluded, received)}


def _summary(workflow: Workflow, counts: Counter) -> dict:
    """received, concluded, handling_rate and levels of one area's counts."""
    levels = {}
    for level in workflow.handling_levels():
        figures = {name: counts[f"level.{level.id}.{name}"] for name in LEVEL_FIELDS}
        done = figures["resolved"] + figures["referred"]
        figures["resolution_rate"] = _rate(done, done + figures["escalated"])
        levels[level.id] = figures
    return {"received": counts["received"], "concluded": counts["concluded"],
            "handling_rate": _rate(counts["concluded"], counts["received"]), "levels": levels}
