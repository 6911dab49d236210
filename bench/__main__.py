"""``python -m bench``: every benchmark, results in bench/RESULTS.md.

    python -m bench                  # everything at full size, writes bench/RESULTS.md
    python -m bench --quick          # a small run of everything (a minute or two), prints it
    python -m bench actions          # actions per second only (engine against the raw floor)
    python -m bench report           # the monthly report on long histories only
    python -m bench scan             # the deadline scan at 10,000 and 1,000,000 open cases
    python -m bench http             # requests/s and latency through `casework serve`
                                     # (1, 2, 4 workers) against bare Flask; worklist p95
    python -m bench http --workers 0 # the worklist and case list pages only
    python -m bench http --scale province   # the same, written into the generated province
    python -m bench http --workers 0 --scale province   # its worklist pages only
    python -m bench lists            # list_cases and the worklist at 100k and 1M cases
    python -m bench generate --events 1000000 --output /tmp/history.db
    python -m bench generate --scale province --years 5 --database postgresql://... \
                             --database sqlite:///bench/data/province.db
    python -m bench province         # reports and the scan on a generated province
    python -m bench province --partition   # the same on PostgreSQL, events in monthly partitions
    python -m bench period --counties 50   # two-year reports over a period on a generated
                                           # province (SQLite; --years, default 2)
    python -m bench period --postgres [--partition]   # the same on the machine's PostgreSQL
    python -m bench evidence         # the web worker's peak memory for a 20 MB attachment
    python -m bench pages            # bytes a page moves on a phone, first and repeat visit
    python -m bench profile          # where the engine's time goes on the action path
    python -m bench profile --steps  # a note action step by step, engine against the raw floor

Generated histories are kept in bench/data/ (git-ignored) and reused; --regenerate rebuilds.
Full-size runs update their own parts of bench/RESULTS.md (``--output FILE`` for another file);
``--quick`` runs only print.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from bench.common import DATA, load_average, machine, quiet_logs, say, timed

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
ACTION_TARGET = 0.5
REPORT_TARGET = 1.0

FULL = {"cases": 3000, "notes": 12000, "rounds": 3, "sizes": [100_000, 1_000_000],
        "month_cases": 1000, "big_month_cases": 4000, "counties": 100, "runs": 5,
        "open_sizes": [10_000, 1_000_000], "overdue": 1000, "warned": 300,
        "http_workers": [1, 2, 4], "connections": 8, "http_seconds": 8.0,
        "history_cases": 100_000, "page_seconds": 8.0,
        "list_cases": [100_000, 1_000_000], "list_runs": 20}
QUICK = {"cases": 400, "notes": 3000, "rounds": 1, "sizes": [20_000, 100_000],
         "month_cases": 100, "big_month_cases": 400, "counties": 10, "runs": 3,
         "open_sizes": [5_000, 50_000], "overdue": 200, "warned": 50,
         "http_workers": [1, 2], "connections": 8, "http_seconds": 2.0,
         "history_cases": 20_000, "page_seconds": 2.0,
        "list_cases": [20_000, 100_000], "list_runs": 5}


def main(argv: list[str] | None = None) -> int:
    head, _, rest = __doc__.partition("\n")
    parser = argparse.ArgumentParser(prog="python -m bench", description=head, epilog=rest,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", nargs="?", default="all",
                        choices=("all", "actions", "report", "scan", "http", "province",
                                 "generate", "profile", "lists", "period", "evidence", "pages"))
    parser.add_argument("--quick", action="store_true", help="small sizes, one round")
    parser.add_argument("--output", type=Path,
                        help="results file (all: default bench/RESULTS.md at full size); "
                             "for generate: the database to write")
    parser.add_argument("--cases", type=int, help="cases for the action benchmark")
    parser.add_argument("--notes", type=int, help="note actions in the note workload")
    parser.add_argument("--rounds", type=int, help="rounds of each action workload")
    parser.add_argument("--workload", choices=("note", "mix"), action="append",
                        help="action workload(s) to run (default both)")
    parser.add_argument("--sizes", help="history sizes in events, comma-separated")
    parser.add_argument("--open", dest="open_sizes",
                        help="scan: open cases per database, comma-separated")
    parser.add_argument("--overdue", type=int, help="scan: newly overdue cases")
    parser.add_argument("--warned", type=int, help="scan: newly warned cases")
    parser.add_argument("--no-postgres", action="store_true",
                        help="SQLite only, even where a PostgreSQL server answers (scan, http)")
    parser.add_argument("--scale", choices=("report", "province"), default="report",
                        help="generate: the report benchmark's history, or DESIGN.md's province; "
                             "http: the worklist on the generated province")
    parser.add_argument("--years", type=float,
                        help="generate/province/period: years of a province's history "
                             "(default 5; period: 2)")
    parser.add_argument("--database", action="append",
                        help="generate: a database URL to fill (repeat for several)")
    parser.add_argument("--events", type=int, default=1_000_000, help="generate: events")
    parser.add_argument("--month-cases", type=int, help="cases a month in the report window")
    parser.add_argument("--big-month-cases", type=int,
                        help="a second, larger month at the largest size (0: none)")
    parser.add_argument("--counties", type=int, help="counties of the synthetic province")
    parser.add_argument("--runs", type=int, help="timed report runs after the first")
    parser.add_argument("--workers", help="http: gunicorn worker counts, comma-separated "
                        "(0: no throughput runs, the worklist pages only)")
    parser.add_argument("--connections", type=int, help="http: concurrent connections")
    parser.add_argument("--seconds", type=float, dest="http_seconds",
                        help="http: timed seconds per throughput figure")
    parser.add_argument("--history-cases", type=int,
                        help="http: cases in the worklist's generated history")
    parser.add_argument("--page-seconds", type=float, help="http: timed seconds per page")
    parser.add_argument("--list-cases", help="lists: history sizes in cases, comma-separated")
    parser.add_argument("--list-runs", type=int, help="lists: timed calls of each query")
    parser.add_argument("--data", type=Path, default=DATA, help="where histories are kept")
    parser.add_argument("--regenerate", action="store_true", help="rebuild the histories")
    parser.add_argument("--wait-idle", type=float, default=0, metavar="MINUTES",
                        help="first wait up to MINUTES for the 1-minute load average to fall "
                             "below 1 (on a shared machine)")
    parser.add_argument("--partition", action="store_true",
                        help="province, period --postgres: PostgreSQL with its events in "
                             "monthly partitions (converts the generated database once)")
    parser.add_argument("--postgres", action="store_true",
                        help="period: on the machine's PostgreSQL server instead of SQLite")
    parser.add_argument("--steps", action="store_true",
                        help="profile: time each step of a note action against the raw floor")
    args = parser.parse_args(argv)
    args.years = args.years or (2 if args.what == "period" else 5)
    quiet_logs()
    sizes = dict(QUICK if args.quick else FULL)
    for name in ("cases", "notes", "rounds", "month_cases", "big_month_cases", "counties",
                 "runs", "overdue", "warned", "connections", "http_seconds", "history_cases",
                 "page_seconds", "list_runs"):
        if getattr(args, name) is not None:
            sizes[name] = getattr(args, name)
    if args.sizes:
        sizes["sizes"] = [int(float(x)) for x in args.sizes.split(",")]
    if args.open_sizes:
        sizes["open_sizes"] = [int(float(x)) for x in args.open_sizes.split(",")]
    if args.list_cases:
        sizes["list_cases"] = [int(float(x)) for x in args.list_cases.split(",")]
    if args.workers:
        sizes["http_workers"] = [int(x) for x in args.workers.split(",") if int(x) > 0]

    if args.what == "generate":
        from bench.generate import Params, Shape, generate, province, shares, target_url
        if args.scale == "province":
            params = province(args.years, args.counties or 100)
        else:
            params = Params(events=args.events, month_cases=sizes["month_cases"],
                            shape=Shape(counties=sizes["counties"]))
        targets = args.database or [args.output or args.data / f"history-{params.events}.db"]
        facts = generate(targets, params)
        for target in targets:
            print(f"{target}: {facts['events']:,} events, {facts['cases']:,} cases, "
                  f"{facts['seconds']:.0f} s; shares {shares(target_url(target))}")
        return 0
    if args.what == "profile":
        workloads = tuple(args.workload or ("note", "mix"))
        if args.steps:
            from bench.profile import steps
            steps(cases=min(sizes["cases"], 1000), actions=sizes["notes"])
        else:
            from bench.profile import profile
            profile(cases=min(sizes["cases"], 1000), workloads=workloads)
        return 0

    if args.wait_idle:
        wait_idle(args.wait_idle)
    command = "python -m bench" + ("" if args.what == "all" else f" {args.what}") + (
        " --quick" if args.quick else "") + (
        " --scale province" if args.scale == "province" and args.what == "http" else "") + (
        " --partition" if args.partition else "")
    sections: dict[str, str] = {}
    print(machine_section() + "\n", flush=True)  # each section follows as soon as it is done
    if args.what in ("all", "actions"):
        from bench.actions import bench_actions
        args.data.mkdir(parents=True, exist_ok=True)
        load = load_average()
        with tempfile.TemporaryDirectory(dir=args.data, prefix="actions-") as work:
            seconds, results = timed(lambda: bench_actions(
                Path(work), cases=sizes["cases"], notes=sizes["notes"], rounds=sizes["rounds"],
                workloads=tuple(args.workload or ("note", "mix"))))
        sections["actions"] = actions_section(results, sizes, seconds, run_line(command, load))
        print(sections["actions"] + "\n", flush=True)
    if args.what in ("all", "report"):
        from bench.report import bench_report
        load = load_average()
        seconds, result = timed(lambda: bench_report(
            sizes=sizes["sizes"], month_cases=sizes["month_cases"],
            big_month_cases=sizes["big_month_cases"] or None, shape_counties=sizes["counties"],
            runs=sizes["runs"], data=args.data, regenerate=args.regenerate))
        sections["report"] = report_section(result, sizes, seconds, run_line(command, load))
        print(sections["report"] + "\n", flush=True)
    if args.what in ("all", "scan"):
        from bench.scan import bench_scan
        from bench.scan_section import scan_section
        args.data.mkdir(parents=True, exist_ok=True)
        load = load_average()
        seconds, result = timed(lambda: bench_scan(
            sizes=sizes["open_sizes"], overdue=sizes["overdue"], warned=sizes["warned"],
            runs=sizes["runs"], data=args.data, postgres=not args.no_postgres))
        sections["scan"] = scan_section(result, sizes, seconds, run_line(command, load))
        print(sections["scan"] + "\n", flush=True)
    if args.what == "province":  # not in "all": it generates millions of events first
        from bench.province import bench_province
        from bench.province_section import province_section
        load = load_average()
        seconds, result = timed(lambda: bench_province(
            years=args.years, runs=sizes["runs"], counties=args.counties or 100, data=args.data,
            regenerate=args.regenerate, partitioned=args.partition))
        name = "province-partitioned" if args.partition else "province"
        sections[name] = province_section(result, sizes, seconds, run_line(command, load),
                                          partitioned=args.partition)
        print(sections[name] + "\n", flush=True)
    if args.what == "period":  # not in "all": it generates millions of events first
        from bench.period import bench_period, period_section
        load = load_average()
        counties = args.counties or 100
        seconds, result = timed(lambda: bench_period(
            years=args.years, counties=counties, runs=sizes["runs"], data=args.data,
            regenerate=args.regenerate, postgres=args.postgres,
            partitioned=args.postgres and args.partition))
        name = ("period-postgresql-partitioned" if args.postgres and args.partition
                else "period-postgresql" if args.postgres else "period")
        flags = " --postgres" * args.postgres + " --partition" * (args.postgres and args.partition)
        sections[name] = period_section(
            result, sizes["runs"], seconds,
            run_line(f"{command} --years {args.years:g} --counties {counties}{flags}", load))
        print(sections[name] + "\n", flush=True)
    if args.what in ("all", "http"):
        from bench import pgload
        from bench.http import bench_http, pages_section, section
        load = load_average()
        pg_url = None if args.no_postgres else pgload.server_url()
        seconds, result = timed(lambda: bench_http(
            workers=sizes["http_workers"], connections=sizes["connections"],
            seconds=sizes["http_seconds"], history_cases=sizes["history_cases"],
            page_seconds=sizes["page_seconds"], data=args.data, regenerate=args.regenerate,
            pg_url=pg_url, province=(args.years, args.counties or 100)
            if args.scale == "province" else None))
        line = run_line(command, load) + f" The whole benchmark took {seconds / 60:.0f} min."
        if result.runs:
            name = "http-province" if args.scale == "province" else "http"
            sections[name] = section(result, line)
            print(sections[name] + "\n", flush=True)
        sections["http-pages"] = pages_section(result, line)
        print(sections["http-pages"] + "\n", flush=True)
    if args.what == "lists":  # not in "all": it generates a million cases first
        from bench import pgload
        from bench.lists import bench_lists, lists_section
        load = load_average()
        pg_url = None if args.no_postgres else pgload.server_url()
        seconds, result = timed(lambda: bench_lists(
            sizes=sizes["list_cases"], runs=sizes["list_runs"], data=args.data,
            regenerate=args.regenerate, pg_url=pg_url))
        sections["lists"] = lists_section(
            result, run_line(command, load) + f" ({seconds / 60:.0f} min in all.)",
            sizes["list_runs"])
        print(sections["lists"] + "\n", flush=True)
    if args.what in ("all", "evidence"):
        from bench import pgload
        from bench.evidence import bench_evidence, evidence_section
        load = load_average()
        runs = 1 if args.quick else 3
        pg_url = None if args.no_postgres else pgload.server_url()
        seconds, result = timed(lambda: bench_evidence(pg_url, runs))
        sections["evidence"] = evidence_section(result, run_line(command, load), runs)
        print(sections["evidence"] + "\n", flush=True)
    if args.what in ("all", "pages"):
        from bench.pages import bench_pages, pages_section
        load = load_average()
        sections["pages"] = pages_section(bench_pages(), run_line(command, load))
        print(sections["pages"] + "\n", flush=True)
    output = args.output or (None if args.quick else RESULTS)
    if output:
        write_results(output, machine_section(), sections)
        say(f"results written to {output}")
    return 0


def run_line(command: str, load_before: str) -> str:
    m = machine()
    return (f"Run: `{command}`, {m['date']}; load average before {load_before}, after "
            f"{load_average()} (a shared machine: the CPU-time figures do not count the time "
            "other processes hold the cores).")


def wait_idle(minutes: float) -> None:
    import time
    deadline = time.monotonic() + minutes * 60
    while float(load_average().split()[0]) >= 1 and time.monotonic() < deadline:
        say(f"waiting for an idle machine: load average {load_average()}")
        time.sleep(20)


def write_results(path: Path, machine_text: str, sections: dict[str, str]) -> None:
    """Replace the machine and the measured sections of ``path`` (each between its markers),
    keeping the other sections and any notes around them."""
    text = path.read_text() if path.exists() else (
        "# Benchmark results\n\nWritten by `python -m bench` (bench/__main__.py): each full run "
        "rewrites the parts between its markers; the notes outside them are kept.\n")
    for name, body in {"machine": machine_text, **sections}.items():
        start, end = f"<!-- bench:{name}:start -->", f"<!-- bench:{name}:end -->"
        block = f"{start}\n{body}\n{end}"
        if start in text and end in text:
            head, rest = text.split(start, 1)
            text = head + block + rest.split(end, 1)[1]
        else:
            text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(text)


def machine_section() -> str:
    m = machine()
    return "\n".join([
        "## Machine",
        "",
        f"- CPU: {m['cpu']}, {m['cores']} cores",
        f"- {m['os']}; Python {m['python']}; SQLite {m['sqlite']}; SQLAlchemy {m['sqlalchemy']}",
        f"- date of the last run: {m['date']}",
    ])


def actions_section(results, sizes: dict, seconds: float, run: str) -> str:
    lines = [
        "## Persisted actions per second (engine against the raw sqlite3 floor)",
        "",
        run,
        "",
        f"{sizes['cases']} cases in one county (4 townships, 20 villages); one thread; every "
        "action its own BEGIN IMMEDIATE transaction, WAL, synchronous=NORMAL. "
        f"Median of {sizes['rounds']} round(s), engine and raw floor alternating on copies of "
        "the same database; after each round both databases are checked to hold the same rows. "
        f"Target: engine >= {ACTION_TARGET:.0%} of the raw floor.",
        "",
        "| workload | timed actions | engine (actions/s) | raw floor (actions/s) | engine/raw | "
        "per action: engine / raw | engine/raw by CPU time | target |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        lines.append(
            f"| {r.workload} | {r.actions:,} | {r.engine:,.0f} | {r.raw:,.0f} | {r.ratio:.1%} | "
            f"{1e3 / r.engine:.2f} ms / {1e3 / r.raw:.3f} ms | {r.cpu_ratio:.1%} | "
            f"{'met' if r.ratio >= ACTION_TARGET else 'NOT met'} |")
    lines += ["", "Rounds (engine, raw): " + "; ".join(
        f"{r.workload}: " + ", ".join(f"{e:,.0f}/{w:,.0f}" for e, w in
                                      zip(r.engine_rates, r.raw_rates, strict=True))
        for r in results), f"({seconds:.0f} s in all)"]
    return "\n".join(lines)


def report_section(result, sizes: dict, seconds: float, run: str) -> str:
    lines = [
        "## Monthly report on a long history",
        "",
        run,
        "",
        f"A synthetic province of {sizes['counties']} counties (15 townships of 13 villages "
        "each), history from 2016, generated by bench/generate/. Each database holds the same "
        f"report window (the report month, the 12 months before it and the month in progress), "
        f"{sizes['month_cases']} cases a month, plus older history sized to reach the total; "
        "the last database has a larger month at the largest history. `first` is the first "
        f"call on a new engine, `median` of {sizes['runs']} further calls. Target: under "
        f"{REPORT_TARGET:.0f} s at 1M events; time following the month, not the history.",
        "",
        "| database | events | cases | generated in | settled at village / township | "
        "referred | open cases (overdue) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for db in result.databases:
        s = db.get("shares", {})
        lines.append(
            f"| {db['path']} | {db['events']:,} | {db['cases']:,} | {db['seconds']:.0f} s | "
            f"{s.get('settled_at_village_congress', 0):.0%} / "
            f"{s.get('settled_at_township_federation', 0):.0%} | {s.get('referred', 0):.0%} | "
            f"{s.get('open_cases', 0):,} ({s.get('overdue_open', 0):,}) |")
    lines += [
        "",
        "| history | month | area | the area's month: cases / events | first (s) | median (s) | "
        "median CPU (s) | SQL statements | open at end |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for m in result.measures:
        lines.append(
            f"| {m.label} | {m.month} | {m.area} | {m.month_cases:,} / {m.month_events:,} | "
            f"{m.first:.3f} | {m.warm:.3f} | {m.cpu:.3f} | {m.statements} | {m.open_end:,} |")
    largest = max(db["events"] for db in result.databases)
    at_largest = [m for m in result.measures if m.events == largest]
    worst = max(max(m.first, m.warm) for m in at_largest)
    worst_cpu = max(m.cpu for m in at_largest)
    lines += ["", f"Slowest report at {largest:,} events: {worst:.3f} s wall, {worst_cpu:.3f} s "
              f"CPU ({'under' if worst < REPORT_TARGET else 'NOT under'} {REPORT_TARGET:.0f} s "
              f"wall; {'under' if worst_cpu < REPORT_TARGET else 'NOT under'} by CPU time)."]
    ratios = _growth(result)
    if ratios:
        lines += ["", "Growth (median CPU time, same month and area):", "", *ratios]
    if result.closed:
        lines += ["", "A closed month (`casework/reporting/closing.py`): on a copy of each "
                  "database, every month before the report month closed (catch-up), then the month "
                  "itself, then its report read from the stored figures; each equals the computed "
                  f"report of this run (checked). `median` of {sizes['runs']} reads; `computed` is "
                  "the median above.", "",
                  "| history | month | area | catch-up: months / s | close the month (s) | "
                  "figures stored | computed (s) | closed (s) | closed / computed |",
                  "|---|---|---|---:|---:|---:|---:|---:|---:|"]
        for c in result.closed:
            lines.append(
                f"| {c.label} | {c.month} | {c.area} | {c.catch_up_months} / {c.catch_up:.1f} | "
                f"{c.close:.2f} | {c.figures:,} | {c.computed:.3f} | {c.warm:.4f} | "
                f"{c.warm / c.computed:.3f} |")
    if result.identical:
        lines += ["", "Identical reports at every history size (checked): "
                  + "; ".join(result.identical) + "."]
    lines += ["", f"({seconds:.0f} s in all, generation included)"]
    return "\n".join(lines)


def _growth(result) -> list[str]:
    """Time ratios: same month at a 10x history, and a larger month at the same history."""
    by_key = {}
    for m in result.measures:
        by_key[(m.events, m.month_cases, m.month, m.area)] = m
    out = []
    months = sorted({(m.month, m.area) for m in result.measures})
    sizes = sorted({(m.events, m.month_cases) for m in result.measures})
    for month, area in months:
        series = [(e, c, by_key[(e, c, month, area)]) for e, c in sizes
                  if (e, c, month, area) in by_key]
        if len(series) < 2:
            continue
        small = series[0]
        parts = []
        for events, _cases, m in series[1:]:
            parts.append(f"{m.label}: x{m.cpu / small[2].cpu:.2f} time for "
                         f"x{events / small[0]:.1f} events, "
                         f"x{m.month_events / max(small[2].month_events, 1):.1f} month events")
        out.append(f"- {month}, area {area}: from {small[2].label} ({small[2].cpu:.3f} s) to "
                   + "; ".join(parts))
    return out


if __name__ == "__main__":
    sys.exit(main())
