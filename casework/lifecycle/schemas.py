"""Validated input: plain (non-table) models, so bad input becomes per-field errors.

Field names in errors are dotted paths of the JSON body (``petitioner.phone``)."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from casework.errors import Invalid
from casework.vocabulary import AGE_GROUPS, CATEGORIES, CHANNELS, GENDERS, URGENCIES, one_of

QUOTED = re.compile(r"'([^']*)'")  # the values in pydantic's "'', 'a', 'b' or 'c'"
PHONE = re.compile(r"^\+?[0-9][0-9 \-]{4,22}[0-9]$")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _text(value: str) -> str:
    if CONTROL.search(value):
        raise ValueError("contains control characters")
    return value.strip()


def normalize_phone(value: str) -> str:
    """Digits only (and a leading +), so 138-1234-5678 and 13812345678 are one caller."""
    value = value.strip()
    if not PHONE.match(value):
        raise ValueError("not a phone number")
    return ("+" if value.startswith("+") else "") + re.sub(r"\D", "", value)


def normalize_id_number(value: str) -> str:
    """A resident ID number (居民身份证号码): 18 characters whose last is a check digit (or X,
    ISO 7064 MOD 11-2), or the 15 digits of the first-generation card.  A typo fails here,
    not months later at the legal-aid office."""
    value = value.strip().upper()
    if re.fullmatch(r"[0-9]{15}", value):
        return value
    if not re.fullmatch(r"[0-9]{17}[0-9X]", value):
        raise ValueError("not a resident ID number (18 characters, the last a digit or X)")
    total = sum(int(digit) * (2 ** (17 - i) % 11) for i, digit in enumerate(value[:17]))
    if "10X98765432"[total % 11] != value[17]:
        raise ValueError("the ID number's check digit does not match: a typo?")
    return value


class Strict(BaseModel):
    # Strip first, so a summary of spaces is as empty as no summary.
    model_config = ConfigDict(extra="forbid", str_max_length=20000, str_strip_whitespace=True)


class PetitionerIn(Strict):
    name: str = Field(default="", max_length=100)
    phone: str = Field(default="", max_length=32)
    id_number: str = Field(default="", max_length=18)
    gender: Literal[("", *GENDERS)] = ""  # type: ignore[valid-type]
    age_group: Literal[("", *AGE_GROUPS)] = ""  # type: ignore[valid-type]

    _name = field_validator("name")(lambda cls, v: _text(v))

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str) -> str:
        return normalize_phone(value) if value.strip() else ""

    @field_validator("id_number")
    @classmethod
    def _id_number(cls, value: str) -> str:
        return normalize_id_number(value) if value.strip() else ""


class ResolveNow(Strict):
    outcome: str
    note: str = Field(min_length=1, max_length=5000)

    _note = field_validator("note")(lambda cls, v: _text(v))


class CaseCreate(Strict):
    channel: Literal[CHANNELS]  # type: ignore[valid-type]
    village_code: str = Field(pattern=r"^[0-9]{12}$")
    category: Literal[CATEGORIES]  # type: ignore[valid-type]
    urgency: Literal[URGENCIES] = "normal"  # type: ignore[valid-type]
    summary: str = Field(min_length=1, max_length=5000)
    petitioner: PetitionerIn = Field(default_factory=PetitionerIn)
    received_at: datetime | None = None
    start_level: str | None = None
    resolve_now: ResolveNow | None = None
    # A danger assessment made during the call: {question id: true/false} (risk.py checks it).
    risk_answers: dict[str, object] | None = None

    _summary = field_validator("summary")(lambda cls, v: _text(v))


DAY = re.compile(r"(20[0-9]{2}|2100)-[0-9]{2}-[0-9]{2}")


def whole_number(value: str, digits: int = 7) -> int | None:
    """ASCII digits only: str.isdigit() also takes '²', which int() then refuses."""
    return int(value) if re.fullmatch(rf"[0-9]{{1,{digits}}}", value) else None


def parse_day(value: str) -> date | None:
    """A plain YYYY-MM-DD from 2000 to 2100 (fromisoformat alone takes '2026-W01-1' too)."""
    if not DAY.fullmatch(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def parse(model: type[BaseModel], data: object):
    """``model`` validated from ``data``, or ``Invalid`` naming every bad field."""
    if not isinstance(data, dict):
        raise Invalid({"body": "expected a JSON object"})
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        fields: dict[str, str] = {}
        allowed: dict[str, list[str]] = {}
        for error in exc.errors():
            path = ".".join(str(part) for part in error["loc"] if not isinstance(part, int))
            path = path.split(".function-after")[0] or "body"
            fields.setdefault(path, _message(error))
            if error["type"] == "literal_error":
                allowed.setdefault(path, QUOTED.findall(error["ctx"]["expected"]))
        raise Invalid(fields, allowed=allowed) from None


def _message(error: dict) -> str:
    kind = error["type"]
    if kind == "missing":
        return "required"
    if kind == "extra_forbidden":
        return "unknown field"
    if kind == "literal_error":
        return one_of(QUOTED.findall(error["ctx"]["expected"]))
    if kind == "string_pattern_mismatch":
        return "must be a 12-digit village code"
    return str(error["msg"]).removeprefix("Value error, ")
