"""What every reliability test checks after the damage: each case row is the replay of its
events, numbered 1..n without a gap, and no case stands without its events."""

from __future__ import annotations

from dataclasses import dataclass, field

from conftest import DATA_KEY
from sqlalchemy import Engine, select

from casework.lifecycle.audit import verify
from casework.lifecycle.projection import PROJECTED, projected_columns, replay
from casework.privacy.crypto import Keyring
from casework.storage.db import reading
from casework.storage.models import Case, Event


@dataclass
class Ledger:
    """What a database holds: case numbers, (case number, seq, action) of every event."""

    numbers: set[str] = field(default_factory=set)
    events: set[tuple[str, int, str]] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)

    def flags(self, action: str) -> dict[str, int]:
        counts: dict[str, int] = {}
        for number, _, name in self.events:
            if name == action:
                counts[number] = counts.get(number, 0) + 1
        return counts


def examine(engine: Engine) -> Ledger:
    with reading(engine) as session:
        cases = session.execute(select(Case)).scalars().all()
        events = session.execute(select(Event).order_by(Event.case_id, Event.seq)
                                 ).scalars().all()
    by_case: dict[int, list[Event]] = {}
    for event in events:
        by_case.setdefault(event.case_id, []).append(event)
    found = Ledger()
    for case in cases:
        own = by_case.pop(case.id, [])
        found.numbers.add(case.number)
        found.events.update((case.number, e.seq, e.action) for e in own)
        if [e.seq for e in own] != list(range(1, len(own) + 1)) or not own:
            found.problems.append(f"{case.number}: events {[e.seq for e in own]}")
            continue
        replayed = replay(own)
        if {k: replayed[k] for k in PROJECTED} != projected_columns(case):
            found.problems.append(f"{case.number}: row differs from the replay of its events")
    for case_id in by_case:
        found.problems.append(f"events of a case id {case_id} that has no row")
    # And the audit trail: every event's hash chain intact, as `casework audit verify` checks.
    # The engine may be a bare one (a restored copy): the tests' key opens its texts.
    verify(engine, report=lambda problem: found.problems.append(f"audit: {problem}"),
           keyring=Keyring.from_texts(DATA_KEY))
    return found
