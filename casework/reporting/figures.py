"""From counts to figures: the one place where a report's rates and JSON are defined.

A report of any length is made of its months' counts (a Counter of figure names per area, see
models.ClosedFigure): ``received``, ``concluded``, ``level.L.entered`` ..., ``on_time.of`` and so
on.  Counts of events and receipts add up over months; a state at the end of a month
(``level.L.open_end``, ``level.L.overdue_end``: any figure named ``..._end``) is taken from the
period's last month.  Rates are computed from the added-up counts, never averaged over months
(an average of monthly rates weighs a quiet month like a busy one).

Any count a month's tally gains later (protection figures, say) joins a period's by the same
addition, with no code of its own here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

from casework.reporting.protection import protection_figures
from casework.vocabulary import CATEGORIES
from casework.workflow import Workflow

LEVEL_FIELDS = ("entered", "resolved", "referred", "escalated", "returned", "open_end",
                "overdue_end")


def at_end(figure: str) -> bool:
    """A state at the end of the month (open_end, overdue_end), not a count of its events."""
    return figure.endswith("_end")


def add_up(months: Iterable[Mapping[str, int]]) -> Counter:
    """The counts of a run of months, oldest first: every count summed, the states at the end
    taken from the last month."""
    total: Counter = Counter()
    last: Mapping[str, int] = {}
    for counts in months:
        for figure, value in counts.items():
            total[figure] += value
        last = counts
    for figure in [figure for figure in total if at_end(figure)]:
        # States at the end: the last month's, or none where it had none.
        if figure in last:
            total[figure] = last[figure]
        else:
            del total[figure]
    return total


# Each headline rate and the two counts of the report it is a share of (part, whole): shown
# beside it everywhere, since handling_rate follows the period's petitions and on_time_rate
# every conclusion of the period, whenever it came in.
RATE_COUNTS = {"handling_rate": ("concluded", "received"),
               "on_time_rate": ("on_time", "conclusions"),
               "satisfaction_rate": ("satisfied", "closes")}


def share(report: Mapping, key: str) -> str:
    """A rate's counts as people read them beside it: "3/3"."""
    part, whole = RATE_COUNTS[key]
    return f"{report[part]}/{report[whole]}"


def rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def point(month: str, counts: Mapping[str, int]) -> dict:
    """One month of a trend or of a period's ``by_month``."""
    return {"month": month, "received": counts.get("received", 0),
            "concluded": counts.get("concluded", 0),
            "handling_rate": rate(counts.get("concluded", 0), counts.get("received", 0))}


def summary(workflow: Workflow, counts: Mapping[str, int]) -> dict:
    """received, concluded, handling_rate and levels of one area's counts."""
    counts = Counter(counts)
    levels = {}
    for level in workflow.handling_levels():
        figures = {name: counts[f"level.{level.id}.{name}"] for name in LEVEL_FIELDS}
        done = figures["resolved"] + figures["referred"]
        figures["resolution_rate"] = rate(done, done + figures["escalated"])
        levels[level.id] = figures
    return {"received": counts["received"], "concluded": counts["concluded"],
            "handling_rate": rate(counts["concluded"], counts["received"]), "levels": levels}


def assemble(workflow: Workflow, total: Mapping[str, int], parts: Mapping[str, Mapping],
             children: Mapping[str, str]) -> dict:
    """The figures of a report (all but its place and time): the area's ``total`` counts and
    each sub-area's (``parts``, by code; ``children``: code -> name, in order)."""
    total = Counter(total)
    head = summary(workflow, total)
    return {
        "received": head["received"], "concluded": head["concluded"],
        "handling_rate": head["handling_rate"],
        "on_time_rate": rate(total["on_time.met"], total["on_time.of"]),
        "satisfaction_rate": rate(total["satisfied"], total["closes"]),
        # Each rate's counts beside it: on_time_rate is a share of every conclusion of the
        # period, not of ``concluded``, so a month can conclude 0 of its own petitions and
        # still have 3 of 3 conclusions on time; shown with its counts, that reads right.
        "conclusions": total["on_time.of"], "on_time": total["on_time.met"],
        "closes": total["closes"], "satisfied": total["satisfied"],
        "levels": head["levels"],
        "by_area": {code: {"name": name, **summary(workflow, parts.get(code, {}))}
                    for code, name in children.items()},
        "by_category": {cat: {"received": total[f"category.{cat}.received"],
                              "concluded": total[f"category.{cat}.concluded"]}
                        for cat in CATEGORIES},
        "protection": protection_figures(total),
        "protection_by_area": {code: protection_figures(Counter(parts.get(code, {})))
                               for code in children},
    }
