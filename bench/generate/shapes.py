"""The synthetic province's shapes: areas, people, the mix of cases, and when they come in."""

from __future__ import annotations

import functools
import json
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import chinese_calendar

from casework.imports.areas import spell
from casework.scheduling.deadlines import SHANGHAI

SPRING_FESTIVAL = chinese_calendar.Holiday.spring_festival.value

GENERATOR_VERSION = 6  # 2: seasons and holidays, notes per level; 3: petitioners sealed;
# 4: events hash-chained (casework/lifecycle/chain.py); 5: each month from its own seeds, in
# parallel; 6: summaries, notes and reasons sealed (casework/privacy/narratives.py)
SCAN_LAG = timedelta(seconds=40)  # the scheduler scans every minute
HISTORY_FROM = (2016, 1)
SHORT = {"village_mailbox": "village", "village_congress": "village",
         "township_federation": "township", "county_center": "county"}

CATEGORIES = {"domestic_violence": 5, "marriage_family": 8, "property": 3, "employment": 2,
              "child": 2, "personal_rights": 1, "neighbor_dispute": 3, "consultation": 2,
              "other": 1}
CHANNELS = {"hotline_12338": 45, "mailbox": 25, "visit": 15, "letter": 8, "online": 5,
            "referral": 2}
OUTCOMES = {"mediated": 50, "advised": 25, "assisted": 15, "withdrawn": 5, "other": 5}
AGENCIES = {"police": 30, "court": 20, "legal_aid": 25, "civil_affairs": 10, "labour": 5,
            "procuratorate": 3, "health": 3, "education": 2, "other": 2}
SATISFACTION = {"satisfied": 70, "basically_satisfied": 20, "unsatisfied": 10}
SUMMARIES = ("反映丈夫长期酗酒打骂", "离婚后子女抚养费未按时支付", "承包地征收补偿款被娘家兄弟占用",
             "怀孕后被单位辞退", "邻里宅基地纠纷引发争吵", "咨询家庭暴力告诫书如何申请",
             "留守儿童监护问题", "婚后房产加名纠纷", "丈夫赌博欠债要求离婚", "外嫁女土地分红被取消")
NOTES = ("已与当事人电话沟通", "已上门走访了解情况", "已约双方到谈心室面谈", "已联系村委会协助调查")
SURNAMES = "李王张刘陈杨黄赵周吴徐孙马朱胡林何高罗郑梁谢宋唐韦"
SYLLABLES = "平乐沙子长滩榕津新安源头大水钓鱼古定上塘沙田桥头青龙石门白马金山福禄同安广福"
# Hours until the unit acts, by level: (accept, conclude after accepting).
DELAYS = {"village_mailbox": (8, 8), "village_congress": (10, 60),
          "township_federation": (16, 110), "county_center": (12, 170)}
URGENCY_SPEED = {"normal": 1.0, "urgent": 0.5, "emergency": 0.06}
SETTLE_SHARE = {"village_congress": 0.78, "township_federation": 0.75, "county_center": 1.0}


_CUMULATIVE: dict[int, tuple[list[str], list[float]]] = {}


def pick(rng: random.Random, weights: dict[str, float]) -> str:
    found = _CUMULATIVE.get(id(weights))
    if found is None:
        total, cumulative = 0.0, []
        for weight in weights.values():
            total += weight
            cumulative.append(total)
        found = _CUMULATIVE[id(weights)] = (list(weights), cumulative)
    return rng.choices(found[0], cum_weights=found[1])[0]




_JSON: dict[tuple, str] = {}


def as_json(data: dict) -> str:
    """``data`` as stored; the few distinct dicts of the simulation are serialised once."""
    key = tuple(data.items())
    found = _JSON.get(key)
    if found is None:
        found = _JSON[key] = json.dumps(data)  # as SQLAlchemy's JSON type serialises
    return found


EMPTY = as_json({})


@dataclass(frozen=True)
class Shape:
    counties: int = 100
    townships: int = 15  # per county
    villages: int = 13  # per township

    def counties_codes(self) -> list[str]:
        # Guangxi-like codes: prefectures 4501.., counties ..21.. within them.
        return [f"45{1 + c // 10:02d}{21 + c % 10:02d}" for c in range(self.counties)]


@dataclass
class Params:
    events: int = 1_000_000
    month: str = "2026-09"  # the report month; the window is the 12 before it and the next
    month_cases: int = 1500
    now: datetime = datetime(2026, 10, 20, 10, 0, tzinfo=SHANGHAI)
    shape: Shape = Shape()
    seed: int = 12338
    stuck_share: float = 0.015
    # Mean extra notes a unit writes while it handles a case (home visits, calls): a
    # province's 10 events a case, against the bare chain's 5.
    notes: float = 0.0
    history_from: tuple[int, int] = HISTORY_FROM

    def key(self) -> str:
        s = self.shape
        return (f"v{GENERATOR_VERSION}-e{self.events}-m{self.month}-c{self.month_cases}"
                f"-s{s.counties}x{s.townships}x{s.villages}-r{self.seed}-n{self.notes}"
                f"-h{self.history_from[0]}")


# DESIGN.md's province: 100 counties, 1,500 townships, about 20,000 villages (13 a township:
# 19,500), 500,000 cases and 5 million events a year.
PROVINCE_YEAR_CASES, PROVINCE_YEAR_EVENTS = 500_000, 5_000_000


def province(years: float, counties: int = 100, now: datetime = Params.now) -> Params:
    """A province with ``years`` of history up to ``now`` (at least the report window);
    ``counties`` below 100 gives that part of it, with a county's caseload unchanged."""
    first = shift((now.year, now.month), -round(years * 12))
    part = counties / 100
    return Params(events=int(PROVINCE_YEAR_EVENTS * years * part),
                  month_cases=int(PROVINCE_YEAR_CASES * part) // 12,
                  shape=Shape(counties, 15, 13), notes=2.2, history_from=first)


class Users:
    """The unit's cadre at every level, a hotline operator and a county officer per county."""

    def __init__(self) -> None:
        self.rows: list[tuple] = []
        self.by_key: dict[tuple[str, str], tuple[int, str]] = {}

    def add(self, role: str, area: str, prefix: str) -> None:
        user_id = len(self.rows) + 1
        name = f"{prefix}{area}"
        self.rows.append((user_id, name, role, area))
        self.by_key[(role, area)] = (user_id, name)

    def unit(self, level: str, village: str) -> tuple[int, str]:
        kind = SHORT[level]
        if kind == "village":
            return self.by_key[("village_cadre", village)]
        if kind == "township":
            return self.by_key[("township_cadre", village[:9])]
        return self.by_key[("county_officer", village[:6])]

    def operator(self, village: str) -> tuple[int, str]:
        return self.by_key[("hotline_operator", village[:6])]

    def officer(self, village: str) -> tuple[int, str]:
        return self.by_key[("county_officer", village[:6])]


SYSTEM = (None, "system")


def months(first: tuple[int, int], last: tuple[int, int]) -> list[tuple[int, int]]:
    months, (y, m) = [], first
    while (y, m) <= last:
        months.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return months


def shift(month: tuple[int, int], by: int) -> tuple[int, int]:
    index = month[0] * 12 + month[1] - 1 + by
    return index // 12, index % 12 + 1


def month_start(month: tuple[int, int]) -> datetime:
    return datetime(month[0], month[1], 1, tzinfo=SHANGHAI)


@functools.cache
def day_weight(day: date) -> float:
    """How many petitions a day brings, against an ordinary working day.

    Fewer at weekends and far fewer on public holidays (the hotline still rings); more in the
    three weeks after the Spring Festival, when families have spent the holiday together and
    migrant workers are about to leave again.  Years the calendar package does not know get
    weekends only."""
    try:
        on_holiday, name = chinese_calendar.get_holiday_detail(day)
        festival_end = _festival_end(day.year)
    except NotImplementedError:
        return 0.4 if day.weekday() >= 5 else 1.0
    if on_holiday:
        return 0.3 if name else 0.4
    after = (day - festival_end).days if festival_end else -1
    return 1.5 if 0 < after <= 21 else 1.0


@functools.cache
def _festival_end(year: int) -> date | None:
    day, last = date(year, 1, 15), None
    while day < date(year, 3, 10):
        if chinese_calendar.get_holiday_detail(day)[1] == SPRING_FESTIVAL:
            last = day
        day += timedelta(days=1)
    return last


def season(month: tuple[int, int]) -> float:
    """The month's share of petitions against a month of ordinary working days."""
    days = _days(month_start(month), month_start(shift(month, 1)))
    ordinary = (5 + 2 * 0.4) / 7  # a week of working days and a weekend
    return sum(day_weight(d) for d in days) / (len(days) * ordinary)


def _days(start: datetime, end: datetime) -> list[date]:
    first, last = start.date(), (end - timedelta(microseconds=1)).date()
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def received_times(rng: random.Random, month: tuple[int, int], count: int,
                    now: datetime) -> list[datetime]:
    start = month_start(month)
    end = min(month_start(shift(month, 1)), now)
    days = _days(start, end)
    weights = [day_weight(d) for d in days]
    times = []
    while len(times) < count:
        day = rng.choices(days, weights)[0]
        moment = (datetime(day.year, day.month, day.day, tzinfo=SHANGHAI)
                  + timedelta(seconds=int(rng.triangular(7, 21, 10) * 3600)
                              + rng.randrange(3600)))
        if moment < end:
            times.append(moment.astimezone(UTC).replace(microsecond=0))
    return sorted(times)


def make_areas(shape: Shape) -> tuple[list[tuple], list[str]]:
    rows, villages = [], []
    rng = random.Random(4503)
    spelled: dict[str, tuple[str, str]] = {}

    def name(suffix: str) -> str:
        return "".join(rng.sample(SYLLABLES, 2)) + suffix

    def add(code: str, kind: str, suffix: str) -> None:
        label = name(suffix)
        if label not in spelled:
            spelled[label] = spell(label)
        parent = code[:-3] if len(code) > 6 else None
        rows.append((code, label, parent, kind, *spelled[label]))

    for county in shape.counties_codes():
        add(county, "county", "县")
        for t in range(shape.townships):
            town = f"{county}{100 + t:03d}"
            add(town, "township", "镇")
            for v in range(shape.villages):
                village = f"{town}{201 + v:03d}"
                add(village, "village", "村")
                villages.append(village)
    return rows, villages


def make_users(shape: Shape, villages: list[str]) -> Users:
    users = Users()
    for county in shape.counties_codes():
        users.add("hotline_operator", county, "h")
        users.add("county_officer", county, "c")
        users.add("leader", county, "l")
    for town in sorted({v[:9] for v in villages}):
        users.add("township_cadre", town, "t")
    for village in villages:
        users.add("village_cadre", village, "v")
    return users
