"""Browser sessions kept on the server (DESIGN.md, "Accounts, sessions").

A login makes a record (user, created, last seen, address, browser) and hands the browser a
random id; only the id's SHA-256 is stored.  The session is live while the record is not ended,
is younger than its lifetime (8 hours) and was seen within the idle limit.  Logout, a password
change, a deactivation, the user herself (her other sessions) or an administrator end it here,
so every copy of the cookie stops opening anything at once.

Why a table of our own rather than Flask-Session's SQLAlchemy store: that store keeps opaque
serialized blobs keyed by id, with no user column, so "list her sessions", "end all of a user's
sessions" and "end them at a password change" would each need a scan and a decode; it also
needs Flask-SQLAlchemy beside our own engine and sessions.  A plain table with a user id is one
indexed UPDATE for each of those, reads the same on SQLite and PostgreSQL, and its migration
and schema test are the ones every other table has."""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from casework.bootstrap import Casework
from casework.errors import NotFound
from casework.people.account_log import record
from casework.storage.db import delete_in_batches, reading, utcnow, writing
from casework.storage.models import User, UserSession

SEEN_RESOLUTION = timedelta(minutes=1)  # "last seen" is written at most this often
# A finished session's row (its address and browser) is deleted this long after it ended: the
# account log keeps the login, logout and end for good, so the row is only the live session's
# means, and a cadre's whereabouts need not be kept longer than a dispute about them takes.
KEEP_ENDED = timedelta(days=30)
log = logging.getLogger("casework.people.sessions")


@dataclass(frozen=True)
class Live:
    """Who a live session belongs to, its record, and whether it runs on her own phone."""

    user: User
    record_id: int
    own_device: bool


@dataclass(frozen=True)
class Limits:
    lifetime: timedelta  # since login, however busy
    idle: timedelta  # since the last request


def id_hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8", "surrogatepass")).hexdigest()


def open_session(cw: Casework, user: User, *, address: str, browser: str,
                 own_device: bool = False) -> str:
    """A new session for ``user`` (a login); returns the id the cookie carries.  ``own_device``:
    she ticked "this is my own phone", so pages may be kept in it for reading offline."""
    session_id = secrets.token_urlsafe(32)
    now = utcnow()
    with writing(cw.engine) as session:
        session.add(UserSession(id_hash=id_hash(session_id), user_id=user.id, created_at=now,
                                last_seen_at=now, address=address[:64], browser=browser[:255],
                                own_device=own_device))
        fresh = session.get(User, user.id)
        record(session, "login", fresh, actor=user.username, address=address, at=now)
    return session_id


def _why_over(row: UserSession, limits: Limits, now: datetime) -> str | None:
    if now - row.created_at > limits.lifetime:
        return "expired"
    if now - row.last_seen_at > limits.idle:
        return "idle"
    return None


def live_user(cw: Casework, session_id: str, limits: Limits) -> Live | None:
    """The active user of a live session and the session's record, else None.  A session
    found past its time is ended now (and logged), so a later look needs no clock."""
    now = utcnow()
    with reading(cw.engine) as session:
        found = session.execute(
            select(UserSession, User).join(User, User.id == UserSession.user_id)
            .where(UserSession.id_hash == id_hash(session_id),
                   UserSession.ended_at.is_(None))).first()
    if found is None:
        return None
    row, user = found
    over = _why_over(row, limits, now)
    if over or not user.active:
        with writing(cw.engine) as session:
            _end(session, [row.id], over or "deactivated", now)
            if over:
                record(session, "session_ended", user, actor="system",
                       detail={"reason": over, "session": row.id}, at=now)
        return None
    if now - row.last_seen_at >= SEEN_RESOLUTION:
        with writing(cw.engine) as session:
            session.execute(update(UserSession).where(UserSession.id == row.id)
                            .values(last_seen_at=now))
    return Live(user=user, record_id=row.id, own_device=row.own_device)


def _end(session: Session, ids: list[int], reason: str, now: datetime) -> int:
    if not ids:
        return 0
    return session.execute(
        update(UserSession).where(UserSession.id.in_(ids), UserSession.ended_at.is_(None))
        .values(ended_at=now, ended_reason=reason)).rowcount


def end_user_sessions(session: Session, user: User, *, reason: str, actor: str,
                      address: str = "", keep: int | None = None) -> int:
    """End every open session of ``user`` (but ``keep``), in ``session``'s transaction, and log
    it once; how many ended."""
    now = utcnow()
    ids = [i for i in session.execute(
        select(UserSession.id).where(UserSession.user_id == user.id,
                                     UserSession.ended_at.is_(None))).scalars() if i != keep]
    count = _end(session, ids, reason, now)
    if count:
        record(session, "session_ended", user, actor=actor, address=address,
               detail={"reason": reason, "sessions": count}, at=now)
    return count


def logout(cw: Casework, record_id: int, *, address: str) -> None:
    with writing(cw.engine) as session:
        row = session.get(UserSession, record_id)
        if row is None or row.ended_at is not None:
            return
        _end(session, [row.id], "logout", utcnow())
        record(session, "logout", session.get(User, row.user_id),
               actor=session.get(User, row.user_id).username, address=address)


def open_sessions(cw: Casework, user_id: int, limits: Limits) -> list[UserSession]:
    """The user's live sessions, the latest seen first."""
    now = utcnow()
    with reading(cw.engine) as session:
        rows = session.execute(
            select(UserSession).where(UserSession.user_id == user_id,
                                      UserSession.ended_at.is_(None))
            .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())).scalars()
        return [row for row in rows if _why_over(row, limits, now) is None]


def end_own_session(cw: Casework, user_id: int, record_id: int, *, address: str) -> None:
    """The user ends one of her own sessions (a phone she lost, a shared computer)."""
    if not 0 < record_id < 2**31:  # an integer column's range on every database
        raise NotFound("no such session")
    with writing(cw.engine) as session:
        row = session.get(UserSession, record_id)
        if row is None or row.user_id != user_id or row.ended_at is not None:
            raise NotFound("no such session")
        user = session.get(User, user_id)
        _end(session, [row.id], "ended_by_user", utcnow())
        record(session, "session_ended", user, actor=user.username, address=address,
               detail={"reason": "ended_by_user", "session": row.id})


def prune_sessions(cw: Casework, now: datetime, keep: timedelta = KEEP_ENDED) -> int:
    """Delete the rows of sessions that ended (or, never ended, were last seen) more than
    ``keep`` before ``now``; how many.  A session not seen for that long is long past its idle
    limit and lifetime, so no live session is touched."""
    before = now - keep
    finished = func.coalesce(UserSession.ended_at, UserSession.last_seen_at)
    deleted = delete_in_batches(cw.engine, UserSession, finished < before)
    if deleted:
        log.info("sessions: %d finished before %s deleted", deleted, before.isoformat())
    return deleted
