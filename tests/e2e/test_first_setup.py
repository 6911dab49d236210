"""A newcomer on a fresh machine (DESIGN.md, "Set-up with nothing exported"): the README's
real-use commands, top to bottom, as separate processes whose environment holds only a
database URL.  ``init`` makes the keys; every later command, and the server, read them."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import AREAS
from sqlalchemy import inspect, text

from casework.storage.db import make_engine
from e2e.test_serve import call, free_port

CASEWORK = Path(sys.executable).with_name("casework")
NAME, PHONE = "覃秀兰", "13977001234"
PASSWORD = "lantern-orchard-quietly-47"
LEDGER = ("received_at,village_code,category,channel,urgency,summary,petitioner_name,"
          "petitioner_phone,concluded_level,concluded_at,outcome\n"
          f"2026-03-02 09:00,450330100201,marriage_family,visit,normal,台账,{NAME},"
          "139-7700-1234,village_congress,2026-03-04 10:00,mediated\n"
          "2026-03-05 10:00,450330101201,property,letter,normal,台账,王某,,,,\n")


def casework(folder: Path, env: dict, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([str(CASEWORK), *args], cwd=folder, env=env, input=stdin,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def newcomer(tmp_path, database_url):
    """An empty folder and the one variable a newcomer sets."""
    folder = tmp_path / "county"
    folder.mkdir()
    (folder / "areas.csv").write_text("code,name,parent_code\n" + "".join(
        f"{code},{name},{code[:-3] if len(code) > 6 else ''}\n" for code, name in AREAS), "utf-8")
    (folder / "ledger.csv").write_text(LEDGER, "utf-8")
    return folder, {"CASEWORK_DATABASE_URL": database_url}


def stored_bytes(database_url: str) -> bytes:
    """Everything the database holds: the SQLite file and its WAL, or every PostgreSQL row."""
    if database_url.startswith("sqlite"):
        path = Path(database_url.removeprefix("sqlite:///"))
        return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            return "".join(
                str(row) for table in inspect(connection).get_table_names()
                for row in connection.execute(text(f'SELECT * FROM "{table}"'))).encode()
    finally:
        engine.dispose()


def serve_once(folder: Path, env: dict, token: str) -> tuple[int, dict, str]:
    """Start ``casework serve``, ask it for the caller's cases, stop it; and its log."""
    port = free_port()
    log = folder / "serve.log"
    with log.open("wb") as output:  # the child keeps its own copy of the descriptor
        server = subprocess.Popen([str(CASEWORK), "serve", "--port", str(port)], cwd=folder,
                                  env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert server.poll() is None, log.read_text()
            try:
                if call(f"http://127.0.0.1:{port}/healthz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        status, body = call(f"http://127.0.0.1:{port}/api/v1/callers/{PHONE}/cases", token=token)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=40)
    return status, body, log.read_text()


def test_the_readmes_commands_run_with_only_a_database_url_and_store_no_plaintext(newcomer):
    folder, env = newcomer
    init = casework(folder, env, "init")
    assert init.returncode == 0, init.stderr
    key_file, secret_file = folder / "instance" / "data.key", folder / "instance" / "secret.key"
    assert f"data key written to {key_file}: keep a copy of it apart from the database" \
        in init.stdout
    assert f"session secret written to {secret_file}" in init.stdout
    for made in (key_file, secret_file):
        assert stat.S_IMODE(made.stat().st_mode) == 0o600
    key = key_file.read_text()

    steps = [("areas", "import", "areas.csv"), ("import", "ledger", "ledger.csv")]
    for args in steps:
        done = casework(folder, env, *args)
        assert done.returncode == 0, (args, done.stderr)
    added = casework(folder, env, "users", "add", "qin", "--role", "hotline_operator", "--area",
                     "450330", stdin=PASSWORD + "\n")
    assert added.returncode == 0, added.stderr
    token = casework(folder, env, "tokens", "create", "qin").stdout.strip()
    status, body, log = serve_once(folder, env, token)
    # The server opened the ledger's petitioner with the key from the file...
    assert status == 200 and [case["petitioner"]["name"] for case in body["items"]] == [NAME]
    # ...and signed sessions with the secret from its file, not a random one.
    assert "no session secret file" not in log

    again = casework(folder, env, "init")
    assert again.returncode == 0 and "written" not in again.stdout
    assert key_file.read_text() == key  # never replaced
    stored = stored_bytes(env["CASEWORK_DATABASE_URL"])
    assert b"450330100201" in stored  # the reading works: the ledger's rows are there
    for secret in (NAME.encode(), PHONE.encode(), b"139-7700-1234", key.strip().encode()):
        assert secret not in stored


def test_a_key_in_the_environment_wins_and_no_file_is_made(newcomer):
    from casework.privacy.crypto import DataKey, generate_key

    folder, env = newcomer
    key = generate_key()
    done = casework(folder, {**env, "CASEWORK_DATA_KEY": key}, "init")
    assert done.returncode == 0 and "data key" not in done.stdout
    assert not (folder / "instance" / "data.key").exists()
    status = casework(folder, {**env, "CASEWORK_DATA_KEY": key}, "keys", "status")
    assert f"current key: {DataKey.from_text(key).key_id}, from the environment" in status.stdout


def test_init_never_makes_a_second_key_for_sealed_petitioners(newcomer):
    folder, env = newcomer
    assert casework(folder, env, "init").returncode == 0
    assert casework(folder, env, "areas", "import", "areas.csv").returncode == 0
    assert casework(folder, env, "import", "ledger", "ledger.csv").returncode == 0
    key_file = folder / "instance" / "data.key"
    key_file.rename(folder / "mislaid.key")
    refused = casework(folder, env, "init")
    assert refused.returncode == 1 and refused.stdout == ""
    assert refused.stderr.count("\n") == 1 and refused.stderr.startswith(
        "casework: the database holds 2 petitioners sealed with key ")
    assert not key_file.exists()
    # A command that touches petitioners refuses in one sentence; one that does not still runs.
    ledger = casework(folder, env, "import", "ledger", "ledger.csv")
    assert ledger.returncode == 1 and ledger.stderr == (
        f"casework: CASEWORK_DATA_KEY is not set and there is no key file {key_file}: run "
        "`casework init` to make one, or set the key the data was sealed with.\n")
    assert casework(folder, env, "report", "monthly", "--month", "2026-03").returncode == 0
    # Put back, everything works again.
    (folder / "mislaid.key").rename(key_file)
    assert casework(folder, env, "keys", "status").returncode == 0


def test_the_key_file_may_live_elsewhere_and_an_unreadable_one_is_one_sentence(newcomer):
    folder, env = newcomer
    elsewhere = folder / "secrets" / "casework.key"
    env = {**env, "CASEWORK_DATA_KEY_FILE": str(elsewhere)}
    done = casework(folder, env, "init")
    assert done.returncode == 0 and str(elsewhere) in done.stdout
    assert (folder / "secrets" / "secret.key").exists()  # the session secret beside it
    assert not (folder / "instance").exists()
    elsewhere.write_text("")
    broken = casework(folder, env, "keys", "status")
    assert broken.returncode == 1 and broken.stderr == (
        f"casework: the key file {elsewhere} is empty; put the key back from your copy.\n")
    assert casework(folder, env, "workflow", "check").returncode == 0
    if os.geteuid() != 0:  # root reads any file
        elsewhere.chmod(0)
        assert "cannot read the key file" in casework(folder, env, "keys", "status").stderr
