"""The workflow as text for people: a Mermaid state diagram and a plain description.

Drawn from the loaded data, never from a GraphMachine (PITFALLS.md: it leaks per request)."""

from __future__ import annotations

from casework.workflow.model import Workflow


def _node(state: str) -> str:
    return state.replace(".", "__")


def mermaid(workflow: Workflow, locale: str = "zh_CN") -> str:
    """A ``stateDiagram-v2``: one node per level and status, one arrow per action.

    Actions that keep a case where it is (note, extend) would only add loops; they are listed in
    the workflow description instead."""
    lines = ["stateDiagram-v2"]
    for level in workflow.levels:
        for status in level.statuses:
            label = f"{level.name.get(locale)}: {workflow.statuses[status].name.get(locale)}"
            lines.append(f'    state "{label}" as {_node(workflow.state(level.id, status))}')
    entry = workflow.state(workflow.default_start_level, "pending")
    lines.append(f"    [*] --> {_node(entry)}")
    for channel_level in sorted(set(workflow.channel_start_levels.values())):
        lines.append(f"    [*] --> {_node(workflow.state(channel_level, 'pending'))}")
    emergency = workflow.state(workflow.emergency_start_level, "pending")
    if emergency != entry:
        lines.append(f"    [*] --> {_node(emergency)}")
    seen = set()
    for action_id, source, dest in workflow.transitions:
        if source == dest or (action_id, source, dest) in seen:
            continue
        seen.add((action_id, source, dest))
        name = workflow.actions[action_id].name.get(locale)
        lines.append(f"    {_node(source)} --> {_node(dest)}: {name}")
    return "\n".join(lines) + "\n"


def describe(workflow: Workflow) -> dict:
    """The loaded workflow as plain data (the API's ``GET /workflow``)."""
    return {
        "name": workflow.name,
        "levels": [
            {
                "id": level.id, "name": {"zh": level.name.zh, "en": level.name.en},
                "unit": level.unit, "roles": list(level.roles), "statuses": list(level.statuses),
                "deadline": ({"working_days": level.working_days} if level.working_days
                             else {"hours": level.hours}),
                "urgent_working_days": workflow.working_days(level.id, "urgent"),
                "auto_escalate_overdue": level.auto_escalate_overdue,
            }
            for level in workflow.levels
        ],
        "statuses": [
            {"id": s.id, "name": {"zh": s.name.zh, "en": s.name.en}, "concluded": s.concluded,
             "clock": "running" if s.clock_running else "stopped"}
            for s in workflow.statuses.values()
        ],
        "roles": [
            {"id": r.id, "name": {"zh": r.name.zh, "en": r.name.en}, "scope": r.scope,
             "sees_cases": r.sees_cases, "reads_reports": r.reads_reports}
            for r in workflow.roles.values()
        ],
        "actions": [
            {"id": a.id, "name": {"zh": a.name.zh, "en": a.name.en}, "from": list(a.from_statuses),
             "at": list(a.at_levels) if a.at_levels else None,
             "to": {"level": a.to_level, "status": a.to_status},
             "target_levels": list(a.target_levels), "roles": list(a.roles), "needs": list(a.needs),
             "once_per_level": a.once_per_level}
            for a in workflow.actions.values()
        ],
        "transitions": [
            {"action": action, "from": source, "to": dest}
            for action, source, dest in workflow.transitions
        ],
        "emergency": {"hours": workflow.emergency_hours,
                      "start_level": workflow.emergency_start_level},
        "choices": {key: list(values) for key, values in workflow.choices.items()},
        "reports": {"closing_day": workflow.closing_day},
        "risk": None if workflow.risk is None else {
            "levels": {"medium": workflow.risk.medium, "high": workflow.risk.high},
            "questions": [{"id": q.id, "text": {"zh": q.text.zh, "en": q.text.en},
                           "weight": q.weight, "lethal": q.lethal}
                          for q in workflow.risk.questions]},
    }
