"""The API's vocabularies: every fixed set of values a request may carry, with their names in
Chinese and English, for ``GET /api/v1/workflow`` (DESIGN.md, "Set-up with nothing exported").

An integrator builds a form, or checks a value, from this list instead of copying DESIGN.md; the
OpenAPI document (openapi_schemas.py) carries the same values as enums."""

from __future__ import annotations

from flask_babel import force_locale

from casework.vocabulary import AGE_GROUPS, CATEGORIES, CHANNELS, GENDERS, URGENCIES
from casework.workflow import Workflow
from webui.cases.labels import VOCABULARY

LOCALES = {"zh": "zh_CN", "en": "en"}
# The fields whose values a request names: those of the core, then those of workflows.yaml.
FIXED = {"channel": CHANNELS, "category": CATEGORIES, "urgency": URGENCIES, "gender": GENDERS,
         "age_group": AGE_GROUPS}
CHOSEN = ("outcome", "agency", "satisfaction")


def _labelled(kind: str, values) -> list[dict]:
    names = {}
    for short, locale in LOCALES.items():
        with force_locale(locale):
            names[short] = {value: str(VOCABULARY.get(kind, {}).get(value, value))
                            for value in values}
    return [{"id": value, "name": {short: names[short][value] for short in LOCALES}}
            for value in values]


def vocabularies(workflow: Workflow) -> dict[str, list[dict]]:
    """kind -> [{id, name: {zh, en}}], in the order forms show them."""
    found = {kind: _labelled(kind, values) for kind, values in FIXED.items()}
    found |= {kind: _labelled(kind, workflow.choices[kind]) for kind in CHOSEN}

    def named(items) -> list[dict]:
        return [{"id": item.id, "name": {"zh": item.name.zh, "en": item.name.en}}
                for item in items]

    found["level"] = named(workflow.levels)
    found["status"] = named(workflow.statuses.values())
    found["action"] = named(workflow.actions.values())
    found["role"] = named(workflow.roles.values())
    assign = workflow.actions.get("assign")
    found["target_level"] = [level for level in found["level"]
                             if assign and level["id"] in assign.target_levels]
    return found
