"""The forms of the case page's protective measures: one to start each kind of measure, and
for each measure of the case one per stage that may follow its current one (DESIGN.md,
"Protective measures"; the rules are casework/lifecycle/measure_rules.py)."""

from __future__ import annotations

from casework.lifecycle.measure_rules import MEASURES, TEXT_FIELDS


def _form(measure: str, stage: str, measure_id: int | None) -> dict:
    spec = MEASURES[measure][stage]
    return {"key": f"measure-{measure}-{stage}-{measure_id or 'new'}", "measure": measure,
            "stage": stage, "measure_id": measure_id,
            "fields": [(name, "text" if name in TEXT_FIELDS else "date") for name in spec.fields]}


def measure_forms(case: dict) -> dict:
    """``{"new": [form, ...], ID: [form, ...]}``: the forms that start a measure, and those
    that move each of the case's measures on."""
    found: dict = {"new": [_form(measure, stage, None) for measure, stages in MEASURES.items()
                           for stage, spec in stages.items() if not spec.after]}
    for measure in case.get("measures", []):
        found[measure["id"]] = [
            _form(measure["measure"], stage, measure["id"])
            for stage, spec in MEASURES[measure["measure"]].items()
            if measure["stage"] in spec.after]
    return found
