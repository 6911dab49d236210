"""The components of the OpenAPI document: bodies the API reads and writes.

Written by hand from DESIGN.md and the services; the workflow's own names (levels, statuses,
actions, choices) come from the loaded workflows.yaml so the document follows an edit of it."""

from __future__ import annotations

from casework.evidence.kinds import KINDS, MAX_BYTES
from casework.lifecycle.measure_rules import MEASURES, STAGE_FIELDS
from casework.people.account_log import KINDS as ACCOUNT_EVENT_KINDS
from casework.reporting.protection import FIGURES as PROTECTION
from casework.vocabulary import AGE_GROUPS, CATEGORIES, CHANNELS, GENDERS, URGENCIES
from casework.workflow import Workflow
from webui.openapi_actions import action_schemas

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
# The counts the rates of conclusions are shares of (handling_rate's are received and
# concluded): on_time_rate = on_time / conclusions, satisfaction_rate = satisfied / closes.
RATE_PARTS = {
    "conclusions": {**COUNT, "description": "every case concluded in the month or period, "
                                            "whenever it came in"},
    "on_time": {**COUNT, "description": "of conclusions, those within the level's deadline"},
    "closes": {**COUNT, "description": "cases closed after the follow-up call"},
    "satisfied": {**COUNT, "description": "of closes, those satisfied or basically satisfied"},
}
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


def enums(wf: Workflow) -> dict:
    """The vocabularies as named enums, the same values GET /api/v1/workflow lists with their
    names under ``vocabularies``."""
    assign = wf.actions.get("assign")

    def enum(values, description: str) -> dict:
        return {"type": "string", "enum": list(values), "description": description}

    return {
        "Channel": enum(CHANNELS, "How the petition came in"),
        "Category": enum(CATEGORIES, "What the petition is about"),
        "Urgency": enum(URGENCIES, "emergency: violence now, acted on within hours"),
        "Gender": enum(GENDERS, "The petitioner's gender; a request may also send it empty"),
        "AgeGroup": enum(AGE_GROUPS, "The petitioner's age group; a request may also send it "
                                     "empty"),
        "Outcome": enum(wf.choices["outcome"], "How a resolved case was settled (resolve)"),
        "Agency": enum(wf.choices["agency"], "Where a case was referred to (refer)"),
        "Satisfaction": enum(wf.choices["satisfaction"], "The follow-up call's answer (close)"),
        "Level": enum([level.id for level in wf.levels], "A level of the chain, lowest first"),
        "TargetLevel": enum(assign.target_levels if assign else (),
                            "A level the county may assign a case to (assign)"),
        "Status": enum(list(wf.statuses), "A case's status at its level"),
        "Action": enum(list(wf.actions), "An action a user may take on a case"),
        "Role": enum(list(wf.roles), "A user's role"),
    }


def vocabulary_list(name: str) -> dict:
    item = obj({"id": ref(name), "name": obj({"zh": STR, "en": STR}, ["zh", "en"])},
               ["id", "name"])
    return {"type": "array", "items": item}


VOCABULARIES = {"channel": "Channel", "category": "Category", "urgency": "Urgency",
                "gender": "Gender", "age_group": "AgeGroup", "outcome": "Outcome",
                "agency": "Agency", "satisfaction": "Satisfaction", "level": "Level",
                "target_level": "TargetLevel", "status": "Status", "action": "Action",
                "role": "Role"}


def schemas(wf: Workflow) -> dict:
    return {**enums(wf), **_bodies(wf), **action_schemas(wf)}


def _bodies(wf: Workflow) -> dict:
    levels = [level.id for level in wf.levels]
    case = obj({
        "number": {"type": "string", "example": "450330-2026-000001"},
        "channel": ref("Channel"),
        "category": ref("Category"),
        "urgency": ref("Urgency"),
        "summary": STR,
        "petitioner": obj({"name": STR, "phone": {**STR, "example": "138****5678"},
                           "id_number": {**STR, "example": "450330********1234"},
                           "gender": {"type": "string", "enum": ["", *GENDERS]},
                           "age_group": {"type": "string", "enum": ["", *AGE_GROUPS]}},
                          ["name", "phone", "id_number", "gender", "age_group"]),
        "village_code": STR, "level": ref("Level"),
        "status": ref("Status"),
        "received_at": TIME, "entered_level_at": TIME, "due_at": NULL_TIME,
        "warn_at": NULL_TIME, "overdue": BOOL, "warning": BOOL, "version": INT,
        "risk_level": {"type": "string", "enum": ["low", "medium", "high", None],
                       "nullable": True,
                       "description": "the latest danger assessment; null: never assessed"},
        "risk_assessed_at": NULL_TIME,
    }, ["number", "channel", "category", "urgency", "summary", "petitioner", "village_code",
        "level", "status", "received_at", "entered_level_at", "due_at", "warn_at", "overdue",
        "warning", "version"])
    event = obj({
        "seq": INT, "action": STR, "from_level": {**STR, "nullable": True},
        "from_status": {**STR, "nullable": True}, "to_level": STR, "to_status": STR,
        "actor": STR, "at": TIME, "note": STR, "data": {"type": "object"}, "due_at": NULL_TIME,
    }, ["seq", "action", "to_level", "to_status", "actor", "at"])
    questions = [q.id for q in wf.risk.questions] if wf.risk else []
    answers = obj({qid: BOOL for qid in questions}, questions, extra=False)
    day = {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$", "example": "2026-09-29"}
    measure = obj({
        "id": {**INT, "description": "the seq of the event that started it"},
        "measure": {"type": "string", "enum": list(MEASURES)}, "stage": STR,
        **{name: day if name in ("on", "valid_until") else STR for name in STAGE_FIELDS},
        "decide_by": NULL_TIME, "ends_at": NULL_TIME, "expiring_at": NULL_TIME,
        "overdue_recorded": BOOL, "expiring_recorded": BOOL, "last_seq": INT,
        "history": {"type": "array", "items": {"type": "object"}},
    }, ["id", "measure", "stage", "history"])
    level_figures = obj({name: INT for name in (
        "entered", "resolved", "referred", "escalated", "returned", "open_end", "overdue_end")}
        | {"resolution_rate": RATE})
    return {
        "Error": obj({"error": STR, "message": STR}, ["error", "message"]),
        "InvalidError": obj({"error": {"type": "string", "enum": ["invalid", "too_large"]},
                             "message": STR,
                             "fields": {"type": "object", "additionalProperties": STR},
                             "allowed": {"type": "object", "description": (
                                 "for a field with a fixed vocabulary, the values it takes "
                                 "(an empty string: it may be left empty)"),
                                 "additionalProperties": {"type": "array", "items": STR}}},
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
            "allowed_actions": {"type": "array", "items": STR},
            "measures": {"type": "array", "items": ref("Measure")}},
            ["events", "allowed_actions", "measures"])]},
        "Measure": measure,
        "CaseList": obj({"items": {"type": "array", "items": ref("Case")},
                         "total": INT, "page": INT, "per_page": INT},
                        ["items", "total", "page", "per_page"]),
        "CallerCases": obj({"items": {"type": "array", "items": ref("Case")}}, ["items"]),
        "CaseCreate": obj({
            "channel": ref("Channel"),
            "village_code": {"type": "string", "pattern": "^[0-9]{12}$"},
            "category": ref("Category"),
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
            "risk_answers": {**answers, "nullable": True,
                             "description": "a danger assessment made during the call"},
        }, ["channel", "village_code", "category", "summary"], extra=False),
        "Attachment": obj({
            "id": INT, "filename": STR,
            "content_type": {"type": "string", "enum": list(KINDS)},
            "size": {"type": "integer", "minimum": 1, "maximum": MAX_BYTES},
            "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
            "uploaded_at": TIME, "uploaded_by": STR, "note": STR,
            "thumbnail": {**BOOL, "description": "a photo: GET .../ID/thumbnail gives it"},
        }, ["id", "filename", "content_type", "size", "sha256", "uploaded_at", "uploaded_by"]),
        "AttachmentList": obj({"items": {"type": "array", "items": ref("Attachment")}},
                              ["items"]),
        "AttachmentUpload": obj({
            "file": {"type": "string", "format": "binary",
                     "description": "a photo (JPEG, PNG, HEIC, WebP), PDF, DOCX, XLSX or voice "
                                    "recording (MP3, M4A, AMR, WAV, OGG), told by content; at "
                                    "most 20 MB"},
            "note": {"type": "string", "maxLength": 1000, "pattern": NO_CONTROL}}, ["file"]),
        "Phone": obj({"phone": STR, "id_number": {**STR, "description": "empty when not given"}},
                     ["phone", "id_number"]),
        "VillageList": obj({"items": {"type": "array", "items": obj(
            {"code": {"type": "string", "pattern": "^[0-9]{12}$"}, "name": STR,
             "township": {**STR, "nullable": True}}, ["code", "name", "township"])}},
            ["items"]),
        "Report": obj({
            "month": STR, "area": {}, "received": INT, "concluded": INT,
            "handling_rate": RATE, "on_time_rate": RATE, "satisfaction_rate": RATE,
            **RATE_PARTS,
            "levels": {"type": "object", "additionalProperties": level_figures},
            "by_area": {"type": "object"}, "by_category": {"type": "object"},
            "trend": {"type": "array", "items": {"type": "object"}},
            "protection": obj({name: COUNT for name in PROTECTION}, PROTECTION),
            "protection_by_area": {"type": "object", "additionalProperties": obj(
                {name: COUNT for name in PROTECTION}, PROTECTION)},
        }, ["month", "received", "concluded", "handling_rate", "levels"]),
        "PeriodReport": obj({
            "from": STR, "to": STR, "months": INT, "area": {}, "received": INT,
            "concluded": INT, "handling_rate": RATE, "on_time_rate": RATE,
            "satisfaction_rate": RATE, **RATE_PARTS,
            "levels": {"type": "object", "additionalProperties": level_figures},
            "by_area": {"type": "object"}, "by_category": {"type": "object"},
            "by_month": {"type": "array", "items": {"type": "object"}},
        }, ["from", "to", "months", "received", "concluded", "handling_rate", "levels",
            "by_month"]),
        "Workflow": obj({"name": STR, "levels": {"type": "array", "items": {"type": "object"}},
                         "statuses": {"type": "array", "items": {"type": "object"}},
                         "actions": {"type": "array", "items": {"type": "object"}},
                         "choices": {"type": "object"},
                         "reports": obj({"closing_day": {"type": "integer", "minimum": 1,
                                                         "maximum": 28}}, ["closing_day"]),
                         "vocabularies": obj({kind: vocabulary_list(name)
                                              for kind, name in VOCABULARIES.items()},
                                             list(VOCABULARIES)),
                         "mermaid": STR},
                        ["name", "levels", "statuses", "actions", "vocabularies"]),
        "Health": obj({"status": {"type": "string",
                                  "enum": ["ok", "unavailable", "scheduler_late"]},
                       "database": BOOL, "scheduler_last_scan": NULL_TIME,
                       "scheduler": {**SCHEDULER_HEALTH, "nullable": True},
                       "outbox": {**OUTBOX_HEALTH, "nullable": True}},
                      ["status"]),
        "AccountEvents": obj({
            "items": {"type": "array", "items": obj({
                "at": {"type": "string", "format": "date-time"},
                "kind": {"type": "string", "enum": list(ACCOUNT_EVENT_KINDS)},
                "user": {**STR, "nullable": True,
                         "description": "null for a failed login under an unknown name"},
                "actor": STR, "address": STR, "detail": {"type": "object"}},
                ["at", "kind", "user", "actor", "address"])},
            "total": INT, "page": INT, "per_page": INT}, ["items", "total", "page", "per_page"]),
    }
