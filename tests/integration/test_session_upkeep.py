"""Sessions' upkeep: the row of a finished session (its address and browser) is deleted a month
after it finished, by a daily scheduler job; live sessions and the account log stay."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from conftest import COUNTY
from sqlalchemy import func, select, update

from casework.clock import Clock
from casework.people.sessions import (
    KEEP_ENDED,
    Limits,
    id_hash,
    live_user,
    logout,
    open_session,
    prune_sessions,
)
from casework.people.users import add_user
from casework.scheduling.deadlines import SHANGHAI
from casework.scheduling.scheduler import SESSION_PRUNE_JOB, NotificationJob, configure
from casework.storage.db import reading, writing
from casework.storage.models import AccountEvent, UserSession

LIMITS = Limits(lifetime=timedelta(hours=8), idle=timedelta(hours=2))


def a_session(cw, user, *, seen_days_ago: float, ended_days_ago: float | None = None) -> str:
    session_id = open_session(cw, user, address="10.0.0.7", browser="phone")
    now = datetime.now(UTC)
    seen = now - timedelta(days=seen_days_ago)
    with writing(cw.engine) as session:
        session.execute(update(UserSession).where(UserSession.id == _row_id(session, session_id))
                        .values(created_at=seen, last_seen_at=seen,
                                ended_at=None if ended_days_ago is None
                                else now - timedelta(days=ended_days_ago),
                                ended_reason=None if ended_days_ago is None else "logout"))
    return session_id


def _row_id(session, session_id: str) -> int:
    return session.execute(select(UserSession.id)
                           .where(UserSession.id_hash == id_hash(session_id))).scalar_one()


def rows(cw) -> int:
    with reading(cw.engine) as session:
        return session.execute(select(func.count()).select_from(UserSession)).scalar_one()


def test_finished_sessions_are_deleted_after_a_month_and_live_ones_stay(cw, county):
    user = add_user(cw, username="cadre", role="county_officer", area_code=COUNTY,
                    password="correct horse battery")
    live = a_session(cw, user, seen_days_ago=0)
    a_session(cw, user, seen_days_ago=40, ended_days_ago=35)  # logged out long ago
    a_session(cw, user, seen_days_ago=45)  # never ended: abandoned, long past its limits
    a_session(cw, user, seen_days_ago=12, ended_days_ago=10)  # logged out, kept a while
    with reading(cw.engine) as session:
        logged = session.execute(select(func.count()).select_from(AccountEvent)).scalar_one()
    assert prune_sessions(cw, datetime.now(UTC)) == 2
    assert rows(cw) == 2
    assert live_user(cw, live, LIMITS) is not None  # the live one still opens
    assert prune_sessions(cw, datetime.now(UTC)) == 0  # again: nothing more
    with reading(cw.engine) as session:  # the account log keeps every login
        assert session.execute(select(func.count()).select_from(AccountEvent)).scalar_one() \
            == logged


def test_a_session_logged_out_today_is_gone_a_month_later(cw, county):
    user = add_user(cw, username="cadre", role="county_officer", area_code=COUNTY,
                    password="correct horse battery")
    session_id = open_session(cw, user, address="10.0.0.7", browser="phone")
    with reading(cw.engine) as session:
        record_id = _row_id(session, session_id)
    logout(cw, record_id, address="10.0.0.7")
    now = datetime.now(UTC)
    assert prune_sessions(cw, now + KEEP_ENDED - timedelta(minutes=1)) == 0
    assert prune_sessions(cw, now + KEEP_ENDED + timedelta(minutes=1)) == 1


def test_the_scheduler_prunes_sessions_nightly_on_its_clock(cw, county):
    jobs = {job.id: job for job in configure(BackgroundScheduler(timezone=SHANGHAI), cw)
            .get_jobs()}
    assert str(jobs[SESSION_PRUNE_JOB].trigger) == "cron[hour='3', minute='45']"
    user = add_user(cw, username="cadre", role="county_officer", area_code=COUNTY,
                    password="correct horse battery")
    a_session(cw, user, seen_days_ago=0, ended_days_ago=0)
    later = datetime.now(UTC) + KEEP_ENDED + timedelta(days=1)
    cw.settings = dataclasses.replace(cw.settings, clock=Clock(
        start=later, anchor=datetime.now(UTC).timestamp()))
    NotificationJob(cw, prune_sessions)()
    assert rows(cw) == 0
