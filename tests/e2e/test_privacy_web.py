"""Petitioners' data over HTTP (issue 6): a key error answers 503 with one sentence, report
files for a leader carry no petitioner data, the demo keeps its own key, and a full day's work
on the production server, logged at DEBUG, leaves no name, phone or ID number in the log."""

from __future__ import annotations

import io
import os
import re
import signal
import socket
import stat
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar

import pytest
from click.testing import CliRunner
from conftest import DATA_KEY, VILLAGE_A1, WORKFLOW, petition
from openpyxl import load_workbook

import webui.config
from casework.bootstrap import bootstrap
from casework.config import Settings
from casework.lifecycle import intake
from casework.people.users import create_token
from casework.privacy.crypto import generate_key
from casework.reporting.report_files import figures_only, to_csv
from webui import create_app

API = "/api/v1"
NAME, PHONE, ID_NUMBER = "欧阳秀英", "13912345678", "11010519491231002X"
SECRETS = (NAME, PHONE, "139-1234-5678", "1234-5678", "12345678", ID_NUMBER, "491231002X",
           urllib.parse.quote(NAME))


def secret_petition(**overrides) -> dict:
    return petition(petitioner={"name": NAME, "phone": "139-1234-5678", "id_number": ID_NUMBER},
                    **overrides)


def test_a_wrong_key_answers_503_with_one_sentence_not_a_500(cw, people, as_):
    number = intake.receive(cw, people["operator"], secret_petition()).number
    wrong = bootstrap(Settings(database_url=cw.settings.database_url, workflow_path=WORKFLOW,
                               data_key=generate_key()))
    try:
        client = create_app(webui.config.TestConfig(), casework=wrong).test_client()
        for path in (f"{API}/cases/{number}", f"{API}/cases"):
            answer = client.get(path, headers=as_("operator"))
            assert answer.status_code == 503 and answer.json["error"] == "data_key"
            assert "sealed with key" in answer.json["message"]
        page = client.get(f"/cases/{number}", headers={"Accept": "text/html",
                                                         **as_("operator")})
        assert page.status_code == 503
    finally:
        wrong.engine.dispose()


@pytest.mark.parametrize("who", ["leader", "admin", "county_officer"])
def test_report_files_carry_no_petitioner_data_whoever_asks(client, cw, people, as_, who):
    intake.receive(cw, people["operator"], secret_petition())
    month = time.strftime("%Y-%m")
    for fmt in ("csv", "xlsx", "json"):
        answer = client.get(f"{API}/reports/monthly?month={month}&format={fmt}",
                            headers=as_(who))
        assert answer.status_code == 200
        if fmt == "xlsx":
            book = load_workbook(io.BytesIO(answer.data))
            content = "\n".join(str(cell.value) for sheet in book for row in sheet.iter_rows()
                                for cell in row)
        else:
            content = answer.get_data(as_text=True)
        assert "1" in content and not [s for s in SECRETS if s in content]


def test_a_report_holding_petitioner_data_is_refused_as_a_file(cw):
    with pytest.raises(ValueError, match="figures only"):
        figures_only({"by_area": {"x": {"cases": [{"petitioner": {"name": NAME}}]}}})
    with pytest.raises(ValueError, match="figures only"):
        to_csv({"month": "2026-10", "area": None, "by_area": {}, "phone": PHONE},
               cw.workflow)


def test_the_demo_keeps_its_own_key_beside_its_database(tmp_path, monkeypatch):
    from webui.commands import demo

    monkeypatch.chdir(tmp_path)
    for name in ("CASEWORK_DATA_KEY", "CASEWORK_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    first = CliRunner().invoke(demo, ["--no-serve", "--cases", "10"], catch_exceptions=False)
    key_file = tmp_path / "instance" / "demo-data.key"
    assert first.exit_code == 0 and key_file.exists()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = key_file.read_text()
    again = CliRunner().invoke(demo, ["--no-serve"], catch_exceptions=False)
    assert again.exit_code == 0 and "Using the demo already" in again.output
    assert key_file.read_text() == key


# -- a full run on the production server, logged at DEBUG ------------------------------------
def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Browser:
    """urllib with cookies: a person in a browser, or an API client with a token."""

    def __init__(self, base: str, token: str | None = None) -> None:
        self.base, self.token = base, token
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))

    def call(self, method: str, path: str, *, json: dict | None = None,
             form: dict | None = None) -> tuple[int, str]:
        import json as json_module

        headers, data = {}, None
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if json is not None:
            data, headers["Content-Type"] = json_module.dumps(json).encode(), "application/json"
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method,
                                         headers=headers)
        try:
            with self.opener.open(request, timeout=30) as answer:
                return answer.status, answer.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode("utf-8", "replace")

    def csrf(self, path: str) -> str:
        page = self.call("GET", path)[1]
        return re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)


def test_a_full_run_logged_at_debug_holds_no_petitioner_data(cw, people, tmp_path):
    import json

    port, log_file = _free_port(), tmp_path / "server.log"
    env = {**os.environ, "CASEWORK_DATABASE_URL": cw.settings.database_url,
           "CASEWORK_WORKFLOW": str(WORKFLOW), "CASEWORK_DATA_KEY": DATA_KEY,
           "CASEWORK_SCAN_INTERVAL": "1", "CASEWORK_SECRET_KEY": "log-test-secret-" + "0" * 32}
    tokens = {who: create_token(cw, people[who].username) for who in ("operator", "village_a1")}
    with log_file.open("wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "casework", "serve", "--port", str(port), "--log-level",
             "debug"], env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        api = Browser(base, tokens["operator"])
        cadre = Browser(base, tokens["village_a1"])
        status, body = api.call("POST", f"{API}/cases", json=secret_petition())
        assert status == 201, body
        number = json.loads(body)["number"]
        for phone in ("139-1234-5678", PHONE):
            status, body = api.call("GET", f"{API}/callers/{phone}/cases")
            assert status == 200 and number in body
        assert api.call("POST", f"{API}/cases/{number}/phone")[0] == 200
        assert api.call("POST", f"{API}/cases", json=petition(
            petitioner={"name": NAME, "phone": "not a phone", "id_number": ID_NUMBER}))[0] == 422
        for action in ("accept", "resolve"):
            version = json.loads(cadre.call("GET", f"{API}/cases/{number}")[1])["version"]
            status, body = cadre.call("POST", f"{API}/cases/{number}/actions", json={
                "action": action, "version": version, "outcome": "mediated", "note": "已调解"})
            assert status == 200, body
        # The same in the pages, as the hotline operator types it.
        person = Browser(base)
        status, _ = person.call("POST", "/login", form={
            "username": people["operator"].username, "password": "correct horse battery",
            "csrf_token": person.csrf("/login")})
        assert status == 200
        status, page = person.call("POST", "/cases/new", form={
            "csrf_token": person.csrf("/cases/new"), "channel": "hotline_12338",
            "village_code": VILLAGE_A1, "category": "domestic_violence", "urgency": "urgent",
            "summary": "丈夫酗酒后打人", "petitioner_name": NAME,
            "petitioner_phone": "139-1234-5678", "petitioner_id_number": ID_NUMBER,
            "start_level": ""})
        assert status == 200 and NAME in page
        (second,) = set(re.findall(r"450330-\d{4}-\d{6}", page)) - {number}
        status, page = person.call("POST", f"/cases/{second}/phone",
                                   form={"csrf_token": person.csrf(f"/cases/{second}")})
        assert status == 200 and PHONE in page
        assert person.call("GET", "/cases?q=x")[0] == 200
        month = time.strftime("%Y-%m")
        assert api.call("GET", f"{API}/reports/monthly?month={month}&format=csv")[0] == 200
        time.sleep(1.5)  # a scan or two of the scheduler inside the worker
        tick = subprocess.run([sys.executable, "-m", "casework", "-v", "tick"], env=env,
                              capture_output=True, text=True, timeout=60)
        assert tick.returncode == 0, tick.stderr
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    logged = log_file.read_text("utf-8", "replace") + tick.stdout + tick.stderr
    # The log is there and detailed: requests, SQL, the screen pop with its phone blanked.
    assert "DEBUG" in logged and f"/cases/{number}/actions" in logged
    assert "INSERT INTO petitioners" in logged and "SQL parameters hidden" in logged
    assert "/api/v1/callers/***/cases" in logged
    assert [secret for secret in SECRETS if secret in logged] == []


def test_a_logged_path_loses_its_phones_and_keeps_its_case_number():
    """The werkzeug log is redacted in the screen pop's address and wherever a phone-like run
    of digits stands (issue 18), but a case number still says which case was asked for."""
    from webui.access_log import mask

    assert mask(f"GET /api/v1/callers/{PHONE}/cases HTTP/1.1") == \
        "GET /api/v1/callers/***/cases HTTP/1.1"
    assert PHONE not in mask(f"GET /cases?q={PHONE}")
    line = "GET /cases/450330-2026-000123 HTTP/1.1"
    assert mask(line) == line


def test_lists_and_the_screen_pop_mask_a_landline_as_well_as_a_mobile(client, cw, people, as_):
    """A 7- or 8-digit landline keeps at most its last two digits wherever phones are masked
    (the list, the case, the screen pop); a mobile shows as 138****5678 (issue 18)."""
    shown = {}
    for phone in ("5551234", "0773-5551234", "66881234", "13812345678"):
        number = intake.receive(cw, people["operator"], petition(
            petitioner={"name": "李某", "phone": phone})).number
        case = client.get(f"{API}/cases/{number}", headers=as_("operator")).json
        listed = client.get(f"{API}/cases", query_string={"q": number},
                            headers=as_("operator")).json["items"]
        popped = client.get(f"{API}/callers/{phone}/cases", headers=as_("operator")).json["items"]
        assert case["petitioner"]["phone"] == listed[0]["petitioner"]["phone"] \
            == popped[0]["petitioner"]["phone"]
        shown[phone] = case["petitioner"]["phone"]
    assert shown == {"5551234": "*****34", "0773-5551234": "*********34",
                     "66881234": "******34", "13812345678": "138****5678"}
    page = client.get("/cases", headers=as_("operator")).get_data(as_text=True)
    assert "5551234" not in page and "555" not in page and "6688" not in page
