"""The morning digest: on each working day, one mail to each unit with warned or overdue cases,
listing them (number, level, status, deadline), so nothing rests on a single missed notice.

Keyed by day, unit and address: run twice (two schedulers, a restart), it queues nothing new.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, time

from sqlalchemy import or_, select

from casework.notify.messages import digest_message
from casework.notify.queue import insert_rows, outbox_key, unique_addresses
from casework.people.access import unit_code
from casework.scheduling.deadlines import SHANGHAI
from casework.storage.db import reading, writing
from casework.storage.models import Area, Case, User

DIGEST_AT = time(8, 30)  # Beijing time, as offices open
# A scheduler that starts later in the day sends that day's digest late, but not after this:
# an evening digest would arrive (after quiet hours) beside the next morning's.
DIGEST_UNTIL = time(17, 30)


def enqueue_digests(cw, now: datetime) -> int:
    """Queue today's digests if ``now`` is a working day's digest time; returns the new rows."""
    local = now.astimezone(SHANGHAI)
    if not (DIGEST_AT <= local.time() < DIGEST_UNTIL) or not cw.calendar.is_workday(
            local.date()) or not cw.settings.smtp_url:
        return 0
    workflow = cw.workflow
    open_statuses = [status.id for status in workflow.statuses.values()
                     if status.clock_running and not status.concluded]
    with reading(cw.engine) as session:
        cases = session.execute(
            select(Case).where(or_(Case.warning.is_(True), Case.overdue.is_(True)),
                               Case.status.in_(open_statuses))
            .order_by(Case.due_at, Case.id)).scalars().all()
        by_unit: dict[tuple[str, tuple[str, ...]], list[Case]] = defaultdict(list)
        for case in cases:
            level = workflow.level(case.level)
            by_unit[unit_code(case.village_code, level.unit), level.roles].append(case)
        roles = {role for _, unit_roles in by_unit for role in unit_roles}
        users = session.execute(
            select(User.role, User.area_code, User.email)
            .where(User.active.is_(True), User.role.in_(sorted(roles)),
                   User.email.is_not(None), User.email != "").order_by(User.id)).all()
        mailboxes: dict[tuple[str, str], list[str]] = defaultdict(list)
        for role, area, email in users:
            mailboxes[role, area].append(email)
        addresses = {unit: unique_addresses(email for role in unit[1]
                                            for email in mailboxes[role, unit[0]])
                     for unit in by_unit}
        wanted = sorted({code for (code, _), found in addresses.items() if found})
        names = dict(session.execute(select(Area.code, Area.name)
                                     .where(Area.code.in_(wanted))).all()) if wanted else {}
    day = local.date()
    rows = []
    for (code, unit_roles), unit_cases in by_unit.items():
        if not addresses[code, unit_roles]:
            continue
        message = digest_message(workflow, names.get(code, code), day, unit_cases)
        for address in addresses[code, unit_roles]:
            rows.append({
                "event_key": outbox_key("digest", day.isoformat(), code, "+".join(unit_roles),
                                        address),
                "case_id": None, "channel": "email", "recipient": address,
                "subject": message.subject, "body": message.text, "urgent": False,
                "status": "pending", "attempts": 0, "created_at": now, "next_attempt_at": now})
    if not rows:
        return 0
    with writing(cw.engine) as session:
        return insert_rows(session, rows)
