"""Bring in a paper ledger (台账) of past cases: checked whole, then written, twice adding nothing.

Each row becomes a case with the events it implies: intake at ``received_at`` at the level the
channel starts at, escalations up to ``concluded_level`` dated at ``concluded_at`` (a paper
ledger records where a case ended, not when each step happened), then acceptance and the
conclusion there.  The columns, their Chinese heads and the words taken are in ledger_rows.py
and ledger_values.py.

The file is read twice, as a stream: first every row is checked and every problem collected
(the preview, or dry run); only a file without problems is read again and written.  The
writing goes in batches of ``BATCH`` rows, one transaction each, so that a province's year does
not hold the database for minutes and an interruption (a power cut, a restarted server) leaves
whole rows only, each with all its events; importing the same file again adds only the rest,
since the rows already in are duplicates.

Duplicates: a row whose received time, village, petitioner phone, category and summary match a
case already imported is skipped and counted.  The case carries ``import_fingerprint``, an
HMAC-SHA256 of those fields normalized, under a key derived from the data key
(casework/privacy/crypto.py): the database never holds the phone or story in a form a guesser
could test (a plain hash of a phone is reversed by trying the few billion numbers).  What it
shows is only which imported cases came from a ledger.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from casework.bootstrap import Casework
from casework.errors import Forbidden
from casework.imports._csvfile import refuse
from casework.imports.ledger_places import Places
from casework.imports.ledger_problems import MAX_LISTED, NO_ROWS, LedgerProblems, Problem
from casework.imports.ledger_rows import COLUMNS, NOTE, Checked, LedgerRow, Reader
from casework.lifecycle.actions import apply_action
from casework.lifecycle.intake import receive_validated
from casework.people.access import SYSTEM, Actor
from casework.reporting.closed_months import closed_through, refuse_if_closed
from casework.storage.db import reading, utcnow, writing
from casework.storage.models import Case

__all__ = ["COLUMNS", "IMPORT_ROLES", "Preview", "check_ledger", "import_ledger", "run_import"]
IMPORTER = Actor(id=None, username="ledger_import", role=SYSTEM, area_code="")
# Who brings in a county's ledgers: its officers, and the administrators of an area.
IMPORT_ROLES = ("county_officer", "admin")
BATCH = 100  # rows a transaction writes (and the check looks up at once)
SAMPLE = 100  # rows the page's preview table shows beside every row with a problem


@dataclass
class Preview:
    rows: int = 0
    new: int = 0
    duplicates: int = 0
    imported: int = 0
    problem_count: int = 0
    problems: list[Problem] = field(default_factory=list)
    # For the page: the first rows and every row with a problem (capped), as shown.
    table: list[dict] = field(default_factory=list)

    def add_problems(self, problems: list[Problem]) -> None:
        self.problem_count += len(problems)
        self.problems.extend(problems[:max(0, MAX_LISTED - len(self.problems))])

    def as_dict(self, **how) -> dict:
        return {"rows": self.rows, "new": self.new, "duplicates": self.duplicates,
                "problems": [problem.as_dict(**how) for problem in self.problems],
                "problem_count": self.problem_count}


def import_ledger(cw: Casework, path: str | Path, *, now: datetime | None = None,
                  by: Actor | None = None) -> int:
    """Import the ledger at ``path`` unless it has problems; returns how many cases were made."""
    return run_import(cw, path, now=now, by=by).imported


def scope_of(by: Actor | None) -> str:
    """The area whose villages ``by`` may bring cases in for ('' for the command line)."""
    if by is None or by.role == SYSTEM:
        return ""
    if by.role not in IMPORT_ROLES:
        raise Forbidden("only county officers and administrators import ledgers")
    return by.area_code


Progress = Callable[[str, int], None]  # ("checked" or "written", rows so far)


def check_ledger(cw: Casework, path: str | Path, *, now: datetime | None = None,
                 by: Actor | None = None, progress: Progress | None = None) -> Preview:
    """What importing ``path`` would do, and every problem in it; writes nothing."""
    scope = scope_of(by)
    reader = _reader(cw, scope, now or utcnow())
    preview, seen, waiting = Preview(), set(), []
    for checked in reader.read(path):
        shown = _shown(preview, checked)
        if checked.row is None:
            if checked.cells or checked.line > 1:
                preview.rows += 1
            preview.add_problems(checked.problems)
            continue
        preview.rows += 1
        text = checked.row.fingerprint_text()
        mine = int(cw.keyring.current.fingerprint(text)[:32], 16)
        if mine in seen:  # the same row twice in one file
            preview.duplicates += 1
            if shown is not None:
                shown["duplicate"] = True
            continue
        seen.add(mine)
        waiting.append((text, shown, checked.row.closed))
        if len(waiting) >= BATCH:
            _count_known(cw, preview, waiting)
            if progress:
                progress("checked", preview.rows)
    _count_known(cw, preview, waiting)
    if progress:
        progress("checked", preview.rows)
    preview.problems.sort(key=lambda problem: problem.line)  # a closed month's come late
    if preview.rows == 0 and not preview.problem_count:
        preview.add_problems([Problem(1, "", "", NO_ROWS)])
    return preview


def run_import(cw: Casework, path: str | Path, *, now: datetime | None = None,
               by: Actor | None = None, progress: Progress | None = None) -> Preview:
    """Check ``path`` whole; with no problem, write its new rows.  LedgerProblems otherwise."""
    now = now or utcnow()
    preview = check_ledger(cw, path, now=now, by=by, progress=progress)
    if preview.problem_count:
        raise LedgerProblems(preview)
    reader = _reader(cw, scope_of(by), now)
    batch: list[LedgerRow] = []
    for checked in reader.read(path):
        if checked.problems:  # the file or the areas changed since the check
            raise refuse(f"line {checked.line}: the file changed while it was imported")
        batch.append(checked.row)  # rows of a closed month here are all imported already
        if len(batch) >= BATCH:
            preview.imported += _write(cw, batch, now)
            batch = []
            if progress:
                progress("written", checked.line - 1)
    preview.imported += _write(cw, batch, now)
    preview.duplicates = preview.rows - preview.imported
    if progress:
        progress("written", preview.rows)
    return preview


def _reader(cw: Casework, scope: str, now: datetime) -> Reader:
    with reading(cw.engine) as session:
        return Reader(cw.workflow, Places.load(session, scope), closed_through(session), now)


def _shown(preview: Preview, checked: Checked) -> dict | None:
    if len(preview.table) >= SAMPLE + MAX_LISTED or (
            len(preview.table) >= SAMPLE and not checked.problems):
        return None
    entry = {"line": checked.line, "cells": checked.cells, "duplicate": False,
             "problems": {problem.field: problem for problem in checked.problems
                          if problem.field},
             "row_problems": [problem for problem in checked.problems if not problem.field]}
    preview.table.append(entry)
    return entry


def _count_known(cw: Casework, preview: Preview, waiting: list) -> None:
    """Count the waiting rows already imported (under any configured key) and the new ones."""
    if not waiting:
        return
    prints = {text: cw.keyring.fingerprints(text) for text, _shown, _closed in waiting}
    wanted = [value for values in prints.values() for value in values]
    with reading(cw.engine) as session:
        known = set(session.execute(select(Case.import_fingerprint)
                                    .where(Case.import_fingerprint.in_(wanted))).scalars())
    for text, shown, closed in waiting:
        if known.intersection(prints[text]):
            preview.duplicates += 1
            if shown is not None:
                shown["duplicate"] = True
        elif closed is not None:
            preview.add_problems([closed])
            if shown is not None:
                shown["problems"][closed.field] = closed
        else:
            preview.new += 1
    waiting.clear()


def _write(cw: Casework, rows: list[LedgerRow], now: datetime) -> int:
    """Write the rows not yet imported, in one transaction; how many were written.  A batch
    that meets another import of the same rows (the unique fingerprint) is done again, and
    then finds them imported."""
    for attempt in (1, 2):
        try:
            with writing(cw.engine) as session:
                texts = {row.line: row.fingerprint_text() for row in rows}
                wanted = [p for text in texts.values() for p in cw.keyring.fingerprints(text)]
                known = set(session.execute(
                    select(Case.import_fingerprint)
                    .where(Case.import_fingerprint.in_(wanted))).scalars()) if wanted else set()
                written = 0
                for row in rows:
                    fingerprint = cw.keyring.current.fingerprint(texts[row.line])
                    if known.intersection(cw.keyring.fingerprints(texts[row.line])):
                        continue
                    known.add(fingerprint)
                    # A ledger may not reach into a closed month (closed_months.py); this
                    # check, inside the write, also holds against a month closed meanwhile.
                    refuse_if_closed(session, row.case.received_at, "received_at", now=now)
                    _store(cw, session, row, fingerprint)
                    written += 1
                return written
        except IntegrityError:
            if attempt == 2:
                raise
    return 0


def _store(cw: Casework, session, row: LedgerRow, fingerprint: str) -> None:
    case = receive_validated(cw, session, IMPORTER, row.case, now=row.case.received_at,
                             check_received_at=False)
    case.import_fingerprint = fingerprint
    if row.concluded_level is None:
        return
    at = row.concluded_at
    while case.level != row.concluded_level:
        apply_action(cw, session, IMPORTER, case, "escalate", {"note": NOTE}, now=at)
    if case.status == "pending":
        apply_action(cw, session, IMPORTER, case, "accept", {}, now=at)
    if row.agency:
        apply_action(cw, session, IMPORTER, case, "refer", {"agency": row.agency, "note": NOTE},
                     now=at)
    else:
        apply_action(cw, session, IMPORTER, case, "resolve",
                     {"outcome": row.outcome, "note": NOTE}, now=at)
