"""The reports (DESIGN.md, "Reports" and "Reports over a period"): the figures of an area over
one month or a run of months, as JSON.

A month is a period of one month: both are the area's counts of each month (counting.py, or
the stored counts of a closed month, closed_months.py) added up (figures.add_up) and turned
into figures by the same code (figures.assemble).  A closed month is never computed again, so a
province's two-year report costs about what reading 24 months of stored counts does; only the
months not closed yet (the month in progress, and the days before its predecessor closes) are
counted from events, and of those only the period's last month replays the state at its end.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from casework.bootstrap import Casework
from casework.errors import Invalid
from casework.reporting.closed_months import closed_through, stored_months, stored_trend
from casework.reporting.counting import received_and_concluded, sub_area_width, tally_month
from casework.reporting.figures import add_up, assemble, point
from casework.reporting.months import month_index, month_label, month_window, period_indexes
from casework.storage.db import reading, utcnow
from casework.storage.models import Area
from casework.workflow import Workflow

TREND_MONTHS = 12


@dataclass
class Counts:
    """An area's counts over a period: its own, each sub-area's, and its own month by month."""

    total: Counter
    parts: dict[str, Counter]
    months: dict[str, Counter]  # YYYY-MM -> the area's counts of that month, oldest first


def monthly_report(cw: Casework, *, month: str, area: str | None = None,
                   now: datetime | None = None, closed: bool = True) -> dict:
    """The report of ``month`` for ``area`` (None: every area).  A closed month's is read from
    its stored figures (closed_months.py); ``closed=False`` computes it from events anyway,
    which gives the same JSON as long as nothing was written into the month since."""
    now = now or utcnow()
    index = month_index(month, now)
    with _snapshot(cw) as session:
        place, children = _place(session, area)
        through = closed_through(session) if closed else None
        counts = _gather(session, cw.workflow, index, index, area, children, now, through)
        trend = _trend(session, cw.workflow, index, area, now, through)
    label = month_label(index)
    return {"month": label, "area": place,
            **assemble(cw.workflow, counts.total, counts.parts, children),
            "trend": [*trend, point(label, counts.total)]}


def period_report(cw: Casework, *, start: str, end: str, area: str | None = None,
                  now: datetime | None = None, closed: bool = True) -> dict:
    """The report of the months ``start`` to ``end`` (both YYYY-MM, both included) for
    ``area``: the monthly figures over the whole range, with ``by_month`` for the trend."""
    now = now or utcnow()
    first, last = period_indexes(start, end, now)
    with _snapshot(cw) as session:
        place, children = _place(session, area)
        through = closed_through(session) if closed else None
        counts = _gather(session, cw.workflow, first, last, area, children, now, through)
    return {"from": month_label(first), "to": month_label(last), "months": last - first + 1,
            "area": place, **assemble(cw.workflow, counts.total, counts.parts, children),
            "by_month": [point(label, month) for label, month in counts.months.items()]}


@contextmanager
def _snapshot(cw: Casework) -> Iterator[Session]:
    engine = cw.engine
    if engine.dialect.name == "postgresql":
        # One snapshot for all queries, as SQLite's read transaction gives by itself.
        engine = engine.execution_options(isolation_level="REPEATABLE READ")
    with reading(engine) as session:
        yield session


def _gather(session: Session, workflow: Workflow, first: int, last: int, area: str | None,
            children: dict[str, str], now: datetime, through: str | None) -> Counts:
    """The counts of months ``first`` to ``last``: closed months' as stored (one query for
    all of them), the others' counted from events."""
    code = area or ""
    labels = [month_label(i) for i in range(first, last + 1)]
    closed = [label for label in labels if through is not None and label <= through]
    per_month = stored_months(session, closed, [code, *children]) if closed else {}
    width = sub_area_width(area)
    for index in range(first + len(closed), last + 1):
        tally = tally_month(session, workflow, month_window(index, now), area, width,
                            at_end=index == last)
        per_month[month_label(index)] = {
            code: sum(tally.values(), Counter()),
            **{child: tally.get(child, Counter()) for child in children}}
    empty: dict[str, Counter] = {}
    months = {label: per_month.get(label, empty).get(code, Counter()) for label in labels}
    parts = {child: add_up(per_month.get(label, empty).get(child, Counter()) for label in labels)
             for child in children}
    return Counts(add_up(months.values()), parts, months)


def _trend(session: Session, workflow: Workflow, index: int, area: str | None, now: datetime,
           through: str | None) -> list[dict]:
    """The 11 months before ``index``: closed ones from their stored figures, the others
    counted from events (received and concluded alone)."""
    earlier = [(i, month_label(i)) for i in range(index - TREND_MONTHS + 1, index)]
    stored = stored_trend(session, [label for _i, label in earlier
                                    if through is not None and label <= through], area or "")
    return [point(label, stored[label] if through is not None and label <= through
                  else received_and_concluded(session, workflow, month_window(i, now), area))
            for i, label in earlier]


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
