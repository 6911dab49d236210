"""Login edges found while building the pages: each once answered 500 or lost a choice."""

from __future__ import annotations

from conftest import COUNTY

from tests.e2e.conftest import PASSWORD


def test_a_next_address_with_a_line_break_goes_home_instead_of_failing(client, people):
    answer = client.post("/login?next=/cases%0d%0aSet-Cookie:x=1",
                         data={"username": people["operator"].username, "password": PASSWORD})
    assert answer.status_code == 302
    assert answer.headers["Location"] == "/"


def test_the_language_chosen_before_login_stays_after_it(client, people):
    client.post("/language", data={"locale": "en", "next": "/login"})
    client.post("/login", data={"username": people["operator"].username, "password": PASSWORD})
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="en"' in page


def test_an_admin_form_error_quoting_a_percent_sign_is_shown_not_failed(client, people):
    client.post("/login", data={"username": people["admin"].username, "password": PASSWORD})
    answer = client.post("/admin/users", data={
        "username": "bad%name%s", "role": "leader", "area_code": COUNTY, "email": "",
        "password": "long enough password"})
    assert answer.status_code == 422
