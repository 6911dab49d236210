"""Real Casework processes for the crash tests: started in a process group of their own, so
that SIGKILL takes the gunicorn master and its workers down together, as a power cut would."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests
from conftest import DATA_KEY, WORKFLOW

LONG = os.environ.get("CASEWORK_LONG_TESTS", "").strip() not in ("", "0")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def environment(database_url: str, **extra: str) -> dict[str, str]:
    return {**os.environ, "CASEWORK_DATABASE_URL": database_url,
            "CASEWORK_WORKFLOW": str(WORKFLOW), "CASEWORK_SECRET_KEY": "crash-test-key-" + "0" * 32,
            "CASEWORK_SMTP_URL": "", "CASEWORK_WEBHOOK_URL": "", "CASEWORK_DATA_KEY": DATA_KEY,
            **extra}


class Process:
    """``casework ARGS`` in its own session; its output goes to a log file."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        with log.open("ab") as out:
            self.popen = subprocess.Popen([sys.executable, "-m", "casework", *args], env=env,
                                          stdout=out, stderr=subprocess.STDOUT,
                                          start_new_session=True)

    def kill(self) -> None:
        """SIGKILL to the whole group: no handler runs, nothing is flushed or closed."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(30)

    def alive(self) -> bool:
        return self.popen.poll() is None


def serve(database_url: str, log: Path, attempts: int = 3) -> tuple[Process, str]:
    """A running ``casework serve`` (gunicorn) and its base address, once /healthz answers."""
    for attempt in range(attempts):
        try:
            return _serve_once(database_url, log)
        except PortTaken:
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")


class PortTaken(AssertionError):
    """Another process took the free port between our probe and gunicorn's bind."""


def _serve_once(database_url: str, log: Path) -> tuple[Process, str]:
    port = free_port()
    server = Process(["serve", "--port", str(port)], environment(
        database_url, CASEWORK_SCAN_INTERVAL="3600"), log)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if not server.alive():
            tail = log.read_text(errors="replace")[-3000:]
            if "Address already in use" in tail:
                raise PortTaken(tail)
            raise AssertionError(f"the server stopped:\n{tail}")
        try:
            if requests.get(f"{base}/healthz", timeout=2).status_code == 200:
                return server, base
        except requests.RequestException:
            pass
        time.sleep(0.1)
    server.kill()
    raise AssertionError(f"the server did not answer /healthz:\n{log.read_text()[-3000:]}")


def record(tmp_path: Path, name: str, figures: dict) -> Path:
    """The figures as JSON in the test's folder, and on stdout for docs/reliability.md."""
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"\n{name}: {json.dumps(figures)}")
    return path
