"""The scheduler's watch over protection orders (DESIGN.md, "Protective measures"): an
application the court has not decided within 72 hours (24 for an emergency) is recorded once as
``measure_overdue``, and a granted order seven days before it ends once as ``order_expiring``
(so that an extension can be sought in time); both are told to the unit through the outbox.

As the deadline scan (scan.py): each is re-checked on the fresh rows inside its own transaction
and written under the case's version, so two schedulers at once record it once; one failing
case is logged and skipped.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select

from casework.errors import CaseworkError
from casework.lifecycle.events import append, current_deadline, new_event
from casework.lifecycle.measures import measure_events, write_rows
from casework.notify import notify_event
from casework.people.access import Actor
from casework.storage.db import reading, writing
from casework.storage.models import Case, ProtectionMeasure

log = logging.getLogger("casework.scheduling.measure_scan")
PM = ProtectionMeasure
BATCH = 500


def _due(kind: str, now: datetime):
    if kind == "measure_overdue":
        return (select(PM.case_id, PM.measure_id)
                .where(PM.decide_by <= now, PM.stage == "applied", PM.overdue_recorded.is_(False))
                .order_by(PM.decide_by, PM.case_id, PM.measure_id).limit(BATCH))
    return (select(PM.case_id, PM.measure_id)
            .where(PM.expiring_at <= now, PM.ends_at > now, PM.stage.in_(("granted", "extended")),
                   PM.expiring_recorded.is_(False))
            .order_by(PM.expiring_at, PM.case_id, PM.measure_id).limit(BATCH))


def still_due(kind: str, row: ProtectionMeasure | None, now: datetime) -> bool:
    if row is None:
        return False
    if kind == "measure_overdue":
        return (row.stage == "applied" and not row.overdue_recorded and row.decide_by is not None
                and row.decide_by <= now)
    return (row.stage in ("granted", "extended") and not row.expiring_recorded
            and row.expiring_at is not None and row.expiring_at <= now < row.ends_at)


def scan_measures(cw, now: datetime) -> dict[str, int]:
    """Record what is due at ``now``; how many of each kind were recorded."""
    counts = {"measure_overdue": 0, "order_expiring": 0}
    for kind in counts:
        seen: set[tuple[int, int]] = set()
        while True:
            with reading(cw.engine) as session:
                rows = [tuple(row) for row in session.execute(_due(kind, now))]
            rows = [row for row in rows if row not in seen]
            if not rows:
                break
            for case_id, measure_id in rows:
                seen.add((case_id, measure_id))
                counts[kind] += _record_one(cw, kind, case_id, measure_id, now)
    if any(counts.values()):
        log.info("measure scan at %s: %d undecided applications overdue, %d orders expiring",
                 now.isoformat(), counts["measure_overdue"], counts["order_expiring"])
    return counts


def _record_one(cw, kind: str, case_id: int, measure_id: int, now: datetime) -> int:
    try:
        with writing(cw.engine) as session:
            # Locked on PostgreSQL, where two schedulers' transactions run side by side: the
            # second waits here and then reads the first's "recorded" (SQLite's writes are
            # serialized by BEGIN IMMEDIATE already).
            row = session.get(ProtectionMeasure, (case_id, measure_id), with_for_update=True,
                              populate_existing=True)
            if not still_due(kind, row, now):
                return 0  # another scheduler got there first, or the court decided
            case = session.get(Case, case_id)
            earlier = measure_events(session, case_id)
            data = {"measure_id": measure_id, "measure": row.measure}
            if kind == "order_expiring":
                data["ends_at"] = row.ends_at.isoformat()
            event = append(session, case, new_event(
                case, action=kind, actor=Actor.system(), at=now, to_level=case.level,
                to_status=case.status, deadline=current_deadline(case), data=data))
            write_rows(session, case_id, [*earlier, event], {measure_id})
            notify_event(cw, session, case, event, now=now)
            return 1
    except CaseworkError as exc:
        # Most often another scheduler's write won the version race: it is recorded.
        log.warning("measure scan skipped case id %s: %s", case_id, exc.code)
    except Exception:
        log.exception("measure scan failed on case id %s", case_id)
    return 0
