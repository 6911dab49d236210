"""gunicorn's access log, and the worker's own lines, without petitioners' phone numbers.

DESIGN.md fixes the screen pop's address as ``GET /api/v1/callers/PHONE/cases``, so the phone
is in the path, and the path is what an access log is for.  The logger masks that segment in
every field gunicorn can print (path, request line, referrer, raw URI), whatever the format,
and in gunicorn's debug lines and werkzeug's request log.  The format prints no query string:
``q`` or ``received_from`` may carry words of a case.  A phone typed into a case's note or
summary is the cadre's text, and no log writes those.

What is masked (tests/e2e/test_access_log.py):
- the whole ``/callers/`` segment, whatever it holds and however it is spelled: decoded
  (gunicorn's path is, so ``+86 139 0000 0001`` arrives with its spaces), percent-encoded, with
  dashes or slashes inside, valid or not, up to its ``/cases`` or the end of the path;
- any other run of 7 or more digits, counted across the separators a phone is written with
  (spaces, dashes, parentheses, a plus, percent escapes such as ``%20``): a phone typed into a
  wrong address (``/cases/13900000001``) is still a phone.  A case number
  (``450330-2026-000001``) is kept: it names a case, not a person, and a log without it would
  be of no use.  Dots do not join digits, so client addresses stay readable.
"""

from __future__ import annotations

import logging
import re

from gunicorn.glogging import Logger

# The segment ends before its "/cases" (when that ends the path) or at the end of the path:
# a query, the closing quote of a logged request line, or " HTTP/1.1".
CALLER = re.compile(
    r"(/callers/)(?:.*?)(?=/cases(?=[?\"]|\s|$)|[?\"]|\s+HTTP/|$)", re.IGNORECASE)
SEPARATOR = r"(?:[ \t+()\-]|%[0-9A-Fa-f]{2})"
DIGIT_RUN = re.compile(
    rf"(?<![0-9])(?P<case>[0-9]{{6}}-[0-9]{{4}}-[0-9]{{6}})(?![0-9])|[0-9](?:{SEPARATOR}*[0-9])*")
ESCAPE_OR_SEPARATOR = re.compile(SEPARATOR)
PHONE_DIGITS = 7
FORMAT = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms'
# gunicorn's atoms that never hold a path: the client's address, times, sizes, status.
NOT_PATHS = frozenset({"h", "t", "s", "b", "B", "T", "D", "M", "L", "p", "m", "H"})


def _digits(match: re.Match) -> str:
    run = match.group(0)
    if match.group("case"):
        return run
    digits = sum(char.isdigit() for char in ESCAPE_OR_SEPARATOR.sub("", run))
    return "***" if digits >= PHONE_DIGITS else run


def mask(text: str | None) -> str | None:
    """``text`` (a path, a request line, a log line) with every phone in it masked."""
    if not text:
        return text
    return DIGIT_RUN.sub(_digits, CALLER.sub(r"\1***", text))


def mask_caller(text: str | None) -> str | None:
    """Only the ``/callers/`` segment (for fields that hold no path, such as a user agent)."""
    return CALLER.sub(r"\1***", text) if text else text


class PrivateAccessLogger(Logger):
    def setup(self, cfg) -> None:
        super().setup(cfg)
        # At debug level the worker also logs each request's method and path itself.
        self.error_log.addFilter(MaskingFilter())

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {key: value if not isinstance(value, str) or key in NOT_PATHS else mask(value)
                for key, value in atoms.items()}


# Where a log line carries a path: a quoted request line, or a word that starts with "/".
PATH_IN_LINE = re.compile(r'"[^"]*"|(?<!\S)/\S*')


def mask_line(text: str) -> str:
    """A log line: the callers segment anywhere, phone-like runs only in its paths, so that
    the server's port, a process id or a response size stays readable."""
    return PATH_IN_LINE.sub(lambda found: mask(found.group(0)), mask_caller(text))


class MaskingFilter(logging.Filter):
    """The same for a logger's messages: gunicorn's own debug lines, and werkzeug's request
    log (its development server, used by the browser tests), which writes the request line."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.msg, record.args = mask_line(record.getMessage()), ()
        else:
            record.msg = mask_line(str(record.msg))
        return True


def mask_werkzeug_log() -> None:
    logger = logging.getLogger("werkzeug")
    if not any(isinstance(f, MaskingFilter) for f in logger.filters):
        logger.addFilter(MaskingFilter())
