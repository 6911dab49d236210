"""The report pages: the monthly report (``/reports/monthly``) and the report over a period
(``/reports/period``, with quarter, half-year and year shortcuts): figures, tables and charts of
an area, with their Excel and CSV downloads (served by the API, which accepts the browser
session) and a print layout for A4 paper."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required

from casework import vocabulary
from casework.errors import Invalid
from casework.imports.areas import list_areas
from casework.people.access import report_area
from casework.reporting.figures import RATE_COUNTS, share
from casework.reporting.reports import monthly_report, period_report
from casework.scheduling.deadlines import SHANGHAI
from webui.charts import bar_chart, line_chart
from webui.context import actor, casework

bp = Blueprint("reports", __name__)

class FigureWord:
    """A figure's word (vocabulary.LABELS["figure"], the table the command line, the files and
    docs/reports.md use too) read in the page's language when shown: one word per figure
    wherever a leader reads it."""

    def __init__(self, key: str, *, period: bool = False) -> None:
        self.key, self.period = key, period

    def __str__(self) -> str:
        return vocabulary.figure_word(self.key, str(get_locale() or "zh_CN"),
                                      period=self.period)

    __html__ = __str__


HEADLINE = tuple((key, FigureWord(key)) for key in ("received", "concluded", "handling_rate",
                                                    "on_time_rate", "satisfaction_rate"))
LEVEL_COLUMNS = tuple((key, FigureWord(key)) for key in ("entered", "resolved", "referred",
                                                         "escalated", "returned", "open_end",
                                                         "overdue_end"))
PERIOD_LEVEL_COLUMNS = (*LEVEL_COLUMNS[:5],
                        *((key, FigureWord(key, period=True)) for key in ("open_end",
                                                                          "overdue_end")))
# The summaries federations write: quarters, half-years, the year (first and last month).
SPANS = ((_l("Q1"), 1, 3), (_l("Q2"), 4, 6), (_l("Q3"), 7, 9), (_l("Q4"), 10, 12),
         (_l("First half"), 1, 6), (_l("Second half"), 7, 12), (_l("Whole year"), 1, 12))


def _categories() -> dict[str, str]:
    language = str(get_locale() or "zh_CN")
    return {key: vocabulary.label("category", key, language) for key in vocabulary.CATEGORIES}


def percent(rate: float | None) -> str:
    """A rate for people: "93.5%", or a dash where nothing was there to count."""
    return "—" if rate is None else f"{rate:.1%}"


def _shares(report: dict) -> dict[str, str]:
    """Each rate's counts ("3/3"), shown under it."""
    return {key: share(report, key) for key in RATE_COUNTS}


def rates_note() -> str:
    """What each rate is a share of: the on-time rate counts every conclusion of the period,
    not only the period's own petitions, so 办结 0 may stand beside 按期办结率 100% (3/3)."""
    words = {key: str(FigureWord(key)) for key in (
        "on_time_rate", "on_time", "conclusions", "handling_rate", "concluded", "received",
        "satisfaction_rate", "satisfied", "closes")}
    return _("%(on_time_rate)s: %(on_time)s / %(conclusions)s (every case concluded in the "
             "period, whenever it came in); %(handling_rate)s: %(concluded)s / %(received)s "
             "(the period's own petitions); %(satisfaction_rate)s: %(satisfied)s / "
             "%(closes)s.", **words)


def current_month() -> str:
    """The month in progress where the federation works (a report month is a Shanghai month)."""
    return datetime.now(SHANGHAI).strftime("%Y-%m")


@bp.get("/reports/monthly")
@login_required
def monthly():
    cw, who = casework(), actor()
    # Forbidden (no reports for this role) and not-found (outside her area) end here, as pages.
    area = report_area(cw.workflow, who, request.args.get("area") or None)
    month = request.args.get("month") or current_month()
    try:
        report = monthly_report(cw, month=month, area=area)
    except Invalid as exc:
        # A wrong month or an unknown code is a typo: show the form again with the reason.
        return render_template("reports/monthly.html", report=None, errors=exc.fields,
                               month=month[:20], area=area, places=_places(who.area_code),
                               headline=HEADLINE), 422
    return render_template(
        "reports/monthly.html", report=report, errors={}, month=report["month"], area=area,
        places=_places(area, report), headline=HEADLINE, percent=percent,
        shares=_shares(report), rates_note=rates_note(),
        level_rows=_level_rows(report), level_columns=LEVEL_COLUMNS,
        categories=_categories(),
        charts=_charts(report, report["trend"], _("Received and concluded over 12 months")),
        area_link=lambda code: url_for("reports.monthly", month=report["month"], area=code),
        downloads={fmt: url_for("api.monthly_report", month=report["month"], area=area,
                                format=fmt) for fmt in ("xlsx", "csv")})


@bp.get("/reports/period")
@login_required
def period():
    cw, who = casework(), actor()
    area = report_area(cw.workflow, who, request.args.get("area") or None)
    start, end = request.args.get("from"), request.args.get("to")
    if not start and not end:  # the year so far
        end = current_month()
        start = f"{end[:4]}-01"
    start, end = start or "", end or ""
    try:
        report = period_report(cw, start=start, end=end, area=area)
    except Invalid as exc:
        return render_template("reports/period.html", report=None, errors=exc.fields,
                               start=start[:20], end=end[:20], area=area,
                               places=_places(who.area_code), headline=HEADLINE,
                               shortcuts=_shortcuts(area, None)), 422
    first, last = report["from"], report["to"]
    return render_template(
        "reports/period.html", report=report, errors={}, start=first, end=last, area=area,
        places=_places(area, report), headline=HEADLINE, percent=percent,
        shares=_shares(report), rates_note=rates_note(),
        level_rows=_level_rows(report), level_columns=PERIOD_LEVEL_COLUMNS,
        categories=_categories(), shortcuts=_shortcuts(area, report),
        charts=_charts(report, report["by_month"], _("Received and concluded month by month")),
        area_link=lambda code: url_for("reports.period", area=code, **{"from": first,
                                                                        "to": last}),
        month_link=lambda month: url_for("reports.monthly", month=month, area=area),
        downloads={fmt: url_for("api.period_report", area=area, format=fmt,
                                **{"from": first, "to": last}) for fmt in ("xlsx", "csv")})


def _shortcuts(area: str, report: dict | None) -> list[tuple[int, list]]:
    """Quarter, half-year and year links of the report's year and the year before (a span in
    progress ends with the current month; one not begun is left out), and the last two years
    (the field report's span)."""
    now = current_month()
    year = int((report or {}).get("to", now)[:4])
    shown = (report["from"], report["to"]) if report else None

    def link(name, first: str, last: str):
        last = min(last, now)
        href = url_for("reports.period", area=area, **{"from": first, "to": last})
        return (name, href, shown == (first, last))

    rows = []
    for y in (year, year - 1):
        links = [link(name, f"{y}-{a:02d}", f"{y}-{b:02d}") for name, a, b in SPANS
                 if f"{y}-{a:02d}" <= now]
        if links:
            rows.append((y, links))
    back = int(now[:4]) * 12 + int(now[5:]) - 24  # 24 months, the current one the last
    rows.append(("", [link(_("Last 24 months"), f"{back // 12}-{back % 12 + 1:02d}", now)]))
    return rows


def _places(area: str, report: dict | None = None) -> list[tuple[str, str, int]]:
    """The area picker's choices: the way up to the user's own area, the area, its sub-areas
    (code, name, depth below the user's own area)."""
    own = actor().area_code
    lineage, _children = list_areas(casework(), by=None, under=area)
    places = [(a.code, a.name, (len(a.code) - len(own)) // 3) for a in lineage
              if a.code.startswith(own)]
    depth = (len(area) - len(own)) // 3 + 1
    places += [(code, sub["name"], depth) for code, sub in (report or {}).get(
        "by_area", {}).items()]
    return places


def _level_name(level) -> str:
    return level.name.get(str(get_locale() or "zh_CN"))


def _level_rows(report: dict) -> list[tuple[str, dict]]:
    return [(_level_name(level), report["levels"][level.id])
            for level in casework().workflow.handling_levels()]


def _charts(report: dict, points: list[dict], months_title: str) -> dict:
    levels = casework().workflow.handling_levels()
    names = [_level_name(level) for level in levels]
    charts = {"levels": bar_chart(
        "chart-levels", _("Cases by level"), names,
        [(str(label), [report["levels"][level.id][key] for level in levels])
         for key, label in LEVEL_COLUMNS[:4]], _("Cases"))}
    if report["by_area"]:
        subs = list(report["by_area"].values())
        charts["areas"] = bar_chart(
            "chart-areas", _("Received and concluded by area"), [s["name"] for s in subs],
            [(str(FigureWord("received")), [s["received"] for s in subs]),
             (str(FigureWord("concluded")), [s["concluded"] for s in subs])], _("Cases"))
    charts["trend"] = line_chart(
        "chart-trend", months_title, [point["month"] for point in points],
        [(str(FigureWord("received")), [p["received"] for p in points]),
         (str(FigureWord("concluded")), [p["concluded"] for p in points])], _("Cases"), _("Month"))
    return charts
