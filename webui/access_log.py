"""gunicorn's access log, and the worker's own lines, without petitioners' phone numbers.

DESIGN.md fixes the screen pop's address as ``GET /api/v1/callers/PHONE/cases``, so the phone
is in the path, and the path is what an access log is for.  The logger masks that segment in
every field gunicorn can print (path, request line, referrer, raw URI), whatever the format,
and in gunicorn's debug lines and werkzeug's request log.  The format prints no query string:
``q`` or ``received_from`` may carry words of a case.  A phone typed into a case's note or
summary is the cadre's text, and no log writes those.
"""

from __future__ import annotations

import logging
import re

from gunicorn.glogging import Logger

CALLER = re.compile(r"(/callers/)[^/?\s\"]+", re.IGNORECASE)
FORMAT = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms'


def mask(text: str | None) -> str | None:
    return CALLER.sub(r"\1***", text) if text else text


class PrivateAccessLogger(Logger):
    def setup(self, cfg) -> None:
        super().setup(cfg)
        # At debug level the worker also logs each request's method and path itself.
        self.error_log.addFilter(MaskingFilter())

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {key: mask(value) if isinstance(value, str) else value
                for key, value in atoms.items()}


class MaskingFilter(logging.Filter):
    """The same for a logger's messages: gunicorn's own debug lines, and werkzeug's request
    log (its development server, used by the browser tests), which writes the request line."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.msg, record.args = mask(record.getMessage()), ()
        else:
            record.msg = mask(str(record.msg))
        return True


def mask_werkzeug_log() -> None:
    logger = logging.getLogger("werkzeug")
    if not any(isinstance(f, MaskingFilter) for f in logger.filters):
        logger.addFilter(MaskingFilter())
