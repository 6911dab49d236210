"""API tokens: credentials of outside systems (a CRM, a script), one per purpose.

Only a SHA-256 of a token is kept, so it is shown once.  A token expires (365 days unless told):
one forgotten in an old script must not work for ever.  A password change leaves tokens
working (the system holding one never knew the password); a deactivation stops them all."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update

from casework.bootstrap import Casework
from casework.errors import Invalid, NotFound
from casework.people.account_log import console_actor, record
from casework.storage.db import reading, utcnow, writing
from casework.storage.models import ApiToken, User

DEFAULT_DAYS = 365
MAX_DAYS = 3650
USED_RESOLUTION = timedelta(minutes=5)  # "last used" is written at most this often


def _user_named(session, username: str) -> User:
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        raise NotFound(f"no user named {username}")
    return user


def create_token(cw: Casework, username: str, label: str = "", *, days: int = DEFAULT_DAYS,
                 actor: str | None = None, address: str = "") -> str:
    """A new API token for ``username``, valid ``days`` days."""
    if not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        raise Invalid({"days": f"a whole number of days from 1 to {MAX_DAYS}"})
    token = "cw_" + secrets.token_urlsafe(32)
    now = utcnow()
    with writing(cw.engine) as session:
        user = _user_named(session, username)
        expires = now + timedelta(days=days)
        session.add(ApiToken(user_id=user.id, label=label[:100], token_hash=digest(token),
                             created_at=now, expires_at=expires))
        record(session, "token_created", user, actor=actor or console_actor(), address=address,
               detail={"label": label[:100], "expires_at": expires.isoformat()}, at=now)
    return token


def revoke_tokens(cw: Casework, username: str, label: str | None = None, *,
                  actor: str | None = None, address: str = "") -> int:
    """Stop the user's live API tokens (those with ``label`` only, when given); how many."""
    with writing(cw.engine) as session:
        user = _user_named(session, username)
        live = [ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None)]
        if label is not None:
            live.append(ApiToken.label == label)
        count = session.execute(update(ApiToken).where(*live).values(revoked_at=utcnow())
                                ).rowcount
        if count:
            record(session, "token_revoked", user, actor=actor or console_actor(),
                   address=address, detail={"label": label, "count": count})
        return count


def list_tokens(cw: Casework, username: str) -> list[ApiToken]:
    """Every token of ``username``, newest first (revoked and expired ones too)."""
    with reading(cw.engine) as session:
        user = _user_named(session, username)
        return list(session.execute(
            select(ApiToken).where(ApiToken.user_id == user.id)
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())).scalars())


def user_for_token(cw: Casework, token: str, now: datetime | None = None) -> User | None:
    """The active user of a live, unexpired token, else None.  Every token has an expiry since
    migration 0018; one without would be expired, not eternal."""
    now = now or utcnow()
    with reading(cw.engine) as session:
        row = session.execute(
            select(User, ApiToken.id, ApiToken.last_used_at)
            .join(ApiToken, ApiToken.user_id == User.id).where(
                ApiToken.token_hash == digest(token), ApiToken.revoked_at.is_(None),
                ApiToken.expires_at > now,
                User.active.is_(True))).first()
    if row is None:
        return None
    user, token_id, used = row
    if used is None or now - used >= USED_RESOLUTION:
        with writing(cw.engine) as session:
            session.execute(update(ApiToken).where(ApiToken.id == token_id)
                            .values(last_used_at=now))
    return user


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
