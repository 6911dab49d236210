"""The danger assessment (危险性评估) as data: ``risk:`` in workflows.yaml.

Yes/no questions in the spirit of Campbell's Danger Assessment, each with a weight; the score is
the sum of the weights answered yes, and the level follows the file's thresholds.  A ``lethal``
item answered yes (threats to kill, strangling, a weapon) makes the level ``high`` whatever the
score: those are the strongest predictors of intimate-partner homicide, and a caller who names one
must not be lost in an average.
"""

from __future__ import annotations

from dataclasses import dataclass

from casework.errors import Invalid
from casework.workflow.model import Names

LEVELS = ("low", "medium", "high")


@dataclass(frozen=True)
class RiskQuestion:
    id: str
    text: Names
    weight: int
    lethal: bool


@dataclass(frozen=True)
class RiskScreen:
    questions: tuple[RiskQuestion, ...]
    medium: int  # the score from which a case is medium risk
    high: int  # ... and high risk

    def assess(self, answers: object, field: str = "answers") -> tuple[dict[str, bool], int, str]:
        """The checked answers, the score and the level; Invalid naming each missing, unknown
        or non-boolean answer (``answers.ID``)."""
        if not isinstance(answers, dict):
            raise Invalid({field: "an object of question id: true or false"})
        known = {question.id for question in self.questions}
        errors = {f"{field}.{key}": "no such question"
                  for key in answers if key not in known}
        for question in self.questions:
            value = answers.get(question.id)
            if question.id not in answers:
                errors[f"{field}.{question.id}"] = "required: true or false"
            elif not isinstance(value, bool):
                errors[f"{field}.{question.id}"] = "must be true or false"
        if errors:
            raise Invalid(errors)
        checked = {question.id: answers[question.id] for question in self.questions}
        score = sum(q.weight for q in self.questions if checked[q.id])
        lethal = any(checked[q.id] for q in self.questions if q.lethal)
        if lethal or score >= self.high:
            level = "high"
        elif score >= self.medium:
            level = "medium"
        else:
            level = "low"
        return checked, score, level


def read_risk(read, doc) -> RiskScreen | None:
    """The ``risk`` section checked (``read`` is the loader's reader, whose errors name the
    line); None when the file has none."""
    if doc.get("risk") is None:
        return None
    section = read.mapping(doc, "risk", "the workflow")
    entries = read.items(section, "questions", "risk")
    read.unique(entries, "risk question")
    questions = []
    for entry in entries:
        what = f"risk question '{entry['id']}'"
        text = read.mapping(entry, "text", what)
        zh, en = text.get("zh"), text.get("en")
        if not isinstance(zh, str) or not isinstance(en, str) or not zh or not en:
            raise read.fail(f"{what} needs a text with 'zh' and 'en'", text.line)
        lethal = entry.get("lethal", False)
        if not isinstance(lethal, bool):
            raise read.fail(f"{what}: 'lethal' must be true or false", entry.line_of("lethal"))
        questions.append(RiskQuestion(id=entry["id"], text=Names(zh=zh, en=en),
                                      weight=read.positive_int(entry, "weight", what),
                                      lethal=lethal))
    levels = read.mapping(section, "levels", "risk")
    for key in levels:
        if key not in ("medium", "high"):
            raise read.fail(f"risk levels names unknown level '{key}' (medium, high)",
                            levels.line_of(key))
    medium = read.positive_int(levels, "medium", "risk levels")
    high = read.positive_int(levels, "high", "risk levels")
    if high <= medium:
        raise read.fail("risk levels: 'high' must be above 'medium'", levels.line_of("high"))
    if high > sum(q.weight for q in questions) and not any(q.lethal for q in questions):
        raise read.fail("risk levels: 'high' cannot be reached by any answers",
                        levels.line_of("high"))
    return RiskScreen(questions=tuple(questions), medium=medium, high=high)
