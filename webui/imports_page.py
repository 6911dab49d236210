"""The page ``/imports/ledger``: upload a ledger, see it as a table with every problem marked,
confirm, and the template to fill in.  County officers and administrators of an area.

Between the preview and the confirmation the file is kept on the server, sealed, for minutes
(casework/imports/ledger_uploads.py); the page holds only a random token, and the browser keeps
nothing of the file.  The confirmation imports exactly the file that was previewed.

A file larger than ``ledger_import.BACKGROUND_BYTES`` is checked and imported beside the request
(casework/imports/ledger_jobs.py): the page shows how far it got, asked for again every few
seconds by static/imports/ledger.js (or the page's button, without script).
"""

from __future__ import annotations

from contextlib import suppress

from flask import Blueprint, Response, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField
from wtforms.validators import DataRequired, Length

from casework.errors import Invalid, NotFound
from casework.imports.ledger import check_ledger, run_import, scope_of
from casework.imports.ledger_jobs import job_of, start_again, start_check, start_import
from casework.imports.ledger_problems import LedgerProblems
from casework.imports.ledger_rows import CHINESE_HEADS, HEADS
from casework.imports.ledger_template import ledger_template
from casework.imports.ledger_uploads import keep_upload, take_upload
from webui import ledger_import
from webui.context import actor, casework

bp = Blueprint("imports", __name__, url_prefix="/imports")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class LedgerForm(FlaskForm):
    file = FileField(_l("Ledger file (.xlsx or .csv)"), validators=[FileRequired()])


class ConfirmForm(FlaskForm):
    token = HiddenField(validators=[DataRequired(), Length(max=100)])


@bp.before_request
@login_required
def importers_only():
    scope_of(actor())  # Forbidden (a 403 page) for every other role


def _page(form: LedgerForm | None = None, status: int = 200, **preview):
    return render_template(
        "imports/ledger.html", form=form or LedgerForm(), confirm=ConfirmForm(),
        heads=[(name, CHINESE_HEADS[name]) for name in HEADS], message=ledger_import.message,
        job_text=ledger_import.job_text, **preview), status


@bp.get("/ledger")
def ledger_page():
    return _page()


@bp.post("/ledger")
def preview_ledger():
    form = LedgerForm()
    if not form.validate_on_submit():
        return _page(form, 422)
    upload = form.file.data
    data = upload.read(ledger_import.MAX_LEDGER_BYTES + 1)
    token = None
    if len(data) > ledger_import.BACKGROUND_BYTES:
        token = keep_upload(casework(), by=actor(), filename=upload.filename or "", data=data)
        start_check(casework(), by=actor(), token=token)
        return _job_page(token)
    with ledger_import.saved(upload.filename, data=data) as path:
        try:
            preview = check_ledger(casework(), path, by=actor())
        except Invalid as exc:
            form.file.errors = [ledger_import.refusal_text(exc)]
            return _page(form, 422)
    if not preview.problem_count and preview.new:
        token = keep_upload(casework(), by=actor(), filename=upload.filename or "", data=data)
    # The preview is what was asked for, problems or not (the API answers 422 for them).
    return _page(form, 200, preview=preview, token=token,
                 filename=upload.filename or "")


@bp.post("/ledger/confirm")
def confirm_ledger():
    form = ConfirmForm()
    if not form.validate_on_submit():
        flash(_("This upload has expired; choose the file again."), "warning")
        return redirect(url_for("imports.ledger_page"), 303)
    try:
        state = job_of(casework(), by=actor(), token=form.token.data).state
        if state != "kept":  # a large file's: imported beside the request, once
            if state == "checked":
                with suppress(NotFound):  # a second click meanwhile started it
                    start_import(casework(), by=actor(), token=form.token.data)
            return _job_page(form.token.data)
        filename, data = take_upload(casework(), by=actor(), token=form.token.data)
    except NotFound:
        flash(_("This upload has expired; choose the file again."), "warning")
        return redirect(url_for("imports.ledger_page"), 303)
    with ledger_import.saved(filename, data=data) as path:
        try:
            preview = run_import(casework(), path, by=actor())
        except LedgerProblems as exc:
            return _page(None, 422, preview=exc.preview, token=None, filename=filename)
        except Invalid as exc:
            flash(ledger_import.refusal_text(exc), "error")
            return redirect(url_for("imports.ledger_page"), 303)
    flash(_("%(imported)d cases were imported; %(duplicates)d rows were already imported and "
            "were skipped.", imported=preview.imported, duplicates=preview.duplicates),
          "success")
    return redirect(url_for("imports.ledger_page"), 303)


@bp.post("/ledger/progress")
def ledger_progress():
    """How far a large file's check or import got: JSON for the page's script, else the page."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        return _expired()
    return _job_page(form.token.data)


@bp.post("/ledger/again")
def start_ledger_again():
    form = ConfirmForm()
    if not form.validate_on_submit():
        return _expired()
    # NotFound: started again by another click meanwhile, or expired; the page says which.
    with suppress(NotFound):
        start_again(casework(), by=actor(), token=form.token.data)
    return _job_page(form.token.data)


def _job_page(token: str):
    try:
        job = job_of(casework(), by=actor(), token=token)
    except NotFound:
        return _expired()
    if request.accept_mimetypes.best == "application/json":
        return jsonify({"state": job.state, "running": job.running, "stopped": job.stopped,
                        "rows_checked": job.rows_checked, "rows_written": job.rows_written,
                        "text": ledger_import.job_text(job)})
    return _page(None, 200, job=job, token=token, filename=job.filename,
                 preview=job.preview if job.state == "checked" else None)


def _expired():
    if request.accept_mimetypes.best == "application/json":
        return jsonify({"state": "expired", "running": False, "stopped": False}), 404
    flash(_("This upload has expired; choose the file again."), "warning")
    return redirect(url_for("imports.ledger_page"), 303)


@bp.get("/ledger/template.xlsx")
def ledger_template_file():
    data = ledger_template(casework(), by=actor())
    return Response(data, content_type=XLSX, headers={
        "Content-Disposition": "attachment; filename=\"ledger-template.xlsx\"; "
                               "filename*=UTF-8''%E5%8F%B0%E8%B4%A6%E6%A8%A1%E6%9D%BF.xlsx",
        "Cache-Control": "no-store"})
