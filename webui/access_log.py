"""gunicorn's access log without petitioners' data.

The one address that carries a petitioner's data is the hotline's screen pop,
``/api/v1/callers/PHONE/cases`` (DESIGN.md fixes it); its phone is blanked before the line is
written.  Query strings are left out of the format altogether (webui.commands).  Only the
path segment is blanked: a phone typed into a case's note or summary is the cadre's text, and
no log writes those."""

from __future__ import annotations

import logging
import re

from gunicorn.glogging import Logger

CALLER = re.compile(r"(/callers/)[^/?\s]*")
REDACTED = ("U", "r", "f")  # path, request line, referer


def redact(text: str | None) -> str | None:
    return CALLER.sub(r"\1-", text) if text else text


class RedactingLogger(Logger):
    def setup(self, cfg) -> None:
        super().setup(cfg)
        # At debug level the worker also logs each request's method and path itself.
        self.error_log.addFilter(RedactingFilter())

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for name in REDACTED:
            atoms[name] = redact(atoms[name])
        return atoms


class RedactingFilter(logging.Filter):
    """The same for a logger's messages: gunicorn's own debug lines, and werkzeug's request
    log (its development server, used by the browser tests), which writes the request line."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.msg, record.args = redact(record.getMessage()), ()
        else:
            record.msg = redact(str(record.msg))
        return True


def redact_werkzeug_log() -> None:
    logger = logging.getLogger("werkzeug")
    if not any(isinstance(f, RedactingFilter) for f in logger.filters):
        logger.addFilter(RedactingFilter())
