"""Notifications through an outbox (DESIGN.md, "Deadlines", last point).

When a case enters a level (intake, escalation, assignment) or is warned or overdue, the users
of the unit that must act are told by mail and, where ``CASEWORK_WEBHOOK_URL`` is set, by a
WeCom-style robot.  The messages are rows of the ``notifications`` table, written in the
transaction of the event they tell about (``queue``), and sent after it commits by the
scheduler's outbox job (``outbox``): an outage delays them, never loses them.  A daily digest on
working days lists each unit's warned and overdue cases (``digest``).

No message and no log line carries petitioner data: a case is named by its number only.
"""

from casework.notify.digest import enqueue_digests
from casework.notify.outbox import Delivery, deliver_due
from casework.notify.queue import notify_event

__all__ = ["Delivery", "deliver_due", "enqueue_digests", "notify_event"]
