"""Reading cases: the worklist and list filters, one case with its timeline, a caller's cases.

Lists show phones masked; a full phone is shown only through ``reveal_phone``, which is itself
recorded as an event (petitioners are survivors; every full view leaves a trace)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session

from casework.bootstrap import Casework
from casework.errors import Invalid, NotFound
from casework.lifecycle.events import append, current_deadline, new_event
from casework.lifecycle.intake import case_by_number
from casework.lifecycle.measures import measures_json
from casework.lifecycle.schemas import normalize_phone
from casework.people.access import (
    Actor,
    allowed_actions,
    check_visible,
    inside_area,
    visible_filter,
)
from casework.privacy.crypto import Keyring
from casework.privacy.masks import mask_id_number, mask_phone
from casework.privacy.narratives import open_data, open_note, open_summary
from casework.privacy.petitioners import PetitionerData, open_petitioner, with_phone
from casework.scheduling.deadlines import SHANGHAI
from casework.storage.db import reading, utcnow, writing
from casework.storage.models import Case, Event, Petitioner
from casework.vocabulary import CATEGORIES
from casework.workflow.risk import LEVELS as RISK_LEVELS

MAX_PER_PAGE = 200
DIGITS = re.compile(r"[0-9]{1,12}")
DAY = re.compile(r"(20[0-9]{2}|2100)-[0-9]{2}-[0-9]{2}")


def whole_number(value: str, digits: int = 7) -> int | None:
    """ASCII digits only: str.isdigit() also takes '²', which int() then refuses."""
    return int(value) if re.fullmatch(rf"[0-9]{{1,{digits}}}", value) else None


def parse_day(value: str) -> date | None:
    """A plain YYYY-MM-DD from 2000 to 2100 (fromisoformat alone takes '2026-W01-1' too)."""
    if not DAY.fullmatch(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None
OPEN_STATUSES = ("pending", "in_progress", "waiting")


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def case_json(case: Case, petitioner: PetitionerData, keyring: Keyring,
              summary: str | None = None) -> dict:
    """A case as the API and the pages show it: phone and ID number always masked; the
    summary opened (or ``summary``, when the caller opened it already)."""
    return {
        "number": case.number, "channel": case.channel, "category": case.category,
        "urgency": case.urgency,
        "summary": open_summary(keyring, case.summary) if summary is None else summary,
        "petitioner": {
            "name": petitioner.name, "phone": mask_phone(petitioner.phone),
            "id_number": mask_id_number(petitioner.id_number),
            "gender": petitioner.gender, "age_group": petitioner.age_group,
        },
        "village_code": case.village_code, "level": case.level, "status": case.status,
        "received_at": iso(case.received_at), "entered_level_at": iso(case.entered_level_at),
        "due_at": iso(case.due_at), "warn_at": iso(case.warn_at), "overdue": case.overdue,
        "warning": case.warning, "version": case.version,
        "risk_level": case.risk_level, "risk_assessed_at": iso(case.risk_assessed_at),
    }


def event_json(event: Event, keyring: Keyring) -> dict:
    return {
        "seq": event.seq, "action": event.action, "from_level": event.from_level,
        "from_status": event.from_status, "to_level": event.to_level,
        "to_status": event.to_status, "actor": event.actor, "at": iso(event.at),
        "note": open_note(keyring, event.note), "data": open_data(keyring, event.data),
        "due_at": iso(event.due_at),
    }


@dataclass
class CaseFilters:
    level: str | None = None
    status: str | None = None
    overdue: bool | None = None
    warning: bool | None = None
    area: str | None = None
    category: str | None = None
    q: str | None = None
    received_from: date | None = None
    received_to: date | None = None
    risk: str | None = None  # low, medium, high; "none" for the cases never assessed
    page: int = 1
    per_page: int = 50
    # Set by code, not by the query string: the worklist's open statuses and its unit's levels.
    statuses: tuple[str, ...] = ()
    levels: tuple[str, ...] = ()


def parse_filters(cw: Casework, args: dict[str, str]) -> CaseFilters:
    """Query-string filters, checked; Invalid names each bad one."""
    errors: dict[str, str] = {}
    out = CaseFilters()
    for name in ("level", "status", "area", "category", "q", "risk"):
        value = (args.get(name) or "").strip()
        if value:
            setattr(out, name, value)
    if out.level and not cw.workflow.has_level(out.level):
        errors["level"] = "no such level"
    if out.status and out.status not in cw.workflow.statuses:
        errors["status"] = "no such status"
    if out.category and out.category not in CATEGORIES:
        errors["category"] = "no such category"
    if out.risk and out.risk not in (*RISK_LEVELS, "none"):
        errors["risk"] = "one of: low, medium, high, none"
    if out.area and not DIGITS.fullmatch(out.area):
        errors["area"] = "an area code of digits"
    if out.q and len(out.q) > 100:
        errors["q"] = "at most 100 characters"
    for name in ("overdue", "warning"):
        value = (args.get(name) or "").strip().lower()
        if value:
            if value not in ("true", "false", "1", "0"):
                errors[name] = "true or false"
            setattr(out, name, value in ("true", "1"))
    for name in ("received_from", "received_to"):
        value = (args.get(name) or "").strip()
        if value:
            day = parse_day(value)
            if day is None:
                errors[name] = "a date YYYY-MM-DD between 2000 and 2100"
            setattr(out, name, day)
    for name, low, high in (("page", 1, 10**6), ("per_page", 1, MAX_PER_PAGE)):
        if name not in args:
            continue
        # Present but blank is not a number: the API's clients are told, as for any other
        # non-number (the pages drop a form's blank fields before they get here).
        number = whole_number((args.get(name) or "").strip())
        if number is None or not low <= number <= high:
            errors[name] = f"a whole number from {low} to {high}"
        else:
            setattr(out, name, number)
    if errors:
        raise Invalid(errors)
    return out


def _where(cw: Casework, actor: Actor, f: CaseFilters) -> ColumnElement[bool]:
    """The filters as conditions the indexes answer (migration 0010): with a status, through
    ``ix_cases_by_status`` (status, level, village_code, ...), so the cost follows the cases
    in that status, not the area's history; without one, through the county's
    ``ix_cases_area_order``, which yields the list already in deadline order."""
    by_status = bool(f.statuses or f.status)
    conditions = [visible_filter(cw.workflow, actor, by_county=not by_status)]
    if f.statuses:
        conditions.append(Case.status.in_(f.statuses))
    if f.levels:
        conditions.append(Case.level.in_(f.levels))
    if f.level:
        conditions.append(Case.level == f.level)
    if f.status:
        conditions.append(Case.status == f.status)
    if by_status and not (f.levels or f.level):
        # Every level, said out loud: it lets the index's range on village_code (its third
        # column) be used instead of reading every case in that status across the province.
        conditions.append(Case.level.in_([level.id for level in cw.workflow.levels]))
    if f.overdue is not None:
        conditions.append(Case.overdue.is_(f.overdue))
    if f.warning is not None:
        conditions.append(Case.warning.is_(f.warning))
    if f.area:
        conditions.append(inside_area(f.area, by_county=not by_status))
    if f.category:
        conditions.append(Case.category == f.category)
    if f.risk:
        conditions.append(Case.risk_level.is_(None) if f.risk == "none"
                          else Case.risk_level == f.risk)
    if f.received_from:
        conditions.append(Case.received_at >= _local_midnight(f.received_from))
    if f.received_to:
        conditions.append(Case.received_at < _local_midnight(f.received_to, days=1))
    return and_(*conditions)


LIST_ORDER = (Case.due_at.is_(None), Case.due_at, Case.id)


def list_cases(cw: Casework, actor: Actor, filters: CaseFilters) -> dict:
    """A page of the cases the actor sees, nearest deadline first."""
    f = filters
    where = _where(cw, actor, f)
    keyring = cw.keyring
    with reading(cw.engine) as session:
        if f.q:
            return _search(cw, session, where, f)
        total = session.execute(select(func.count()).select_from(Case).where(where)).scalar_one()
        rows = session.execute(
            select(Case, Petitioner).join(Petitioner, Petitioner.id == Case.petitioner_id)
            .where(where).order_by(*LIST_ORDER)
            .offset((f.page - 1) * f.per_page).limit(f.per_page)
        ).all()
    return {"items": [case_json(c, open_petitioner(keyring, p), keyring) for c, p in rows],
            "total": total, "page": f.page,
            "per_page": f.per_page}


def _search(cw: Casework, session: Session, where: ColumnElement[bool], f: CaseFilters) -> dict:
    """The cases of ``where`` whose number or summary holds ``f.q``.

    Summaries are sealed (casework/privacy/narratives.py), so no index or LIKE can look into
    them: the summaries of the cases the other filters leave, all inside the reader's area,
    are opened here and searched, in the list's order (a county's year of cases:
    bench/RESULTS.md, "Searching sealed summaries").  Case-insensitive, as LIKE was on SQLite."""
    keyring = cw.keyring
    wanted = f.q.casefold()
    found = [case_id for case_id, number, summary in session.execute(
        select(Case.id, Case.number, Case.summary).where(where).order_by(*LIST_ORDER))
        if wanted in number.casefold() or wanted in open_summary(keyring, summary).casefold()]
    page = found[(f.page - 1) * f.per_page:f.page * f.per_page]
    rows = session.execute(
        select(Case, Petitioner).join(Petitioner, Petitioner.id == Case.petitioner_id)
        .where(Case.id.in_(page)).order_by(*LIST_ORDER)).all() if page else []
    return {"items": [case_json(c, open_petitioner(keyring, p), keyring) for c, p in rows],
            "total": len(found), "page": f.page, "per_page": f.per_page}


def status_counts(cw: Casework, actor: Actor,
                  filters: CaseFilters | None = None) -> dict[str, int]:
    """How many visible cases (of ``filters``) stand in each status (the worklist's header)."""
    where = _where(cw, actor, filters or CaseFilters())
    with reading(cw.engine) as session:
        rows = session.execute(
            select(Case.status, func.count()).where(where).group_by(Case.status)).all()
    return {status: count for status, count in rows}


def worklist_filters(cw: Casework, actor: Actor, page: int = 1) -> CaseFilters:
    """The worklist: open cases at the levels the actor's own unit works (a village cadre's
    mailbox and congress, a township cadre's federation); every level for roles that own no
    level, such as the hotline, which follows the whole county."""
    levels = tuple(level.id for level in cw.workflow.levels if actor.role in level.roles)
    return CaseFilters(statuses=OPEN_STATUSES, levels=levels, page=page)


def _local_midnight(day: date, days: int = 0) -> datetime:
    return datetime.combine(day + timedelta(days=days), time(), tzinfo=SHANGHAI)


def visible_case(cw: Casework, session: Session, actor: Actor, number: str) -> Case:
    """The case ``number`` if ``actor`` may see it; NotFound alike when missing or not visible."""
    case = case_by_number(session, number)
    if case is None:
        raise NotFound("no such case")
    check_visible(cw.workflow, actor, case)
    return case


def case_detail(cw: Casework, actor: Actor, number: str) -> dict:
    """The case with its events and the actions this actor may take."""
    with reading(cw.engine) as session:
        case = visible_case(cw, session, actor, number)
        petitioner = session.get(Petitioner, case.petitioner_id)
        events = session.execute(
            select(Event).where(Event.case_id == case.id).order_by(Event.seq)).scalars().all()
        body = case_json(case, open_petitioner(cw.keyring, petitioner), cw.keyring)
        body["events"] = [event_json(e, cw.keyring) for e in events]
        body["measures"] = measures_json(events, cw.keyring)
        body["allowed_actions"] = allowed_actions(cw.workflow, actor, case)
        return body


def reveal_phone(cw: Casework, actor: Actor, number: str, *,
                 now: datetime | None = None) -> dict[str, str]:
    """The petitioner's full phone and ID number; the look is recorded as an event of the case
    (written only once both opened, so a key error leaves no event of a view that failed)."""
    with writing(cw.engine) as session:
        case = visible_case(cw, session, actor, number)
        petitioner = open_petitioner(cw.keyring, session.get(Petitioner, case.petitioner_id))
        append(session, case, new_event(
            case, action="view_phone", actor=actor, at=now or utcnow(), to_level=case.level,
            to_status=case.status, deadline=current_deadline(case)))
        return {"phone": petitioner.phone, "id_number": petitioner.id_number}


def caller_cases(cw: Casework, actor: Actor, phone: str, *, limit: int = 20) -> list[dict]:
    """A caller's earlier cases in the actor's area, newest first (the hotline's screen pop)."""
    try:
        digits = normalize_phone(phone)
    except ValueError:
        raise Invalid({"phone": "not a phone number"}) from None
    keyring = cw.keyring
    with reading(cw.engine) as session:
        rows = session.execute(
            select(Case, Petitioner).join(Petitioner, Petitioner.id == Case.petitioner_id)
            .where(with_phone(keyring, digits), visible_filter(cw.workflow, actor))
            .order_by(Case.received_at.desc(), Case.id.desc()).limit(limit)).all()
    return [case_json(c, open_petitioner(keyring, p), keyring) for c, p in rows]
