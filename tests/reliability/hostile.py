"""Hostile text and files: what a careless export, a wrong encoding or an attacker puts in a
ledger or a workflow file."""

from __future__ import annotations

import io

from hypothesis import strategies as st

# The characters that break parsers, databases and spreadsheets.
NASTY = ["\x00", "\x01", "\x1b[31m", "\x7f", "\r", "\n", "\r\n", "\t", "\ufeff", "\u202e",
         "\uffff", "𠜎", "é", "李某", "\"", "'", ",", ";", "\\", "_x0000_",
         "_x001B_", "%s%n", "{{7*7}}", "<script>", "../../etc/passwd", "NaN", "-1", "1e999"]
FORMULAS = ["=1+1", "=HYPERLINK(\"http://evil\",\"点我\")", "+1-1", "-2+3", "@SUM(A1:A9)",
            "=cmd|' /C calc'!A0", "\t=1", "\r=1"]
ENCODINGS = ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16", "utf-16-le", "utf-16-be",
             "latin-1", "big5"]


def huge(size: int) -> st.SearchStrategy[str]:
    return st.sampled_from(["x", "李", "=", ",", "\"", "\n"]).map(lambda c: c * size)


cell_text = st.one_of(
    st.text(max_size=40),
    st.sampled_from(NASTY + FORMULAS),
    st.lists(st.sampled_from(NASTY + FORMULAS), max_size=6).map("".join),
    st.integers(min_value=1, max_value=400_000).flatmap(huge),
    st.sampled_from(["2026-01-05", "2026/13/40", "2026-02-29 25:61", "0000-00-00",
                     "9999-12-31", "2026-01-05T09:00+14:00", "450330100201", "450330",
                     "hotline_12338", "mailbox", "domestic_violence", "village_congress",
                     "county_center", "mediated", "referred:court", "referred:nowhere",
                     "emergency", "urgent", "13812345678"]),
)


def encode(text: str, encoding: str) -> bytes:
    """The text as a file in ``encoding``, losing what that encoding cannot hold."""
    return text.encode(encoding, errors="replace")


def csv_text(header: list[str], rows: list[list[str]]) -> str:
    import csv

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()
