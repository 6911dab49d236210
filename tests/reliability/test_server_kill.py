"""Kill the server (SIGKILL to gunicorn's process group) in the middle of a burst of intakes and
actions from several clients, restart it, and find every acknowledged case and event.

A request counts as acknowledged when the server answered 2xx: a 201 with the case number, a
200 with the case's new version (the event's sequence number).  Requests that were still
waiting for an answer when the server died may or may not have landed; either is fine, but
what landed must be whole.  CASEWORK_LONG_TESTS=1 runs many rounds.
"""

from __future__ import annotations

import random
import threading
import time

import requests
from conftest import VILLAGE_A2, petition
from consistency import examine
from processes import LONG, record, serve

from casework.people.users import create_token

ROUNDS = 25 if LONG else 2
CLIENTS = 8


class Burst:
    """Clients logging petitions and noting their own cases until the server goes away."""

    def __init__(self, base: str, token: str, seed: int) -> None:
        self.base, self.seed = base, seed
        self.headers = {"Authorization": f"Bearer {token}"}
        self.lock = threading.Lock()
        self.cases: set[str] = set()
        self.events: set[tuple[str, int, str]] = set()
        self.answered = self.in_flight = 0
        self.server_errors: list[str] = []
        self.killed_at: float | None = None

    def client(self, index: int) -> None:
        chance = random.Random(self.seed * 100 + index)
        mine: dict[str, int] = {}  # this client's cases and their versions
        session = requests.Session()
        while self.killed_at is None:
            started = time.monotonic()
            try:
                if not mine or chance.random() < 0.35:
                    village = chance.choice([petition()["village_code"], VILLAGE_A2])
                    answer = session.post(f"{self.base}/api/v1/cases", headers=self.headers,
                                          json=petition(village_code=village), timeout=30)
                else:
                    number = chance.choice(list(mine))
                    answer = session.post(
                        f"{self.base}/api/v1/cases/{number}/actions", headers=self.headers,
                        json={"action": "note", "version": mine[number], "note": "回访"},
                        timeout=30)
            except requests.RequestException:
                with self.lock:
                    if self.killed_at is not None and started < self.killed_at:
                        self.in_flight += 1
                return
            self.note(answer, mine)

    def note(self, answer: requests.Response, mine: dict[str, int]) -> None:
        with self.lock:
            self.answered += 1
            if answer.status_code >= 500:
                self.server_errors.append(f"{answer.status_code} {answer.text[:200]}")
            if answer.status_code not in (200, 201):
                return
            body = answer.json()
            last = body["events"][-1]
            mine[body["number"]] = body["version"]
            self.cases.add(body["number"])
            self.events.add((body["number"], body["version"], last["action"]))

    def acknowledged(self) -> int:
        with self.lock:
            return len(self.cases) + len(self.events)


def test_acknowledged_cases_and_events_survive_a_kill(cw, people, tmp_path):
    token = create_token(cw, people["operator"].username)
    chance = random.Random(66)
    log = tmp_path / "server.log"
    totals = {"database": cw.engine.dialect.name, "rounds": ROUNDS, "clients": CLIENTS,
              "in_flight_when_killed": 0, "acknowledged_cases": 0, "acknowledged_events": 0,
              "found_cases": 0, "found_events": 0, "answers": 0, "server_errors": 0}
    for round_ in range(ROUNDS):
        server, base = serve(str(cw.engine.url.render_as_string(hide_password=False)), log)
        burst = Burst(base, token, round_)
        clients = [threading.Thread(target=burst.client, args=(i,), daemon=True)
                   for i in range(CLIENTS)]
        for thread in clients:
            thread.start()
        # Kill at a different point each round, but always mid-burst.
        target = chance.randint(20, 120)
        deadline = time.monotonic() + 60
        while burst.acknowledged() < target and time.monotonic() < deadline:
            time.sleep(0.005)
        burst.killed_at = time.monotonic()
        server.kill()
        for thread in clients:
            thread.join(60)
        assert burst.acknowledged() >= target, "the burst never got going"

        # Restart, and ask the restarted server for every acknowledged case.
        server, base = serve(str(cw.engine.url.render_as_string(hide_password=False)), log)
        try:
            found_events = set()
            for number in burst.cases:
                answer = requests.get(f"{base}/api/v1/cases/{number}", headers=burst.headers,
                                      timeout=30)
                assert answer.status_code == 200, (number, answer.status_code)
                found_events.update((number, e["seq"], e["action"])
                                    for e in answer.json()["events"])
        finally:
            server.kill()
        held = examine(cw.engine)
        assert not held.problems, held.problems[:5]
        assert burst.cases <= held.numbers
        assert burst.events <= found_events <= held.events
        assert not burst.server_errors, burst.server_errors[:3]
        totals["in_flight_when_killed"] += burst.in_flight
        totals["acknowledged_cases"] += len(burst.cases)
        totals["acknowledged_events"] += len(burst.events)
        totals["found_cases"] += len(burst.cases & held.numbers)
        totals["found_events"] += len(burst.events & held.events)
        totals["answers"] += burst.answered
    record(tmp_path, f"server-kill-{totals['database']}", totals)
    assert totals["found_cases"] == totals["acknowledged_cases"]
    assert totals["found_events"] == totals["acknowledged_events"]
