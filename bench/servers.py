"""What the HTTP benchmark runs against: servers in their own processes, fresh databases."""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy import select

from bench import load, pgload
from bench.common import ROOT, WORKFLOW, copy_db, data_key, empty_schema, remove_db
from casework.imports.areas import add_area
from casework.people.users import add_user, create_token
from casework.storage.db import reading, writing

COUNTY = "450330"
VILLAGES = [f"{COUNTY}{100 + t:03d}{201 + v:03d}" for t in range(4) for v in range(5)]
PASSWORD = "bench-password"  # bench/generate.py's too
SECRET = "bench-http-secret-not-for-production-0123456789"
CASEWORK = Path(sys.executable).with_name("casework")
ACCESS_LOG = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms'  # as webui/commands.py


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``casework serve`` or the bare app under gunicorn, in its own process group."""

    def __init__(self, kind: str, url: str, workers: int, log: Path,
                 clock: str | None = None) -> None:
        """``clock``: the scheduler's "now" (CASEWORK_CLOCK), for a generated history whose
        now is not today's."""
        self.port = free_port()
        env = {**os.environ, "CASEWORK_DATABASE_URL": url, "CASEWORK_WORKFLOW": str(WORKFLOW),
               "CASEWORK_SECRET_KEY": SECRET, "CASEWORK_SMTP_URL": "",
               "CASEWORK_WEBHOOK_URL": "", "PYTHONPATH": str(ROOT),
               # The generated histories are sealed under the bench's own key.
               "CASEWORK_DATA_KEY": data_key()}
        if clock:
            env["CASEWORK_CLOCK"] = clock
        if kind == "casework":
            command = [str(CASEWORK), "serve", "--workers", str(workers), "--port",
                       str(self.port)]
            self.ready = "/healthz"
        else:
            command = [sys.executable, "-m", "gunicorn", "--workers", str(workers),
                       "--worker-class", "gthread", "--threads", "4", "--bind",
                       f"127.0.0.1:{self.port}", "--access-logfile", "-",
                       "--access-logformat", ACCESS_LOG, "bench.bareapp:app"]
            self.ready = "/ping"
        self.log = log
        with log.open("wb") as output:  # the child keeps its own copy of the descriptor
            self.process = subprocess.Popen(command, env=env, stdout=output,
                                            stderr=subprocess.STDOUT, cwd=ROOT)
        self._wait()

    def _wait(self, seconds: float = 120) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server stopped: {self.log.read_text()[-1500:]}")
            try:
                if request(self.port, "GET", self.ready)[0] == 200:
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"server not up in {seconds} s: {self.log.read_text()[-1500:]}")

    def stop(self) -> list[int]:
        """Stop gracefully; the workers' peak RSS (KiB), read just before."""
        peaks = load.peak_rss_kib(self.process.pid)
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        return peaks


def request(port: int, method: str, path: str, body: bytes | None = None,
            headers: dict | None = None) -> tuple[int, dict, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request(method, path, body=body, headers=headers or {})
    answer = connection.getresponse()
    data = answer.read()
    connection.close()
    return answer.status, dict(answer.getheaders()), data


# -- the databases --------------------------------------------------------------------------

def populate(url: str) -> str:
    """One county, 4 townships, 20 villages and a hotline operator; the operator's API token."""
    from casework.bootstrap import bootstrap
    from casework.config import Settings

    cw = bootstrap(Settings(database_url=url, workflow_path=WORKFLOW, data_key=data_key()))
    with writing(cw.engine) as session:
        add_area(session, COUNTY, "平乐县")
        for t in range(4):
            add_area(session, f"{COUNTY}{100 + t:03d}", f"第{t + 1}镇")
        for v, village in enumerate(VILLAGES):
            add_area(session, village, f"第{v + 1}村")
    add_user(cw, username="operator", role="hotline_operator", area_code=COUNTY,
             password=PASSWORD)
    token = create_token(cw, "operator")
    cw.engine.dispose()
    return token


class ProvinceDatabase:
    """The generated province itself, written into where it lies (no copy of 13 GB per run):
    its first county's hotline operator logs the petitions, into that county's villages."""

    def __init__(self, kind: str, url: str, county: str, clock: str) -> None:
        from casework.bootstrap import bootstrap
        from casework.config import Settings
        from casework.storage.models import Area

        self.kind, self.url, self.clock = kind, url, clock
        cw = bootstrap(Settings(database_url=url, workflow_path=WORKFLOW, data_key=data_key()))
        self.token = create_token(cw, f"h{county}")  # bench/generate/shapes.py's user names
        with reading(cw.engine) as session:
            self.villages = list(session.execute(
                select(Area.code).where(Area.kind == "village",
                                        Area.code.startswith(county))).scalars())
        cw.engine.dispose()

    def fresh(self, _name: str) -> str:
        return self.url

    def drop_all(self) -> None:
        """The province is kept: what the runs logged stays, as in a real one."""


class Databases:
    """Fresh databases for each run, copied from one populated template."""

    villages, clock = VILLAGES, None

    def __init__(self, kind: str, work: Path, pg_url: str | None = None) -> None:
        self.kind, self.work, self.pg_url, self.made = kind, work, pg_url, []
        self.tag = f"cwbench_http_{os.getpid()}"
        if kind == "sqlite":
            self.template = work / "template.db"
            empty_schema(self.template)
            self.token = populate(f"sqlite:///{self.template}")
        else:
            url = pgload.create(pg_url, f"{self.tag}_template")
            self.token = populate(url)
            self.made.append(f"{self.tag}_template")

    def fresh(self, name: str) -> str:
        if self.kind == "sqlite":
            path = self.work / f"{name}.db"
            copy_db(self.template, path)
            return f"sqlite:///{path}"
        self.made.append(f"{self.tag}_{name}")
        return pgload.create(self.pg_url, f"{self.tag}_{name}", template=f"{self.tag}_template")

    def drop_all(self) -> None:
        if self.kind == "postgresql":
            for name in reversed(self.made):
                pgload.drop(self.pg_url, name)
        else:
            for path in self.work.glob("*.db"):
                remove_db(path)


def login(port: int, username: str) -> str:
    status, headers, page = request(port, "GET", "/login")
    cookie = headers["Set-Cookie"].split(";", 1)[0]
    token = re.search(rb'<meta name="csrf-token" content="([^"]+)">', page).group(1).decode()
    form = urlencode({"username": username, "password": PASSWORD, "csrf_token": token})
    status, headers, _ = request(port, "POST", "/login", form.encode(), {
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
    if status != 302:
        raise RuntimeError(f"login of {username} answered {status}")
    return headers["Set-Cookie"].split(";", 1)[0]
