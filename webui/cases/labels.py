"""What people read instead of the codes: vocabulary labels (translated through Flask-Babel),
the workflow's own names in the page's language, and times in Beijing time.

The codes stay the contract (forms post them); only their display lives here."""

from __future__ import annotations

from datetime import datetime

from flask_babel import format_datetime, format_decimal, get_locale, gettext
from flask_babel import lazy_gettext as _l

from casework import vocabulary
from casework.lifecycle.case_lists import OPEN_STATUSES
from webui.context import casework


class _Label:
    """A vocabulary label (casework/vocabulary.py) read in the page's language when shown."""

    def __init__(self, kind: str, value: str) -> None:
        self.kind, self.value = kind, value

    def __str__(self) -> str:
        return vocabulary.label(self.kind, self.value, locale())

    __html__ = __str__


VOCABULARY = {kind: {value: _Label(kind, value) for value in values}
              for kind, values in vocabulary.LABELS.items()}
FIELDS = {
    "note": _l("Note"), "reason": _l("Reason"), "outcome": _l("Outcome"),
    "agency": _l("Agency"), "target_level": _l("Assign to"), "days": _l("Working days"),
    "satisfaction": _l("Satisfaction"), "channel": _l("Channel"),
    "on_the_spot": _l("Resolved on the spot"), "version": _l("Version"),
    "action": _l("Action"), "attachment": _l("Attachment"), "sha256": "SHA-256",
    "size": _l("Size"), "content_type": _l("Type"), "file": _l("File"),
    "answers": _l("Answered yes"), "score": _l("Score"), "level": _l("Risk level"),
    "urgency": _l("Urgency"), "urgency_was": _l("Urgency before"),
    "risk_answers": _l("Danger assessment"),
    "measure": _l("Measure"), "stage": _l("Stage"), "measure_id": _l("Measure number"),
    "on": _l("Date"), "authority": _l("Issued or received by"), "court": _l("Court"),
    "valid_until": _l("Valid until"), "place": _l("Place"),
    "decide_by": _l("Court to decide by"), "ends_at": _l("Order ends"),
}
# Events the system or the intake records; the workflow's actions carry their own names.
EVENTS = {"intake": _l("Received"), "warn": _l("Deadline near"), "overdue": _l("Overdue"),
          "view_phone": _l("Full phone number viewed"),
          "measure_overdue": _l("Protection order undecided past the legal time"),
          "order_expiring": _l("Protection order ends within 7 days"),
          "attach": _l("Evidence added"), "view_attachment": _l("Evidence opened")}


def locale() -> str:
    return str(get_locale() or "zh_CN")


def label(kind: str, value) -> str:
    """The label of a vocabulary value; an unknown value (a new YAML choice) shows as itself."""
    if value in (None, ""):
        return ""
    return vocabulary.label(kind, str(value), locale())


def field_label(name: str) -> str:
    return str(FIELDS.get(name, name.replace("_", " ")))


def level_name(level_id: str | None) -> str:
    workflow = casework().workflow
    if not level_id or not workflow.has_level(level_id):
        return level_id or ""
    return workflow.level(level_id).name.get(locale())


def status_name(status_id: str | None) -> str:
    status = casework().workflow.statuses.get(status_id or "")
    return status.name.get(locale()) if status else (status_id or "")


def action_name(action_id: str) -> str:
    action = casework().workflow.actions.get(action_id)
    if action is not None:
        return action.name.get(locale())
    return str(EVENTS.get(action_id, action_id.replace("_", " ")))


def data_value(key: str, value) -> str:
    """An event's data value as people read it."""
    if key == "target_level":
        return level_name(value)
    if key == "answers" and isinstance(value, dict):
        return question_texts([name for name, yes in value.items() if yes]) or str(_l("none"))
    if key == "level":
        return label("risk", value)
    if key in ("decide_by", "ends_at"):
        return local_time(value)
    if key in ("urgency", "urgency_was"):
        return label("urgency", value)
    if key == "size" and isinstance(value, int):
        return file_size(value)
    if key == "attachment":
        return f"#{value}"
    if key in VOCABULARY:
        return label(key, value)
    if isinstance(value, bool):
        return str(_l("yes") if value else _l("no"))
    return str(value)


def question_texts(ids: list[str]) -> str:
    """The danger assessment's questions ``ids`` in the page's language, joined."""
    screen = casework().workflow.risk
    texts = {q.id: q.text.get(locale()) for q in screen.questions} if screen else {}
    return "；".join(texts.get(qid, qid) for qid in ids)


def file_size(size: int) -> str:
    """820 KB, 4.5 MB: an attachment's size as people say it."""
    if size < 1024 * 1024:
        return gettext("%(num)s KB", num=format_decimal(max(1, round(size / 1024))))
    return gettext("%(num)s MB", num=format_decimal(round(size / 1024 / 1024, 1)))


def file_kind(content_type: str) -> str:
    if content_type.startswith("image/"):
        return gettext("Photo")
    if content_type.startswith("audio/"):
        return gettext("Recording")
    return gettext("Document")


def core_text(message) -> str:
    """A message of the core (English, maybe quoting what the user typed) in the page's
    language where the catalog has it.  Never %-formatted, unlike ``_()`` in a template."""
    return gettext(message) if isinstance(message, str) else str(message)


def local_time(value, pattern: str = "yyyy-MM-dd HH:mm") -> str:
    """An ISO time or aware datetime in Beijing time (BABEL_DEFAULT_TIMEZONE)."""
    if not value:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return format_datetime(moment, pattern)


def register(app) -> None:
    app.jinja_env.globals.update(
        label=label, field_label=field_label, level_name=level_name, status_name=status_name,
        action_name=action_name, data_value=data_value, page_locale=locale,
        core_text=core_text, open_statuses=OPEN_STATUSES, file_size=file_size,
        file_kind=file_kind)
    app.jinja_env.filters["local_time"] = local_time
