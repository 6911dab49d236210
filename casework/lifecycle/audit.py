"""``casework audit verify``: every case's events against their hash chain, and every case row
against the replay of its events.

What is found, named by case number and event seq:
- an event whose content no longer gives its hash: *altered* (any column the hash covers,
  casework/lifecycle/chain.py, or its hashes themselves);
- an event that gives its hash only under another seq: *out of order* (two events swapped,
  or renumbered);
- an event that gives no hash of its own and that the next event (or the case row's chain head)
  skips: *inserted*;
- a gap in the seqs, or fewer events than the case row records: *missing*;
- an event whose content is intact but which does not follow the one before: *chain broken*;
- a case row whose projection (level, status, deadline, flags, last seq, version, chain head)
  is not the replay of its events.

The chain is taken over an event's plaintext (casework/lifecycle/chain.py), so its note and the
narrative fields of its data are opened with the data key first; a text that does not open
(not sealed as Casework seals it, or sealed under another field or key) is reported as
*altered*, whatever its hash says.

Views of petitioner data are in the chain like any change: showing a phone and ID number in
full is the ``view_phone`` event (casework.lifecycle.cases.reveal_phone); lists, the case page and
the caller screen show them masked.  The only exports are the monthly report files, which carry
figures only (casework.reporting.report_files.figures_only), so no export shows petitioner data to
record; a case-list export, if one is ever added, must write an event per export.

Two cursors stream the cases and the events side by side in case order (server-side cursors on
PostgreSQL, SQLite's lazy cursor), one case's events in memory at a time: memory stays flat
whatever the history's size.  Both read one snapshot (one transaction; REPEATABLE READ on
PostgreSQL), so actions taken meanwhile are not mistaken for damage.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Iterator
from contextlib import ExitStack, closing
from dataclasses import dataclass

from sqlalchemy import Engine, select

from casework.errors import NotFound
from casework.lifecycle.chain import FIELDS, canonical, digest
from casework.lifecycle.projection import PROJECTED, START, project_row
from casework.privacy.crypto import Keyring, TamperedData
from casework.privacy.narratives import NARRATIVE_DATA, keyring_of, open_data, open_note
from casework.storage.models import Case, Event

CASES = Case.__table__
EVENTS = Event.__table__
BATCH = 2000
# How many other seqs an event that fails its hash is tried under (to tell a swap from an edit).
TRIED_SEQS = 64


@dataclass(frozen=True)
class Problem:
    number: str
    seq: int | None
    what: str

    def __str__(self) -> str:
        where = f"case {self.number}" + ("" if self.seq is None else f" seq {self.seq}")
        return f"{where}: {self.what}"


@dataclass
class Tally:
    cases: int = 0
    events: int = 0
    problems: int = 0


def verify(engine: Engine, *, number: str | None = None,
           report: Callable[[Problem], None] = print, keyring: Keyring | None = None) -> Tally:
    """Check every case (or case ``number``: NotFound if there is none); each problem is
    given to ``report`` as it is found.  The counts checked and found.  ``keyring`` opens the
    events' texts (default: the keys casework.bootstrap registered for ``engine``), asked for
    only when an event holds one."""
    tally = Tally()
    opener = _Opener(engine, keyring)
    options = {"isolation_level": "REPEATABLE READ"} if engine.dialect.name == "postgresql" else {}
    with (engine.connect().execution_options(**options) as connection, connection.begin(),
          ExitStack() as stack):
        case_query = select(CASES.c.id, CASES.c.number, CASES.c.last_hash, CASES.c.urgency,
                            *(CASES.c[name] for name in PROJECTED)).order_by(CASES.c.id)
        event_query = (select(EVENTS.c.case_id, EVENTS.c.prev_hash, EVENTS.c.hash,
                              *(EVENTS.c[name] for name in FIELDS))
                       .order_by(EVENTS.c.case_id, EVENTS.c.seq))
        if number is not None:
            case_id = connection.execute(select(CASES.c.id).where(CASES.c.number == number)
                                         ).scalar_one_or_none()
            if case_id is None:
                raise NotFound(f"no case {number}")
            case_query = case_query.where(CASES.c.id == case_id)
            event_query = event_query.where(EVENTS.c.case_id == case_id)
        # Two server-side cursors (PostgreSQL) read side by side; each is closed when its
        # block ends, read to the end or not, before the connection is given back.
        cases = stack.enter_context(
            closing(connection.execute(case_query.execution_options(yield_per=BATCH))))
        event_rows = stack.enter_context(
            closing(connection.execute(event_query.execution_options(yield_per=BATCH))))
        events = _by_case(event_rows)
        pending = next(events, None)
        for case in cases:
            # Events of a case id with no case row cannot be: events.case_id is a foreign key.
            while pending is not None and pending[0] < case.id:
                pending = next(events, None)
            own = []
            if pending is not None and pending[0] == case.id:
                own, pending = pending[1], next(events, None)
            tally.cases += 1
            tally.events += len(own)
            own = [opener.opened(row) for row in own]
            for problem in check_case(case, own):
                tally.problems += 1
                report(problem)
    return tally


def _by_case(rows) -> Iterator[tuple[int, list]]:
    """(case id, its event rows in seq order) from rows ordered by case id and seq."""
    current, own = None, []
    for row in rows:
        if row.case_id != current:
            if own:
                yield current, own
            current, own = row.case_id, []
        own.append(row)
    if own:
        yield current, own


def _hash_of(number: str, event, seq: int | None = None) -> str:
    fields = list(event[3:])
    if seq is not None:
        fields[0] = seq
    return digest(canonical(number, *fields, event.prev_hash))


EVENT_ROW = ("case_id", "prev_hash", "hash", *FIELDS)


class OpenedEvent(namedtuple("OpenedEvent", EVENT_ROW)):  # noqa: PYI024
    """An event row of verify's query with its texts opened; ``sealed_right`` is False when
    one of them did not open."""

    __slots__ = ()
    sealed_right = True

    @property
    def _mapping(self) -> dict:
        return self._asdict()


class _BadlySealed(OpenedEvent):
    __slots__ = ()
    sealed_right = False


class _Opener:
    NOTE, DATA = EVENT_ROW.index("note"), EVENT_ROW.index("data")

    def __init__(self, engine: Engine, keyring: Keyring | None) -> None:
        self.engine, self.keyring = engine, keyring

    def opened(self, row) -> OpenedEvent:
        values = list(row)
        note, data = values[self.NOTE], values[self.DATA]
        if not note and not any(name in data for name in NARRATIVE_DATA):
            return OpenedEvent(*values)
        if self.keyring is None:
            self.keyring = keyring_of(self.engine)
        try:
            values[self.NOTE] = open_note(self.keyring, note)
            values[self.DATA] = open_data(self.keyring, data)
        except TamperedData:
            return _BadlySealed(*values)
        return OpenedEvent(*values)


def check_case(case, events: list) -> Iterator[Problem]:
    """The problems of one case: ``case`` a row of verify's case query, ``events`` its rows of
    the event query in seq order, their texts opened (``OpenedEvent``)."""
    number = case.number
    if not events:
        yield Problem(number, None, "no events: the case has lost its history")
        return
    seqs = {event.seq for event in events}
    intact = [getattr(event, "sealed_right", True) and _hash_of(number, event) == event.hash
              for event in events]
    previous_hash, expected = None, 1
    for index, event in enumerate(events):
        seq = event.seq
        if seq > expected:
            gap = str(expected) if seq == expected + 1 else f"{expected}-{seq - 1}"
            yield Problem(number, expected, f"missing (no event {gap})")
        if not intact[index]:
            yield Problem(number, seq, _failed(case, events, index, seqs))
        elif event.prev_hash != previous_hash and seq == expected and (
                index == 0 or intact[index - 1]):
            yield Problem(number, seq, "chain broken: it does not follow the event before it")
        previous_hash, expected = event.hash, seq + 1
    if case.last_event_seq >= expected:
        gap = str(expected) if case.last_event_seq == expected else (
            f"{expected}-{case.last_event_seq}")
        yield Problem(number, expected, f"missing (no event {gap}; the case row records "
                                        f"{case.last_event_seq} events)")
    differs = _replay_differs(case, events)
    if differs:
        yield Problem(number, events[-1].seq,
                      "the case row differs from the replay of its events: " + ", ".join(differs))


def _failed(case, events: list, index: int, seqs: set[int]) -> str:
    """Why an event's content does not give its hash: out of order, inserted or altered."""
    event = events[index]
    number = case.number
    tried = sorted(seqs | {event.seq - 1, event.seq + 1}, key=lambda s: abs(s - event.seq))
    for other in tried[:TRIED_SEQS]:
        if other != event.seq and other > 0 and _hash_of(number, event, other) == event.hash:
            return f"out of order: it was written as seq {other}"
    before = events[index - 1].hash if index else None
    after = events[index + 1].prev_hash if index + 1 < len(events) else case.last_hash
    if index and after == before:
        return "inserted: the chain goes from the event before it to the one after it"
    if not getattr(event, "sealed_right", True):
        return "altered: its text is not sealed as Casework seals it"
    return "altered: its content does not give its hash"


def _replay_differs(case, events: list) -> list[str]:
    state = dict(START)
    for event in events:
        state = project_row(state, event._mapping)
    differs = [name for name in PROJECTED if state[name] != getattr(case, name)]
    # Cases taken in before the intake event carried the urgency, and never assessed, have
    # nothing to compare it with.
    if "urgency" in state and state["urgency"] != case.urgency:
        differs.append("urgency")
    if case.last_hash != events[-1].hash:
        differs.append("last_hash")
    return differs
