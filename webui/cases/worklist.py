"""``/`` (the worklist: what the user's unit must act on, nearest deadline first) and
``/cases`` (every visible case, with the API's filters as a GET form)."""

from __future__ import annotations

from dataclasses import replace
from math import ceil

from flask import redirect, render_template, request, url_for
from flask_login import login_required

from casework.errors import Invalid
from casework.imports.areas import names_of
from casework.lifecycle import case_lists
from casework.lifecycle.schemas import whole_number
from casework.people.access import require_case_reader
from casework.vocabulary import CATEGORIES
from webui.cases import bp
from webui.context import actor, casework

REPORTS = "/reports/monthly"  # served by the reports blueprint
FILTERS = ("level", "status", "overdue", "warning", "area", "category", "q", "received_from",
           "received_to", "per_page")


@bp.get("/")
@login_required
def worklist():
    cw, me = casework(), actor()
    role = cw.workflow.roles.get(me.role)
    if role is None or not role.sees_cases:
        # Admins and leaders see figures, not case files (DESIGN.md "Areas, units and people").
        if role is not None and role.reads_reports:
            return redirect(REPORTS)
        return render_template("cases/no_cases.html")
    page = whole_number(request.args.get("page", "").strip()) or 1
    filters = case_lists.worklist_filters(cw, me, page=min(page, 10**6))
    listing = case_lists.list_cases(cw, me, filters)
    counts = case_lists.status_counts(cw, me, filters)
    # An overdue case was warned first: "due soon" counts the warned ones not yet overdue.
    flagged = {flag: sum(case_lists.status_counts(cw, me, replace(filters, **flags)).values())
               for flag, flags in (("overdue", {"overdue": True}),
                                   ("warning", {"warning": True, "overdue": False}))}
    return render_template(
        "cases/worklist.html", listing=listing, counts=counts, flagged=flagged,
        statuses=case_lists.OPEN_STATUSES, levels=filters.levels, places=_places(listing["items"]),
        pages=_pages(listing))


@bp.get("/cases")
@login_required
def case_list():
    cw, me = casework(), actor()
    require_case_reader(cw.workflow, me)
    errors: dict[str, str] = {}
    listing = None
    try:
        # A filter form sends its untouched fields blank: blank means "any", not a bad value.
        filters = case_lists.parse_filters(cw, {key: value for key, value in request.args.items()
                                           if value.strip()})
    except Invalid as exc:
        errors = exc.fields
    else:
        listing = case_lists.list_cases(cw, me, filters)
    return render_template(
        "cases/list.html", listing=listing, errors=errors, args=request.args,
        levels=[level.id for level in cw.workflow.levels], statuses=list(cw.workflow.statuses),
        categories=CATEGORIES, places=_places(listing["items"] if listing else []),
        pages=_pages(listing) if listing else None), 422 if errors else 200


def _places(items: list[dict]) -> dict[str, str]:
    """Village names of a page of cases, in one query."""
    return names_of(casework(), [item["village_code"] for item in items])


def _pages(listing: dict) -> dict:
    """Links to the previous and next pages, keeping the other query parameters."""
    last = max(1, ceil(listing["total"] / listing["per_page"]))
    page = listing["page"]
    # Only the known filters: url_for would take "_external" or "endpoint" as its own.
    args = {key: value for key, value in request.args.items() if key in FILTERS and value}

    def link(number: int) -> str:
        return url_for(request.endpoint, **args, page=number)

    return {"page": page, "last": last,
            "previous": link(page - 1) if page > 1 else None,
            "next": link(page + 1) if page < last else None}
