"""The loaded workflow: levels, statuses, roles and actions, and the one state machine they make.

A case's state is ``level.status`` (flat, as PITFALLS.md advises for transitions); the machine is
built once per workflow with ``model=None`` and shared by every case.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, time
from types import SimpleNamespace
from typing import Any

from transitions import Machine, MachineError

from casework.errors import IllegalTransition, Invalid

UNIT_KINDS = ("village", "township", "county")
# The code length of each unit kind (China's statistical division codes).
UNIT_CODE_LENGTH = {"county": 6, "township": 9, "village": 12}
# County federations hand in their monthly reports in the first days of the next month: a month
# stays open to late-logged petitions until this day (workflows.yaml ``reports.closing_day``).
DEFAULT_CLOSING_DAY = 5


@dataclass(frozen=True)
class Names:
    zh: str
    en: str

    def get(self, locale: str) -> str:
        return self.en if locale.startswith("en") else self.zh


@dataclass(frozen=True)
class Level:
    id: str
    name: Names
    unit: str
    roles: tuple[str, ...]
    statuses: tuple[str, ...]
    working_days: int | None
    hours: int | None
    auto_escalate_overdue: bool
    index: int


@dataclass(frozen=True)
class Status:
    id: str
    name: Names
    concluded: bool
    clock_running: bool


@dataclass(frozen=True)
class Role:
    id: str
    name: Names
    scope: str
    sees_cases: bool
    reads_reports: bool


@dataclass(frozen=True)
class Action:
    id: str
    name: Names
    from_statuses: tuple[str, ...]
    at_levels: tuple[str, ...] | None
    to_level: str
    to_status: str
    target_levels: tuple[str, ...]
    roles: tuple[str, ...]
    needs: tuple[str, ...]
    once_per_level: bool


@dataclass(frozen=True)
class QuietHours:
    """The nightly window in which notifications wait (``quiet_hours`` in workflows.yaml)."""

    start: time
    end: time  # before start: the window runs over midnight
    timezone: str
    except_urgency: tuple[str, ...]


@dataclass
class Workflow:
    name: str
    levels: tuple[Level, ...]
    statuses: dict[str, Status]
    roles: dict[str, Role]
    actions: dict[str, Action]
    choices: dict[str, tuple[str, ...]]
    urgent_divisor: int
    emergency_hours: int
    emergency_start_level: str
    warn_fraction: float
    extra_holidays: tuple[date, ...]
    extra_workdays: tuple[date, ...]
    intake_roles: tuple[str, ...]
    default_start_level: str
    channel_start_levels: dict[str, str]
    resolve_now_level: str
    quiet_hours: QuietHours | None = None
    closing_day: int = DEFAULT_CLOSING_DAY
    risk: Any = None  # a risk.RiskScreen, or None when the file has no 'risk' section
    # Roles that may resolve on the spot at resolve_now_level besides its unit (the hotline).
    resolve_now_roles: tuple[str, ...] = ()
    machine: Machine = field(init=False, repr=False)
    transitions: list[tuple[str, str, str]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._levels = {level.id: level for level in self.levels}
        self.transitions = list(self._edges())
        self.machine = Machine(
            model=None,
            states=self.states(),
            transitions=[self._machine_transition(*edge) for edge in self.transitions],
            initial=None,
            model_attribute="state",
            auto_transitions=False,
            send_event=True,
        )

    # -- levels -------------------------------------------------------------------------------
    def level(self, level_id: str) -> Level:
        return self._levels[level_id]

    def has_level(self, level_id: str) -> bool:
        return level_id in self._levels

    def neighbour(self, level_id: str, step: int) -> Level | None:
        index = self._levels[level_id].index + step
        return self.levels[index] if 0 <= index < len(self.levels) else None

    def handling_levels(self) -> list[Level]:
        """Levels where a case can be concluded: the ones the monthly report counts."""
        return [level for level in self.levels if "resolved" in level.statuses]

    def working_days(self, level_id: str, urgency: str) -> int:
        days = self._levels[level_id].working_days or 1
        return math.ceil(days / self.urgent_divisor) if urgency == "urgent" else days

    # -- states and transitions -------------------------------------------------------------
    @staticmethod
    def state(level: str, status: str) -> str:
        return f"{level}.{status}"

    def states(self) -> list[str]:
        return [self.state(lv.id, st) for lv in self.levels for st in lv.statuses]

    def _edges(self):
        """Every (action, source state, destination state) the actions of the file produce."""
        for action in self.actions.values():
            for level in self.levels:
                if action.at_levels is not None and level.id not in action.at_levels:
                    continue
                sources = level.statuses if action.from_statuses == ("any",) else [
                    st for st in action.from_statuses if st in level.statuses
                ]
                for status in sources:
                    for dest_level in self._destinations(action, level):
                        dest_status = status if action.to_status == "same" else action.to_status
                        if dest_status in dest_level.statuses:
                            yield (
                                action.id,
                                self.state(level.id, status),
                                self.state(dest_level.id, dest_status),
                            )

    def _destinations(self, action: Action, level: Level) -> list[Level]:
        if action.to_level == "same":
            return [level]
        if action.to_level in ("next", "previous"):
            other = self.neighbour(level.id, 1 if action.to_level == "next" else -1)
            return [other] if other else []
        return [self._levels[t] for t in action.target_levels if t != level.id]

    def _machine_transition(self, action_id: str, source: str, dest: str) -> dict[str, Any]:
        spec: dict[str, Any] = {"trigger": action_id, "source": source, "dest": dest}
        if self.actions[action_id].to_level == "target_level":
            wanted = dest.split(".", 1)[0]
            spec["conditions"] = [lambda event, wanted=wanted: event.kwargs.get(
                "target_level") == wanted]
        return spec

    def allowed_actions(self, level: str, status: str) -> list[str]:
        """Actions the workflow allows from this state, in the file's order (roles aside)."""
        triggers = set(self.machine.get_triggers(self.state(level, status)))
        return [action_id for action_id in self.actions if action_id in triggers]

    def next_state(
        self, level: str, status: str, action: str, *, version: int = 0,
        target_level: str | None = None,
    ) -> tuple[str, str]:
        """Where ``action`` takes a case at ``level``/``status``; the machine decides."""
        case = SimpleNamespace(state=self.state(level, status))
        if action not in self.machine.events:
            raise IllegalTransition(
                f"unknown action '{action}'",
                allowed_actions=self.allowed_actions(level, status), version=version,
            )
        try:
            moved = self.machine.events[action].trigger(case, target_level=target_level)
        except MachineError:
            raise IllegalTransition(
                f"'{action}' is not possible for a case {status} at {level}",
                allowed_actions=self.allowed_actions(level, status), version=version,
            ) from None
        if not moved:
            raise Invalid({"target_level": "not a level this case can be assigned to"})
        new_level, new_status = case.state.split(".", 1)
        return new_level, new_status

    # -- who may act --------------------------------------------------------------------------
    def role_may(self, role: str, action: str, level: str) -> bool:
        """Whether the workflow lets ``role`` take ``action`` on a case at ``level``.

        Whether the user's area is the level's unit is the caller's check (jurisdiction)."""
        rule = self.actions[action].roles
        known = self.roles.get(role)
        if known is None:
            return False
        return (
            role in rule
            or ("unit" in rule and role in self._levels[level].roles)
            or ("any" in rule and known.sees_cases)
        )

    def acts_as_unit(self, role: str, action: str, level: str) -> bool:
        """True when only the level's own unit gives ``role`` the right to act."""
        rule = self.actions[action].roles
        return role not in rule and "any" not in rule and role in self._levels[level].roles
