"""Actions on a case: the checks of DESIGN.md in a fixed order, then one event.

Order of refusals: not visible (404), version moved on (409 stale_version), not possible from
this state (409 illegal_transition), role or unit may not (403), fields missing or bad (422).
"""

from __future__ import annotations

from datetime import datetime

from casework.bootstrap import Casework
from casework.errors import Forbidden, IllegalTransition, Invalid, NotFound, StaleVersion
from casework.lifecycle._driver import CaseRow, DriverTransaction
from casework.lifecycle.cases import visible_case
from casework.lifecycle.events import append, append_row, current_deadline, event_values
from casework.lifecycle.measure_rules import BODY_FIELDS as MEASURE_FIELDS
from casework.lifecycle.measures import measure_events, planned_measure, write_rows
from casework.lifecycle.risk import assessed_deadline, assessment
from casework.lifecycle.schemas import CONTROL, whole_number
from casework.notify import notify_event
from casework.notify.queue import NOTIFYING, channels
from casework.people.access import Actor, allowed_actions, check_visible, may_act
from casework.scheduling.deadlines import extend_deadline, shift_deadline
from casework.scheduling.timing import level_deadline
from casework.storage.db import utcnow, writing
from casework.storage.models import Case, Event
from casework.workflow import Workflow

FIELDS = ("note", "outcome", "agency", "target_level", "reason", "days", "satisfaction")
BODY_KEYS = {"action", "version", "answers", *MEASURE_FIELDS, *FIELDS}
MAX_EXTENSION_DAYS = 30  # a month of working days; longer than that is a new plan, not a delay


def perform(cw: Casework, actor: Actor, number: str, body: object, *,
            now: datetime | None = None) -> Case | CaseRow:
    """Take the action the API body names on case ``number`` for ``actor``; the case as it is
    afterwards (a ``CaseRow`` of the columns an action reads, or the ORM ``Case``).

    The body is checked before any transaction; the case is read, checked and written on the
    driver (casework/lifecycle/_driver.py: three compiled statements, no Session), except for an
    action that notifies someone, which goes through a Session for its outbox rows."""
    if not isinstance(body, dict):
        raise Invalid({"body": "expected a JSON object"})
    if not BODY_KEYS.issuperset(body):
        raise Invalid({name: "unknown field" for name in sorted(set(body) - BODY_KEYS)})
    action = body.get("action")
    if not isinstance(action, str) or action not in cw.workflow.actions:
        raise Invalid({"action": "must be one of: " + ", ".join(cw.workflow.actions)},
                      allowed={"action": list(cw.workflow.actions)})
    version = body.get("version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise Invalid({"version": "required: the version of the case you are looking at"})
    now = now or utcnow()
    if (action in NOTIFYING and channels(cw)) or action == "measure":
        # The outbox rows are staged on the session and written when it commits (casework.notify),
        # so an action that tells someone goes through a Session; so does a measure, which reads
        # the case's earlier measures and writes its protection_measures row.
        with writing(cw.engine) as session:
            case = visible_case(cw, session, actor, number)
            _check_version(cw, actor, case, version)
            try:
                return apply_action(cw, session, actor, case, action, body, now=now)
            except StaleVersion:
                session.refresh(case)
                _check_version(cw, actor, case, version)
                raise
    with DriverTransaction(cw.engine) as tx:
        case = tx.case_by_number(number)
        if case is None:
            raise NotFound("no such case")
        check_visible(cw.workflow, actor, case)
        _check_version(cw, actor, case, version)
        try:
            append_row(tx, case, planned_event(cw, actor, case, action, body, now=now))
        except StaleVersion:
            # Another process changed the row between our read and our UPDATE (PostgreSQL's
            # row lock made us wait for it): answer with the version it left, not ours.
            _check_version(cw, actor, tx.case_by_number(number), version)
            raise
    return case


def _check_version(cw: Casework, actor: Actor, case: Case | CaseRow, version: int) -> None:
    if version != case.version:
        raise StaleVersion(
            "the case was changed by someone else; reload it",
            version=case.version, allowed_actions=allowed_actions(cw.workflow, actor, case))


def apply_action(cw, session, actor: Actor, case: Case, action: str, body: dict, *,
                 now: datetime) -> Case:
    """Check and record ``action`` on a loaded, visible case (also used by the scheduler)."""
    if action == "measure":
        earlier = measure_events(session, case.id)
        event = append(session, case, Event(**planned_event(
            cw, actor, case, action, body, now=now, measures=earlier)))
        write_rows(session, case.id, [*earlier, event], {event.data["measure_id"]})
        return case
    event = append(session, case, Event(**planned_event(cw, actor, case, action, body, now=now)))
    notify_event(cw, session, case, event, now=now)  # escalate, assign: in this transaction
    return case


def planned_event(cw, actor: Actor, case: Case | CaseRow, action: str, body: dict, *,
                  now: datetime, measures: list | None = None) -> dict:
    """The checks of ``action`` on a visible case in their fixed order, then the column values
    of the event it makes (``events.event_values``); nothing is written."""
    workflow = cw.workflow
    lookups = _lookups(workflow)
    if action not in lookups.allowed(case.level, case.status):
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
    fields = _fields(lookups, spec.needs, body)
    if action in ("assess", "measure"):
        if action == "assess":
            data = assessment(cw, case, body.get("answers"))
            due_at, warn_at = assessed_deadline(cw, case, data)
        else:
            data = planned_measure(case, body, measures or [], now=now,
                                   allowed=allowed_actions(workflow, actor, case))
            due_at, warn_at = case.due_at, case.warn_at
        return event_values(case, action=action, actor=actor, at=now, to_level=case.level,
                            to_status=case.status, due_at=due_at, warn_at=warn_at,
                            note=fields.get("note", ""), data=data)
    to_level, to_status = lookups.next_state(case.level, case.status, action,
                                             fields.get("target_level"), case.version)
    due_at, warn_at = _deadline(cw, case, action, to_level, fields, now)
    met = None
    if action in ("resolve", "refer"):
        met = case.due_at is None or now <= case.due_at
    note = fields.pop("note", "")
    return event_values(
        case, action=action, actor=actor, at=now, to_level=to_level, to_status=to_status,
        due_at=due_at, warn_at=warn_at, note=note, data=fields, deadline_met=met)


def _deadline(cw, case: Case | CaseRow, action: str, to_level: str, fields: dict,
              now: datetime) -> tuple[datetime | None, datetime | None]:
    """The event's (due_at, warn_at): a new level's deadline, or the one in force, moved by an
    extension or by the time a case waited."""
    deadline = None
    if to_level != case.level or action == "reopen":
        deadline = level_deadline(cw.workflow, cw.calendar, level=to_level,
                                  urgency=case.urgency, entered_at=now)
    elif case.due_at is None:
        return None, None
    elif action == "extend":
        deadline = extend_deadline(cw.calendar, current_deadline(case),
                                   working_days=fields["days"])
    elif action == "resume" and case.waiting_since:
        deadline = shift_deadline(current_deadline(case), now - case.waiting_since)
    if deadline is None:
        return case.due_at, case.warn_at or case.due_at  # current_deadline's, without building it
    return deadline.due_at, deadline.warn_at


class _Lookups:
    """The workflow's answers the action path asks for again and again, remembered: a loaded
    workflow never changes, and the answers depend on nothing else (refusals are not kept)."""

    def __init__(self, workflow: Workflow) -> None:
        self.workflow = workflow
        choices = workflow.choices
        self.choices = {"outcome": choices["outcome"], "agency": choices["agency"],
                        "satisfaction": choices["satisfaction"],
                        "target_level": workflow.actions["assign"].target_levels
                        if "assign" in workflow.actions else ()}
        self._allowed: dict[tuple[str, str], frozenset[str]] = {}
        self._next: dict[tuple[str, str, str, str | None], tuple[str, str]] = {}

    def allowed(self, level: str, status: str) -> frozenset[str]:
        found = self._allowed.get((level, status))
        if found is None:
            found = self._allowed[level, status] = frozenset(
                self.workflow.allowed_actions(level, status))
        return found

    def next_state(self, level: str, status: str, action: str, target_level: str | None,
                   version: int) -> tuple[str, str]:
        key = (level, status, action, target_level)
        found = self._next.get(key)
        if found is None:
            found = self._next[key] = self.workflow.next_state(
                level, status, action, version=version, target_level=target_level)
        return found


def _lookups(workflow: Workflow) -> _Lookups:
    found = workflow.__dict__.get("_casework_lookups")
    if found is None:
        found = workflow.__dict__["_casework_lookups"] = _Lookups(workflow)
    return found


def _fields(lookups: _Lookups, needs: tuple[str, ...], body: dict) -> dict:
    """The action's fields from ``body``: every needed one present and valid; a note kept.

    A field the action does not read (``days`` on a note, ``answers`` on an escalation) is
    ignored whatever it holds, as the OpenAPI document says: one form or client may send the
    same body shape for every action."""
    allowed = lookups.choices
    fields: dict = {}
    errors: dict[str, str] = {}
    for name in FIELDS:
        if name not in needs and name != "note":
            continue
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
            if name in needs:  # an optional note of spaces is no note
                errors[name] = "required for this action"
        else:
            fields[name] = value.strip()
    if errors:
        raise Invalid(errors, allowed={name: list(allowed[name]) for name in errors
                                       if name in allowed})
    return fields
