"""Actions on a case: the checks of DESIGN.md in a fixed order, then one event.

Order of refusals: not visible (404), version moved on (409 stale_version), not possible from
this state (409 illegal_transition), role or unit may not (403), fields missing or bad (422).
"""

from __future__ import annotations

from datetime import datetime

from casework.access import Actor, allowed_actions, may_act
from casework.bootstrap import Casework
from casework.cases import visible_case, whole_number
from casework.db import utcnow, writing
from casework.deadlines import extend_deadline, shift_deadline
from casework.errors import Forbidden, IllegalTransition, Invalid, StaleVersion
from casework.events import append, current_deadline, new_event
from casework.models import Case
from casework.notify import notify_event
from casework.schemas import CONTROL
from casework.timing import level_deadline

FIELDS = ("note", "outcome", "agency", "target_level", "reason", "days", "satisfaction")
BODY_KEYS = {"action", "version", *FIELDS}
MAX_EXTENSION_DAYS = 30  # a month of working days; longer than that is a new plan, not a delay


def perform(cw: Casework, actor: Actor, number: str, body: object, *,
            now: datetime | None = None) -> Case:
    """Take the action the API body names on case ``number`` for ``actor``."""
    if not isinstance(body, dict):
        raise Invalid({"body": "expected a JSON object"})
    unknown = sorted(set(body) - BODY_KEYS)
    if unknown:
        raise Invalid({name: "unknown field" for name in unknown})
    action = body.get("action")
    if not isinstance(action, str) or action not in cw.workflow.actions:
        raise Invalid({"action": "must be one of: " + ", ".join(cw.workflow.actions)})
    version = body.get("version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise Invalid({"version": "required: the version of the case you are looking at"})
    with writing(cw.engine) as session:
        case = visible_case(cw, session, actor, number)
        if version != case.version:
            raise StaleVersion(
                "the case was changed by someone else; reload it",
                version=case.version, allowed_actions=allowed_actions(cw.workflow, actor, case))
        try:
            return apply_action(cw, session, actor, case, action, body, now=now or utcnow())
        except StaleVersion:
            # Another process changed the row between our read and our UPDATE (PostgreSQL's
            # row lock made us wait for it): answer with the version it left, not ours.
            session.refresh(case)
            raise StaleVersion(
                "the case was changed by someone else; reload it", version=case.version,
                allowed_actions=allowed_actions(cw.workflow, actor, case)) from None


def apply_action(cw, session, actor: Actor, case: Case, action: str, body: dict, *,
                 now: datetime) -> Case:
    """Check and record ``action`` on a loaded, visible case (also used by the scheduler)."""
    workflow = cw.workflow
    if action not in workflow.allowed_actions(case.level, case.status):
        raise IllegalTransition(
            f"'{action}' is not possible for a case {case.status} at {case.level}",
            allowed_actions=allowed_actions(workflow, actor, case), version=case.version)
    if not may_act(workflow, actor, action, case):
        raise Forbidden(f"you may not '{action}' this case at {case.level}")
    spec = workflow.actions[action]
    if spec.once_per_level and case.extended:
        raise IllegalTransition(
            "the deadline was already extended once at this level",
            allowed_actions=allowed_actions(workflow, actor, case), version=case.version)
    fields = _fields(cw, spec.needs, body, case)
    to_level, to_status = workflow.next_state(
        case.level, case.status, action, version=case.version,
        target_level=fields.get("target_level"))
    deadline = _deadline(cw, case, action, to_level, fields, now)
    met = None
    if action in ("resolve", "refer"):
        met = case.due_at is None or now <= case.due_at
    data = {key: value for key, value in fields.items() if key != "note"}
    event = append(session, case, new_event(
        case, action=action, actor=actor, at=now, to_level=to_level, to_status=to_status,
        deadline=deadline, note=fields.get("note", ""), data=data, deadline_met=met))
    notify_event(cw, session, case, event, now=now)  # escalate, assign: in this transaction
    return case


def _deadline(cw, case: Case, action: str, to_level: str, fields: dict, now: datetime):
    current = current_deadline(case)
    if to_level != case.level or action == "reopen":
        return level_deadline(cw.workflow, cw.calendar, level=to_level, urgency=case.urgency,
                              entered_at=now)
    if action == "extend" and current:
        return extend_deadline(cw.calendar, current, working_days=fields["days"])
    if action == "resume" and current and case.waiting_since:
        return shift_deadline(current, now - case.waiting_since)
    return current


def _fields(cw: Casework, needs: tuple[str, ...], body: dict, case: Case) -> dict:
    """The action's fields from ``body``: every needed one present and valid; a note kept."""
    choices = cw.workflow.choices
    allowed = {"outcome": choices["outcome"], "agency": choices["agency"],
               "satisfaction": choices["satisfaction"],
               "target_level": cw.workflow.actions["assign"].target_levels
               if "assign" in cw.workflow.actions else ()}
    fields: dict = {}
    errors: dict[str, str] = {}
    for name in FIELDS:
        value = body.get(name)
        if value in (None, "") and name not in needs:
            continue
        if value in (None, ""):
            errors[name] = "required for this action"
        elif name == "days":
            days = whole_number(value, 3) if isinstance(value, str) else value
            if isinstance(days, bool) or not isinstance(days, int) or not (
                    1 <= days <= MAX_EXTENSION_DAYS):
                errors[name] = f"a whole number of working days from 1 to {MAX_EXTENSION_DAYS}"
            else:
                fields[name] = days
        elif not isinstance(value, str):
            errors[name] = "must be text"
        elif name in allowed:
            if value not in allowed[name]:
                errors[name] = "must be one of: " + ", ".join(allowed[name])
            else:
                fields[name] = value
        elif CONTROL.search(value) or len(value) > 5000:
            errors[name] = "at most 5000 characters, no control characters"
        elif not value.strip():
            errors[name] = "required for this action"
        else:
            fields[name] = value.strip()
    if errors:
        raise Invalid(errors)
    return {name: value for name, value in fields.items() if name in needs or name == "note"}
