"""The JSON API of DESIGN.md ("HTTP JSON API").  Each route parses the request, calls one
service of casework/, and answers; every rule lives in the services."""

from __future__ import annotations

import json

from flask import Blueprint, Response, current_app, request, url_for
from flask_babel import get_locale
from flask_login import current_user
from werkzeug.exceptions import BadRequest, Unauthorized

from casework.errors import Invalid
from casework.evidence import attachments
from casework.imports import areas
from casework.lifecycle import actions, case_lists, cases, intake
from casework.people.access import report_area
from casework.people.account_log import MAX_PER_PAGE, as_item, list_account_events
from casework.people.users import managed_area
from casework.workflow.diagram import describe, mermaid
from webui.context import actor, casework
from webui.extensions import csrf
from webui.openapi import document
from webui.uploads import (
    attachment_number,
    head,
    received_files,
    send,
    thumbnail,
    upload_of,
)
from webui.vocabularies import vocabularies

bp = Blueprint("api", __name__)
PUBLIC = {"api.openapi"}
# Who reads the monthly figures (DESIGN.md "People"); village cadres work cases, not reports.
REPORT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@bp.before_request
def authenticate():
    if request.endpoint in PUBLIC:
        return
    if not current_user.is_authenticated:
        raise Unauthorized("log in, or send Authorization: Bearer TOKEN")
    # A bearer token cannot ride along on a forged cross-site request; a session cookie can.
    if not current_user.via_token and current_app.config.get("WTF_CSRF_ENABLED", True):
        csrf.protect()


@bp.after_request
def no_store(response: Response) -> Response:
    # Answers carry petitioners' data: no shared or browser cache may keep a copy.
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def json_body() -> object:
    """The request's JSON, whatever its Content-Type says; 400 when it is not JSON at all."""
    raw = request.get_data(cache=False)
    if not raw.strip():
        raise BadRequest("the request body must be JSON")
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
        raise BadRequest("the request body is not valid JSON") from None


@bp.post("/cases")
def create_case():
    case = intake.receive(casework(), actor(), json_body())
    body = cases.case_detail(casework(), actor(), case.number)
    return body, 201, {"Location": url_for("api.get_case", number=case.number)}


@bp.get("/cases")
def list_cases():
    filters = case_lists.parse_filters(casework(), request.args)
    return case_lists.list_cases(casework(), actor(), filters)


@bp.get("/cases/<number>")
def get_case(number: str):
    return cases.case_detail(casework(), actor(), number)


@bp.post("/cases/<number>/actions")
def act(number: str):
    case = actions.perform(casework(), actor(), number, json_body())
    return cases.case_detail(casework(), actor(), case.number)


@bp.post("/cases/<number>/phone")
def reveal_phone(number: str):
    return cases.reveal_phone(casework(), actor(), number)


@bp.post("/cases/<number>/attachments")
def add_attachment(number: str):
    cw = casework()
    attachments.check_may_attach(cw, actor(), number)  # before the body is read
    files, note = received_files()
    body = attachments.add_attachment(cw, actor(), number, upload_of(files[0], note))
    return body, 201, {"Location": url_for("api.get_attachment", number=number,
                                           attachment_id=body["id"])}


@bp.get("/cases/<number>/attachments")
def list_attachments(number: str):
    return {"items": attachments.list_attachments(casework(), actor(), number)}


@bp.get("/cases/<number>/attachments/<attachment_id>")
def get_attachment(number: str, attachment_id: str):
    if request.method == "HEAD":
        return head(attachments.describe_attachment(casework(), actor(), number,
                                                     attachment_number(attachment_id)))
    return send(attachments.read_attachment(casework(), actor(), number,
                                            attachment_number(attachment_id)))


@bp.get("/cases/<number>/attachments/<attachment_id>/thumbnail")
def get_thumbnail(number: str, attachment_id: str):
    return thumbnail(attachments.read_thumbnail(casework(), actor(), number,
                                                attachment_number(attachment_id)))


@bp.get("/callers/<phone>/cases")
def caller_cases(phone: str):
    return {"items": cases.caller_cases(casework(), actor(), phone)}


@bp.get("/areas/villages")
def villages():
    """Villages of the user's area by code, name or pinyin (the intake form's village picker)."""
    return {"items": areas.search_villages(casework(), actor(), request.args.get("q", ""))}


@bp.get("/reports/monthly")
def monthly_report():
    from casework.reporting.reports import monthly_report as build

    cw = casework()
    area = report_area(cw.workflow, actor(), request.args.get("area"))
    fmt = _report_format()
    report = build(cw, month=request.args.get("month") or "", area=area)
    return _report_answer(report, fmt, f"casework-report-{report['month']}-{area}")


@bp.get("/reports/period")
def period_report():
    from casework.reporting.reports import period_report as build

    cw = casework()
    area = report_area(cw.workflow, actor(), request.args.get("area"))
    fmt = _report_format()
    report = build(cw, start=request.args.get("from") or "", end=request.args.get("to") or "",
                   area=area)
    return _report_answer(report, fmt,
                          f"casework-report-{report['from']}-{report['to']}-{area}")


def _report_format() -> str:
    # Absent is JSON; present but empty is refused, as the document's enum says.
    fmt = request.args.get("format", "json")
    if fmt not in ("json", *REPORT_TYPES):
        raise Invalid({"format": "must be one of: json, csv, xlsx"})
    return fmt


def _report_answer(report: dict, fmt: str, name: str):
    if fmt == "json":
        return report
    from casework.reporting import report_files  # the files need openpyxl; JSON readers need not

    cw = casework()
    if fmt == "csv":
        data = report_files.to_csv(report, cw.workflow).encode("utf-8")
    else:
        data = report_files.to_xlsx(report, cw.workflow, str(get_locale() or "zh_CN"))
    return Response(data, content_type=REPORT_TYPES[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'})


def _whole_number(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 12) or not low <= int(raw) <= high:
        raise Invalid({name: f"a whole number from {low} to {high}"})
    return int(raw)


@bp.get("/account-events")
def account_events():
    """The account log of the accounts inside the administrator's area, newest first."""
    area = managed_area(actor())  # 403 for every role but admin
    page = _whole_number("page", 1, 1, 1_000_000)
    per_page = _whole_number("per_page", 50, 1, MAX_PER_PAGE)
    user = request.args.get("user") or None
    if user is not None and (len(user) > 64 or "\x00" in user):
        raise Invalid({"user": "2 to 64 letters, digits, '.', '_' or '-'"})
    rows, total = list_account_events(casework(), area=area, username=user, page=page,
                                      per_page=per_page)
    return {"items": [as_item(row) for row in rows], "total": total, "page": page,
            "per_page": per_page}


@bp.post("/imports/ledger")
def import_ledger():
    """A ledger file (multipart ``file``): previewed with ``dry_run=1``, else imported."""
    from casework.imports.ledger import check_ledger, run_import, scope_of
    from casework.imports.ledger_problems import LedgerProblems
    from webui import ledger_import

    scope_of(actor())  # 403 before the upload is read
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return ledger_import.file_refusal(Invalid({"file": "required"})), 422
    dry_run = (request.values.get("dry_run") or "").lower() in ("1", "true", "yes")
    how = ledger_import.how()
    with ledger_import.saved(upload.filename, upload=upload) as path:
        try:
            if dry_run:
                preview = check_ledger(casework(), path, by=actor())
                if preview.problem_count:
                    raise LedgerProblems(preview)
                return preview.as_dict(**how), 200
            preview = run_import(casework(), path, by=actor())
        except LedgerProblems as exc:
            text = ledger_import.message(exc.preview.problems[0])
            return {"error": "invalid", "message": text, "fields": {"file": text},
                    **exc.preview.as_dict(**how)}, 422
        except Invalid as exc:
            if set(exc.fields) != {"file"}:
                raise
            return ledger_import.file_refusal(exc), 422
    return {"imported": preview.imported, "duplicates": preview.duplicates}, 201


@bp.get("/workflow")
def workflow():
    cw = casework()
    return {**describe(cw.workflow), "vocabularies": vocabularies(cw.workflow),
            "mermaid": mermaid(cw.workflow, str(get_locale()))}


@bp.get("/openapi.json")
def openapi():
    return document()
