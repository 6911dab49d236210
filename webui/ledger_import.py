"""The ledger import over HTTP: ``POST /api/v1/imports/ledger`` (webui/api.py) and the page
``/imports/ledger`` share this: the uploaded file to a private temporary file, and problems in
the reader's language.  Every rule lives in casework/imports/ledger.py."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import request
from flask_babel import get_locale, gettext

from casework.errors import Invalid
from casework.imports.ledger_problems import Problem
from webui.context import casework

# A province's year of ledger is a few megabytes of XLSX (a few tens of CSV); the reader's own
# limit (casework/imports/_csvfile.py) is the last word.
MAX_LEDGER_BYTES = 50 * 1024 * 1024


# Larger files (about 2,000 rows of CSV) are checked and imported beside the request, the page
# showing their progress; smaller ones take a second or two and are done within it.
BACKGROUND_BYTES = 256 * 1024

LEDGER_PATHS = ("/api/v1/imports/ledger", "/imports/ledger", "/imports/ledger/confirm")


def allow_large_upload() -> None:
    """Lift the app's 1 MB limit (a petition is text) for a ledger's upload alone.  An app-wide
    before-request hook, registered ahead of CSRFProtect, which reads the form first."""
    if request.method == "POST" and request.path in LEDGER_PATHS:
        request.max_content_length = MAX_LEDGER_BYTES + 1024 * 1024


@contextmanager
def saved(filename: str, data: bytes | None = None, upload=None) -> Iterator[Path]:
    """The upload as a file readable by its owner only, removed afterwards: the readers read
    a path, as the command line does."""
    suffix = ".xlsx" if (filename or "").lower().endswith(".xlsx") else ".csv"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"ledger{suffix}"
        if upload is not None:
            upload.save(path)
        else:
            path.write_bytes(data or b"")
        yield path


def language() -> str:
    return str(get_locale() or "zh_CN")


def level_name(level_id: str, lang: str) -> str:
    workflow = casework().workflow
    return workflow.level(level_id).name.get(lang) if workflow.has_level(level_id) else level_id


def how() -> dict:
    """How a problem is said on this request: the catalogue, the language, the level names."""
    return {"translate": gettext, "language": language(), "level_names": level_name}


def message(problem: Problem) -> str:
    return problem.message(**how())


def refusal_text(exc: Invalid) -> str:
    """A file's refusal (not a table, damaged, too large) in the page's language."""
    reason = getattr(exc, "reason", None)
    if reason:
        try:
            return gettext(reason) % exc.params
        except (KeyError, ValueError, TypeError):
            pass
    message = exc.fields.get("file") or exc.message
    return gettext(message) if len(message) < 300 else message


def job_text(job) -> str:
    """Where a large file's check or import is, in one true sentence."""
    if job.stopped:
        return gettext("The work on %(name)s stopped (the server may have restarted) after "
                       "%(checked)d rows checked and %(written)d rows written. Start it again: "
                       "rows already written are counted as duplicates, not written twice.",
                       name=job.filename, checked=job.rows_checked, written=job.rows_written)
    if job.state == "checking":
        return gettext("Checking %(name)s: %(count)d rows checked so far. Nothing is written "
                       "while the file is checked.", name=job.filename, count=job.rows_checked)
    if job.state == "importing":
        return gettext("Importing %(name)s: %(checked)d rows checked again, %(written)d rows "
                       "written so far. Rows are written in small batches and stay written; "
                       "should the import stop, importing the file again adds only the rest.",
                       name=job.filename, checked=job.rows_checked, written=job.rows_written)
    if job.state == "imported":
        return gettext("%(imported)d cases were imported; %(duplicates)d rows were already "
                       "imported and were skipped.", imported=job.imported,
                       duplicates=job.duplicates)
    if job.state == "failed" and job.refusal is not None:
        return refusal_text(job.refusal)
    return gettext("%(name)s has been checked.", name=job.filename)


def file_refusal(exc: Invalid) -> dict:
    """The body of a file that could not be read at all: its one problem."""
    text = refusal_text(exc)
    return {"error": "invalid", "message": text, "fields": {"file": text},
            "rows": 0, "new": 0, "duplicates": 0, "problem_count": 1,
            "problems": [{"line": None, "column": None, "value": None, "message": text}]}
