"""Checks of a generated database: valid for the engine, shaped like the field report."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from sqlalchemy import case, func, select
from sqlmodel import Session

from bench.common import WORKFLOW, data_key, say
from casework.bootstrap import Casework, bootstrap
from casework.config import Settings
from casework.lifecycle.actions import apply_action
from casework.lifecycle.audit import verify as verify_chain
from casework.lifecycle.projection import projected_columns, replay
from casework.people.access import Actor
from casework.storage.models import Case, CaseNumberSequence, Event, User

OPEN = ("pending", "in_progress", "waiting")


def _open(url: str) -> Casework:
    return bootstrap(Settings(database_url=url, workflow_path=WORKFLOW, data_key=data_key()))


def verify(url: str, sample: int = 300, seed: int = 1) -> None:
    """A sample of cases must be the replay of their events, in time order, each event
    starting where the last one ended, their hash chains intact; case numbers gapless per
    county and year and matching the sequences; and the engine must accept an action on an
    open case (rolled back)."""
    cw = _open(url)
    rng = random.Random(seed)
    with Session(cw.engine) as session:
        top = session.execute(select(func.max(Case.id))).scalar_one()
        for case_id in rng.sample(range(1, top + 1), min(sample, top)):
            row = session.get(Case, case_id)
            events = session.execute(select(Event).where(Event.case_id == case_id)
                                     .order_by(Event.seq)).scalars().all()
            replayed, actual = replay(events), projected_columns(row)
            expected = {name: replayed[name] for name in actual}
            if expected != actual:
                diff = {k: (actual[k], expected[k]) for k in actual if actual[k] != expected[k]}
                raise AssertionError(f"case {row.number}: row differs from its events: {diff}")
            for before, after in zip(events, events[1:], strict=False):
                if (after.from_level, after.from_status) != (before.to_level, before.to_status):
                    raise AssertionError(f"case {row.number}: event {after.seq} starts from "
                                         "another state than the last one ended in")
                if after.at < before.at:
                    raise AssertionError(f"case {row.number}: events out of time order")
            problems = []
            verify_chain(cw.engine, number=row.number, report=problems.append)
            if problems:
                raise AssertionError(f"hash chain: {problems[0]}")
        numbers = session.execute(
            select(Case.county_code, Case.year, func.count(), func.min(Case.seq),
                   func.max(Case.seq), func.count(func.distinct(Case.number)),
                   func.max(CaseNumberSequence.last))
            .join(CaseNumberSequence, (CaseNumberSequence.county_code == Case.county_code)
                  & (CaseNumberSequence.year == Case.year), isouter=True)
            .group_by(Case.county_code, Case.year)).all()
        for county, year, count, first, last, distinct, sequence in numbers:
            if (first, last, distinct, sequence) != (1, count, count, count):
                raise AssertionError(f"case numbers of {county} in {year} are not gapless: "
                                     f"{count} cases, seq {first}..{last}, sequence {sequence}")
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
    say(f"generate: {cw.engine.dialect.name}: verified {sample} cases against the replay of "
        f"their events and their hash chains; case numbers gapless in {len(numbers)} county-years")


def shares(url: str) -> dict:
    """The field report's shapes, measured on the generated data."""
    cw = _open(url)
    try:
        with Session(cw.engine) as session:
            concluded_at = dict(session.execute(
                select(Event.to_level, func.count()).where(Event.action.in_(("resolve", "refer")))
                .group_by(Event.to_level)).all())
            escalated_from = dict(session.execute(
                select(Event.from_level, func.count()).where(Event.action == "escalate")
                .group_by(Event.from_level)).all())
            result = {}
            for level in ("village_congress", "township_federation"):
                settled, up = concluded_at.get(level, 0), escalated_from.get(level, 0)
                result[f"settled_at_{level}"] = settled / max(settled + up, 1)
            refer = session.execute(select(func.count()).where(Event.action == "refer")
                                    ).scalar_one()
            result["referred"] = refer / max(sum(concluded_at.values()), 1)
            opened, overdue = session.execute(
                select(func.count(), func.sum(case((Case.overdue, 1), else_=0)))
                .where(Case.status.in_(OPEN))).one()
            result["open_cases"], result["overdue_open"] = opened, overdue or 0
            first = session.execute(select(func.min(Case.received_at))).scalar_one()
            result["first_received"] = first.isoformat(" ") if first else None
            result["categories"] = dict(session.execute(
                select(Case.category, func.count()).group_by(Case.category)).all())
            return result
    finally:
        cw.engine.dispose()
