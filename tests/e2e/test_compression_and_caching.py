"""Light pages (contract: "On a phone"): text answers compressed when the browser accepts it,
static files linked under content-hashed names and cached for a year, the plain names still
answering but cached briefly (webui/static_files.py)."""

from __future__ import annotations

import gc
import gzip
import hashlib
import re
import urllib.request
import warnings
from datetime import timedelta
from pathlib import Path

import brotli
import pytest
from conftest import petition

from casework.lifecycle.intake import receive
from casework.scheduling.scan import scan
from e2e.conftest import login
from webui.static_files import IMMUTABLE

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
STATIC = Path(__file__).resolve().parents[2] / "webui" / "static"
HASHED_LINK = re.compile(r'(?:href|src)="(/(?:bootstrap/)?static/[^"#]+\.[0-9a-f]{12}\.\w+)')
YEAR = 31536000


@pytest.fixture
def cadre(app, people):
    client = app.test_client()
    assert login(client, people["village_a1"].username).status_code == 302
    return client


def links(page: str) -> list[str]:
    return HASHED_LINK.findall(page)


def test_a_page_is_answered_in_gzip_or_brotli_as_asked_and_plain_otherwise(
        cadre, cw, people):
    receive(cw, people["operator"], petition())
    plain = cadre.get("/", headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers
    html = plain.get_data()
    assert b"<html" in html
    zipped = cadre.get("/", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in zipped.headers["Vary"]
    assert b"<html" in gzip.decompress(zipped.get_data())
    assert len(zipped.get_data()) < len(html) / 2
    squeezed = cadre.get("/", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert squeezed.headers["Content-Encoding"] == "br"
    assert b"<html" in brotli.decompress(squeezed.get_data())


def test_a_page_another_site_made_the_browser_ask_for_is_not_compressed(cadre, cw, people):
    # BREACH: an attacker's page makes the logged-in browser fetch pages with words of its
    # choosing (a search) and reads the secret off the compressed sizes.
    receive(cw, people["operator"], petition())
    asked = {"Accept-Encoding": "gzip, br"}
    across = cadre.get("/cases?q=ab", headers={**asked, "Sec-Fetch-Site": "cross-site"})
    assert across.status_code == 200 and "Content-Encoding" not in across.headers
    for own in ("same-origin", "none"):  # her own clicks, a bookmark or a typed address
        answer = cadre.get("/cases?q=ab", headers={**asked, "Sec-Fetch-Site": own})
        assert answer.headers["Content-Encoding"] in ("gzip", "br")


def test_json_and_static_text_are_compressed_too(cadre, cw, people):
    receive(cw, people["operator"], petition())  # a list long enough to be worth it
    answer = cadre.get("/api/v1/cases", headers={"Accept-Encoding": "gzip"})
    assert answer.headers["Content-Encoding"] == "gzip"
    page = cadre.get("/").get_data(as_text=True)
    css = next(link for link in links(page) if "bootstrap.min" in link)
    for encoding, unpack in (("gzip", gzip.decompress), ("br", brotli.decompress)):
        answer = cadre.get(css, headers={"Accept-Encoding": encoding})
        assert answer.headers["Content-Encoding"] == encoding, css
        assert b".btn" in unpack(answer.get_data())


@pytest.mark.parametrize("encoding", ["br", "zstd", "identity"])
def test_a_file_sent_is_closed_with_its_answer_compressed_or_not(live_server, encoding):
    # Flask-Compress streams a compressed copy in place of the file and never closes the file:
    # it stayed open until the garbage collector found it (CPython says so in a
    # ResourceWarning; another Python might keep it for a long while).  A real server, as the
    # test client closes differently.
    asked = urllib.request.Request(live_server.url + "/sw.js",
                                   headers={"Accept-Encoding": encoding})
    gc.collect()  # what earlier tests left is not counted here
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        with urllib.request.urlopen(asked, timeout=10) as answer:
            assert answer.headers.get("Content-Encoding", "identity") == encoding
            assert answer.read()
        gc.collect()
    assert [str(found.message) for found in caught] == []


def test_every_page_links_its_css_scripts_and_icons_under_hashed_names(cadre, cw, people):
    case = receive(cw, people["operator"], petition())
    scan(cw, case.warn_at + timedelta(minutes=1))  # due soon: its mark has an icon
    for address in ("/", f"/cases/{case.number}", "/cases/new"):
        page = cadre.get(address).get_data(as_text=True)
        found = links(page)
        assert any("/static/app." in link for link in found), address
        assert any("/bootstrap/static/css/bootstrap.min." in link for link in found), address
        assert any("/bootstrap/static/js/bootstrap.min." in link for link in found), address
        plain = re.findall(r'(?:href|src)="(/(?:bootstrap/)?static/[^"#]+)', page)
        assert set(plain) <= {link.split("#")[0] for link in found}, address
    # A deadline's mark draws its icon from the small sprite, not Bootstrap's 1.1 MB of icons.
    page = cadre.get("/").get_data(as_text=True)
    assert re.search(r'href="/static/icons\.[0-9a-f]{12}\.svg#', page)
    assert "bootstrap-icons.svg" not in page


def test_the_hash_is_the_files_content_and_a_hashed_name_is_cached_for_a_year(cadre):
    page = cadre.get("/login").get_data(as_text=True)
    app_css = next(link for link in links(page) if link.startswith("/static/app."))
    digest = hashlib.sha256((STATIC / "app.css").read_bytes()).hexdigest()[:12]
    assert app_css == f"/static/app.{digest}.css"
    for link in links(page):
        answer = cadre.get(link)
        assert answer.status_code == 200, link
        assert answer.headers["Cache-Control"] == IMMUTABLE, link
        assert f"max-age={YEAR}" in IMMUTABLE and "immutable" in IMMUTABLE
    assert cadre.get(app_css).get_data() == (STATIC / "app.css").read_bytes()


def test_the_plain_name_and_an_old_hash_still_answer_but_are_cached_briefly(cadre):
    for address in ("/static/app.css", "/static/app.000000000000.css",
                    "/bootstrap/static/css/bootstrap.min.css"):
        answer = cadre.get(address)
        assert answer.status_code == 200, address
        cache = answer.headers["Cache-Control"]
        assert "immutable" not in cache and int(cache.split("max-age=")[1]) <= 3600, address
    assert cadre.get("/static/app.000000000000.css").get_data() == \
        (STATIC / "app.css").read_bytes()


def test_a_missing_file_or_a_path_out_of_the_folder_is_not_found(cadre):
    for address in ("/static/nothing.1a2b3c4d5e6f.css", "/static/../__init__.1a2b3c4d5e6f.py",
                    "/static/%2e%2e/__init__.py"):
        assert cadre.get(address).status_code == 404, address
