"""A paper ledger from a hostile or careless source (huge fields, control characters, NUL bytes,
GBK or UTF-16 files, BOMs, truncated files, formulas in cells) is refused with one clear
``Invalid`` naming the line or the file, or imported whole; never another exception, never half
written.  The command line says it in one sentence on stderr, followed by each of the file's
problems on a line of its own, with exit status 1."""

from __future__ import annotations

import io
import unicodedata
import zipfile
from datetime import datetime

import pytest
from click.testing import CliRunner
from conftest import DATA_KEY, WORKFLOW
from hostile import ENCODINGS, FORMULAS, cell_text, csv_text, encode
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from processes import LONG, record
from sqlalchemy import func, select

from casework.entrypoints.cli import main
from casework.errors import Invalid
from casework.imports.ledger import COLUMNS, run_import
from casework.storage.db import reading
from casework.storage.models import Case, Event, Petitioner

EXAMPLES = 1000 if LONG else 60
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None,
                suppress_health_check=list(HealthCheck))
NOW = datetime.fromisoformat("2026-11-21T12:00:00+08:00")
GOOD = {"received_at": "2026-03-02 09:30", "village_code": "450330100201",
        "category": "domestic_violence", "channel": "hotline_12338", "urgency": "normal",
        "summary": "台账", "petitioner_name": "李某", "petitioner_phone": "13812345678",
        "concluded_level": "village_congress", "concluded_at": "2026-03-05",
        "outcome": "mediated"}
tried: dict[str, int] = {}
outcomes: dict[str, int] = {}


def stored(cw) -> tuple[int, int, int]:
    with reading(cw.engine) as session:
        return tuple(session.execute(select(func.count()).select_from(t)).scalar_one()
                     for t in (Case, Event, Petitioner))


def outcome_of(cw, path, kind: str) -> str:
    """Import ``path``: refused cleanly with nothing written, or imported whole."""
    tried[kind] = tried.get(kind, 0) + 1
    before = stored(cw)
    try:
        preview = run_import(cw, path, now=NOW)
    except Invalid as exc:
        assert stored(cw) == before, "a refused ledger wrote something"
        assert set(exc.fields) == {"file"}
        message = exc.message
        assert len(message) < 600, message
        assert not [c for c in message if unicodedata.category(c) in ("Cc", "Cf")], message
        assert message.startswith("line ") or path.name in message, message
        outcomes["refused"] = outcomes.get("refused", 0) + 1
        return "refused"
    outcomes["imported"] = outcomes.get("imported", 0) + 1
    after = stored(cw)
    # Rows an earlier example imported already are duplicates now: skipped, not doubled.
    assert after[0] - before[0] == preview.imported
    assert preview.imported + preview.duplicates == preview.rows > 0
    return "imported"


@pytest.fixture
def hostile_cw(cw, county):
    yield cw
    record_totals()


def record_totals() -> None:
    if tried:
        print(f"\nhostile ledger inputs tried: {tried}, {outcomes}")


rows_of_cells = st.lists(st.fixed_dictionaries({name: cell_text for name in COLUMNS}),
                         min_size=1, max_size=4)


@given(data=st.data())
@FUZZ
def test_hostile_csv_ledgers_are_refused_or_imported_whole(hostile_cw, tmp_path_factory, data):
    cw = hostile_cw
    rows = data.draw(rows_of_cells)
    # Some rows keep most good values, so refusals come from deep inside, not the first check.
    for row in rows:
        for name in data.draw(st.sets(st.sampled_from(COLUMNS))):
            row[name] = GOOD[name]
    header = data.draw(st.one_of(st.just(list(COLUMNS)), st.permutations(list(COLUMNS)),
                                 st.lists(st.sampled_from([*COLUMNS, "extra", "", "\ufeff"]),
                                          max_size=12)))
    text = csv_text(header, [[row.get(name, "") for name in header] for row in rows])
    raw = encode(text, data.draw(st.sampled_from(ENCODINGS)))
    cut = data.draw(st.one_of(st.none(), st.integers(0, max(len(raw) - 1, 0))))
    if cut is not None:
        raw = raw[:cut]
    path = tmp_path_factory.mktemp("csv") / "ledger.csv"
    path.write_bytes(raw)
    outcome_of(cw, path, "csv")


@given(raw=st.binary(max_size=3000), prefix=st.sampled_from([b"", b"\xef\xbb\xbf",
                                                              b"\xff\xfe", b"PK\x03\x04"]))
@FUZZ
def test_random_bytes_as_a_ledger_are_refused(hostile_cw, tmp_path_factory, raw, prefix):
    folder = tmp_path_factory.mktemp("bytes")
    header = ",".join(COLUMNS).encode() + b"\r\n"
    for name, content in (("ledger.csv", header + prefix + raw), ("ledger.xlsx", prefix + raw)):
        path = folder / name
        path.write_bytes(content)
        outcome_of(hostile_cw, path, "bytes")


xlsx_value = st.one_of(cell_text.map(lambda text: "".join(c for c in text if c >= " " or
                                                          c in "\t\n\r")[:32000]),
                       st.integers(-10**12, 10**12), st.floats(allow_nan=True),
                       st.booleans(), st.none(), st.sampled_from(FORMULAS),
                       st.datetimes(min_value=datetime(1900, 3, 1), max_value=datetime(2100, 1, 1)))


def xlsx_bytes(header: list, rows: list[list]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@given(data=st.data())
@FUZZ
def test_hostile_xlsx_ledgers_are_refused_or_imported_whole(hostile_cw, tmp_path_factory, data):
    rows = []
    for _ in range(data.draw(st.integers(1, 3))):
        row = dict(GOOD)
        for name in data.draw(st.sets(st.sampled_from(COLUMNS), min_size=1)):
            row[name] = data.draw(xlsx_value)
        rows.append([row[name] for name in COLUMNS])
    raw = xlsx_bytes(list(COLUMNS), rows)
    damage = data.draw(st.sampled_from(["none", "truncate", "flip", "drop_member"]))
    # A fraction, not an offset: the workbook's length varies with its timestamp.
    at = int(data.draw(st.floats(0, 1, exclude_max=True)) * len(raw))
    if damage == "truncate":
        raw = raw[:at]
    elif damage == "flip":
        raw = raw[:at] + bytes([raw[at] ^ 0xFF]) + raw[at + 1:]
    elif damage == "drop_member":
        raw = without_member(raw, data.draw(st.integers(0, 20)))
    path = tmp_path_factory.mktemp("xlsx") / "ledger.xlsx"
    path.write_bytes(raw)
    outcome_of(hostile_cw, path, "xlsx")


def without_member(raw: bytes, index: int) -> bytes:
    """The workbook with one of its zip members left out (a half-copied file)."""
    source = zipfile.ZipFile(io.BytesIO(raw))
    names = source.namelist()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for position, name in enumerate(names):
            if position != index % len(names):
                target.writestr(name, source.read(name))
    return out.getvalue()


@pytest.mark.parametrize("content", [
    pytest.param(csv_text(list(COLUMNS), [list(GOOD.values())]).encode("utf-16"), id="utf-16"),
    pytest.param(b"received_at,village_code\r\n\x00\x00", id="nul"),
    pytest.param(csv_text(list(COLUMNS), [[*list(GOOD.values())[:5], "x" * 200_000,
                                           *list(GOOD.values())[6:]]]).encode(), id="huge"),
    pytest.param(csv_text(list(COLUMNS), [list(GOOD.values())]).encode()[:150], id="truncated"),
])
def test_the_command_line_refuses_a_hostile_ledger_in_one_sentence(database_url, cw, county,
                                                                   tmp_path, content):
    path = tmp_path / "ledger.csv"
    path.write_bytes(content)
    before = stored(cw)
    env = {"CASEWORK_DATABASE_URL": database_url, "CASEWORK_WORKFLOW": str(WORKFLOW)}
    result = CliRunner().invoke(main, ["import", "ledger", str(path)], env=env)
    assert result.exit_code == 1, result.output
    first, *problems = result.stderr.strip().splitlines()
    assert first.startswith("casework: ") and first.endswith("."), result.stderr
    assert all(line.startswith("  line ") for line in problems), result.stderr
    assert not [c for c in result.stderr if unicodedata.category(c) == "Cc" and c != "\n"]
    assert stored(cw) == before


def test_the_command_line_takes_a_gbk_ledger_chinese_excel_saved(database_url, cw, county,
                                                                  tmp_path):
    path = tmp_path / "ledger.csv"
    path.write_bytes(csv_text(list(COLUMNS), [list(GOOD.values())]).encode("gbk"))
    env = {"CASEWORK_DATABASE_URL": database_url, "CASEWORK_WORKFLOW": str(WORKFLOW),
           "CASEWORK_DATA_KEY": DATA_KEY}
    result = CliRunner().invoke(main, ["import", "ledger", str(path)], env=env)
    assert result.exit_code == 0, result.stderr
    assert stored(cw)[0] == 1



@pytest.fixture(scope="module", autouse=True)
def figures_of_tried_inputs(tmp_path_factory):
    """The fuzz tests' figures, recorded once this process has run the module's tests (under
    xdist each process records what it tried: a fixture, not a test that would have to skip)."""
    yield
    if tried:
        record(tmp_path_factory.mktemp("figures"), "hostile-ledger", {**tried, **outcomes})


@pytest.mark.parametrize(("row", "why"), [
    ("450330100301,大\x1b[2J村,450330100", "control characters"),
    ("450330100302,大\x07村,450330100", "control characters"),
    ("٤٥٠٣٣٠١٠٠٣٠٣,大村,450330100", "digit area code"),
])
def test_an_area_file_with_control_characters_or_foreign_digits_is_refused(cw, county, tmp_path,
                                                                            row, why):
    from casework.imports.areas import import_areas

    path = tmp_path / "areas.csv"
    path.write_text(f"code,name,parent_code\n{row}\n", encoding="utf-8")
    with pytest.raises(Invalid, match=why):
        import_areas(cw, path)
