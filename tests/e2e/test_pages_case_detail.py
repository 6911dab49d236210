"""The case page through HTTP: its buttons, its forms, the full phone."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from casework.scheduling.deadlines import SHANGHAI
from e2e.case_pages import API, buttons, text
from e2e.conftest import counts

pytestmark = pytest.mark.usefixtures("english")  # English texts, unless marked ``chinese``


# -- the case page ----------------------------------------------------------------------------
def test_the_case_page_shows_only_the_buttons_this_user_may_press(as_user, new_case):
    number = new_case()["number"]
    assert buttons(text(as_user("village_a1").get(f"/cases/{number}"))) == {
        "accept", "escalate", "extend", "note", "assess", "measure"}
    page = text(as_user("township_a").get(f"/cases/{number}"))
    assert buttons(page) == {"note"}  # anyone who sees a case may add a note, nothing more
    assert "accept" not in buttons(page)


def test_each_form_carries_the_version_and_the_fields_its_action_needs(as_user, new_case):
    number = new_case()["number"]
    page = text(as_user("village_a1").get(f"/cases/{number}"))
    forms = dict((action, form) for form, action in re.findall(
        r'(<form method="post" action="/cases/[^"]+"[^>]*id="action-([a-z_]+)".*?</form>)',
        page, re.S))
    assert all('name="version" value="1"' in form for form in forms.values())
    assert '<textarea id="escalate-note" name="note"' in forms["escalate"]
    assert 'name="days" type="number"' in forms["extend"] and 'name="reason"' in forms["extend"]
    assert "<textarea" not in forms["accept"]


@pytest.mark.chinese
def test_pressing_a_button_performs_the_action(as_user, new_case, as_, client):
    number = new_case()["number"]
    cadre = as_user("village_a1")
    answer = cadre.post(f"/cases/{number}", data={"action": "accept", "version": "1"})
    assert (answer.status_code, answer.headers["Location"]) == (303, f"/cases/{number}")
    page = text(cadre.get(f"/cases/{number}"))
    assert "受理" in page and 'name="version" value="2"' in page  # the workflow's own name
    assert buttons(page) >= {"resolve", "refer", "wait", "escalate"}
    answer = cadre.post(f"/cases/{number}", data={
        "action": "resolve", "version": "2", "outcome": "mediated", "note": "调解成功"})
    assert answer.status_code == 303
    case = client.get(f"{API}/cases/{number}", headers=as_("operator")).json
    assert (case["status"], case["events"][-1]["note"]) == ("resolved", "调解成功")


def test_a_missing_field_comes_back_beside_it_and_writes_nothing(as_user, new_case, cw):
    number = new_case()["number"]
    before = counts(cw)
    answer = as_user("village_a1").post(f"/cases/{number}",
                                        data={"action": "escalate", "version": "1", "note": ""})
    assert answer.status_code == 422
    assert 'id="escalate-note-error"' in text(answer)
    assert counts(cw) == before


def test_a_stale_version_shows_the_case_as_it_is_now(as_user, new_case, as_, client, cw):
    number = new_case()["number"]
    client.post(f"{API}/cases/{number}/actions", json={"action": "accept", "version": 1},
                headers=as_("village_a1"))
    before = counts(cw)
    answer = as_user("village_a1").post(f"/cases/{number}", data={
        "action": "escalate", "version": "1", "note": "请乡镇协调"})
    page = text(answer)
    assert answer.status_code == 409
    assert "The case changed while you were looking at it" in page
    assert 'name="version" value="2"' in page and "请乡镇协调" in page  # her words are kept
    assert counts(cw) == before


@pytest.mark.parametrize("data, status", [
    ({"action": "accept", "version": "2"}, 409),  # accepted already: no longer possible
    ({"action": "assign", "version": "2", "target_level": "village_congress"}, 409),
    ({"action": "fly", "version": "2"}, 422), ({"action": "note", "version": "x"}, 422),
    ({"action": "extend", "version": "2", "days": "99", "reason": "r"}, 422),
    ({}, 422),
])
def test_refused_actions_come_back_as_the_case_page(as_user, new_case, as_, client, data,
                                                    status, unexpected):
    number = new_case()["number"]
    client.post(f"{API}/cases/{number}/actions", json={"action": "accept", "version": 1},
                headers=as_("village_a1"))
    answer = as_user("village_a1").post(f"/cases/{number}", data=data)
    assert answer.status_code == status and not unexpected()
    assert number in text(answer) and 'role="alert"' in text(answer)


def test_showing_the_full_phone_records_an_event_and_shows_it_once(as_user, new_case, cw):
    number = new_case()["number"]
    cadre = as_user("village_a1")
    assert "13812345678" not in text(cadre.get(f"/cases/{number}"))
    before = counts(cw)
    answer = cadre.post(f"/cases/{number}/phone")
    assert answer.status_code == 200 and "13812345678" in text(answer)
    assert answer.headers["Cache-Control"] == "no-store"
    assert counts(cw) == (before[0], before[1] + 1)
    page = text(cadre.get(f"/cases/{number}"))
    assert "13812345678" not in page and 'data-action="view_phone"' in page


def test_a_case_outside_the_users_area_answers_404_on_every_case_page(as_user, new_case, cw):
    number = new_case()["number"]
    client = as_user("village_a2")
    before = counts(cw)
    assert client.get(f"/cases/{number}").status_code == 404
    assert client.post(f"/cases/{number}", data={"action": "note", "version": "1",
                                                 "note": "x"}).status_code == 404
    assert client.post(f"/cases/{number}/phone").status_code == 404
    assert counts(cw) == before


def test_times_are_shown_in_beijing_time(as_user, new_case):
    received = (datetime.now(UTC) - timedelta(days=2)).replace(hour=20, minute=5, second=0,
                                                               microsecond=0)
    number = new_case(received_at=received.isoformat())["number"]
    page = text(as_user("village_a1").get(f"/cases/{number}"))
    assert received.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") in page
