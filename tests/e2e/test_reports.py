"""The monthly report through HTTP: who may read it, for which area, in which format."""

from __future__ import annotations

import io
from datetime import datetime

import openpyxl
import pytest
from conftest import COUNTY, TOWN_A, TOWN_B, petition

from casework.scheduling.deadlines import SHANGHAI

REPORT = "/api/v1/reports/monthly"
MONTH = datetime.now(SHANGHAI).strftime("%Y-%m")


@pytest.fixture
def logged(client, as_):
    """Two petitions this month, in township A."""
    for _ in range(2):
        assert client.post("/api/v1/cases", json=petition(),
                           headers=as_("operator")).status_code == 201


@pytest.mark.parametrize("who", ["admin", "leader", "county_officer", "operator"])
def test_county_roles_read_the_county_report_as_json(client, as_, logged, who):
    answer = client.get(f"{REPORT}?month={MONTH}", headers=as_(who))
    assert answer.status_code == 200
    assert answer.json["month"] == MONTH
    assert answer.json["received"] == 2
    assert answer.json["area"]["code"] == COUNTY
    assert set(answer.json["by_area"]) == {TOWN_A, TOWN_B}


def test_a_township_cadre_reads_her_township_by_default(client, as_, logged):
    answer = client.get(f"{REPORT}?month={MONTH}", headers=as_("township_a"))
    assert answer.status_code == 200
    assert answer.json["area"]["code"] == TOWN_A


def test_an_area_outside_ones_own_answers_404(client, as_, people):
    for area in (TOWN_B, COUNTY, "45", "abc"):
        answer = client.get(f"{REPORT}?month={MONTH}&area={area}", headers=as_("township_a"))
        assert (answer.status_code, answer.json["error"]) == (404, "not_found"), area


def test_a_village_cadre_may_not_read_reports(client, as_, people):
    answer = client.get(f"{REPORT}?month={MONTH}", headers=as_("village_a1"))
    assert (answer.status_code, answer.json["error"]) == (403, "forbidden")


@pytest.mark.parametrize("query, field", [
    ("", "month"), ("month=2026-13", "month"), ("month=next", "month"),
    (f"month={MONTH}&format=pdf", "format"), (f"month={MONTH}&area={COUNTY}999", "area"),
])
def test_a_bad_month_format_or_area_answers_422(client, as_, people, query, field):
    answer = client.get(f"{REPORT}?{query}", headers=as_("county_officer"))
    assert answer.status_code == 422
    assert field in answer.json["fields"]


def test_the_report_downloads_as_csv(client, as_, logged):
    answer = client.get(f"{REPORT}?month={MONTH}&format=csv", headers=as_("county_officer"))
    assert answer.status_code == 200
    assert answer.mimetype == "text/csv"
    assert answer.headers["Content-Disposition"] == (
        f'attachment; filename="casework-report-{MONTH}-{COUNTY}.csv"')
    assert answer.get_data(as_text=True).strip()


def test_the_report_downloads_as_excel(client, as_, logged):
    answer = client.get(f"{REPORT}?month={MONTH}&format=xlsx&area={TOWN_A}",
                        headers=as_("township_a"))
    assert answer.status_code == 200
    assert answer.headers["Content-Disposition"].endswith(f'-{MONTH}-{TOWN_A}.xlsx"')
    assert openpyxl.load_workbook(io.BytesIO(answer.data)).sheetnames
