"""The case page's evidence: photos, documents and recordings added from a phone's camera or
gallery or a computer's files, their thumbnails and their downloads.

The form posts several files at once; with its script (static/cases/evidence.js) each file is
sent on its own with a progress bar, and the answer is JSON with the refusals in the page's
language.  Each file is taken or refused on its own: a refused one writes nothing, and does not
stop the others.
"""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import login_required

from casework.errors import Invalid, TooLarge
from casework.evidence import attachments
from webui.cases import bp
from webui.cases.detail import render_case
from webui.cases.labels import core_text
from webui.context import actor, casework
from webui.errors import wants_json
from webui.uploads import MAX_FILES, head, received_files, send, thumbnail, upload_of


@bp.post("/cases/<number>/attachments")
@login_required
def add_attachments(number: str):
    cw = casework()
    attachments.check_may_attach(cw, actor(), number)  # before the body is read
    try:
        files, note = received_files(MAX_FILES)
    except Invalid as exc:
        return _answer(number, [], [("", core_text(exc.fields.get("file", exc.message)))],
                       413 if isinstance(exc, TooLarge) else 422)
    added, refused = [], []
    for part in files:
        try:
            added.append(attachments.add_attachment(cw, actor(), number, upload_of(part, note)))
        except Invalid as exc:
            why = "; ".join(core_text(message) for message in exc.fields.values())
            refused.append((part.filename or "", why))
            status = 413 if isinstance(exc, TooLarge) else 422
    return _answer(number, added, refused, status if refused else 201)


def _answer(number: str, added: list[dict], refused: list[tuple[str, str]], status: int):
    if wants_json():
        return {"added": added, "refused": [{"filename": name, "message": why}
                                            for name, why in refused]}, status
    if not refused:
        flash(ngettext("%(num)d file added to the evidence.",
                       "%(num)d files added to the evidence.", len(added)), "success")
        return redirect(url_for("cases.detail", number=number, _anchor="evidence"), 303)
    lines = [_("%(name)s was not added: %(why)s", name=name or _("The file"), why=why)
             for name, why in refused]
    if added:
        lines.insert(0, ngettext("%(num)d file added to the evidence.",
                                 "%(num)d files added to the evidence.", len(added)))
    return render_case(number, status, " ".join(lines))


@bp.get("/cases/<number>/attachments/<int:attachment_id>")
@login_required
def download_attachment(number: str, attachment_id: int):
    if request.method == "HEAD":
        return head(attachments.describe_attachment(casework(), actor(), number, attachment_id))
    return send(attachments.read_attachment(casework(), actor(), number, attachment_id))


@bp.get("/cases/<number>/attachments/<int:attachment_id>/thumbnail")
@login_required
def attachment_thumbnail(number: str, attachment_id: int):
    return thumbnail(attachments.read_thumbnail(casework(), actor(), number, attachment_id))
