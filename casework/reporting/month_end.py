"""The state of an area's cases at the end of a month, replayed from events, and what the
report counts of it: the cases open at each handling level and, of those, the overdue ones
(``open_end``, ``overdue_end``).

Every figure is read from events, never from today's case rows alone, so a closed month's
report is the same every time it is run: a case's state at the end of M is the replay of its
events dated before that end.
"""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import groupby

from sqlalchemy import func, literal, select
from sqlalchemy.orm import Session

from casework.lifecycle.projection import replay
from casework.people.access import inside_area
from casework.storage.models import Case, Event
from casework.workflow import Workflow

# The event columns projection.project reads: enough to replay a case without whole rows.
REPLAYED = (Event.case_id, Event.seq, Event.action, Event.from_level, Event.to_level,
            Event.to_status, Event.at, Event.due_at, Event.warn_at, Event.village_code)
REPLAY_BATCH = 500  # case ids in one IN list (SQLite allows some thousands of parameters)
NEVER = datetime(9999, 12, 31, tzinfo=UTC)  # "not concluded" where a time is compared


def states_at(session: Session, cut: datetime, area: str | None) -> dict[int, dict]:
    """The state at ``cut`` of every case of ``area`` open at ``cut``: received before it and
    not concluded for good by then (see counting.concluded_by).

    Which index finds them depends on the month.  A recent one's are the cases open now or
    concluded since (few: the index on concluded_at); an old one's are among the cases received
    before it (fewer than those concluded since: the index on received_at).  Each query hides
    the other column in an expression, so that SQLite, which plans without knowing how many
    rows a range holds, takes the index meant (ix_cases_county_concluded for an area).

    A case with no event at or after ``cut`` is at ``cut`` what its row says (the row is the
    replay of its events): only the others are replayed from their events before ``cut``.  For
    the month in progress that is none of them."""
    # Two statements: each is one index seek, together in one SELECT they are a table scan.
    first = session.execute(select(func.min(Case.received_at))).scalar_one()
    last = session.execute(select(func.max(Case.last_event_at))).scalar_one()
    if first is None:
        return {}
    # Ranges are closed on both sides by the oldest receipt and the newest event, which bound
    # every case's times anyway: SQLite takes a one-sided range for a quarter of the table and
    # would rather scan it (a second on a province's 3 million cases).
    if cut - first < last - cut:  # an old month
        queries = [(Case.received_at >= first, Case.received_at < cut,
                    func.coalesce(Case.concluded_at, literal(NEVER, Case.concluded_at.type))
                    >= cut)]
    else:
        # Two queries, not an OR, which SQLite also weighed against a scan.
        received = func.coalesce(Case.received_at, Case.received_at) < cut
        queries = [(received, Case.concluded_at.is_(None)),
                   (received, Case.concluded_at.between(cut, last))]
    columns = (Case.id, Case.level, Case.status, Case.due_at, Case.waiting_since,
               Case.village_code, Case.last_event_at, Case.received_at)
    states, moved = {}, []
    for conditions in queries:
        rows = session.execute(select(*columns).where(*conditions, inside_area(area or "")))
        for row in rows:
            if row.last_event_at < cut:
                states[row.id] = {"level": row.level, "status": row.status,
                                  "due_at": row.due_at, "waiting_since": row.waiting_since,
                                  "village_code": row.village_code}
            else:
                moved.append((row.received_at, row.id))
    # In order of receipt, so that each batch's events lie in a short span of time: no event
    # precedes its case's receipt, and with the events in monthly partitions (partitions.py)
    # only that span's partitions are read.
    moved.sort()
    for start in range(0, len(moved), REPLAY_BATCH):
        batch = moved[start:start + REPLAY_BATCH]
        events = session.execute(
            select(*REPLAYED).where(Event.case_id.in_([case_id for _, case_id in batch]),
                                    Event.at >= batch[0][0], Event.at < cut)
            .order_by(Event.case_id, Event.seq))
        for case_id, of_case in groupby(events, key=lambda row: row.case_id):
            of_case = list(of_case)
            states[case_id] = {**replay(of_case), "village_code": of_case[0].village_code}
    return states


def count_open_at_end(workflow: Workflow, tally, states: dict[int, dict], cut: datetime,
                      width: int) -> None:
    """open_end and overdue_end per handling level, into ``tally`` (sub-area -> Counter)."""
    handling = {level.id for level in workflow.handling_levels()}
    for state in states.values():
        status = workflow.statuses[state["status"]]
        if state["level"] not in handling or status.concluded:
            continue
        counts, level = tally[state["village_code"][:width]], state["level"]
        counts[f"level.{level}.open_end"] += 1
        # A waiting case's clock stopped when it began to wait: judge its deadline then.
        clock = cut if status.clock_running else (state["waiting_since"] or cut)
        if state["due_at"] is not None and state["due_at"] < clock:
            counts[f"level.{level}.overdue_end"] += 1
