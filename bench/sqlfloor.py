"""The floor under a page: the very SQL its view sends, replayed through the bare driver.

The statements and parameters are caught at the DB-API level (SQLAlchemy's
``before_cursor_execute``) while the services the view calls run once; replaying them on one
raw connection (``sqlite3`` or psycopg), fetching every row, is what the database alone costs.
"""

from __future__ import annotations

import time

from sqlalchemy import event, select

from bench.common import WORKFLOW, data_key
from casework.bootstrap import bootstrap
from casework.config import Settings
from casework.imports.areas import names_of
from casework.lifecycle import case_lists
from casework.people.users import actor_of
from casework.storage.db import reading
from casework.storage.models import User


def worklist_view(cw, me) -> None:
    """What webui/cases/worklist.py asks of the core for ``/``."""
    from dataclasses import replace

    filters = case_lists.worklist_filters(cw, me)
    listing = case_lists.list_cases(cw, me, filters)
    case_lists.status_counts(cw, me, filters)
    case_lists.status_counts(cw, me, replace(filters, overdue=True))
    case_lists.status_counts(cw, me, replace(filters, warning=True, overdue=False))
    names_of(cw, [item["village_code"] for item in listing["items"]])


def api_list_view(cw, me) -> None:
    """What webui/api.py asks of the core for ``GET /api/v1/cases``."""
    case_lists.list_cases(cw, me, case_lists.parse_filters(cw, {}))


VIEWS = {"/": worklist_view, "/api/v1/cases": api_list_view}


def statements_of(cw, view, me) -> list[tuple[str, object]]:
    caught: list[tuple[str, object]] = []

    def catch(_conn, _cursor, statement, parameters, _context, _many):
        caught.append((statement, parameters))

    event.listen(cw.engine, "before_cursor_execute", catch)
    try:
        view(cw, me)
    finally:
        event.remove(cw.engine, "before_cursor_execute", catch)
    return caught


def floor(url: str, username: str, path: str, seconds: float) -> list[float]:
    """Seconds per replay of the page's SQL, replayed for ``seconds`` after one warm-up."""
    cw = bootstrap(Settings(database_url=url, workflow_path=WORKFLOW, data_key=data_key()))
    try:
        with reading(cw.engine) as session:
            user = session.execute(select(User).where(User.username == username)).scalar_one()
        statements = statements_of(cw, VIEWS[path], actor_of(user))
        raw = cw.engine.raw_connection()
        try:
            cursor = raw.cursor()
            times: list[float] = []
            stop = None
            while stop is None or time.perf_counter() < stop:
                began = time.perf_counter()
                for statement, parameters in statements:
                    if statement.startswith("BEGIN"):  # each of the view's reads ends so
                        raw.rollback()
                    cursor.execute(statement, parameters)
                    cursor.fetchall()
                raw.rollback()
                if stop is None:
                    stop = time.perf_counter() + seconds  # the first replay warms the cache
                else:
                    times.append(time.perf_counter() - began)
            return times
        finally:
            raw.close()
    finally:
        cw.engine.dispose()
