"""Bring in a paper ledger (台账) of past cases, all or nothing.

Each row becomes a case with the events it implies: intake at ``received_at`` at the level the
channel starts at, escalations up to ``concluded_level`` dated at ``concluded_at`` (a paper
ledger records where a case ended, not when each step happened), then acceptance and the
conclusion there.  ``outcome`` is a resolve outcome, or ``referred`` / ``referred:AGENCY``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

from casework.bootstrap import Casework
from casework.errors import CaseworkError, Invalid
from casework.imports._csvfile import read_table, refuse
from casework.lifecycle.actions import apply_action
from casework.lifecycle.intake import receive_validated
from casework.lifecycle.schemas import CaseCreate, parse
from casework.people.access import SYSTEM, Actor
from casework.reporting.closed_months import refuse_if_closed
from casework.scheduling.deadlines import SHANGHAI
from casework.storage.db import utcnow, writing

COLUMNS = ("received_at", "village_code", "category", "channel", "urgency", "summary",
           "petitioner_name", "petitioner_phone", "concluded_level", "concluded_at", "outcome")
REQUIRED = ("received_at", "village_code", "category", "channel")
IMPORTER = Actor(id=None, username="ledger_import", role=SYSTEM, area_code="")
NOTE = "imported from the paper ledger"


@dataclass
class LedgerRow:
    line: int
    case: CaseCreate
    concluded_level: str | None
    concluded_at: datetime | None
    outcome: str | None
    agency: str | None


def import_ledger(cw: Casework, path: str | Path, *, now: datetime | None = None) -> int:
    """Import every row of the ledger at ``path`` or none; returns how many cases were made."""
    now = now or utcnow()
    rows = [_row(cw, line, raw, now) for line, raw in read_table(path, COLUMNS, required=REQUIRED)]
    if not rows:
        raise refuse(f"{Path(path).name} has no rows to import")
    with writing(cw.engine) as session:
        for row in rows:
            try:
                # A ledger of past months may not reach into a closed one (closed_months.py);
                # its rows' events are dated from received_at on.
                refuse_if_closed(session, row.case.received_at, "received_at", now=now)
                _store(cw, session, row)
            except CaseworkError as exc:
                raise refuse(f"line {row.line}: {exc.message}") from None
    return len(rows)


def _store(cw: Casework, session, row: LedgerRow) -> None:
    case = receive_validated(cw, session, IMPORTER, row.case, now=row.case.received_at,
                             check_received_at=False)
    if row.concluded_level is None:
        return
    workflow = cw.workflow
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
    assert workflow.statuses[case.status].concluded


def _row(cw: Casework, line: int, raw: dict[str, str], now: datetime) -> LedgerRow:
    def bad(message: str) -> Invalid:
        return refuse(f"line {line}: {message}")

    received = _when(raw.get("received_at", ""))
    if received is None:
        raise bad(f"received_at '{raw.get('received_at', '')[:40]}' is not a date or time")
    if received > now:
        raise bad("received_at is in the future")
    body = {
        "channel": raw.get("channel", ""), "village_code": raw.get("village_code", ""),
        "category": raw.get("category", ""), "urgency": raw.get("urgency") or "normal",
        "summary": raw.get("summary") or NOTE, "received_at": received.isoformat(),
        "petitioner": {"name": raw.get("petitioner_name", ""),
                       "phone": raw.get("petitioner_phone", "")},
    }
    try:
        case = parse(CaseCreate, body)
    except Invalid as exc:
        name, why = next(iter(exc.fields.items()))
        raise bad(f"{name.replace('petitioner.', 'petitioner_')} {why}") from None
    level = raw.get("concluded_level") or None
    concluded_at = _when(raw.get("concluded_at", ""))
    outcome = raw.get("outcome") or None
    if level is None:
        if concluded_at or outcome:
            raise bad("concluded_at and outcome need a concluded_level")
        return LedgerRow(line, case, None, None, None, None)
    workflow = cw.workflow
    if not workflow.has_level(level) or "resolved" not in workflow.level(level).statuses:
        names = ", ".join(lv.id for lv in workflow.handling_levels())
        raise bad(f"concluded_level '{level[:40]}' is not one of: {names}")
    if concluded_at is None:
        raise bad("a concluded case needs concluded_at as a date or time")
    if concluded_at < received or concluded_at > now:
        raise bad("concluded_at must lie between received_at and now")
    agency = None
    if outcome and outcome.startswith("referred"):
        agency = outcome.partition(":")[2] or "other"
        if agency not in workflow.choices["agency"]:
            raise bad(f"agency '{agency[:40]}' is not one of: "
                      + ", ".join(workflow.choices["agency"]))
    elif outcome not in workflow.choices["outcome"]:
        raise bad("outcome must be one of: " + ", ".join(workflow.choices["outcome"])
                  + ", referred or referred:AGENCY")
    start = workflow.channel_start_levels.get(case.channel, workflow.default_start_level)
    if case.urgency == "emergency":
        start = workflow.emergency_start_level
    if workflow.level(level).index < workflow.level(start).index:
        raise bad(f"a {case.channel} case starts at {start} and cannot be concluded at {level}")
    return LedgerRow(line, case, level, concluded_at, outcome, agency)


def _when(value: str) -> datetime | None:
    """A ledger time: an ISO date or date-time; without a zone it is Beijing time."""
    value = value.strip().replace("/", "-")
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        try:
            parsed = datetime.combine(date.fromisoformat(value), time())
        except ValueError:
            return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=SHANGHAI)
