"""Notifications through the outbox: who is told, in the event's transaction, sent once, retried
while the server is down, held back at night, and the morning digest."""

from __future__ import annotations

import dataclasses
import json
import logging
import socket
import threading
from datetime import UTC, datetime, time, timedelta
from email import message_from_bytes
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller
from conftest import TOWN_A, VILLAGE_A1, make_actor, petition
from sqlalchemy import delete, select, update

from casework.errors import Forbidden, StaleVersion
from casework.lifecycle.actions import apply_action, perform
from casework.lifecycle.intake import case_by_number, receive
from casework.notify import deliver_due, enqueue_digests
from casework.notify._channels import parse_smtp_url
from casework.notify._quiet import quiet_until
from casework.notify.outbox import backoff
from casework.scheduling.deadlines import SHANGHAI
from casework.scheduling.scan import scan
from casework.storage.db import reading, writing
from casework.storage.models import Notification, User
from casework.workflow import parse_workflow

T0 = datetime(2026, 9, 29, 2, 0, tzinfo=UTC)  # Tuesday 29 Sep, 10:00 Beijing
NAME, PHONE = "李某", "13812345678"  # the petitioner of conftest.petition()
SUMMARY = "丈夫酗酒后打人"


def beijing(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI).astimezone(UTC)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def give_email(cw, actor, address: str) -> None:
    with writing(cw.engine) as session:
        session.execute(update(User).where(User.id == actor.id).values(email=address))


def outbox(cw, **where) -> list[Notification]:
    """The outbox's case notices (the mails about new accounts that read cases, sent to the
    county officers, are tests/e2e/test_account_log.py's)."""
    with reading(cw.engine) as session:
        query = select(Notification).where(~Notification.event_key.startswith("account:")
                                           ).order_by(Notification.id)
        for name, value in where.items():
            query = query.where(getattr(Notification, name) == value)
        return session.execute(query).scalars().all()


def configure(cw, **settings) -> None:
    cw.settings = dataclasses.replace(cw.settings, **settings)


class Inbox:
    """An aiosmtpd handler that keeps what it was given."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], object]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=default_policy)
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), message))
        return "250 OK"


@pytest.fixture
def smtp_port(cw) -> int:
    port = free_port()
    configure(cw, smtp_url=f"smtp://127.0.0.1:{port}")
    return port


@pytest.fixture
def smtp_server(smtp_port):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    yield inbox
    controller.stop()


@pytest.fixture
def mailboxes(cw, people) -> dict[str, str]:
    """Addresses for the cadres of village A1, both townships and the county center."""
    addresses = {"village_a1": "a1@cun.example.cn", "township_a": "ta@zhen.example.cn",
                 "township_b": "tb@zhen.example.cn", "county_officer": "fulian@xian.example.cn",
                 "operator": "12338@xian.example.cn"}
    for who, address in addresses.items():
        give_email(cw, people[who], address)
    return addresses


def assert_no_petitioner_data(rows) -> None:
    for row in rows:
        for text in (row.subject, row.body):
            assert NAME not in text and PHONE not in text and SUMMARY not in text


# -- who is told, and in which transaction -------------------------------------------------------

def test_an_escalation_mails_the_township_cadres_with_an_address_and_nobody_else(
        cw, people, mailboxes, smtp_port):
    make_actor(cw, "township_cadre", TOWN_A, username="no_mail_cadre")  # has no address
    case = receive(cw, people["operator"], petition(), now=T0)
    assert [row.recipient for row in outbox(cw)] == [mailboxes["village_a1"]]  # the congress
    case = perform(cw, people["village_a1"], case.number,
                   {"action": "escalate", "version": case.version, "note": "需要乡镇出面"}, now=T0)
    rows = outbox(cw)
    escalation = [row for row in rows if row.event_key.startswith(f"{case.id}:2:")]
    assert [(row.channel, row.recipient) for row in escalation] == [
        ("email", mailboxes["township_a"])]
    assert case.number in escalation[0].subject and "乡镇妇联" in escalation[0].subject
    assert f"/cases/{case.number}" in escalation[0].body
    assert_no_petitioner_data(rows)


def test_an_assignment_tells_the_unit_it_is_assigned_to(cw, people, mailboxes, smtp_port):
    case = receive(cw, people["operator"], petition(start_level="county_center"), now=T0)
    perform(cw, people["county_officer"], case.number,
            {"action": "assign", "version": case.version, "target_level": "township_federation"},
            now=T0)
    assert [row.recipient for row in outbox(cw)] == [mailboxes["county_officer"],
                                                      mailboxes["township_a"]]


def test_a_refused_or_rolled_back_action_queues_nothing(cw, people, mailboxes, smtp_port):
    case = receive(cw, people["operator"], petition(), now=T0)
    before = len(outbox(cw))
    with pytest.raises(Forbidden):  # the township may not escalate the congress's case
        perform(cw, people["township_a"], case.number,
                {"action": "escalate", "version": case.version, "note": "n"}, now=T0)
    with pytest.raises(StaleVersion):
        perform(cw, people["village_a1"], case.number,
                {"action": "escalate", "version": case.version + 1, "note": "n"}, now=T0)
    with pytest.raises(RuntimeError), writing(cw.engine) as session:
        row = case_by_number(session, case.number)
        apply_action(cw, session, people["village_a1"], row, "escalate", {"note": "n"}, now=T0)
        raise RuntimeError("the transaction fails after the event was appended")
    assert len(outbox(cw)) == before


def test_a_case_resolved_on_the_spot_tells_nobody(cw, people, mailboxes, smtp_port):
    receive(cw, people["operator"], petition(
        category="consultation", resolve_now={"outcome": "advised", "note": "已解答"}), now=T0)
    assert outbox(cw) == []


def test_without_a_mail_server_or_webhook_configured_nothing_is_queued(cw, people, mailboxes):
    receive(cw, people["operator"], petition(), now=T0)
    assert outbox(cw) == []


def test_warnings_and_overdue_flags_tell_the_unit_once_each(cw, people, mailboxes, smtp_port):
    case = receive(cw, people["operator"], petition(), now=T0)
    due = datetime(2026, 10, 12, 16, 0, tzinfo=UTC)
    scan(cw, due)
    scan(cw, due + timedelta(minutes=1))
    subjects = [row.subject for row in outbox(cw, recipient=mailboxes["village_a1"])]
    assert len(subjects) == 3  # intake, warn, overdue
    assert "即将到期" in subjects[1] and "已逾期" in subjects[2]
    assert all(case.number in subject for subject in subjects)


def test_an_overdue_mailbox_letter_escalated_by_the_scan_is_told_once(
        cw, people, mailboxes, smtp_port):
    case = receive(cw, people["village_a1"], petition(channel="mailbox"), now=T0)
    scan(cw, T0 + timedelta(days=3))
    keys = [row.event_key.split(":")[1] for row in outbox(cw)]
    # intake (1), warning (2) and the escalation to the congress (4); the overdue flag (3) was
    # overtaken by the escalation in its own transaction.
    assert keys == ["1", "2", "4"]
    assert "上报" in outbox(cw)[-1].subject and case.number in outbox(cw)[-1].subject


def test_a_ledger_import_mails_only_about_the_cases_still_open(
        cw, people, mailboxes, smtp_port, tmp_path):
    from casework.imports.ledger import COLUMNS, import_ledger

    past = {"received_at": "2026-03-02 09:00", "village_code": VILLAGE_A1,
            "category": "marriage_family", "channel": "visit", "urgency": "normal",
            "summary": "台账", "petitioner_name": "", "petitioner_phone": "",
            "concluded_level": "county_center", "concluded_at": "2026-03-09 09:00",
            "outcome": "mediated"}
    # Another summary: a row equal in time, village, phone, category and summary would be the
    # same case sent twice (casework/imports/ledger.py).
    still_open = {**past, "concluded_level": "", "concluded_at": "", "outcome": "",
                  "summary": "台账二"}
    path = tmp_path / "ledger.csv"
    path.write_text(",".join(COLUMNS) + "\n" + "\n".join(
        ",".join(row[name] for name in COLUMNS) for row in (past, still_open)) + "\n",
        encoding="utf-8")
    assert import_ledger(cw, path, now=T0) == 2
    rows = outbox(cw)
    assert [(row.recipient, row.event_key.split(":")[1]) for row in rows] == [
        (mailboxes["village_a1"], "1")]
    assert rows[0].case_id == 2  # the open one


# -- sending by SMTP ------------------------------------------------------------------------------

def test_while_the_mail_server_is_down_attempts_grow_and_back_off_and_nothing_is_lost(
        cw, people, mailboxes, smtp_port, caplog):
    caplog.set_level(logging.INFO, logger="casework")
    receive(cw, people["operator"], petition(), now=T0)
    now = T0
    for attempt in (1, 2, 3):
        result = deliver_due(cw, now)
        assert (result.sent, result.retried, result.failed) == (0, 1, 0)
        [row] = outbox(cw)
        assert (row.status, row.attempts) == ("pending", attempt)
        assert row.next_attempt_at == now + timedelta(minutes=2 ** (attempt - 1))
        assert deliver_due(cw, row.next_attempt_at - timedelta(seconds=1)).retried == 0
        now = row.next_attempt_at
    assert NAME not in caplog.text and PHONE not in caplog.text

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    try:
        assert deliver_due(cw, now).sent == 1
        assert deliver_due(cw, now + timedelta(hours=1)).sent == 0
    finally:
        controller.stop()
    [(to, message)] = inbox.messages
    assert to == [mailboxes["village_a1"]]
    assert message["Subject"] == outbox(cw)[0].subject
    assert "/cases/" in message.get_content()
    [row] = outbox(cw)
    assert (row.status, row.attempts, row.sent_at) == ("sent", 4, now)


def test_every_mail_arrives_exactly_once_even_with_two_senders_at_once(
        cw, people, mailboxes, smtp_server):
    for index in range(12):
        make_actor(cw, "village_cadre", VILLAGE_A1, username=f"cadre{index}")
        with writing(cw.engine) as session:
            session.execute(update(User).where(User.username == f"cadre{index}")
                            .values(email=f"cadre{index}@cun.example.cn"))
    with writing(cw.engine) as session:  # the county officer's notices of the new accounts
        session.execute(delete(Notification).where(Notification.event_key.startswith("account:")))
    for _ in range(3):
        receive(cw, people["operator"], petition(), now=T0)
    rows = outbox(cw)
    assert len(rows) == 3 * 13
    results = []
    senders = [threading.Thread(target=lambda: results.append(deliver_due(cw, T0)))
               for _ in range(2)]
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join()
    assert sum(result.sent for result in results) == len(rows)
    received = sorted((to[0], message["Message-ID"]) for to, message in smtp_server.messages)
    assert len(received) == len(set(received)) == len(rows)
    assert {row.status for row in outbox(cw)} == {"sent"}
    assert deliver_due(cw, T0 + timedelta(hours=2)).sent == 0
    assert len(smtp_server.messages) == len(rows)


def test_a_sender_that_died_after_claiming_a_row_leaves_it_to_the_next_one(
        cw, people, mailboxes, smtp_server):
    from casework.notify.outbox import CLAIM_TTL

    receive(cw, people["operator"], petition(), now=T0)
    with writing(cw.engine) as session:  # claimed at T0, then the process was killed
        session.execute(update(Notification).values(status="sending",
                                                    claimed_until=T0 + CLAIM_TTL))
    assert deliver_due(cw, T0 + CLAIM_TTL - timedelta(seconds=1)).sent == 0
    assert deliver_due(cw, T0 + CLAIM_TTL).sent == 1
    assert len(smtp_server.messages) == 1 and outbox(cw)[0].status == "sent"


def test_a_mailbox_the_server_keeps_refusing_is_given_up_in_the_end(
        cw, people, mailboxes, smtp_server):
    async def refuse(server, session, envelope, address, rcpt_options):
        return "550 no such user"

    smtp_server.handle_RCPT = refuse
    cw.workflow.quiet_hours = None  # 20 tries take 15 hours: no night pause in this test
    receive(cw, people["operator"], petition(), now=T0)
    now = T0
    for _ in range(20):
        deliver_due(cw, now)
        [row] = outbox(cw)
        now = row.next_attempt_at
    assert (row.status, row.attempts) == ("failed", 20)
    assert "550" in row.last_error
    assert row.next_attempt_at - T0 < timedelta(days=1)


# -- the robot webhook ----------------------------------------------------------------------------

class Robot:
    """A local stand-in for the WeCom robot; answers with ``status`` (200 by default)."""

    def __init__(self) -> None:
        self.bodies: list[dict] = []
        self.status = 200
        self.errcode = 0
        robot = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers["Content-Length"])
                robot.bodies.append(json.loads(self.rfile.read(length)))
                answer = json.dumps({"errcode": robot.errcode, "errmsg": "ok"}).encode()
                self.send_response(robot.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/cgi-bin/webhook/send?key=k"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)


@pytest.fixture
def robot(cw):
    robot = Robot()
    robot.thread.start()
    configure(cw, webhook_url=robot.url)
    yield robot
    robot.server.shutdown()
    robot.server.server_close()


def test_the_robot_gets_one_markdown_message_per_event(cw, people, robot):
    case = receive(cw, people["operator"], petition(), now=T0)
    perform(cw, people["village_a1"], case.number,
            {"action": "escalate", "version": case.version, "note": "n"}, now=T0)
    assert deliver_due(cw, T0).sent == 2
    assert [body["msgtype"] for body in robot.bodies] == ["markdown", "markdown"]
    assert set(robot.bodies[0]) == {"msgtype", "markdown"}
    content = robot.bodies[1]["markdown"]["content"]
    assert case.number in content and "乡镇妇联" in content and f"/cases/{case.number}" in content
    assert NAME not in json.dumps(robot.bodies, ensure_ascii=False)
    assert PHONE not in json.dumps(robot.bodies)


def test_a_robot_answering_an_error_code_has_not_taken_the_message(cw, people, robot):
    robot.errcode = 93000  # WeCom: invalid webhook key
    receive(cw, people["operator"], petition(), now=T0)
    assert deliver_due(cw, T0).retried == 1
    assert "93000" in outbox(cw)[0].last_error


def test_a_robot_answering_500_is_tried_again_later(cw, people, robot):
    robot.status = 500
    receive(cw, people["operator"], petition(), now=T0)
    assert deliver_due(cw, T0).retried == 1
    [row] = outbox(cw)
    assert (row.status, row.attempts, row.next_attempt_at) == (
        "pending", 1, T0 + timedelta(minutes=1))
    assert "500" in row.last_error
    robot.status = 200
    assert deliver_due(cw, T0 + timedelta(minutes=1)).sent == 1
    assert len(robot.bodies) == 2 and robot.bodies[0] == robot.bodies[1]


# -- quiet hours ----------------------------------------------------------------------------------

def test_at_night_a_normal_case_waits_until_seven_and_an_emergency_goes_now(
        cw, people, mailboxes, smtp_server):
    night = beijing(2026, 10, 13, 23, 0)
    normal = receive(cw, people["operator"], petition(), now=night)
    emergency = receive(cw, people["operator"], petition(urgency="emergency"), now=night)
    [waiting] = outbox(cw, case_id=normal.id)
    [urgent] = outbox(cw, case_id=emergency.id)
    assert waiting.next_attempt_at == beijing(2026, 10, 14, 7, 0)
    assert (urgent.recipient, urgent.next_attempt_at) == (mailboxes["county_officer"], night)
    assert "紧急" in urgent.subject
    assert deliver_due(cw, night).sent == 1
    assert deliver_due(cw, beijing(2026, 10, 14, 6, 59)).sent == 0
    assert [to for to, _ in smtp_server.messages] == [[mailboxes["county_officer"]]]
    assert deliver_due(cw, beijing(2026, 10, 14, 7, 0)).sent == 1
    assert [to for to, _ in smtp_server.messages][-1] == [mailboxes["village_a1"]]


def test_a_retry_that_falls_due_at_night_waits_for_the_morning(cw, people, mailboxes, smtp_port):
    evening = beijing(2026, 10, 13, 21, 59)
    receive(cw, people["operator"], petition(), now=evening)
    deliver_due(cw, evening)  # the server is down: next try at 22:00
    [row] = outbox(cw)
    assert row.next_attempt_at == beijing(2026, 10, 13, 22, 0)
    assert deliver_due(cw, beijing(2026, 10, 14, 3, 0)).retried == 0
    assert outbox(cw)[0].attempts == 1


def test_the_quiet_window_over_midnight_and_within_a_day():
    workflow = parse_workflow(WORKFLOW_TEXT)
    night = workflow.quiet_hours
    assert quiet_until(night, beijing(2026, 10, 13, 21, 59)) is None
    assert quiet_until(night, beijing(2026, 10, 13, 22, 0)) == beijing(2026, 10, 14, 7, 0)
    assert quiet_until(night, beijing(2026, 10, 14, 6, 59)) == beijing(2026, 10, 14, 7, 0)
    assert quiet_until(night, beijing(2026, 10, 14, 7, 0)) is None
    noon = dataclasses.replace(night, start=time(12, 0), end=time(14, 0))
    assert quiet_until(noon, beijing(2026, 10, 14, 13, 0)) == beijing(2026, 10, 14, 14, 0)
    assert quiet_until(noon, beijing(2026, 10, 14, 14, 0)) is None


@pytest.mark.parametrize("section, message", [
    ("quiet_hours: {start: 22:00, end: '07:00'}", "quoted time"),
    ("quiet_hours: {start: '22:00', end: '7'}", "quoted time"),
    ("quiet_hours: {start: '22:00', end: '07:00', timezone: Mars/Base}", "unknown timezone"),
    ("quiet_hours: {start: '22:00', end: '07:00', except_urgency: [soon]}", "unknown urgency"),
])
def test_a_bad_quiet_hours_section_is_refused_with_its_line(section, message):
    from casework.errors import WorkflowError

    text = WORKFLOW_TEXT.replace(QUIET_SECTION, section + "\n")
    with pytest.raises(WorkflowError, match=message) as caught:
        parse_workflow(text)
    assert caught.value.line == text.splitlines().index(section) + 1


def test_smtp_urls_of_every_form():
    plain = parse_smtp_url("smtp://127.0.0.1:2525")
    assert (plain.host, plain.port, plain.ssl, plain.starttls, plain.username) == (
        "127.0.0.1", 2525, False, False, None)
    login = parse_smtp_url("smtp://fulian%40xian.cn:p%40ss@mail.xian.cn:587?starttls=1")
    assert (login.username, login.password, login.starttls) == ("fulian@xian.cn", "p@ss", True)
    secure = parse_smtp_url("smtps://mail.xian.cn")
    assert (secure.ssl, secure.port) == (True, 465)
    with pytest.raises(ValueError):
        parse_smtp_url("http://mail.xian.cn")


def test_backoff_doubles_up_to_an_hour():
    assert [backoff(n).total_seconds() / 60 for n in (1, 2, 3, 6, 7, 20)] == [
        1, 2, 4, 32, 60, 60]


# -- the morning digest ---------------------------------------------------------------------------

def test_the_digest_lists_each_units_warned_and_overdue_cases_once_per_working_day(
        cw, people, mailboxes, smtp_port):
    warned = receive(cw, people["operator"], petition(), now=T0)
    late = receive(cw, people["operator"], petition(start_level="township_federation"),
                   now=T0 - timedelta(days=14))
    fresh = receive(cw, people["operator"], petition(), now=beijing(2026, 10, 12, 8, 0))
    scan(cw, beijing(2026, 10, 12, 8, 0))
    with reading(cw.engine) as session:
        assert session.get(type(warned), warned.id).warning
        assert session.get(type(late), late.id).overdue
    assert enqueue_digests(cw, beijing(2026, 10, 12, 8, 29)) == 0  # not yet
    assert enqueue_digests(cw, beijing(2026, 10, 12, 8, 30)) == 2
    assert enqueue_digests(cw, beijing(2026, 10, 12, 9, 0)) == 0  # a second scheduler
    digests = [row for row in outbox(cw) if row.event_key.startswith("digest:")]
    by_recipient = {row.recipient: row for row in digests}
    assert set(by_recipient) == {mailboxes["village_a1"], mailboxes["township_a"]}
    village = by_recipient[mailboxes["village_a1"]]
    assert warned.number in village.body and "即将到期" in village.body
    assert late.number not in village.body and fresh.number not in village.body
    township = by_recipient[mailboxes["township_a"]]
    assert late.number in township.body and "逾期" in township.subject
    assert "平乐镇" in township.subject
    assert_no_petitioner_data(digests)
    assert enqueue_digests(cw, beijing(2026, 10, 13, 8, 30)) == 2  # the next working day


@pytest.mark.parametrize("day", [(2026, 10, 1), (2026, 10, 18)], ids=["national_day", "sunday"])
def test_no_digest_on_a_holiday_or_a_weekend(cw, people, mailboxes, smtp_port, day):
    receive(cw, people["operator"], petition(), now=beijing(*day, 9, 0) - timedelta(days=30))
    scan(cw, beijing(*day, 8, 0))
    assert enqueue_digests(cw, beijing(*day, 8, 30)) == 0
    assert not [row for row in outbox(cw) if row.event_key.startswith("digest:")]


def test_the_scheduler_runs_the_outbox_and_the_digest(cw):
    from apscheduler.schedulers.background import BackgroundScheduler

    from casework.scheduling.scheduler import DIGEST_JOB, OUTBOX_JOB, configure

    scheduler = configure(BackgroundScheduler(timezone=SHANGHAI), cw)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert {OUTBOX_JOB, DIGEST_JOB} <= set(jobs)
    assert jobs[OUTBOX_JOB].trigger.interval == timedelta(seconds=30)
    assert (jobs[OUTBOX_JOB].coalesce, jobs[OUTBOX_JOB].max_instances) == (True, 1)
    assert "hour='8', minute='30'" in str(jobs[DIGEST_JOB].trigger)
    jobs[OUTBOX_JOB].func()  # nothing configured, nothing due: runs and returns
    jobs[DIGEST_JOB].func()


QUIET_SECTION = """quiet_hours:
  start: "22:00"
  end: "07:00"
  timezone: Asia/Shanghai
  except_urgency: [emergency]
"""


def _workflow_text() -> str:
    from conftest import WORKFLOW

    lines = WORKFLOW.read_text(encoding="utf-8").splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith("quiet_hours:"))
    end = next(i for i in range(start + 1, len(lines))
               if lines[i].strip() and not lines[i].startswith((" ", "#")))
    return "".join(lines[:start]) + QUIET_SECTION + "\n" + "".join(lines[end:])


WORKFLOW_TEXT = _workflow_text()
