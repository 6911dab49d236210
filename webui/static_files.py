"""Light pages on a weak signal (contract: "On a phone"): text answers compressed, and static
files under content-hashed names cached for a year.

Every ``url_for('static', ...)`` and ``url_for('bootstrap.static', ...)`` (Bootstrap-Flask's
``load_css``/``load_js`` included) names the file with the first 12 hex digits of its sha256,
``app.css`` -> ``app.1a2b3c4d5e6f.css``: a phone keeps it for a year without asking again, and
a new release names the changed files anew.  The plain name still answers, cached 10 minutes.
An old hash answers with today's file, cached briefly, so that a page cached before an upgrade
still looks right.  In production nginx serves both (docs/deploy/nginx-casework.conf).
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable

from flask import Flask, Response, request
from flask_compress import Compress
from werkzeug.security import safe_join

HASHED = re.compile(r"^(?P<stem>.+)\.(?P<digest>[0-9a-f]{12})(?P<suffix>\.[A-Za-z0-9]+)$")
IMMUTABLE = "public, max-age=31536000, immutable"
SHORT = "public, max-age=600"
ENDPOINTS = ("static", "bootstrap.static")

compress = Compress()


class Fingerprints:
    """The digest of each static file, computed once per version of the file."""

    def __init__(self) -> None:
        self._known: dict[str, tuple[int, int, str]] = {}

    def digest(self, folder: str, filename: str) -> str | None:
        path = safe_join(folder, filename)
        if path is None or not os.path.isfile(path):
            return None
        stat = os.stat(path)
        known = self._known.get(path)
        if known and known[:2] == (stat.st_mtime_ns, stat.st_size):
            return known[2]
        with open(path, "rb") as file:
            digest = hashlib.sha256(file.read()).hexdigest()[:12]
        self._known[path] = (stat.st_mtime_ns, stat.st_size, digest)
        return digest


def hashed_name(filename: str, digest: str) -> str:
    stem, dot, suffix = filename.rpartition(".")
    if not dot or "/" in suffix:
        return filename  # no extension: left as it is
    return f"{stem}.{digest}.{suffix}"


def _no_compression_across_sites() -> None:
    """A request another site made the browser send is answered uncompressed.

    BREACH guesses a secret on a page (a summary, a token) from the compressed size of many
    answers to requests the attacker chose, sent by the victim's logged-in browser: such
    requests come from the attacker's site, and the browser says so (Sec-Fetch-Site).  Her own
    navigation, and the typed address or bookmark ("none"), stay compressed."""
    if request.headers.get("Sec-Fetch-Site") == "cross-site":
        request.environ["HTTP_ACCEPT_ENCODING"] = "identity"


def _close_the_file_sent(response: Response) -> Response:
    """A file sent by ``send_file`` is closed when its answer is, compressed or not.

    Flask-Compress puts its compressed stream in place of a streamed body and never closes
    the file it read from: each file it compressed (the service worker every phone asks for
    at each visit) stayed open until the garbage collector found it.  Runs before
    Flask-Compress (registered after it)."""
    body = response.response
    if response.is_streamed and callable(getattr(body, "close", None)):
        response.call_on_close(body.close)
    return response


def register(app: Flask) -> None:
    # Pages, JSON and CSS/JS/SVG are compressed when the browser accepts it (brotli, zstd or
    # gzip); images and spreadsheets are compressed already and are left alone.
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    app.before_request(_no_compression_across_sites)
    compress.init_app(app)
    app.after_request(_close_the_file_sent)
    fingerprints = Fingerprints()
    folders = {"static": app.static_folder,
               "bootstrap.static": app.blueprints["bootstrap"].static_folder}

    def add_digest(endpoint: str, values: dict) -> None:
        if endpoint in folders and "filename" in values:
            digest = fingerprints.digest(folders[endpoint], values["filename"])
            if digest:
                values["filename"] = hashed_name(values["filename"], digest)

    app.url_defaults(add_digest)
    for endpoint, folder in folders.items():
        app.view_functions[endpoint] = serving(app.view_functions[endpoint], folder,
                                               fingerprints)


def serving(send: Callable[..., Response], folder: str,
            fingerprints: Fingerprints) -> Callable[..., Response]:
    def serve(filename: str) -> Response:
        cache = SHORT
        match = HASHED.match(filename)
        if match and fingerprints.digest(folder, filename) is None:
            real = match["stem"] + match["suffix"]
            if fingerprints.digest(folder, real) == match["digest"]:
                cache = IMMUTABLE
            filename = real
        response = send(filename=filename)
        response.headers["Cache-Control"] = cache
        # Read into memory (the files are small): Flask-Compress compresses a streamed file
        # with brotli or zstd only, which would leave a gzip-only browser with none.
        response.direct_passthrough = False
        response.make_sequence()
        return response

    return serve
