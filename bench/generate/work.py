"""One month of planned cases simulated into finished rows, in a worker process.

The rows come back in one form that both databases take: times as the UTC text SQLite stores
(``casework.lifecycle.chain.utc_text``, which PostgreSQL's COPY reads as its naive UTC
``timestamp``),
booleans as 0/1, JSON as its text, sealed petitioner data as bytes.  Converting each value in
the worker, once, is what keeps the parent (which only writes) from becoming the bottleneck.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass

from bench.generate.plan import MonthPlan
from bench.generate.shapes import SUMMARIES, SURNAMES
from bench.generate.simulate import CaseSim
from bench.rows import case_row, chain, sqlite_value
from casework.lifecycle.projection import replay
from casework.privacy.narratives import NARRATIVE_DATA, NOTE, SUMMARY, seal_data, seal_text
from casework.privacy.petitioners import SEALED, PetitionerData, sealed_columns

_WORLD: dict = {}


def start_worker(cw, users, now, notes: float, key) -> None:
    """Pool initializer: what every month's simulation shares (inherited, not pickled)."""
    _WORLD.update(cw=cw, users=users, now=now, notes=notes, key=key)


@dataclass
class MonthRows:
    month: tuple[int, int]
    petitioners: list[tuple]
    cases: list[tuple]
    events: list[tuple]


NOTE_AT, DATA_AT = 10, 11  # in rows.EVENT_COLUMNS


def sealed_row(key, row: tuple) -> tuple:
    """An event's stored row (``Ev.text_row``) with its note and reasons sealed."""
    note, data = row[NOTE_AT], row[DATA_AT]
    if not isinstance(data, str):
        data = json.dumps(data, ensure_ascii=False)
    narrative = any(f'"{name}"' in data for name in NARRATIVE_DATA)
    if not note and not narrative:
        return row
    if narrative:
        data = json.dumps(seal_data(key, json.loads(data)), ensure_ascii=False)
    return (*row[:NOTE_AT], seal_text(key, NOTE, note), data, *row[DATA_AT + 1:])


def simulate_month(plan: MonthPlan) -> MonthRows:
    world = _WORLD
    rng = random.Random(plan.seed)
    people = random.Random(f"{plan.seed}-people")
    sim = CaseSim(world["cw"], world["users"], rng, world["now"], world["notes"])
    key = world["key"]
    petitioners, cases, events = [], [], []
    recent_phones: list[int] = []
    for received, village, stuck, case_id, number in plan.cases:
        fields, evs = sim.run(received, village, stuck=stuck)
        last_hash = chain(number, village, evs)
        if recent_phones and people.random() < 0.05:
            phone = people.choice(recent_phones)  # a caller who called before
        else:
            phone = 13000000000 + people.randrange(10**9)
            recent_phones.append(phone)
        sealed = sealed_columns(key, PetitionerData(name=people.choice(SURNAMES) + "某",
                                                    phone=str(phone)))
        petitioners.append((case_id, sealed["key_id"],
                            *(sealed[f"{name}_sealed"] for name in SEALED),
                            sealed["phone_hash"],
                            "female" if people.random() < 0.95 else "male",
                            people.choice(("18_34", "35_59", "60_plus"))))
        # Sealed as the engine stores them, after the chain took their plaintext.
        events += [sealed_row(key, ev.text_row(case_id, village)) for ev in evs]
        county, year, seq = number[:6], int(number[7:11]), int(number[12:])
        summary = seal_text(key, SUMMARY, people.choice(SUMMARIES))
        row = case_row(case_id, number, county, year, seq, fields["channel"],
                       fields["category"], fields["urgency"], summary, case_id,
                       village, received, replay(evs), last_hash)
        cases.append(tuple(map(sqlite_value, row)))
    events.sort(key=lambda row: row[9])  # by time, as the engine would have inserted them
    return MonthRows(plan.month, petitioners, cases, events)
