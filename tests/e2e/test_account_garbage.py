"""Garbage in the account pages' and account log's addresses and forms: 4xx, never a 500."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.usefixtures("english")
GARBAGE = ["page=%C2%B2", "page=" + "9" * 5000, "page=-1", "per_page=%00", "per_page=99999",
           "user=%00", "user=" + "x" * 3000, "user=%E2%80%AE"]
FORMS = [{}, {"role": "moon", "area_code": "\x00"}, {"role": "admin", "area_code": "9" * 40},
         {"password": "\x00" * 20}, {"password": "x" * 5000}, {"current_password": "\x00",
                                                                "password": "a\x00b" * 5,
                                                                "confirm": "a\x00b" * 5}]


def test_garbage_in_the_account_log_never_answers_500(as_user, as_, client, unexpected):
    admin = as_("admin")
    for query in GARBAGE:
        assert client.get(f"/api/v1/account-events?{query}", headers=admin).status_code < 500
    as_user("admin")
    for query in GARBAGE:
        assert client.get(f"/admin/account-events?{query}").status_code < 500, query
    assert not unexpected()


def test_garbage_in_the_admins_account_forms_never_answers_500(as_user, people, unexpected):
    client = as_user("admin")
    for name in (people["operator"].username, "nobody", "%00", "x" * 300):
        for path in ("change", "password", "sessions/end", "deactivate"):
            for form in FORMS:
                answer = client.post(f"/admin/users/{name}/{path}", data=form)
                assert answer.status_code < 500, (name, path, form)
    assert not unexpected()


def test_garbage_in_her_own_account_forms_never_answers_500(as_user, unexpected):
    client = as_user("village_a1")
    for form in FORMS:
        assert client.post("/account/password", data=form).status_code in (303, 422)
    for record in ("0", "99999999999999999999", "-1", "x"):
        assert client.post(f"/account/sessions/{record}/end").status_code in (303, 404)
    assert client.post("/account/sessions/end-others").status_code == 303
    assert client.get("/account").status_code == 200
    assert not unexpected()
