"""The deadline scan: record each newly due warning and overdue flag once, as a system event,
and escalate overdue cases where the workflow says a level does so by itself.

Idempotent: each flag is re-checked on the fresh row inside its own transaction and written
under the case's version, so two schedulers scanning at once still record it once.  One failing
case is logged and skipped; it never stops the scan.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Select, or_, select, text

from casework.bootstrap import Casework
from casework.errors import CaseworkError
from casework.lifecycle.actions import apply_action
from casework.lifecycle.events import append, current_deadline, new_event
from casework.notify import notify_event
from casework.people.access import Actor
from casework.scheduling.measure_scan import scan_measures
from casework.storage.db import reading, writing
from casework.storage.models import SCAN_CONDITIONS, Case

log = logging.getLogger("casework.scheduling.scan")
BATCH = 500


@dataclass
class ScanResult:
    warned: int = 0
    overdue: int = 0
    escalated: int = 0
    measure_overdue: int = 0
    order_expiring: int = 0
    failed: list[str] = field(default_factory=list)


def due_cases(flag: str, dialect: str, now: datetime,
              after: tuple[datetime, int] | None = None, limit: int = BATCH) -> Select:
    """The next ``limit`` cases whose ``flag`` is due at ``now``, in deadline order.

    Paged by (deadline, id) rather than by id: walking the partial index in its own order
    reads only the due entries, where an ``ORDER BY id`` lets the planner walk the primary key
    through every open case looking for the few due ones."""
    column = Case.warn_at if flag == "warning" else Case.due_at
    query = select(column, Case.id).where(text(SCAN_CONDITIONS[flag, dialect]), column <= now)
    if after is not None:
        last_at, last_id = after
        query = query.where(column >= last_at, or_(column > last_at, Case.id > last_id))
    return query.order_by(column, Case.id).limit(limit)


def scan(cw: Casework, now: datetime) -> ScanResult:
    result = ScanResult()
    dialect = "postgresql" if cw.engine.dialect.name == "postgresql" else "sqlite"
    for flag in ("warning", "overdue"):
        after = None
        while True:
            with reading(cw.engine) as session:
                rows = session.execute(due_cases(flag, dialect, now, after)).all()
            if not rows:
                break
            after = tuple(rows[-1])
            for _deadline, case_id in rows:
                _flag_one(cw, case_id, flag, now, result)
    # The protection orders' clocks, once per scan (measure_scan.py).
    for kind, count in scan_measures(cw, now).items():
        setattr(result, kind, count)
    if result.warned or result.overdue or result.failed:
        log.info("scan at %s: %d warned, %d overdue, %d escalated, %d failed", now.isoformat(),
                 result.warned, result.overdue, result.escalated, len(result.failed))
    return result


def _flag_one(cw: Casework, case_id: int, flag: str, now: datetime, result: ScanResult) -> None:
    system = Actor.system()
    try:
        with writing(cw.engine) as session:
            case = session.get(Case, case_id)
            due = case.warn_at if flag == "warning" else case.due_at
            if getattr(case, flag) or case.status not in ("pending", "in_progress") or (
                    due is None or due > now):
                return  # another scheduler got there first, or the case moved on
            action = "warn" if flag == "warning" else "overdue"
            notify_event(cw, session, case, append(session, case, new_event(
                case, action=action, actor=system, at=now, to_level=case.level,
                to_status=case.status, deadline=current_deadline(case))), now=now)
            if flag == "warning":
                result.warned += 1
                return
            result.overdue += 1
            level = cw.workflow.level(case.level)
            if level.auto_escalate_overdue and "escalate" in cw.workflow.allowed_actions(
                    case.level, case.status):
                apply_action(cw, session, system, case, "escalate",
                             {"note": "escalated automatically: deadline passed"}, now=now)
                result.escalated += 1
    except CaseworkError as exc:
        # Most often another scheduler's write won the version race: the flag is recorded.
        log.warning("scan skipped case id %s: %s", case_id, exc.code)
    except Exception:
        log.exception("scan failed on case id %s", case_id)
        result.failed.append(str(case_id))
