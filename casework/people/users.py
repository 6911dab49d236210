"""Users and their API tokens."""

from __future__ import annotations

import hashlib
import re
import secrets

from sqlalchemy import func, select, update

from casework.bootstrap import Casework
from casework.errors import Forbidden, Invalid, NotFound
from casework.people._passwords import check_password, hash_password
from casework.people.access import Actor
from casework.storage.db import reading, utcnow, writing
from casework.storage.models import ApiToken, Area, User

USERNAME = re.compile(r"^[A-Za-z0-9_.\-]{2,64}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD = 8
ADMIN = "admin"


def actor_of(user: User) -> Actor:
    return Actor(id=user.id, username=user.username, role=user.role, area_code=user.area_code)


def add_user(cw: Casework, *, username: str, role: str, area_code: str, password: str,
             email: str | None = None) -> User:
    """A new user; the role must be the workflow's and the area of the kind the role works at."""
    errors = {}
    if not USERNAME.match(username or ""):
        errors["username"] = "2 to 64 letters, digits, '.', '_' or '-'"
    spec = cw.workflow.roles.get(role)
    if spec is None:
        errors["role"] = "must be one of: " + ", ".join(cw.workflow.roles)
    if len(password or "") < MIN_PASSWORD:
        errors["password"] = f"at least {MIN_PASSWORD} characters"
    if email and not EMAIL.match(email):
        errors["email"] = "not an e-mail address"
    if errors:
        raise Invalid(errors)
    with writing(cw.engine) as session:
        area = session.get(Area, area_code)
        if area is None:
            raise Invalid({"area": f"no area with code {area_code}"})
        if spec.scope != "any" and area.kind != spec.scope:
            raise Invalid({"area": f"a {role} works at a {spec.scope}, but {area_code} is a "
                                   f"{area.kind}"})
        if session.execute(select(User.id).where(User.username == username)).first():
            raise Invalid({"username": "already taken"})
        user = User(username=username, role=role, area_code=area_code, email=email or None,
                    password_hash=hash_password(password), session_token=secrets.token_hex(16),
                    created_at=utcnow())
        session.add(user)
        session.flush()
        return user


def user_by_session_token(cw: Casework, session_token: str) -> User | None:
    with reading(cw.engine) as session:
        return session.execute(
            select(User).where(User.session_token == session_token, User.active.is_(True))
        ).scalar_one_or_none()


_dummy_hash: list[str] = []


def authenticate(cw: Casework, username: str, password: str) -> User | None:
    """The active user with this name and password, else None."""
    with reading(cw.engine) as session:
        user = session.execute(
            select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        # Hash anyway, so that the answer's timing does not tell which user names exist.
        if not _dummy_hash:
            _dummy_hash.append(hash_password("not a password of anyone"))
        check_password(_dummy_hash[0], password)
        return None
    if not check_password(user.password_hash, password) or not user.active:
        return None
    return user


def create_token(cw: Casework, username: str, label: str = "") -> str:
    """A new API token for ``username``; only its hash is stored, so it is shown once."""
    token = "cw_" + secrets.token_urlsafe(32)
    with writing(cw.engine) as session:
        user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
        if user is None:
            raise NotFound(f"no user named {username}")
        session.add(ApiToken(user_id=user.id, label=label[:100], token_hash=_digest(token),
                             created_at=utcnow()))
    return token


def revoke_tokens(cw: Casework, username: str, label: str | None = None) -> int:
    """Stop the user's live API tokens (those with ``label`` only, when given); how many."""
    with writing(cw.engine) as session:
        user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
        if user is None:
            raise NotFound(f"no user named {username}")
        live = [ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None)]
        if label is not None:
            live.append(ApiToken.label == label)
        return session.execute(update(ApiToken).where(*live).values(revoked_at=utcnow())).rowcount


def user_for_token(cw: Casework, token: str) -> User | None:
    with reading(cw.engine) as session:
        row = session.execute(
            select(User).join(ApiToken, ApiToken.user_id == User.id).where(
                ApiToken.token_hash == _digest(token), ApiToken.revoked_at.is_(None),
                User.active.is_(True))
        ).scalar_one_or_none()
        return row


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# -- administration (the admin pages; ``by=None`` is the command line, the server's operator) ----
def managed_area(by: Actor | None) -> str:
    """The area whose users ``by`` manages: an administrator manages the users inside her own
    area only, so that one county's admin cannot take over another county's accounts."""
    if by is None:
        return ""
    if by.role != ADMIN:
        raise Forbidden("only an administrator manages users and areas")
    return by.area_code


def list_users(cw: Casework, *, by: Actor | None, page: int = 1, per_page: int = 50
               ) -> tuple[list[tuple[User, str]], int]:
    """One page of (user, area name) inside ``by``'s area, by area then name, and the total."""
    inside = User.area_code.startswith(managed_area(by), autoescape=True)
    with reading(cw.engine) as session:
        total = session.execute(select(func.count()).select_from(User).where(inside)).scalar_one()
        rows = session.execute(
            select(User, Area.name).join(Area, Area.code == User.area_code).where(inside)
            .order_by(User.area_code, User.username)
            .offset((max(page, 1) - 1) * per_page).limit(per_page)).all()
    return [(user, name) for user, name in rows], total


def add_user_by(cw: Casework, *, by: Actor | None, area_code: str, **fields) -> User:
    """``add_user``, for an area inside ``by``'s own."""
    # PostgreSQL refuses NUL in text: stop it here, as a field error, not as a database error.
    nul = {name: "contains a NUL character" for name, value in {"area": area_code, **fields}
           .items() if isinstance(value, str) and "\x00" in value}
    if nul:
        raise Invalid(nul)
    if not (area_code or "").startswith(managed_area(by)):
        raise Invalid({"area": f"{area_code} is outside your area"})
    return add_user(cw, area_code=area_code, **fields)


def set_password(cw: Casework, *, by: Actor | None, username: str, password: str) -> None:
    """A new password, and a new session token: every session opened before it ends."""
    if len(password or "") < MIN_PASSWORD:
        raise Invalid({"password": f"at least {MIN_PASSWORD} characters"})
    with writing(cw.engine) as session:
        user = _managed_user(session, by, username)
        user.password_hash = hash_password(password)
        user.session_token = secrets.token_hex(16)


def set_active(cw: Casework, *, by: Actor | None, username: str, active: bool) -> None:
    """Deactivate (or reactivate) a user.  Users are never deleted: events name them."""
    with writing(cw.engine) as session:
        user = _managed_user(session, by, username)
        if by is not None and user.id == by.id and not active:
            raise Invalid({"username": "you cannot deactivate yourself"})
        user.active = active
        # A deactivated user's open sessions end now, not when they time out.
        user.session_token = secrets.token_hex(16)


def _managed_user(session, by: Actor | None, username: str) -> User:
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None or not user.area_code.startswith(managed_area(by)):
        raise NotFound(f"no user named {username}")
    return user
