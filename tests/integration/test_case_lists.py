"""The case list's area filter as ranges and equalities (issue 5): the same cases as a prefix
match, and plans that an index answers rather than a scan of every case."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from conftest import COUNTY, TOWN_A, VILLAGE_A1, VILLAGE_A2, VILLAGE_B1, make_actor, petition
from sqlalchemy import event

from casework.lifecycle import case_lists
from casework.lifecycle.intake import receive
from casework.people.access import next_code

NOW = datetime(2026, 10, 9, 2, 0, tzinfo=UTC)


def test_next_code_is_the_first_code_after_a_prefix():
    assert next_code("450330") == "450331"
    assert next_code("4509") == "451"
    assert next_code("45099") == "451"
    assert next_code("999") is None
    for code in ("450330", "4509", "45099"):
        after = next_code(code)
        assert code + "999999" < after and code < after
        assert not after.startswith(code)


@pytest.fixture
def spread(cw, people):
    """Cases in three villages of two townships, one of them referred away."""
    for village, count in ((VILLAGE_A1, 3), (VILLAGE_A2, 2), (VILLAGE_B1, 4)):
        for _ in range(count):
            receive(cw, people["operator"], petition(village_code=village), now=NOW)
    return people


AREAS = ["", "4", "45", "4503", "450330", "450331", "4503301", "450330100", TOWN_A,
         "450330101", VILLAGE_A1, VILLAGE_A2, "450330100209", "999"]


@pytest.mark.parametrize("area", AREAS)
@pytest.mark.parametrize("status", ["", "pending"])
def test_the_area_filter_is_a_prefix_of_the_village_code(cw, spread, area, status):
    everything = case_lists.list_cases(cw, spread["operator"], case_lists.CaseFilters(per_page=200))
    args = {"area": area, "per_page": "200", "status": status}
    listing = case_lists.list_cases(cw, spread["operator"], case_lists.parse_filters(cw, args))
    expected = [item["number"] for item in everything["items"]
                if item["village_code"].startswith(area)]
    assert [item["number"] for item in listing["items"]] == expected
    assert listing["total"] == len(expected)


def test_a_township_cadre_sees_only_her_township_and_its_worklist(cw, spread):
    cadre = spread["township_a"]
    listing = case_lists.list_cases(cw, cadre, case_lists.CaseFilters(per_page=200))
    assert {item["village_code"] for item in listing["items"]} == {VILLAGE_A1, VILLAGE_A2}
    assert listing["total"] == 5
    village = make_actor(cw, "village_cadre", VILLAGE_A2, username="v2")
    work = case_lists.list_cases(cw, village, case_lists.worklist_filters(cw, village))
    assert {item["village_code"] for item in work["items"]} == {VILLAGE_A2}
    assert case_lists.status_counts(cw, village, case_lists.worklist_filters(cw, village)) == {
        "pending": 2}


def plans(cw, call) -> list[str]:
    """SQLite's plan of every SELECT on cases that ``call`` sends."""
    caught = []

    def catch(_conn, _cursor, statement, parameters, _context, _many):
        caught.append((statement, parameters))

    event.listen(cw.engine, "before_cursor_execute", catch)
    try:
        call()
    finally:
        event.remove(cw.engine, "before_cursor_execute", catch)
    raw = cw.engine.raw_connection()
    try:
        return [" / ".join(row[3] for row in raw.cursor().execute(
                    "EXPLAIN QUERY PLAN " + statement, parameters).fetchall())
                for statement, parameters in caught
                if statement.startswith("SELECT") and "FROM cases" in statement]
    finally:
        raw.close()


def test_lists_and_the_worklist_never_scan_every_case(cw, spread):
    """On SQLite without statistics (a new database): every list query searches an index;
    a county's unfiltered list comes out of ix_cases_area_order already sorted."""
    if cw.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's planner; PostgreSQL's is checked by bench/lists.py at size")
    officer, cadre = spread["county_officer"], spread["township_a"]
    county_list = plans(cw, lambda: case_lists.list_cases(cw, officer, case_lists.CaseFilters()))
    total, page = county_list
    assert "COVERING INDEX" in total, total  # the exact total from an index alone
    assert "ix_cases_area_order" in page and "TEMP B-TREE" not in page, page
    for actor in (officer, cadre):
        worklist = plans(cw, lambda a=actor: (
            case_lists.list_cases(cw, a, case_lists.worklist_filters(cw, a)),
            case_lists.status_counts(cw, a, case_lists.worklist_filters(cw, a))))
        assert all("ix_cases_by_status" in plan for plan in worklist), worklist
        for args in ({}, {"status": "pending"}, {"status": "closed"}, {"area": TOWN_A},
                     {"overdue": "true"}, {"category": "child"}, {"level": "county_center"},
                     {"received_from": "2026-10-01"}, {"q": "打人"}):
            found = plans(cw, lambda a=actor, f=args: case_lists.list_cases(
                cw, a, case_lists.parse_filters(cw, f)))
            assert found and not any("SCAN cases" in plan for plan in found), (args, found)
    assert COUNTY in officer.area_code
