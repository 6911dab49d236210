"""A demo county: areas, a user for every role, and a few hundred cases in every status.

Everything goes through the real services (intake, actions, scan), with the clock set back, so
the demo shows exactly what months of daily work would leave behind.
"""

from __future__ import annotations

import random
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from casework.bootstrap import Casework
from casework.errors import CaseworkError
from casework.imports.areas import add_area
from casework.lifecycle.actions import perform
from casework.lifecycle.intake import receive
from casework.people.access import Actor, allowed_actions
from casework.people.users import actor_of, add_user
from casework.scheduling.deadlines import SHANGHAI
from casework.scheduling.scan import scan
from casework.storage.db import reading, utcnow, writing
from casework.storage.models import Case, ProtectionMeasure, User
from casework.vocabulary import CATEGORIES

COUNTY = ("450330", "平乐县")
TOWNSHIPS = {
    "450330100": ("平乐镇", ["大李村", "沙子村", "长滩村", "榕津村"]),
    "450330101": ("二塘镇", ["新安村", "源头村", "大水村", "钓鱼村"]),
    "450330102": ("沙子镇", ["古定村", "上塘村", "沙田村"]),
}
DEMO_PASSWORD = "casework-demo"
SURNAMES = "李王张刘陈杨黄赵周吴徐孙马朱胡林"
# Roughly the field report's mix: family conflicts dominate what reaches the federation.
CATEGORY_WEIGHTS = {"domestic_violence": 5, "marriage_family": 8, "property": 3, "employment": 2,
                    "child": 2, "personal_rights": 1, "neighbor_dispute": 3, "consultation": 2,
                    "other": 1}


@dataclass
class DemoLogin:
    username: str
    role: str
    area: str


def build_demo(cw: Casework, *, cases: int = 300, seed: int = 12338,
               now: datetime | None = None) -> list[DemoLogin]:
    """Fill an empty database with the demo county; returns the logins it made."""
    now = now or utcnow()
    with reading(cw.engine) as session:
        if session.execute(select(func.count()).select_from(User)).scalar_one():
            raise ValueError("the database already has users; the demo needs an empty one")
    villages = _areas(cw)
    first_town = next(iter(TOWNSHIPS))
    logins = [DemoLogin("hotline", "hotline_operator", COUNTY[0]),
              DemoLogin("county", "county_officer", COUNTY[0]),
              DemoLogin("township", "township_cadre", first_town),
              DemoLogin("village", "village_cadre", f"{first_town}201"),
              DemoLogin("admin", "admin", COUNTY[0]),
              DemoLogin("leader", "leader", COUNTY[0])]
    logins += [DemoLogin(f"township{i}", "township_cadre", code)
               for i, code in enumerate(TOWNSHIPS) if i]
    logins += [DemoLogin(f"village{i}", "village_cadre", code)
               for i, code in enumerate(villages) if i]
    actors = [actor_of(add_user(cw, username=login.username, role=login.role,
                                area_code=login.area, password=DEMO_PASSWORD))
              for login in logins]
    _cases(cw, actors, villages, cases, random.Random(seed), now)
    return logins


def _areas(cw: Casework) -> list[str]:
    villages = []
    with writing(cw.engine) as session:
        add_area(session, *COUNTY)
        for town_code, (town_name, names) in TOWNSHIPS.items():
            add_area(session, town_code, town_name)
            for index, name in enumerate(names, start=1):
                code = f"{town_code}{200 + index:03d}"
                add_area(session, code, name)
                villages.append(code)
    return villages


def _cases(cw, actors: list[Actor], villages, count, rng: random.Random, now) -> None:
    """One timeline for all cases, scanned daily, so every case's events stay in time order."""
    start = now - timedelta(days=150)
    steps: list[tuple[datetime, int, str | None]] = []
    for index in range(count):
        when = start + timedelta(minutes=rng.randrange(150 * 24 * 60))
        steps.append((when, index, None))
        for _ in range(rng.randrange(1, 10)):
            when += timedelta(hours=rng.randrange(2, 24 * 6))
            steps.append((when, index, "act"))
    steps = sorted(step for step in steps if step[0] < now)
    numbers: dict[int, str] = {}
    next_scan = start + timedelta(days=1)
    for when, index, kind in steps:
        while next_scan <= when:
            scan(cw, next_scan)
            next_scan += timedelta(days=1)
        if kind is None:
            numbers[index] = receive(cw, actors[0], _petition(rng, villages), now=when).number
        elif index in numbers:
            _act(cw, actors, numbers[index], when, rng)
    scan(cw, now)


def _petition(rng: random.Random, villages: list[str]) -> dict:
    category = rng.choices(list(CATEGORY_WEIGHTS), weights=CATEGORY_WEIGHTS.values())[0]
    assert category in CATEGORIES
    urgency = rng.choices(["normal", "urgent", "emergency"], weights=[85, 12, 3])[0]
    channel = rng.choices(["hotline_12338", "mailbox", "visit", "letter"], weights=[5, 3, 2, 1])[0]
    body = {
        "channel": channel,
        "village_code": rng.choice(villages), "category": category, "urgency": urgency,
        "summary": rng.choice(["反映丈夫长期酗酒打骂", "离婚后子女抚养费未按时支付",
                               "承包地征收补偿款被娘家兄弟占用", "怀孕后被单位辞退",
                               "邻里宅基地纠纷引发争吵", "咨询家庭暴力告诫书如何申请",
                               "留守儿童监护问题", "婚后房产加名纠纷"]),
        "petitioner": {"name": rng.choice(SURNAMES) + "某",
                       "phone": f"1{rng.choice('3589')}{rng.randrange(10**9):09d}",
                       "gender": "female", "age_group": rng.choice(["18_34", "35_59", "60_plus"])},
    }
    if channel != "mailbox" and urgency != "emergency" and rng.random() < 0.12:
        body["category"] = "consultation"
        body["resolve_now"] = {"outcome": "advised", "note": "电话中解答了相关法律问题"}
    return body


FIELDS = {"note": "已与当事人电话沟通", "reason": "需要进一步核实情况", "outcome": "mediated",
          "agency": "legal_aid", "satisfaction": "satisfied", "days": 3}
# How likely each offered action is taken at each step; the rest of the time the case stays.
PREFERENCE = {"accept": 6, "resolve": 4, "escalate": 2, "refer": 1, "close": 3, "wait": 1,
              "resume": 3, "extend": 1, "note": 1, "assign": 2, "return": 0.3, "reopen": 0.1,
              "assess": 2, "measure": 2}
# A measure's next stage in the demo, after its current one (the first stages start one).
NEXT_STAGE = {"applied": ("granted", "granted", "rejected"), "granted": ("extended",),
              "placed": ("left",)}
FIRST_STAGES = (("protection_order", "applied", "court", "平乐县人民法院"),
                ("warning_letter", "issued", "authority", "平乐县公安局平乐派出所"),
                ("shelter", "placed", "place", "县救助管理站"),
                ("mandatory_report", "reported", "authority", "大李村村民委员会"))


def _act(cw, actors, number, when, rng: random.Random) -> None:
    """One action of the kind its users would take, chosen among what they are offered."""
    with reading(cw.engine) as session:
        case = session.execute(select(Case).where(Case.number == number)).scalar_one()
    # Danger assessments and protective measures belong to domestic-violence cases.
    offered = [(actor, action) for actor in actors
               for action in allowed_actions(cw.workflow, actor, case)
               if case.category == "domestic_violence" or action not in ("assess", "measure")]
    if not offered:
        return
    actor, action = rng.choices(offered, weights=[PREFERENCE.get(a, 1) for _, a in offered])[0]
    body = {"action": action, "version": case.version, **FIELDS,
            "target_level": rng.choice(["village_congress", "township_federation"]),
            "satisfaction": rng.choices(["satisfied", "basically_satisfied", "unsatisfied"],
                                        weights=[7, 2, 1])[0]}
    if action == "assess":
        body["answers"] = {q.id: rng.random() < 0.1 for q in cw.workflow.risk.questions}
    elif action == "measure":
        body.update(_measure(cw, case, when, rng))
    # A refusal (say, an extension already used) just means the cadre does something else.
    with suppress(CaseworkError):
        perform(cw, actor, number, body, now=when)


def _measure(cw, case: Case, when: datetime, rng: random.Random) -> dict:
    """The next stage of one of the case's measures, or a new measure."""
    with reading(cw.engine) as session:
        measures = session.execute(select(ProtectionMeasure).where(
            ProtectionMeasure.case_id == case.id)).scalars().all()
    on = when.astimezone(SHANGHAI).date()
    movable = [m for m in measures if m.stage in NEXT_STAGE]
    if movable and rng.random() < 0.7:
        measure = rng.choice(movable)
        stage = rng.choice(NEXT_STAGE[measure.stage])
        body = {"measure": measure.measure, "stage": stage, "measure_id": measure.measure_id}
        if stage == "granted":
            return {**body, "on": on.isoformat(),
                    "valid_until": (on + timedelta(days=rng.choice((30, 90, 180)))).isoformat()}
        if stage == "extended":
            return {**body, "valid_until": (measure.ends_at.astimezone(SHANGHAI).date()
                                            + timedelta(days=60)).isoformat()}
        return {**body, "on": on.isoformat()}
    kind, stage, field, value = rng.choice(FIRST_STAGES)
    return {"measure": kind, "stage": stage, "on": on.isoformat(), field: value}
