"""The case row as a fold over its events.

Services compute each event completely (its new level, status and deadline) and then apply it
with ``project``; replaying a case's events through the same function must give back its row,
which the stateful test checks after every random action.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from casework.storage.models import Case, Event

# The columns of a case that its events decide.
PROJECTED = ("level", "status", "entered_level_at", "due_at", "warn_at", "warning", "overdue",
             "extended", "waiting_since", "concluded_at", "last_event_seq", "last_event_at",
             "version", "risk_level", "risk_assessed_at")
CONCLUDING = ("resolve", "refer")


# The attributes of an event that the fold reads.
READ = ("action", "seq", "from_level", "to_level", "to_status", "at", "due_at", "warn_at")


def project(state: dict[str, Any], event: Event) -> dict[str, Any]:
    """The case's projected columns after ``event`` (an Event or any object with its
    attributes)."""
    values = {name: getattr(event, name) for name in READ}
    # The reports replay from a few columns with no data: nothing they count is decided by it.
    values["data"] = getattr(event, "data", None)
    return project_row(state, values)


def project_row(state: Mapping[str, Any], event: Mapping[str, Any]) -> dict[str, Any]:
    """The case's projected columns after the event whose column values are ``event``."""
    return {**state, **assignments(event)}


def assignments(event: Mapping[str, Any]) -> dict[str, Any]:
    """The projected columns the event (its column values) sets, and their new values: the one
    fold of the engine; every other column keeps its value."""
    at = event["at"]
    new = {"level": event["to_level"], "status": event["to_status"], "due_at": event["due_at"],
           "warn_at": event["warn_at"], "last_event_seq": event["seq"], "last_event_at": at,
           "version": event["seq"]}
    if event["from_level"] != event["to_level"]:
        # A new level starts a new clock: flags, the one extension and any wait belong to the
        # level the case left.
        new.update(entered_level_at=at, warning=False, overdue=False, extended=False,
                   waiting_since=None, concluded_at=None)
    action = event["action"]
    if action == "warn":
        new["warning"] = True
    elif action == "overdue":
        new["overdue"] = True
    elif action in ("extend", "resume", "reopen"):
        # The deadline moved: what the scan flagged belongs to the old one.
        new.update(warning=False, overdue=False, waiting_since=None)
        if action == "extend":
            new["extended"] = True
    elif action == "wait":
        new["waiting_since"] = at
    elif action == "intake" and "urgency" in (event.get("data") or {}):
        new["urgency"] = event["data"]["urgency"]
    elif action == "assess":
        # The latest assessment wins; a high one may have made a normal case urgent, its
        # deadline moved with it (the event's due_at already says so).
        data = event.get("data") or {}
        new.update(risk_level=data.get("level"), risk_assessed_at=at)
        if "urgency" in data:
            new["urgency"] = data["urgency"]
    if action in CONCLUDING:
        new["concluded_at"] = at
    elif action == "reopen":
        new["concluded_at"] = None
    return new


# The projected columns before a case's first event that its first event does not set.
START = {"warning": False, "overdue": False, "extended": False, "waiting_since": None,
         "concluded_at": None, "risk_level": None, "risk_assessed_at": None}


def replay(events: list[Event]) -> dict[str, Any]:
    """The projected columns after all ``events`` (in order), from nothing."""
    state: dict[str, Any] = dict(START)
    for event in sorted(events, key=lambda e: e.seq):
        state = project(state, event)
    return state


def projected_columns(case: Case) -> dict[str, Any]:
    """The projected columns of a case (an ORM Case or a driver-read row alike)."""
    return {name: getattr(case, name) for name in PROJECTED}
