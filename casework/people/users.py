"""Users: accounts, signing in, and who manages whose account."""

from __future__ import annotations

import re
import secrets

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from casework.bootstrap import Casework
from casework.errors import Forbidden, Invalid
from casework.people._passwords import check_password, hash_password, needs_rehash
from casework.people.access import Actor
from casework.people.account_log import console_actor, record
from casework.people.password_policy import password_problem
from casework.people.tokens import create_token, revoke_tokens, user_for_token
from casework.storage.db import reading, utcnow, writing
from casework.storage.models import Area, User

__all__ = ["actor_of", "add_user", "add_user_by", "authenticate", "create_token",
           "list_users", "managed_area", "revoke_tokens", "user_for_token"]
USERNAME = re.compile(r"^[A-Za-z0-9_.\-]{2,64}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
ADMIN = "admin"
AREA_CODE_LENGTHS = (6, 9, 12)


def actor_of(user: User) -> Actor:
    return Actor(id=user.id, username=user.username, role=user.role, area_code=user.area_code)


def guessable_words(session: Session, username: str, area_code: str) -> list[str]:
    """What a guesser tries first for this account: its name, and the names (in characters and
    in pinyin, as people type them) and codes of its area and the areas above it."""
    codes = [area_code[:n] for n in AREA_CODE_LENGTHS if len(area_code) >= n] or [area_code]
    rows = session.execute(select(Area.name, Area.pinyin).where(Area.code.in_(codes))).all()
    return [username, *codes, *(word for row in rows for word in row if word)]


def check_new_password(session: Session, user: User | None, password: str, *,
                       username: str = "", area_code: str = "") -> None:
    """Invalid (field ``password``, one sentence) unless ``password`` is long and strong."""
    words = guessable_words(session, user.username if user else username,
                            user.area_code if user else area_code)
    problem = password_problem(password, words)
    if problem:
        raise Invalid({"password": problem})


def add_user(cw: Casework, *, username: str, role: str, area_code: str, password: str,
             email: str | None = None, actor: str | None = None, address: str = "") -> User:
    """A new user; the role must be the workflow's and the area of the kind the role works at."""
    from casework.notify.accounts import notify_case_reader

    errors = {}
    if not USERNAME.match(username or ""):
        errors["username"] = "2 to 64 letters, digits, '.', '_' or '-'"
    spec = cw.workflow.roles.get(role)
    if spec is None:
        errors["role"] = "must be one of: " + ", ".join(cw.workflow.roles)
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
        check_new_password(session, None, password, username=username, area_code=area_code)
        now = utcnow()
        user = User(username=username, role=role, area_code=area_code, email=email or None,
                    password_hash=hash_password(password), session_token=secrets.token_hex(16),
                    created_at=now)
        session.add(user)
        session.flush()
        entry = record(session, "user_created", user, actor=actor or console_actor(),
                       address=address, detail={"role": role, "area": area_code}, at=now)
        if spec.sees_cases:
            notify_case_reader(cw, session, user, entry, now)
        return user


_dummy_hash: list[str] = []


def authenticate(cw: Casework, username: str, password: str, *,
                 address: str = "") -> User | None:
    """The active user with this name and password, else None (and a ``login_failed`` entry).
    A hash of an older scheme is stored again as argon2id now that the password is known."""
    with reading(cw.engine) as session:
        user = session.execute(
            select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        # Hash anyway, so that the answer's timing does not tell which user names exist.
        if not _dummy_hash:
            _dummy_hash.append(hash_password("not a password of anyone"))
        check_password(_dummy_hash[0], password)
    elif check_password(user.password_hash, password) and user.active:
        if needs_rehash(user.password_hash):
            with writing(cw.engine) as session:
                session.execute(update(User).where(User.id == user.id)
                                .values(password_hash=hash_password(password)))
        return user
    with writing(cw.engine) as session:
        record(session, "login_failed", user, actor=user.username if user else "",
               address=address, detail={} if user is None or user.active else {"inactive": True})
    return None


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


def refuse_nul(**fields) -> None:
    # PostgreSQL refuses NUL in text: stop it here, as a field error, not as a database error.
    nul = {name: "contains a NUL character" for name, value in fields.items()
           if isinstance(value, str) and "\x00" in value}
    if nul:
        raise Invalid(nul)


def add_user_by(cw: Casework, *, by: Actor | None, area_code: str, address: str = "",
                **fields) -> User:
    """``add_user``, for an area inside ``by``'s own."""
    refuse_nul(area=area_code, **fields)
    if not (area_code or "").startswith(managed_area(by)):
        raise Invalid({"area": f"{area_code} is outside your area"})
    return add_user(cw, area_code=area_code, actor=by.username if by else None,
                    address=address, **fields)
