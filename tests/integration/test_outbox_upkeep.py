"""The outbox's upkeep: sent rows pruned after CASEWORK_OUTBOX_KEEP_DAYS by a scheduler job,
and what /healthz and the admin page read of it."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from conftest import petition
from sqlalchemy import insert, select

import casework.notify.backlog as backlog
from casework.clock import Clock
from casework.lifecycle.intake import receive
from casework.notify.backlog import latest_failures, outbox_backlog, prune_sent
from casework.scheduling.deadlines import SHANGHAI
from casework.scheduling.scheduler import PRUNE_JOB, NotificationJob, configure
from casework.storage.db import reading, writing
from casework.storage.models import Event, Notification

NOW = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)


def notice(cw, key: str, status: str, sent_days_ago: float | None = None, **fields) -> None:
    sent = NOW - timedelta(days=sent_days_ago) if sent_days_ago is not None else None
    created = (sent or NOW) - timedelta(minutes=1)
    with writing(cw.engine) as session:
        session.execute(insert(Notification).values({
            "event_key": key, "channel": "email", "recipient": "cadre@example.org",
            "subject": key, "body": "-", "status": status, "created_at": created,
            "next_attempt_at": created, "sent_at": sent, **fields}))


def keys(cw) -> set[str]:
    with reading(cw.engine) as session:
        return set(session.execute(select(Notification.event_key)).scalars())


def test_sent_notifications_older_than_the_kept_days_are_deleted_and_nothing_else(
        cw, monkeypatch):
    monkeypatch.setattr(backlog, "PRUNE_BATCH", 2)  # several batches
    for n in range(5):
        notice(cw, f"old-{n}", "sent", sent_days_ago=91 + n)
    notice(cw, "recent", "sent", sent_days_ago=89)
    notice(cw, "failed-long-ago", "failed", attempts=20, last_error="550")
    notice(cw, "pending", "pending")
    assert prune_sent(cw, NOW, keep_days=90) == 5
    assert keys(cw) == {"recent", "failed-long-ago", "pending"}
    assert prune_sent(cw, NOW, keep_days=90) == 0  # idempotent: two schedulers may both run it
    assert prune_sent(cw, NOW, keep_days=30) == 1


def test_pruning_keeps_the_events_the_notices_told_about(cw, people):
    case = receive(cw, people["operator"], petition(), now=NOW - timedelta(days=200))
    notice(cw, "about-the-case", "sent", sent_days_ago=199, case_id=case.id)
    assert prune_sent(cw, NOW, keep_days=90) == 1
    with reading(cw.engine) as session:
        assert session.execute(select(Event.id).where(Event.case_id == case.id)).first()


def test_the_scheduler_prunes_daily_with_the_configured_days_on_its_clock(cw):
    jobs = {job.id: job for job in configure(BackgroundScheduler(timezone=SHANGHAI), cw)
            .get_jobs()}
    assert str(jobs[PRUNE_JOB].trigger) == "cron[hour='3', minute='40']"
    notice(cw, "forty-days", "sent", sent_days_ago=40)
    notice(cw, "ten-days", "sent", sent_days_ago=10)
    cw.settings = dataclasses.replace(cw.settings, outbox_keep_days=30,
                                      clock=Clock(start=NOW, anchor=datetime.now(UTC).timestamp()))
    NotificationJob(cw, prune_sent)()
    assert keys(cw) == {"ten-days"}


def test_the_backlog_counts_waiting_retrying_and_given_up_rows(cw):
    notice(cw, "waiting", "pending")
    notice(cw, "retrying", "pending", attempts=2, last_error="421")
    notice(cw, "claimed", "sending")
    notice(cw, "given-up", "failed", attempts=20, last_error="550")
    notice(cw, "sent", "sent", sent_days_ago=1)
    found = outbox_backlog(cw, NOW + timedelta(minutes=9))
    assert found == {"pending": 3, "retrying": 1, "failed": 1,
                     "oldest_pending_at": (NOW - timedelta(minutes=1)).isoformat(),
                     "oldest_pending_seconds": 600.0}


def test_the_latest_failures_are_those_of_the_admins_area_newest_first(cw, people):
    case = receive(cw, people["operator"], petition(), now=NOW)
    notice(cw, "older", "failed", case_id=case.id, last_error="550",
           next_attempt_at=NOW - timedelta(days=1))
    notice(cw, "newer", "pending", case_id=case.id, last_error="421",
           next_attempt_at=NOW + timedelta(hours=1))
    notice(cw, "fine", "pending", case_id=case.id)
    notice(cw, "robot", "failed", channel="webhook", recipient="robot", last_error="400")
    notice(cw, "stranger", "failed", recipient="nobody@elsewhere.example", last_error="550")
    assert [row.event_key for row in latest_failures(cw, case.county_code)] == [
        "newer", "robot", "older"]
    assert [row.event_key for row in latest_failures(cw, "110101")] == ["robot"]
