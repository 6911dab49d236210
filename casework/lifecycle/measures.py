"""Protective measures on a case: the ``measure`` action's checks and its projection row, the
measures the case page and the API show, and the scheduler's two records about them
(``measure_overdue``, ``order_expiring``).  The rules are casework/lifecycle/measure_rules.py.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from casework.lifecycle.measure_rules import MEASURE_ACTIONS, check, decide_by, fold, row_of
from casework.privacy.crypto import Keyring
from casework.privacy.narratives import open_data
from casework.scheduling.deadlines import SHANGHAI
from casework.storage.models import Event, ProtectionMeasure


def measure_events(session: Session, case_id: int) -> list[Event]:
    """The case's events that make its measures, in order."""
    return list(session.execute(
        select(Event).where(Event.case_id == case_id, Event.action.in_(MEASURE_ACTIONS))
        .order_by(Event.seq)).scalars())


def planned_measure(case, body: dict, events: list, *, now: datetime, allowed: list[str]
                    ) -> dict:
    """The data of the measure event ``body`` asks for on ``case`` whose measure events are
    ``events``; Invalid or StageOutOfOrder when it may not be."""
    measures = fold(events)
    kind, stage, measure_id, fields = check(
        measures, body, today=now.astimezone(SHANGHAI).date(), version=case.version,
        allowed=allowed)
    data = {"measure": kind, "stage": stage,
            "measure_id": measure_id if measure_id is not None else case.last_event_seq + 1,
            **fields}
    if stage == "applied":
        data["decide_by"] = decide_by(date.fromisoformat(fields["on"]), now,
                                      case.urgency).isoformat()
    return data


def write_rows(session: Session, case_id: int, events: list, touched: set[int]) -> None:
    """Set the ``protection_measures`` rows of the measures ``touched`` from the fold of all
    the case's measure ``events`` (the new one included), in the caller's transaction."""
    for measure_id, measure in fold(events).items():
        if measure_id in touched:
            session.merge(ProtectionMeasure(**row_of(case_id, measure)))
    session.flush()


def measures_json(events: list, keyring: Keyring) -> list[dict]:
    """The measures of a case for the API and the page: the latest of each stage's fields (its
    place, court and authority opened: they are sealed at rest), and the history of its
    events."""
    opened = [{"seq": e.seq, "action": e.action, "at": e.at, "actor": e.actor,
               "data": open_data(keyring, e.data or {})}
              for e in events if e.action in MEASURE_ACTIONS]
    out = []
    for measure in fold(opened).values():
        item = {key: value for key, value in measure.items() if key != "history"}
        for key in ("decide_by", "ends_at", "expiring_at"):
            item[key] = item[key].isoformat() if item[key] else None
        item["history"] = [{**entry, "at": entry["at"].isoformat()}
                           for entry in measure["history"]]
        out.append(item)
    return out
