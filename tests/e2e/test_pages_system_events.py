"""What the system writes on a case (flags, automatic escalation) reads in the page's language."""

from __future__ import annotations

from datetime import timedelta

from conftest import petition

from casework.lifecycle.intake import receive
from casework.scheduling.scan import scan
from e2e.conftest import login


def test_an_automatic_escalation_reads_in_chinese_and_in_english(cw, people, client):
    case = receive(cw, people["village_a1"], petition(channel="mailbox"))
    result = scan(cw, case.due_at + timedelta(minutes=1))
    assert result.escalated == 1
    assert login(client, people["village_a1"].username).status_code == 302

    chinese = client.get(f"/cases/{case.number}").get_data(as_text=True)
    assert "已超过办理期限，系统自动上报" in chinese
    assert "escalated automatically" not in chinese

    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    english = client.get(f"/cases/{case.number}").get_data(as_text=True)
    assert "escalated automatically: deadline passed" in english
