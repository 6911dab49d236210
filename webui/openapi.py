"""The OpenAPI 3.0 description of the JSON API (served at /api/v1/openapi.json and
/openapi.json).  Hand-written: when a route or a body changes, change this beside it."""

from __future__ import annotations

from flask import current_app

from casework.evidence.kinds import KINDS
from casework.vocabulary import CATEGORIES
from casework.workflow import Workflow
from webui.openapi_schemas import ref, schemas

JSON = "application/json"
ERRORS = {
    400: ("Malformed: a body that is not JSON, a NUL character in the address, or a missing "
          "CSRF token on a browser-session request", "Error"),
    401: ("Not logged in: send Authorization: Bearer TOKEN", "Error"),
    403: ("This role may not do this", "Error"),
    404: ("No such case or area, or outside the user's area (the two look the same)", "Error"),
    409: ("illegal_transition or stale_version, with allowed_actions and the current version",
          "ConflictError"),
    413: ("Too large: an attachment over 20 MB; fields names the file", "InvalidError"),
    422: ("Invalid input; fields names each bad field", "InvalidError"),
}
FLAG = r"^\s*(|[Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee]|1|0)\s*$"
DAY = {"type": "string",
       "pattern": r"^\s*((20[0-9]{2})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01]))?\s*$"}
MONTH = r"^(20[0-9]{2}|2100)-(0[1-9]|1[0-2])$"  # the reports' range; not after this month
PHONE = r"^\+?[0-9][0-9 \-]{4,22}[0-9]$"  # as casework.lifecycle.schemas.PHONE


def ok(schema: str, description: str = "OK") -> dict:
    return {"description": description, "content": {JSON: {"schema": ref(schema)}}}


def linked(answer: dict, *targets: str) -> dict:
    """``answer`` with OpenAPI links from the case it returns to operations on that case, so
    that clients (and schemathesis' stateful tests) can follow intake -> read -> act."""
    return {**answer, "links": {target: LINKS[target] for target in targets}}


CASE_NUMBER = {"number": "$response.body#/number"}
LINKS = {
    "getCase": {"operationId": "getCase", "parameters": CASE_NUMBER,
                "description": "Read the case this answer is about"},
    "actOnCase": {"operationId": "actOnCase", "parameters": CASE_NUMBER,
                  "requestBody": {"version": "$response.body#/version"},
                  "description": "Act on it, at the version this answer shows"},
    "noteOnCase": {"operationId": "actOnCase", "parameters": CASE_NUMBER,
                   "requestBody": {"action": "note", "version": "$response.body#/version",
                                   "note": "follow-up call"},
                   "description": "Add a note to it (the one action every role may take)"},
    "revealPhone": {"operationId": "revealPhone", "parameters": CASE_NUMBER,
                    "description": "Show the petitioner's full phone number (recorded)"},
}
CASE_LINKS = ("getCase", "actOnCase", "noteOnCase", "revealPhone")


def operation(summary: str, op_id: str, answers: dict, errors=(), *, body: str | None = None,
              params=(), security=None) -> dict:
    out = {"summary": summary, "operationId": op_id, "parameters": list(params),
           "responses": {str(code): answer for code, answer in answers.items()}}
    for code in errors:
        description, schema = ERRORS[code]
        out["responses"][str(code)] = {"description": description,
                                       "content": {JSON: {"schema": ref(schema)}}}
    if body:
        out["requestBody"] = {"required": True, "content": {JSON: {"schema": ref(body)}}}
    if security is not None:
        out["security"] = security
    return out


def query(name: str, schema: dict, description: str = "", required: bool = False) -> dict:
    return {"name": name, "in": "query", "required": required, "schema": schema,
            "description": description}


def path(name: str, description: str, pattern: str | None = None) -> dict:
    schema = {"type": "string", **({"pattern": pattern} if pattern else {})}
    return {"name": name, "in": "path", "required": True, "schema": schema,
            "description": description}


def _paths(wf: Workflow) -> dict:
    number = path("number", "The case number COUNTYCODE-YYYY-NNNNNN")
    attachment = {"name": "attachment_id", "in": "path", "required": True,
                  "schema": {"type": "integer", "minimum": 0, "maximum": 2**31 - 1},
                  "description": "its id"}
    empty_or = lambda values: {"type": "string", "enum": ["", *values]}  # noqa: E731
    filters = [
        query("level", empty_or([level.id for level in wf.levels])),
        query("status", empty_or(list(wf.statuses))),
        query("overdue", {"type": "string", "pattern": FLAG}, "true or false"),
        query("warning", {"type": "string", "pattern": FLAG}, "true or false"),
        query("area", {"type": "string", "pattern": r"^\s*([0-9]{1,12})?\s*$"},
              "cases whose village lies inside this area code"),
        query("category", empty_or(list(CATEGORIES))),
        query("risk", empty_or(["low", "medium", "high", "none"]),
              "the latest danger assessment's level; none: never assessed"),
        query("q", {"type": "string", "maxLength": 100}, "part of the number or summary"),
        query("received_from", DAY, "YYYY-MM-DD, Beijing time"),
        query("received_to", DAY, "YYYY-MM-DD, Beijing time, included"),
        query("page", {"type": "integer", "minimum": 1, "maximum": 1000000, "default": 1}),
        query("per_page", {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}),
    ]
    report_params = [
        query("month", {"type": "string", "pattern": MONTH}, "YYYY-MM", True),
        query("area", {"type": "string", "pattern": "^[0-9]{2,12}$"},
              "an area inside the user's own (default: the user's area)"),
        query("format", {"type": "string", "enum": ["json", "csv", "xlsx"], "default": "json"}),
    ]
    period_params = [
        query("from", {"type": "string", "pattern": MONTH}, "the first month, YYYY-MM", True),
        query("to", {"type": "string", "pattern": MONTH},
              "the last month, YYYY-MM (included; at most 10 years after from)", True),
        *report_params[1:],
    ]

    def files(schema: str) -> dict:
        return {"description": "The report as JSON, CSV or Excel (a file download)",
                "content": {JSON: {"schema": ref(schema)},
                            "text/csv": {"schema": {"type": "string"}},
                            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":
                                {"schema": {"type": "string", "format": "binary"}}}}

    return {
        "/api/v1/cases": {
            "post": operation("Log a petition (intake)", "createCase",
                              {201: linked(ok("CaseDetail", "The new case"), *CASE_LINKS)},
                              (400, 401, 403, 422),
                              body="CaseCreate"),
            "get": operation("Cases visible to the user, nearest deadline first", "listCases",
                             {200: ok("CaseList")}, (400, 401, 403, 422), params=filters),
        },
        "/api/v1/cases/{number}": {"get": operation(
            "One case with its events and the actions this user may take", "getCase",
            {200: linked(ok("CaseDetail"), *CASE_LINKS)}, (400, 401, 403, 404), params=[number])},
        "/api/v1/cases/{number}/actions": {"post": operation(
            "Act on a case", "actOnCase", {200: linked(ok("CaseDetail"), *CASE_LINKS)},
            (400, 401, 403, 404, 409, 422), body="ActionRequest", params=[number])},
        "/api/v1/cases/{number}/phone": {"post": operation(
            "The petitioner's full phone number; the look is recorded as an event",
            "revealPhone", {200: ok("Phone")}, (400, 401, 403, 404), params=[number])},
        "/api/v1/cases/{number}/attachments": {
            "post": {**operation(
                "Add evidence (multipart/form-data: file, optional note); the attach event "
                "carries its sha256", "addAttachment", {201: ok("Attachment", "The new one")},
                (400, 401, 403, 404, 413, 422), params=[number]),
                "requestBody": {"required": True, "content": {"multipart/form-data": {
                    "schema": ref("AttachmentUpload")}}}},
            "get": operation("The case's evidence, oldest first", "listAttachments",
                             {200: ok("AttachmentList")}, (400, 401, 403, 404),
                             params=[number])},
        "/api/v1/cases/{number}/attachments/{attachment_id}": {"get": operation(
            "The file (Content-Disposition: attachment; Cache-Control: no-store); the look is "
            "recorded as a view_attachment event", "getAttachment",
            {200: {"description": "The bytes as kept (a photo without its metadata)",
                   "content": {kind: {"schema": {"type": "string", "format": "binary"}}
                               for kind in KINDS}}},
            (400, 401, 403, 404), params=[number, attachment])},
        "/api/v1/cases/{number}/attachments/{attachment_id}/thumbnail": {"get": operation(
            "A photo's thumbnail (JPEG, at most 320 px), made on the server", "getThumbnail",
            {200: {"description": "JPEG", "content": {"image/jpeg": {"schema": {
                "type": "string", "format": "binary"}}}}},
            (400, 401, 403, 404), params=[number, attachment])},
        "/api/v1/callers/{phone}/cases": {"get": operation(
            "A caller's earlier cases, newest first (phones masked)", "callerCases",
            {200: ok("CallerCases")}, (400, 401, 403, 422),
            params=[path("phone", "digits", PHONE)])},
        "/api/v1/areas/villages": {"get": operation(
            "Villages of the user's area whose code starts with q, whose name contains it, or "
            "whose pinyin or its initials start with it (at most 10, best first)",
            "searchVillages", {200: ok("VillageList")}, (400, 401),
            params=[query("q", {"type": "string"}, "a code, a name or pinyin such as dlc")])},
        "/api/v1/imports/ledger": {"post": _ledger_import()},
        "/api/v1/reports/monthly": {"get": operation(
            "The monthly handling-rate report", "monthlyReport", {200: files("Report")},
            (400, 401, 403, 404, 422), params=report_params)},
        "/api/v1/reports/period": {"get": operation(
            "The report over the months from..to (a quarter, a half-year, a year or more): "
            "counts added up over the months, rates computed from them, open_end and "
            "overdue_end at the period's end", "periodReport", {200: files("PeriodReport")},
            (400, 401, 403, 404, 422), params=period_params)},
        "/api/v1/workflow": {"get": operation(
            "The loaded workflow (levels, statuses, actions, a Mermaid diagram)", "getWorkflow",
            {200: ok("Workflow")}, (400, 401))},
        "/api/v1/openapi.json": {"get": operation(
            "This document", "openapi", {200: {"description": "OpenAPI 3.0",
                                               "content": {JSON: {"schema": {"type": "object"}}}}},
            security=[])},
        "/api/v1/account-events": {"get": operation(
            "The account log of the accounts inside the administrator's area, newest first",
            "accountEvents", {200: ok("AccountEvents")}, (400, 401, 403, 422),
            params=[query("user", {"type": "string", "maxLength": 64}, "one account's entries"),
                    query("page", {"type": "integer", "minimum": 1, "maximum": 1000000,
                                   "default": 1}),
                    query("per_page", {"type": "integer", "minimum": 1, "maximum": 500,
                                       "default": 50})])},
        "/healthz": {"get": operation(
            "Health: {status} for anyone; with a login also the database, the scheduler's "
            "last scan and lag, and the outbox backlog",
            "health",
            {200: ok("Health"),
             503: ok("Health", "The database is not reachable, or the scheduler's lag exceeds "
                               "max_lag_seconds")},
            security=[])},
    }


def _ledger_import() -> dict:
    """POST /imports/ledger: a ledger file, previewed (dry_run=1) or imported."""
    out = operation(
        "Bring in a ledger (台账, CSV in UTF-8 or GB18030, or XLSX) of past cases: with dry_run=1 "
        "what would be imported; else imported, rows already imported skipped. Every problem "
        "of the file is answered at once, and nothing is written while one remains.",
        "importLedger",
        {200: ok("LedgerPreview", "The preview (dry_run=1) of a file without problems"),
         201: ok("LedgerImported", "Imported"),
         422: ok("LedgerProblems", "The file's problems (or the file's field missing); "
                                   "nothing was written")},
        (400, 401, 403))
    out["requestBody"] = {"required": True, "content": {"multipart/form-data": {"schema": {
        "type": "object", "required": ["file"], "properties": {
            "file": {"type": "string", "format": "binary"},
            "dry_run": {"type": "string", "enum": ["", "0", "1", "true", "false"]}}}}}}
    return out


def build(wf: Workflow) -> dict:
    return {
        "openapi": "3.0.3",
        "info": {"title": "Casework API", "version": "1.0.0",
                 "description": "Case tracking of a county women's federation (DESIGN.md)."},
        "paths": _paths(wf),
        "components": {
            "schemas": schemas(wf),
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer",
                               "description": "a token from `casework tokens create NAME`"},
                "sessionCookie": {"type": "apiKey", "in": "cookie", "name": "casework_session",
                                  "description": "the browser session; POSTs also need the "
                                                 "X-CSRFToken header"},
            },
        },
        "security": [{"bearerAuth": []}, {"sessionCookie": []}],
    }


def document() -> dict:
    """Built once per app (the workflow does not change while it runs)."""
    ext = current_app.extensions
    if "casework_openapi" not in ext:
        ext["casework_openapi"] = build(ext["casework"].workflow)
    return ext["casework_openapi"]
