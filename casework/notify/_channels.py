"""Sending one outbox row: by SMTP (``CASEWORK_SMTP_URL``) or to a WeCom-style robot webhook
(``CASEWORK_WEBHOOK_URL``).  Nothing here touches the database.

Every failure becomes a ``SendFailed`` that says whether the server answered "no" to this
message (``refused``: retry a while, then give up) and whether the channel cannot take anything
now (``channel_down``: unreachable, unavailable or rate-limited; its other rows wait for the next
run instead of each waiting for a timeout).  The webhook URL carries the robot's key: it is never
logged.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import smtplib
import socket
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime
from urllib.error import HTTPError, URLError
from urllib.parse import parse_qs, unquote, urlsplit
from urllib.request import Request, urlopen

from casework.storage.db import utcnow
from casework.storage.models import Notification

SMTP_TIMEOUT = 20  # seconds, per network operation
WEBHOOK_TIMEOUT = 10
WECOM_RATE_LIMITED = 45009  # the robot takes 20 messages a minute


class SendFailed(Exception):
    def __init__(self, message: str, *, refused: bool = False, channel_down: bool = False):
        super().__init__(message)
        self.refused = refused
        self.channel_down = channel_down


@dataclass(frozen=True)
class SmtpTarget:
    host: str
    port: int
    ssl: bool
    starttls: bool
    username: str | None
    password: str | None


def parse_smtp_url(url: str) -> SmtpTarget:
    """smtp://host:port, smtp://user:pass@host:port, smtps://... (TLS from the start),
    smtp://...?starttls=1."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError("CASEWORK_SMTP_URL must look like smtp://host:port or smtps://host:port")
    query = parse_qs(parts.query)
    starttls = query.get("starttls", ["0"])[-1].lower() in ("1", "true", "yes", "on")
    return SmtpTarget(
        host=parts.hostname, port=parts.port or (465 if parts.scheme == "smtps" else 25),
        ssl=parts.scheme == "smtps", starttls=starttls,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None)


def mail_from() -> str:
    return os.environ.get("CASEWORK_MAIL_FROM") or f"casework@{socket.gethostname()}"


def email_message(row: Notification, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = row.subject
    message["From"] = sender
    message["To"] = row.recipient
    message["Date"] = format_datetime(utcnow())
    # The same row always has the same Message-ID, so in the one case where a mail can go out
    # twice (see outbox.py) mail programs that drop duplicates show it once.
    digest = hashlib.sha256(row.event_key.encode()).hexdigest()[:16]
    message["Message-ID"] = f"<casework.{row.id}.{digest}@{sender.rpartition('@')[2]}>"
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(row.body)
    return message


class Mailer:
    """One SMTP connection for a run of the outbox job, opened at the first mail."""

    def __init__(self, url: str) -> None:
        self.target = parse_smtp_url(url)
        self.sender = mail_from()
        self.connection: smtplib.SMTP | None = None

    def send(self, row: Notification) -> None:
        try:
            if self.connection is None:
                self.connection = self._connect()
            self.connection.send_message(email_message(row, self.sender), self.sender,
                                         [row.recipient])
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise SendFailed(f"recipient refused ({', '.join(map(str, codes))})",
                             refused=any(code >= 500 for code in codes)) from None
        except smtplib.SMTPNotSupportedError as exc:  # e.g. a non-ASCII address, no SMTPUTF8
            self.close()
            raise SendFailed(f"SMTP server cannot take this message: {exc}"[:300],
                             refused=True) from None
        except smtplib.SMTPResponseException as exc:
            self.close()
            text = exc.smtp_error.decode(errors="replace") if isinstance(
                exc.smtp_error, bytes) else str(exc.smtp_error)
            # 421: the server is closing the door on everyone, not just on this message.
            raise SendFailed(f"SMTP {exc.smtp_code} {text}"[:300], refused=exc.smtp_code >= 500,
                             channel_down=exc.smtp_code == 421) from None
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            raise SendFailed(f"SMTP server unreachable: {type(exc).__name__}: {exc}"[:300],
                             channel_down=True) from None

    def _connect(self) -> smtplib.SMTP:
        target = self.target
        if target.ssl:
            connection: smtplib.SMTP = smtplib.SMTP_SSL(
                target.host, target.port, timeout=SMTP_TIMEOUT,
                context=ssl.create_default_context())
        else:
            connection = smtplib.SMTP(target.host, target.port, timeout=SMTP_TIMEOUT)
            if target.starttls:
                connection.starttls(context=ssl.create_default_context())
        if target.username:
            connection.login(target.username, target.password or "")
        return connection

    def close(self) -> None:
        if self.connection is not None:
            try:
                self.connection.quit()
            except (OSError, smtplib.SMTPException):
                self.connection.close()
            self.connection = None


class Robot:
    """A WeCom-style group robot: POST {"msgtype": "markdown", "markdown": {"content": ...}}."""

    def __init__(self, url: str) -> None:
        self.url = url

    def send(self, row: Notification) -> None:
        payload = {"msgtype": "markdown", "markdown": {"content": row.body}}
        request = Request(self.url, method="POST",
                          data=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
                          headers={"Content-Type": "application/json; charset=utf-8"})
        try:
            with urlopen(request, timeout=WEBHOOK_TIMEOUT) as response:  # noqa: S310
                answer = response.read(65536)
        except HTTPError as exc:
            retry = exc.code == 429 or exc.code >= 500
            raise SendFailed(f"webhook answered HTTP {exc.code}", refused=not retry,
                             channel_down=retry) from None
        except (URLError, OSError, http.client.HTTPException) as exc:
            reason = getattr(exc, "reason", exc)
            raise SendFailed(f"webhook unreachable: {type(reason).__name__}: {reason}"[:300],
                             channel_down=True) from None
        try:
            result = json.loads(answer or b"{}")
        except ValueError:
            return  # a plain robot that answers 200 with no JSON took the message
        code = result.get("errcode", 0) if isinstance(result, dict) else 0
        if code:
            message = str(result.get("errmsg", ""))[:200]
            limited = code == WECOM_RATE_LIMITED
            raise SendFailed(f"webhook errcode {code}: {message}", refused=not limited,
                             channel_down=limited)
