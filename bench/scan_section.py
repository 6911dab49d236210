"""The scan benchmark's part of bench/RESULTS.md."""

from __future__ import annotations

FLAT = 2.0  # the largest database may take at most this many times the smallest's time


def scan_section(measures, sizes: dict, seconds: float, run: str) -> str:
    lines = [
        "## Deadline scan over many open cases",
        "",
        run,
        "",
        f"One county's open cases (bench/scan.py): in each database the same {sizes['overdue']:,} "
        f"are newly overdue (a tenth of them mailbox letters, which escalate by themselves) and "
        f"{sizes['warned']:,} newly due a warning; of the rest 5% were flagged overdue long ago, "
        "2% wait on the petitioner with their deadline past, and the others have deadlines "
        "ahead. `find` is the scan's own paged queries alone (read-only, median of "
        f"{sizes['runs']}); `scan` is one `casework.scheduling.scan.scan` as the scheduler runs it "
        "(one "
        "transaction per flag, notifications queued), after which the events written are "
        f"counted against its result. Target: the largest database within x{FLAT:.0f} of the "
        "smallest's time (the work is the same; only the open cases around it grow).",
        "",
        "| database | open cases | built in | due: warning / overdue | find (ms) | scan (s) | "
        "scan CPU (s) | warned / overdue / escalated / failed | per flag (ms) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for m in measures:
        flags = max(m.warned + m.overdue, 1)
        lines.append(
            f"| {m.database} | {m.open_cases:,} | {m.build_seconds:.0f} s | "
            f"{m.due['warning']:,} / {m.due['overdue']:,} | {m.find * 1e3:.1f} | "
            f"{m.scan_seconds:.2f} | {m.scan_cpu:.2f} | {m.warned:,} / {m.overdue:,} / "
            f"{m.escalated:,} / {m.failed} | {m.scan_seconds * 1e3 / flags:.2f} |")
    lines += ["", "Growth from the smallest to the largest database:", ""]
    for database in dict.fromkeys(m.database for m in measures):
        series = sorted((m for m in measures if m.database == database),
                        key=lambda m: m.open_cases)
        if len(series) < 2:
            continue
        small, large = series[0], series[-1]
        scan_ratio = large.scan_seconds / small.scan_seconds
        lines.append(
            f"- {database}: x{large.open_cases / small.open_cases:,.0f} open cases -> find "
            f"x{large.find / small.find:.2f}, scan x{scan_ratio:.2f} wall "
            f"(x{large.scan_cpu / small.scan_cpu:.2f} CPU): "
            f"{'flat (target met)' if scan_ratio <= FLAT else 'NOT flat'}")
    largest = max(m.open_cases for m in measures)
    lines += ["", f"Query plans at {largest:,} open cases (the statements as the driver "
              "receives them; PostgreSQL's are EXPLAIN ANALYZE, with the rows actually read):",
              ""]
    for m in measures:
        if m.open_cases != largest:
            continue
        for statement, plan in m.plans.items():
            lines += [f"{m.database}, {statement}", "", "```", *plan, "```", ""]
    lines.append(f"({seconds:.0f} s in all, building the databases included)")
    return "\n".join(lines)
