"""Garbage in the case pages' addresses and forms: 4xx, never a 500."""

from __future__ import annotations

import pytest

from e2e.case_pages import FORM

pytestmark = pytest.mark.usefixtures("english")  # English texts, unless marked ``chinese``


# -- garbage in, never a 500 ------------------------------------------------------------------
GARBAGE = ["page=%C2%B2", "page=" + "9" * 5000, "page=-1", "level=%00x", "q=%ff%fe",
           "received_to=9999-12-31", "per_page=0", "_external=1&_scheme=ftp", "endpoint=x",
           "status=" + "x" * 3000, "area=%E2%80%AE"]


@pytest.mark.parametrize("path", ["/", "/cases", "/cases/new", "/cases/NUMBER"])
def test_garbage_in_the_address_never_answers_500(as_user, new_case, unexpected, path):
    client = as_user("operator")
    path = path.replace("NUMBER", new_case()["number"])
    for query in GARBAGE:
        assert client.get(f"{path}?{query}").status_code < 500, query
    assert not unexpected()


@pytest.mark.parametrize("path", ["/cases/" + "9" * 3000, "/cases/%E2%80%AE", "/cases/%00",
                                  "/cases/..%2f..%2fetc"])
def test_odd_case_numbers_answer_4xx(as_user, unexpected, path):
    client = as_user("operator")
    assert client.get(path).status_code in (400, 404) and not unexpected()
    assert client.post(path, data={"action": "note"}).status_code in (400, 404)
    assert not unexpected()


def test_garbage_in_the_intake_form_never_answers_500(as_user, unexpected):
    client = as_user("operator")
    for changes in ({"village_code": "\x00"}, {"summary": "a\x01b"}, {"urgency": "x" * 9000},
                    {"petitioner_phone": "+86 ١٣٨١٢٣٤٥٦٧٨"}, {"start_level": "moon"},
                    {"resolve_now": "y", "resolve_now_outcome": "bribed"},
                    {"petitioner_gender": "?"}, {"village_code": "%_"}):
        answer = client.post("/cases/new", data={**FORM, **changes})
        assert answer.status_code in (400, 422), changes
    assert not unexpected()
