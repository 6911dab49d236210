"""The protective measures of the Anti-Domestic Violence Law (2016) as rules and as a fold over
a case's events (DESIGN.md, "Protective measures"); no database here.

Each measure moves through stages; its first stage starts it (its ``measure_id`` is that event's
seq), every later one names it.  The fold gives each measure as its events leave it, with its
history: the case page and the API show it, and the ``protection_measures`` rows the scheduler
reads are the same fold (casework/lifecycle/measures.py), so both always agree with the events.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from casework.errors import IllegalTransition, Invalid
from casework.scheduling.deadlines import SHANGHAI


@dataclass(frozen=True)
class Stage:
    after: tuple[str, ...]  # the stages it may follow; () for a first stage
    fields: tuple[str, ...]


# Art. 16 warning letter (告诫书); Arts. 23-32 personal-safety protection order (人身安全保护令);
# Art. 18 temporary shelter (临时庇护场所); Art. 14 mandatory report (强制报告).
MEASURES: dict[str, dict[str, Stage]] = {
    "warning_letter": {"issued": Stage((), ("on", "authority"))},
    "protection_order": {
        "applied": Stage((), ("on", "court")),
        "granted": Stage(("applied",), ("on", "valid_until")),
        "rejected": Stage(("applied",), ("on",)),
        "extended": Stage(("granted", "extended"), ("valid_until",)),
    },
    "shelter": {"placed": Stage((), ("on", "place")), "left": Stage(("placed",), ("on",))},
    "mandatory_report": {"reported": Stage((), ("on", "authority"))},
}
STAGE_FIELDS = ("on", "authority", "court", "valid_until", "place")
TEXT_FIELDS = ("authority", "court", "place")
BODY_FIELDS = ("measure", "stage", "measure_id", *STAGE_FIELDS)
MEASURE_ACTIONS = ("measure", "measure_overdue", "order_expiring")
# Art. 28: the court decides within 72 hours of the application, 24 in an emergency.
DECIDE_HOURS = {"emergency": 24}
DECIDE_HOURS_DEFAULT = 72
MAX_VALIDITY_MONTHS = 6  # Art. 30: an order is valid for at most six months
EXPIRY_NOTICE = timedelta(days=7)
TEXT_LIMIT = 200
DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class StageOutOfOrder(IllegalTransition):
    """A stage that cannot follow the measure's current one: a 409 that names ``stage``."""

    def details(self) -> dict:
        return {**super().details(), "fields": {"stage": self.message}}


def add_months(day: date, months: int) -> date:
    """``day`` moved ``months`` calendar months on (the 31st to a short month's last day)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    following = date(year + month // 12, month % 12 + 1, 1)
    return date(year, month, min(day.day, (following - timedelta(days=1)).day))


def day_end(day: date) -> datetime:
    """24:00 (Asia/Shanghai) of ``day``, in UTC: when an order valid until that day ends."""
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=SHANGHAI).astimezone(UTC)


def parse_day(value: object) -> date | None:
    if not isinstance(value, str) or not DAY.fullmatch(value.strip()):
        return None
    try:
        found = date.fromisoformat(value.strip())
    except ValueError:
        return None
    return found if 2000 <= found.year <= 2100 else None


def check(measures: dict[int, dict], body: dict, *, today: date, version: int,
          allowed: list[str]) -> tuple[str, str, int | None, dict]:
    """``(measure, stage, measure_id, fields)`` of a measure action's ``body`` against the
    case's current ``measures`` (the fold); Invalid (422) or StageOutOfOrder (409)."""
    kind, stage = body.get("measure"), body.get("stage")
    if not isinstance(kind, str) or kind not in MEASURES:
        raise Invalid({"measure": "must be one of: " + ", ".join(MEASURES)})
    stages = MEASURES[kind]
    if not isinstance(stage, str) or stage not in stages:
        raise Invalid({"stage": f"a {kind} has the stages: " + ", ".join(stages)})
    spec = stages[stage]
    raw_id = body.get("measure_id")
    if raw_id in (None, ""):
        if spec.after:
            raise StageOutOfOrder(
                f"'{stage}' comes after {' or '.join(spec.after)}: give the measure_id of "
                f"the {kind} it follows", allowed_actions=allowed, version=version)
        measure_id, current = None, None
    else:
        measure_id = _measure_id(raw_id)
        if not spec.after:
            raise Invalid({"measure_id": f"'{stage}' starts a new {kind}: no measure_id"})
        current = measures.get(measure_id)
        if current is None:
            raise Invalid({"measure_id": "no such measure on this case"})
        if current["measure"] != kind:
            raise Invalid({"measure": f"measure {measure_id} is a {current['measure']}"})
        if current["stage"] not in spec.after:
            raise StageOutOfOrder(
                f"'{stage}' cannot follow '{current['stage']}' of {kind} {measure_id}",
                allowed_actions=allowed, version=version)
    return kind, stage, measure_id, _fields(spec, body, current, today)


def _measure_id(value: object) -> int:
    if isinstance(value, str) and re.fullmatch(r"[0-9]{1,9}", value.strip()):
        value = int(value.strip())  # int() itself refuses some spaces strip() takes ("\x1e")
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise Invalid({"measure_id": "the id of a measure of this case (a whole number)"})
    return value


def _fields(spec: Stage, body: dict, current: dict | None, today: date) -> dict:
    errors: dict[str, str] = {}
    fields: dict[str, str] = {}
    for name in STAGE_FIELDS:
        value = body.get(name)
        if name not in spec.fields:
            if value not in (None, ""):
                errors[name] = "not a field of this stage"
            continue
        if value in (None, "") or (isinstance(value, str) and not value.strip()):
            errors[name] = "required for this stage"
        elif name in TEXT_FIELDS:
            if not isinstance(value, str) or CONTROL.search(value) or len(value) > TEXT_LIMIT:
                errors[name] = "text of at most 200 characters"  # TEXT_LIMIT
            else:
                fields[name] = value.strip()
        elif (day := parse_day(value)) is None:
            errors[name] = "a date YYYY-MM-DD"
        else:
            fields[name] = day.isoformat()
    if errors:
        raise Invalid(errors)
    on = date.fromisoformat(fields["on"]) if "on" in fields else None
    if on is not None and on > today:
        errors["on"] = "cannot be in the future"
    if on is not None and current is not None and on < date.fromisoformat(current["on"]):
        errors["on"] = f"cannot be before the {current['stage']} date {current['on']}"
    if "valid_until" in fields:
        until = date.fromisoformat(fields["valid_until"])
        start = on if on is not None else date.fromisoformat(current["valid_until"])
        if until <= start:
            errors["valid_until"] = f"must be after {start.isoformat()}"
        elif until > add_months(start, MAX_VALIDITY_MONTHS):
            errors["valid_until"] = (f"at most {MAX_VALIDITY_MONTHS} months after "
                                     f"{start.isoformat()} (Anti-Domestic Violence Law, art. 30)")
    if errors:
        raise Invalid(errors)
    return fields


def decide_by(applied_on: date, at: datetime, urgency: str) -> datetime:
    """When the court's decision on an application is due: 72 hours (24 in an emergency) from
    the application.  An application recorded on its own day runs from the moment it was
    recorded; one dated earlier from the start of that day, since its hour is not known and a
    warning too early is better than one too late."""
    hours = DECIDE_HOURS.get(urgency, DECIDE_HOURS_DEFAULT)
    local = at.astimezone(SHANGHAI)
    start = at if local.date() == applied_on else datetime.combine(
        applied_on, time(), tzinfo=SHANGHAI)
    return (start + timedelta(hours=hours)).astimezone(UTC)


def _get(event, name: str):
    return event[name] if isinstance(event, dict) else getattr(event, name)


def fold(events) -> dict[int, dict]:
    """The case's measures after ``events`` (any of its events, in any order), by id."""
    measures: dict[int, dict] = {}
    for event in sorted(events, key=lambda e: _get(e, "seq")):
        action = _get(event, "action")
        if action not in MEASURE_ACTIONS:
            continue
        data, seq = _get(event, "data") or {}, _get(event, "seq")
        at = _get(event, "at")
        entry = {"seq": seq, "action": action, "at": at, "actor": _get(event, "actor")}
        if action == "measure":
            measure_id = data["measure_id"]
            found = measures.setdefault(measure_id, {
                "id": measure_id, "measure": data["measure"], "decide_by": None,
                "ends_at": None, "expiring_at": None, "overdue_recorded": False,
                "expiring_recorded": False, "history": []})
            stage = data["stage"]
            given = {name: data[name] for name in STAGE_FIELDS if name in data}
            found.update(given, stage=stage)
            entry.update(given, stage=stage)
            if stage == "applied":
                found["decide_by"] = datetime.fromisoformat(data["decide_by"])
            elif stage in ("granted", "rejected"):
                found["decide_by"] = None
            if stage in ("granted", "extended"):
                found["ends_at"] = day_end(date.fromisoformat(data["valid_until"]))
                found["expiring_at"] = found["ends_at"] - EXPIRY_NOTICE
                found["expiring_recorded"] = False  # a new end is told about anew
        else:
            found = measures[data["measure_id"]]
            found["overdue_recorded" if action == "measure_overdue" else
                  "expiring_recorded"] = True
        found["last_seq"] = seq
        found["history"].append(entry)
    return measures


def row_of(case_id: int, measure: dict) -> dict:
    """The ``protection_measures`` row of a folded measure."""
    return {"case_id": case_id, "measure_id": measure["id"], "measure": measure["measure"],
            "stage": measure["stage"], "decide_by": measure["decide_by"],
            "expiring_at": measure["expiring_at"], "ends_at": measure["ends_at"],
            "overdue_recorded": measure["overdue_recorded"],
            "expiring_recorded": measure["expiring_recorded"], "last_seq": measure["last_seq"]}
