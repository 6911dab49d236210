"""Hostile area files uploaded through the admin page (the one file upload of the web app):
wrong encodings, control characters, NUL, huge cells, formulas, damaged workbooks.  The page
answers 303 (imported) or 4xx naming the problem; never a 500, and a refusal writes nothing."""

from __future__ import annotations

import io
import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from casework.storage.db import reading
from casework.storage.models import Area
from e2e.conftest import login

LONG = os.environ.get("CASEWORK_LONG_TESTS", "").strip() not in ("", "0")
NASTY = ["\x00", "\x01", "\x1b[2J", "\x7f", "\r", "\n", "\ufeff", "\u202e", "李", ",", "\"",
         "=1+1", "+1", "-1", "@SUM(A1)", "x" * 200, "450330102", "450330", "١٢٣"]
ENCODINGS = ["utf-8", "utf-8-sig", "gbk", "utf-16", "latin-1"]
cell = st.one_of(st.text(max_size=20), st.sampled_from(NASTY),
                 st.lists(st.sampled_from(NASTY), max_size=4).map("".join))


def area_count(cw) -> int:
    with reading(cw.engine) as session:
        return session.execute(select(func.count()).select_from(Area)).scalar_one()


@given(rows=st.lists(st.tuples(cell, cell, cell), min_size=1, max_size=4),
       encoding=st.sampled_from(ENCODINGS), cut=st.none() | st.integers(0, 200),
       name=st.sampled_from(["areas.csv", "areas.xlsx", "areas.CSV"]))
@settings(max_examples=300 if LONG else 40, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
def test_a_hostile_area_upload_is_refused_or_imported_never_a_server_error(
        client, cw, people, rows, encoding, cut, name):
    login(client, people["admin"].username)
    lines = ["code,name,parent_code"] + [",".join(row) for row in rows]
    raw = "\n".join(lines).encode(encoding, errors="replace")
    raw = raw if cut is None else raw[:cut]
    before = area_count(cw)
    answer = client.post("/admin/areas", data={"file": (io.BytesIO(raw), name)},
                         content_type="multipart/form-data", headers={"Accept-Language": "en"})
    assert answer.status_code in (303, 400, 413, 422), answer.status_code
    if answer.status_code != 303:
        assert area_count(cw) == before
