"""The account log (DESIGN.md, "Accounts, sessions"): who made, changed, reset, signed in,
failed, signed out, was locked out, and from which address.

Entries are written in the transaction of the change they record, so a refused change leaves
none.  No entry holds a password or a token; a failed login under an unknown name keeps no
name (what is typed there is sometimes a password).  An administrator reads the entries of the
accounts inside her own area; the command line reads all."""

from __future__ import annotations

import getpass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from casework.bootstrap import Casework
from casework.storage.db import reading, utcnow, writing
from casework.storage.models import AccountEvent, User

KINDS = ("user_created", "user_changed", "password_changed", "password_reset",
         "token_created", "token_revoked", "login", "login_failed", "logout", "session_ended",
         "locked")
MAX_PER_PAGE = 500


def console_actor() -> str:
    """The actor of a command-line change: the server's operator, by her system account."""
    try:
        name = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry in some containers
        name = "?"
    return f"console:{name}"[:96]


def record(session: Session, kind: str, user: User | None, *, actor: str, address: str = "",
           detail: dict | None = None, at: datetime | None = None) -> AccountEvent:
    """Add one entry in ``session``'s transaction."""
    if kind not in KINDS:
        raise ValueError(f"unknown account event kind {kind}")
    entry = AccountEvent(
        at=at or utcnow(), kind=kind, username=user.username if user else "",
        area_code=user.area_code if user else "", actor=(actor or "")[:96],
        address=(address or "")[:64], detail=detail or {})
    session.add(entry)
    session.flush()
    return entry


def list_account_events(cw: Casework, *, area: str, username: str | None = None,
                        page: int = 1, per_page: int = 50) -> tuple[list[AccountEvent], int]:
    """One page of the entries of accounts inside ``area`` ('' for all), newest first."""
    where = [AccountEvent.area_code.startswith(area, autoescape=True)] if area else []
    if username:
        where.append(AccountEvent.username == username)
    per_page = min(max(per_page, 1), MAX_PER_PAGE)
    with reading(cw.engine) as session:
        total = session.execute(
            select(func.count()).select_from(AccountEvent).where(*where)).scalar_one()
        rows = session.execute(
            select(AccountEvent).where(*where)
            .order_by(AccountEvent.at.desc(), AccountEvent.id.desc())
            .offset((max(page, 1) - 1) * per_page).limit(per_page)).scalars().all()
    return list(rows), total


def as_item(entry: AccountEvent) -> dict:
    """An entry as the API and ``users log`` show it."""
    return {"at": entry.at.isoformat(), "kind": entry.kind, "user": entry.username or None,
            "actor": entry.actor, "address": entry.address, "detail": entry.detail}


def log_lockout(cw: Casework, username: str, *, address: str, detail: dict) -> None:
    """A lockout began for ``username`` (nothing is kept for a name no account has)."""
    with writing(cw.engine) as session:
        user = session.execute(
            select(User).where(User.username == username)).scalar_one_or_none()
        if user is not None:
            record(session, "locked", user, actor="system", address=address, detail=detail)
