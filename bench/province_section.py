"""The province benchmark's part of bench/RESULTS.md."""

from __future__ import annotations

COUNTY_TARGET, PROVINCE_TARGET = 0.2, 2.0


def province_section(result, sizes: dict, seconds: float, run: str,
                     partitioned: bool = False) -> str:
    f = result.facts
    s = result.shares
    loads = ", ".join(f"{name} {secs:.0f} s" for name, secs in f["load_seconds"].items())
    lines = [
        "## A generated province: monthly report and deadline scan"
        + (" (PostgreSQL, events in monthly partitions)" if partitioned else ""),
        "",
        run,
        "",
    ]
    if partitioned:
        lines += [
            "The same province as above, its PostgreSQL events table converted to monthly "
            f"partitions by `casework partitions convert` ({f.get('partitions', 0)} partitions, "
            f"{f.get('partitioned_seconds', 0):.0f} s for {f['events']:,} events), then the "
            "same measurements on it.",
            "",
        ]
    lines += [
        f"DESIGN.md's province (bench/generate, `province({f['years']:g}, "
        f"{f.get('counties', 100)})`): {f.get('counties', 100)} of its 100 counties (15 "
        f"townships of 13 villages each: {f['villages']:,} villages), each with a county's "
        "share of the province's 500,000 cases and 5M events a year; "
        f"{f['years']:g} year(s) of history plus the report window (the report month, "
        "the 12 before it and the month in progress). Generated once into both databases in "
        f"one pass: {f['events']:,} events, {f['cases']:,} cases in {f['seconds']:.0f} s "
        f"({f.get('workers', 1)} simulating processes; writing {loads}; "
        f"{f['events'] / f['seconds']:,.0f} events/s overall). Shapes measured on the data: "
        f"settled at the village congress {s.get('settled_at_village_congress', 0):.0%}, at "
        f"the township {s.get('settled_at_township_federation', 0):.0%} of what reached it; "
        f"referred {s.get('referred', 0):.0%}; open {s.get('open_cases', 0):,} "
        f"({s.get('overdue_open', 0):,} overdue).",
        "",
        "Every finished month was then closed, as the scheduler does at its first start "
        "(stored figures for every area): " + ", ".join(
            f"{name} {months} months in {secs:.0f} s" for name, (months, secs)
            in result.closing.items()) + ".",
        "",
        f"Report: first call on a new engine, then the median of {sizes['runs']} calls, each "
        "followed by the baseline: the same SQL statements the report sent, run straight "
        "through the driver (sqlite3 / psycopg) and fetched. Three kinds: the *closed month* "
        "as a leader prints it (read from the stored figures), the *month in progress* "
        "(computed from events; its 12-month trend from the stored figures), and the closed "
        "month *computed* from events all the same (`closed=False`: the worst case, what "
        f"closing saves). Targets (issue 5, at 25M events): a county under "
        f"{COUNTY_TARGET * 1e3:.0f} ms, the province under {PROVINCE_TARGET:.0f} s.",
        "",
        "| database | report | area | month | cases received | first (s) | median (s) | "
        "plain SQL (s) | engine / SQL | statements | target |",
        "|---|---|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for m in result.reports:
        target = COUNTY_TARGET if m.area != "province" else PROVINCE_TARGET
        lines.append(
            f"| {m.database} | {m.kind} | {m.area} | {m.month} | {m.received:,} | "
            f"{m.first:.3f} | {m.warm:.3f} | {m.raw:.3f} | x{m.warm / m.raw:.2f} | "
            f"{m.statements} | {'met' if m.warm < target else 'NOT met'}"
            f"{'' if m.first < target else ' (not on the first call)'} |")
    lines += ["", "Deadline scan a day after the last (the first run's a day after the generator's "
              "now: a scheduler down a day):", "",
              "| database | as of | scan (s) | CPU (s) | warned | overdue | escalated | failed |",
              "|---|---|---:|---:|---:|---:|---:|---:|"]
    for sc in result.scans:
        lines.append(f"| {sc['database']} | {sc['at'][:16]} | {sc['seconds']:.2f} | "
                     f"{sc['cpu']:.2f} | "
                     f"{sc['warned']:,} | {sc['overdue']:,} | {sc['escalated']:,} | "
                     f"{sc['failed']} |")
    lines += ["", f"({seconds:.0f} s in all, generation included)"]
    return "\n".join(lines)
