"""A closed month through HTTP: late intake refused naming received_at; the report (JSON, CSV)
the same before and after work goes on."""

from __future__ import annotations

from datetime import datetime, timedelta

from conftest import COUNTY, petition

from casework.reporting.closing import close_month
from casework.scheduling.deadlines import SHANGHAI

API = "/api/v1"


def test_a_petition_dated_in_a_closed_month_answers_422_and_the_report_stays(client, cw, as_):
    now = datetime.now(SHANGHAI)
    last_month = (now.replace(day=1) - timedelta(days=1)).replace(hour=10)
    month = last_month.strftime("%Y-%m")
    assert client.post(f"{API}/cases", json=petition(received_at=last_month.isoformat()),
                       headers=as_("operator")).status_code == 201
    close_month(cw, month)
    url = f"{API}/reports/monthly?month={month}&area={COUNTY}"
    before = [client.get(url + suffix, headers=as_("leader")).data
              for suffix in ("", "&format=csv")]

    late = client.post(f"{API}/cases", json=petition(received_at=last_month.isoformat()),
                       headers=as_("operator"))
    assert late.status_code == 422
    assert late.json["fields"]["received_at"].startswith("falls in a closed month")
    assert client.post(f"{API}/cases", json=petition(), headers=as_("operator")
                       ).status_code == 201
    after = [client.get(url + suffix, headers=as_("leader")).data
             for suffix in ("", "&format=csv")]
    assert after == before
    assert b'"received":1' in before[0].replace(b" ", b"")
