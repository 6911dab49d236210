"""Closing a month: its report figures computed once, for every area, and stored for good.

The scheduler closes the month before on the workflow's closing day (``reports.closing_day``,
the 5th by default) shortly after midnight (Asia/Shanghai), and at start closes every month
whose closing moment has passed and that is not closed yet (a scheduler that was down then
catches up).  Until that moment a finished month still takes petitions and ledger rows dated in
it: county federations hand in their monthly reports in the first days of the next month, and a
letter left in a village mailbox on the 29th is often logged on the 2nd.  Its figures do not
depend on the day it closes: every one is counted from events dated in the month, and its
cases' state at the month's end.  ``casework report close --month YYYY-MM`` closes a finished
month by hand, whatever the day.

One pass per month: the month's counts per village (the report's own queries, grouped by full
village code), then added up into each township, county and the whole (``''``), so every area
that has a report gets its figures without a query of its own.  Each month is closed in one
transaction that first takes the closing lock (PostgreSQL's advisory lock; SQLite's write lock
by BEGIN IMMEDIATE) and looks again whether the month is closed: two schedulers closing at once
store it once, and the primary key of closed_months (insert-or-ignore) guards it too.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter, defaultdict
from datetime import datetime, time
from pathlib import Path

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import func, insert, select, text
from sqlalchemy.dialects import postgresql, sqlite

from casework.bootstrap import Casework
from casework.errors import Invalid
from casework.reporting.closed_months import closed_through, label_of, lock_closing
from casework.reporting.counting import tally_month
from casework.reporting.months import index_of, month_index, month_label, month_window
from casework.scheduling.deadlines import SHANGHAI
from casework.storage.db import reading, utcnow, writing
from casework.storage.models import Case, ClosedFigure, ClosedMonth, Event

log = logging.getLogger("casework.reporting.closing")
# The layout of the stored counts (models.ClosedFigure); a new layout gets a new number.
REPORT_FORMAT = 1
VILLAGE_WIDTH = 12
ROLLUP_WIDTHS = (9, 6, 0)  # township, county, all
CLOSING_JOB = "close_months"
# A few minutes after midnight, so that a write begun in the last instant of the month has
# committed before the month is read.
CLOSE_AT = time(0, 5)


def close_month(cw: Casework, month: str, *, now: datetime | None = None) -> list[str]:
    """Close ``month`` and every finished month before it not closed yet; idempotent.

    Returns the months this call closed, oldest first (none when all were closed already)."""
    now = now or utcnow()
    index = month_index(month, now)
    if index >= index_of(label_of(now)):
        raise Invalid({"month": "is not over yet: only a finished month can be closed"})
    with reading(cw.engine) as session:
        through = closed_through(session)
        first = index_of(through) + 1 if through else min(index, _first_data_index(session, index))
    done = [month_label(i) for i in range(first, index + 1) if _close_one(cw, i, now)]
    if done and cw.engine.dialect.name == "postgresql":
        # A closing adds a month of every area's figures at once (two years of them at the
        # first start); until autovacuum notices, PostgreSQL's planner estimates the table as it
        # was and answers a province's report by scanning all of it (1.5 s on 8M rows) instead
        # of seeking its keys (0.1 s): measured in bench/RESULTS.md, "period-postgresql".
        with writing(cw.engine) as session:
            session.execute(text("ANALYZE closed_figures"))
    return done


def last_closable(now: datetime, closing_day: int) -> str:
    """The newest month the scheduler closes at ``now``: the month before from 00:05 on its
    closing day, the one before that until then."""
    local = now.astimezone(SHANGHAI)
    closing = datetime.combine(local.date().replace(day=closing_day), CLOSE_AT, SHANGHAI)
    return month_label(index_of(label_of(now)) - (1 if local >= closing else 2))


def close_finished_months(cw: Casework, *, now: datetime | None = None) -> list[str]:
    """The scheduler's job: close every month whose closing moment has passed at ``now``.

    A database with no case yet closes nothing: an empty month needs no freezing, and a county
    setting up may still bring in its paper ledger of past months."""
    now = now or utcnow()
    with reading(cw.engine) as session:
        anything = (closed_through(session) is not None
                    or session.execute(select(Case.id).limit(1)).first() is not None)
    if not anything:
        return []
    return close_month(cw, last_closable(now, cw.workflow.closing_day), now=now)


def add_closing_job(scheduler, cw: Casework, started: datetime) -> None:
    """On the closing day at 00:05 Beijing time, and at start (the catch-up).  A day of misfire
    grace: a scheduler stalled over midnight still closes the month when it wakes."""
    scheduler.add_job(
        ClosingJob(cw), CronTrigger(day=cw.workflow.closing_day, hour=CLOSE_AT.hour,
                                    minute=CLOSE_AT.minute, timezone=SHANGHAI),
        id=CLOSING_JOB, next_run_time=started, coalesce=True, max_instances=1,
        misfire_grace_time=86400, replace_existing=True)


class ClosingJob:
    """For APScheduler: one failure is logged and the next run (or the next start) retries."""

    def __init__(self, cw: Casework) -> None:
        self.cw = cw

    def __call__(self) -> None:
        try:
            # The scheduler's clock, like its other jobs: a drill or a history with a moved
            # "now" (CASEWORK_CLOCK) must not have the months after that now closed.
            closed = close_finished_months(self.cw, now=self.cw.settings.clock.now())
        except Exception:
            log.exception("closing the finished months failed")
            return
        if closed:
            log.info("closed the figures of %s", ", ".join(closed))


def workflow_digest(cw: Casework) -> str:
    try:
        return hashlib.sha256(Path(cw.settings.workflow_path).read_bytes()).hexdigest()
    except OSError:
        return ""


def _close_one(cw: Casework, index: int, now: datetime) -> bool:
    window = month_window(index, now)
    with writing(cw.engine) as session:
        lock_closing(session, shared=False)
        through = closed_through(session)
        if through is not None and through >= window.label:
            return False  # another scheduler closed it while this one waited for the lock
        tally = tally_month(session, cw.workflow, window, None, VILLAGE_WIDTH)
        areas: dict[str, Counter] = defaultdict(Counter)
        for village, counts in tally.items():
            for code in {village, *(village[:width] for width in ROLLUP_WIDTHS)}:
                areas[code].update(counts)
        dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
        marked = session.execute(
            dialect.insert(ClosedMonth).values(
                month=window.label, computed_at=utcnow(), report_format=REPORT_FORMAT,
                workflow_digest=workflow_digest(cw))
            .on_conflict_do_nothing(index_elements=["month"]).returning(ClosedMonth.month))
        if marked.first() is None:
            return False
        rows = [{"month": window.label, "area_code": code, "figure": figure, "value": value}
                for code, counts in areas.items() for figure, value in counts.items() if value]
        if rows:
            session.execute(insert(ClosedFigure), rows)
    log.info("closed %s: %d figures of %d areas", window.label, len(rows), len(areas))
    return True


def _first_data_index(session, default: int) -> int:
    """The month of the oldest case or event (events never precede their case's receipt, but
    both are cheap to ask through their indexes)."""
    oldest = [session.execute(select(func.min(column))).scalar_one()
              for column in (Case.received_at, Event.at)]
    found = [index_of(label_of(moment)) for moment in oldest if moment is not None]
    return min(found, default=default)
