"""A large ledger checked and imported beside the web request, its progress in the database.

A province's year (100,000 rows, 13 MB of CSV) takes minutes to check and longer to write; a
web worker held that long shows the clerk nothing and may be cut by the proxy.  The page keeps
the upload (ledger_uploads.py), and a thread of the web process checks it, then, on the clerk's
confirmation, imports it, writing to the upload's row how many rows it has checked and written.
The page asks for that every few seconds.

A job whose row has not moved for ``STALE_AFTER`` stopped (the server restarted, the process
was killed): the page says so and offers to start again.  Starting again is safe at any point:
the import writes whole transactions of rows (ledger.BATCH), and rows already written are
duplicates the second time.  Only one job runs per upload: every start is a conditional
UPDATE, so two clicks (or two servers) start one.
"""

from __future__ import annotations

import json
import logging
import tempfile
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import or_, update

from casework.bootstrap import Casework
from casework.errors import Invalid, NotFound
from casework.imports.ledger import Preview, check_ledger, run_import
from casework.imports.ledger_problems import LedgerProblems, Problem
from casework.imports.ledger_uploads import MAX_AGE, outcome_purpose, upload_id, upload_purpose
from casework.people.access import Actor
from casework.storage.db import reading, utcnow, writing
from casework.storage.models import LedgerUpload

log = logging.getLogger(__name__)
STALE_AFTER = timedelta(minutes=3)
RUNNING = ("checking", "importing")
STOPPED = ("the work stopped on an error; choose the file again (rows already written are "
           "counted as duplicates, not written twice)")
Start = Callable[[Callable[[], None]], None]


def in_a_thread(work: Callable[[], None]) -> None:
    """The web process's way: a daemon thread, so that a stopping server does not wait for a
    province's import (the job is then shown as stopped, and started again)."""
    threading.Thread(target=work, name="ledger-import", daemon=True).start()


@dataclass
class Job:
    """What the page shows of an upload's check or import."""

    state: str  # kept, checking, checked, importing, imported or failed
    filename: str
    rows_checked: int
    rows_written: int
    stopped: bool  # running, but nothing moved for STALE_AFTER
    preview: Preview | None = None  # once checked
    imported: int = 0
    duplicates: int = 0
    refusal: Invalid | None = None  # why it failed

    @property
    def running(self) -> bool:
        return self.state in RUNNING and not self.stopped


def start_check(cw: Casework, *, by: Actor, token: str, start: Start | None = None) -> None:
    _start(cw, by, token, "checking", ("kept",), start)


def start_import(cw: Casework, *, by: Actor, token: str, start: Start | None = None) -> None:
    """Import a checked upload without problems; NotFound when it is not (or no longer) one."""
    _start(cw, by, token, "importing", ("checked",), start)


def start_again(cw: Casework, *, by: Actor, token: str, now: datetime | None = None,
                start: Start | None = None) -> None:
    """Start a stopped job again from the beginning of its step."""
    job = job_of(cw, by=by, token=token, now=now)
    if not job.stopped:
        raise NotFound("this upload is not stopped")
    _start(cw, by, token, job.state, (job.state,), start, stale_before=(now or utcnow())
           - STALE_AFTER)


def job_of(cw: Casework, *, by: Actor, token: str, now: datetime | None = None) -> Job:
    now = now or utcnow()
    with reading(cw.engine) as session:
        row = session.get(LedgerUpload, upload_id(token or ""))
        if row is None or row.user_id != by.id or _moved(row) < now - MAX_AGE:
            raise NotFound("this upload has expired; choose the file again")
        job = Job(row.state, row.filename, row.rows_checked, row.rows_written,
                  row.state in RUNNING and _moved(row) < now - STALE_AFTER)
        outcome = _outcome(cw, row)
    if "preview" in outcome:
        job.preview = preview_from(outcome["preview"])
    job.imported, job.duplicates = outcome.get("imported", 0), outcome.get("duplicates", 0)
    if "refusal" in outcome:
        job.refusal = _refusal_from(outcome["refusal"])
    return job


def _moved(row: LedgerUpload) -> datetime:
    return row.progress_at or row.created_at


def _start(cw: Casework, by: Actor, token: str, state: str, from_states: tuple[str, ...],
           start: Start, stale_before: datetime | None = None) -> None:
    row_id = upload_id(token or "")
    now = utcnow()
    claim = (update(LedgerUpload)
             .where(LedgerUpload.id == row_id, LedgerUpload.user_id == by.id,
                    LedgerUpload.state.in_(from_states))
             .values(state=state, progress_at=now, rows_checked=0, rows_written=0))
    if stale_before is not None:
        claim = claim.where(or_(LedgerUpload.progress_at.is_(None),
                                LedgerUpload.progress_at < stale_before))
    with writing(cw.engine) as session:
        if session.execute(claim).rowcount != 1:
            raise NotFound("this upload is not waiting for that step")
    work = _check if state == "checking" else _import
    (start or in_a_thread)(lambda: work(cw, by, row_id))


def _check(cw: Casework, by: Actor, row_id: str) -> None:
    def done(path: Path) -> tuple[str, dict]:
        preview = check_ledger(cw, path, by=by, progress=_recorder(cw, row_id))
        return "checked", {"preview": preview_to(preview)}
    _run(cw, row_id, done)


def _import(cw: Casework, by: Actor, row_id: str) -> None:
    def done(path: Path) -> tuple[str, dict]:
        try:
            preview = run_import(cw, path, by=by, progress=_recorder(cw, row_id))
        except LedgerProblems as exc:  # the file's villages or closed months changed since
            return "checked", {"preview": preview_to(exc.preview)}
        return "imported", {"imported": preview.imported, "duplicates": preview.duplicates}
    _run(cw, row_id, done)


def _run(cw: Casework, row_id: str, work: Callable[[Path], tuple[str, dict]]) -> None:
    try:
        with reading(cw.engine) as session:
            row = session.get(LedgerUpload, row_id)
            filename = row.filename
            data = cw.keyring.key(row.key_id).open_bytes(upload_purpose(row_id),
                                                         row.content_sealed)
        suffix = ".xlsx" if filename.lower().endswith(".xlsx") else ".csv"
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"ledger{suffix}"
            path.write_bytes(data)
            del data
            state, outcome = work(path)
    except Invalid as exc:
        state, outcome = "failed", {"refusal": _refusal_to(exc)}
    except Exception as exc:  # noqa: BLE001  the page must learn that it stopped
        # The type only: a database error's text may quote a row's values.
        log.error("ledger upload %s stopped: %s", row_id[:8], type(exc).__name__)
        state, outcome = "failed", {"refusal": {"message": STOPPED}}
    _finish(cw, row_id, state, outcome)


def _recorder(cw: Casework, row_id: str) -> Callable[[str, int], None]:
    def progress(phase: str, count: int) -> None:
        column = "rows_checked" if phase == "checked" else "rows_written"
        with writing(cw.engine) as session:
            session.execute(update(LedgerUpload).where(LedgerUpload.id == row_id)
                            .values({column: count, "progress_at": utcnow()}))
    return progress


def _finish(cw: Casework, row_id: str, state: str, outcome: dict) -> None:
    with writing(cw.engine) as session:
        # Locked: `keys rotate` may be re-sealing this row beside us.
        row = session.get(LedgerUpload, row_id, with_for_update=True)
        if row is None:
            return
        row.state, row.progress_at = state, utcnow()
        if state == "imported":
            row.content_sealed = b""  # its rows are cases now; the file is not kept
        row.outcome_sealed = cw.keyring.key(row.key_id).seal_bytes(
            outcome_purpose(row_id), json.dumps(outcome).encode())


def _outcome(cw: Casework, row: LedgerUpload) -> dict:
    if not row.outcome_sealed:
        return {}
    return json.loads(cw.keyring.key(row.key_id).open_bytes(
        outcome_purpose(row.id), row.outcome_sealed))


def preview_to(preview: Preview) -> dict:
    def entry(shown: dict) -> dict:
        return {**shown, "problems": {name: asdict(p) for name, p in shown["problems"].items()},
                "row_problems": [asdict(p) for p in shown["row_problems"]]}
    return {"rows": preview.rows, "new": preview.new, "duplicates": preview.duplicates,
            "problem_count": preview.problem_count,
            "problems": [asdict(p) for p in preview.problems],
            "table": [entry(shown) for shown in preview.table]}


def preview_from(data: dict) -> Preview:
    def problem(fields: dict) -> Problem:
        choices = fields.get("choices")
        return Problem(**{**fields, "choices": (choices[0], tuple(choices[1]))
                          if choices else None})
    table = [{**shown, "problems": {n: problem(p) for n, p in shown["problems"].items()},
              "row_problems": [problem(p) for p in shown["row_problems"]]}
             for shown in data["table"]]
    return Preview(rows=data["rows"], new=data["new"], duplicates=data["duplicates"],
                   problem_count=data["problem_count"],
                   problems=[problem(p) for p in data["problems"]], table=table)


def _refusal_to(exc: Invalid) -> dict:
    return {"message": exc.message, "reason": getattr(exc, "reason", None),
            "params": getattr(exc, "params", {}) or {}}


def _refusal_from(data: dict) -> Invalid:
    refusal = Invalid({"file": data["message"]}, message=data["message"])
    refusal.reason, refusal.params = data.get("reason"), data.get("params") or {}
    return refusal
