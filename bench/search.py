"""Searching sealed summaries: ``GET /cases?q=`` over a county's year of cases (issue 18).

Summaries are sealed under the data key (casework/privacy/narratives.py), so ``q`` opens the
summaries of the reader's area and searches them in Python.  This measures that on one
county's year: about 5,000 cases (a province's 500,000 a year over its 100 counties), logged
through the real intake, on SQLite and (with CASEWORK_TEST_DATABASE_URL or --database) on
PostgreSQL.

    python -m bench.search [--cases 5000] [--database postgresql://...]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from bench.common import machine, quiet_logs
from casework.bootstrap import bootstrap
from casework.config import Settings
from casework.imports.areas import add_area
from casework.lifecycle.case_lists import CaseFilters, list_cases
from casework.lifecycle.intake import receive
from casework.people.users import actor_of, add_user
from casework.privacy.crypto import generate_key
from casework.privacy.narratives import open_summary
from casework.storage.db import reading, writing
from casework.storage.models import Case
from casework.storage.schema import upgrade

WORKFLOW = Path(__file__).resolve().parent.parent / "workflows.yaml"
COUNTY = "450330"
WORDS = ["丈夫酗酒后打人", "离婚后抚养费未支付", "宅基地纠纷", "怀孕后被辞退", "邻里争吵",
         "咨询告诫书", "留守儿童监护", "婚后房产加名"]
RUNS = 7


def build(url: str, cases: int):
    cw = bootstrap(Settings(database_url=url, workflow_path=WORKFLOW, data_key=generate_key()))
    upgrade(cw.engine, lambda: cw.keyring)
    with writing(cw.engine) as session:
        add_area(session, COUNTY, "平乐县")
        for t in range(10):
            add_area(session, f"{COUNTY}{100 + t}", f"镇{t}")
            for v in range(10):
                add_area(session, f"{COUNTY}{100 + t}{200 + v}", f"村{t}-{v}")
    operator = actor_of(add_user(cw, username="hotline", role="hotline_operator",
                                 area_code=COUNTY, password="correct horse battery staple"))
    rng = random.Random(18)
    start = datetime(2026, 1, 5, 2, tzinfo=UTC)
    for i in range(cases):
        village = f"{COUNTY}{100 + rng.randrange(10)}{200 + rng.randrange(10)}"
        summary = f"{rng.choice(WORDS)}，第{i}号来电" + ("，提到红旗村" if i % 97 == 0 else "")
        receive(cw, operator, {"channel": "hotline_12338", "village_code": village,
                               "category": "domestic_violence", "summary": summary,
                               "petitioner": {"name": "李某", "phone": "13812345678"}},
                now=start + timedelta(minutes=90 * i))
    return cw, operator


def median_ms(call) -> float:
    call()  # warm
    times = []
    for _ in range(RUNS):
        began = time.perf_counter()
        call()
        times.append(time.perf_counter() - began)
    return statistics.median(times) * 1000


def measure(label: str, url: str, cases: int) -> str:
    cw, operator = build(url, cases)
    try:
        with reading(cw.engine) as session:
            summaries = session.execute(select(Case.summary)).scalars().all()
        keyring = cw.keyring
        opened = median_ms(lambda: [open_summary(keyring, s) for s in summaries])
        rare = median_ms(lambda: list_cases(cw, operator, CaseFilters(q="红旗村")))
        common = median_ms(lambda: list_cases(cw, operator, CaseFilters(q="宅基地")))
        plain = median_ms(lambda: list_cases(cw, operator, CaseFilters()))
        found = list_cases(cw, operator, CaseFilters(q="红旗村"))["total"]
        return (f"| {label} | {len(summaries):,} | {opened:.1f} | {rare:.1f} ({found} found) | "
                f"{common:.1f} | {plain:.1f} |")
    finally:
        cw.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=5000)
    parser.add_argument("--database", default=None, help="a PostgreSQL URL (an empty database)")
    args = parser.parse_args()
    quiet_logs()
    lines = [f"Machine: {machine()}; {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; median of {RUNS}",
             "", "| database | cases | open every summary (ms) | q, a rare word (ms) | "
             "q, a common word (ms) | no q (ms) |", "|---|---|---|---|---|---|"]
    with tempfile.TemporaryDirectory() as folder:
        lines.append(measure("SQLite", f"sqlite:///{folder}/search.db", args.cases))
    if args.database:
        lines.append(measure("PostgreSQL", args.database, args.cases))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
