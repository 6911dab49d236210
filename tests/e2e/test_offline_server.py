"""The server's half of offline reading (DESIGN.md, "On a phone"): the manifest and icons, the
service worker, whether a session may keep anything, which answers are marked as keepable, the
wipe at logout, the policy that allows the worker, and migration 0020."""

from __future__ import annotations

import io
import json

from alembic import command
from conftest import petition
from evidence_files import jpeg
from PIL import Image
from sqlalchemy import inspect, select

from casework.evidence.attachments import Upload, add_attachment
from casework.lifecycle.intake import receive
from casework.storage.db import reading
from casework.storage.models import UserSession
from casework.storage.schema import alembic_config, upgrade
from e2e.conftest import login

KEEP = "Casework-Offline"
FULL_PHONE = petition()["petitioner"]["phone"]


def own_phone_login(client, who):
    answer = login(client, who.username, own_device="y")
    assert answer.status_code == 302
    return answer


def session_rows(cw) -> list[UserSession]:
    with reading(cw.engine) as session:
        return list(session.execute(select(UserSession).order_by(UserSession.id)).scalars())


def test_the_login_form_offers_own_phone_unticked(client):
    page = client.get("/login").get_data(as_text=True)
    box = page[page.index('id="own_device"') - 40:page.index('id="own_device"') + 200]
    assert 'type="checkbox"' in box and "checked" not in box
    assert "这是我自己的手机" in page


def test_a_login_without_the_tick_keeps_nothing(client, cw, people):
    case = receive(cw, people["operator"], petition())
    login(client, people["village_a1"].username)
    assert [row.own_device for row in session_rows(cw)] == [False]
    for path in ("/", f"/cases/{case.number}"):
        answer = client.get(path)
        assert answer.status_code == 200 and KEEP not in answer.headers, path
        assert 'data-own-device="no"' in answer.get_data(as_text=True)
    state = client.get("/offline/state").json
    assert state == {"signed_in": True, "own_device": False,
                     "user": people["village_a1"].username, "csrf_token": None}


def test_an_own_phone_may_keep_the_worklist_and_case_pages_only(client, cw, people, as_):
    case = receive(cw, people["operator"], petition())
    add_attachment(cw, people["operator"], case.number, Upload(io.BytesIO(jpeg()), "p.jpg"))
    own_phone_login(client, people["village_a1"])
    assert [row.own_device for row in session_rows(cw)] == [True]
    for path in ("/", f"/cases/{case.number}"):
        answer = client.get(path)
        assert answer.headers.get(KEEP) == "keep", path
        assert answer.headers["Cache-Control"] == "no-store", path  # the HTTP cache keeps none
        html = answer.get_data(as_text=True)
        assert 'data-own-device="yes"' in html
        assert FULL_PHONE not in html and FULL_PHONE[-4:] in html  # masked only
    kept_elsewhere = [client.get(path) for path in (
        "/cases", "/workflow", "/account", f"/api/v1/cases/{case.number}",
        f"/cases/{case.number}/attachments/1", "/offline/state", "/cases/450330-2099-999999")]
    assert [a.headers.get(KEEP) for a in kept_elsewhere] == [None] * len(kept_elsewhere)
    shown = client.post(f"/cases/{case.number}/phone")  # the full number's one showing
    assert FULL_PHONE in shown.get_data(as_text=True) and KEEP not in shown.headers
    by_token = client.application.test_client().get(f"/cases/{case.number}",
                                                    headers=as_("village_a1"))
    assert KEEP not in by_token.headers
    state = client.get("/offline/state").json
    assert state["own_device"] is True and state["csrf_token"]


def test_the_state_of_nobody_signed_in(client):
    answer = client.get("/offline/state")
    assert answer.json == {"signed_in": False, "own_device": False, "user": None,
                           "csrf_token": None}
    assert answer.headers["Cache-Control"] == "no-store"


def test_a_password_change_keeps_the_own_phone_choice(client, cw, people):
    own_phone_login(client, people["village_a1"])
    answer = client.post("/account/password", data={
        "current_password": "correct horse battery", "password": "plum orchard 12338 dusk",
        "confirm": "plum orchard 12338 dusk"})
    assert answer.status_code == 303
    assert [row.own_device for row in session_rows(cw)] == [True, True]
    assert client.get("/").headers.get(KEEP) == "keep"


def test_logout_tells_the_browser_to_wipe_what_it_kept(client, people):
    own_phone_login(client, people["village_a1"])
    answer = client.post("/logout")
    assert answer.status_code == 302
    assert answer.headers["Clear-Site-Data"] == '"cache", "storage"'


def test_the_manifest_makes_the_site_installable(client):
    answer = client.get("/manifest.webmanifest")
    assert answer.status_code == 200 and answer.mimetype == "application/manifest+json"
    manifest = json.loads(answer.get_data(as_text=True))
    assert manifest["name"] == "妇联维权 Casework"
    assert manifest["start_url"] == "/" and manifest["display"] == "standalone"
    sizes = []
    for icon in manifest["icons"]:
        image = client.get(icon["src"])
        assert image.status_code == 200 and image.mimetype == "image/png"
        width, height = Image.open(io.BytesIO(image.data)).size
        assert icon["sizes"] == f"{width}x{height}"
        sizes.append(width)
    assert 192 in sizes and 512 in sizes  # what Chromium asks of an installable app
    assert '<link rel="manifest" href="/manifest.webmanifest">' in client.get(
        "/login").get_data(as_text=True)


def test_the_service_worker_is_served_from_the_root_and_always_revalidated(client):
    answer = client.get("/sw.js")
    assert answer.status_code == 200 and answer.mimetype == "text/javascript"
    assert answer.headers["Cache-Control"] == "no-cache"
    assert "Casework-Offline" in answer.get_data(as_text=True)


def test_the_policy_allows_our_own_worker_and_manifest_and_nothing_more(client):
    csp = client.get("/login").headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";"))
    assert directives["worker-src"] == "'self'" and directives["manifest-src"] == "'self'"
    assert directives["script-src"] == "'self'" and "unsafe" not in csp


def test_migration_0020_adds_own_device_and_takes_it_away(client, cw, people):
    login(client, people["village_a1"].username)
    config = alembic_config(cw.engine)
    with cw.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0019")
    columns = {c["name"] for c in inspect(cw.engine).get_columns("user_sessions")}
    assert "own_device" not in columns and "ended_at" in columns
    upgrade(cw.engine, lambda: cw.keyring)
    # A session from before the column counts as a shared phone: nothing may be kept.
    assert [row.own_device for row in session_rows(cw)] == [False]
    assert client.get("/").status_code == 200 and KEEP not in client.get("/").headers
