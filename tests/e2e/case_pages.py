"""What the case page tests share: the client logged in as someone, a case made through the
API, the intake form's contract fields, and the English texts (the Chinese ones are tested in
test_translations and by the tests marked ``chinese``)."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import pytest
from conftest import VILLAGE_A1, petition

from casework.lifecycle.actions import perform
from casework.lifecycle.intake import receive
from casework.scheduling.scan import scan

API = "/api/v1"
FORM = {"channel": "hotline_12338", "village_code": VILLAGE_A1, "category": "domestic_violence",
        "urgency": "normal", "summary": "丈夫酗酒后打人", "petitioner_name": "李某",
        "petitioner_phone": "138-1234-5678", "start_level": ""}


@pytest.fixture
def english(request, client):
    """Most tests here read the pages' English texts; those marked ``chinese`` read the
    default language (more of it is tested in test_translations)."""
    if not request.node.get_closest_marker("chinese"):
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def as_user(client, people):
    """``as_user("village_a1")``: the test client, logged in as that person."""
    from e2e.conftest import login  # here: the conftest imports this module

    def log_in(who: str):
        assert login(client, people[who].username).status_code == 302
        return client
    return log_in


@pytest.fixture
def new_case(client, as_):
    """``new_case(**overrides)``: a case logged through the API by the hotline."""
    def make(**overrides) -> dict:
        answer = client.post(f"{API}/cases", json=petition(**overrides), headers=as_("operator"))
        assert answer.status_code == 201, answer.json
        return answer.json
    return make


@pytest.fixture
def unexpected(caplog):
    caplog.set_level(logging.ERROR, logger="webui.errors")
    return lambda: [r for r in caplog.records if r.getMessage().startswith("unexpected")]


def text(answer) -> str:
    return answer.get_data(as_text=True)


def buttons(page: str) -> set[str]:
    return set(re.findall(r'<button type="submit" name="action" value="([a-z_]+)"', page))


@pytest.fixture
def cases(cw, people) -> dict[str, str]:
    """The browser tests' cases (test_phone, test_accessibility): one in each state a page
    shows differently: overdue, due soon, in progress."""
    operator = people["operator"]
    overdue = receive(cw, operator, petition(urgency="urgent"))
    warned = receive(cw, operator, petition(summary="邻里纠纷，多次调解未果"))
    scan(cw, warned.warn_at + timedelta(minutes=1))
    working = receive(cw, operator, petition(summary="离婚后抚养费不付"))
    perform(cw, people["village_a1"], working.number, {"action": "accept", "version": 1})
    return {"overdue": overdue.number, "warned": warned.number, "in_progress": working.number}
