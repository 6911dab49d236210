"""The monthly report page (``/reports/monthly``): figures, tables and charts of one month and
area, with its Excel and CSV downloads (served by the API, which accepts the browser session)."""

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
from casework.reporting.reports import monthly_report
from casework.scheduling.deadlines import SHANGHAI
from webui.charts import bar_chart, line_chart
from webui.context import actor, casework

bp = Blueprint("reports", __name__)

HEADLINE = (("received", _l("Received")), ("concluded", _l("Concluded")),
            ("handling_rate", _l("Handling rate")), ("on_time_rate", _l("On-time rate")),
            ("satisfaction_rate", _l("Satisfaction rate")))
LEVEL_COLUMNS = (("entered", _l("Entered")), ("resolved", _l("Resolved")),
                 ("referred", _l("Referred")), ("escalated", _l("Escalated")),
                 ("returned", _l("Returned")), ("open_end", _l("Open at month end")),
                 ("overdue_end", _l("Overdue at month end")))


def _categories() -> dict[str, str]:
    language = str(get_locale() or "zh_CN")
    return {key: vocabulary.label("category", key, language) for key in vocabulary.CATEGORIES}


def percent(rate: float | None) -> str:
    """A rate for people: "93.5%", or a dash where nothing was there to count."""
    return "—" if rate is None else f"{rate:.1%}"


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
        level_rows=_level_rows(report), level_columns=LEVEL_COLUMNS,
        categories=_categories(), charts=_charts(report),
        downloads={fmt: url_for("api.monthly_report", month=report["month"], area=area,
                                format=fmt) for fmt in ("xlsx", "csv")})


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


def _charts(report: dict) -> dict:
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
            [(_("Received"), [s["received"] for s in subs]),
             (_("Concluded"), [s["concluded"] for s in subs])], _("Cases"))
    trend = report["trend"]
    charts["trend"] = line_chart(
        "chart-trend", _("Received and concluded over 12 months"),
        [point["month"] for point in trend],
        [(_("Received"), [p["received"] for p in trend]),
         (_("Concluded"), [p["concluded"] for p in trend])], _("Cases"), _("Month"))
    return charts
