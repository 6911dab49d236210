"""The API's vocabularies (DESIGN.md, "Set-up with nothing exported"): enums in /openapi.json,
listed with their names by GET /api/v1/workflow, and a refusal that names the values taken."""

from __future__ import annotations

import openapi_schema_validator as validator
import pytest
from conftest import petition

from casework.vocabulary import AGE_GROUPS, CATEGORIES, CHANNELS, GENDERS, URGENCIES
from e2e.conftest import counts
from webui.openapi_schemas import VOCABULARIES

API = "/api/v1"
FIXED = {"channel": CHANNELS, "category": CATEGORIES, "urgency": URGENCIES, "gender": GENDERS,
         "age_group": AGE_GROUPS}


def test_the_workflow_lists_every_vocabulary_with_its_names_in_both_languages(client, as_):
    answer = client.get(f"{API}/workflow", headers=as_("village_a1"))
    assert answer.status_code == 200
    found = answer.json["vocabularies"]
    assert set(found) == set(VOCABULARIES)
    for kind, values in FIXED.items():
        assert [item["id"] for item in found[kind]] == list(values)
    assert found["age_group"][0] == {"id": "under_18", "name": {"zh": "未满 18 岁",
                                                                "en": "Under 18"}}
    assert {"id": "legal_aid", "name": {"zh": "法律援助（12348）", "en": "Legal aid (12348)"}} \
        in found["agency"]
    assert [item["id"] for item in found["target_level"]] == ["village_congress",
                                                             "township_federation"]
    assert answer.json["reports"] == {"closing_day": 5}
    for items in found.values():  # every value has a name a person can read, in each language
        assert all(item["name"]["zh"] and item["name"]["en"] for item in items)


def test_the_openapi_enums_are_the_vocabularies_the_workflow_lists(client, as_):
    components = client.get("/openapi.json").json["components"]["schemas"]
    listed = client.get(f"{API}/workflow", headers=as_("operator")).json["vocabularies"]
    for kind, name in VOCABULARIES.items():
        assert components[name]["enum"] == [item["id"] for item in listed[kind]], kind
    case = components["Case"]["properties"]
    assert case["channel"] == {"$ref": "#/components/schemas/Channel"}
    assert case["petitioner"]["properties"]["gender"]["enum"] == ["", *GENDERS]
    assert components["CaseCreate"]["properties"]["petitioner"]["properties"]["age_group"][
        "enum"] == ["", *AGE_GROUPS]
    workflow = components["Workflow"]
    assert set(workflow["properties"]["vocabularies"]["required"]) == set(VOCABULARIES)


def test_the_workflow_answer_matches_its_openapi_schema(client, as_):
    spec = client.get("/openapi.json").json
    schema = {**spec["components"]["schemas"]["Workflow"],
              "components": spec["components"]}
    body = client.get(f"{API}/workflow", headers=as_("operator")).json
    validator.validate(body, schema, cls=validator.OAS30Validator)


@pytest.mark.parametrize(("petitioner", "field", "reason", "allowed"), [
    ({"age_group": "elderly"}, "petitioner.age_group",
     "must be empty or one of: under_18, 18_34, 35_59, 60_plus, unknown", ["", *AGE_GROUPS]),
    ({"gender": "f"}, "petitioner.gender", "must be empty or one of: female, male, unknown",
     ["", *GENDERS]),
])
def test_a_value_outside_a_vocabulary_is_refused_listing_the_values_readably(
        client, as_, cw, petitioner, field, reason, allowed):
    before = counts(cw)
    body = petition()
    body["petitioner"] = {**body["petitioner"], **petitioner}
    answer = client.post(f"{API}/cases", json=body, headers=as_("operator"))
    assert answer.status_code == 422
    assert answer.json["fields"] == {field: reason}
    assert answer.json["allowed"] == {field: allowed}
    assert ", ," not in answer.json["message"] and ": ," not in answer.json["message"]
    assert counts(cw) == before


def test_every_refused_vocabulary_of_an_intake_is_named_at_once(client, as_, cw):
    body = petition(channel="fax", category="theft", urgency="now")
    answer = client.post(f"{API}/cases", json=body, headers=as_("operator"))
    assert answer.status_code == 422
    assert answer.json["fields"] == {
        "channel": "must be one of: " + ", ".join(CHANNELS),
        "category": "must be one of: " + ", ".join(CATEGORIES),
        "urgency": "must be one of: normal, urgent, emergency"}
    assert answer.json["allowed"]["channel"] == list(CHANNELS)


def test_an_actions_choice_outside_the_workflow_lists_its_values(client, as_, cw):
    made = client.post(f"{API}/cases", json=petition(), headers=as_("operator")).json
    number = made["number"]
    accepted = client.post(f"{API}/cases/{number}/actions", headers=as_("village_a1"),
                           json={"action": "accept", "version": made["version"]}).json
    answer = client.post(f"{API}/cases/{number}/actions", headers=as_("village_a1"), json={
        "action": "resolve", "version": accepted["version"], "outcome": "fixed", "note": "n"})
    assert answer.status_code == 422
    outcomes = cw.workflow.choices["outcome"]
    assert answer.json["fields"] == {"outcome": "must be one of: " + ", ".join(outcomes)}
    assert answer.json["allowed"] == {"outcome": list(outcomes)}
    unknown = client.post(f"{API}/cases/{number}/actions", headers=as_("village_a1"),
                          json={"action": "shred", "version": accepted["version"]})
    assert unknown.status_code == 422 and unknown.json["allowed"] == {
        "action": list(cw.workflow.actions)}
