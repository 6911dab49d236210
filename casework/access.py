"""Who sees which cases, and who may act on them.

A user sees the cases whose village lies inside the user's area (codes are prefixes).  A case
outside it is reported as not found, never as forbidden, so its existence does not leak.
Acting "as the level's unit" needs the user's area to be that unit exactly: a township cadre acts
on cases at the township federation of her own township, not of the one next door.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, true

from casework.errors import Forbidden, OutsideJurisdiction
from casework.models import Case
from casework.workflow import UNIT_CODE_LENGTH, Workflow

SYSTEM = "system"


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


def visible_filter(workflow: Workflow, actor: Actor) -> ColumnElement[bool]:
    """The SQL condition for the cases ``actor`` may see."""
    require_case_reader(workflow, actor)
    if not actor.area_code:
        return true()
    return Case.village_code.startswith(actor.area_code, autoescape=True)


def check_visible(workflow: Workflow, actor: Actor, case: Case) -> None:
    if actor.role == SYSTEM:
        return
    require_case_reader(workflow, actor)
    if not case.village_code.startswith(actor.area_code):
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
