"""A month's counts for an area, per sub-area: the facts every report figure is made of.

Counts are of events dated in the month and of cases received in it; the state at the month's
end comes from month_end.py.  The cost follows the month's events and the cases open at its
end, not the history: a few set-based queries for the area, whose rows are then bucketed by
sub-area in Python (never one query per sub-area or per case).  A period's counts are its
months' counts added up (figures.add_up), so there is one definition of every count.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict

from sqlalchemy import ColumnElement, Text, case, cast, func, literal_column, or_, select, true
from sqlalchemy.orm import Session

from casework.lifecycle.projection import CONCLUDING
from casework.people.access import code_range
from casework.reporting.month_end import count_open_at_end, states_at
from casework.reporting.months import Window
from casework.reporting.protection import count_protection
from casework.storage.models import Area, Case, Event
from casework.workflow import Workflow

VILLAGE_CODE_LENGTH = 12

Tally = dict  # sub-area code -> Counter of figure names (see models.ClosedFigure)


def new_tally() -> Tally:
    return defaultdict(Counter)


def tally_month(session: Session, workflow: Workflow, window: Window, area: str | None,
                width: int, *, at_end: bool = True) -> Tally:
    """Every count of the month, per sub-area: the first ``width`` digits of village codes.
    ``at_end=False`` leaves out the state at the month's end (open_end, overdue_end), which a
    period takes from its last month only."""
    tally = new_tally()
    _count_level_events(session, tally, window, area, width)
    if at_end:
        count_open_at_end(workflow, tally, states_at(session, window.cut, area), window.cut,
                          width)
    _count_received(session, workflow, tally, window, area, width)
    _count_outcomes(session, workflow, tally, window, area, width)
    # Danger assessments and protective measures: counts like the others, so a period sums them.
    for code, counts in count_protection(session, window.start, window.cut, area, width).items():
        tally[code].update(counts)
    return tally


def received_and_concluded(session: Session, workflow: Workflow, window: Window,
                           area: str | None) -> Counter:
    """The month's received and concluded alone (a trend's point), in one query."""
    received, concluded = session.execute(received_query(workflow, window, area)).one()
    return Counter(received=received, concluded=concluded)


def sub_area_width(area: str | None) -> int:
    """Sub-areas' codes are 3 digits longer than the area's; counties have 6."""
    return min(len(area) + 3, VILLAGE_CODE_LENGTH) if area else 6


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


def concluded_by(workflow: Workflow, window: Window) -> ColumnElement[bool]:
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


def received_query(workflow: Workflow, window: Window, area: str | None, *columns):
    """SELECT columns, received, concluded-at-the-cut FROM the cases received in M."""
    concluded = func.count(case((concluded_by(workflow, window), 1)))
    return select(*columns, func.count(), concluded).where(
        Case.received_at >= window.start, Case.received_at < window.cut,
        _inside(Case.village_code, area))


def _count_received(session: Session, workflow: Workflow, tally: Tally, window: Window,
                    area: str | None, width: int) -> None:
    prefix = _prefix(Case.village_code, width)
    rows = session.execute(received_query(workflow, window, area, prefix, Case.category)
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
