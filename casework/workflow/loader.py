"""Read workflows.yaml, check it, and build the Workflow.  Every refusal names the file line."""

from __future__ import annotations

import re
from datetime import date, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from casework.errors import WorkflowError
from casework.vocabulary import URGENCIES
from casework.workflow._yamlfile import LineDict, LineList, load_with_lines
from casework.workflow.model import (
    DEFAULT_CLOSING_DAY,
    UNIT_KINDS,
    Action,
    Level,
    Names,
    QuietHours,
    Role,
    Status,
    Workflow,
)
from casework.workflow.risk import read_risk

TOP_KEYS = {"name", "levels", "statuses", "urgency", "warn_fraction", "calendar", "roles",
            "intake", "choices", "actions", "quiet_hours", "reports", "risk"}
REPORT_KEYS = {"closing_day"}
# Days every month has: a closing day of 29-31 would skip February.
CLOSING_DAYS = range(1, 29)
FIELDS = {"note", "reason", "outcome", "agency", "target_level", "days", "satisfaction",
          "answers", "measure", "stage"}
LEVEL_MOVES = {"same", "next", "previous", "target_level"}
CLOCK_TIME = re.compile(r"^([01]?[0-9]|2[0-3]):([0-5][0-9])$")


class _Reader:
    """Small helpers that raise WorkflowError at the right line."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, message: str, line: int | None) -> WorkflowError:
        return WorkflowError(message, line=line, source=self.source)

    def mapping(self, parent: LineDict, key: str, what: str, *, optional=False) -> LineDict:
        value = parent.get(key)
        if value is None and optional:
            empty = LineDict()
            empty.line, empty.key_lines = parent.line_of(key), {}
            return empty
        if not isinstance(value, dict):
            raise self.fail(f"{what} needs '{key}' as a mapping", parent.line_of(key))
        return value

    def items(self, parent: LineDict, key: str, what: str, *, optional=False) -> LineList:
        value = parent.get(key)
        if value is None and optional:
            empty = LineList()
            empty.line, empty.item_lines = parent.line_of(key), []
            return empty
        if not isinstance(value, list) or (not value and not optional):
            raise self.fail(f"{what} needs '{key}' as a non-empty list", parent.line_of(key))
        return value

    def ident(self, parent: LineDict, key: str, what: str) -> str:
        value = parent.get(key)
        if not isinstance(value, str) or not value.isidentifier():
            raise self.fail(f"{what} needs '{key}' as a plain name", parent.line_of(key))
        return value

    def names(self, parent: LineDict, what: str) -> Names:
        value = self.mapping(parent, "name", what)
        zh, en = value.get("zh"), value.get("en")
        if not isinstance(zh, str) or not isinstance(en, str) or not zh or not en:
            raise self.fail(f"{what} needs a name with 'zh' and 'en'", value.line)
        return Names(zh=zh, en=en)

    def positive_int(self, parent: LineDict, key: str, what: str, default=None) -> int:
        value = parent.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise self.fail(f"{what}: '{key}' must be a whole number of at least 1",
                            parent.line_of(key))
        return value

    def known(self, values: LineList, allowed, what: str, kind: str) -> tuple[str, ...]:
        for index, value in enumerate(values):
            if value not in allowed:
                raise self.fail(f"{what} names unknown {kind} '{value}'", values.line_of(index))
        return tuple(values)

    def unique(self, entries: LineList, what: str) -> None:
        seen: set[str] = set()
        for entry in entries:
            if not isinstance(entry, dict):
                raise self.fail(f"each {what} must be a mapping", entries.line)
            ident = self.ident(entry, "id", what)
            if ident in seen:
                raise self.fail(f"{what} '{ident}' is defined twice", entry.line_of("id"))
            seen.add(ident)


def load_workflow(path: str | Path) -> Workflow:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise WorkflowError(f"cannot read the workflow file: {exc}", source=str(path)) from None
    return parse_workflow(text, source=path.name)


def parse_workflow(text: str, source: str = "workflows.yaml") -> Workflow:
    read = _Reader(source)
    try:
        doc = load_with_lines(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise read.fail(f"not valid YAML ({problem})", mark.line + 1 if mark else None) from None
    except (ValueError, OverflowError) as exc:
        # PyYAML's constructors raise these for a date such as 0000-00-00 or 2026-02-30.
        raise read.fail(f"not valid YAML (a value it cannot read: {exc})", None) from None
    except RecursionError:
        raise read.fail("not valid YAML (nested too deeply)", None) from None
    if not isinstance(doc, dict):
        raise read.fail("the workflow must be a mapping at the top", 1)
    for key in doc:
        if key not in TOP_KEYS:
            raise read.fail(f"unknown section '{key}'", doc.line_of(key))

    statuses = _statuses(read, doc)
    roles = _roles(read, doc)
    levels = _levels(read, doc, statuses, roles)
    level_ids = [level.id for level in levels]
    actions = _actions(read, doc, statuses, roles, level_ids)
    choices = _choices(read, doc)
    urgency = read.mapping(doc, "urgency", "the workflow")
    urgent = read.mapping(urgency, "urgent", "urgency")
    emergency = read.mapping(urgency, "emergency", "urgency")
    emergency_level = emergency.get("start_level")
    if emergency_level not in level_ids:
        raise read.fail(f"urgency names unknown level '{emergency_level}'",
                        emergency.line_of("start_level"))
    warn_fraction = doc.get("warn_fraction", 0.8)
    if not isinstance(warn_fraction, int | float) or not 0 < warn_fraction < 1:
        raise read.fail("'warn_fraction' must be a number between 0 and 1",
                        doc.line_of("warn_fraction"))
    calendar = read.mapping(doc, "calendar", "the workflow", optional=True)
    intake = read.mapping(doc, "intake", "the workflow")

    def intake_level(key: str, value: Any, needs: str) -> str:
        if value not in level_ids:
            raise read.fail(f"intake names unknown level '{value}'", intake.line_of(key))
        if needs not in next(lv for lv in levels if lv.id == value).statuses:
            raise read.fail(f"intake level '{value}' has no status '{needs}'", intake.line_of(key))
        return value

    channel_levels = read.mapping(intake, "channel_start_levels", "intake", optional=True)
    workflow = Workflow(
        name=str(doc.get("name", "workflow")),
        levels=tuple(levels),
        statuses=statuses,
        roles=roles,
        actions=actions,
        choices=choices,
        urgent_divisor=read.positive_int(urgent, "divide_by", "urgency 'urgent'"),
        emergency_hours=read.positive_int(emergency, "hours", "urgency 'emergency'"),
        emergency_start_level=emergency_level,
        warn_fraction=float(warn_fraction),
        extra_holidays=_dates(read, calendar, "extra_holidays"),
        extra_workdays=_dates(read, calendar, "extra_workdays"),
        intake_roles=read.known(read.items(intake, "roles", "intake"), roles, "intake", "role"),
        default_start_level=intake_level(
            "default_start_level", intake.get("default_start_level"), "pending"),
        channel_start_levels={
            str(channel): intake_level("channel_start_levels", value, "pending")
            for channel, value in channel_levels.items()
        },
        resolve_now_level=intake_level(
            "resolve_now_level", intake.get("resolve_now_level"), "resolved"),
        resolve_now_roles=read.known(
            read.items(intake, "resolve_now_roles", "intake", optional=True), roles, "intake",
            "role"),
        quiet_hours=_quiet_hours(read, doc),
        closing_day=_closing_day(read, doc),
        risk=read_risk(read, doc),
    )
    if "assess" in actions and workflow.risk is None:
        raise read.fail("action 'assess' needs a 'risk' section with its questions",
                        doc.line_of("actions"))
    _check_actions_have_sources(read, doc, workflow)
    _check_reachable(read, doc, workflow)
    return workflow


def _statuses(read: _Reader, doc: LineDict) -> dict[str, Status]:
    entries = read.items(doc, "statuses", "the workflow")
    read.unique(entries, "status")
    statuses = {}
    for entry in entries:
        clock = entry.get("clock", "running")
        if clock not in ("running", "stopped"):
            raise read.fail(f"status '{entry['id']}': clock must be running or stopped",
                            entry.line_of("clock"))
        statuses[entry["id"]] = Status(
            id=entry["id"], name=read.names(entry, f"status '{entry['id']}'"),
            concluded=bool(entry.get("concluded", False)), clock_running=clock == "running",
        )
    for required in ("pending", "in_progress", "resolved"):
        if required not in statuses:
            raise read.fail(f"the status '{required}' is required", entries.line)
    return statuses


def _roles(read: _Reader, doc: LineDict) -> dict[str, Role]:
    entries = read.items(doc, "roles", "the workflow")
    read.unique(entries, "role")
    roles = {}
    for entry in entries:
        scope = entry.get("scope")
        if scope not in (*UNIT_KINDS, "any"):
            raise read.fail(f"role '{entry['id']}' names unknown scope '{scope}'",
                            entry.line_of("scope"))
        roles[entry["id"]] = Role(
            id=entry["id"], name=read.names(entry, f"role '{entry['id']}'"), scope=scope,
            sees_cases=bool(entry.get("sees_cases", True)),
            reads_reports=bool(entry.get("reads_reports", False)),
        )
    return roles


def _levels(read, doc, statuses, roles) -> list[Level]:
    entries = read.items(doc, "levels", "the workflow")
    read.unique(entries, "level")
    levels = []
    for index, entry in enumerate(entries):
        what = f"level '{entry['id']}'"
        unit = entry.get("unit")
        if unit not in UNIT_KINDS:
            raise read.fail(f"{what} names unknown unit '{unit}'", entry.line_of("unit"))
        deadline = entry.get("deadline")
        if not isinstance(deadline, dict) or not (
            "working_days" in deadline or "hours" in deadline
        ):
            raise read.fail(f"{what} has no deadline (working_days or hours)",
                            entry.line_of("deadline"))
        days = hours = None
        if "working_days" in deadline:
            days = read.positive_int(deadline, "working_days", what)
        else:
            hours = read.positive_int(deadline, "hours", what)
        level_statuses = read.known(read.items(entry, "statuses", what), statuses, what, "status")
        if "pending" not in level_statuses:
            raise read.fail(f"{what} has no 'pending' status to enter", entry.line_of("statuses"))
        levels.append(Level(
            id=entry["id"], name=read.names(entry, what), unit=unit,
            roles=read.known(read.items(entry, "roles", what), roles, what, "role"),
            statuses=level_statuses, working_days=days, hours=hours,
            auto_escalate_overdue=bool(entry.get("auto_escalate_overdue", False)), index=index,
        ))
    return levels


def _actions(read, doc, statuses, roles, level_ids) -> dict[str, Action]:
    entries = read.items(doc, "actions", "the workflow")
    read.unique(entries, "action")
    actions = {}
    for entry in entries:
        what = f"action '{entry['id']}'"
        sources = entry.get("from")
        if not isinstance(sources, list) or not sources:
            raise read.fail(f"{what} has no source ('from')", entry.line_of("from"))
        read.known(sources, {*statuses, "any"}, what, "status")
        to = read.mapping(entry, "to", what)
        to_status = to.get("status", "same")
        if to_status != "same" and to_status not in statuses:
            raise read.fail(f"{what} names unknown status '{to_status}'", to.line_of("status"))
        to_level = to.get("level", "same")
        if to_level not in LEVEL_MOVES:
            raise read.fail(f"{what} names unknown level move '{to_level}'", to.line_of("level"))
        at = entry.get("at")
        at_levels = None if at is None else read.known(at, level_ids, what, "level")
        targets = read.items(entry, "target_levels", what, optional=to_level != "target_level")
        needs = read.items(entry, "needs", what, optional=True)
        actions[entry["id"]] = Action(
            id=entry["id"], name=read.names(entry, what), from_statuses=tuple(sources),
            at_levels=at_levels, to_level=to_level, to_status=to_status,
            target_levels=read.known(targets, level_ids, what, "level"),
            roles=read.known(read.items(entry, "roles", what), {*roles, "unit", "any"}, what,
                             "role"),
            needs=read.known(needs, FIELDS, what, "field"),
            once_per_level=bool(entry.get("once_per_level", False)),
        )
    return actions


def _choices(read: _Reader, doc: LineDict) -> dict[str, tuple[str, ...]]:
    section = read.mapping(doc, "choices", "the workflow")
    choices = {key: tuple(read.items(section, key, "choices"))
               for key in ("outcome", "agency", "satisfaction", "satisfied")}
    read.known(section["satisfied"], choices["satisfaction"], "choices 'satisfied'",
               "satisfaction")
    return choices


def _dates(read: _Reader, calendar: LineDict, key: str) -> tuple[date, ...]:
    values = read.items(calendar, key, "calendar", optional=True)
    for index, value in enumerate(values):
        if not isinstance(value, date):
            raise read.fail(f"calendar '{key}' has '{value}', not a YYYY-MM-DD date",
                            values.line_of(index))
    return tuple(values)


def _quiet_hours(read: _Reader, doc: LineDict) -> QuietHours | None:
    if doc.get("quiet_hours") is None:
        return None
    section = read.mapping(doc, "quiet_hours", "the workflow")

    def clock(key: str) -> time:
        value = section.get(key)
        # Unquoted, YAML 1.1 reads 22:00 as the number 1320 (base 60): insist on quotes.
        match = CLOCK_TIME.match(value) if isinstance(value, str) else None
        if match is None:
            raise read.fail(f"quiet_hours needs '{key}' as a quoted time such as '22:00'",
                            section.line_of(key))
        return time(int(match[1]), int(match[2]))

    zone = str(section.get("timezone", "Asia/Shanghai"))
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise read.fail(f"quiet_hours names unknown timezone '{zone}'",
                        section.line_of("timezone")) from None
    exempt = read.items(section, "except_urgency", "quiet_hours", optional=True)
    return QuietHours(start=clock("start"), end=clock("end"), timezone=zone,
                      except_urgency=read.known(exempt, URGENCIES, "quiet_hours", "urgency"))


def _closing_day(read: _Reader, doc: LineDict) -> int:
    """``reports: {closing_day: N}``: the day of the next month on which a month closes."""
    section = read.mapping(doc, "reports", "the workflow", optional=True)
    for key in section:
        if key not in REPORT_KEYS:
            raise read.fail(f"reports has unknown key '{key}'", section.line_of(key))
    day = section.get("closing_day", DEFAULT_CLOSING_DAY)
    if isinstance(day, bool) or not isinstance(day, int) or day not in CLOSING_DAYS:
        raise read.fail(f"reports: 'closing_day' must be a day from 1 to 28, not '{day}'",
                        section.line_of("closing_day"))
    return day


def _check_actions_have_sources(read: _Reader, doc: LineDict, workflow: Workflow) -> None:
    used = {action for action, _, _ in workflow.transitions}
    for entry in doc["actions"]:
        if entry["id"] not in used:
            raise read.fail(f"action '{entry['id']}' has no source: no level has a status "
                            "it starts from and one it leads to", entry.line_of("from"))


def _check_reachable(read: _Reader, doc: LineDict, workflow: Workflow) -> None:
    """Every status of every level must be reachable from a way a case can enter."""
    entries = {workflow.state(lv.id, "pending") for lv in workflow.levels}
    entries |= {workflow.state(lv.id, "resolved") for lv in workflow.levels
                if "resolved" in lv.statuses}
    reached, frontier = set(entries), list(entries)
    while frontier:
        state = frontier.pop()
        for _, source, dest in workflow.transitions:
            if source == state and dest not in reached:
                reached.add(dest)
                frontier.append(dest)
    for level_entry in doc["levels"]:
        listed = level_entry["statuses"]
        for index, status in enumerate(listed):
            if workflow.state(level_entry["id"], status) not in reached:
                raise read.fail(f"status '{status}' of level '{level_entry['id']}' cannot be "
                                "reached by any action", listed.line_of(index))
