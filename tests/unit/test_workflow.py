"""The shipped workflow and the loader's refusals; no database, no Flask."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from casework.errors import IllegalTransition, Invalid, WorkflowError
from casework.workflow import load_workflow, parse_workflow
from casework.workflow.diagram import describe, mermaid

ROOT = Path(__file__).resolve().parents[2]
TEXT = (ROOT / "workflows.yaml").read_text(encoding="utf-8")
RAW = yaml.safe_load(TEXT)
LEVELS = [level["id"] for level in RAW["levels"]]


@pytest.fixture(scope="module")
def workflow():
    return load_workflow(ROOT / "workflows.yaml")


def line_of(needle: str) -> int:
    return next(i for i, line in enumerate(TEXT.splitlines(), 1) if needle in line)


def broken(old: str, new: str) -> str:
    assert old in TEXT, old
    return TEXT.replace(old, new, 1)


def test_the_shipped_workflow_has_the_four_levels_in_order(workflow):
    assert [lv.id for lv in workflow.levels] == [
        "village_mailbox", "village_congress", "township_federation", "county_center"]
    assert [lv.working_days for lv in workflow.levels] == [1, 5, 10, 15]
    assert [workflow.working_days(lv.id, "urgent") for lv in workflow.levels] == [1, 3, 5, 8]
    assert workflow.emergency_hours == 24
    assert workflow.emergency_start_level == "county_center"


def test_every_status_of_every_level_is_a_machine_state(workflow):
    assert set(workflow.machine.states) == {
        f"{lv['id']}.{st}" for lv in RAW["levels"] for st in lv["statuses"]}


@pytest.mark.parametrize("action", [a["id"] for a in RAW["actions"]])
def test_each_action_goes_from_its_yaml_sources_to_its_yaml_target(workflow, action):
    spec = next(a for a in RAW["actions"] if a["id"] == action)
    edges = [(s, d) for a, s, d in workflow.transitions if a == action]
    assert edges, f"{action} produces no transition"
    for source, dest in edges:
        src_level, src_status = source.split(".")
        dst_level, dst_status = dest.split(".")
        assert spec["from"] == ["any"] or src_status in spec["from"]
        if "at" in spec:
            assert src_level in spec["at"]
        move = spec["to"].get("level", "same")
        step = LEVELS.index(dst_level) - LEVELS.index(src_level)
        expected_step = {"same": 0, "next": 1, "previous": -1}.get(move)
        if expected_step is not None:
            assert step == expected_step
        else:
            assert dst_level in spec["target_levels"] and step < 0
        target = spec["to"].get("status", "same")
        assert dst_status == (src_status if target == "same" else target)


@pytest.mark.parametrize("action", [a["id"] for a in RAW["actions"]])
def test_each_action_is_allowed_to_exactly_the_roles_the_yaml_names(workflow, action):
    spec = next(a for a in RAW["actions"] if a["id"] == action)
    for level in RAW["levels"]:
        for role in RAW["roles"]:
            expected = (
                role["id"] in spec["roles"]
                or ("unit" in spec["roles"] and role["id"] in level["roles"])
                or ("any" in spec["roles"] and role["sees_cases"])
            )
            assert workflow.role_may(role["id"], action, level["id"]) == expected


def test_escalating_climbs_one_level_at_a_time(workflow):
    assert workflow.next_state("village_mailbox", "pending", "escalate") == (
        "village_congress", "pending")
    assert workflow.next_state("village_congress", "in_progress", "escalate") == (
        "township_federation", "pending")
    assert workflow.next_state("township_federation", "pending", "escalate") == (
        "county_center", "pending")


def test_escalating_from_the_county_center_is_refused_with_the_allowed_actions(workflow):
    with pytest.raises(IllegalTransition) as refused:
        workflow.next_state("county_center", "in_progress", "escalate", version=7)
    assert "escalate" not in refused.value.allowed_actions
    assert "resolve" in refused.value.allowed_actions
    assert refused.value.version == 7


def test_escalating_a_closed_case_is_refused(workflow):
    with pytest.raises(IllegalTransition) as refused:
        workflow.next_state("village_congress", "closed", "escalate")
    assert refused.value.allowed_actions == ["reopen", "note"]


def test_assigning_goes_to_the_chosen_lower_level(workflow):
    assert workflow.next_state("county_center", "pending", "assign",
                               target_level="township_federation") == (
        "township_federation", "pending")
    with pytest.raises(Invalid):
        workflow.next_state("county_center", "pending", "assign", target_level="county_center")


def test_returning_goes_down_one_level_into_progress(workflow):
    assert workflow.next_state("county_center", "pending", "return") == (
        "township_federation", "in_progress")
    assert "return" not in workflow.allowed_actions("village_congress", "pending")


def test_waiting_and_resuming_keep_the_level(workflow):
    assert workflow.next_state("township_federation", "in_progress", "wait") == (
        "township_federation", "waiting")
    assert workflow.next_state("township_federation", "waiting", "resume") == (
        "township_federation", "in_progress")


def test_the_machine_is_built_once_and_shared(workflow):
    first = workflow.machine
    workflow.next_state("village_congress", "pending", "accept")
    workflow.next_state("township_federation", "pending", "accept")
    assert workflow.machine is first
    assert not first.models  # no case was ever registered with the machine


def test_the_mermaid_diagram_has_every_state_and_a_labelled_escalation(workflow):
    text = mermaid(workflow, "en")
    assert text.startswith("stateDiagram-v2\n")
    for state in workflow.states():
        assert state.replace(".", "__") in text
    assert "village_congress__in_progress --> township_federation__pending: Escalate" in text


def test_the_description_lists_deadlines_and_actions(workflow):
    described = describe(workflow)
    assert described["levels"][1]["deadline"] == {"working_days": 5}
    assert {a["id"] for a in described["actions"]} == set(workflow.actions)


@pytest.mark.parametrize(("old", "new", "needle", "words"), [
    ("from: [pending]\n    to: {status: in_progress}",
     "from: [pendng]\n    to: {status: in_progress}", "from: [pendng]", "unknown status 'pendng'"),
    ("    deadline: {working_days: 5}\n", "", "id: village_congress", "has no deadline"),
    ("    from: [waiting]\n", "    from: []\n", "from: []", "has no source"),
    ("    to: {status: waiting}\n", "    to: {status: in_progress}\n", None,
     "status 'waiting' of level 'village_congress' cannot be reached"),
    ("roles: [hotline_operator, county_officer]",
     "roles: [hotline_operator, county_oficer]", "county_oficer", "unknown role 'county_oficer'"),
    ("warn_fraction: 0.8", "warn_fracton: 0.8", "warn_fracton", "unknown section 'warn_fracton'"),
    ("  - id: resume\n", "  - id: wait  # again\n", "id: wait  # again",
     "action 'wait' is defined twice"),
])
def test_a_broken_workflow_is_refused_naming_the_line_and_the_name(old, new, needle, words):
    text = broken(old, new)
    with pytest.raises(WorkflowError) as refused:
        parse_workflow(text)
    message = str(refused.value)
    assert words in message
    if needle is not None:
        line = next(i for i, ln in enumerate(text.splitlines(), 1)
                    if needle.splitlines()[0] in ln)
        assert f"line {line}:" in message


def test_the_unreachable_status_error_points_at_the_status_in_its_level():
    text = broken("    to: {status: waiting}\n", "    to: {status: in_progress}\n")
    with pytest.raises(WorkflowError) as refused:
        parse_workflow(text)
    line = refused.value.line
    assert "waiting" in text.splitlines()[line - 1]
    assert "statuses:" in text.splitlines()[line - 1]


def test_yaml_that_does_not_parse_is_refused_with_its_line():
    with pytest.raises(WorkflowError) as refused:
        parse_workflow("levels:\n  - id: x\n    name: {zh: [\n")
    assert "not valid YAML" in str(refused.value) and "line" in str(refused.value)


def test_a_document_that_is_not_a_mapping_is_refused():
    with pytest.raises(WorkflowError):
        parse_workflow("- just\n- a list\n")


def test_the_calendar_takes_only_dates():
    with pytest.raises(WorkflowError) as refused:
        parse_workflow(broken("extra_holidays: [2027-01-01]", "extra_holidays: [soon]"))
    assert "not a YYYY-MM-DD date" in str(refused.value)
    assert f"line {line_of('extra_holidays')}" in str(refused.value)


def test_the_shipped_workflow_closes_a_month_on_the_5th(workflow):
    assert workflow.closing_day == 5
    assert describe(workflow)["reports"] == {"closing_day": 5}


def test_a_workflow_without_a_reports_section_closes_on_the_5th():
    text = TEXT[:TEXT.index("reports:")] + TEXT[TEXT.index("quiet_hours:"):]
    assert parse_workflow(text).closing_day == 5


@pytest.mark.parametrize("day", [1, 28])
def test_a_closing_day_from_1_to_28_is_taken(day):
    assert parse_workflow(broken("closing_day: 5", f"closing_day: {day}")).closing_day == day


@pytest.mark.parametrize("day", ["0", "29", "31", "-1", "5.5", "fifth", "true", "null", "'5'"])
def test_a_closing_day_outside_1_to_28_is_refused_naming_its_line(day):
    with pytest.raises(WorkflowError) as refused:
        parse_workflow(broken("closing_day: 5", f"closing_day: {day}"))
    assert "'closing_day' must be a day from 1 to 28" in str(refused.value)
    assert refused.value.line == line_of("closing_day: 5")


def test_an_unknown_key_of_reports_is_refused_naming_its_line():
    with pytest.raises(WorkflowError) as refused:
        parse_workflow(broken("  closing_day: 5\n", "  closing_day: 5\n  closing_hour: 1\n"))
    assert "reports has unknown key 'closing_hour'" in str(refused.value)
    assert refused.value.line == line_of("closing_day: 5") + 1
