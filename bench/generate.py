"""A synthetic province's history of petitions, bulk-loaded straight into SQLite.

Going through the services would take hours for a million events, so this writes rows with
``executemany``; but every row is what the engine would have written:

- each case is simulated step by step through the workflow (intake, accept, note, wait/resume,
  extend, escalate, return, assign, resolve, refer, close, reopen), with the engine's own
  deadline rules (``casework.timing.level_deadline``, ``extend_deadline``, ``shift_deadline``) in
  Chinese working days, the scheduler's ``warn`` and ``overdue`` events where a deadline passes
  while the case's clock runs, and the mailbox's automatic escalation of overdue letters;
- every event carries its from/to level and status, actor, deadline, ``deadline_met`` on
  resolve/refer and the village code, and ``data`` as the engine fills it;
- the case row is the fold of its events through ``casework.projection.project``, the
  function the engine itself uses; ``verify`` replays a sample read back through the ORM.

Shapes follow the field report: of the cases handled by village congresses about 78% are settled
there, of those escalated about 75% at the township and the rest at the county; about a tenth are
referred to outside agencies, two thirds get a follow-up call with a satisfaction, a few are
consultations answered on the spot, mailbox letters, emergencies, returns, reopenings.

The history has two parts, so that reports of the same month can be compared at any history
size: a fixed *window* (the report month, the 12 months before it and the month in progress up
to ``now``), generated from its own seed with ``month_cases`` cases a month, and an older
*history* (from 2016 on) sized to reach the wanted number of events, all of whose cases were
concluded long before the window.  Some window cases are left open, a few of them stuck long
past their deadlines.
"""

from __future__ import annotations

import json
import random
import sqlite3
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bench.common import empty_schema, open_casework, say
from casework.areas import spell
from casework.crypto import DataKey
from casework.deadlines import SHANGHAI, Deadline, extend_deadline, shift_deadline
from casework.passwords import hash_password
from casework.petitioners import SEALED, PetitionerData, sealed_columns
from casework.projection import project
from casework.timing import level_deadline

GENERATOR_VERSION = 2  # 2: petitioners sealed (migration 0007)
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


def _pick(rng: random.Random, weights: dict[str, float]) -> str:
    found = _CUMULATIVE.get(id(weights))
    if found is None:
        total, cumulative = 0.0, []
        for weight in weights.values():
            total += weight
            cumulative.append(total)
        found = _CUMULATIVE[id(weights)] = (list(weights), cumulative)
    return rng.choices(found[0], cum_weights=found[1])[0]


def _stamp(moment: datetime | None) -> str | None:
    """How SQLAlchemy stores a UTC datetime in SQLite (casework.db.UTCDateTime)."""
    if moment is None:
        return None
    found = _STAMPS.get(moment)
    if found is None:
        found = moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
        if len(_STAMPS) < 200_000:
            _STAMPS[moment] = found
    return found


_STAMPS: dict[datetime, str] = {}


def _json(data: dict) -> str:
    return json.dumps(data)  # SQLAlchemy's JSON type serialises with json.dumps as well


EMPTY = _json({})


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

    def key(self) -> str:
        s = self.shape
        return (f"v{GENERATOR_VERSION}-e{self.events}-m{self.month}-c{self.month_cases}"
                f"-s{s.counties}x{s.townships}x{s.villages}-r{self.seed}")


class Ev:
    """One event as the engine builds it (the attributes ``project`` reads, and the rest)."""

    __slots__ = ("seq", "action", "from_level", "from_status", "to_level", "to_status",
                 "actor_id", "actor", "at", "note", "data", "due_at", "warn_at", "deadline_met")

    def __init__(self, seq, action, from_level, from_status, to_level, to_status, actor_id,
                 actor, at, note, data, due_at, warn_at, deadline_met):
        self.seq, self.action, self.from_level, self.from_status = (seq, action, from_level,
                                                                    from_status)
        self.to_level, self.to_status, self.actor_id, self.actor = (to_level, to_status,
                                                                    actor_id, actor)
        self.at, self.note, self.data = at, note, data
        self.due_at, self.warn_at, self.deadline_met = due_at, warn_at, deadline_met


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


class CaseSim:
    """One case's life through the workflow, stopped at ``now``."""

    def __init__(self, cw, users: Users, rng: random.Random, now: datetime):
        self.cw, self.users, self.rng, self.now = cw, users, rng, now
        self.workflow, self.calendar = cw.workflow, cw.calendar

    # -- the primitives ---------------------------------------------------------------------
    def emit(self, action: str, at: datetime, actor: tuple, to_level: str, to_status: str,
             deadline: Deadline | None = None, note: str = "", data: str = EMPTY,
             met: bool | None = None) -> None:
        state = self.state
        if deadline is None and state.get("due_at") is not None:
            deadline = Deadline(state["due_at"], state["warn_at"] or state["due_at"])
        event = Ev(seq=len(self.events) + 1, action=action, from_level=state.get("level"),
                   from_status=state.get("status"), to_level=to_level, to_status=to_status,
                   actor_id=actor[0], actor=actor[1], at=at, note=note, data=data,
                   due_at=deadline.due_at if deadline else None,
                   warn_at=deadline.warn_at if deadline else None, deadline_met=met)
        self.events.append(event)
        self.state = project(state, event)

    def deadline(self, level: str, at: datetime) -> Deadline:
        return level_deadline(self.workflow, self.calendar, level=level, urgency=self.urgency,
                              entered_at=at)

    def hours(self, mean: float) -> timedelta:
        return timedelta(seconds=int(self.rng.expovariate(1 / (mean * 3600 * self.speed))) + 60)

    def last(self) -> datetime:
        return self.events[-1].at

    def scan_until(self, limit: datetime) -> bool:
        """The scheduler's events up to ``limit``; False if the case moved away by itself."""
        state = self.state
        if state["status"] not in ("pending", "in_progress"):
            return True
        if not state["warning"] and state["warn_at"] is not None:
            at = max(state["warn_at"], self.last()) + SCAN_LAG
            if at <= limit and at <= self.now:
                self.emit("warn", at, SYSTEM, state["level"], state["status"])
        state = self.state
        if not state["overdue"] and state["due_at"] is not None:
            at = max(state["due_at"], self.last()) + SCAN_LAG
            if at <= limit and at <= self.now:
                self.emit("overdue", at, SYSTEM, state["level"], state["status"])
                level = self.workflow.level(state["level"])
                if level.auto_escalate_overdue and state["status"] == "pending":
                    self.move("escalate", at, SYSTEM, note="escalated automatically: "
                              "deadline passed")
                    return False
        return True

    def act(self, at: datetime) -> bool:
        """Whether the unit's next action, due at ``at``, happens (before now, case unmoved)."""
        if self.stuck_at == self.state["level"]:
            self.scan_until(self.now)
            return False
        moved_on = not self.scan_until(at)
        if moved_on:
            return False
        return at <= self.now

    def move(self, action: str, at: datetime, actor: tuple, *, note: str = "",
             data: str = EMPTY, target: str | None = None) -> None:
        state = self.state
        to_level, to_status = self.workflow.next_state(state["level"], state["status"], action,
                                                       target_level=target)
        self.emit(action, at, actor, to_level, to_status, self.deadline(to_level, at),
                  note=note, data=data)

    def same(self, action: str, at: datetime, actor: tuple, to_status: str | None = None, *,
             deadline: Deadline | None = None, note: str = "", data: str = EMPTY,
             met: bool | None = None) -> None:
        state = self.state
        self.emit(action, at, actor, state["level"], to_status or state["status"], deadline,
                  note=note, data=data, met=met)

    # -- a life --------------------------------------------------------------------------------
    def run(self, received: datetime, village: str, stuck: bool) -> tuple[dict, list[Ev]]:
        rng = self.rng
        self.events: list[Ev] = []
        self.state = {"warning": False, "overdue": False, "extended": False,
                      "waiting_since": None, "concluded_at": None}
        channel = _pick(rng, CHANNELS)
        urgency = rng.choices(("normal", "urgent", "emergency"), weights=(85, 12, 3))[0]
        if channel == "mailbox" and urgency == "emergency":
            urgency = "urgent"
        category = _pick(rng, CATEGORIES)
        self.urgency, self.speed = urgency, URGENCY_SPEED[urgency]
        self.village = village
        self.waited = self.returned = False
        operator = self.users.operator(village)
        on_the_spot = (channel != "mailbox" and urgency != "emergency" and rng.random() < 0.10)
        if channel == "mailbox":
            start = "village_mailbox"
            intake_actor = self.users.unit(start, village)
        elif urgency == "emergency":
            start = "county_center"
            intake_actor = operator
        elif on_the_spot:
            start = self.workflow.resolve_now_level
            category = "consultation"
            intake_actor = operator
        else:
            start = rng.choices(("village_congress", "township_federation", "county_center"),
                                weights=(85, 10, 5))[0]
            intake_actor = operator
        self.stuck_at = None
        if stuck:
            self.stuck_at = rng.choice(("village_congress", "village_congress",
                                        "township_federation", "county_center"))
        deadline = self.deadline(start, received)
        self.emit("intake", received, intake_actor, start,
                  "in_progress" if on_the_spot else "pending", deadline,
                  data=_json({"channel": channel}))
        if on_the_spot:
            self.same("resolve", received, operator, "resolved", note="电话中解答了相关法律问题",
                      data=_json({"outcome": "advised", "on_the_spot": True}), met=True)
            self.after_conclusion()
        else:
            self.handle()
        return {"channel": channel, "category": category, "urgency": urgency}, self.events

    def handle(self) -> None:
        """Work the case at its level until it is concluded, moves on, or time runs out."""
        rng = self.rng
        while True:
            state = self.state
            level, status = state["level"], state["status"]
            unit = self.users.unit(level, self.village)
            accept_mean, conclude_mean = DELAYS[level]
            if level == "village_mailbox":
                at = self.last() + self.hours(accept_mean)
                if not self.act(at):
                    if self.state["level"] != level:
                        continue  # escalated by the scheduler
                    return
                self.move("escalate", at, unit, note="信箱来信已转村妇代会")
                continue
            if status == "pending":
                came_by = self.events[-1].action
                at = self.last() + self.hours(accept_mean)
                if not self.act(at):
                    return
                if level == "county_center" and self.urgency != "emergency" and (
                        came_by == "intake") and rng.random() < 0.6:
                    target = rng.choice(("village_congress", "township_federation"))
                    self.move("assign", at, self.users.officer(self.village),
                              data=_json({"target_level": target}), target=target)
                    continue
                if came_by == "escalate" and level != "village_congress" and rng.random() < 0.03:
                    self.move("return", at, unit,
                              data=_json({"reason": "请先由下级组织调解"}))
                    self.returned = True
                    continue
                if level != "county_center" and rng.random() < 0.02:
                    self.move("escalate", at, unit, note="情况紧急，直接上报")
                    continue
                self.same("accept", at, unit, "in_progress")
                continue
            if status == "waiting":
                at = self.last() + timedelta(days=rng.uniform(2, 15))
                if at > self.now:
                    return
                waited = at - state["waiting_since"]
                current = Deadline(state["due_at"], state["warn_at"])
                self.same("resume", at, unit, "in_progress",
                          deadline=shift_deadline(current, waited))
                continue
            if status != "in_progress":
                return
            # In progress: maybe a note, a wait or an extension first, then the decision.
            extra = rng.random()
            if extra < 0.25:
                at = self.last() + self.hours(conclude_mean / 3)
                if not self.act(at):
                    return
                self.same("note", at, unit, note=rng.choice(NOTES))
            elif extra < 0.29 and not self.waited:
                at = self.last() + self.hours(conclude_mean / 3)
                if not self.act(at):
                    return
                self.waited = True
                self.same("wait", at, unit, "waiting", data=_json({"reason": "当事人外出务工"}))
                continue
            elif extra < 0.33 and not state["extended"]:
                at = self.last() + self.hours(conclude_mean / 2)
                if not self.act(at):
                    return
                days = rng.choice((3, 5, 10))
                current = Deadline(state["due_at"], state["warn_at"])
                self.same("extend", at, unit, deadline=extend_deadline(
                    self.calendar, current, working_days=days),
                    data=_json({"reason": "需要进一步核实情况", "days": days}))
            at = self.last() + self.hours(conclude_mean)
            if not self.act(at):
                return
            if self.returned or rng.random() < SETTLE_SHARE[level]:
                met = at <= self.state["due_at"]
                if rng.random() < 0.10:
                    self.same("refer", at, unit, "referred", note="已转介相关部门",
                              data=_json({"agency": _pick(rng, AGENCIES)}), met=met)
                else:
                    self.same("resolve", at, unit, "resolved", note="双方达成一致",
                              data=_json({"outcome": _pick(rng, OUTCOMES)}), met=met)
                self.after_conclusion()
                return
            self.move("escalate", at, unit, note="调解未果，上报上级妇联")

    def after_conclusion(self) -> None:
        rng = self.rng
        if rng.random() < 0.65:
            at = self.last() + timedelta(days=rng.uniform(2, 20))
            if at > self.now:
                return
            self.same("close", at, self.users.operator(self.village), "closed",
                      data=_json({"satisfaction": _pick(rng, SATISFACTION)}))
        if rng.random() < 0.01 and not any(e.action == "reopen" for e in self.events):
            at = self.last() + timedelta(days=rng.uniform(5, 30))
            if at > self.now:
                return
            state = self.state
            self.emit("reopen", at, self.users.officer(self.village), state["level"],
                      "in_progress", self.deadline(state["level"], at),
                      data=_json({"reason": "当事人反映问题未解决"}))
            self.handle()


# -- the database -------------------------------------------------------------------------------

PETITIONER_COLUMNS = ("id", "key_id", *(f"{name}_sealed" for name in SEALED), "phone_hash",
                      "gender", "age_group")
CASE_COLUMNS = ("id", "number", "county_code", "year", "seq", "channel", "category", "urgency",
                "summary", "petitioner_id", "village_code", "level", "status", "received_at",
                "entered_level_at", "due_at", "warn_at", "warning", "overdue", "extended",
                "waiting_since", "concluded_at", "last_event_seq", "last_event_at", "version")
EVENT_COLUMNS = ("case_id", "seq", "action", "from_level", "from_status", "to_level",
                 "to_status", "actor_id", "actor", "at", "note", "data", "due_at", "warn_at",
                 "deadline_met", "village_code")


def _insert(table: str, columns: tuple[str, ...]) -> str:
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"


class Loader:
    def __init__(self, connection: sqlite3.Connection, rng: random.Random, total: int,
                 key: DataKey):
        self.db, self.rng, self.total, self.key = connection, rng, total, key
        self.case_id = 0
        self.sequences: dict[tuple[str, int], int] = {}
        self.events = 0
        self.started = time.perf_counter()
        self.shown = 0.0
        self.recent_phones: list[int] = []

    def progress(self, final: bool = False) -> None:
        elapsed = time.perf_counter() - self.started
        if final or elapsed - self.shown >= 2:
            self.shown = elapsed
            share = f" ({self.events / self.total:.0%})" if self.total else ""
            say(f"generate: {self.events:,} events, {self.case_id:,} cases{share}, "
                f"{elapsed:.0f} s")

    def store(self, block: list[tuple[datetime, str, dict, list[Ev]]]) -> None:
        """Write one block of simulated cases (sorted by received time), events in time order."""
        rng = self.rng
        cases, petitioners, events = [], [], []
        for received, village, fields, evs in block:
            self.case_id += 1
            case_id = self.case_id
            county = village[:6]
            year = received.astimezone(SHANGHAI).year
            seq = self.sequences.get((county, year), 0) + 1
            self.sequences[(county, year)] = seq
            if self.recent_phones and rng.random() < 0.05:
                phone = rng.choice(self.recent_phones)  # a caller who called before
            else:
                phone = 13000000000 + rng.randrange(10**9)
                self.recent_phones.append(phone)
                if len(self.recent_phones) > 5000:
                    self.recent_phones.pop(0)
            sealed = sealed_columns(self.key, PetitionerData(name=rng.choice(SURNAMES) + "某",
                                                             phone=str(phone)))
            petitioners.append((case_id, sealed["key_id"], *(sealed[f"{n}_sealed"] for n in SEALED),
                                sealed["phone_hash"],
                                "female" if rng.random() < 0.95 else "male",
                                rng.choice(("18_34", "35_59", "60_plus"))))
            state = {"warning": False, "overdue": False, "extended": False,
                     "waiting_since": None, "concluded_at": None}
            for event in evs:
                state = project(state, event)
                events.append((event.at, (
                    case_id, event.seq, event.action, event.from_level, event.from_status,
                    event.to_level, event.to_status, event.actor_id, event.actor,
                    _stamp(event.at), event.note, event.data, _stamp(event.due_at),
                    _stamp(event.warn_at),
                    None if event.deadline_met is None else int(event.deadline_met), village)))
            cases.append((
                case_id, f"{county}-{year}-{seq:06d}", county, year, seq, fields["channel"],
                fields["category"], fields["urgency"], rng.choice(SUMMARIES), case_id, village,
                state["level"], state["status"], _stamp(received),
                _stamp(state["entered_level_at"]), _stamp(state["due_at"]),
                _stamp(state["warn_at"]), int(state["warning"]), int(state["overdue"]),
                int(state["extended"]), _stamp(state["waiting_since"]),
                _stamp(state["concluded_at"]), state["last_event_seq"],
                _stamp(state["last_event_at"]), state["version"]))
        events.sort(key=lambda pair: pair[0])
        db = self.db
        db.executemany(_insert("petitioners", PETITIONER_COLUMNS), petitioners)
        db.executemany(_insert("cases", CASE_COLUMNS), cases)
        db.executemany(_insert("events", EVENT_COLUMNS), [row for _, row in events])
        self.events += len(events)
        self.progress()


def _months(first: tuple[int, int], last: tuple[int, int]) -> list[tuple[int, int]]:
    months, (y, m) = [], first
    while (y, m) <= last:
        months.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return months


def _shift(month: tuple[int, int], by: int) -> tuple[int, int]:
    index = month[0] * 12 + month[1] - 1 + by
    return index // 12, index % 12 + 1


def _month_start(month: tuple[int, int]) -> datetime:
    return datetime(month[0], month[1], 1, tzinfo=SHANGHAI)


def _received_times(rng: random.Random, month: tuple[int, int], count: int,
                    now: datetime) -> list[datetime]:
    start = _month_start(month)
    end = min(_month_start(_shift(month, 1)), now)
    days = (end - start).days + (1 if (end - start).seconds else 0)
    times = []
    while len(times) < count:
        day = start + timedelta(days=rng.randrange(max(days, 1)))
        if day.weekday() >= 5 and rng.random() < 0.6:
            continue  # fewer petitions at weekends
        moment = day + timedelta(seconds=int(rng.triangular(7, 21, 10) * 3600)
                                 + rng.randrange(3600))
        if moment < end:
            times.append(moment.astimezone(UTC).replace(microsecond=0))
    return sorted(times)


def _areas(shape: Shape) -> tuple[list[tuple], list[str]]:
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


def _users(shape: Shape, villages: list[str]) -> Users:
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


def generate(path: Path, params: Params, *, verify_sample: int = 300) -> dict:
    """Write a database at ``path`` holding about ``params.events`` events.  Returns facts."""
    started = time.perf_counter()
    empty_schema(path)
    cw = open_casework(path)
    cw.engine.dispose()
    areas, villages = _areas(params.shape)
    users = _users(params.shape, villages)
    now = params.now.astimezone(UTC)
    report_month = tuple(int(x) for x in params.month.split("-"))
    window = _months(_shift(report_month, -12), _shift(report_month, 1))
    history = _months(HISTORY_FROM, _shift(window[0], -1))

    # The window first, from its own seed: the same at every history size.
    say(f"generate: simulating the window {window[0][0]}-{window[0][1]:02d} .. "
        f"{window[-1][0]}-{window[-1][1]:02d} ({params.month_cases} cases a month)")
    window_rng = random.Random(f"{params.seed}-window-{params.month_cases}")
    sim = CaseSim(cw, users, window_rng, now)
    window_blocks, window_events, complete = [], 0, []
    for month in window:
        count = params.month_cases
        if month == window[-1]:
            elapsed = (params.now - _month_start(month)).days
            count = params.month_cases * max(elapsed, 1) // 30
        block = []
        for received in _received_times(window_rng, month, count, now):
            village = window_rng.choice(villages)
            fields, evs = sim.run(received, village,
                                  stuck=window_rng.random() < params.stuck_share)
            block.append((received, village, fields, evs))
            window_events += len(evs)
            if month <= _shift(report_month, -3):
                complete.append(len(evs))
        window_blocks.append(block)
    per_case = sum(complete) / max(len(complete), 1)
    history_cases = max(0, int((params.events - window_events) / per_case))
    if history_cases == 0:
        say(f"generate: the window alone has {window_events:,} events; no older history")
    weights = [0.5 + 0.5 * i / max(len(history) - 1, 1) for i in range(len(history))]
    scale = history_cases / sum(weights) if weights else 0

    connection = sqlite3.connect(path, isolation_level=None)
    db = connection
    for pragma in ("journal_mode=OFF", "synchronous=OFF", "foreign_keys=OFF",
                   "cache_size=-400000", "temp_store=MEMORY"):
        db.execute(f"PRAGMA {pragma}")
    indexes = db.execute("SELECT name, sql FROM sqlite_master WHERE type='index' AND sql IS NOT "
                         "NULL AND tbl_name IN ('cases', 'events', 'petitioners')").fetchall()
    db.execute("BEGIN")
    for name, _sql in indexes:
        db.execute(f'DROP INDEX "{name}"')
    db.executemany("INSERT INTO areas (code, name, parent_code, kind, pinyin, initials) "
                   "VALUES (?, ?, ?, ?, ?, ?)", areas)
    hashed = hash_password("bench-password")
    created = _stamp(datetime(2015, 12, 1, tzinfo=UTC))
    db.executemany("INSERT INTO users (id, username, password_hash, role, area_code, email, "
                   "active, session_token, created_at) VALUES (?, ?, ?, ?, ?, NULL, 1, ?, ?)",
                   [(uid, name, hashed, role, area, f"{uid:032x}", created)
                    for uid, name, role, area in users.rows])
    loader = Loader(db, random.Random(f"{params.seed}-rows"), params.events, cw.keyring.current)
    history_rng = random.Random(f"{params.seed}-history")
    history_sim = CaseSim(cw, users, history_rng, now)
    for month, weight in zip(history, weights, strict=True):
        count = int(weight * scale + history_rng.random())
        block = []
        for received in _received_times(history_rng, month, count, now):
            village = history_rng.choice(villages)
            fields, evs = history_sim.run(received, village, stuck=False)
            block.append((received, village, fields, evs))
        loader.store(block)
    for block in window_blocks:
        loader.store(block)
    db.executemany("INSERT INTO case_number_sequences (county_code, year, last) VALUES (?, ?, ?)",
                   [(county, year, last) for (county, year), last in loader.sequences.items()])
    db.execute("COMMIT")
    say("generate: building indexes ...")
    for _name, sql in indexes:
        db.execute(sql)
    db.execute("PRAGMA journal_mode=WAL")
    connection.close()
    loader.progress(final=True)
    facts = {"events": loader.events, "cases": loader.case_id, "villages": len(villages),
             "users": len(users.rows), "window_events": window_events,
             "seconds": time.perf_counter() - started}
    if verify_sample:
        verify(path, verify_sample)
    say(f"generate: {path.name}: {facts['events']:,} events, {facts['cases']:,} cases in "
        f"{facts['seconds']:.0f} s")
    return facts


def verify(path: Path, sample: int = 300, seed: int = 1) -> None:
    """The engine's view of a sample of generated cases must be the replay of their events,
    and the engine must accept an action on an open one (rolled back)."""
    from sqlalchemy import func, select
    from sqlmodel import Session

    from casework.access import Actor
    from casework.actions import apply_action
    from casework.models import Case, Event, User
    from casework.projection import projected_columns, replay

    cw = open_casework(path)
    rng = random.Random(seed)
    with Session(cw.engine) as session:
        top = session.execute(select(func.max(Case.id))).scalar_one()
        for case_id in rng.sample(range(1, top + 1), min(sample, top)):
            case = session.get(Case, case_id)
            events = session.execute(select(Event).where(Event.case_id == case_id)
                                     .order_by(Event.seq)).scalars().all()
            expected = replay(events)
            actual = projected_columns(case)
            if expected != actual:
                diff = {k: (actual[k], expected[k]) for k in actual if actual[k] != expected[k]}
                raise AssertionError(f"case {case.number}: row differs from its events: {diff}")
            previous = None
            for event in events:
                if previous and (event.from_level, event.from_status) != (
                        previous.to_level, previous.to_status):
                    raise AssertionError(f"case {case.number}: event {event.seq} starts from "
                                         "another state than the last one ended in")
                if previous and event.at < previous.at:
                    raise AssertionError(f"case {case.number}: events out of time order")
                previous = event
        open_case = session.execute(select(Case).where(Case.status == "in_progress")
                                    .limit(1)).scalar_one_or_none()
        if open_case is not None:
            user = session.execute(select(User).where(User.role == "county_officer",
                                   User.area_code == open_case.county_code)).scalar_one()
            actor = Actor(id=user.id, username=user.username, role=user.role,
                          area_code=user.area_code)
            apply_action(cw, session, actor, open_case, "note", {"note": "check"},
                         now=max(open_case.last_event_at, datetime.now(UTC)))
            session.rollback()
    cw.engine.dispose()
    say(f"generate: verified {sample} cases against the replay of their events")


def shares(path: Path) -> dict:
    """The field report's shapes, measured on the generated data."""
    db = sqlite3.connect(path)
    try:
        def count(sql: str) -> int:
            return db.execute(sql).fetchone()[0]
        concluded_at = {row[0]: row[1] for row in db.execute(
            "SELECT to_level, count(*) FROM events WHERE action IN ('resolve', 'refer') "
            "GROUP BY to_level")}
        escalated_from = {row[0]: row[1] for row in db.execute(
            "SELECT from_level, count(*) FROM events WHERE action = 'escalate' "
            "GROUP BY from_level")}
        result = {}
        for level in ("village_congress", "township_federation"):
            settled, up = concluded_at.get(level, 0), escalated_from.get(level, 0)
            result[f"settled_at_{level}"] = settled / max(settled + up, 1)
        result["referred"] = count("SELECT count(*) FROM events WHERE action = 'refer'") / max(
            sum(concluded_at.values()), 1)
        result["open_cases"] = count("SELECT count(*) FROM cases WHERE status IN "
                                     "('pending', 'in_progress', 'waiting')")
        result["overdue_open"] = count("SELECT count(*) FROM cases WHERE overdue = 1 AND status "
                                       "IN ('pending', 'in_progress', 'waiting')")
        result["first_received"] = db.execute("SELECT min(received_at) FROM cases").fetchone()[0]
        return result
    finally:
        db.close()


def _today() -> date:
    return datetime.now(SHANGHAI).date()
