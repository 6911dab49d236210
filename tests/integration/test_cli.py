"""The ``casework`` command: each subcommand, and bad input as one sentence with exit 1."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime

import pytest
import time_machine
from click.testing import CliRunner
from conftest import AREAS, COUNTY, DATA_KEY, TOWN_A, VILLAGE_A1, WORKFLOW, petition
from openpyxl import load_workbook
from sqlalchemy import func, select, text

from casework.entrypoints.cli import main
from casework.lifecycle.intake import receive
from casework.storage.db import reading
from casework.storage.models import Area, Case, User


@pytest.fixture
def run(database_url):
    env = {"CASEWORK_DATABASE_URL": database_url, "CASEWORK_WORKFLOW": str(WORKFLOW),
           "CASEWORK_DATA_KEY": DATA_KEY}

    def invoke(*args, input=None):
        return CliRunner().invoke(main, list(args), env=env, input=input,
                                  catch_exceptions=False)

    return invoke


@pytest.fixture
def areas_csv(tmp_path):
    path = tmp_path / "areas.csv"
    lines = ["code,name,parent_code"] + [
        f"{code},{name},{code[:-3] if len(code) > 6 else ''}" for code, name in AREAS]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def one_sentence(result) -> str:
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("casework: ") and lines[0].endswith(".")
    return lines[0]


def test_init_is_safe_to_run_twice(run):
    assert run("init").exit_code == 0
    assert run("init").exit_code == 0


def test_areas_import_reads_codes_and_pinyin(run, areas_csv, cw):
    result = run("areas", "import", str(areas_csv))
    assert result.exit_code == 0 and "7 areas imported" in result.output
    with reading(cw.engine) as session:
        village = session.get(Area, VILLAGE_A1)
    assert (village.name, village.parent_code, village.kind, village.initials) == (
        "大李村", TOWN_A, "village", "dlc")


def test_a_bad_area_row_names_its_line_and_writes_nothing(run, tmp_path, cw):
    path = tmp_path / "areas.csv"
    path.write_text("code,name,parent_code\n450330,平乐县,\n4503301,坏,450330\n", "utf-8")
    assert "line 3" in one_sentence(run("areas", "import", str(path)))
    with reading(cw.engine) as session:
        assert session.execute(select(func.count()).select_from(Area)).scalar_one() == 0


def test_users_add_reads_the_password_from_stdin_and_tokens_create_prints_one(run, areas_csv,
                                                                               cw):
    run("areas", "import", str(areas_csv))
    result = run("users", "add", "wang", "--role", "township_cadre", "--area", TOWN_A,
                 "--email", "wang@example.org", input="a long secret\n")
    assert result.exit_code == 0, result.stderr
    token = run("tokens", "create", "wang").output.strip()
    assert token.startswith("cw_") and len(token) > 30
    from casework.people.users import user_for_token

    assert user_for_token(cw, token).username == "wang"
    with reading(cw.engine) as session:
        stored = session.execute(select(User)).scalar_one()
    assert token not in stored.password_hash


@pytest.mark.parametrize(("args", "words"), [
    (("--role", "queen", "--area", TOWN_A), "role"),
    (("--role", "village_cadre", "--area", TOWN_A), "works at a village"),
    (("--role", "village_cadre", "--area", "999"), "no area"),
])
def test_users_add_refuses_bad_input_in_one_sentence(run, areas_csv, args, words):
    run("areas", "import", str(areas_csv))
    assert words in one_sentence(run("users", "add", "li", *args, input="a long secret\n"))


def test_a_short_password_is_refused(run, areas_csv):
    run("areas", "import", str(areas_csv))
    assert "password" in one_sentence(
        run("users", "add", "li", "--role", "leader", "--area", COUNTY, input="short\n"))


def test_tokens_for_an_unknown_user_are_refused(run):
    assert "no user named ghost" in one_sentence(run("tokens", "create", "ghost"))
    assert "no user named ghost" in one_sentence(run("tokens", "revoke", "ghost"))


def test_tokens_revoke_stops_the_labelled_tokens_only(run, cw, people):
    from casework.people.users import user_for_token

    name = people["operator"].username
    crm = run("tokens", "create", name, "--label", "crm").output.strip()
    other = run("tokens", "create", name, "--label", "sms").output.strip()
    assert run("tokens", "revoke", name, "--label", "crm").output.startswith("1 token(s)")
    assert user_for_token(cw, crm) is None
    assert user_for_token(cw, other).username == name


def test_tick_scans_as_of_the_given_time(run, areas_csv, cw, people):
    from conftest import petition

    from casework.lifecycle.intake import receive

    receive(cw, people["operator"], petition(),
            now=datetime.fromisoformat("2026-09-29T10:00:00+08:00"))
    result = run("tick", "--now", "2026-10-13T00:00")
    assert result.exit_code == 0
    assert "1 warned, 1 overdue, 0 escalated" in result.output
    assert "is not an ISO-8601 time" in one_sentence(run("tick", "--now", "tomorrow"))


def test_the_ledger_import_and_the_monthly_report_in_every_format(run, cw, county, tmp_path,
                                                                  request):
    from test_ledger import county_rows, write_csv

    # The command reads the clock (reports refuse future months): fix it mid-month.
    traveller = time_machine.travel(datetime(2026, 11, 21, 4, 0, tzinfo=UTC), tick=False)
    traveller.start()
    request.addfinalizer(traveller.stop)
    start = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
    rows = county_rows(start, spread_days=0)[:10]
    for row in rows:
        row["concluded_at"] = row["received_at"]
    ledger = write_csv(tmp_path / "ledger.csv", rows)
    assert "10 cases imported" in run("import", "ledger", str(ledger)).output
    month = start.strftime("%Y-%m")
    figures = json.loads(run("report", "monthly", "--month", month, "--area", COUNTY,
                             "--format", "json").output)
    assert figures["received"] == 10
    table = run("report", "monthly", "--month", month, "--area", COUNTY).output
    assert "10" in table
    csv_text = run("report", "monthly", "--month", month, "--format", "csv").output
    assert csv_text.startswith("\ufeff")
    out = tmp_path / "report.xlsx"
    assert run("report", "monthly", "--month", month, "--format", "xlsx",
               "--output", str(out)).exit_code == 0
    assert load_workbook(out).sheetnames
    assert "month" in one_sentence(run("report", "monthly", "--month", "2026-13"))


def test_the_report_over_a_period_in_every_format_and_its_refusals(run, cw, county, tmp_path,
                                                                  request):
    from test_ledger import county_rows, write_csv

    traveller = time_machine.travel(datetime(2026, 11, 21, 4, 0, tzinfo=UTC), tick=False)
    traveller.start()
    request.addfinalizer(traveller.stop)
    rows = county_rows(datetime(2026, 1, 5, 1, 0, tzinfo=UTC), spread_days=150)[:30]
    assert "30 cases imported" in run("import", "ledger", str(
        write_csv(tmp_path / "ledger.csv", rows))).output
    period = ("report", "period", "--from", "2026-01", "--to", "2026-06", "--area", COUNTY)
    figures = json.loads(run(*period, "--format", "json").output)
    assert (figures["from"], figures["to"], figures["months"]) == ("2026-01", "2026-06", 6)
    assert figures["received"] == 30 and len(figures["by_month"]) == 6
    table = run(*period, "--lang", "en").output
    assert table.startswith("Case report over a period  2026-01 – 2026-06")
    assert "Month by month" in table
    assert run(*period, "--format", "csv").output.startswith("\ufeffarea_code,")
    out = tmp_path / "half-year.xlsx"
    assert run(*period, "--format", "xlsx", "--output", str(out)).exit_code == 0
    assert load_workbook(out).sheetnames == ["Summary", "By area", "By month", "Protection"]
    for args, words in ((("--from", "2026-06", "--to", "2026-01"), "must not be after to"),
                        (("--from", "2016-01", "--to", "2026-06"), "longer than 10 years"),
                        (("--from", "2026-01", "--to", "2026-12"), "after the current month"),
                        (("--from", "2026-1", "--to", "2026-06"), "from: must be a month")):
        assert words in one_sentence(run("report", "period", *args))


def test_a_bad_ledger_names_the_line_and_writes_nothing(run, cw, county, tmp_path):
    path = tmp_path / "ledger.csv"
    path.write_text("received_at,village_code,category,channel\n"
                    f"2026-03-01,{VILLAGE_A1},child,visit\n2026-03-02,nowhere,child,visit\n",
                    encoding="utf-8")
    result = run("import", "ledger", str(path))
    assert result.exit_code == 1
    first, *problems = result.stderr.strip().splitlines()
    assert first == "casework: the ledger has 1 problem; nothing was imported."
    assert problems == ["  line 3, column village_code: no village 'nowhere' in your area; "
                        "write its name or its 12-digit code"]
    with reading(cw.engine) as session:
        assert session.execute(select(func.count()).select_from(Case)).scalar_one() == 0


def test_a_dry_run_prints_what_would_be_imported_and_writes_nothing(run, cw, county, tmp_path):
    path = tmp_path / "ledger.csv"
    path.write_bytes(("登记日期,村,类别,来源\n2026/3/1,大李村,儿童权益,来访\n"
                      "2026/3/2,沙子村,家暴,热线\n").encode("gb18030"))
    result = run("import", "ledger", str(path), "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert result.output.splitlines() == ["rows: 2", "new cases: 2", "duplicates: 0",
                                          "problems: 0"]
    with reading(cw.engine) as session:
        assert session.execute(select(func.count()).select_from(Case)).scalar_one() == 0
    assert run("import", "ledger", str(path)).output.strip() == (
        "2 cases imported, 0 duplicates skipped")
    again = run("import", "ledger", str(path), "--dry-run")
    assert again.output.splitlines()[1:3] == ["new cases: 0", "duplicates: 2"]


def test_the_template_command_writes_a_workbook_with_the_villages(run, county, tmp_path):
    from openpyxl import load_workbook

    path = tmp_path / "台账模板.xlsx"
    assert run("import", "template", str(path), "--area", "450330").exit_code == 0
    book = load_workbook(path)
    assert [row[1] for row in book["村名单"].iter_rows(min_row=2, values_only=True)] == [
        "大李村", "沙子村", "新安村", "源头村"]


def test_a_missing_file_is_one_sentence(run):
    assert "cannot read" in one_sentence(run("import", "ledger", "/nonexistent/ledger.csv"))


def test_a_missing_file_is_told_before_a_missing_data_key(database_url):
    env = {"CASEWORK_DATABASE_URL": database_url, "CASEWORK_WORKFLOW": str(WORKFLOW),
           "CASEWORK_DATA_KEY": None}
    message = one_sentence(CliRunner().invoke(main, ["import", "ledger", "/nonexistent/l.csv"],
                                              env=env))
    assert "cannot read" in message and "DATA_KEY" not in message


def test_workflow_check_and_show(run, tmp_path):
    assert "is valid: 4 levels" in run("workflow", "check").output
    assert run("workflow", "show").output.startswith("stateDiagram-v2")
    broken = tmp_path / "workflows.yaml"
    broken.write_text(WORKFLOW.read_text("utf-8").replace("from: [waiting]", "from: [wating]"),
                      "utf-8")
    message = one_sentence(run("workflow", "check", str(broken)))
    assert "line" in message and "'wating'" in message


def test_an_uninitialised_database_is_explained(tmp_path):
    result = CliRunner().invoke(main, ["tick"], env={
        "CASEWORK_DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}"})
    assert "casework init" in one_sentence(result)


def test_the_installed_command_runs_from_any_folder(tmp_path):
    result = subprocess.run([sys.executable, "-m", "casework", "workflow", "check"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "is valid" in result.stdout


def test_audit_verify_says_all_is_well_in_one_line(run, cw, people):
    for _ in range(2):
        receive(cw, people["operator"], petition())
    result = run("audit", "verify")
    assert result.exit_code == 0, result.output
    assert result.stdout == "audit trail intact: 2 cases, 2 events, 0 attachments checked\n"


def test_audit_verify_names_each_problem_and_exits_1(run, cw, people):
    numbers = [receive(cw, people["operator"], petition()).number for _ in range(3)]
    with cw.engine.begin() as connection:
        connection.execute(text("UPDATE events SET note = 'x' WHERE case_id = "
                                "(SELECT id FROM cases WHERE number = :n)"), {"n": numbers[1]})
    result = run("audit", "verify")
    assert result.stdout.splitlines() == [
        f"case {numbers[1]} seq 1: altered: its text is not sealed as Casework seals it"]
    assert one_sentence(result) == (
        "casework: the audit trail has 1 problem (3 cases, 3 events, 0 attachments checked).")
    result = run("audit", "verify", "--case", numbers[0])
    assert (result.exit_code, result.stdout) == (
        0, "audit trail intact: 1 case, 1 event, 0 attachments checked\n")
    assert one_sentence(run("audit", "verify", "--case", "450330-2026-999999")) == (
        "casework: no case 450330-2026-999999.")
