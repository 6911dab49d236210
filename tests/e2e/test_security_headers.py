"""Security headers on every answer of every route, HSTS only over TLS, and pages that need
no inline script or style (the browser tests prove the policy blocks nothing they use)."""

from __future__ import annotations

import io
import re
from datetime import datetime

import pytest
from conftest import petition

from casework.lifecycle.intake import receive
from casework.scheduling.deadlines import SHANGHAI
from e2e.conftest import login
from webui import config, create_app
from webui.headers import CSP

EXPECTED = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
# Who opens each GET route (the others are opened by a county officer).
OPENED_BY = {"admin.area_list": "admin", "admin.user_list": "admin",
             "admin.scheduler_page": "admin", "admin.account_events": "admin",
             "api.account_events": "admin"}
THIS_MONTH = datetime.now(SHANGHAI).strftime("%Y-%m")
QUERY = {"api.monthly_report": "?month=" + THIS_MONTH,
         "api.period_report": f"?from={THIS_MONTH}&to={THIS_MONTH}"}


def assert_secure_headers(answer, where: str) -> None:
    csp = answer.headers.get("Content-Security-Policy", "")
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";"))
    assert directives.get("script-src") == "'self'", where
    assert directives.get("frame-ancestors") == "'none'", where
    assert "unsafe" not in csp, where
    for name, value in EXPECTED.items():
        assert answer.headers.get(name) == value, (where, name)
    assert "Strict-Transport-Security" not in answer.headers, where  # plain HTTP here


@pytest.fixture
def addresses(app, client, cw, people) -> dict[str, str]:
    """A concrete address for every GET route of the app, by endpoint."""
    case = receive(cw, people["operator"], petition())
    page = client.get("/login").get_data(as_text=True)
    bootstrap_css = re.search(r'href="(/bootstrap/static/[^"]+\.css)"', page).group(1)
    from evidence_files import jpeg

    from casework.evidence.attachments import Upload, add_attachment

    photo = add_attachment(cw, people["operator"], case.number, Upload(io.BytesIO(jpeg()), "p.jpg"))
    values = {"number": case.number, "phone": "13812345678", "attachment_id": str(photo["id"])}
    out = {}
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods:
            continue
        if rule.endpoint == "static":
            out[rule.endpoint] = "/static/app.css"
        elif rule.endpoint == "bootstrap.static":
            out[rule.endpoint] = bootstrap_css
        else:
            out[rule.endpoint] = re.sub(r"<(?:[^:>]+:)?([^>]+)>",
                                        lambda m: values[m.group(1)], rule.rule)
        out[rule.endpoint] += QUERY.get(rule.endpoint, "")
    return out


def test_every_get_route_answers_with_the_security_headers(app, cw, people, addresses):
    seen = set()
    for endpoint, address in sorted(addresses.items()):
        client = app.test_client()
        who = OPENED_BY.get(endpoint, "county_officer")
        assert login(client, people[who].username).status_code == 302
        answer = client.get(address)
        assert answer.status_code == 200, (address, answer.status_code)
        assert_secure_headers(answer, address)
        seen.add(endpoint)
    get_routes = {r.endpoint for r in app.url_map.iter_rules() if "GET" in r.methods}
    assert seen == get_routes and len(seen) >= 15


@pytest.mark.parametrize(("method", "address", "data"), [
    ("get", "/login", None),                       # a page, not logged in
    ("get", "/no/such/page", None),                # 404 page
    ("get", "/api/v1/cases", None),                # 401 JSON
    ("post", "/login", {"username": "x", "password": "y"}),  # 401 page
    ("post", "/logout", None),                     # redirect
    ("delete", "/cases", None),                    # 405
    ("get", "/cases?q=%00", None),                 # 400
])
def test_errors_and_redirects_carry_them_too(client, people, method, address, data):
    answer = getattr(client, method)(address, data=data)
    assert_secure_headers(answer, f"{method} {address} -> {answer.status_code}")


def test_hsts_only_when_the_request_came_over_tls(cw, client, people):
    assert "Strict-Transport-Security" not in client.get("/login").headers
    over_tls = client.get("/login", base_url="https://casework.example")
    assert over_tls.headers["Strict-Transport-Security"].startswith("max-age=")
    # A client cannot claim TLS with a header when no proxy is trusted...
    claimed = client.get("/login", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in claimed.headers
    # ...but behind the one trusted proxy (CASEWORK_PROXIES=1), its word counts.
    proxied = create_app({**vars(config.TestConfig()), "PROXIES": 1}, casework=cw).test_client()
    answer = proxied.get("/login", headers={"X-Forwarded-Proto": "https"})
    assert answer.headers["Strict-Transport-Security"].startswith("max-age=")


def test_the_proxy_count_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("CASEWORK_PROXIES", "2")
    assert config.Config("k").PROXIES == 2


INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I),
     "an inline script"),
    (re.compile(r"\sstyle\s*=", re.I), "a style attribute"),
    (re.compile(r"<style", re.I), "a style element"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "an event handler attribute"),
    (re.compile(r"javascript:", re.I), "a javascript: address"),
]


def test_no_page_relies_on_inline_script_or_style(app, people, addresses):
    pages = 0
    for endpoint, address in sorted(addresses.items()):
        client = app.test_client()
        login(client, people[OPENED_BY.get(endpoint, "county_officer")].username)
        answer = client.get(address)
        if answer.mimetype != "text/html":
            continue
        pages += 1
        html = answer.get_data(as_text=True)
        for pattern, what in INLINE:
            assert not pattern.search(html), f"{address} has {what}"
    assert pages >= 8


def test_the_policy_is_the_one_documented_in_the_module():
    assert "script-src 'self'" in CSP and "style-src 'self'" in CSP
