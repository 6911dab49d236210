"""Text that a spreadsheet would run (=, +, -, @, tab, CR at the start) comes in through area
names, the ledger and the workflow file; the report's CSV and Excel files carry it as plain
text, never as a formula.  (The report is the only export of the app: the case list has none.)"""

from __future__ import annotations

import csv
import io
from datetime import datetime

from conftest import TOWN_A, WORKFLOW
from hostile import FORMULAS
from openpyxl import load_workbook

from casework.imports.areas import import_areas
from casework.imports.ledger import COLUMNS, import_ledger
from casework.reporting.report_files import FORMULA_STARTS, to_csv, to_xlsx
from casework.reporting.reports import monthly_report
from casework.workflow import parse_workflow

NOW = datetime.fromisoformat("2026-11-21T12:00:00+08:00")


def villages_named_as_formulas(cw, tmp_path) -> list[str]:
    codes = [f"{TOWN_A}{300 + i}" for i in range(len(FORMULAS))]
    areas = tmp_path / "areas.csv"
    with areas.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["code", "name", "parent_code"])
        for code, name in zip(codes, FORMULAS, strict=True):
            writer.writerow([code, name, TOWN_A])
    import_areas(cw, areas)
    return codes


def ledger_of_formulas(cw, tmp_path, codes: list[str]) -> None:
    path = tmp_path / "ledger.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        for code, formula in zip(codes, FORMULAS, strict=True):
            writer.writerow({"received_at": "2026-10-12 09:00", "village_code": code,
                             "category": "domestic_violence", "channel": "visit",
                             "summary": formula, "petitioner_name": formula,
                             "concluded_level": "village_congress",
                             "concluded_at": "2026-10-14", "outcome": "mediated"})
    assert import_ledger(cw, path, now=NOW) == len(codes)


def no_formula_in_csv(text: str) -> int:
    cells = [cell for row in csv.reader(io.StringIO(text.lstrip("\ufeff"))) for cell in row]
    assert not [cell for cell in cells if cell.startswith(FORMULA_STARTS)]
    return len(cells)


def no_formula_in_xlsx(data: bytes) -> list[str]:
    book = load_workbook(io.BytesIO(data))  # not data_only: formulas would show as such
    texts = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    texts.append(cell.value)
    return texts


def test_formulas_in_area_names_and_ledgers_stay_text_in_the_report_files(cw, county, tmp_path):
    codes = villages_named_as_formulas(cw, tmp_path)
    ledger_of_formulas(cw, tmp_path, codes)
    report = monthly_report(cw, month="2026-10", area=TOWN_A, now=NOW)
    assert report["received"] == len(FORMULAS)
    assert no_formula_in_csv(to_csv(report, cw.workflow)) > len(FORMULAS)
    texts = no_formula_in_xlsx(to_xlsx(report, cw.workflow, "zh_CN"))
    for formula in FORMULAS:
        assert "'" + formula.strip() in texts  # shown to the reader as written, behind the quote


def test_formulas_in_the_workflows_level_names_stay_text_in_excel(cw, county):
    text = WORKFLOW.read_text(encoding="utf-8")
    hostile = text.replace("村妇代会（谈心室）", "'=HYPERLINK(\"http://evil\")'").replace(
        "Village women's congress", "'@SUM(A1:A9)'")
    workflow = parse_workflow(hostile)
    report = monthly_report(cw, month="2026-10", area=None, now=NOW)
    for locale in ("zh_CN", "en"):
        no_formula_in_xlsx(to_xlsx(report, workflow, locale))
    no_formula_in_csv(to_csv(report, workflow))
