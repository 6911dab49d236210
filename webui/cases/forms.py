"""The hotline intake form.  Field names are the contract of DESIGN.md ("Web pages"): the API's
intake fields, with the petitioner's flattened (``petitioner_phone``).

The form checks only what a person can fix at a glance (required, length); every rule of a
petition is the core's (``casework.lifecycle.intake``), whose ``Invalid.fields`` come back here by
name."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from casework.vocabulary import AGE_GROUPS, CATEGORIES, CHANNELS, GENDERS, URGENCIES
from casework.workflow import Workflow
from webui.cases.labels import VOCABULARY

REQUIRED = _l("Required.")


def _strip(value):
    """A summary of spaces is as empty as no summary."""
    return value.strip() if isinstance(value, str) else value


def _choices(kind: str, values, blank=None) -> list[SelectChoice]:
    first = [SelectChoice("", blank)] if blank is not None else []
    return first + [SelectChoice(value, VOCABULARY[kind].get(value, value)) for value in values]


class IntakeForm(FlaskForm):
    petitioner_phone = StringField(_l("Caller's phone"), filters=[_strip],
                                   validators=[Optional(), Length(max=32)])
    petitioner_name = StringField(_l("Name"), filters=[_strip],
                                  validators=[Optional(), Length(max=100)])
    petitioner_id_number = StringField(_l("ID number"), filters=[_strip],
                                       validators=[Optional(), Length(max=18)])
    village_code = StringField(_l("Village"), filters=[_strip],
                               validators=[DataRequired(REQUIRED), Length(max=50)])
    category = SelectField(_l("Category"), validators=[InputRequired(REQUIRED)],
                           choices=_choices("category", CATEGORIES, _l("Choose…")))
    urgency = SelectField(_l("Urgency"), default="normal",
                          choices=_choices("urgency", URGENCIES))
    summary = TextAreaField(_l("What she asks for"), filters=[_strip],
                            validators=[DataRequired(REQUIRED), Length(max=5000)])
    channel = SelectField(_l("Channel"), default="hotline_12338",
                          choices=_choices("channel", CHANNELS))
    start_level = SelectField(_l("Send to"), validators=[Optional()])
    petitioner_gender = SelectField(_l("Gender"), validators=[Optional()],
                                    choices=_choices("gender", GENDERS, _l("Not asked")))
    petitioner_age_group = SelectField(_l("Age"), validators=[Optional()],
                                       choices=_choices("age_group", AGE_GROUPS, _l("Not asked")))
    # A letter read after a holiday, a message taken down on paper: when it reached the
    # federation, which decides the month it counts in.  Beijing time, as on every paper form.
    received_at = DateTimeLocalField(_l("Received at (if not now)"), validators=[Optional()],
                                     format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"])
    resolve_now = BooleanField(_l("Resolved on the spot (a consultation answered now)"))
    resolve_now_outcome = SelectField(_l("Outcome"), validators=[Optional()])
    resolve_now_note = TextAreaField(_l("What was advised"), filters=[_strip],
                                     validators=[Optional(), Length(max=5000)])
    # The questions themselves come from workflows.yaml (``risk_ID`` checkboxes of the page).
    risk_assess = BooleanField(_l("A danger assessment was made on this call"))
    risk_answers_error: str | None = None

    def use_workflow(self, workflow: Workflow, locale: str) -> None:
        """Choices that come from workflows.yaml: its levels and its outcomes."""
        default = workflow.level(workflow.default_start_level).name.get(locale)
        self.start_level.choices = [
            SelectChoice("", _l("As the workflow says (%(level)s)", level=default)),
            *(SelectChoice(level.id, level.name.get(locale)) for level in workflow.levels)]
        self.resolve_now_outcome.choices = _choices(
            "outcome", workflow.choices["outcome"], _l("Choose…"))

    def risk_answers(self, workflow: Workflow, formdata) -> dict[str, bool] | None:
        """The assessment's answers: every question, ticked or not, when the operator said an
        assessment was made or ticked any question (a lethal yes is never dropped)."""
        if workflow.risk is None:
            return None
        answers = {q.id: bool(formdata.get(f"risk_{q.id}")) for q in workflow.risk.questions}
        if not self.risk_assess.data and not any(answers.values()):
            return None
        return answers

    def body(self, village_code: str, risk_answers: dict | None = None) -> dict:
        """The API's intake body (DESIGN.md "POST /cases") from the form."""
        body: dict = {
            "channel": self.channel.data, "village_code": village_code,
            "category": self.category.data, "urgency": self.urgency.data,
            "summary": self.summary.data or "",
            "petitioner": {"name": self.petitioner_name.data or "",
                           "phone": self.petitioner_phone.data or "",
                           "id_number": self.petitioner_id_number.data or "",
                           "gender": self.petitioner_gender.data or "",
                           "age_group": self.petitioner_age_group.data or ""},
        }
        if self.start_level.data:
            body["start_level"] = self.start_level.data
        if self.received_at.data:
            body["received_at"] = self.received_at.data.isoformat()
        if risk_answers is not None:
            body["risk_answers"] = risk_answers
        if self.resolve_now.data:
            body["resolve_now"] = {"outcome": self.resolve_now_outcome.data or "",
                                   "note": self.resolve_now_note.data or ""}
        return body

    def add_errors(self, fields: dict[str, str]) -> list[str]:
        """Put the core's per-field messages beside the form's fields (``petitioner.phone`` is
        ``petitioner_phone``); returns the ones no field of the form owns."""
        unplaced = []
        for name, message in fields.items():
            if name.startswith("risk_answers"):
                self.risk_answers_error = f"{name}: {message}"
                continue
            field = self._fields.get(name.replace(".", "_"))
            if field is None or name == "csrf_token":
                unplaced.append(f"{name}: {message}")
            else:
                field.errors = [*field.errors, message]
        return unplaced
