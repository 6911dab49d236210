"""A report as an Excel workbook with native charts: a summary with the levels, the sub-areas,
and the months (a month's 12-month trend, a period's months), each sheet with its chart.  Called
through report_files.to_xlsx, which first makes sure the report carries figures only."""

from __future__ import annotations

import io

from casework.reporting.figures import RATE_COUNTS, share
from casework.reporting.report_files import (
    HEADLINE,
    LEVEL_FIELDS,
    PROTECTION,
    guard_formula,
    is_period,
    label,
    level_rows,
    place_of,
    points,
    span,
    title,
)
from casework.workflow import Workflow

SHEETS = ("Summary", "By area", "Trend", "Protection")
PERIOD_SHEETS = ("Summary", "By area", "By month", "Protection")
PERCENT = "0.0%"


def workbook(report: dict, workflow: Workflow, locale: str) -> bytes:
    from openpyxl import Workbook

    names = PERIOD_SHEETS if is_period(report) else SHEETS
    book = Workbook()
    _summary_sheet(book.active, report, workflow, locale)
    book.active.title = names[0]
    _area_sheet(book.create_sheet(names[1]), report, workflow, locale)
    _trend_sheet(book.create_sheet(names[2]), report, locale)
    _protection_sheet(book.create_sheet(names[3]), report, locale)
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
    code, name = place_of(report, locale)
    _put(sheet, 1, [title(report, locale)], bold=True)
    _put(sheet, 2, [label("period" if is_period(report) else "month", locale), span(report)])
    _put(sheet, 3, [label("area", locale), name, code])
    for offset, key in enumerate(HEADLINE):
        # A rate with the counts it is a share of ("3/3") in the cell beside it, as on the page.
        counts = [share(report, key)] if key in RATE_COUNTS else []
        _put(sheet, 4 + offset, [label(key, locale), report[key], *counts])
    top = 4 + len(HEADLINE) + 1
    _put(sheet, top, [label("level", locale),
                      *(label(f, locale, period=is_period(report)) for f in LEVEL_FIELDS)],
         bold=True)
    rows = level_rows(report["levels"], workflow, locale)
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
                    *(label(f, locale, period=is_period(report)) for _ in levels
                      for f in LEVEL_FIELDS)], bold=True)
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
    for offset, point in enumerate(points(report), start=2):
        _put(sheet, offset, [point["month"], point["received"], point["concluded"],
                             point["handling_rate"]])
    last = 1 + len(points(report))
    chart = LineChart()
    chart.title = label("by_month" if is_period(report) else "trend", locale)
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
    code, name = place_of(report, locale)
    _put(sheet, 3, [name, code, *(report["protection"][k] for k in PROTECTION)], bold=True)
    for offset, (sub, figures) in enumerate(report["by_area"].items(), start=4):
        _put(sheet, offset, [figures["name"], sub,
                             *(report["protection_by_area"][sub][k] for k in PROTECTION)])
    sheet.column_dimensions["A"].width = 16
    last = 3 + len(report["by_area"])
    _bar_chart(sheet, label("protection", locale), 3, last,
               list(range(3, 3 + len(PROTECTION))), f"A{last + 3}")
