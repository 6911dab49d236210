"""The Simplified Chinese catalogue: complete, compiled, in step with the sources, and used.

Chinese is the default language of every page, English the one asked for.  A string added to
webui/ without a translation fails here, as does a catalogue compiled before its last edit.
"""

from __future__ import annotations

import ast
import gettext
import re
from pathlib import Path

import flask_wtf.csrf
import flask_wtf.file
import pytest
import werkzeug.exceptions
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po
from conftest import VILLAGE_A1

from casework.errors import Invalid
from casework.lifecycle import actions, case_lists
from casework.lifecycle.schemas import ResolveNow, parse
from casework.people import password_policy
from casework.workflow import load_workflow
from e2e.conftest import login
from webui import core_messages

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "webui" / "translations"
# Flask-Babel asks for zh_CN, which Babel reads as zh_Hans_CN; gettext falls back to "zh".
PO = TRANSLATIONS / "zh" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")
POT = TRANSLATIONS / "messages.pot"
ENGLISH = {"Accept-Language": "en"}
OPERATOR = "hotline_operator_450330"


def catalogue(path: Path):
    with path.open("rb") as file:
        return read_po(file)


def key(msgid) -> str:
    return msgid[0] if isinstance(msgid, tuple) else msgid


def forms(message) -> tuple[str, ...]:
    return tuple(message.string) if isinstance(message.id, tuple) else (message.string,)


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> set[str]:
    """The msgids of the sources now, extracted as the README's pybabel command does."""
    pot = tmp_path_factory.mktemp("extract") / "messages.pot"
    CommandLineInterface().run(["pybabel", "-q", "extract", "-F", str(ROOT / "babel.cfg"),
                                "-k", "_l", "-k", "lazy_gettext", "-o", str(pot), str(ROOT)])
    return {key(message.id) for message in catalogue(pot) if message.id}


# -- the catalogue ----------------------------------------------------------------------------
def test_every_message_has_a_chinese_translation_and_none_is_fuzzy():
    po = catalogue(PO)
    assert not po.fuzzy  # pybabel compile skips a catalogue whose header is fuzzy
    assert po.num_plurals == 1
    untranslated = [m.id for m in po if m.id and not all(s.strip() for s in forms(m))]
    fuzzy = [m.id for m in po if m.id and m.fuzzy]
    plurals = [m.id for m in po if isinstance(m.id, tuple) and len(forms(m)) != 1]
    assert (untranslated, fuzzy, plurals) == ([], [], [])


def test_translations_keep_the_placeholders_and_add_no_percent_sign():
    po = catalogue(PO)
    assert [(m.id, [str(e) for e in errors]) for m, errors in po.check()] == []
    for message in po:
        if message.id:
            wanted = sorted(re.findall(r"%\(\w+\)[sd]|%", " ".join(
                (message.id,) if isinstance(message.id, str) else message.id[:1])))
            for form in forms(message):
                # Jinja's _() %-formats every string: a stray % would break the page.
                assert sorted(re.findall(r"%\(\w+\)[sd]|%", form)) == wanted, message.id


def test_the_compiled_catalogue_is_the_po_as_it_is_now():
    expected = {}
    for message in catalogue(PO):
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            expected.update({(message.id[0], n): s for n, s in enumerate(message.string)})
        else:
            expected[message.id] = message.string
    with MO.open("rb") as file:
        compiled = {k: v for k, v in gettext.GNUTranslations(file)._catalog.items() if k != ""}
    assert compiled == expected, "run: pybabel compile -d webui/translations"


def test_every_message_of_the_sources_is_in_the_catalogue(extracted):
    translated = {key(message.id) for message in catalogue(PO) if message.id}
    missing = sorted(extracted - translated)
    assert missing == [], ("run: pybabel extract -F babel.cfg -k _l -k lazy_gettext -o "
                           "webui/translations/messages.pot . && pybabel update -i "
                           "webui/translations/messages.pot -d webui/translations, translate, "
                           "then pybabel compile -d webui/translations")


def test_the_template_is_the_extraction_of_the_sources_now(extracted):
    assert {key(message.id) for message in catalogue(POT) if message.id} == extracted


# -- the messages only known at run time (webui/core_messages.py) ---------------------------
def test_the_cores_messages_in_the_catalogue_are_still_the_cores():
    source = "\n".join(path.read_text(encoding="utf-8")
                       for path in (ROOT / "casework").rglob("*.py"))
    # A long sentence is written as adjacent literals; the parser joins them.
    source += "\n".join(node.value for path in (ROOT / "casework" / "imports").rglob("*.py")
                        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
                        if isinstance(node, ast.Constant) and isinstance(node.value, str))
    with pytest.raises(Invalid) as refused:  # pydantic's words, passed on by the core
        parse(ResolveNow, {"outcome": "advised", "note": " "})
    pydantic_words = refused.value.fields["note"]
    assert [m for m in core_messages.FROM_THE_CORE
            if m not in source and m != pydantic_words] == []


def test_the_workflows_messages_in_the_catalogue_are_those_of_the_packaged_workflow():
    workflow = load_workflow(ROOT / "workflows.yaml")

    def one_of(names) -> str:
        return "must be one of: " + ", ".join(names)

    expected = {
        *(one_of(workflow.choices[name]) for name in ("outcome", "agency", "satisfaction")),
        one_of(workflow.actions["assign"].target_levels), one_of(workflow.actions),
        one_of(workflow.roles),
        f"a case of emergency starts at {workflow.emergency_start_level}",
        *(f"a case of channel {channel} starts at {level}"
          for channel, level in workflow.channel_start_levels.items()),
        *(f"a {channel} case cannot be resolved on the spot"
          for channel in workflow.channel_start_levels),
        f"a whole number of working days from 1 to {actions.MAX_EXTENSION_DAYS}",
        f"a whole number from 1 to {10**6}", f"a whole number from 1 to {case_lists.MAX_PER_PAGE}",
        password_policy.TOO_SHORT, password_policy.TOO_LONG,
    }
    assert set(core_messages.FROM_THE_WORKFLOW) == expected


def test_the_vocabularies_refusals_in_the_catalogue_are_those_of_the_core():
    from casework.vocabulary import AGE_GROUPS, CATEGORIES, CHANNELS, GENDERS, URGENCIES, one_of

    assert set(core_messages.FROM_THE_VOCABULARY) == {
        one_of(CHANNELS), one_of(CATEGORIES), one_of(URGENCIES), one_of(("", *GENDERS)),
        one_of(("", *AGE_GROUPS))}


def test_webuis_and_the_libraries_messages_in_the_catalogue_are_still_theirs():
    webui = "\n".join(path.read_text(encoding="utf-8") for path in (ROOT / "webui").rglob("*.py")
                      if path.name != "core_messages.py")
    assert [m for m in core_messages.FROM_WEBUI if m not in webui] == []
    described = {cls.description for cls in vars(werkzeug.exceptions).values()
                 if isinstance(cls, type) and issubclass(cls, werkzeug.exceptions.HTTPException)}
    flask_wtf_source = Path(flask_wtf.csrf.__file__).read_text(encoding="utf-8")
    # The upload check of the areas page, FileAllowed(["csv", "xlsx"]), formats its message.
    upload = Path(flask_wtf.file.__file__).read_text(encoding="utf-8")
    assert "File does not have an approved extension: {extensions}" in upload
    libraries = [m for m in core_messages.FROM_LIBRARIES if not m.startswith("File does not")]
    assert [m for m in libraries if m not in described and m not in flask_wtf_source] == []


# -- the pages --------------------------------------------------------------------------------
def title(answer) -> str:
    return re.search(r"<title>(.*?)</title>", answer.get_data(as_text=True), re.S).group(1)


def test_pages_are_in_chinese_by_default_and_in_english_on_request(client):
    page = client.get("/login")
    assert '<html lang="zh-CN">' in page.get_data(as_text=True)
    assert title(page) == "登录 · 维权案件管理"
    for chinese in ("zh-CN,zh;q=0.9", "zh", "fr-FR", "*"):
        assert title(client.get("/login", headers={"Accept-Language": chinese})).startswith("登录")
    english = client.get("/login", headers=ENGLISH).get_data(as_text=True)
    assert '<html lang="en">' in english and "<title>Log in · Casework</title>" in english
    assert "登录" not in english
    assert title(client.get("/login", headers={"Accept-Language": "de, en;q=0.5"})).startswith(
        "Log in")


def test_the_language_chosen_in_the_page_wins_over_the_browsers(client):
    assert client.post("/language", data={"locale": "en", "next": "/login"}).status_code == 303
    assert title(client.get("/login")).startswith("Log in")
    client.post("/language", data={"locale": "zh_CN", "next": "/login"})
    assert title(client.get("/login", headers=ENGLISH)).startswith("登录")


def test_the_worklist_and_its_navigation_are_chinese(client, people):
    login(client, OPERATOR)
    page = client.get("/").get_data(as_text=True)
    for words in ("待办事项", "案件登记", "月度报表", "办理流程", "退出", "逾期", "临期"):
        assert words in page
    english = client.get("/", headers=ENGLISH).get_data(as_text=True)
    assert "Worklist" in english and "待办事项" not in english


def test_the_reasons_of_the_core_and_of_webui_are_shown_in_chinese(client, people):
    assert "用户名或密码错误" in login(client, OPERATOR, "wrong horse").get_data(as_text=True)
    login(client, OPERATOR)
    missing = client.get("/no/such/page").get_data(as_text=True)
    assert "服务器上找不到所请求的网址" in missing
    report = client.get("/reports/monthly?month=2026-13").get_data(as_text=True)
    assert "须为 2000-01 至 2100-12 之间的月份（YYYY-MM）" in report
    intake = client.post("/cases/new", data={
        "channel": "hotline_12338", "village_code": VILLAGE_A1, "category": "domestic_violence",
        "urgency": "emergency", "summary": "丈夫正在打人", "start_level": "village_congress"})
    assert intake.status_code == 422
    assert "特急案件须从县妇联维权中心开始办理" in intake.get_data(as_text=True)
    english = client.get("/reports/monthly?month=2026-13", headers=ENGLISH)
    assert "must be a month as YYYY-MM" in english.get_data(as_text=True)


def test_every_refusal_of_an_attachment_is_in_the_catalogue():
    from casework.evidence import _isobmff, _office, kinds, scrub

    refusals = {kinds.EMPTY, kinds.TOO_LARGE, kinds.NOT_TAKEN, kinds.PROGRAM, kinds.ARCHIVE,
                kinds.OLD_OFFICE, kinds.VIDEO, kinds.DAMAGED_PDF, _office.ZIP_BOMB,
                _office.DAMAGED, _office.NOT_OFFICE, _office.MACROS, _isobmff.DAMAGED,
                scrub.DAMAGED_PHOTO, scrub.TOO_MANY_PIXELS, scrub.NO_HEIF}
    assert refusals - set(core_messages.FROM_THE_EVIDENCE) == set()
