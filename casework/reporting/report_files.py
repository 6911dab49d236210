"""The monthly report as files: a text table for the terminal, CSV for any spreadsheet, and an
Excel workbook with native charts.  Each takes the JSON of ``reports.monthly_report``."""

from __future__ import annotations

import csv
import io
import unicodedata

from casework.workflow import Workflow
from casework.workflow.model import Names

LEVEL_FIELDS = ("entered", "resolved", "referred", "escalated", "returned", "open_end",
                "overdue_end", "resolution_rate")
HEADLINE = ("received", "concluded", "handling_rate", "on_time_rate", "satisfaction_rate")
LABELS = {
    "report": Names("妇联维权案件月报", "Monthly case report"),
    "all": Names("全部地区", "All areas"),
    "month": Names("月份", "Month"), "area": Names("地区", "Area"),
    "area_code": Names("地区代码", "Area code"), "area_name": Names("地区名称", "Area name"),
    "level": Names("层级", "Level"),
    "received": Names("受理", "Received"), "concluded": Names("办结", "Concluded"),
    "handling_rate": Names("处置率", "Handling rate"),
    "on_time_rate": Names("按期办结率", "On-time rate"),
    "satisfaction_rate": Names("满意率", "Satisfaction rate"),
    "entered": Names("进入", "Entered"), "resolved": Names("化解", "Resolved"),
    "referred": Names("转介", "Referred"), "escalated": Names("上报", "Escalated"),
    "returned": Names("退回", "Returned"), "open_end": Names("月末在办", "Open at end"),
    "overdue_end": Names("月末超期", "Overdue at end"),
    "resolution_rate": Names("化解率", "Resolution rate"),
    "by_level": Names("各层级办理情况", "By level"), "by_area": Names("分地区", "By area"),
    "trend": Names("近12个月趋势", "12-month trend"),
    "protection": Names("反家暴保护措施", "Domestic-violence protection"),
    "figure": Names("项目", "Figure"), "count": Names("数量", "Count"),
    "assessed": Names("危险性评估", "Danger assessments"),
    "high_risk": Names("其中高危", "of them high risk"),
    "orders_applied": Names("保护令申请", "Protection orders applied for"),
    "orders_granted": Names("保护令签发", "Protection orders granted"),
    "orders_rejected": Names("保护令驳回", "Protection orders rejected"),
    "warning_letters": Names("告诫书", "Warning letters"),
    "shelter_placements": Names("临时庇护", "Shelter placements"),
    "mandatory_reports": Names("强制报告", "Mandatory reports"),
}
SHEETS = ("Summary", "By area", "Trend", "Protection")
PROTECTION = ("assessed", "high_risk", "orders_applied", "orders_granted", "orders_rejected",
              "warning_letters", "shelter_placements", "mandatory_reports")
PERCENT = "0.0%"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


# The rule for exports (issue 6): report files go to leaders and administrators, roles that open
# no case file (workflows.yaml: sees_cases false), and files leave the building by mail and USB
# stick.  So they carry figures only; a report that held any petitioner's data is refused here,
# whoever asks, rather than written to a spreadsheet.  Casework has no case-list export; one
# that carries petitioners' data would need its own rule (roles that see cases, an event per
# export), not these functions.
PETITIONER_KEYS = frozenset({"petitioner", "petitioners", "petitioner_name", "petitioner_phone",
                             "phone", "id_number", "name_sealed", "phone_sealed"})


def figures_only(report: object) -> None:
    """ValueError when ``report`` holds petitioners' data anywhere in it."""
    if isinstance(report, dict):
        found = PETITIONER_KEYS.intersection(report)
        if found:
            raise ValueError("a report file carries figures only, never petitioners' data "
                             f"(found {', '.join(sorted(found))})")
        for value in report.values():
            figures_only(value)
    elif isinstance(report, list):
        for value in report:
            figures_only(value)


def label(key: str, locale: str) -> str:
    return LABELS[key].get(locale)


def guard_formula(value: object) -> object:
    """A text cell that a spreadsheet would run as a formula, made plain text (OWASP's CSV
    injection advice): area names come from an uploaded file."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def percent(rate: float | None) -> str:
    # A null rate (nothing to divide by) is a plain ASCII dash: one column in every terminal.
    return "-" if rate is None else f"{rate:.1%}"


def _place(report: dict, locale: str) -> tuple[str, str]:
    area = report["area"]
    return (area["code"], area["name"]) if area else ("", label("all", locale))


# -- text table -------------------------------------------------------------------------------
def _width(text: str) -> int:
    """Columns the text takes in a terminal: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _text(value: object) -> str:
    return percent(value) if value is None or isinstance(value, float) else str(value)


def _grid(header: list[str], rows: list[list]) -> list[str]:
    """Fixed-width lines; the first column left-aligned, the figures right-aligned."""
    table = [header] + [[_text(value) for value in row] for row in rows]
    widths = [max(_width(row[i]) for row in table) for i in range(len(header))]

    def pad(text: str, width: int, left: bool) -> str:
        space = " " * (width - _width(text))
        return text + space if left else space + text

    lines = ["  ".join(pad(text, width, i == 0)
                       for i, (text, width) in enumerate(zip(row, widths, strict=True))).rstrip()
             for row in table]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return lines


def _level_rows(levels: dict, workflow: Workflow, locale: str) -> list[list]:
    return [[level.name.get(locale), *(levels[level.id][f] for f in LEVEL_FIELDS)]
            for level in workflow.handling_levels()]


def to_table(report: dict, workflow: Workflow, locale: str = "zh_CN") -> str:
    figures_only(report)
    code, name = _place(report, locale)
    lines = [f"{label('report', locale)}  {report['month']}  {name}{f' ({code})' if code else ''}",
             "   ".join(f"{label(k, locale)} {_text(report[k])}" for k in HEADLINE), ""]
    lines += _grid([label("level", locale), *(label(f, locale) for f in LEVEL_FIELDS)],
                   _level_rows(report["levels"], workflow, locale))
    if report["by_area"]:
        lines += ["", label("by_area", locale)]
        lines += _grid([label("area", locale), label("area_code", locale),
                        *(label(k, locale) for k in HEADLINE[:3])],
                       [[row["name"], sub, row["received"], row["concluded"],
                         row["handling_rate"]] for sub, row in report["by_area"].items()])
    lines += ["", label("protection", locale)]
    lines += _grid([label("figure", locale), label("count", locale)],
                   [[label(k, locale), report["protection"][k]] for k in PROTECTION])
    lines += ["", label("trend", locale)]
    lines += _grid([label("month", locale), *(label(k, locale) for k in HEADLINE[:3])],
                   [[p["month"], p["received"], p["concluded"], p["handling_rate"]]
                    for p in report["trend"]])
    return "\n".join(lines) + "\n"


# -- CSV --------------------------------------------------------------------------------------
def csv_header(workflow: Workflow) -> list[str]:
    return ["area_code", "area_name", "received", "concluded", "handling_rate",
            *(f"{level.id}_{f}" for level in workflow.handling_levels() for f in LEVEL_FIELDS),
            *(f"protection_{k}" for k in PROTECTION)]


def _csv_row(code: str, name: str, figures: dict, workflow: Workflow,
             protection: dict) -> list:
    def plain(value):
        if isinstance(value, float):
            return f"{value:.4f}"  # a fraction from 0 to 1, as in the JSON
        return "" if value is None else guard_formula(value)

    levels = [figures["levels"][level.id] for level in workflow.handling_levels()]
    return [plain(v) for v in (
        code, name, figures["received"], figures["concluded"], figures["handling_rate"],
        *(level[f] for level in levels for f in LEVEL_FIELDS),
        *(protection[k] for k in PROTECTION))]


def to_csv(report: dict, workflow: Workflow) -> str:
    """One row for the area and one per sub-area; UTF-8 with a BOM, so that Excel reads the
    Chinese names right."""
    figures_only(report)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(csv_header(workflow))
    code, name = _place(report, "zh_CN")
    writer.writerow(_csv_row(code, name, report, workflow, report["protection"]))
    for sub, figures in report["by_area"].items():
        writer.writerow(_csv_row(sub, figures["name"], figures, workflow,
                                 report["protection_by_area"][sub]))
    return "\ufeff" + out.getvalue()


# -- Excel ------------------------------------------------------------------------------------
def to_xlsx(report: dict, workflow: Workflow, locale: str = "zh_CN") -> bytes:
    from openpyxl import Workbook

    figures_only(report)
    book = Workbook()
    _summary_sheet(book.active, report, workflow, locale)
    _area_sheet(book.create_sheet(SHEETS[1]), report, workflow, locale)
    _trend_sheet(book.create_sheet(SHEETS[2]), report, locale)
    _protection_sheet(book.create_sheet(SHEETS[3]), report, locale)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _put(sheet, row: int, values: list, *, bold: bool = False) -> None:
    from openpyxl.styles import Font

    for column, value in enumerate(values, start=1):
        cell = sheet.cell(row=row, column=column, value=guard_formula(value))
        if isinstance(value, float):
            cell.number_format = PERCENT  # every float of the report is a rate
        if bold:
            cell.font = Font(bold=True)


def _bar_chart(sheet, title: str, first_row: int, last_row: int, columns: list[int],
               anchor: str):
    from openpyxl.chart import BarChart, Reference

    chart = BarChart()
    chart.title = title
    chart.width, chart.height = 18, 8
    for column in columns:
        chart.add_data(Reference(sheet, min_col=column, min_row=first_row - 1,
                                 max_row=last_row), titles_from_data=True)
    chart.set_categories(Reference(sheet, min_col=1, min_row=first_row, max_row=last_row))
    sheet.add_chart(chart, anchor)


def _summary_sheet(sheet, report: dict, workflow: Workflow, locale: str) -> None:
    sheet.title = SHEETS[0]
    code, name = _place(report, locale)
    _put(sheet, 1, [label("report", locale)], bold=True)
    _put(sheet, 2, [label("month", locale), report["month"]])
    _put(sheet, 3, [label("area", locale), name, code])
    for offset, key in enumerate(HEADLINE):
        _put(sheet, 4 + offset, [label(key, locale), report[key]])
    top = 4 + len(HEADLINE) + 1
    _put(sheet, top, [label("level", locale), *(label(f, locale) for f in LEVEL_FIELDS)],
         bold=True)
    rows = _level_rows(report["levels"], workflow, locale)
    for offset, row in enumerate(rows, start=1):
        _put(sheet, top + offset, row)
    sheet.column_dimensions["A"].width = 28
    # resolved, referred, escalated: columns 3, 4, 5 of the level table
    _bar_chart(sheet, label("by_level", locale), top + 1, top + len(rows), [3, 4, 5],
               f"A{top + len(rows) + 3}")


def _area_sheet(sheet, report: dict, workflow: Workflow, locale: str) -> None:
    levels = workflow.handling_levels()
    _put(sheet, 2, [label("area_name", locale), label("area_code", locale),
                    *(label(k, locale) for k in HEADLINE[:3]),
                    *(label(f, locale) for _ in levels for f in LEVEL_FIELDS)], bold=True)
    for index, level in enumerate(levels):
        # Each level's name once, above its own columns.
        first = 6 + index * len(LEVEL_FIELDS)
        # Level names come from workflows.yaml, which an administrator edits: guarded too.
        sheet.cell(row=1, column=first, value=guard_formula(level.name.get(locale)))
        sheet.merge_cells(start_row=1, start_column=first, end_row=1,
                          end_column=first + len(LEVEL_FIELDS) - 1)
    rows = list(report["by_area"].items())
    for offset, (sub, figures) in enumerate(rows, start=3):
        _put(sheet, offset, [figures["name"], sub, figures["received"], figures["concluded"],
                             figures["handling_rate"],
                             *(figures["levels"][level.id][f] for level in levels
                               for f in LEVEL_FIELDS)])
    sheet.column_dimensions["A"].width = 16
    if rows:  # a village has no sub-areas, and an empty chart is no chart
        _bar_chart(sheet, label("by_area", locale), 3, 2 + len(rows), [3, 4],
                   f"A{len(rows) + 5}")


def _trend_sheet(sheet, report: dict, locale: str) -> None:
    from openpyxl.chart import LineChart, Reference

    _put(sheet, 1, [label("month", locale), *(label(k, locale) for k in HEADLINE[:3])],
         bold=True)
    for offset, point in enumerate(report["trend"], start=2):
        _put(sheet, offset, [point["month"], point["received"], point["concluded"],
                             point["handling_rate"]])
    last = 1 + len(report["trend"])
    chart = LineChart()
    chart.title = label("trend", locale)
    chart.width, chart.height = 18, 8
    chart.add_data(Reference(sheet, min_col=2, max_col=3, min_row=1, max_row=last),
                   titles_from_data=True)
    chart.set_categories(Reference(sheet, min_col=1, min_row=2, max_row=last))
    sheet.add_chart(chart, "F2")


def _protection_sheet(sheet, report: dict, locale: str) -> None:
    """The area's protection figures, then each sub-area's, one column a figure."""
    _put(sheet, 1, [label("protection", locale)], bold=True)
    _put(sheet, 2, [label("area_name", locale), label("area_code", locale),
                    *(label(k, locale) for k in PROTECTION)], bold=True)
    code, name = _place(report, locale)
    _put(sheet, 3, [name, code, *(report["protection"][k] for k in PROTECTION)], bold=True)
    for offset, (sub, figures) in enumerate(report["by_area"].items(), start=4):
        _put(sheet, offset, [figures["name"], sub,
                             *(report["protection_by_area"][sub][k] for k in PROTECTION)])
    sheet.column_dimensions["A"].width = 16
    last = 3 + len(report["by_area"])
    _bar_chart(sheet, label("protection", locale), 3, last,
               list(range(3, 3 + len(PROTECTION))), f"A{last + 3}")
