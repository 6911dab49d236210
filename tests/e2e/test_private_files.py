"""Every file Casework writes is its owner's alone (issue 18): the SQLite database, its -wal
and -shm while the server writes, and backups are 0600, whatever umask the shell that started
Casework had, as an administrator would run it: ``casework init``, ``casework serve``, a case
logged over HTTP, ``casework backup``."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import urllib.request
from pathlib import Path

from conftest import AREAS, DATA_KEY, petition

from e2e.test_access_log import free_port, wait_until_up


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def casework(env: dict, *args: str, stdin: str | None = None) -> str:
    done = subprocess.run([sys.executable, "-m", "casework", *args], env=env, input=stdin,
                          capture_output=True, text=True, timeout=120,
                          preexec_fn=lambda: os.umask(0o022))  # a shell's usual umask
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_database_its_wal_and_shm_and_backups_are_readable_by_their_owner_only(
        database_url, tmp_path):
    sqlite = database_url.startswith("sqlite")
    database = tmp_path / "fresh" / "casework.db"
    url = f"sqlite:///{database}" if sqlite else database_url
    env = {**os.environ, "CASEWORK_DATABASE_URL": url, "CASEWORK_DATA_KEY": DATA_KEY,
           "CASEWORK_SECRET_KEY": "private-files-test-" + "s" * 32,
           "CASEWORK_SCAN_INTERVAL": "3600"}
    database.parent.mkdir(mode=0o755)
    casework(env, "init")
    areas = tmp_path / "areas.csv"
    areas.write_text("code,name,parent_code\n" + "".join(
        f"{code},{name},{code[:-3] if len(code) > 6 else ''}\n" for code, name in AREAS),
        encoding="utf-8")
    casework(env, "areas", "import", str(areas))
    casework(env, "users", "add", "hotline", "--role", "hotline_operator", "--area", AREAS[0][0],
             stdin="correct horse battery staple\n")
    token = casework(env, "tokens", "create", "hotline").strip().split()[-1]
    if sqlite:
        assert mode(database) == 0o600
        port = free_port()
        server = subprocess.Popen([sys.executable, "-m", "casework", "serve", "--port",
                                   str(port)], env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL, preexec_fn=lambda: os.umask(0o022))
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until_up(base, server)
            request = urllib.request.Request(
                f"{base}/api/v1/cases", data=json.dumps(petition()).encode(), method="POST",
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=30) as answer:
                assert answer.status == 201
            written = {path.name: mode(path) for path in database.parent.iterdir()}
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
        # While the server runs, SQLite keeps the write-ahead log and its index beside it.
        assert written == {"casework.db": 0o600, "casework.db-wal": 0o600,
                           "casework.db-shm": 0o600}, written
    backup = tmp_path / "backups" / "casework-backup"
    backup.parent.mkdir(mode=0o755)
    casework(env, "backup", str(backup))
    assert mode(backup) == 0o600


def test_init_makes_an_older_world_readable_database_private(tmp_path):
    database = tmp_path / "casework.db"
    env = {**os.environ, "CASEWORK_DATABASE_URL": f"sqlite:///{database}",
           "CASEWORK_DATA_KEY": DATA_KEY}
    casework(env, "init")
    database.chmod(0o644)  # as an older Casework, or a careless copy, left it
    assert "made private (0600)" in casework(env, "init")
    assert mode(database) == 0o600
