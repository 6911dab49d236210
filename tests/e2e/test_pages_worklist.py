"""The worklist and the case list through HTTP."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from conftest import VILLAGE_A2, petition

from casework.scheduling.scan import scan
from e2e.case_pages import text

pytestmark = pytest.mark.usefixtures("english")  # English texts, unless marked ``chinese``


# -- the worklist -----------------------------------------------------------------------------
def test_the_worklist_shows_only_the_users_open_cases_nearest_deadline_first(
        as_user, new_case, client, as_):
    later = new_case()["number"]
    sooner = new_case(urgency="urgent")["number"]
    elsewhere = new_case(village_code=VILLAGE_A2)["number"]
    # Resolved on the spot at the congress: by its own cadre, who may resolve there.
    resolved = client.post("/api/v1/cases", headers=as_("village_a1"), json=petition(
        start_level="village_congress",
        resolve_now={"outcome": "advised", "note": "answered"})).json["number"]
    page = text(as_user("village_a1").get("/"))
    assert sooner in page and later in page
    assert page.index(sooner) < page.index(later)
    assert elsewhere not in page and resolved not in page
    assert 'data-status="pending">2<' in page and "138****5678" in page
    assert "13812345678" not in page
    assert f'href="/cases/{sooner}"' in page


def test_overdue_and_warned_cases_are_marked_in_colour_and_in_words(as_user, new_case, cw):
    overdue = new_case(urgency="urgent")
    warned = new_case()
    scan(cw, datetime.fromisoformat(warned["warn_at"]) + timedelta(minutes=1))
    page = text(as_user("village_a1").get("/"))
    rows = {number: row for row, number in re.findall(
        r'(<tr class="[^"]*">\s*<th scope="row"><a href="/cases/([^"]+)")', page)}
    assert 'class="table-danger"' in rows[overdue["number"]]
    assert 'class="table-warning"' in rows[warned["number"]]
    assert "Overdue" in page and "Due soon" in page
    assert 'data-flag="overdue">1<' in page and 'data-flag="warning">1<' in page


def test_a_township_cadre_works_the_township_level_not_the_villages(as_user, new_case):
    village = new_case()["number"]
    township = new_case(start_level="township_federation")["number"]
    page = text(as_user("township_a").get("/"))
    assert township in page and village not in page


@pytest.mark.parametrize("who", ["admin", "leader"])
def test_roles_without_case_files_are_sent_to_the_report_page(as_user, who):
    answer = as_user(who).get("/")
    assert (answer.status_code, answer.headers["Location"]) == (302, "/reports/monthly")


def test_pages_need_a_login(client, people):
    for path in ("/", "/cases", "/cases/new", "/cases/450330-2026-000001"):
        answer = client.get(path)
        assert answer.status_code == 302 and answer.headers["Location"].startswith("/login")


def test_the_navigation_follows_the_role(as_user):
    village = text(as_user("village_a1").get("/"))
    assert 'href="/cases/new"' in village and 'href="/reports/monthly"' not in village
    assert 'href="/admin/users"' not in village
    operator = text(as_user("operator").get("/"))
    assert 'href="/reports/monthly"' in operator and 'href="/admin/areas"' not in operator
    admin = text(as_user("admin").get("/cases/new"))  # 403, but the layout is there
    assert 'href="/admin/users"' in admin and 'href="/admin/areas"' in admin
    assert 'href="/cases/new"' not in admin


# -- the case list ----------------------------------------------------------------------------
def test_the_case_list_filters_by_the_apis_filters(as_user, new_case):
    violence = new_case()["number"]
    property_case = new_case(category="property", summary="宅基地纠纷")["number"]
    other_village = new_case(village_code=VILLAGE_A2)["number"]
    client = as_user("operator")
    page = text(client.get("/cases?category=property"))
    assert property_case in page and violence not in page
    page = text(client.get("/cases?q=宅基地"))
    assert property_case in page and violence not in page
    page = text(client.get(f"/cases?area={VILLAGE_A2}&status=pending&level=village_congress"))
    assert other_village in page and violence not in page
    page = text(client.get("/cases?per_page=1&category=domestic_violence&overdue=false"))
    assert 'rel="next"' in page and "page=2" in page
    for name in ("level", "status", "overdue", "warning", "area", "category", "q",
                 "received_from", "received_to"):
        assert f'name="{name}"' in page


def test_bad_filters_come_back_with_messages_not_an_error_page(as_user):
    answer = as_user("operator").get("/cases?level=moon&received_from=2026-02-30")
    assert answer.status_code == 422
    assert 'id="level-error"' in text(answer) and 'id="received_from-error"' in text(answer)


@pytest.mark.chinese
def test_page_errors_name_the_field_in_the_users_words(as_user):
    answer = as_user("operator").get("/cases?page=0&per_page=9999")
    assert answer.status_code == 422
    page = text(answer)
    assert "页码" in page and "每页案件数" in page
    assert not re.search(r"<li>\s*(page|per_page):", page)
