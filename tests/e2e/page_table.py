"""Which pages there are, and who can open each: the table the accessibility tests walk.

The routes are read from the app's URL map (every rule answering GET, less the API, static
files and machine answers), so a page added later without an entry here fails
``test_every_page_route_is_in_the_accessibility_table`` instead of going unchecked.  Who can
open each page is checked against the app too (``test_the_table_names_exactly_the_roles_that_
can_open_each_page``): the table cannot drift from the permissions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask

# The people of tests/conftest.py ``people`` fixture, one of every role, and nobody logged in.
ANONYMOUS = "anonymous"
CASE_ROLES = ("operator", "county_officer", "township_a", "village_a1")
REPORT_ROLES = ("operator", "county_officer", "township_a", "admin", "leader")
LOGGED_IN = (*CASE_ROLES, "admin", "leader")
EVERYONE = (ANONYMOUS, *LOGGED_IN)

# Endpoints that answer GET but are no page a person reads: the JSON API (its own tests and
# the OpenAPI schema), static files, and machine answers.
NOT_PAGES = {
    "static": "the project's CSS and scripts",
    "bootstrap.static": "Bootstrap's CSS and scripts",
    "openapi": "the API's schema (JSON)",
    "health.healthz": "the load balancer's health answer (JSON)",
    "cases.download_attachment": "an attachment's own bytes (a download)",
    "cases.attachment_thumbnail": "a photo's thumbnail (an image)",
    "imports.ledger_template_file": "the ledger template (an Excel download)",
    "offline.manifest": "the installable app's manifest (JSON)",
    "offline.service_worker": "the service worker (a script)",
    "offline.state": "what this browser may keep offline (JSON)",
}
NOT_PAGE_BLUEPRINTS = {"api": "the JSON API"}


@dataclass(frozen=True)
class Page:
    roles: tuple[str, ...]
    # The addresses to visit, given the cases the test made (name -> case number): a rule
    # with a variable part needs real values, and some pages are worth seeing in more than
    # one state (an overdue case, a case in progress with its action forms).
    paths: Callable[[dict[str, str]], list[str]]


def fixed(path: str) -> Callable[[dict[str, str]], list[str]]:
    return lambda cases: [path]


PAGES: dict[str, Page] = {
    "/login": Page(EVERYONE, fixed("/login")),
    "/": Page(CASE_ROLES, fixed("/")),
    "/cases": Page(CASE_ROLES, lambda cases: [
        "/cases", "/cases?overdue=true", "/cases?received_from=not-a-date"]),
    "/cases/new": Page(CASE_ROLES, fixed("/cases/new")),
    # The cases the test made, and one that does not exist (the error page).
    "/cases/<number>": Page(CASE_ROLES, lambda cases: [
        *(f"/cases/{number}" for number in cases.values()), "/cases/450330-2099-999999"]),
    "/workflow": Page(LOGGED_IN, fixed("/workflow")),
    "/reports/monthly": Page(REPORT_ROLES, lambda cases: [
        "/reports/monthly", "/reports/monthly?month=2020-13"]),
    "/admin/users": Page(("admin",), fixed("/admin/users")),
    "/admin/areas": Page(("admin",), fixed("/admin/areas")),
    "/admin/scheduler": Page(("admin",), fixed("/admin/scheduler")),
    "/admin/account-events": Page(("admin",), fixed("/admin/account-events")),
    "/reports/period": Page(REPORT_ROLES, lambda cases: [
        "/reports/period", "/reports/period?from=2026-06&to=2026-01"]),
    "/imports/ledger": Page(("county_officer", "admin"), fixed("/imports/ledger")),
    "/account": Page(LOGGED_IN, fixed("/account")),
    "/account/password": Page(LOGGED_IN, fixed("/account/password")),
}


def page_routes(app: Flask) -> set[str]:
    """Every rule of the app that answers GET with a page for people."""
    return {rule.rule for rule in app.url_map.iter_rules()
            if "GET" in (rule.methods or ())
            and rule.endpoint not in NOT_PAGES
            and rule.endpoint.split(".")[0] not in NOT_PAGE_BLUEPRINTS}


def visits(role: str, cases: dict[str, str]) -> list[str]:
    """The addresses ``role`` opens, in the table's order."""
    return [path for page in PAGES.values() if role in page.roles
            for path in page.paths(cases)]
