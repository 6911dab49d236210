"""The real server's access log (gunicorn, as ``casework serve`` runs it) never shows a
caller's phone number, although the screen pop's address carries it (DESIGN.md)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from conftest import DATA_KEY, petition

from casework.lifecycle.intake import receive
from casework.people.users import create_token
from webui.access_log import mask

ON_SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
PHONE = "13812345678"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_up(url: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert server.poll() is None, "the server stopped"
        try:
            urllib.request.urlopen(url + "/healthz", timeout=2)
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("the server did not come up")


@ON_SQLITE
def test_the_access_log_masks_the_callers_phone(cw, people, database_url, tmp_path):
    receive(cw, people["operator"], petition())
    token = create_token(cw, people["operator"].username)
    port = free_port()
    log = tmp_path / "server.log"
    env = {**os.environ, "CASEWORK_DATABASE_URL": database_url,
           "CASEWORK_SECRET_KEY": "access-log-test-" + "0" * 32, "CASEWORK_SCAN_INTERVAL": "3600",
           "CASEWORK_DATA_KEY": DATA_KEY}
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "casework", "serve", "--port", str(port)],
            stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until_up(url, server)
        for phone in (PHONE, "+86" + PHONE, "138-1234-5678"):
            request = urllib.request.Request(
                f"{url}/api/v1/callers/{urllib.request.quote(phone)}/cases",
                headers={"Authorization": f"Bearer {token}"})
            with urllib.request.urlopen(request, timeout=10) as answer:
                assert answer.status == 200
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    text = log.read_text("utf-8", "replace")
    assert text.count("/api/v1/callers/***/cases") == 3, text
    for digits in (PHONE, "1234-5678", "12345678"):
        assert digits not in text, text


@pytest.mark.parametrize(("line", "masked"), [
    ("GET /api/v1/callers/13812345678/cases HTTP/1.1", "GET /api/v1/callers/***/cases HTTP/1.1"),
    ("/api/v1/callers/%2B8613812345678/cases", "/api/v1/callers/***/cases"),
    ("/cases/450330-2026-000001", "/cases/450330-2026-000001"),
])
def test_mask_hides_only_the_phone_segment(line, masked):
    assert mask(line) == masked
