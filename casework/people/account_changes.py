"""Changes to an existing account: a password (her own, or an administrator's reset), the
role and area, deactivation, and ending her sessions.  Each is logged in its own transaction
(casework.people.account_log) and ends the sessions it must."""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from casework.bootstrap import Casework
from casework.errors import Invalid, NotFound
from casework.people._passwords import check_password, hash_password
from casework.people.access import Actor
from casework.people.account_log import console_actor, record
from casework.people.sessions import end_user_sessions
from casework.people.users import check_new_password, managed_area, refuse_nul
from casework.storage.db import utcnow, writing
from casework.storage.models import Area, User

WRONG_CURRENT = "the current password is not right"
SAME_AS_BEFORE = "the new password must differ from the current one"
OWN_ROLE_OR_AREA = "you cannot change your own role or area"


def _managed_user(session: Session, by: Actor | None, username: str) -> User:
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None or not user.area_code.startswith(managed_area(by)):
        raise NotFound(f"no user named {username}")
    return user


def _actor(by: Actor | None) -> str:
    return by.username if by else console_actor()


def _new_password(session: Session, user: User, password: str, reason: str, *, actor: str,
                  address: str) -> None:
    user.password_hash = hash_password(password)
    user.session_token = secrets.token_hex(16)
    end_user_sessions(session, user, reason=reason, actor=actor, address=address)


def set_password(cw: Casework, *, by: Actor | None, username: str, password: str,
                 address: str = "") -> None:
    """An administrator's reset: a one-time password, to be changed at the next login; every
    session of the user ends."""
    refuse_nul(password=password)
    with writing(cw.engine) as session:
        user = _managed_user(session, by, username)
        check_new_password(session, user, password)
        _new_password(session, user, password, "password_reset", actor=_actor(by),
                      address=address)
        user.must_change_password = True
        record(session, "password_reset", user, actor=_actor(by), address=address)


def change_own_password(cw: Casework, *, user_id: int, current: str, new: str,
                        address: str = "") -> User:
    """The user's own change: the current password first.  Every session of hers ends,
    the one she is using too (the caller opens her a fresh one), so no copy of a cookie
    survives it."""
    refuse_nul(password=new)
    with writing(cw.engine) as session:
        user = session.get(User, user_id)
        if user is None or not user.active:
            raise NotFound("no such user")
        if not check_password(user.password_hash, current or ""):
            raise Invalid({"current_password": WRONG_CURRENT})
        if current == new:
            raise Invalid({"password": SAME_AS_BEFORE})
        check_new_password(session, user, new)
        _new_password(session, user, new, "password_changed", actor=user.username,
                      address=address)
        user.must_change_password = False
        record(session, "password_changed", user, actor=user.username, address=address)
        return user


def set_active(cw: Casework, *, by: Actor | None, username: str, active: bool,
               address: str = "") -> None:
    """Deactivate (or reactivate) a user.  Users are never deleted: events name them."""
    with writing(cw.engine) as session:
        user = _managed_user(session, by, username)
        if by is not None and user.id == by.id and not active:
            raise Invalid({"username": "you cannot deactivate yourself"})
        if user.active == active:
            return
        user.active = active
        user.session_token = secrets.token_hex(16)
        record(session, "user_changed", user, actor=_actor(by), address=address,
               detail={"active": [not active, active]})
        if not active:  # her open sessions end now, not when they time out
            end_user_sessions(session, user, reason="deactivated", actor=_actor(by),
                              address=address)


def change_user(cw: Casework, *, by: Actor | None, username: str, role: str | None = None,
                area_code: str | None = None, address: str = "") -> User:
    """A new role and/or area.  An administrator may not change her own: she would lift
    herself out of the area she was given, or into reading case files."""
    from casework.notify.accounts import notify_case_reader

    refuse_nul(role=role, area=area_code)
    with writing(cw.engine) as session:
        user = _managed_user(session, by, username)
        role, area_code = role or user.role, area_code or user.area_code
        if (role, area_code) == (user.role, user.area_code):
            return user
        if by is not None and user.id == by.id:
            raise Invalid({"role": OWN_ROLE_OR_AREA})
        spec = cw.workflow.roles.get(role)
        if spec is None:
            raise Invalid({"role": "must be one of: " + ", ".join(cw.workflow.roles)})
        area = session.get(Area, area_code)
        if area is None:
            raise Invalid({"area": f"no area with code {area_code}"})
        if not area_code.startswith(managed_area(by)):
            raise Invalid({"area": f"{area_code} is outside your area"})
        if spec.scope != "any" and area.kind != spec.scope:
            raise Invalid({"area": f"a {role} works at a {spec.scope}, but {area_code} is a "
                                   f"{area.kind}"})
        detail = {name: [old, new] for name, old, new in
                  (("role", user.role, role), ("area", user.area_code, area_code)) if old != new}
        user.role, user.area_code = role, area_code
        entry = record(session, "user_changed", user, actor=_actor(by), address=address,
                       detail=detail)
        if spec.sees_cases:
            notify_case_reader(cw, session, user, entry, utcnow())
        return user


def end_sessions_of(cw: Casework, *, by: Actor | None, username: str,
                    address: str = "") -> int:
    """An administrator ends every session of a user (a lost phone, a leaver); how many."""
    with writing(cw.engine) as session:
        user = _managed_user(session, by, username)
        return end_user_sessions(session, user, reason="ended_by_admin", actor=_actor(by),
                                 address=address)
