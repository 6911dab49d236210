"""The web layer: ``create_app()`` wires Casework's services to Flask.

Nothing here decides a business rule; routes parse, call one service, and answer.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask import Flask, request, session
from flask_babel import get_locale
from werkzeug.exceptions import BadRequest
from werkzeug.middleware.proxy_fix import ProxyFix

from casework.bootstrap import Casework, bootstrap
from casework.config import Settings
from webui import (
    account,
    admin,
    api,
    auth,
    cases,
    errors,
    headers,
    health,
    imports_page,
    ledger_import,
    locale,
    offline,
    reports,
    static_files,
    workflow_page,
)
from webui.access_log import mask_werkzeug_log
from webui.config import Config
from webui.extensions import babel, csrf
from webui.extensions import bootstrap as bootstrap5
from webui.throttle import LoginThrottle


def create_app(test_config: Config | Mapping | None = None, *,
               casework: Casework | None = None) -> Flask:
    """The Flask app around ``casework`` (built from the environment when not given)."""
    cw = casework or bootstrap(Settings.from_env())
    app = Flask(__name__)
    if isinstance(test_config, Config):
        app.config.from_object(test_config)
    else:
        overrides = dict(test_config or {})
        app.config.from_object(Config(overrides.get("SECRET_KEY") or cw.settings.secret_key))
        app.config.from_mapping(overrides)
    app.json.ensure_ascii = False  # Chinese stays readable in answers
    app.extensions["casework"] = cw
    app.extensions["casework_login_throttle"] = LoginThrottle(
        cw.engine, per_user=app.config["LOGIN_FAILURES_PER_USER"],
        per_ip=app.config["LOGIN_FAILURES_PER_IP"], window=app.config["LOGIN_FAILURE_WINDOW"])
    if app.config["PROXIES"]:
        # Behind a proxy every client would otherwise share the proxy's address (and limit).
        n = app.config["PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore

    auth.login_manager.init_app(app)
    app.before_request(ledger_import.allow_large_upload)  # before CSRFProtect reads the form
    csrf.init_app(app)
    csrf.exempt(api.bp)  # the api checks CSRF itself, after auth, and only for sessions
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.globals["get_locale"] = get_locale
    bootstrap5.init_app(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(account.bp)  # her sessions and her password
    app.register_blueprint(api.bp, url_prefix="/api/v1")
    app.register_blueprint(health.bp)
    app.register_blueprint(cases.bp)  # the worklist, case list, intake and case pages
    app.register_blueprint(locale.bp)  # POST /language
    # reports, workflow, admin, the ledger import
    for pages in (reports.bp, workflow_page.bp, admin.bp, imports_page.bp):
        app.register_blueprint(pages)
    offline.register(app)  # the manifest, the service worker, what may be kept offline
    app.add_url_rule("/openapi.json", "openapi", api.openapi)
    app.before_request(refuse_nul)
    errors.register(app)
    mask_werkzeug_log()
    headers.register(app)
    static_files.register(app)  # compression, and static files under hashed names
    return app


def select_locale() -> str:
    """The language a user picked in the page (kept in the session), else the browser's."""
    languages = ["zh_CN", "en"]
    chosen = session.get("locale")
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages) or "zh_CN"


def refuse_nul() -> None:
    # A NUL byte is never meaningful in a URL and PostgreSQL refuses it in text: stop it here.
    if "\x00" in request.path or any("\x00" in k or "\x00" in v
                                     for k, v in request.args.items(multi=True)):
        raise BadRequest("the address contains a NUL character")
