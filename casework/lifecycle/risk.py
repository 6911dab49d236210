"""The ``assess`` action: a danger assessment recorded as an event (DESIGN.md, "Danger
assessment").  The event's data holds the answers, the score and the level; the case's
``risk_level`` and ``risk_assessed_at`` are its projection (casework/lifecycle/projection.py).

A high level makes a normal case urgent: the deadline at its current level becomes the urgent
one, counted from when the case entered the level, where that is earlier.  The new urgency is
in the event's data and its deadline in the event's columns, so replay and the hash chain carry
both, and every later level's deadline is an urgent one.
"""

from __future__ import annotations

from datetime import datetime

from casework.errors import Invalid
from casework.scheduling.timing import level_deadline

UPGRADED_FROM = "normal"


def assessment(cw, case, answers: object, *, field: str = "answers") -> dict:
    """The data of an assess event for ``answers`` ({question id: true/false}), checked
    against the workflow's questions; Invalid naming each bad answer."""
    screen = cw.workflow.risk
    if screen is None:
        raise Invalid({field: "this workflow has no danger assessment"})
    checked, score, level = screen.assess(answers, field)
    data = {"answers": checked, "score": score, "level": level}
    if level == "high" and case.urgency == UPGRADED_FROM:
        data["urgency"] = "urgent"
        data["urgency_was"] = case.urgency
    return data


def assessed_deadline(cw, case, data: dict) -> tuple[datetime | None, datetime | None]:
    """The case's (due_at, warn_at) after the assessment ``data``: the urgent deadline of its
    level when the assessment made it urgent and that deadline is earlier, else the one in
    force."""
    due, warn = case.due_at, case.warn_at
    if "urgency" not in data or due is None:
        return due, warn
    urgent = level_deadline(cw.workflow, cw.calendar, level=case.level, urgency=data["urgency"],
                            entered_at=case.entered_level_at)
    if urgent.due_at < due:
        return urgent.due_at, urgent.warn_at
    return due, warn
