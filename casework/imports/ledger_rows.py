"""A ledger's rows checked one by one: each becomes a case to make, or problems.

Every cell of every row is checked, so a file with three bad rows names all three at once; the
checks need no transaction, only the importer's villages and the newest closed month.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from casework.errors import Invalid
from casework.imports import ledger_problems as why
from casework.imports import ledger_values as values
from casework.imports._csvfile import head_text, is_blank, iter_cells, text_of
from casework.imports.ledger_places import Places
from casework.imports.ledger_problems import Problem, shown
from casework.lifecycle.schemas import CONTROL, CaseCreate, normalize_phone, parse
from casework.reporting.closed_months import label_of
from casework.vocabulary import CATEGORIES, CHANNELS, URGENCIES
from casework.workflow import Workflow

# Every column by its English head (today's export) and the heads county ledgers use.
HEADS = {
    "received_at": ("received_at", "登记日期", "受理日期", "来访日期", "日期"),
    "township": ("township", "乡镇", "乡镇（街道）", "乡镇(街道)"),
    "village_code": ("village_code", "村", "village", "村（社区）", "村(社区)", "村名"),
    "category": ("category", "类别", "案件类别", "类型"),
    "channel": ("channel", "来源", "来源渠道", "渠道"),
    "urgency": ("urgency", "紧急程度"),
    "summary": ("summary", "情况摘要", "摘要", "主要诉求"),
    "petitioner_name": ("petitioner_name", "姓名", "当事人姓名", "当事人"),
    "petitioner_phone": ("petitioner_phone", "电话", "联系电话", "手机"),
    "concluded_level": ("concluded_level", "办结层级", "化解层级"),
    "concluded_at": ("concluded_at", "办结日期", "化解日期"),
    "outcome": ("outcome", "结果", "办理结果", "处理结果"),
}
# The English columns of DESIGN.md (the optional township is the 乡镇 of Chinese ledgers).
COLUMNS = tuple(name for name in HEADS if name != "township")
REQUIRED = ("received_at", "village_code", "category", "channel")
# The heads of the template and of the page's table, in the order a ledger has them.
CHINESE_HEADS = {name: heads[1] for name, heads in HEADS.items()}
NOTE = "imported from the paper ledger"
_BY_HEAD = {values.key(head): name for name, heads in HEADS.items() for head in heads}


@dataclass
class LedgerRow:
    line: int
    case: CaseCreate
    concluded_level: str | None
    concluded_at: datetime | None
    outcome: str | None
    agency: str | None
    cells: dict[str, str]  # as the page shows them (petitioners' data masked)
    # Received in a closed month: a problem unless the row is already imported (a week's file
    # sent again after its month closed adds nothing, and is not wrong for that).
    closed: Problem | None = None

    def fingerprint_text(self) -> str:
        """The fields that make a row the same row, normalized: two spellings of one row (a
        date cell or its text, 大李村 or its code, 138-1234-5678 or 13812345678) are one."""
        received = self.case.received_at.astimezone(UTC).replace(second=0, microsecond=0)
        summary = " ".join(unicodedata.normalize("NFKC", self.case.summary).split())
        return "\x1f".join(("ledger v1", received.isoformat(), self.case.village_code,
                            self.case.petitioner.phone, self.case.category, summary))


@dataclass
class Checked:
    """One data row: the case it makes, or its problems; ``cells`` as the page shows them."""

    line: int
    row: LedgerRow | None
    problems: list[Problem]
    cells: dict[str, str]


class Reader:
    def __init__(self, workflow: Workflow, places: Places, closed_through: str | None,
                 now: datetime) -> None:
        self.workflow, self.places, self.closed_through, self.now = (
            workflow, places, closed_through, now)

    def read(self, path) -> Iterator[Checked]:
        """Every data row of the file, checked; the header's problems come first, as a row of
        line 1 with no case, and end the reading."""
        cells_by_line = iter_cells(path)
        header_line, header = next(cells_by_line, (1, []))
        names, problems = self.header(header_line, header)
        if problems:
            yield Checked(header_line, None, problems, {})
            return
        self.heads = {name: head_text(head) for name, head in zip(names, header, strict=False)
                      if name}
        for line, cells in cells_by_line:
            if is_blank(cells):
                continue
            if len(cells) > len(names) and not is_blank(cells[len(names):]):
                yield Checked(line, None, [Problem(line, "", "", why.MORE_CELLS)], {})
                continue
            yield self.row(line, dict(zip(names, cells, strict=False)))

    def header(self, line: int, header: list) -> tuple[list[str | None], list[Problem]]:
        names: list[str | None] = []
        problems = []
        for cell in header:
            head = head_text(cell)
            name = _BY_HEAD.get(values.key(head)) if head else None
            if head and name is None:
                problems.append(Problem(line, shown(head, ""), "", why.UNKNOWN_COLUMN, {
                    "heads": "、".join(CHINESE_HEADS.values())}))
            elif name is not None and name in names:
                problems.append(Problem(line, shown(head, ""), "", why.TWICE_COLUMN))
            names.append(name)
        # A missing column is named the way the file names the others.
        chinese = any(not head_text(cell).isascii() for cell in header)
        for name in REQUIRED:
            if name not in names:
                problems.append(Problem(line, CHINESE_HEADS[name] if chinese else name, "",
                                        why.MISSING_COLUMN))
        return names, problems

    def row(self, line: int, raw: dict[str | None, object]) -> Checked:
        problems: list[Problem] = []
        text = {name: text_of(cell) for name, cell in raw.items() if name}
        cells = {name: shown(value, name) for name, value in text.items()}

        def check(name: str, read, *args):
            value = raw.get(name)
            try:
                return read(*args)
            except values.CellProblem as exc:
                problems.append(Problem(line, self.heads.get(name, name),
                                        shown(text_of(value), name), exc.reason, exc.params,
                                        exc.choices, name))
                return None

        def required(name: str) -> bool:
            if text.get(name):
                return True
            problems.append(Problem(line, self.heads.get(name, CHINESE_HEADS[name]), "",
                                    why.REQUIRED, {"column": self.heads.get(name, name)},
                                    field=name))
            return False

        received = concluded = None
        timed = False
        if required("received_at"):
            received = check("received_at", self.received, raw.get("received_at"))
        village = None
        township = text.get("township", "")
        if township and check("township", self.places.township, township) is None:
            township = None
        if required("village_code") and township is not None:
            village = check("village_code", self.places.village, text["village_code"], township)
        category = required("category") and check(
            "category", values.choice, "category", text["category"], CATEGORIES)
        channel = required("channel") and check(
            "channel", values.choice, "channel", text["channel"], CHANNELS)
        urgency = check("urgency", values.choice, "urgency", text["urgency"], URGENCIES
                        ) if text.get("urgency") else "normal"
        summary = check("summary", _text, text.get("summary", ""), 5000) or NOTE
        name = check("petitioner_name", _text, text.get("petitioner_name", ""), 100)
        phone = check("petitioner_phone", _phone, text.get("petitioner_phone", ""))
        level = outcome = agency = None
        if text.get("concluded_level"):
            level = check("concluded_level", values.level, self.workflow,
                          text["concluded_level"])
            if text.get("concluded_at"):
                concluded, timed = check("concluded_at", values.moment, raw["concluded_at"],
                                         self.now) or (None, False)
            else:
                problems.append(Problem(line, self.heads.get("concluded_at", "办结日期"), "",
                                        why.NEEDS_DATE, field="concluded_at"))
            if text.get("outcome"):
                outcome, agency = check("outcome", values.outcome, self.workflow,
                                        text["outcome"]) or (None, None)
            else:
                problems.append(Problem(line, self.heads.get("outcome", "结果"), "",
                                        why.NEEDS_OUTCOME, {}, (
                                            "outcome", (*self.workflow.choices["outcome"],
                                                        "referred")), "outcome"))
        elif text.get("concluded_at") or text.get("outcome"):
            problems.append(Problem(line, self.heads.get("concluded_level", "办结层级"), "",
                                    why.NEEDS_LEVEL, field="concluded_level"))
        if received and concluded:
            if concluded < received and not timed and (
                    concluded.date() == received.astimezone(concluded.tzinfo).date()):
                concluded = received  # concluded the day it came in, time not written
            if concluded < received:
                problems.append(Problem(line, self.heads["concluded_at"],
                                        shown(text["concluded_at"], ""), why.BEFORE_RECEIVED,
                                        field="concluded_at"))
        if channel and level:
            start = self.start_level(channel, urgency or "normal")
            if self.workflow.level(level).index < self.workflow.level(start).index:
                problems.append(Problem(
                    line, self.heads["concluded_level"], shown(text["concluded_level"], ""),
                    why.STARTS_HIGHER, {"channel": channel, "start": start},
                    field="concluded_level"))
        closed = self.closed_month(line, received, text.get("received_at", ""))
        if problems:
            return Checked(line, None, problems + ([closed] if closed else []), cells)
        try:
            case = parse(CaseCreate, {
                "channel": channel, "village_code": village, "category": category,
                "urgency": urgency, "summary": summary, "received_at": received.isoformat(),
                "petitioner": {"name": name or "", "phone": phone or ""}})
        except Invalid as exc:  # what the checks above let through, said the intake's way
            return Checked(line, None, [
                Problem(line, self.heads.get(field.split(".")[-1], field), "", reason)
                for field, reason in exc.fields.items()], cells)
        return Checked(line, LedgerRow(line, case, level, concluded, outcome, agency, cells,
                                       closed), [], cells)

    def received(self, cell: object) -> datetime:
        return values.moment(cell, self.now)[0]

    def closed_month(self, line: int, received: datetime | None, text: str) -> Problem | None:
        if received is None or self.closed_through is None:
            return None
        month = label_of(received)
        if month > self.closed_through:
            return None
        return Problem(line, self.heads.get("received_at", "received_at"),
                       shown(text, "received_at"), why.CLOSED_MONTH,
                       {"month": month, "through": self.closed_through}, field="received_at")

    def start_level(self, channel: str, urgency: str) -> str:
        workflow = self.workflow
        if urgency == "emergency":
            return workflow.emergency_start_level
        return workflow.channel_start_levels.get(channel, workflow.default_start_level)


def _text(value: str, limit: int) -> str:
    if len(value) > limit:
        raise values.CellProblem(why.TOO_LONG, limit=limit)
    if CONTROL.search(value):
        raise values.CellProblem(why.CONTROL_CHARACTERS)
    return value.strip()


def _phone(value: str) -> str:
    if not value:
        return ""
    try:
        return normalize_phone(unicodedata.normalize("NFKC", value))
    except ValueError:
        raise values.CellProblem(why.NOT_A_PHONE) from None

