"""A ledger's cells as the product's values: the words clerks write, and their dates.

A clerk writes 家庭暴力 or 家暴, 来信, 一般, 村妇代会, 调解成功; an export from Casework writes
``domestic_violence``.  Both are taken: the ids, the product's own labels in either language
(casework/vocabulary.py, the levels' names in workflows.yaml) and the short forms people use.
Dates come as Excel writes or shows them: a date cell, 2026-03-03, 2026/3/3, 2026.3.3,
2026年3月3日, with or without a time; a time without a zone is Beijing time.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, time, timedelta

from casework.imports import ledger_problems as why
from casework.scheduling.deadlines import SHANGHAI
from casework.vocabulary import LABELS
from casework.workflow import Workflow

# Short forms seen in county ledgers, beside the labels of casework/vocabulary.py.
SHORT_FORMS = {
    "category": {"家暴": "domestic_violence", "家庭暴力案件": "domestic_violence",
                 "婚姻": "marriage_family", "婚姻纠纷": "marriage_family",
                 "婚姻家庭纠纷": "marriage_family", "财产": "property", "财产纠纷": "property",
                 "就业": "employment", "劳动": "employment", "就业歧视": "employment",
                 "儿童": "child", "未成年人": "child", "人身权益": "personal_rights",
                 "邻里": "neighbor_dispute", "法律咨询": "consultation", "其它": "other"},
    "channel": {"热线": "hotline_12338", "12338": "hotline_12338", "电话": "hotline_12338",
                "信箱": "mailbox", "村信箱": "mailbox", "妇女信箱": "mailbox",
                "信件": "letter", "上访": "visit", "网络": "online", "网上信访": "online",
                "转来": "referral", "转办": "referral"},
    "urgency": {"普通": "normal", "加急": "urgent", "特急": "emergency"},
    "agency": {"公安": "police", "派出所": "police", "法院": "court", "检察院": "procuratorate",
               "法律援助": "legal_aid", "12348": "legal_aid", "民政": "civil_affairs",
               "人社": "labour", "劳动监察": "labour", "卫健": "health", "卫生": "health",
               "教育": "education"},
}
LEVEL_SHORT_FORMS = {"村妇代会": "village_congress", "谈心室": "village_congress",
                     "村": "village_congress", "乡镇妇联": "township_federation",
                     "排忧站": "township_federation", "乡镇": "township_federation",
                     "乡": "township_federation", "镇": "township_federation",
                     "县妇联": "county_center", "维权中心": "county_center",
                     "县妇联维权中心": "county_center", "县": "county_center"}
REFERRED = ("已转介", "转介", "referred")

_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
                   r"(?:\s*[T ]?\s*(\d{1,2})\s*[:：时点]\s*(\d{1,2})\s*分?"
                   r"(?:\s*[:：]?\s*(\d{1,2})\s*秒?)?)?")
EXCEL_EPOCH = datetime(1899, 12, 30)


class CellProblem(ValueError):
    """A cell that is not what its column wants."""

    def __init__(self, reason: str, choices=None, **params) -> None:
        super().__init__(reason)
        self.reason, self.choices, self.params = reason, choices, params


def key(text: str) -> str:
    """What two spellings of one word share: full-width forms folded, spaces, case and the
    brackets' shapes ignored (（12348） and (12348) are one)."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).lower()


def _words(kind: str) -> dict[str, str]:
    words = {key(value_id): value_id for value_id in LABELS[kind]}
    for value_id, names in LABELS[kind].items():
        words.update({key(name): value_id for name in names.values()})
    words.update({key(short): value_id for short, value_id in SHORT_FORMS.get(kind, {}).items()})
    return words


WORDS = {kind: _words(kind) for kind in ("category", "channel", "urgency", "agency", "outcome")}


def choice(kind: str, text: str, allowed: tuple[str, ...]) -> str:
    """The id ``text`` names among ``allowed``."""
    found = WORDS[kind].get(key(text))
    if found not in allowed:
        raise CellProblem(why.NOT_A_CHOICE, (kind, allowed), what=kind)
    return found


def level(workflow: Workflow, text: str) -> str:
    """A level where a case can be concluded, by id, by its names, or by a short form."""
    allowed = tuple(lv.id for lv in workflow.handling_levels()
                    if "resolved" in lv.statuses)
    words = {key(short): level_id for short, level_id in LEVEL_SHORT_FORMS.items()}
    for lv in workflow.handling_levels():
        words[key(lv.id)] = lv.id
        words.update({key(name): lv.id for name in (lv.name.get("zh"), lv.name.get("en"))
                      if name})
        # 村妇代会（谈心室） is also written without its bracket.
        words.update({key(re.split(r"[（(]", name)[0]): lv.id
                      for name in (lv.name.get("zh"), lv.name.get("en")) if name})
    found = words.get(key(text))
    if found not in allowed:
        raise CellProblem(why.NOT_A_CHOICE, ("level", allowed), what="concluded_level")
    return found


def outcome(workflow: Workflow, text: str) -> tuple[str | None, str | None]:
    """(outcome, agency): a resolve outcome, or a referral (转介, 转介：公安, 公安机关,
    referred:police) with its agency, ``other`` when none is named."""
    outcomes, agencies = tuple(workflow.choices["outcome"]), tuple(workflow.choices["agency"])
    folded = key(text)
    for word in REFERRED:
        if folded.startswith(key(word)):
            rest = folded[len(key(word)):].strip(":：-—()（）")
            if not rest:
                return None, "other"
            return None, _agency(rest, outcomes, agencies)
    found = WORDS["outcome"].get(folded)
    if found in outcomes:
        return found, None
    return None, _agency(folded, outcomes, agencies)


def _agency(text: str, outcomes: tuple[str, ...], agencies: tuple[str, ...]) -> str:
    found = WORDS["agency"].get(text) or WORDS["agency"].get(text.strip("()（）"))
    if found in agencies and found != "other":
        return found
    raise CellProblem(why.NOT_A_CHOICE, ("outcome", (*outcomes, "referred")), what="outcome")


def moment(cell: object, now: datetime) -> tuple[datetime, bool]:
    """(aware time, whether a time of day was given) of a ledger date; Beijing time unless the
    cell names a zone."""
    if isinstance(cell, datetime):
        parsed, timed = cell, cell.time() != time()
    elif isinstance(cell, date):
        parsed, timed = datetime.combine(cell, time()), False
    elif isinstance(cell, int | float) and not isinstance(cell, bool):
        parsed, timed = _excel_serial(cell)
    else:
        parsed, timed = _text_moment(str(cell or ""))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=SHANGHAI)
    if parsed.year < 2000:
        raise CellProblem(why.BEFORE_2000)
    if parsed > now:
        raise CellProblem(why.IN_THE_FUTURE)
    return parsed, timed


def _excel_serial(number: float) -> tuple[datetime, bool]:
    # A date cell Excel lost its format for shows as its serial day, e.g. 46084.
    if not 36526 <= number < 73051:  # 2000-01-01 .. 2100-01-01
        raise CellProblem(why.NOT_A_DATE)
    parsed = EXCEL_EPOCH + timedelta(days=float(number))
    parsed = parsed.replace(microsecond=0)
    return parsed, parsed.time() != time()


def _text_moment(text: str) -> tuple[datetime, bool]:
    text = unicodedata.normalize("NFKC", text).strip()
    if not text:
        raise CellProblem(why.NOT_A_DATE)
    try:
        parsed = datetime.fromisoformat(text)
        return parsed, len(text) > 10
    except ValueError:
        pass
    match = _DATE.fullmatch(text)
    if match is None:
        raise CellProblem(why.NOT_A_DATE)
    year, month, day, hour, minute, second = (int(part) if part else 0 for part in match.groups())
    try:
        return datetime(year, month, day, hour, minute, second), match.group(4) is not None
    except ValueError:
        raise CellProblem(why.NOT_A_DATE) from None
