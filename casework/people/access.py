"""Who sees which cases, and who may act on them.

A user sees the cases whose village lies inside the user's area (codes are prefixes).  A case
outside it is reported as not found, never as forbidden, so its existence does not leak.
Acting "as the level's unit" needs the user's area to be that unit exactly: a township cadre acts
on cases at the township federation of her own township, not of the one next door.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, true

from casework.errors import Forbidden, OutsideJurisdiction
from casework.storage.models import Case
from casework.workflow import UNIT_CODE_LENGTH, Workflow

SYSTEM = "system"
COUNTY_CODE_LENGTH = 6


@dataclass(frozen=True)
class Actor:
    """The person (or the scheduler) doing something; built from a User by the caller."""

    id: int | None
    username: str
    role: str
    area_code: str

    @classmethod
    def system(cls) -> Actor:
        return cls(id=None, username=SYSTEM, role=SYSTEM, area_code="")


def unit_code(village_code: str, unit_kind: str) -> str:
    """The code of the unit that owns a level for a case in ``village_code``."""
    return village_code[: UNIT_CODE_LENGTH[unit_kind]]


def require_case_reader(workflow: Workflow, actor: Actor) -> None:
    role = workflow.roles.get(actor.role)
    if role is None or not role.sees_cases:
        raise Forbidden("this role does not work with case files")


def next_code(code: str) -> str | None:
    """The first code after every code that starts with ``code`` (digits): '450121' gives
    '450122', '4509' gives '451'; None for '999' (nothing after it)."""
    stripped = code.rstrip("9")
    if not stripped:
        return None
    return stripped[:-1] + str(int(stripped[-1]) + 1)


def code_range(column, code: str) -> ColumnElement[bool]:
    """``column`` starts with ``code``, as a range an index answers (a LIKE 'prefix%' is not:
    SQLite and PostgreSQL both scan).  Codes are ASCII digits, which every collation orders
    as bytes, so the bound is the next code rather than the prefix plus a high character."""
    after = next_code(code)
    return column >= code if after is None else and_(column >= code, column < after)


def inside_area(code: str, *, by_county: bool = True) -> ColumnElement[bool]:
    """The cases whose village lies inside area ``code``.

    With ``by_county`` the county is an equality on the stored ``county_code``, which leads
    ``ix_cases_area_order``: a county's list comes out of that index already in deadline
    order, without sorting its history.  Without it only ranges on ``village_code``: a query
    that also filters on status (the worklist) then reads ``ix_cases_by_status`` alone, and
    SQLite's planner, which without statistics prefers an index that saves the sort, is not
    tempted to walk the county's whole history in deadline order looking for open cases."""
    if not code:
        return true()
    if by_county and len(code) >= COUNTY_CODE_LENGTH:
        county = Case.county_code == code[:COUNTY_CODE_LENGTH]
        if len(code) == COUNTY_CODE_LENGTH:
            return county
        return and_(county, code_range(Case.village_code, code))
    return code_range(Case.village_code, code)


def visible_filter(workflow: Workflow, actor: Actor, *,
                   by_county: bool = True) -> ColumnElement[bool]:
    """The SQL condition for the cases ``actor`` may see."""
    require_case_reader(workflow, actor)
    if not actor.area_code.isdigit():
        return true() if not actor.area_code else Case.village_code.startswith(
            actor.area_code, autoescape=True)
    return inside_area(actor.area_code, by_county=by_county)


def check_visible(workflow: Workflow, actor: Actor, case: Case) -> None:
    """OutsideJurisdiction (a 404) unless ``actor`` may see ``case``.

    A role that opens no case files (a leader, an admin) gets the same answer as a missing
    case, never a 403: a 403 for a number that exists beside a 404 for one that does not would
    tell anyone how many cases any county has logged."""
    if actor.role == SYSTEM:
        return
    role = workflow.roles.get(actor.role)
    if role is None or not role.sees_cases or not case.village_code.startswith(actor.area_code):
        raise OutsideJurisdiction("no such case")


def may_act(workflow: Workflow, actor: Actor, action: str, case: Case) -> bool:
    """Whether the workflow's roles and the actor's area let ``actor`` take ``action`` now."""
    if actor.role == SYSTEM:
        return True
    if not workflow.role_may(actor.role, action, case.level):
        return False
    if workflow.acts_as_unit(actor.role, action, case.level):
        level = workflow.level(case.level)
        return actor.area_code == unit_code(case.village_code, level.unit)
    return case.village_code.startswith(actor.area_code)


def check_may_attach(workflow: Workflow, actor: Actor, case: Case) -> None:
    """Evidence is added by whoever may act on the case: as a note with a file, by those the
    workflow's ``note`` action lets act (every role that works with case files, in its area,
    with the shipped workflow).  NotFound outside the area, as for the case itself."""
    check_visible(workflow, actor, case)
    if "note" in workflow.actions and not may_act(workflow, actor, "note", case):
        raise Forbidden("this role may not add evidence to this case")


def report_area(workflow: Workflow, actor: Actor, requested: str | None) -> str:
    """The area whose report ``actor`` asked for: her own by default, never outside it."""
    role = workflow.roles.get(actor.role)
    if role is None or not role.reads_reports:
        raise Forbidden("this role does not read reports")
    area = requested or actor.area_code
    if not area.startswith(actor.area_code):
        raise OutsideJurisdiction("no such area")  # as good as absent, like a case
    return area


def allowed_actions(workflow: Workflow, actor: Actor, case: Case) -> list[str]:
    """What this actor may press on this case now (the buttons of the case page)."""
    return [
        action for action in workflow.allowed_actions(case.level, case.status)
        if may_act(workflow, actor, action, case)
        and not (workflow.actions[action].once_per_level and case.extended)
    ]
