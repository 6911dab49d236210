"""``casework serve`` for real: gunicorn in its own process, on a free port, on SQLite and on
PostgreSQL; with several workers the scheduler stays out of them, with one it runs inside."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from conftest import DATA_KEY, VILLAGE_A1, WORKFLOW

from casework.people.users import create_token

CASEWORK = Path(sys.executable).with_name("casework")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(url: str, *, token: str | None = None, body: dict | None = None) -> tuple[int, dict]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def children(pid: int) -> list[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return [int(x) for x in text.split()]


def workers_of(pid: int, expected: int) -> list[int]:
    """The master's worker processes, once it has forked ``expected`` of them (a loaded machine
    may answer /healthz from the first before the master forks the second)."""
    deadline = time.monotonic() + 20
    while len(found := children(pid)) < expected and time.monotonic() < deadline:
        time.sleep(0.1)
    return found


class Server:
    def __init__(self, cw, log: Path, *extra: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "CASEWORK_DATABASE_URL": cw.settings.database_url,
               "CASEWORK_WORKFLOW": str(WORKFLOW),
               "CASEWORK_SECRET_KEY": "serve-test-key-" + "0" * 32,
               "CASEWORK_SCAN_INTERVAL": "1", "CASEWORK_SMTP_URL": "", "CASEWORK_WEBHOOK_URL": "",
               "CASEWORK_DATA_KEY": DATA_KEY}
        self.log = log
        # The child keeps its own copy of the log's descriptor; ours closes at once.
        with log.open("wb") as output:
            self.process = subprocess.Popen(
                [str(CASEWORK), "serve", "--port", str(self.port), *extra], env=env,
                stdout=output, stderr=subprocess.STDOUT)

    def wait_up(self, seconds: float = 60) -> dict:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"the server stopped: {self.log.read_text()[-2000:]}")
            try:
                status, body = call(f"{self.base}/healthz")
                if status == 200:
                    return body
            except OSError:
                pass
            time.sleep(0.2)
        pytest.fail(f"the server did not answer in {seconds} s: {self.log.read_text()[-2000:]}")

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise


@pytest.fixture
def serve(cw, tmp_path):
    servers: list[Server] = []

    def start(*extra: str) -> Server:
        server = Server(cw, tmp_path / f"serve-{len(servers)}.log", *extra)
        servers.append(server)
        return server

    yield start
    for server in servers:
        if server.process.poll() is None:
            server.stop()


INTAKE = {"channel": "hotline_12338", "village_code": VILLAGE_A1, "category": "marriage_family",
          "urgency": "normal", "summary": "离婚后子女抚养费未按时支付",
          "petitioner": {"name": "李某", "phone": "13800001111", "gender": "female",
                         "age_group": "35_59"}}


def test_two_workers_answer_and_run_no_scheduler(cw, people, serve):
    token = create_token(cw, people["operator"].username)
    server = serve("--workers", "2")
    assert server.wait_up() == {"status": "ok"}  # anyone gets the status alone
    assert call(f"{server.base}/healthz", token=token)[1]["database"] is True
    assert len(workers_of(server.process.pid, 2)) == 2

    status, created = call(f"{server.base}/api/v1/cases", token=token, body=INTAKE)
    assert status == 201, created
    status, listing = call(f"{server.base}/api/v1/cases", token=token)
    assert status == 200
    assert [item["number"] for item in listing["items"]] == [created["number"]]
    status, _ = call(f"{server.base}/api/v1/cases")
    assert status == 401
    status, earlier = call(f"{server.base}/api/v1/callers/13800001111/cases", token=token)
    assert status == 200 and earlier

    time.sleep(3)  # three scan intervals: a scheduler inside a worker would have scanned
    assert call(f"{server.base}/healthz", token=token)[1]["scheduler_last_scan"] is None
    assert server.stop() == 0
    log = server.log.read_text()
    assert "run `casework scheduler` beside them" in log
    assert '"GET /api/v1/callers/***/cases" 200' in log
    assert "13800001111" not in log  # no petitioner data in logs


def test_one_worker_runs_the_scheduler_inside(cw, people, serve):
    token = create_token(cw, people["operator"].username)
    server = serve("--workers", "1", "--threads", "2")
    server.wait_up()
    deadline = time.monotonic() + 30
    while call(f"{server.base}/healthz", token=token)[1]["scheduler_last_scan"] is None:
        assert time.monotonic() < deadline, server.log.read_text()[-2000:]
        time.sleep(0.3)
    assert len(workers_of(server.process.pid, 1)) == 1
    assert server.stop() == 0


@pytest.mark.parametrize("args, message", [
    (["--bind", "127.0.0.1:1", "--port", "5001"], "--bind replaces --port"),
    (["--bind", "unix:"], "HOST:PORT or unix:PATH"),
    (["--workers", "0"], "--workers"),
])
def test_bad_options_are_refused(args, message):
    result = subprocess.run([str(CASEWORK), "serve", *args], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 2
    assert message in result.stderr


@pytest.mark.parametrize("command", ["serve", "demo"])
def test_a_taken_port_stops_serve_and_demo_in_one_sentence_before_any_work(tmp_path, command):
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = subprocess.run(
            [str(CASEWORK), command, "--port", str(port)], capture_output=True, text=True,
            timeout=60, cwd=tmp_path,
            env={**os.environ, "CASEWORK_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"})
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Building" not in result.stdout and "password" not in result.stdout
    assert not (tmp_path / "instance").exists() and not (tmp_path / "x.db").exists()


def _post_at_once(url: str, token: str, body: dict, barrier, results) -> None:
    barrier.wait(timeout=60)
    results.put(call(url, token=token, body=body))


def test_parallel_actions_over_http_one_winner_the_rest_409(cw, people, serve):
    """Several client processes press the same button on one case at once, served by two
    workers: one answer 200, every other 409 stale_version with the case's new version."""
    token = create_token(cw, people["operator"].username)
    server = serve("--workers", "2")
    server.wait_up()
    status, case = call(f"{server.base}/api/v1/cases", token=token, body=INTAKE)
    assert status == 201
    url = f"{server.base}/api/v1/cases/{case['number']}/actions"
    fork = multiprocessing.get_context("fork")
    clients, barrier, results = 6, fork.Barrier(6), fork.Queue()
    processes = [fork.Process(target=_post_at_once, args=(
        url, token, {"action": "note", "version": case["version"], "note": f"第{i}次"},
        barrier, results)) for i in range(clients)]
    for p in processes:
        p.start()
    answers = [results.get(timeout=60) for _ in processes]
    for p in processes:
        p.join()
    statuses = sorted(status for status, _ in answers)
    assert statuses == [200] + [409] * (clients - 1)
    new_version = case["version"] + 1
    assert all(body["error"] == "stale_version" and body["version"] == new_version
               for status, body in answers if status == 409)
    status, detail = call(f"{server.base}/api/v1/cases/{case['number']}", token=token)
    assert detail["version"] == new_version
    assert [e["action"] for e in detail["events"]] == ["intake", "note"]
