"""Tables.  The case row is a projection of its append-only events; both change together.

Validation does not happen here (``table=True`` models do not validate, PITFALLS.md): services
validate input with plain pydantic models first, then build rows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Index,
    LargeBinary,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlmodel import Field, SQLModel

from casework.storage.db import UTCDateTime


def _time(**kwargs) -> Any:
    return Field(sa_type=UTCDateTime, **kwargs)


class Area(SQLModel, table=True):
    __tablename__ = "areas"
    code: str = Field(primary_key=True, max_length=12)
    name: str = Field(max_length=100)
    parent_code: str | None = Field(default=None, index=True, max_length=12)
    kind: str = Field(max_length=10)  # county, township, village (by code length)
    # Full pinyin and initials, so a hotline operator can find 大李村 by typing "dlc".
    pinyin: str = Field(default="", max_length=300)
    initials: str = Field(default="", max_length=100)


class User(SQLModel, table=True):
    __tablename__ = "users"
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(unique=True, max_length=64)
    password_hash: str = Field(max_length=255)
    role: str = Field(max_length=32)
    area_code: str = Field(foreign_key="areas.code", max_length=12)
    email: str | None = Field(default=None, max_length=255)
    active: bool = True
    # Replaced at every password change and deactivation.  Browser sessions are records of
    # their own (UserSession), ended there; this stays as the account's credential generation.
    session_token: str = Field(max_length=64)
    created_at: datetime = _time()
    # Set by an administrator's reset: the password is one-time and must be changed at the
    # next login (docs/security.md).
    must_change_password: bool = False


class ApiToken(SQLModel, table=True):
    __tablename__ = "api_tokens"
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    label: str = Field(default="", max_length=100)
    # Only a SHA-256 of the token is kept: a leaked database does not leak working tokens.
    token_hash: str = Field(unique=True, max_length=64)
    created_at: datetime = _time()
    last_used_at: datetime | None = _time(default=None)
    revoked_at: datetime | None = _time(default=None)
    # A token forgotten in an old script must not work for ever: 365 days unless told.
    expires_at: datetime | None = _time(default=None)


class UserSession(SQLModel, table=True):
    """One browser session, on the server (DESIGN.md, "Accounts, sessions").

    The cookie carries a random id; only its SHA-256 is kept here, so a copied database opens
    no session.  A session is live while ``ended_at`` is null, it is younger than 8 hours and
    was seen within the idle limit: ending it here ends it for every copy of the cookie."""

    __tablename__ = "user_sessions"
    __table_args__ = (Index("ix_user_sessions_user_live", "user_id", "ended_at"),)
    id: int | None = Field(default=None, primary_key=True)
    id_hash: str = Field(unique=True, max_length=64)
    user_id: int = Field(foreign_key="users.id")
    created_at: datetime = _time()
    last_seen_at: datetime = _time()
    address: str = Field(default="", max_length=64)
    browser: str = Field(default="", max_length=255)
    ended_at: datetime | None = _time(default=None)
    ended_reason: str | None = Field(default=None, max_length=32)
    # "This is my own phone", ticked at login: only then may pages be kept for offline reading.
    own_device: bool = Field(default=False, sa_column_kwargs={"server_default": false()})


class AccountEvent(SQLModel, table=True):
    """One entry of the account log: accounts made and changed, passwords, tokens, logins,
    failures, logouts, ended sessions, lockouts.  Only inserted; never a password or token.

    ``area_code`` is the area of the account concerned (empty for a failed login under an
    unknown name, whose text is not kept: it is often a password typed in the wrong box); an
    administrator reads the entries of the accounts inside her area."""

    __tablename__ = "account_events"
    __table_args__ = (Index("ix_account_events_area_at", "area_code", "at"),
                      Index("ix_account_events_user_at", "username", "at"))
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _time(index=True)
    kind: str = Field(max_length=32)
    username: str = Field(default="", max_length=64)
    area_code: str = Field(default="", max_length=12)
    actor: str = Field(default="", max_length=96)
    address: str = Field(default="", max_length=64)
    detail: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class Petitioner(SQLModel, table=True):
    """Name, phone and ID number are stored sealed under the data key (casework/privacy/crypto.py):
    a copied database file or backup shows none of them.  Read and write them through
    casework.privacy.petitioners.  ``phone_hash`` (a keyed hash) finds a caller's earlier cases."""

    __tablename__ = "petitioners"
    id: int | None = Field(default=None, primary_key=True)
    key_id: str = Field(index=True, max_length=16)  # the key all of this row is sealed with
    name_sealed: bytes = Field(sa_type=LargeBinary)
    phone_sealed: bytes = Field(sa_type=LargeBinary)
    id_number_sealed: bytes = Field(sa_type=LargeBinary)
    phone_hash: str | None = Field(default=None, index=True, max_length=64)
    gender: str = Field(default="", max_length=16)
    age_group: str = Field(default="", max_length=16)


class CaseNumberSequence(SQLModel, table=True):
    """The last case number given per county and year (numbers are gapless and in order)."""

    __tablename__ = "case_number_sequences"
    county_code: str = Field(primary_key=True, max_length=6)
    year: int = Field(primary_key=True)
    last: int = 0


# The overdue and warning scans read only cases whose clock runs and whose flag is unset, so
# their cost follows the newly flagged cases, not the history.  The scan's query repeats these
# conditions word for word: SQLite uses a partial index only when it can see that.
SCAN_CONDITIONS = {
    (flag, dialect): (f"NOT {flag}" if dialect == "postgresql" else f"{flag} = 0")
    + " AND status IN ('pending', 'in_progress')"
    for flag in ("overdue", "warning") for dialect in ("sqlite", "postgresql")
}


class Case(SQLModel, table=True):
    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_due_scan", "due_at",
              sqlite_where=text(SCAN_CONDITIONS["overdue", "sqlite"]),
              postgresql_where=text(SCAN_CONDITIONS["overdue", "postgresql"])),
        Index("ix_cases_warn_scan", "warn_at",
              sqlite_where=text(SCAN_CONDITIONS["warning", "sqlite"]),
              postgresql_where=text(SCAN_CONDITIONS["warning", "postgresql"])),
        Index("ix_cases_worklist", "village_code", "status", "due_at"),
        # The case list and the worklist (casework/lifecycle/case_lists.py, migration 0010).  With a
        # status (the worklist's open ones): status and level by equality, the area as a range, and
        # the flags the worklist counts, so its list and counts read only the open cases of
        # the area.  Without one: a county's cases in the list's own order (nearest deadline
        # first, none last, then id), so a page is read, not the county's history sorted.
        Index("ix_cases_by_status", "status", "level", "village_code", "overdue", "warning",
              "due_at"),
        Index("ix_cases_area_order", "county_code", text("(due_at IS NULL)"), "due_at", "id",
              "village_code"),
        Index("ix_cases_county_year", "county_code", "year", "seq"),
        # A month's open_end reads the cases not concluded by its end: open now, or concluded
        # after it.  Through this index that set grows with the open cases and the time since
        # the month, never with the history before it.
        Index("ix_cases_concluded_at", "concluded_at"),
        # The same for one county's report: its open and later-concluded cases, not its history.
        Index("ix_cases_county_concluded", "county_code", "concluded_at"),
        # The report's received/concluded counts (and its 12-month trend) read only these
        # columns: covering them makes those queries index-only.
        Index("ix_cases_received_report", "received_at", "concluded_at", "village_code",
              "category"),
        # A ledger row already imported is found by its fingerprint; unique, so that two
        # uploads of one file at the same moment still make each case once.
        Index("ix_cases_import_fingerprint", "import_fingerprint", unique=True),
    )
    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(unique=True, max_length=24)
    county_code: str = Field(max_length=6)
    year: int
    seq: int
    channel: str = Field(max_length=20)
    category: str = Field(max_length=32)
    urgency: str = Field(max_length=16)
    summary: str = Field(default="", sa_type=Text)
    petitioner_id: int = Field(foreign_key="petitioners.id", index=True)
    village_code: str = Field(foreign_key="areas.code", max_length=12)
    level: str = Field(max_length=32)
    status: str = Field(max_length=32)
    received_at: datetime = _time(index=True)
    entered_level_at: datetime = _time()
    due_at: datetime | None = _time(default=None)
    warn_at: datetime | None = _time(default=None)
    warning: bool = False
    overdue: bool = False
    extended: bool = False  # extend is allowed once per level
    waiting_since: datetime | None = _time(default=None)
    concluded_at: datetime | None = _time(default=None)
    last_event_seq: int = 0
    last_event_at: datetime = _time(index=True)
    # Equal to the number of events: every event, the scheduler's too, is one new version.
    version: int = 1
    # The hash of the last event (casework/lifecycle/chain.py): the next event chains to it unread.
    last_hash: str | None = Field(default=None, max_length=64)
    # The latest danger assessment (casework/lifecycle/risk.py): low, medium, high; null when
    # never assessed.  Projected from the assess events like the columns above.
    risk_level: str | None = Field(default=None, max_length=8)
    risk_assessed_at: datetime | None = _time(default=None)
    # For a case brought in from a ledger: a keyed hash of the row (casework/imports/ledger.py),
    # so that the same row sent again is a duplicate, not a second case.
    import_fingerprint: str | None = Field(default=None, max_length=64)


class ProtectionMeasure(SQLModel, table=True):
    """One protective measure of a case (warning letter, protection order, shelter, mandatory
    report) as its measure events leave it: a projection, rewritten with each of its events in
    their transaction (casework/lifecycle/measures.py), so the scheduler finds an undecided
    application or an ending order through an index instead of reading events.  ``measure_id``
    is the seq of the event that started it."""

    __tablename__ = "protection_measures"
    case_id: int = Field(primary_key=True, foreign_key="cases.id")
    measure_id: int = Field(primary_key=True)
    measure: str = Field(max_length=32)
    stage: str = Field(max_length=32)
    # An application the court has not decided yet: when its 72 (24) hours run out.
    decide_by: datetime | None = _time(default=None, index=True)
    # A granted order: seven days before it ends (order_expiring), and its end.
    expiring_at: datetime | None = _time(default=None, index=True)
    ends_at: datetime | None = _time(default=None)
    overdue_recorded: bool = False
    expiring_recorded: bool = False
    last_seq: int


class Event(SQLModel, table=True):
    """One change of a case.  Rows are only ever inserted."""

    __tablename__ = "events"
    __table_args__ = (
        UniqueConstraint("case_id", "seq", name="uq_events_case_seq"),
        # A month's events (the whole province's report, the closing): the counts and the
        # choice of conclusions and closes are made from the index alone.
        Index("ix_events_at_village", "at", "village_code", "action", "from_level",
              "to_level"),
        # An area's month of events (a county's or township's report) as one seek per village
        # (casework/reporting/reports.py), instead of the whole province's month read and filtered;
        # the level counts read nothing else, so they come from the index alone.
        Index("ix_events_village_at", "village_code", "at", "action", "from_level", "to_level"),
    )
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id")
    seq: int
    action: str = Field(max_length=32)
    from_level: str | None = Field(default=None, max_length=32)
    from_status: str | None = Field(default=None, max_length=32)
    to_level: str = Field(max_length=32)
    to_status: str = Field(max_length=32)
    actor_id: int | None = Field(default=None, foreign_key="users.id")
    actor: str = Field(max_length=64)  # user name, or "system" for the scheduler
    at: datetime = _time()
    note: str = Field(default="", sa_type=Text)
    data: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # The case's deadline after this event, and for a conclusion whether the deadline was met:
    # a closed month's report reads these facts as they were, never today's case row.
    due_at: datetime | None = _time(default=None)
    warn_at: datetime | None = _time(default=None)
    deadline_met: bool | None = None
    village_code: str = Field(max_length=12)
    # The hash chain (casework/lifecycle/chain.py): the case's event before this one, and this one.
    prev_hash: str | None = Field(default=None, max_length=64)
    hash: str | None = Field(default=None, max_length=64)


class SchedulerLease(SQLModel, table=True):
    """Which scheduler process may scan now, and how its last scan went.

    Scans are idempotent anyway; the lease keeps two schedulers from doing the same work
    twice, and lets a second machine take over when the holder stops renewing it."""

    __tablename__ = "scheduler_leases"
    name: str = Field(primary_key=True, max_length=32)
    holder: str = Field(max_length=128)
    expires_at: datetime = _time()
    last_scan_at: datetime | None = _time(default=None)
    last_scan_seconds: float | None = None
    last_scan_lag_seconds: float | None = None
    # The holder's own interval (``casework scheduler --interval`` may differ from the web
    # app's CASEWORK_SCAN_INTERVAL): /healthz judges the lag against it.
    interval_seconds: int | None = None


class Notification(SQLModel, table=True):
    """One message in the outbox (DESIGN.md, "Deadlines": notifications).

    Written in the transaction of the event it tells about and sent after that commits, by the
    scheduler's outbox job.  ``event_key`` is unique, so the same message is never queued twice;
    ``status`` goes pending -> sending (claimed by one sender) -> sent, or back to pending with a
    later ``next_attempt_at`` when sending failed, or to failed when the server keeps refusing.
    Messages carry no petitioner data: case number, level, status, deadline and category only."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_due", "status", "next_attempt_at"),)
    id: int | None = Field(default=None, primary_key=True)
    event_key: str = Field(unique=True, max_length=320)
    case_id: int | None = Field(default=None, foreign_key="cases.id")
    channel: str = Field(max_length=16)  # email, webhook
    recipient: str = Field(max_length=255)  # an e-mail address; "robot" for the webhook
    subject: str = Field(max_length=255)
    body: str = Field(sa_type=Text)
    urgent: bool = False  # an emergency: sent during quiet hours too
    status: str = Field(default="pending", max_length=16)
    attempts: int = 0
    created_at: datetime = _time()
    next_attempt_at: datetime = _time()
    claimed_until: datetime | None = _time(default=None)
    sent_at: datetime | None = _time(default=None)
    last_error: str | None = Field(default=None, max_length=500)


class LoginAttempt(SQLModel, table=True):
    """One failed login, counted against a user name and against a client address.

    In the database, not in a worker's memory, so that every gunicorn worker (and machine)
    sees the same count.  ``key_hash`` is a SHA-256 of ``user:NAME`` or ``ip:ADDRESS``: what a
    person typed as a user name (sometimes her password) is not kept readable."""

    __tablename__ = "login_attempts"
    __table_args__ = (Index("ix_login_attempts_key_time", "key_hash", "failed_at"),)
    id: int | None = Field(default=None, primary_key=True)
    key_hash: str = Field(max_length=64)
    failed_at: datetime = _time(index=True)


class ClosedMonth(SQLModel, table=True):
    """A month whose report figures were closed (DESIGN.md, "Reports": a closed month's report
    is the same every time it is run).  One row per month; the primary key is what makes two
    schedulers closing the same month at once store it once (insert-or-ignore)."""

    __tablename__ = "closed_months"
    month: str = Field(primary_key=True, max_length=7)  # YYYY-MM, Asia/Shanghai
    computed_at: datetime = _time()
    # How the figures were made: the layout of ClosedFigure's names, and a digest of the
    # workflows.yaml whose levels and statuses they count.
    report_format: int
    workflow_digest: str = Field(max_length=64)


class ClosedFigure(SQLModel, table=True):
    """One count of a closed month for one area (sparse: zero counts are not stored).

    Normalized rows rather than a JSON report per area: a province has ~21,600 areas (100
    counties, 1,500 townships, 20,000 villages) and each needs its figures, yet most villages
    have a handful of non-zero counts in a month, so ~10 rows a village beat a 1-2 KB document
    a village; and every figure is a count (rates are divided out when read), so one pass over
    the month's events fills every area at once by adding a village's counts to its township,
    its county and the whole (``area_code`` '').  A report then reads its area's rows and its
    sub-areas' rows by primary key: no scan, no JSON parsing.  Names: ``received``,
    ``concluded``, ``on_time.met``/``on_time.of``, ``satisfied``/``closes``,
    ``level.LEVEL.FIELD``, ``category.CATEGORY.received|concluded``, ``protection.FIGURE``
    (casework/reporting/protection.py)."""

    __tablename__ = "closed_figures"
    month: str = Field(primary_key=True, max_length=7, foreign_key="closed_months.month")
    area_code: str = Field(primary_key=True, max_length=12)
    figure: str = Field(primary_key=True, max_length=80)
    value: int


class Attachment(SQLModel, table=True):
    """Evidence on a case: a photo, a document or a voice recording (DESIGN.md, "Evidence").

    The bytes are in ``attachment_chunks``, sealed under the data key in chunks of 1 MiB; the
    file's name, the uploader's note and an image's thumbnail are sealed here too, so a copied
    database or backup shows nothing of the evidence but its type, size and hash.  Rows are only
    ever inserted (and re-sealed by ``casework keys rotate``): nothing deletes an attachment.
    Its ``attach`` event carries ``sha256``, which puts the evidence in the case's hash chain."""

    __tablename__ = "attachments"
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    key_id: str = Field(index=True, max_length=16)  # the key every seal of the row is under
    filename_sealed: bytes = Field(sa_type=LargeBinary)
    note_sealed: bytes = Field(sa_type=LargeBinary)
    thumbnail_sealed: bytes | None = Field(default=None, sa_type=LargeBinary)
    content_type: str = Field(max_length=100)
    size: int
    sha256: str = Field(max_length=64)
    chunks: int
    uploaded_at: datetime = _time()
    uploaded_by_id: int | None = Field(default=None, foreign_key="users.id")
    uploaded_by: str = Field(max_length=64)


class AttachmentChunk(SQLModel, table=True):
    """One sealed MiB of an attachment; ``seq`` from 0.  Each is sealed with the attachment's id,
    its index and the number of chunks as associated data, so a chunk moved, swapped, dropped or
    added fails to open."""

    __tablename__ = "attachment_chunks"
    attachment_id: int = Field(primary_key=True, foreign_key="attachments.id")
    seq: int = Field(primary_key=True)
    sealed: bytes = Field(sa_type=LargeBinary)


class LedgerUpload(SQLModel, table=True):
    """A ledger kept between its preview and the clerk's confirmation (the page
    /imports/ledger), sealed under the data key and kept for minutes only: the browser keeps
    nothing of it, and the confirmation imports exactly the file that was previewed.  ``id`` is
    a SHA-256 of the token the page holds, so the table alone opens no upload."""

    __tablename__ = "ledger_uploads"
    id: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="users.id", index=True)
    created_at: datetime = _time(index=True)
    filename: str = Field(max_length=200)
    key_id: str = Field(max_length=16)
    content_sealed: bytes = Field(sa_type=LargeBinary)
    # A large file is checked and imported beside the request (casework/imports/ledger_jobs.py):
    # kept, checking, checked, importing, imported or failed, and how far it got.
    state: str = Field(default="kept", max_length=12,
                       sa_column_kwargs={"server_default": "kept"})
    rows_checked: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    rows_written: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    progress_at: datetime | None = _time(default=None, nullable=True)
    outcome_sealed: bytes | None = Field(default=None, sa_type=LargeBinary, nullable=True)
