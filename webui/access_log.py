"""gunicorn's access log without petitioners' data.

The one address that carries a petitioner's data is the hotline's screen pop,
``/api/v1/callers/PHONE/cases`` (DESIGN.md fixes it); its phone is blanked before the line is
written.  Query strings are left out of the format altogether (webui.commands)."""

from __future__ import annotations

import re

from gunicorn.glogging import Logger

CALLER = re.compile(r"(/callers/)[^/?\s]*")
REDACTED = ("U", "r", "f")  # path, request line, referer


def redact(text: str | None) -> str | None:
    return CALLER.sub(r"\1-", text) if text else text


class RedactingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for name in REDACTED:
            atoms[name] = redact(atoms[name])
        return atoms
