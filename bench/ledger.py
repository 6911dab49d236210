"""``python -m bench.ledger``: a ledger import's time and peak memory, by size.

    python -m bench.ledger                 # 454 rows (the seed's two years) and 100,000 rows
    python -m bench.ledger --rows 454,5000 # other sizes
    python -m bench.ledger --write-results # also rewrite its part of bench/RESULTS.md
    python -m bench.ledger --rows 10000 --database postgresql  # on the PostgreSQL server
    python -m bench.ledger --rows 100000 --kinds csv           # one kind of file only

Each file (a Chinese-headed XLSX written by openpyxl, and the same rows as a GB18030 CSV) is
checked (the dry run) and then imported into a new database (SQLite, or PostgreSQL with
``--database postgresql``: the server of bench/pg.py) with a province's villages, each step in a
fresh process, so that the peak resident memory (VmHWM) is that step's own.
The target: a file is streamed, so the peak stays under ``MEMORY_TARGET_MB`` whatever the size.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from bench.common import (
    WORKFLOW,
    data_key,
    empty_schema,
    load_average,
    machine,
    open_casework,
)

MEMORY_TARGET_MB = 250
HEADS = ["登记日期", "乡镇", "村", "类别", "来源", "紧急程度", "情况摘要", "姓名", "电话",
         "办结层级", "办结日期", "结果"]
COUNTIES, TOWNSHIPS, VILLAGES = 20, 10, 10  # 2,000 villages, 200 townships
LEVELS = ["村妇代会"] * 352 + ["乡镇妇联"] * 76 + ["县妇联"] * 26  # the field report's shares
CATEGORIES = ["家庭暴力", "婚姻家庭", "财产权益", "劳动就业", "邻里纠纷", "咨询"]
CHANNELS = ["自然村信箱", "来信", "来访", "12338"]


def rows(count: int) -> list[list]:
    start = datetime(2026, 1, 5, 9, 0)
    out = []
    for i in range(count):
        county, town, village = i % COUNTIES, (i // COUNTIES) % TOWNSHIPS, i % VILLAGES
        received = start + timedelta(minutes=(i * 263) % (300 * 24 * 60))
        level = LEVELS[i % len(LEVELS)]
        channel = CHANNELS[i % 4] if level != "村妇代会" or i % 4 != 3 else "来访"
        out.append([received, f"第{county}县{town}镇", f"{village}号村", CATEGORIES[i % 6],
                    channel, "一般", f"台账第{i + 1}件：邻里宅基地纠纷引发争吵", "李某",
                    f"138{i:08d}", level, (received + timedelta(days=3)).date(),
                    "调解成功" if i % 50 else "转介：法律援助"])
    return out


def areas(cw) -> None:
    from casework.imports.areas import add_area
    from casework.storage.db import writing

    with writing(cw.engine) as session:
        add_area(session, "450000", "某省")
        for c in range(COUNTIES):
            county = f"45{c + 1:02d}00"
            add_area(session, county, f"第{c}县")
            for t in range(TOWNSHIPS):
                town = f"{county}{100 + t:03d}"
                add_area(session, town, f"第{c}县{t}镇")
                for v in range(VILLAGES):
                    add_area(session, f"{town}{200 + v:03d}", f"{v}号村")


def write_files(folder: Path, count: int) -> dict[str, Path]:
    from openpyxl import Workbook

    data = rows(count)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("台账")
    sheet.append(HEADS)
    for row in data:
        sheet.append(row)
    xlsx = folder / f"ledger-{count}.xlsx"
    book.save(xlsx)
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(HEADS)
    for row in data:
        writer.writerow([f"{c.year}/{c.month}/{c.day} {c.hour}:{c.minute:02d}"
                         if isinstance(c, datetime) else c for c in row])
    gb = folder / f"ledger-{count}.csv"
    gb.write_bytes(text.getvalue().encode("gb18030"))
    return {"xlsx": xlsx, "csv": gb}


def step(database: str, path: str, what: str) -> None:
    """One step in this process; prints its figures as JSON."""
    from casework.imports.ledger import check_ledger, run_import

    cw = _open(database)
    cw.keyring  # noqa: B018
    base = _high_water_kb()
    started, cpu = time.perf_counter(), time.process_time()
    preview = (check_ledger if what == "check" else run_import)(cw, path)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    peak = _high_water_kb()
    # CPU seconds: this process's own (not the database server's); the machine may be shared.
    print(json.dumps({"seconds": seconds, "cpu_seconds": cpu, "peak_mb": peak / 1024,
                      "base_mb": base / 1024,
                      "rows": preview.rows, "new": preview.new, "imported": preview.imported,
                      "duplicates": preview.duplicates, "problems": preview.problem_count}))


def _open(database: str):
    """A Casework on ``database``: a SQLite file's path or a PostgreSQL URL."""
    if "://" not in database:
        return open_casework(Path(database))
    from casework.bootstrap import bootstrap
    from casework.config import Settings

    return bootstrap(Settings(database_url=database, workflow_path=WORKFLOW,
                              data_key=data_key()))


def _high_water_kb() -> int:
    """This process's peak resident memory (VmHWM).  Not ru_maxrss: Linux keeps that across
    exec, so a child would report its parent's peak (the parent holds the generated rows)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def run_step(database: Path | str, path: Path, what: str) -> dict:
    out = subprocess.run([sys.executable, "-m", "bench.ledger", "--step", what, str(database),
                          str(path)], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure(sizes: list[int], import_up_to: int, kinds: tuple[str, ...] = ("xlsx", "csv"),
            server: str | None = None) -> list[dict]:
    results = []
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        for count in sizes:
            for kind, path in write_files(folder, count).items():
                if kind not in kinds:
                    continue
                database = _fresh(folder, f"{kind}-{count}", server)
                cw = _open(str(database))
                areas(cw)
                cw.engine.dispose()
                steps = ("check", "import", "again") if count <= import_up_to else ("check",)
                try:
                    for what in steps:
                        figures = run_step(database, path,
                                           "check" if what == "check" else "import")
                        results.append({"size": count, "kind": kind, "step": what,
                                        "bytes": path.stat().st_size, **figures})
                        print(results[-1], file=sys.stderr, flush=True)
                finally:
                    if server:
                        from bench.pg import drop_database
                        drop_database(server, f"bench_ledger_{kind}_{count}")
    return results


def _fresh(folder: Path, name: str, server: str | None) -> Path | str:
    """A new database with the newest schema: a file in ``folder``, or one on ``server``."""
    if server is None:
        database = folder / f"{name}.db"
        empty_schema(database)
        return database
    from bench.pg import fresh_database
    return fresh_database(server, f"bench_ledger_{name.replace('-', '_')}")


def table(results: list[dict]) -> str:
    lines = ["| rows | file | step | seconds | CPU seconds | rows/s | peak memory (MB) "
             "| before reading (MB) | imported / duplicates | target |",
             "|---:|---|---|---:|---:|---:|---:|---:|---|---|"]
    for r in results:
        kind = f"{r['kind']} ({r['bytes'] / 2**20:.1f} MB)"
        met = "met" if r["peak_mb"] <= MEMORY_TARGET_MB else "missed"
        cpu = f"{r['cpu_seconds']:.1f}" if "cpu_seconds" in r else "-"
        lines.append(f"| {r['size']:,} | {kind} | {r['step']} | {r['seconds']:.1f} | {cpu} | "
                     f"{r['rows'] / r['seconds']:,.0f} | {r['peak_mb']:.0f} | {r['base_mb']:.0f}"
                     f" | {r['imported']:,} / {r['duplicates']:,} | {met} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ledger")
    parser.add_argument("--rows", default="454,100000")
    parser.add_argument("--write-results", action="store_true")
    parser.add_argument("--import-up-to", type=int, default=100_000,
                        help="import (not only check) files of at most this many rows")
    parser.add_argument("--kinds", default="xlsx,csv", help="xlsx, csv or both")
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--step", nargs=3, metavar=("WHAT", "DATABASE", "FILE"))
    args = parser.parse_args(argv)
    if args.step:
        step(args.step[1], args.step[2], args.step[0])
        return 0
    server = None
    if args.database == "postgresql":
        from bench.pg import server_url
        server = server_url()
        if server is None:
            print("no PostgreSQL server answers (CASEWORK_BENCH_POSTGRES_URL)", file=sys.stderr)
            return 1
    load = load_average()
    kinds = tuple(args.kinds.split(","))
    results = measure([int(n) for n in args.rows.split(",")], args.import_up_to, kinds, server)
    info = machine()
    run = (f"python -m bench.ledger --rows {args.rows} --import-up-to {args.import_up_to} "
           f"--kinds {args.kinds} --database {args.database}")
    text = (f"## Ledger import: time and peak memory by size\n\nRun: `{run}`, {info['date']}; "
            f"{info['cpu']}, {info['cores']} cores; load average before {load}, "
            f"after {load_average()}.\n\nA province's villages (2,000 in {COUNTIES} counties); "
            "each file checked (the dry run), imported, and imported again (every row a "
            f"duplicate), each step in a fresh process into {args.database}. Peak memory is "
            f"the process's peak resident set (VmHWM); target: under {MEMORY_TARGET_MB} MB at "
            "every size (the file is streamed, never held whole).\n\n" + table(results) + "\n")
    print(text)
    if args.write_results:
        from bench.__main__ import RESULTS, machine_section, write_results

        write_results(RESULTS, machine_section(), {"ledger": text.strip()})
    return 0


if __name__ == "__main__":
    sys.exit(main())
