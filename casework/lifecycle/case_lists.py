"""The case list and the worklist: the query string's filters checked, then a page of the
cases the reader sees, nearest deadline first, each as ``cases.case_json`` shows it (phones
masked); the worklist is the open cases at the levels the reader's own unit works."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session

from casework.bootstrap import Casework
from casework.errors import Invalid
from casework.lifecycle.cases import case_json
from casework.lifecycle.schemas import parse_day, whole_number
from casework.people.access import Actor, inside_area, visible_filter
from casework.privacy.narratives import open_summary
from casework.privacy.petitioners import open_petitioner
from casework.scheduling.deadlines import SHANGHAI
from casework.storage.db import reading
from casework.storage.models import Case, Petitioner
from casework.vocabulary import CATEGORIES
from casework.workflow.risk import LEVELS as RISK_LEVELS

MAX_PER_PAGE = 200
DIGITS = re.compile(r"[0-9]{1,12}")
OPEN_STATUSES = ("pending", "in_progress", "waiting")


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
