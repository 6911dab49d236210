"""gunicorn's access log without petitioners' phone numbers.

DESIGN.md fixes the screen pop's address as ``GET /api/v1/callers/PHONE/cases``, so the phone
is in the path, and the path is what an access log is for.  This logger masks that segment in
every field gunicorn can print (path, request line, referrer, raw URI), whatever the format.
The format itself prints no query string: ``q`` or ``received_from`` may carry words of a case.
"""

from __future__ import annotations

import re

from gunicorn.glogging import Logger

CALLER = re.compile(r"(/callers/)[^/?\s\"]+", re.IGNORECASE)
FORMAT = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms'


def mask(text: str) -> str:
    return CALLER.sub(r"\1***", text)


class PrivateAccessLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {key: mask(value) if isinstance(value, str) else value
                for key, value in atoms.items()}
