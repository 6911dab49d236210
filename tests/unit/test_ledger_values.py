"""The words and dates of county ledgers, read without a database (casework/imports/)."""

from __future__ import annotations

import codecs
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from casework.errors import Invalid
from casework.imports import ledger_problems as why
from casework.imports._csvfile import detect_encoding, iter_cells
from casework.imports.ledger_problems import Problem, shown
from casework.imports.ledger_values import CellProblem, choice, level, moment, outcome
from casework.vocabulary import CATEGORIES, CHANNELS, LABELS, URGENCIES, label
from casework.workflow import load_workflow

WORKFLOW = load_workflow(Path(__file__).parents[2] / "workflows.yaml")
NOW = datetime(2026, 11, 21, tzinfo=UTC)


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-03-03", datetime(2026, 3, 3)), ("2026/3/3", datetime(2026, 3, 3)),
    ("2026.3.3", datetime(2026, 3, 3)), ("2026年3月3日", datetime(2026, 3, 3)),
    ("２０２６年３月３日", datetime(2026, 3, 3)), ("2026/3/3 14:30", datetime(2026, 3, 3, 14, 30)),
    ("2026年3月3日 9时5分", datetime(2026, 3, 3, 9, 5)),
    ("2026-03-03T14:30:00", datetime(2026, 3, 3, 14, 30)),
    ("2026/3/3 14:30:15", datetime(2026, 3, 3, 14, 30, 15)),
])
def test_the_date_forms_people_type_are_beijing_times(text, expected):
    parsed, _timed = moment(text, NOW)
    assert parsed == expected.replace(tzinfo=parsed.tzinfo)
    assert parsed.utcoffset().total_seconds() == 8 * 3600


def test_a_time_with_its_zone_keeps_it():
    parsed, timed = moment("2026-03-03T14:30:00+00:00", NOW)
    assert parsed == datetime(2026, 3, 3, 14, 30, tzinfo=UTC) and timed


def test_excel_cells_are_dates_too():
    assert moment(datetime(2026, 3, 3, 9, 0), NOW)[0].hour == 9
    assert moment(date(2026, 3, 3), NOW) == (moment("2026-03-03", NOW)[0], False)
    assert moment(46084, NOW)[0].date() == date(2026, 3, 3)


@pytest.mark.parametrize(("text", "reason"), [
    ("yesterday", why.NOT_A_DATE), ("2026/13/3", why.NOT_A_DATE), ("2026/2/30", why.NOT_A_DATE),
    ("", why.NOT_A_DATE), ("2030-01-01", why.IN_THE_FUTURE), ("1999-12-31", why.BEFORE_2000),
    (123, why.NOT_A_DATE),
])
def test_what_is_not_a_ledger_date_says_why(text, reason):
    with pytest.raises(CellProblem) as refused:
        moment(text, NOW)
    assert refused.value.reason == reason


@pytest.mark.parametrize(("kind", "allowed"), [("category", CATEGORIES), ("channel", CHANNELS),
                                               ("urgency", URGENCIES)])
def test_every_label_the_pages_show_is_taken_back(kind, allowed):
    for value in allowed:
        for language in ("zh", "en"):
            assert choice(kind, label(kind, value, language), allowed) == value
        assert choice(kind, value, allowed) == value


@pytest.mark.parametrize(("kind", "text", "expected"), [
    ("channel", "热线", "hotline_12338"), ("channel", "12338", "hotline_12338"),
    ("channel", "１２３３８", "hotline_12338"), ("channel", "信箱", "mailbox"),
    ("category", "家暴", "domestic_violence"), ("category", " 婚姻家庭 ", "marriage_family"),
    ("urgency", "加急", "urgent"),
])
def test_the_short_forms_people_write_are_taken(kind, text, expected):
    assert choice(kind, text, tuple(LABELS[kind])) == expected


def test_a_word_outside_the_vocabulary_names_what_would_be_right():
    with pytest.raises(CellProblem) as refused:
        choice("category", "打架", CATEGORIES)
    problem = Problem(4, "类别", "打架", refused.value.reason, refused.value.params,
                      refused.value.choices)
    assert problem.message().startswith("'打架' is not a known category; write one of: "
                                        "domestic_violence, marriage_family")
    assert "家庭暴力、婚姻家庭" in problem.message(language="zh_CN")
    assert "类别" in problem.message(language="zh_CN")


@pytest.mark.parametrize(("text", "expected"), [
    ("村妇代会", "village_congress"), ("村妇代会（谈心室）", "village_congress"),
    ("乡镇妇联", "township_federation"), ("排忧站", "township_federation"),
    ("县妇联", "county_center"), ("维权中心", "county_center"),
    ("县妇联维权中心", "county_center"), ("county_center", "county_center"),
    ("Township women's federation", "township_federation"),
])
def test_levels_by_id_name_or_short_form(text, expected):
    assert level(WORKFLOW, text) == expected


def test_the_mailbox_is_no_level_a_case_is_concluded_at():
    with pytest.raises(CellProblem):
        level(WORKFLOW, "village_mailbox")


@pytest.mark.parametrize(("text", "expected"), [
    ("调解成功", ("mediated", None)), ("mediated", ("mediated", None)),
    ("当事人撤回", ("withdrawn", None)), ("转介", (None, "other")),
    ("已转介：公安机关", (None, "police")), ("转介(法律援助)", (None, "legal_aid")),
    ("公安", (None, "police")), ("referred:court", (None, "court")),
    ("referred", (None, "other")),
])
def test_outcomes_and_referrals_with_their_agency(text, expected):
    assert outcome(WORKFLOW, text) == expected


def test_an_unknown_agency_is_a_problem():
    with pytest.raises(CellProblem):
        outcome(WORKFLOW, "referred:aliens")


def test_petitioners_data_in_a_problem_is_masked():
    assert shown("13812345678", "petitioner_phone") == "138****5678"
    assert shown("call me", "petitioner_phone") == "call me"
    assert shown("李秀英", "petitioner_name") == "李…"
    assert shown("丈夫酒后殴打", "summary") == "丈…"
    assert shown("x" * 100, "category").endswith("…")
    assert shown("a\x1b[2Jb", "category") == "a\\x1b[2Jb"


@pytest.mark.parametrize(("raw", "expected"), [
    ("登记日期,村\n".encode("gb18030"), "gb18030"),
    ("登记日期,村\n".encode(), "utf-8"),
    ("登记日期,村\n".encode("utf-8-sig"), "utf-8-sig"),
    (b"received_at\n", "utf-8"),
])
def test_the_encoding_is_told_from_the_bytes(tmp_path, raw, expected):
    path = tmp_path / "l.csv"
    path.write_bytes(raw)
    assert detect_encoding(path)[0] == expected


def test_a_file_with_a_bom_cut_inside_a_character_is_read_with_the_break_shown(tmp_path):
    """Found by the hostile-ledger fuzzer: the BOM used to skip the check of the bytes after
    it, and the reader then failed with a UnicodeDecodeError instead of a refusal."""
    path = tmp_path / "l.csv"
    path.write_bytes("登记日期,村\n李,某".encode("utf-8-sig")[:-1])
    assert detect_encoding(path) == ("utf-8-sig", "replace")
    assert list(iter_cells(path))[-1] == (2, ["李", "\ufffd"])


def test_a_file_with_a_bom_and_other_bytes_after_it_is_refused(tmp_path):
    path = tmp_path / "l.csv"
    path.write_bytes(codecs.BOM_UTF8 + "登记日期,村\n".encode("gb18030"))
    with pytest.raises(Invalid, match="begins as UTF-8 text but is not UTF-8"):
        detect_encoding(path)


def test_every_reason_is_a_complete_sentence_with_known_parts():
    for reason in why.REASONS:
        parts = {"value": "v", "what": "category", "choices": "a", "month": "2026-01",
                 "through": "2026-02", "township": "t", "townships": "t", "village": "v",
                 "column": "c", "limit": 1, "channel": "c", "start": "s", "heads": "h"}
        assert reason % parts
