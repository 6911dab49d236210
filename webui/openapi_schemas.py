"""The components of the OpenAPI document: bodies the API reads and writes.

Written by hand from DESIGN.md and the services; the workflow's own names (levels, statuses,
actions, choices) come from the loaded workflows.yaml so the document follows an edit of it."""

from __future__ import annotations

from casework.vocabulary import AGE_GROUPS, CATEGORIES, CHANNELS, GENDERS, URGENCIES
from casework.workflow import Workflow

STR = {"type": "string"}
INT = {"type": "integer"}
BOOL = {"type": "boolean"}
TIME = {"type": "string", "format": "date-time"}
NULL_TIME = {**TIME, "nullable": True}
RATE = {"type": "number", "minimum": 0, "maximum": 1, "nullable": True}
NO_CONTROL = "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f]*$"
SECONDS = {"type": "number", "minimum": 0}
NULL_SECONDS = {**SECONDS, "nullable": True}
COUNT = {"type": "integer", "minimum": 0}
# /healthz (webui/health.py): lag_seconds is the time since the last scan beyond one interval;
# "late" (and a 503) once it exceeds max_lag_seconds.
SCHEDULER_HEALTH = {
    "type": "object", "additionalProperties": False,
    "properties": {"last_scan_at": NULL_TIME, "last_scan_seconds": NULL_SECONDS,
                   "seconds_since_last_scan": NULL_SECONDS, "interval_seconds": COUNT,
                   "lag_seconds": NULL_SECONDS, "max_lag_seconds": SECONDS, "late": BOOL},
    "required": ["last_scan_at", "seconds_since_last_scan", "interval_seconds", "lag_seconds",
                 "max_lag_seconds", "late"]}
OUTBOX_HEALTH = {
    "type": "object", "additionalProperties": False,
    "properties": {"pending": COUNT, "retrying": COUNT, "oldest_pending_at": NULL_TIME,
                   "oldest_pending_seconds": NULL_SECONDS, "failed": COUNT},
    "required": ["pending", "oldest_pending_seconds", "failed"]}


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(properties: dict, required=(), extra: bool = True) -> dict:
    schema = {"type": "object", "properties": properties, "additionalProperties": extra}
    if required:
        schema["required"] = list(required)
    return schema


def optional(values, extra: dict | None = None) -> dict:
    """A field an action may leave out, send empty or null."""
    return {"type": "string", "enum": [*values, "", None], "nullable": True, **(extra or {})}


def schemas(wf: Workflow) -> dict:
    levels = [level.id for level in wf.levels]
    text = {"type": "string", "maxLength": 5000, "pattern": NO_CONTROL, "nullable": True}
    assign = wf.actions.get("assign")
    case = obj({
        "number": {"type": "string", "example": "450330-2026-000001"},
        "channel": {"type": "string", "enum": list(CHANNELS)},
        "category": {"type": "string", "enum": list(CATEGORIES)},
        "urgency": {"type": "string", "enum": list(URGENCIES)},
        "summary": STR,
        "petitioner": obj({"name": STR, "phone": {**STR, "example": "138****5678"},
                           "id_number": {**STR, "example": "450330********1234"},
                           "gender": STR, "age_group": STR},
                          ["name", "phone", "id_number", "gender", "age_group"]),
        "village_code": STR, "level": {"type": "string", "enum": levels},
        "status": {"type": "string", "enum": list(wf.statuses)},
        "received_at": TIME, "entered_level_at": TIME, "due_at": NULL_TIME,
        "warn_at": NULL_TIME, "overdue": BOOL, "warning": BOOL, "version": INT,
    }, ["number", "channel", "category", "urgency", "summary", "petitioner", "village_code",
        "level", "status", "received_at", "entered_level_at", "due_at", "warn_at", "overdue",
        "warning", "version"])
    event = obj({
        "seq": INT, "action": STR, "from_level": {**STR, "nullable": True},
        "from_status": {**STR, "nullable": True}, "to_level": STR, "to_status": STR,
        "actor": STR, "at": TIME, "note": STR, "data": {"type": "object"}, "due_at": NULL_TIME,
    }, ["seq", "action", "to_level", "to_status", "actor", "at"])
    level_figures = obj({name: INT for name in (
        "entered", "resolved", "referred", "escalated", "returned", "open_end", "overdue_end")}
        | {"resolution_rate": RATE})
    return {
        "Error": obj({"error": STR, "message": STR}, ["error", "message"]),
        "InvalidError": obj({"error": {"type": "string", "enum": ["invalid"]}, "message": STR,
                             "fields": {"type": "object", "additionalProperties": STR}},
                            ["error", "message", "fields"]),
        "ConflictError": obj({
            "error": {"type": "string", "enum": ["illegal_transition", "stale_version"]},
            "message": STR, "allowed_actions": {"type": "array", "items": STR},
            "version": INT}, ["error", "message", "allowed_actions", "version"]),
        "LedgerPreview": obj({
            "rows": INT, "new": INT, "duplicates": INT, "problem_count": INT,
            "problems": {"type": "array", "items": obj({
                "line": {**INT, "nullable": True}, "column": {**STR, "nullable": True},
                "value": {**STR, "nullable": True}, "message": STR}, ["line", "message"])}},
            ["rows", "new", "duplicates", "problems"]),
        "LedgerProblems": {"allOf": [ref("LedgerPreview"), ref("InvalidError")]},
        "LedgerImported": obj({"imported": INT, "duplicates": INT}, ["imported", "duplicates"]),
        "Case": case,
        "Event": event,
        "CaseDetail": {"allOf": [ref("Case"), obj({
            "events": {"type": "array", "items": ref("Event")},
            "allowed_actions": {"type": "array", "items": STR}},
            ["events", "allowed_actions"])]},
        "CaseList": obj({"items": {"type": "array", "items": ref("Case")},
                         "total": INT, "page": INT, "per_page": INT},
                        ["items", "total", "page", "per_page"]),
        "CallerCases": obj({"items": {"type": "array", "items": ref("Case")}}, ["items"]),
        "CaseCreate": obj({
            "channel": {"type": "string", "enum": list(CHANNELS)},
            "village_code": {"type": "string", "pattern": "^[0-9]{12}$"},
            "category": {"type": "string", "enum": list(CATEGORIES)},
            "urgency": {"type": "string", "enum": list(URGENCIES), "default": "normal"},
            "summary": {"type": "string", "minLength": 1, "maxLength": 5000,
                        "pattern": NO_CONTROL},
            "petitioner": obj({
                "name": {"type": "string", "maxLength": 100, "pattern": NO_CONTROL},
                "phone": {"type": "string", "maxLength": 32, "example": "13812345678"},
                "id_number": {"type": "string", "maxLength": 18,
                              "description": "resident ID number, 18 characters with its check "
                                             "digit (or the 15 digits of an old card)"},
                "gender": {"type": "string", "enum": ["", *GENDERS]},
                "age_group": {"type": "string", "enum": ["", *AGE_GROUPS]},
            }, extra=False),
            "received_at": {**NULL_TIME, "description": "past, at most 365 days back"},
            "start_level": {"type": "string", "enum": [*levels, None], "nullable": True},
            "resolve_now": {**obj({
                "outcome": {"type": "string", "enum": list(wf.choices["outcome"])},
                "note": {"type": "string", "minLength": 1, "maxLength": 5000,
                         "pattern": NO_CONTROL},
            }, ["outcome", "note"], extra=False), "nullable": True},
        }, ["channel", "village_code", "category", "summary"], extra=False),
        "ActionRequest": obj({
            "action": {"type": "string", "enum": list(wf.actions)},
            "version": {**INT, "description": "the version of the case you are looking at"},
            "note": text, "reason": text,
            "outcome": optional(wf.choices["outcome"]),
            "agency": optional(wf.choices["agency"]),
            "satisfaction": optional(wf.choices["satisfaction"]),
            "target_level": optional(assign.target_levels if assign else ()),
            # Forms send numbers as text: "5" is read as 5.
            "days": {"anyOf": [{"type": "integer", "minimum": 1, "maximum": 30, "nullable": True},
                               {"type": "string", "pattern": "^[0-9]{0,2}$"}]},
        }, ["action", "version"], extra=False),
        "Phone": obj({"phone": STR, "id_number": {**STR, "description": "empty when not given"}},
                     ["phone", "id_number"]),
        "VillageList": obj({"items": {"type": "array", "items": obj(
            {"code": {"type": "string", "pattern": "^[0-9]{12}$"}, "name": STR,
             "township": {**STR, "nullable": True}}, ["code", "name", "township"])}},
            ["items"]),
        "Report": obj({
            "month": STR, "area": {}, "received": INT, "concluded": INT,
            "handling_rate": RATE, "on_time_rate": RATE, "satisfaction_rate": RATE,
            "levels": {"type": "object", "additionalProperties": level_figures},
            "by_area": {"type": "object"}, "by_category": {"type": "object"},
            "trend": {"type": "array", "items": {"type": "object"}},
        }, ["month", "received", "concluded", "handling_rate", "levels"]),
        "Workflow": obj({"name": STR, "levels": {"type": "array", "items": {"type": "object"}},
                         "statuses": {"type": "array", "items": {"type": "object"}},
                         "actions": {"type": "array", "items": {"type": "object"}},
                         "mermaid": STR}, ["name", "levels", "statuses", "actions"]),
        "Health": obj({"status": {"type": "string",
                                  "enum": ["ok", "unavailable", "scheduler_late"]},
                       "database": BOOL, "scheduler_last_scan": NULL_TIME,
                       "scheduler": {**SCHEDULER_HEALTH, "nullable": True},
                       "outbox": {**OUTBOX_HEALTH, "nullable": True}},
                      ["status", "database", "scheduler_last_scan", "scheduler", "outbox"]),
    }
