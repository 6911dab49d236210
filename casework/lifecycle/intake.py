"""Intake: a petition becomes a numbered case at its first level (DESIGN.md, "Levels")."""

from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace

from sqlalchemy import bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from casework.bootstrap import Casework
from casework.errors import Forbidden, Invalid
from casework.lifecycle.events import append, current_deadline, insert_first, new_event
from casework.lifecycle.risk import assessed_deadline, assessment
from casework.lifecycle.schemas import CaseCreate, parse
from casework.notify import notify_event
from casework.people.access import SYSTEM, Actor, may_act, require_case_reader
from casework.privacy.narratives import SUMMARY, seal_text
from casework.privacy.petitioners import PetitionerData, new_petitioner
from casework.reporting.closed_months import refuse_if_closed
from casework.scheduling.deadlines import SHANGHAI, Deadline
from casework.scheduling.timing import level_deadline
from casework.storage.db import utcnow, writing
from casework.storage.models import Area, Case, CaseNumberSequence
from casework.workflow import UNIT_CODE_LENGTH, Workflow

# How far back a petition may be dated when it is logged late (a letter read after a holiday).
MAX_BACKDATE = timedelta(days=365)
CLOCK_SKEW = timedelta(minutes=5)


def receive(cw: Casework, actor: Actor, body: object, *, now: datetime | None = None) -> Case:
    """Validate ``body`` (the API's intake JSON), check the actor may log it, store the case."""
    data = parse(CaseCreate, body)
    now = now or utcnow()
    with writing(cw.engine) as session:
        return receive_validated(cw, session, actor, data, now=now)


def receive_validated(
    cw: Casework, session: Session, actor: Actor, data: CaseCreate, *, now: datetime,
    check_received_at: bool = True,
) -> Case:
    workflow = cw.workflow
    if actor.role != SYSTEM:
        require_case_reader(workflow, actor)
        if actor.role not in workflow.intake_roles:
            raise Forbidden("this role may not log new petitions")
    village = session.get(Area, data.village_code)
    if village is None or village.kind != "village":
        raise Invalid({"village_code": "no such village"})
    if actor.role != SYSTEM and not village.code.startswith(actor.area_code):
        raise Invalid({"village_code": "this village is outside your area"})
    received_at = _received_at(data, now, check_received_at)
    refuse_if_closed(session, received_at, "received_at", now=now)
    level = _start_level(cw, data)
    if actor.role != SYSTEM:
        check_recorder_may(workflow, actor, data, village.code, level)
    deadline = level_deadline(workflow, cw.calendar, level=level, urgency=data.urgency,
                              entered_at=received_at)
    petitioner = new_petitioner(cw.keyring, PetitionerData(**data.petitioner.model_dump()))
    session.add(petitioner)
    session.flush()
    year = received_at.astimezone(SHANGHAI).year
    county = village.code[:6]
    seq = next_case_number(session, county, year)
    case = Case(
        number=f"{county}-{year}-{seq:06d}", county_code=county, year=year, seq=seq,
        channel=data.channel, category=data.category, urgency=data.urgency,
        summary=seal_text(cw.keyring.current, SUMMARY, data.summary),
        petitioner_id=petitioner.id, village_code=village.code,
        received_at=received_at, last_event_seq=0, version=0,
    )
    to_status = "in_progress" if data.resolve_now else "pending"
    first = insert_first(session, case, new_event(
        None, action="intake", actor=actor, at=received_at, to_level=level,
        to_status=to_status, deadline=deadline, village_code=village.code,
        # The urgency the case began with is chained here, so `audit verify` can tell a
        # changed urgency (which sets every deadline) from one an assessment raised.
        data={"channel": data.channel, "urgency": data.urgency},
    ))
    notify_event(cw, session, case, first, now=now)  # told at commit if still pending there
    if data.risk_answers is not None:
        # Assessed during the call: recorded as the case's own assess event, right after its
        # intake, so a high risk makes the first deadline an urgent one.
        assessed = assessment(cw, case, data.risk_answers, field="risk_answers")
        due_at, warn_at = assessed_deadline(cw, case, assessed)
        append(session, case, new_event(
            case, action="assess", actor=actor, at=received_at, to_level=level,
            to_status=to_status, deadline=Deadline(due_at=due_at, warn_at=warn_at or due_at)
            if due_at else None, data=assessed))
        deadline = current_deadline(case)
    if data.resolve_now:
        append(session, case, new_event(
            case, action="resolve", actor=actor, at=received_at, to_level=level,
            to_status="resolved", deadline=deadline, note=data.resolve_now.note,
            data={"outcome": data.resolve_now.outcome, "on_the_spot": True}, deadline_met=True,
        ))
    return case


def _received_at(data: CaseCreate, now: datetime, check: bool) -> datetime:
    if data.received_at is None:
        return now
    received = data.received_at
    if received.tzinfo is None:
        # A time without a zone is a local (Beijing) time, as on every paper form.
        received = received.replace(tzinfo=SHANGHAI)
    if check and received > now + CLOCK_SKEW:
        raise Invalid({"received_at": "cannot be in the future"})
    if check and received < now - MAX_BACKDATE:
        raise Invalid({"received_at": "at most 365 days back"})
    return received


def _start_level(cw: Casework, data: CaseCreate) -> str:
    workflow = cw.workflow
    fixed = workflow.channel_start_levels.get(data.channel)
    if data.urgency == "emergency":
        fixed = workflow.emergency_start_level
    if data.start_level is not None and not workflow.has_level(data.start_level):
        raise Invalid({"start_level": "no such level"})
    if fixed and data.start_level and data.start_level != fixed:
        why = "emergency" if data.urgency == "emergency" else f"channel {data.channel}"
        raise Invalid({"start_level": f"a case of {why} starts at {fixed}"})
    if data.resolve_now:
        if fixed and data.channel in workflow.channel_start_levels:
            raise Invalid({"resolve_now": f"a {data.channel} case cannot be resolved on the spot"})
        if data.urgency == "emergency":
            raise Invalid({"resolve_now": "an emergency cannot be resolved on the spot"})
        if data.resolve_now.outcome not in workflow.choices["outcome"]:
            raise Invalid({"resolve_now.outcome": "must be one of: "
                           + ", ".join(workflow.choices["outcome"])},
                          allowed={"resolve_now.outcome": list(workflow.choices["outcome"])})
        level = data.start_level or workflow.resolve_now_level
        if "resolved" not in workflow.level(level).statuses:
            raise Invalid({"start_level": "a case cannot be resolved at this level"})
        return level
    return fixed or data.start_level or workflow.default_start_level


def check_recorder_may(workflow: Workflow, actor: Actor, data: CaseCreate, village: str,
                       level: str) -> None:
    """Forbidden unless ``actor`` may put this petition at ``level`` (and resolve it there).

    The resolved counts and on-time rates of each level are what the network is judged by
    (DESIGN.md, "Reports"); a petition resolved on the spot counts as resolved at its level,
    on time.  So:
    - a level the recorder chooses is her own unit's or one below it (a village cadre logs at
      her village, a township cadre at her township or one of its villages, the county's
      roles anywhere): a case goes higher by ``escalate``, which leaves its trace; a level the
      workflow fixes (a mailbox letter, an emergency) is taken whoever logs it;
    - ``resolve_now`` needs the right to ``resolve`` at that level, as the level's unit (a
      village cadre at her village congress), or a role of ``intake.resolve_now_roles`` at
      ``intake.resolve_now_level`` (the hotline, the county center's window)."""
    spec = workflow.level(level)
    fixed = (workflow.emergency_start_level if data.urgency == "emergency"
             else workflow.channel_start_levels.get(data.channel))
    chosen = data.start_level is not None and level != fixed
    if chosen and UNIT_CODE_LENGTH[spec.unit] < len(actor.area_code):
        raise Forbidden(f"you may start a case at your own unit's level or below, not at "
                        f"{level}: log it at your level and escalate it")
    if not data.resolve_now:
        return
    if level == workflow.resolve_now_level and actor.role in workflow.resolve_now_roles:
        return
    at = SimpleNamespace(level=level, village_code=village)
    if "resolve" not in workflow.actions or not may_act(workflow, actor, "resolve", at):
        raise Forbidden(f"you may not resolve a case at {level}, so not on the spot either: "
                        "log it as pending there, or at the level you work")


def next_case_number(session: Session, county: str, year: int) -> int:
    """The next number in the county's yearly sequence.

    One upsert statement: on PostgreSQL its row lock makes parallel intakes wait for each other
    (no duplicates, no gaps); on SQLite the write transaction is already exclusive."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = CaseNumberSequence.__table__
    statement = (
        insert(table).values(county_code=county, year=year, last=1)
        .on_conflict_do_update(index_elements=["county_code", "year"],
                               set_={"last": table.c.last + 1})
        .returning(table.c.last)
    )
    return session.execute(statement).scalar_one()


# Built once: constructing the statement and its cache key on every call cost more than the
# lookup itself (bench/RESULTS.md).
_CASE_BY_NUMBER = select(Case).where(Case.number == bindparam("number"))


def case_by_number(session: Session, number: str) -> Case | None:
    return session.execute(_CASE_BY_NUMBER, {"number": number}).scalar_one_or_none()
