"""The report's ``protection`` figures (DESIGN.md, "Protective measures"): danger assessments
and the Anti-Domestic Violence Law's instruments, counted from the events of a time range.

Each figure counts events, not cases: ``assessed`` the assessments recorded, ``high_risk`` those
whose level was high, ``orders_applied`` the protection-order applications recorded, and so on.
Counts of events add up: the figures of a period are the sum of its months' (a case assessed in
two months is assessed twice), which is what lets a period report (DESIGN.md, "Reports over a
period") add closed months' stored figures to the months it computes.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime

from sqlalchemy import func, literal_column, select, true
from sqlalchemy.orm import Session

from casework.people.access import code_range
from casework.storage.models import Event

FIGURES = ("assessed", "high_risk", "orders_applied", "orders_granted", "orders_rejected",
           "warning_letters", "shelter_placements", "mandatory_reports")
# (measure, stage) -> the figure its event counts in
STAGE_FIGURES = {
    ("protection_order", "applied"): "orders_applied",
    ("protection_order", "granted"): "orders_granted",
    ("protection_order", "rejected"): "orders_rejected",
    ("warning_letter", "issued"): "warning_letters",
    ("shelter", "placed"): "shelter_placements",
    ("mandatory_report", "reported"): "mandatory_reports",
}
PREFIX = "protection."  # the figures' names in a tally and in closed_figures


def count_protection(session: Session, start: datetime, end: datetime, area: str | None,
                     width: int = 0) -> dict[str, Counter]:
    """The protection counts of events dated in [``start``, ``end``) inside ``area`` (None:
    everywhere), per sub-area: the first ``width`` digits of the village code ('' for 0), as
    ``{code: Counter({"protection.assessed": n, ...})}``."""
    code = (func.substr(Event.village_code, literal_column("1"), literal_column(str(int(width))))
            if width else literal_column("''"))
    inside = true() if area is None else code_range(Event.village_code, area)
    rows = session.execute(
        select(code, Event.action, Event.data)
        .where(Event.at >= start, Event.at < end, inside,
               Event.action.in_(("assess", "measure"))))
    found: dict[str, Counter] = defaultdict(Counter)
    for sub, action, data in rows:
        data = data or {}
        counts = found[sub or ""]
        if action == "assess":
            counts[PREFIX + "assessed"] += 1
            if data.get("level") == "high":
                counts[PREFIX + "high_risk"] += 1
        else:
            figure = STAGE_FIGURES.get((data.get("measure"), data.get("stage")))
            if figure:
                counts[PREFIX + figure] += 1
    return found


def protection_figures(counts: Counter) -> dict[str, int]:
    """The report's ``protection`` object from a tally's counts (computed or stored)."""
    return {name: counts[PREFIX + name] for name in FIGURES}


def protection_between(session: Session, start: datetime, end: datetime,
                       area: str | None) -> dict[str, int]:
    """The ``protection`` object of [``start``, ``end``) for ``area``, in one call."""
    return protection_figures(count_protection(session, start, end, area).get("", Counter()))
