"""Row-level concurrency between PROCESSES, as several gunicorn workers produce it.

Each test runs on PostgreSQL (skipped, with the reason, without CASEWORK_TEST_DATABASE_URL)
and on SQLite, whose one-writer-at-a-time BEGIN IMMEDIATE must give the same answers.  Every
child process builds its own engine (nothing is shared across the fork) and waits at a barrier,
so that the intakes and actions really meet.
"""

from __future__ import annotations

import multiprocessing
import traceback
from collections import Counter

from conftest import COUNTY, DATA_KEY, VILLAGE_A1, VILLAGE_B1, WORKFLOW, petition
from sqlalchemy import func, select

from casework.bootstrap import bootstrap
from casework.config import Settings
from casework.errors import StaleVersion
from casework.lifecycle.actions import perform
from casework.lifecycle.intake import receive
from casework.people.access import Actor
from casework.storage.db import reading
from casework.storage.models import Case, Event

FORK = multiprocessing.get_context("fork")
PROCESSES = 4


def _in_child(url: str, barrier, results, work) -> None:
    try:
        cw = bootstrap(Settings(database_url=url, workflow_path=WORKFLOW, data_key=DATA_KEY))
        barrier.wait(timeout=60)
        results.put(("ok", work(cw)))
        cw.engine.dispose()
    except BaseException:  # noqa: BLE001  (the parent reports what went wrong)
        results.put(("error", traceback.format_exc()))


def in_processes(cw, works) -> list:
    """Run each ``work(cw)`` in its own process, all released together; their results."""
    barrier, results = FORK.Barrier(len(works)), FORK.Queue()
    cw.engine.dispose()  # the children must not inherit the parent's connections
    children = [FORK.Process(target=_in_child, args=(cw.settings.database_url, barrier,
                                                      results, work)) for work in works]
    for child in children:
        child.start()
    answers = [results.get(timeout=180) for _ in children]
    for child in children:
        child.join(timeout=60)
    failures = [text for kind, text in answers if kind == "error"]
    assert not failures, failures[0]
    return [value for _, value in answers]


def _intakes(actor: Actor, count: int, villages: tuple[str, ...]):
    def work(cw) -> list[str]:
        return [receive(cw, actor, petition(village_code=villages[i % len(villages)])).number
                for i in range(count)]
    return work


def test_parallel_intake_gives_gapless_unique_numbers(cw, people):
    operator, per_process = people["operator"], 15
    numbers = [n for batch in in_processes(cw, [
        _intakes(operator, per_process, (VILLAGE_A1, VILLAGE_B1)) for _ in range(PROCESSES)])
        for n in batch]

    total = PROCESSES * per_process
    assert len(numbers) == len(set(numbers)) == total
    years = {n.split("-")[1] for n in numbers}
    assert len(years) == 1
    year = years.pop()
    assert sorted(numbers) == [f"{COUNTY}-{year}-{seq:06d}" for seq in range(1, total + 1)]
    with reading(cw.engine) as session:
        cases = session.execute(select(func.count()).select_from(Case)).scalar_one()
        intake_events = session.execute(select(func.count()).select_from(Event)
                                        .where(Event.action == "intake")).scalar_one()
    assert cases == intake_events == total


def _act(actor: Actor, number: str, body: dict):
    def work(cw) -> str:
        try:
            return f"won: version {perform(cw, actor, number, body).version}"
        except StaleVersion as refused:
            return f"stale: version {refused.version}"
    return work


def _one_winner(cw, actor: Actor, body_of) -> Case:
    case = receive(cw, actor, petition())
    answers = in_processes(cw, [_act(actor, case.number, body_of(case.version, i))
                                for i in range(PROCESSES)])
    assert Counter(a.split(":")[0] for a in answers) == {"won": 1, "stale": PROCESSES - 1}
    with reading(cw.engine) as session:
        row = session.execute(select(Case).where(Case.number == case.number)).scalar_one()
        events = session.execute(select(Event.seq).where(Event.case_id == row.id)
                                 .order_by(Event.seq)).scalars().all()
    assert row.version == case.version + 1
    assert events == [1, 2]  # the intake and the one winner's event, nothing else
    assert f"won: version {row.version}" in answers
    # Every loser is told the version the winner left, whenever it lost: before its read or
    # (PostgreSQL) waiting on the winner's row lock.
    assert answers.count(f"stale: version {row.version}") == PROCESSES - 1
    return row


def test_parallel_notes_on_one_case_have_one_winner(cw, people):
    # A note is legal in every state: only the version decides who wins.
    _one_winner(cw, people["operator"],
                lambda version, i: {"action": "note", "version": version, "note": f"note {i}"})


def test_parallel_accepts_on_one_case_have_one_winner(cw, people):
    row = _one_winner(cw, people["village_a1"],
                      lambda version, _i: {"action": "accept", "version": version})
    assert row.status == "in_progress"
