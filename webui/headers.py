"""Security headers on every answer (pages, API, static files and error pages alike).

The content security policy allows scripts and styles from this site only: no inline
``<script>``, no ``style=""`` attribute, nothing from another host (the pages work with no
internet anyway).  Pages hand data to their scripts as ``<script type="application/json">``,
which is data, not script, and is not blocked.
"""

from __future__ import annotations

from flask import Flask, Response, request

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",  # Bootstrap's icons are data: URLs in its CSS
    "font-src 'self'",
    "connect-src 'self'",
    "worker-src 'self'",  # the service worker (/sw.js) that keeps pages for offline reading
    "manifest-src 'self'",  # /manifest.webmanifest, which makes the site installable
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate it
    "X-Content-Type-Options": "nosniff",
    # Case numbers are in our addresses: another site never learns which page sent a click.
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}
HSTS = "max-age=31536000"  # a year; no includeSubDomains: other hosts of a county are not ours


def add_security_headers(response: Response) -> Response:
    response.headers.update(HEADERS)
    # Only over TLS (browsers ignore it over plain HTTP anyway, and a plain-HTTP try-out must
    # not pin a name to HTTPS).  Behind a proxy, CASEWORK_PROXIES makes ProxyFix trust its
    # X-Forwarded-Proto, so a request that reached the proxy over HTTPS counts as secure.
    if request.is_secure:
        response.headers["Strict-Transport-Security"] = HSTS
    return response


def register(app: Flask) -> None:
    app.after_request(add_security_headers)
