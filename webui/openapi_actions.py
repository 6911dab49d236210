"""The body of ``POST /api/v1/cases/{number}/actions`` in the OpenAPI document: one schema per
action of workflows.yaml, chosen by ``action`` (a ``oneOf`` with a discriminator), so that a
generated client cannot build a body the server refuses for its shape.

Each action's schema says what casework/lifecycle/actions.py reads for it: the fields it
``needs`` (required, with their enums and bounds), an optional ``note``, and for ``assess`` and
``measure`` their answers and stages.  Every other field of the action body may be sent and is
not read, whatever it holds (one form may send the same shape for every action); the schema
lists it as such rather than as a typed field.  Refusals that depend on data (a stage that
cannot follow the measure's current one, a date in the future) stay 422 or 409, documented in
docs/api.md.
"""

from __future__ import annotations

from casework.lifecycle.actions import BODY_KEYS, MAX_EXTENSION_DAYS
from casework.lifecycle.measure_rules import MEASURES, STAGE_FIELDS, TEXT_FIELDS, TEXT_LIMIT
from casework.workflow import Workflow

NO_CONTROL = "[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f]"
TEXT = {"type": "string", "maxLength": 5000, "pattern": f"^{NO_CONTROL}*$"}
# A needed text: at least one character that is not a space (the server strips it first).
FILLED = {"type": "string", "minLength": 1, "maxLength": 5000,
          "pattern": f"^{NO_CONTROL}*[^\\s\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f"
                     f"\\u007f]{NO_CONTROL}*$"}
# Forms send numbers as text: "5" (and "05", three digits at most) is read as 5.  The text's
# pattern spells out 1 to 30 (tests/e2e/test_action_schema.py checks it against the bound).
DAYS = {"anyOf": [{"type": "integer", "minimum": 1, "maximum": MAX_EXTENSION_DAYS},
                  {"type": "string", "pattern": "^(0?0?[1-9]|0?[12][0-9]|0?30)$"}],
        "description": f"working days, 1 to {MAX_EXTENSION_DAYS}"}
NOT_READ = {"description": "not read by this action: may be sent, and is ignored whatever it "
                           "holds"}
EMPTY = {"type": "string", "enum": ["", None], "nullable": True,
         "description": "not a field of this stage: leave it out, empty or null"}
# What Python's str.strip() takes away, spelled out: regex engines disagree on \s.
SPACE = "[\\s\\u001c-\\u001f\\u0085]"
DAY = {"type": "string", "pattern": f"^{SPACE}*[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}{SPACE}*$",
       "example": "2026-09-29"}
STAGE_TEXT = {"type": "string", "maxLength": TEXT_LIMIT, "minLength": 1,
              "pattern": "^[^\\u0000-\\u001f\\u007f]*[^\\s\\u0000-\\u001f\\u007f]"
                         "[^\\u0000-\\u001f\\u007f]*$"}
MEASURE_ID = {"anyOf": [{"type": "integer", "minimum": 1},
                        {"type": "string", "pattern": f"^{SPACE}*[0-9]{{1,9}}{SPACE}*$"}],
              "description": "the measure this stage follows (the id GET /cases/{number} "
                             "gives); 422 when the case has no such measure"}


def schema_name(action: str) -> str:
    """``extend`` -> ``ExtendAction``: the component of one action's body."""
    return "".join(part.capitalize() for part in action.split("_")) + "Action"


def action_schemas(wf: Workflow) -> dict:
    """``ActionRequest`` (the oneOf) and one component per action."""
    answers = _answers(wf)
    parts = {schema_name(action.id): _action(wf, action, answers)
             for action in wf.actions.values()}
    return {"ActionRequest": {
        "oneOf": [{"$ref": f"#/components/schemas/{name}"} for name in parts],
        "discriminator": {"propertyName": "action", "mapping": {
            action: f"#/components/schemas/{schema_name(action)}" for action in wf.actions}},
        "description": "One action on a case: ``action`` chooses the fields that are read "
                       "(docs/api.md, docs/cases.md)."}, **parts}


def _action(wf: Workflow, action, answers: dict) -> dict:
    needs = set(action.needs)
    read = {"action": {"type": "string", "enum": [action.id]},
            "version": {"type": "integer", "description": "the version of the case you are "
                                                         "looking at"},
            "note": FILLED if "note" in needs else {**TEXT, "nullable": True}}
    for name in needs - {"note", "answers", "measure", "stage"}:
        read[name] = _needed(wf, name)
    if "answers" in needs:
        read["answers"] = answers
    body = {"type": "object", "additionalProperties": False,
            "required": ["action", "version", *sorted(needs - {"measure", "stage"})],
            "properties": {**{name: NOT_READ for name in sorted(BODY_KEYS)}, **read},
            "description": action.name.en}
    if "measure" in needs:
        # Which fields a measure needs depends on its kind and stage: one schema for each.
        return {"oneOf": [_measure_stage(body, kind, stage, spec)
                          for kind, stages in MEASURES.items()
                          for stage, spec in stages.items()],
                "description": action.name.en}
    return body


def _needed(wf: Workflow, name: str) -> dict:
    if name == "days":
        return DAYS
    if name == "target_level":
        assign = wf.actions.get("assign")
        return {"type": "string", "enum": list(assign.target_levels if assign else ())}
    if name in wf.choices:
        return {"type": "string", "enum": list(wf.choices[name])}
    return FILLED  # reason


def _answers(wf: Workflow) -> dict:
    questions = [q.id for q in wf.risk.questions] if wf.risk else []
    return {"type": "object", "additionalProperties": False, "required": questions,
            "properties": {qid: {"type": "boolean"} for qid in questions},
            "description": "every question of the danger assessment, true or false"}


def _measure_stage(body: dict, kind: str, stage: str, spec) -> dict:
    """The body of one stage of one measure: its own fields required, the others empty."""
    fields = {name: (STAGE_TEXT if name in TEXT_FIELDS else
                     {**DAY, "description": "not in the future" if name == "on" else
                      "at most 6 months after the grant"})
              if name in spec.fields else EMPTY for name in STAGE_FIELDS}
    properties = {**body["properties"], **fields,
                  "measure": {"type": "string", "enum": [kind]},
                  "stage": {"type": "string", "enum": [stage]},
                  "measure_id": MEASURE_ID if spec.after else EMPTY}
    required = [*body["required"], "measure", "stage", *spec.fields]
    if spec.after:
        required.append("measure_id")
    return {**body, "properties": properties, "required": required,
            "description": f"{kind}: {stage}"}
