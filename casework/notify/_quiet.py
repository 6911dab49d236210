"""Quiet hours: the night window of workflows.yaml in which only emergencies are sent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from casework.workflow.model import QuietHours


def quiet_until(quiet: QuietHours | None, moment: datetime) -> datetime | None:
    """The end of the quiet window ``moment`` falls in (aware, UTC), or None outside it."""
    if quiet is None or quiet.start == quiet.end:
        return None
    zone = ZoneInfo(quiet.timezone)
    local = moment.astimezone(zone)
    now = local.time()
    if quiet.start < quiet.end:  # a window inside one day, e.g. 12:00-14:00
        inside, end_day = quiet.start <= now < quiet.end, local.date()
    else:  # over midnight, e.g. 22:00-07:00
        inside = now >= quiet.start or now < quiet.end
        end_day = local.date() + timedelta(days=1) if now >= quiet.start else local.date()
    if not inside:
        return None
    return datetime.combine(end_day, quiet.end, zone).astimezone(UTC)


def exempt(quiet: QuietHours | None, urgency: str) -> bool:
    """Whether a case of ``urgency`` is told at once, night or day."""
    return quiet is None or urgency in quiet.except_urgency
