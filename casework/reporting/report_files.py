"""A report as files: a text table for the terminal, CSV for any spreadsheet, and an Excel
workbook with native charts (report_workbook.py).  Each takes the JSON of
``reports.monthly_report`` or of ``reports.period_report``: a period's has ``from`` and ``to``
in place of ``month``, and ``by_month`` in place of ``trend``."""

from __future__ import annotations

import csv
import io
import unicodedata

from casework.reporting.figures import RATE_COUNTS, share
from casework.vocabulary import LABELS as WORDS
from casework.vocabulary import figure_word
from casework.workflow import Workflow
from casework.workflow.model import Names

LEVEL_FIELDS = ("entered", "resolved", "referred", "escalated", "returned", "open_end",
                "overdue_end", "resolution_rate")
HEADLINE = ("received", "concluded", "handling_rate", "on_time_rate", "satisfaction_rate")
# The words of the file's frame; the figures' own words are vocabulary.LABELS["figure"], the
# one table the pages and the handbook use too.
LABELS = {
    "report": Names("妇联维权案件月报", "Monthly case report"),
    "period_report": Names("妇联维权案件报告", "Case report over a period"),
    "period": Names("期间", "Period"), "months": Names("月数", "Months"),
    "by_month": Names("逐月情况", "Month by month"),
    "all": Names("全部地区", "All areas"),
    "month": Names("月份", "Month"), "area": Names("地区", "Area"),
    "area_code": Names("地区代码", "Area code"), "area_name": Names("地区名称", "Area name"),
    "level": Names("层级", "Level"),
    "by_level": Names("各层级办理情况", "By level"), "by_area": Names("分地区", "By area"),
    "trend": Names("近12个月趋势", "12-month trend"),
    "protection": Names("反家暴保护措施", "Domestic-violence protection"),
    "figure": Names("项目", "Figure"), "count": Names("数量", "Count"),
}
PROTECTION = ("assessed", "high_risk", "orders_applied", "orders_granted", "orders_rejected",
              "warning_letters", "shelter_placements", "mandatory_reports")
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


def label(key: str, locale: str, *, period: bool = False) -> str:
    """The word of ``key`` in ``locale``: a figure's from vocabulary.LABELS["figure"] (a state
    at the end of a period reads "期末", ``period``), the file's frame from LABELS."""
    if key in WORDS["figure"]:
        return figure_word(key, locale, period=period)
    return LABELS[key].get(locale)


def guard_formula(value: object) -> object:
    """A text cell that a spreadsheet would run as a formula, made plain text (OWASP's CSV
    injection advice): area names come from an uploaded file."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def is_period(report: dict) -> bool:
    return "by_month" in report


def span(report: dict) -> str:
    """The report's time: its month, or its first and last month."""
    return f"{report['from']} – {report['to']}" if is_period(report) else report["month"]


def points(report: dict) -> list[dict]:
    """The months a report charts: a month's 12-month trend, a period's months."""
    return report["by_month"] if is_period(report) else report["trend"]


def title(report: dict, locale: str) -> str:
    return label("period_report" if is_period(report) else "report", locale)


def percent(rate: float | None) -> str:
    # A null rate (nothing to divide by) is a plain ASCII dash: one column in every terminal.
    return "-" if rate is None else f"{rate:.1%}"


def place_of(report: dict, locale: str) -> tuple[str, str]:
    area = report["area"]
    return (area["code"], area["name"]) if area else ("", label("all", locale))


def headline_value(report: dict, key: str) -> str:
    """A headline figure as read: a count, or a rate with the counts it is a share of
    ("100.0% (3/3)"), so that 办结 0 beside 按期办结率 100% reads as what it is."""
    if key in RATE_COUNTS:
        return f"{percent(report[key])} ({share(report, key)})"
    return str(report[key])


def rate_notes(locale: str) -> list[str]:
    """What the on-time rate's counts are: every conclusion of the period, whenever received."""
    return [f"{label('on_time_rate', locale)}: {label('on_time', locale)} / "
            f"{label('conclusions', locale)}; {label('satisfaction_rate', locale)}: "
            f"{label('satisfied', locale)} / {label('closes', locale)}"]


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


def level_rows(levels: dict, workflow: Workflow, locale: str) -> list[list]:
    return [[level.name.get(locale), *(levels[level.id][f] for f in LEVEL_FIELDS)]
            for level in workflow.handling_levels()]


def to_table(report: dict, workflow: Workflow, locale: str = "zh_CN") -> str:
    figures_only(report)
    code, name = place_of(report, locale)
    lines = [f"{title(report, locale)}  {span(report)}  {name}{f' ({code})' if code else ''}",
             "   ".join(f"{label(k, locale)} {headline_value(report, k)}" for k in HEADLINE),
             *rate_notes(locale), ""]
    lines += _grid([label("level", locale),
                    *(label(f, locale, period=is_period(report)) for f in LEVEL_FIELDS)],
                   level_rows(report["levels"], workflow, locale))
    if report["by_area"]:
        lines += ["", label("by_area", locale)]
        lines += _grid([label("area", locale), label("area_code", locale),
                        *(label(k, locale) for k in HEADLINE[:3])],
                       [[row["name"], sub, row["received"], row["concluded"],
                         row["handling_rate"]] for sub, row in report["by_area"].items()])
    lines += ["", label("protection", locale)]
    lines += _grid([label("figure", locale), label("count", locale)],
                   [[label(k, locale), report["protection"][k]] for k in PROTECTION])
    lines += ["", label("by_month" if is_period(report) else "trend", locale)]
    lines += _grid([label("month", locale), *(label(k, locale) for k in HEADLINE[:3])],
                   [[p["month"], p["received"], p["concluded"], p["handling_rate"]]
                    for p in points(report)])
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
    code, name = place_of(report, "zh_CN")
    writer.writerow(_csv_row(code, name, report, workflow, report["protection"]))
    for sub, figures in report["by_area"].items():
        writer.writerow(_csv_row(sub, figures["name"], figures, workflow,
                                 report["protection_by_area"][sub]))
    return "\ufeff" + out.getvalue()


# -- Excel ------------------------------------------------------------------------------------
def to_xlsx(report: dict, workflow: Workflow, locale: str = "zh_CN") -> bytes:
    """The Excel workbook, with native charts (report_workbook.py; it needs openpyxl)."""
    from casework.reporting.report_workbook import workbook

    figures_only(report)
    return workbook(report, workflow, locale)
