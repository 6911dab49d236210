"""/healthz's scheduler and outbox fields, its 503 for a late scheduler, and the admin page
that shows the same with the lease holder and the latest failures, in both languages."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import openapi_schema_validator
import pytest
from conftest import petition
from sqlalchemy import insert

from casework.lifecycle.intake import receive
from casework.scheduling.scheduler import max_lag, record_scan, take_lease
from casework.storage.db import utcnow, writing
from casework.storage.models import Notification
from e2e.conftest import login

ENGLISH = {"Accept-Language": "en"}
HOLDER = "scheduler-host:4242:abcd1234"


def scanned(cw, seconds_ago: float, interval: int = 60) -> None:
    """A scheduler with this interval whose last scan began ``seconds_ago``."""
    started = utcnow() - timedelta(seconds=seconds_ago)
    assert take_lease(cw, HOLDER, started, timedelta(seconds=3 * interval), interval=interval)
    record_scan(cw, HOLDER, started, seconds=0.25, lag=0.0, interval=interval)


def notice(cw, key: str, *, status: str, age: timedelta = timedelta(0), **fields) -> None:
    created = utcnow() - age
    row = {"event_key": key, "channel": "email", "recipient": "cadre@example.org",
           "subject": f"notice {key}", "body": "-", "status": status, "created_at": created,
           "next_attempt_at": created, **fields}
    with writing(cw.engine) as session:
        session.execute(insert(Notification).values(**row))


def validate(client, answer) -> None:
    jsonschema = openapi_schema_validator
    spec = client.get("/openapi.json").json
    schema = spec["paths"]["/healthz"]["get"]["responses"][str(answer.status_code)]["content"][
        "application/json"]["schema"]
    jsonschema.validate(answer.json, {**schema, "components": spec["components"]},
                        cls=jsonschema.OAS30Validator)


def test_healthz_before_any_scan_is_ok_and_says_so(client, as_):
    answer = client.get("/healthz", headers=as_("leader"))
    assert answer.status_code == 200
    assert answer.json["status"] == "ok" and answer.json["scheduler_last_scan"] is None
    assert answer.json["scheduler"] == {
        "last_scan_at": None, "last_scan_seconds": None, "seconds_since_last_scan": None,
        "interval_seconds": 60, "lag_seconds": None, "max_lag_seconds": 240.0, "late": False}
    assert answer.json["outbox"] == {"pending": 0, "retrying": 0, "oldest_pending_at": None,
                                     "oldest_pending_seconds": None, "failed": 0}
    validate(client, answer)


def test_healthz_shows_the_last_scan_its_lag_and_the_outbox_backlog(client, cw, as_):
    scanned(cw, seconds_ago=150)
    notice(cw, "a", status="pending", age=timedelta(minutes=10))
    notice(cw, "b", status="pending", attempts=2, last_error="421 try later")
    notice(cw, "c", status="sending", age=timedelta(minutes=1))
    notice(cw, "d", status="failed", age=timedelta(days=2), attempts=20, last_error="550 no")
    notice(cw, "e", status="sent", age=timedelta(days=1), sent_at=utcnow())
    answer = client.get("/healthz", headers=as_("leader"))
    assert answer.status_code == 200 and answer.json["status"] == "ok"
    scheduler, outbox = answer.json["scheduler"], answer.json["outbox"]
    assert 150 <= scheduler["seconds_since_last_scan"] < 170
    assert scheduler["lag_seconds"] == pytest.approx(scheduler["seconds_since_last_scan"] - 60)
    assert scheduler["last_scan_seconds"] == 0.25 and not scheduler["late"]
    assert answer.json["scheduler_last_scan"] == scheduler["last_scan_at"]
    assert (outbox["pending"], outbox["retrying"], outbox["failed"]) == (3, 1, 1)
    assert 600 <= outbox["oldest_pending_seconds"] < 620
    assert HOLDER.split(":")[0] not in answer.get_data(as_text=True)  # no host names
    validate(client, answer)


def test_healthz_answers_503_once_the_scheduler_is_later_than_the_allowed_lag(client, cw, as_):
    scanned(cw, seconds_ago=60 + max_lag(60) + 5)
    answer = client.get("/healthz", headers=as_("leader"))
    assert answer.status_code == 503
    assert (answer.json["status"], answer.json["database"]) == ("scheduler_late", True)
    assert answer.json["scheduler"]["late"] and answer.json["scheduler"]["lag_seconds"] > 240
    validate(client, answer)


def test_a_slow_schedulers_lag_is_judged_by_its_own_interval(client, cw, as_):
    scanned(cw, seconds_ago=400, interval=300)  # `casework scheduler --interval 300`
    answer = client.get("/healthz", headers=as_("leader"))
    assert answer.status_code == 200
    assert answer.json["scheduler"]["interval_seconds"] == 300
    assert answer.json["scheduler"]["max_lag_seconds"] == 1200


# -- the admin page ---------------------------------------------------------------------------
@pytest.fixture
def failures(cw, people):
    """Failed notices: about a case of the admin's county, to nobody of it, and the robot's."""
    case = receive(cw, people["operator"], petition())
    notice(cw, "inside", status="failed", case_id=case.id, attempts=20,
           subject=f"case {case.number}", last_error="550 mailbox unavailable")
    notice(cw, "retry", status="pending", case_id=case.id, attempts=3,
           last_error="421 service not available")
    notice(cw, "outside", status="failed", recipient="someone@elsewhere.example",
           subject="digest of another county", last_error="550 elsewhere")
    notice(cw, "robot", status="failed", channel="webhook", recipient="robot",
           subject="robot digest", last_error="HTTP 400 robot says no")
    return case


@pytest.mark.parametrize("who", ["county_officer", "leader", "operator"])
def test_the_scheduler_page_is_for_admins_only(client, people, who):
    login(client, people[who].username)
    assert client.get("/admin/scheduler").status_code == 403


def test_the_scheduler_page_shows_the_lease_the_lag_the_outbox_and_failures_in_chinese(
        client, cw, people, failures):
    scanned(cw, seconds_ago=90)
    login(client, people["admin"].username)
    answer = client.get("/admin/scheduler")
    assert answer.status_code == 200
    text = html.unescape(answer.get_data(as_text=True))
    for words in ("调度程序与通知", "期限扫描", "运行正常", "持锁进程", "上次扫描", "滞后（秒）",
                  "通知发件箱", "待发送", "已放弃", "最近的发送失败", "550 mailbox unavailable",
                  "等待重试", "群机器人", "HTTP 400 robot says no", f"case {failures.number}"):
        assert words in text, words
    assert HOLDER in text and 'href="/admin/scheduler"' in text
    assert "elsewhere" not in text  # a failure of another area's users is not shown
    assert 'id="pending">1<' in text and 'id="failed">3<' in text
    assert 30 <= int(re.search(r'id="lag">(\d+)<', text).group(1)) < 60  # 90 s ago, every 60 s


def test_the_scheduler_page_in_english_says_when_the_scheduler_is_late(client, cw, people):
    scanned(cw, seconds_ago=60 + max_lag(60) + 30)
    login(client, people["admin"].username)
    text = html.unescape(client.get("/admin/scheduler", headers=ENGLISH).get_data(as_text=True))
    for words in ("Scheduler and notifications", "Late", "check that casework scheduler is "
                  "running", "Lease holder", "Outbox", "Latest failures", "No failures."):
        assert words in text, words
    assert "调度" not in text
    assert "seconds late (more than 240)" in text


def test_the_scheduler_page_before_any_scan_says_how_to_start_one(client, people):
    login(client, people["admin"].username)
    text = html.unescape(client.get("/admin/scheduler").get_data(as_text=True))
    assert "尚未扫描" in text and "casework scheduler" in text
