"""Reading cases: one case as the API and pages show it, with its timeline, a caller's cases.
The worklist and the list's filters are in case_lists.py.

Lists show phones masked; a full phone is shown only through ``reveal_phone``, which is itself
recorded as an event (petitioners are survivors; every full view leaves a trace)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from casework.bootstrap import Casework
from casework.errors import Invalid, NotFound
from casework.lifecycle.events import append, current_deadline, new_event
from casework.lifecycle.intake import case_by_number
from casework.lifecycle.measures import measures_json
from casework.lifecycle.schemas import normalize_phone
from casework.people.access import Actor, allowed_actions, check_visible, visible_filter
from casework.privacy.crypto import Keyring
from casework.privacy.masks import mask_id_number, mask_phone
from casework.privacy.narratives import open_data, open_note, open_summary
from casework.privacy.petitioners import PetitionerData, open_petitioner, with_phone
from casework.storage.db import reading, utcnow, writing
from casework.storage.models import Case, Event, Petitioner


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def case_json(case: Case, petitioner: PetitionerData, keyring: Keyring,
              summary: str | None = None) -> dict:
    """A case as the API and the pages show it: phone and ID number always masked; the
    summary opened (or ``summary``, when the caller opened it already)."""
    return {
        "number": case.number, "channel": case.channel, "category": case.category,
        "urgency": case.urgency,
        "summary": open_summary(keyring, case.summary) if summary is None else summary,
        "petitioner": {
            "name": petitioner.name, "phone": mask_phone(petitioner.phone),
            "id_number": mask_id_number(petitioner.id_number),
            "gender": petitioner.gender, "age_group": petitioner.age_group,
        },
        "village_code": case.village_code, "level": case.level, "status": case.status,
        "received_at": iso(case.received_at), "entered_level_at": iso(case.entered_level_at),
        "due_at": iso(case.due_at), "warn_at": iso(case.warn_at), "overdue": case.overdue,
        "warning": case.warning, "version": case.version,
        "risk_level": case.risk_level, "risk_assessed_at": iso(case.risk_assessed_at),
    }


def event_json(event: Event, keyring: Keyring) -> dict:
    return {
        "seq": event.seq, "action": event.action, "from_level": event.from_level,
        "from_status": event.from_status, "to_level": event.to_level,
        "to_status": event.to_status, "actor": event.actor, "at": iso(event.at),
        "note": open_note(keyring, event.note), "data": open_data(keyring, event.data),
        "due_at": iso(event.due_at),
    }


def visible_case(cw: Casework, session: Session, actor: Actor, number: str) -> Case:
    """The case ``number`` if ``actor`` may see it; NotFound alike when missing or not visible."""
    case = case_by_number(session, number)
    if case is None:
        raise NotFound("no such case")
    check_visible(cw.workflow, actor, case)
    return case


def case_detail(cw: Casework, actor: Actor, number: str) -> dict:
    """The case with its events and the actions this actor may take."""
    with reading(cw.engine) as session:
        case = visible_case(cw, session, actor, number)
        petitioner = session.get(Petitioner, case.petitioner_id)
        events = session.execute(
            select(Event).where(Event.case_id == case.id).order_by(Event.seq)).scalars().all()
        body = case_json(case, open_petitioner(cw.keyring, petitioner), cw.keyring)
        body["events"] = [event_json(e, cw.keyring) for e in events]
        body["measures"] = measures_json(events, cw.keyring)
        body["allowed_actions"] = allowed_actions(cw.workflow, actor, case)
        return body


def reveal_phone(cw: Casework, actor: Actor, number: str, *,
                 now: datetime | None = None) -> dict[str, str]:
    """The petitioner's full phone and ID number; the look is recorded as an event of the case
    (written only once both opened, so a key error leaves no event of a view that failed)."""
    with writing(cw.engine) as session:
        case = visible_case(cw, session, actor, number)
        petitioner = open_petitioner(cw.keyring, session.get(Petitioner, case.petitioner_id))
        append(session, case, new_event(
            case, action="view_phone", actor=actor, at=now or utcnow(), to_level=case.level,
            to_status=case.status, deadline=current_deadline(case)))
        return {"phone": petitioner.phone, "id_number": petitioner.id_number}


def caller_cases(cw: Casework, actor: Actor, phone: str, *, limit: int = 20) -> list[dict]:
    """A caller's earlier cases in the actor's area, newest first (the hotline's screen pop)."""
    try:
        digits = normalize_phone(phone)
    except ValueError:
        raise Invalid({"phone": "not a phone number"}) from None
    keyring = cw.keyring
    with reading(cw.engine) as session:
        rows = session.execute(
            select(Case, Petitioner).join(Petitioner, Petitioner.id == Case.petitioner_id)
            .where(with_phone(keyring, digits), visible_filter(cw.workflow, actor))
            .order_by(Case.received_at.desc(), Case.id.desc()).limit(limit)).all()
    return [case_json(c, open_petitioner(keyring, p), keyring) for c, p in rows]
