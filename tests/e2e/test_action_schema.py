"""Each action's body in /openapi.json says what the server takes and refuses for its shape: a
body the schema takes is done (200), one it refuses (a needed field missing, empty or out of
bounds) answers 422 naming the field, and a field the action does not read is taken whatever it
holds, as the document says."""

from __future__ import annotations

import re
from datetime import datetime

import openapi_schema_validator as validator
import pytest
from conftest import VILLAGE_A1

from casework.lifecycle.actions import MAX_EXTENSION_DAYS
from casework.lifecycle.measure_rules import BODY_FIELDS as MEASURE_FIELDS
from casework.scheduling.deadlines import SHANGHAI

API = "/api/v1"
# Who takes each action, where the case starts, and the actions before it (by the village
# cadre unless said): the shortest way to a state where the action is allowed.
SETUPS = {
    "accept": ("village_a1", None, []),
    "escalate": ("village_a1", None, []),
    "return": ("township_a", "township_federation", []),
    "assign": ("county_officer", "county_center", []),
    "resolve": ("village_a1", None, ["accept"]),
    "refer": ("village_a1", None, ["accept"]),
    "close": ("county_officer", None, ["accept", "resolve"]),
    "reopen": ("county_officer", None, ["accept", "resolve"]),
    "extend": ("village_a1", None, []),
    "wait": ("village_a1", None, ["accept"]),
    "resume": ("village_a1", None, ["accept", "wait"]),
    "assess": ("village_a1", None, []),
    "measure": ("village_a1", None, []),
    "note": ("village_a1", None, []),
}
# What a body of garbage in fields an action does not read looks like (the failure schemathesis
# once found: answers.forced_sex as an object on an action that ignores answers).
GARBAGE = {"answers": {"forced_sex": {"x": [1]}}, "days": "many", "outcome": 7,
           "agency": ["police"], "satisfaction": {"a": 1}, "target_level": "moon",
           "reason": 3.5, "measure": "spell", "stage": 0, "measure_id": "x",
           "on": "yesterday", "court": 1, "place": True, "authority": [], "valid_until": {}}


@pytest.fixture
def spec(client):
    return client.get("/openapi.json").json


def check(spec: dict, body: dict) -> bool:
    """Whether ``body`` is an ActionRequest of the document."""
    schema = {**spec["components"]["schemas"]["ActionRequest"],
              "components": spec["components"]}
    return validator.OAS30Validator(schema).is_valid(body)


def needed_value(cw, name: str):
    wf = cw.workflow
    return {"note": "已联系当事人", "reason": "当事人外出务工", "days": 5,
            "outcome": wf.choices["outcome"][0], "agency": wf.choices["agency"][0],
            "satisfaction": wf.choices["satisfaction"][0],
            "target_level": wf.actions["assign"].target_levels[0],
            "answers": {q.id: False for q in wf.risk.questions}}[name]


def minimal(cw, action: str, version: int) -> dict:
    body = {"action": action, "version": version}
    for name in cw.workflow.actions[action].needs:
        if name in ("measure", "stage"):
            continue
        body[name] = needed_value(cw, name)
    if action == "measure":
        today = datetime.now(SHANGHAI).date().isoformat()
        body.update(measure="warning_letter", stage="issued", on=today, authority="平乐县公安局")
    return body


@pytest.fixture
def case_for(client, as_):
    """``case_for(action)``: (number, version, headers of who takes it) of a new case in a
    state where ``action`` is allowed."""
    def make(action: str):
        who, start, before = SETUPS[action]
        body = {"channel": "hotline_12338", "village_code": VILLAGE_A1,
                "category": "domestic_violence", "summary": "丈夫酗酒后打人",
                "start_level": start}
        answer = client.post(f"{API}/cases", json=body, headers=as_("operator"))
        assert answer.status_code == 201, answer.json
        number, version = answer.json["number"], answer.json["version"]
        for step in before:
            extra = {"outcome": "mediated", "note": "调解成功"} if step == "resolve" else (
                {"reason": "等待材料"} if step == "wait" else {})
            answer = client.post(f"{API}/cases/{number}/actions", headers=as_("village_a1"),
                                 json={"action": step, "version": version, **extra})
            assert answer.status_code == 200, answer.json
            version = answer.json["version"]
        return number, version, as_(who)
    return make


def test_every_action_of_the_workflow_has_its_setup(cw):
    assert set(SETUPS) == set(cw.workflow.actions)


def test_a_measure_field_of_another_stage_is_refused_by_both(cw, client, spec, case_for):
    number, version, headers = case_for("measure")
    for name, value in (("court", "平乐县人民法院"), ("measure_id", 1), ("place", "庇护所")):
        body = {**minimal(cw, "measure", version), name: value}
        assert not check(spec, body), name
        answer = client.post(f"{API}/cases/{number}/actions", json=body, headers=headers)
        assert answer.status_code == 422 and name in answer.json["fields"], answer.json


@pytest.mark.parametrize("action", list(SETUPS))
def test_an_actions_schema_matches_what_the_server_takes_and_refuses(cw, client, spec,
                                                                     case_for, action):
    number, version, headers = case_for(action)
    url = f"{API}/cases/{number}/actions"
    body = minimal(cw, action, version)
    required = [name for name in body if name not in ("action", "version")]
    refused = [({key: value for key, value in body.items() if key != name}, name)
               for name in required if name != "note" or "note" in
               cw.workflow.actions[action].needs]
    refused += [({**body, name: bad}, name) for name in required
                for bad in ("", None, 17 if name != "days" else "")]
    if "days" in body:
        refused += [({**body, "days": bad}, "days") for bad in (
            0, MAX_EXTENSION_DAYS + 1, "0", str(MAX_EXTENSION_DAYS + 1), "5 ", True, 2.5)]
    for bad, field in refused:
        assert not check(spec, bad), (bad, field)
        answer = client.post(url, json=bad, headers=headers)
        assert answer.status_code == 422, (bad, answer.json)
        assert field in answer.json["fields"], (bad, answer.json)

    # A measure reads every measure field: those not of its stage must be left empty.
    reads = set(body) | (set(MEASURE_FIELDS) if action == "measure" else set())
    unread = {name: value for name, value in GARBAGE.items() if name not in reads}
    taken = {**body, **unread}
    assert check(spec, taken), taken
    answer = client.post(url, json=taken, headers=headers)
    assert answer.status_code == 200, answer.json


def test_the_days_pattern_spells_out_the_servers_bound(spec):
    days = spec["components"]["schemas"]["ExtendAction"]["properties"]["days"]["anyOf"]
    pattern = re.compile(days[1]["pattern"])
    taken = [n for n in range(0, 1000) if pattern.search(str(n)) or pattern.search(f"{n:03d}")]
    assert taken == list(range(1, MAX_EXTENSION_DAYS + 1))
    assert days[0]["maximum"] == MAX_EXTENSION_DAYS


def test_an_empty_report_format_is_refused_as_the_enum_says(client, as_):
    month = datetime.now(SHANGHAI).strftime("%Y-%m")
    answer = client.get(f"{API}/reports/monthly?month={month}&format=",
                        headers=as_("county_officer"))
    assert answer.status_code == 422 and "format" in answer.json["fields"]


def test_a_measure_id_with_spaces_python_strips_is_read_not_a_500(cw, client, spec, case_for):
    """schemathesis found "\\t\\n\\x1e99743": str.strip() takes the \\x1e that int() refuses."""
    number, version, headers = case_for("measure")
    body = {"action": "measure", "version": version, "measure": "protection_order",
            "stage": "rejected", "measure_id": "\t\n\x1e99743",
            "on": datetime.now(SHANGHAI).date().isoformat()}
    assert check(spec, body)
    answer = client.post(f"{API}/cases/{number}/actions", json=body, headers=headers)
    assert answer.status_code == 422 and answer.json["fields"] == {
        "measure_id": "no such measure on this case"}
