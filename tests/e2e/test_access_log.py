"""The real server's access log (gunicorn, as ``casework serve`` runs it) never shows a
caller's phone number, although the screen pop's address carries it (DESIGN.md)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
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
        asked = {  # the path as sent: how a client may spell a phone, valid or not
            f"/api/v1/callers/{quote(phone)}/cases": 200
            for phone in (PHONE, "+86" + PHONE, "138-1234-5678", "+86 139 0000 0001",
                          "0773 555 1234", "555-1234")}
        asked |= {"/api/v1/callers/%2b86%20139-0000%200001/cases": 200,
                  f"/api/v1/callers/{quote('not a phone 1390000 0002')}/cases": 422,
                  "/api/v1/callers/139%2F0000%2F0003/cases": 404,
                  "/api/v1/cases/13900000004": 404, "/cases/139-0000-0005": 404}
        for path, status in asked.items():
            request = urllib.request.Request(url + path,
                                             headers={"Authorization": f"Bearer {token}"})
            assert answer_status(request) == status, path
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    text = log.read_text("utf-8", "replace")
    assert text.count("/api/v1/callers/***/cases") == 9, text
    assert '"GET /api/v1/cases/***"' in text and '"GET /cases/***"' in text, text
    for digits in (PHONE, "1234-5678", "12345678", "139 0000 0001", "%200000%20", "555 1234",
                   "5551234", "555-1234", "1390000", "0000 0002", "0003", "13900000004",
                   "139-0000-0005"):
        assert digits not in text, (digits, text)


def answer_status(request) -> int:
    class Stay(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    try:
        with urllib.request.build_opener(Stay).open(request, timeout=10) as answer:
            return answer.status
    except urllib.error.HTTPError as refused:
        return refused.code


def quote(text: str) -> str:
    return urllib.parse.quote(text, safe="")


@pytest.mark.parametrize(("line", "masked"), [
    ("GET /api/v1/callers/13812345678/cases HTTP/1.1", "GET /api/v1/callers/***/cases HTTP/1.1"),
    ("/api/v1/callers/%2B8613812345678/cases", "/api/v1/callers/***/cases"),
    ("/api/v1/callers/+86 139 0000 0001/cases", "/api/v1/callers/***/cases"),
    ("GET /api/v1/callers/%2B86%20139%200000%200001/cases HTTP/1.1",
     "GET /api/v1/callers/***/cases HTTP/1.1"),
    ('"GET /api/v1/callers/+86 139 0000 0001/cases HTTP/1.1" 200 -',
     '"GET /api/v1/callers/***/cases HTTP/1.1" 200 -'),
    ("/api/v1/callers/139/0000/0001/cases", "/api/v1/callers/***/cases"),
    ("/api/v1/callers/12", "/api/v1/callers/***"),
    ("/api/v1/cases/13900000001", "/api/v1/cases/***"),
    ("/cases/555-1234/phone", "/cases/***/phone"),
    ("/cases/(0773) 555 1234", "/cases/(***"),
    ("/cases/450330-2026-000001", "/cases/450330-2026-000001"),
    ("/cases/450330-2026-000001/actions", "/cases/450330-2026-000001/actions"),
    ("10.200.100.250 /reports/monthly", "10.200.100.250 /reports/monthly"),
])
def test_mask_hides_the_callers_segment_and_every_phone_like_run(line, masked):
    assert mask(line) == masked


def test_gunicorns_logger_masks_every_field_that_holds_a_path():
    from types import SimpleNamespace

    from gunicorn.config import Config

    from webui.access_log import PrivateAccessLogger

    logger = PrivateAccessLogger(Config())
    environ = {"REQUEST_METHOD": "GET",
               "RAW_URI": "/api/v1/callers/%2B86%20139%200000%200001/cases",
               "PATH_INFO": "/api/v1/callers/+86 139 0000 0001/cases", "QUERY_STRING": "",
               "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "10.200.100.250",
               "HTTP_REFERER": "https://casework.example.org/cases/139-0000-0001"}
    response = SimpleNamespace(status="200 OK", response_length=1234567, headers=(),
                               sent=1234567)
    request = SimpleNamespace(headers=[])
    from datetime import timedelta

    atoms = logger.atoms(response, request, environ, timedelta(seconds=1))
    assert atoms["U"] == "/api/v1/callers/***/cases"
    assert atoms["r"] == "GET /api/v1/callers/***/cases HTTP/1.1"
    assert atoms["f"] == "https://casework.example.org/cases/***"
    assert atoms["h"] == "10.200.100.250" and atoms["b"] == "1234567"
