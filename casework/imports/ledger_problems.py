"""What is wrong in a ledger: every problem at once, each at its line and column, with the
value found and what would be right, in the reader's language.

A problem's ``reason`` is an English sentence with ``%(name)s`` parts; the web layer looks it
up in its catalogue (webui/core_messages.py lists every reason here), the command line shows it
as it is.  ``choices`` are vocabulary ids, shown as their Chinese labels on a Chinese page and
as the ids (which the importer takes too) in English.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from casework.errors import Invalid
from casework.imports._csvfile import visible
from casework.vocabulary import label

# Listed in full up to this many; a file wrong on every line of 100,000 still says how many.
MAX_LISTED = 1000
SHOWN_CHARS = 40

NOT_A_CHOICE = "'%(value)s' is not a known %(what)s; write one of: %(choices)s"
NOT_A_DATE = ("'%(value)s' is not a date; write it as 2026-03-03, 2026/3/3, 2026.3.3 or "
              "2026年3月3日, with a time such as 14:30 if known")
IN_THE_FUTURE = "%(value)s is in the future"
BEFORE_2000 = "%(value)s is before 2000; is the year right?"
CLOSED_MONTH = ("%(value)s falls in %(month)s, a closed month (months up to %(through)s are "
                "closed and their figures never change); log the case as received now")
NO_SUCH_VILLAGE = "no village '%(value)s' in your area; write its name or its 12-digit code"
NO_SUCH_VILLAGE_IN = "no village '%(value)s' in %(township)s"
NOT_UNIQUE = ("more than one village is named '%(value)s' (in %(townships)s); fill in 乡镇 "
              "or write the village's 12-digit code")
NO_SUCH_TOWNSHIP = "no township '%(value)s' in your area"
WRONG_TOWNSHIP = "village %(village)s is not in %(value)s"
REQUIRED = "required: this row has no %(column)s"
TOO_LONG = "longer than %(limit)s characters"
CONTROL_CHARACTERS = "contains control characters"
NOT_A_PHONE = "'%(value)s' is not a phone number"
NEEDS_LEVEL = "a conclusion needs 办结层级 (concluded_level); leave this empty for an open case"
NEEDS_DATE = "a concluded case needs its date in 办结日期 (concluded_at)"
NEEDS_OUTCOME = "a concluded case needs its result in 结果 (outcome); write one of: %(choices)s"
BEFORE_RECEIVED = "%(value)s is before the date received"
STARTS_HIGHER = ("a %(channel)s case starts at %(start)s, so it cannot be concluded at "
                 "%(value)s")
MISSING_COLUMN = "the header lacks this column"
UNKNOWN_COLUMN = "unknown column; the heads are %(heads)s"
TWICE_COLUMN = "this column appears twice"
MORE_CELLS = "more cells than columns"
NO_ROWS = "the file has no rows to import"
REASONS = (NOT_A_CHOICE, NOT_A_DATE, IN_THE_FUTURE, BEFORE_2000, CLOSED_MONTH, NO_SUCH_VILLAGE,
           NO_SUCH_VILLAGE_IN, NOT_UNIQUE, NO_SUCH_TOWNSHIP, WRONG_TOWNSHIP, REQUIRED, TOO_LONG,
           CONTROL_CHARACTERS, NOT_A_PHONE, NEEDS_LEVEL, NEEDS_DATE, NEEDS_OUTCOME,
           BEFORE_RECEIVED, STARTS_HIGHER, MISSING_COLUMN, UNKNOWN_COLUMN, TWICE_COLUMN,
           MORE_CELLS, NO_ROWS)
# The vocabulary a NOT_A_CHOICE names, in both languages ("what" in the sentence).
WHAT = {"category": ("category", "类别"), "channel": ("channel", "来源"),
        "urgency": ("urgency", "紧急程度"), "concluded_level": ("level", "办结层级"),
        "outcome": ("result", "结果")}


@dataclass(frozen=True)
class Problem:
    line: int
    column: str  # the column's head as the file writes it
    value: str  # the cell as found, shortened and, for petitioners' data, masked
    reason: str
    params: dict = field(default_factory=dict)
    # Vocabulary ids of what would be right: (kind, ids), or level ids with kind "level".
    choices: tuple[str, tuple[str, ...]] | None = None
    field: str = ""  # the column's English name (received_at, ...), for the page's table

    def message(self, translate: Callable[[str], str] = str, language: str = "en",
                level_names: Callable[[str, str], str] | None = None) -> str:
        """The sentence in ``language``; ``translate`` is the catalogue's lookup."""
        zh = language.lower().startswith("zh")
        params = {"value": self.value, **self.params}
        if self.choices is not None:
            kind, ids = self.choices
            names = [level_names(i, language) if kind == "level" and level_names
                     else (label(kind, i, language) if zh else i) for i in ids]
            params["choices"] = ("、" if zh else ", ").join(names)
        if "what" in params:
            params["what"] = WHAT.get(params["what"], (params["what"],) * 2)[1 if zh else 0]
        try:
            return visible(translate(self.reason) % params)
        except (KeyError, ValueError, TypeError):  # a catalogue entry that lost a part
            return visible(self.reason % params)

    def as_dict(self, **how) -> dict:
        return {"line": self.line, "column": self.column, "value": self.value,
                "message": self.message(**how)}


def shown(value: object, column: str) -> str:
    """A cell as a problem may show it: short, and a petitioner's name, phone or story masked,
    since problems travel to screens and terminals the case pages do not."""
    text = visible(str(value if value is not None else "").strip())
    if column == "petitioner_phone" and sum(char.isdigit() for char in text) >= 7:
        return text[:3] + "****" + text[-4:]
    if column in ("petitioner_name", "summary"):
        return text[:1] + "…" if text else ""
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + "…"


class LedgerProblems(Invalid):
    """A ledger refused for its problems; nothing of it was written.  ``preview`` tells what
    the file holds (rows, new, duplicates) beside every problem."""

    def __init__(self, preview) -> None:
        self.preview = preview
        first = preview.problems[0]
        more = preview.problem_count - 1
        message = (f"line {first.line}, column {first.column}: {first.message()}"
                   + (f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""))
        super().__init__({"file": message}, message=message)
