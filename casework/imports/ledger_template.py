"""The ledger template (台账模板.xlsx): the heads a clerk fills in, one example row, drop-down
lists of the words the importer takes, and the county's villages on a second sheet.

Filled in with Excel or WPS and sent back, it imports as it is; the drop-downs keep 家庭暴力
from becoming 家暴力 on the fortieth row.
"""

from __future__ import annotations

import io
from datetime import datetime

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy import select

from casework.bootstrap import Casework
from casework.imports.ledger import scope_of
from casework.imports.ledger_rows import CHINESE_HEADS, HEADS
from casework.people.access import Actor
from casework.scheduling.deadlines import SHANGHAI
from casework.storage.db import reading
from casework.storage.models import Area
from casework.vocabulary import CATEGORIES, CHANNELS, URGENCIES, label

LEDGER_SHEET, VILLAGE_SHEET, CHOICE_SHEET = "台账", "村名单", "选项"
LAST_ROW = 100_001  # a province's year below the heads
EXAMPLE = {"summary": "（示例，导入前请删除本行）丈夫酒后殴打，要求调解", "petitioner_name": "张某",
           "petitioner_phone": "13800138000"}


def ledger_template(cw: Casework, *, by: Actor | None = None, area: str = "") -> bytes:
    """The template for ``by``'s area (or ``area``, from the command line), as .xlsx bytes."""
    scope = scope_of(by) if by is not None else area
    with reading(cw.engine) as session:
        town = {code: name for code, name in session.execute(
            select(Area.code, Area.name).where(
                Area.kind == "township", Area.code.startswith(scope, autoescape=True)))}
        villages = session.execute(
            select(Area.code, Area.name).where(
                Area.kind == "village", Area.code.startswith(scope, autoescape=True))
            .order_by(Area.code)).all()
    book = Workbook()
    ledger = book.active
    ledger.title = LEDGER_SHEET
    names = list(HEADS)
    ledger.append([CHINESE_HEADS[name] for name in names])
    for cell in ledger[1]:
        cell.font = Font(bold=True)
    choices = _choices(cw)
    ledger.append([_example(name, villages, town, choices) for name in names])
    for position, name in enumerate(names, start=1):
        column = get_column_letter(position)
        ledger.column_dimensions[column].width = 24 if name == "summary" else 14
        if name in ("received_at", "concluded_at"):
            for cell in ledger[column][1:]:
                cell.number_format = "yyyy-mm-dd"
        if name == "petitioner_phone":
            ledger[f"{column}2"].number_format = "@"
    ledger.freeze_panes = "A2"

    listed = book.create_sheet(VILLAGE_SHEET)
    listed.append(["乡镇", "村", "代码"])
    for code, name in villages:
        listed.append([town.get(code[:9], code[:9]), name, code])
    for column, width in (("A", 16), ("B", 16), ("C", 16)):
        listed.column_dimensions[column].width = width

    options = book.create_sheet(CHOICE_SHEET)
    for position, (name, words) in enumerate(choices.items(), start=1):
        column = get_column_letter(position)
        options[f"{column}1"] = CHINESE_HEADS[name]
        for row, word in enumerate(words, start=2):
            options[f"{column}{row}"] = word
        source = (f"={quote_sheetname(CHOICE_SHEET)}!${column}$2:${column}${len(words) + 1}")
        _drop_down(ledger, names.index(name) + 1, source, strict=True)
    if villages:
        _drop_down(ledger, names.index("village_code") + 1,
                   f"={quote_sheetname(VILLAGE_SHEET)}!$B$2:$B${len(villages) + 1}",
                   strict=False)  # a code, or a village added since, is taken too
    options.sheet_state = "hidden"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _choices(cw: Casework) -> dict[str, list[str]]:
    workflow = cw.workflow
    levels = [level.name.zh.split("（")[0] for level in workflow.handling_levels()]
    outcomes = [label("outcome", o, "zh") for o in workflow.choices["outcome"]]
    referrals = [f"转介：{label('agency', a, 'zh')}" for a in workflow.choices["agency"]]
    return {
        "category": [label("category", c, "zh") for c in CATEGORIES],
        "channel": [label("channel", c, "zh") for c in CHANNELS],
        "urgency": [label("urgency", u, "zh") for u in URGENCIES],
        "concluded_level": levels,
        "outcome": outcomes + referrals,
    }


def _drop_down(sheet, position: int, source: str, *, strict: bool) -> None:
    column = get_column_letter(position)
    rule = DataValidation(type="list", formula1=source, allow_blank=True,
                          showErrorMessage=strict, errorTitle="请从下拉列表中选择",
                          error="请从下拉列表中选择一项")
    rule.add(f"{column}2:{column}{LAST_ROW}")
    sheet.add_data_validation(rule)


def _example(name: str, villages, town, choices) -> object:
    today = datetime.now(SHANGHAI).replace(hour=0, minute=0, second=0, microsecond=0,
                                           tzinfo=None)
    if name == "received_at":
        return today
    if name == "concluded_at":
        return today
    if name == "village_code":
        return villages[0][1] if villages else ""
    if name == "township":
        return town.get(villages[0][0][:9], "") if villages else ""
    if name in choices:
        return choices[name][0]
    return EXAMPLE.get(name, "")
