"""The report, workflow and admin pages, through the Flask test client and a browser session."""

from __future__ import annotations

import html
import io
import re
from datetime import UTC, datetime

import openpyxl
import pytest
from conftest import COUNTY, TOWN_A, TOWN_B, VILLAGE_B1, petition
from sqlalchemy import func, select

from casework.lifecycle import actions, intake
from casework.scheduling.deadlines import SHANGHAI
from casework.storage.db import reading
from casework.storage.models import Area, User
from e2e.conftest import PASSWORD, csrf_token_of, login

REPORT = "/reports/monthly"
MARCH = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # a Tuesday in a closed month
ENGLISH = {"Accept-Language": "en"}


def page(answer) -> str:
    return answer.get_data(as_text=True)


def user_count(cw) -> int:
    with reading(cw.engine) as session:
        return session.execute(select(func.count()).select_from(User)).scalar_one()


@pytest.fixture
def march(cw, people):
    """March 2026: three petitions in township A (one resolved, one escalated), one in B."""
    numbers = [intake.receive(cw, people["operator"], petition(), now=MARCH).number
               for _ in range(3)]
    intake.receive(cw, people["operator"], petition(village_code=VILLAGE_B1), now=MARCH)
    cadre = people["village_a1"]
    actions.perform(cw, cadre, numbers[0], {"action": "accept", "version": 1}, now=MARCH)
    actions.perform(cw, cadre, numbers[0], {"action": "resolve", "version": 2,
                                            "outcome": "mediated", "note": "调解成功"}, now=MARCH)
    actions.perform(cw, cadre, numbers[1], {"action": "escalate", "version": 1,
                                            "note": "需要乡镇帮助"}, now=MARCH)
    return numbers


def test_the_report_page_shows_the_figures_and_svg_charts_to_a_county_officer(
        client, people, march):
    login(client, people["county_officer"].username)
    answer = client.get(f"{REPORT}?month=2026-03", headers=ENGLISH)
    assert answer.status_code == 200
    text = page(answer)
    assert 'id="figure-received">4<' in text and 'id="figure-concluded">1<' in text
    assert 'id="figure-handling_rate">25.0%<' in text
    assert 'id="figure-satisfaction_rate">—<' in text  # no follow-up calls yet
    assert text.count('<svg class="chart"') == 3  # by level, by township, over 12 months
    assert text.count('role="img"') == 3 and "<title id=" in text
    for township in ("平乐镇", "二塘镇"):
        assert township in text
    assert "Township women&#39;s federation" in text or "Township women's federation" in text


def test_the_report_page_defaults_to_this_month_and_ones_own_area(client, cw, people):
    before = datetime.now(SHANGHAI).strftime("%Y-%m")
    intake.receive(cw, people["operator"], petition(), now=datetime.now(UTC))
    login(client, people["township_a"].username)
    answer = client.get(REPORT)
    after = datetime.now(SHANGHAI).strftime("%Y-%m")
    assert answer.status_code == 200
    month = re.search(r'name="month" value="([^"]+)"', page(answer)).group(1)
    assert month in (before, after)
    assert f'<option value="{TOWN_A}" selected>' in page(answer)
    assert f'value="{TOWN_B}"' not in page(answer)


@pytest.mark.parametrize("query, field", [
    ("month=2026-13", "month"), ("month=next", "month"), ("month=9999-99", "month"),
    ("month=2100-12", "month"), (f"month=2026-03&area={COUNTY}999", "area"),
])
def test_a_bad_month_or_area_shows_the_reason_on_the_page_never_a_500(
        client, people, query, field):
    login(client, people["county_officer"].username)
    answer = client.get(f"{REPORT}?{query}", headers=ENGLISH)
    assert answer.status_code == 422
    assert answer.mimetype == "text/html"
    assert 'role="alert"' in page(answer) and field.capitalize() in page(answer)
    assert 'name="month"' in page(answer)  # the picker is there to try again


def test_a_village_cadre_gets_a_403_page(client, people):
    login(client, people["village_a1"].username)
    answer = client.get(REPORT)
    assert (answer.status_code, answer.mimetype) == (403, "text/html")


@pytest.mark.parametrize("who", ["leader", "admin"])
def test_leaders_and_admins_read_the_report(client, people, march, who):
    login(client, people[who].username)
    answer = client.get(f"{REPORT}?month=2026-03&area={TOWN_A}")
    assert answer.status_code == 200
    assert 'id="figure-received">3<' in page(answer)


def test_an_area_outside_ones_own_answers_404(client, people):
    login(client, people["township_a"].username)
    for area in (TOWN_B, COUNTY, "abc"):
        assert client.get(f"{REPORT}?month=2026-03&area={area}").status_code == 404, area


def test_the_report_page_sends_a_visitor_to_log_in(client, people):
    answer = client.get(REPORT)
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/login")


def test_the_excel_link_of_the_page_downloads_with_the_browser_session(client, people, march):
    login(client, people["county_officer"].username)
    text = page(client.get(f"{REPORT}?month=2026-03&area={TOWN_A}"))
    link = html.unescape(re.search(r'href="([^"]+format=xlsx[^"]*)"', text).group(1))
    answer = client.get(link)
    assert answer.status_code == 200
    assert answer.mimetype == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert openpyxl.load_workbook(io.BytesIO(answer.data)).sheetnames
    csv_link = html.unescape(re.search(r'href="([^"]+format=csv[^"]*)"', text).group(1))
    assert client.get(csv_link).mimetype == "text/csv"


def test_the_workflow_page_shows_every_level_with_its_deadline(client, cw, people):
    login(client, people["village_a1"].username)
    answer = client.get("/workflow", headers=ENGLISH)
    assert answer.status_code == 200
    text = page(answer)
    assert text.count('<svg class="diagram"') == 2
    for level in cw.workflow.levels:
        row = re.search(rf'<tr id="level-{level.id}">(.*?)</tr>', text, re.S).group(1)
        assert level.name.zh in row and level.name.en in html.unescape(row)
        assert f"{level.working_days} working day" in row
        assert level.name.en in html.unescape(text.split("<svg", 1)[1])  # in the diagram too
    for action in cw.workflow.actions:
        assert f'id="action-{action}"' in text


@pytest.mark.parametrize("who", ["county_officer", "leader", "village_a1"])
def test_admin_pages_answer_403_to_other_roles_and_write_nothing(client, cw, people, who):
    login(client, people[who].username)
    before = user_count(cw)
    for path in ("/admin/users", "/admin/areas"):
        assert client.get(path).status_code == 403
    answer = client.post("/admin/users", data={
        "username": "intruder", "role": "admin", "area_code": COUNTY, "password": PASSWORD})
    assert answer.status_code == 403 and user_count(cw) == before


def new_user(**changes) -> dict:
    return {"username": "wang_fang", "role": "village_cadre", "area_code": VILLAGE_B1,
            "email": "wang@example.org", "password": "a long new password", **changes}


def test_an_admin_lists_and_adds_users(client, people):
    login(client, people["admin"].username)
    listing = page(client.get("/admin/users"))
    assert people["village_a1"].username in listing and 'name="area_code"' in listing
    answer = client.post("/admin/users", data=new_user())
    assert (answer.status_code, answer.headers["Location"]) == (303, "/admin/users")
    assert "wang_fang" in page(client.get("/admin/users"))
    assert login(client.application.test_client(), "wang_fang",
                 "a long new password").status_code == 302


@pytest.mark.parametrize("changes, field, reason", [
    ({"username": "x"}, "username", "letters, digits"),
    ({"password": "short"}, "password", "at least 10"),
    ({"password": "wang_fang 1"}, "password", "too easy to guess"),
    ({"password": "password12345"}, "password", "too easy to guess"),
    ({"email": "not-mail"}, "email", "e-mail"),
    ({"area_code": COUNTY}, "area_code", "works at a village"),
    ({"area_code": "450331100201"}, "area_code", "outside your area"),
    ({"role": "moon"}, "role", "Not a valid choice"),
    ({"username": "admin_450330"}, "username", "already taken"),
    ({"email": "a\x00@b.cn"}, "email", "NUL"), ({"area_code": "450330\x00"}, "area_code", "NUL"),
])
def test_bad_user_input_shows_the_field_error_and_writes_nothing(
        client, cw, people, changes, field, reason):
    login(client, people["admin"].username)
    before = user_count(cw)
    answer = client.post("/admin/users", data=new_user(**changes), headers=ENGLISH)
    assert answer.status_code == 422
    feedback = re.search(rf'id="{field}-error">([^<]*)<', page(answer))
    assert feedback and reason in html.unescape(feedback.group(1))
    assert user_count(cw) == before


def test_a_password_reset_ends_the_users_open_sessions(app, client, people):
    operator = people["operator"].username
    her_browser = app.test_client()
    login(her_browser, operator)
    assert her_browser.get(REPORT).status_code == 200
    login(client, people["admin"].username)
    answer = client.post(f"/admin/users/{operator}/password", data={"password": "brand new pass"})
    assert answer.status_code == 303
    assert her_browser.get(REPORT).status_code == 302  # back to the login page
    assert login(her_browser, operator).status_code == 401
    assert login(her_browser, operator, "brand new pass").status_code == 302


def test_a_too_short_new_password_is_refused(client, people):
    login(client, people["admin"].username)
    operator = people["operator"].username
    answer = client.post(f"/admin/users/{operator}/password", data={"password": "short"},
                         headers=ENGLISH)
    assert answer.status_code == 422 and "at least 10" in page(answer)
    assert login(client.application.test_client(), operator).status_code == 302


def test_a_deactivated_user_is_logged_out_and_can_be_activated_again(app, client, people):
    cadre = people["village_a1"].username
    her_browser = app.test_client()
    login(her_browser, cadre)
    login(client, people["admin"].username)
    assert client.post(f"/admin/users/{cadre}/deactivate").status_code == 303
    assert her_browser.get("/workflow").status_code == 302
    assert login(her_browser, cadre).status_code == 401
    assert client.post(f"/admin/users/{cadre}/activate").status_code == 303
    assert login(her_browser, cadre).status_code == 302


def upload(client, text: str, name: str = "areas.csv"):
    return client.post("/admin/areas", data={"file": (io.BytesIO(text.encode()), name)},
                       content_type="multipart/form-data", headers=ENGLISH)


def area_names(cw, *codes: str) -> dict[str, str]:
    with reading(cw.engine) as session:
        rows = session.execute(select(Area.code, Area.name).where(Area.code.in_(codes)))
        return dict(rows.all())


def test_an_admin_uploads_an_area_csv(client, cw, people):
    login(client, people["admin"].username)
    answer = upload(client, "code,name,parent_code\n450330102,同安镇,450330\n"
                            "450330102201,同安村,450330102\n")
    assert answer.status_code == 303
    assert area_names(cw, "450330102", "450330102201") == {
        "450330102": "同安镇", "450330102201": "同安村"}
    assert "同安镇" in page(client.get("/admin/areas"))
    assert "同安村" in page(client.get("/admin/areas?area=450330102"))


@pytest.mark.parametrize("text, line", [
    ("code,name,parent_code\n450330102,同安镇,450330\n45033010220,坏村,450330102\n", "line 3"),
    ("code,name,parent_code\n450330102,同安镇,450330\n450331100,邻县镇,450331\n", "line 3"),
])
def test_a_bad_area_line_is_named_and_nothing_is_written(client, cw, people, text, line):
    login(client, people["admin"].username)
    answer = upload(client, text)
    assert answer.status_code == 422 and line in page(answer)
    assert area_names(cw, "450330102") == {}


def test_admin_forms_need_the_csrf_token(csrf_app, cw, people):
    client = csrf_app.test_client()
    login(client, people["admin"].username, csrf_token=csrf_token_of(client))
    before = user_count(cw)
    refused = client.post("/admin/users", data=new_user())
    assert refused.status_code == 400 and user_count(cw) == before
    assert upload(client, "code,name,parent_code\n450330102,同安镇,450330\n").status_code == 400
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                      page(client.get("/admin/users"))).group(1)
    answer = client.post("/admin/users", data={**new_user(), "csrf_token": token})
    assert answer.status_code == 303 and user_count(cw) == before + 1


@pytest.mark.parametrize("path", [
    f"{REPORT}?month=%ff", f"{REPORT}?month=" + "9" * 5000, f"{REPORT}?area={COUNTY}%25",
    f"{REPORT}?month=2026-03&area={COUNTY}" + "1" * 3000, f"{REPORT}?area=%00",
    f"{REPORT}?month=2026-3", "/admin/users?page=" + "9" * 40, "/admin/users?page=-1",
    "/admin/users?page=%C2%B2", "/admin/areas?area=%00", "/admin/areas?area=450331",
    f"/admin/areas?area={COUNTY}" + "1" * 3000, "/admin/users/nobody/password",
])
def test_odd_addresses_of_the_pages_answer_below_500(client, people, path):
    login(client, people["admin"].username)
    answer = client.get(path) if "password" not in path else client.post(path, data={
        "password": "long enough password"})
    assert answer.status_code < 500, path
