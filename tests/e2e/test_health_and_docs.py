"""/healthz and the OpenAPI document."""

from __future__ import annotations

import openapi_schema_validator
import openapi_spec_validator
import pytest

from casework.bootstrap import bootstrap
from casework.config import Settings
from webui import config, create_app


def test_healthz_tells_anyone_only_its_status(client):
    answer = client.get("/healthz")
    assert answer.status_code == 200
    assert answer.json == {"status": "ok"}


def test_healthz_says_the_database_is_reachable_to_a_logged_in_caller(client, as_):
    answer = client.get("/healthz", headers=as_("leader"))
    assert answer.status_code == 200
    assert answer.json["status"] == "ok" and answer.json["database"] is True
    assert answer.json["scheduler_last_scan"] is None


def test_healthz_answers_503_when_the_database_is_unreachable(tmp_path):
    from conftest import WORKFLOW

    # A folder where the database file should be: SQLite cannot open it.
    broken = bootstrap(Settings(database_url=f"sqlite:///{tmp_path}", workflow_path=WORKFLOW))
    client = create_app(config.TestConfig(), casework=broken).test_client()
    answer = client.get("/healthz")
    assert answer.status_code == 503
    assert answer.json == {"status": "unavailable"}
    api = client.get("/api/v1/cases", headers={"Authorization": "Bearer cw_x"})
    assert (api.status_code, api.json["error"]) == (503, "unavailable")


@pytest.mark.parametrize("address", ["/openapi.json", "/api/v1/openapi.json"])
def test_the_openapi_document_is_served_without_login(client, address):
    answer = client.get(address)
    assert answer.status_code == 200
    assert answer.json["openapi"].startswith("3.0")
    assert "/api/v1/cases/{number}/actions" in answer.json["paths"]


def test_the_openapi_document_is_valid_openapi_3(client):
    openapi_spec_validator.validate(client.get("/openapi.json").json)


def test_the_openapi_document_describes_every_api_route(app, client):
    documented = {path.replace("{", "<").replace("}", ">")
                  for path in client.get("/openapi.json").json["paths"]}
    routes = {rule.rule for rule in app.url_map.iter_rules()
              if rule.rule.startswith("/api/") or rule.rule == "/healthz"}
    assert routes == documented


def test_answers_of_the_api_match_the_document(client, as_, people):
    """Each answer of a small session validates against the document's response schema."""
    jsonschema = openapi_schema_validator
    from conftest import petition

    spec = client.get("/openapi.json").json

    def check(answer, path, method):
        operation = spec["paths"][path][method]
        schema = operation["responses"][str(answer.status_code)]["content"][
            "application/json"]["schema"]
        jsonschema.validate(answer.json, {**schema, "components": spec["components"]},
                            cls=jsonschema.OAS30Validator)

    operator = as_("operator")
    created = client.post("/api/v1/cases", json=petition(), headers=operator)
    check(created, "/api/v1/cases", "post")
    number = created.json["number"]
    check(client.get("/api/v1/cases", headers=operator), "/api/v1/cases", "get")
    check(client.get(f"/api/v1/cases/{number}", headers=operator),
          "/api/v1/cases/{number}", "get")
    for body in ({"action": "note", "version": 1, "note": "回访"},
                 {"action": "note", "version": 1, "note": "again"},
                 {"action": "resolve", "version": 2},
                 {"action": "note", "version": 2}):
        check(client.post(f"/api/v1/cases/{number}/actions", json=body, headers=operator),
              "/api/v1/cases/{number}/actions", "post")
    check(client.post(f"/api/v1/cases/{number}/phone", headers=operator),
          "/api/v1/cases/{number}/phone", "post")
    check(client.get("/api/v1/callers/13812345678/cases", headers=operator),
          "/api/v1/callers/{phone}/cases", "get")
    check(client.get("/api/v1/workflow", headers=operator), "/api/v1/workflow", "get")
    check(client.get("/api/v1/cases/none", headers=operator), "/api/v1/cases/{number}", "get")
    check(client.get("/api/v1/cases"), "/api/v1/cases", "get")
    check(client.get("/healthz"), "/healthz", "get")
    check(client.get("/healthz", headers=operator), "/healthz", "get")
    admin = as_("admin")
    check(client.get("/api/v1/account-events", headers=admin), "/api/v1/account-events", "get")
    check(client.get("/api/v1/account-events", headers=operator),
          "/api/v1/account-events", "get")
    check(client.get("/api/v1/account-events?per_page=501", headers=admin),
          "/api/v1/account-events", "get")


def test_healthz_reports_the_schedulers_last_scan(client, cw, as_):
    from datetime import UTC, datetime, timedelta

    from casework.scheduling.scheduler import record_scan, take_lease

    started = datetime(2026, 9, 29, 2, 0, tzinfo=UTC)
    assert take_lease(cw, "test-holder", started, timedelta(minutes=3))
    record_scan(cw, "test-holder", started, seconds=0.5, lag=0.0)
    answer = client.get("/healthz", headers=as_("operator"))
    assert answer.json["scheduler_last_scan"] == "2026-09-29T02:00:00+00:00"
