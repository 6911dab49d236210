"""Which months are closed, their stored figures, and the refusal of data dated inside them.

A month's report carries a 12-month trend, so a closed month can only stay the same if every
month before it stays the same too: closing month M closes all of history up to M.  The closed
months are therefore a prefix of time, "closed through M" (the newest row of closed_months);
months before the first stored one had no data when they were closed, and their figures are
zero.

Late data dated inside a closed month (a petition logged with an old ``received_at``, a ledger
row of a past month) is refused rather than taken in silently: the closed figures could not
count it, and a case counted in no month's report would break "figures fall out of daily work,
exactly" (DESIGN.md).  The operator logs it as received now, when the federation learned of it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from casework.errors import Invalid
from casework.scheduling.deadlines import SHANGHAI
from casework.storage.models import ClosedFigure, ClosedMonth

# Closing a month takes this advisory lock exclusively on PostgreSQL; a transaction writing data
# dated in a past month takes it shared before it looks whether that month is closed, so its
# rows are either seen by the closing or refused after it (SQLite's write lock does the same).
CLOSING_LOCK = 0x63770005
CLOSED_REASON = "falls in a closed month, whose figures never change; log it as received now"


def label_of(moment: datetime) -> str:
    local = moment.astimezone(SHANGHAI)
    return f"{local.year:04d}-{local.month:02d}"


def closed_through(session: Session) -> str | None:
    """The newest closed month (YYYY-MM); every month up to it is closed."""
    return session.execute(select(func.max(ClosedMonth.month))).scalar_one()


def lock_closing(session: Session, *, shared: bool) -> None:
    if session.get_bind().dialect.name == "postgresql":
        call = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
        session.execute(text(f"SELECT {call}(:key)"), {"key": CLOSING_LOCK})


def refuse_if_closed(session: Session, moment: datetime, field: str, *,
                     now: datetime | None = None) -> None:
    """Raise Invalid naming ``field`` when ``moment`` lies in a closed month.

    Only a moment before the current month can be closed, so the intake of a petition received
    now pays nothing for this."""
    now = now or datetime.now(UTC)
    if label_of(moment) >= label_of(now):
        return
    lock_closing(session, shared=True)
    through = closed_through(session)
    if through is not None and label_of(moment) <= through:
        raise Invalid({field: CLOSED_REASON},
                      f"{field} falls in {label_of(moment)}, a closed month (months up to "
                      f"{through} are closed and their figures never change); log it as "
                      "received now")


def stored_figures(session: Session, month: str, codes: list[str]) -> dict[str, Counter]:
    """area code -> its stored counts in ``month``, for the given areas."""
    found: dict[str, Counter] = defaultdict(Counter)
    rows = session.execute(
        select(ClosedFigure.area_code, ClosedFigure.figure, ClosedFigure.value)
        .where(ClosedFigure.month == month, ClosedFigure.area_code.in_(codes)))
    for code, figure, value in rows:
        found[code][figure] = value
    return found


def stored_months(session: Session, months: list[str],
                  codes: list[str]) -> dict[str, dict[str, Counter]]:
    """month -> area code -> its stored counts, for closed months and the given areas, in
    one query."""
    found: dict[str, dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
    rows = session.execute(
        select(ClosedFigure.month, ClosedFigure.area_code, ClosedFigure.figure,
               ClosedFigure.value)
        # Both as IN lists: each (month, area) pair is a seek on the primary key, where a
        # range of months would read every area's rows of those months.
        .where(ClosedFigure.month.in_(months), ClosedFigure.area_code.in_(codes)))
    for month, code, figure, value in rows:
        found[month][code][figure] = value
    return found


def stored_trend(session: Session, months: list[str], code: str) -> dict[str, Counter]:
    """month -> received and concluded of area ``code`` (the 12-month trend)."""
    found: dict[str, Counter] = defaultdict(Counter)
    rows = session.execute(
        select(ClosedFigure.month, ClosedFigure.figure, ClosedFigure.value)
        .where(ClosedFigure.month.in_(months), ClosedFigure.area_code == code,
               ClosedFigure.figure.in_(("received", "concluded"))))
    for month, figure, value in rows:
        found[month][figure] = value
    return found
