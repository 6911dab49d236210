"""Deadlines of workflow levels: which rule of deadlines.py applies to a case at a level."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from casework.scheduling.deadlines import Deadline, WorkingCalendar, deadline_for
from casework.workflow import Workflow


def level_deadline(
    workflow: Workflow, calendar: WorkingCalendar, *, level: str, urgency: str,
    entered_at: datetime,
) -> Deadline:
    """The deadline of a case that enters ``level`` at ``entered_at``."""
    spec = workflow.level(level)
    if spec.hours and urgency != "emergency":
        hours = spec.hours / workflow.urgent_divisor if urgency == "urgent" else spec.hours
        start = entered_at.astimezone(UTC)
        span = timedelta(hours=hours)
        return Deadline(due_at=start + span, warn_at=start + span * workflow.warn_fraction)
    # The workflow already divided the days for an urgent case (its own divisor), so only the
    # emergency rule is left for deadline_for to apply.
    return deadline_for(
        calendar, entered_at, working_days=workflow.working_days(level, urgency),
        urgency="emergency" if urgency == "emergency" else "normal",
        emergency_hours=workflow.emergency_hours,
        warn_fraction=workflow.warn_fraction,
    )
