"""``casework serve`` and ``casework demo``: the web app on gunicorn, a production WSGI server.

Registered on the core's command through the ``casework.commands`` entry-point group, so the
core never imports the web layer.  With one worker the deadline scheduler runs in that worker;
with several it must run beside them as ``casework scheduler`` (every worker would otherwise
run every job: APScheduler #766).
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
from pathlib import Path

import click
from gunicorn.app.base import BaseApplication

from casework.bootstrap import Casework, bootstrap
from casework.config import Settings
from casework.errors import CaseworkError
from webui import access_log

log = logging.getLogger("casework.serve")


class CaseworkServer(BaseApplication):
    """gunicorn, configured in code rather than by a config file."""

    def __init__(self, cw: Casework, *, bind: str, workers: int, threads: int = 4,
                 scheduler: bool, log_level: str = "info") -> None:
        self.cw = cw
        self.scheduler = scheduler
        self.options = {
            "bind": bind, "workers": workers, "worker_class": "gthread",
            "threads": threads, "timeout": 60, "graceful_timeout": 20, "accesslog": "-",
            "proc_name": "casework", "loglevel": log_level,
            # Paths only, and the screen pop's phone masked in them (access_log.py).
            "access_log_format": access_log.FORMAT, "logger_class": access_log.PrivateAccessLogger,
            "post_fork": self._after_fork,
        }
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if value is not None:
                self.cfg.set(key, value)

    def load(self):
        from webui import create_app

        return create_app(casework=self.cw)

    def _after_fork(self, server, worker) -> None:
        # Connections the master opened (``casework demo`` builds its database first) must not
        # be shared with the workers: each worker opens its own.
        self.cw.engine.dispose(close=False)
        if self.scheduler:
            # Started in the worker, after the fork: a thread started in the master would not
            # survive it.
            from casework.scheduling.scheduler import start_in_background

            start_in_background(self.cw)
            log.info("deadline scheduler running inside the web worker")


def _serve(cw: Casework, bind: str, workers: int, threads: int = 4,
           log_level: str = "info") -> None:
    scheduler = workers == 1
    if not scheduler:
        click.echo(f"{workers} workers: run `casework scheduler` beside them for deadlines.",
                   err=True)
    CaseworkServer(cw, bind=bind, workers=workers, threads=threads, scheduler=scheduler,
                   log_level=log_level).run()


def _address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _bind(ctx: click.Context, host: str, port: int, bind: str | None) -> str:
    """``--bind`` (gunicorn's HOST:PORT or unix:PATH), or ``--host`` and ``--port``."""
    if bind is None:
        return _address(host, port)
    given = [name for name in ("host", "port")
             if ctx.get_parameter_source(name) is not click.core.ParameterSource.DEFAULT]
    if given:
        raise click.UsageError(f"--bind replaces --{given[0]}: give one or the other")
    if not bind.strip() or (bind.startswith("unix:") and len(bind) == len("unix:")):
        raise click.BadParameter("an address HOST:PORT or unix:PATH", param_hint="--bind")
    return bind


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=5000, show_default=True)
@click.option("--bind", default=None, metavar="ADDRESS",
              help="Listen here instead: HOST:PORT, or unix:PATH for a proxy on this machine.")
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Web worker processes; with 1 the scheduler runs inside it, with more run "
                   "`casework scheduler` beside them.")
@click.option("--threads", type=click.IntRange(1, 64), default=4, show_default=True,
              help="Request threads in each worker.")
@click.option("--log-level", type=click.Choice(["debug", "info", "warning"]), default="info",
              show_default=True, help="Never petitioner data, at any level.")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, bind: str | None, workers: int,
          threads: int, log_level: str) -> None:
    """Run the web app on gunicorn (and, with one worker, the deadline scheduler)."""
    address = _bind(ctx, host, port, bind)
    check_port_free(address)
    logging.basicConfig(level=log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger().setLevel(log_level.upper())  # also when `casework -v` set it first
    if log_level == "debug":
        # SQL statements, with their parameters hidden (casework.storage.db); not the rows they
        # read.
        logging.getLogger("sqlalchemy.engine").setLevel(logging.INFO)
    cw = bootstrap(Settings.from_env())
    # A refusal closes the connections its checks opened (a command run in-process leaked them)
    ctx.call_on_close(cw.engine.dispose)
    ready_to_serve(cw)
    _serve(cw, address, workers, threads, log_level)


def check_port_free(address: str) -> None:
    """Stop in one sentence when HOST:PORT is taken, before any slow work: gunicorn would
    otherwise retry for half a minute in its own words after the demo printed its logins."""
    if address.startswith("unix:") or not address.rpartition(":")[2].isdigit():
        return
    host, _, port = address.rpartition(":")
    host = host.strip("[]") or "0.0.0.0"
    try:
        # create_server sets SO_REUSEADDR, as gunicorn does: a port in TIME_WAIT is free.
        with socket.create_server((host, int(port))):
            pass
    except OSError as exc:
        raise CaseworkError(f"cannot listen on {host}:{port} ({exc.strerror or exc}); "
                            "another program holds it: stop it or choose another --port") from exc


def ready_to_serve(cw: Casework) -> None:
    """Refuse to start (one sentence, exit 1) with a weak or documented secret key (anyone who
    knows it signs a session cookie of her own), without the data key, or with a data key that
    cannot open the petitioners already stored: a server up with the wrong key would answer
    every case page with an error and find no earlier cases for any caller."""
    from casework.privacy.petitioners import check_keys
    from webui.config import secret_key_problem

    problem = secret_key_problem(os.environ.get("CASEWORK_SECRET_KEY")
                                 or cw.settings.secret_key)
    if problem:
        raise ValueError(problem)

    problem = cw.settings.key_file_problems.get("CASEWORK_SECRET_KEY")
    if problem:  # a session secret that exists but cannot be read: not a random one instead
        raise ValueError(problem)
    check_keys(cw.keyring, cw.engine)


def demo_data_key(instance: Path) -> str:
    """CASEWORK_DATA_KEY, or for the demo alone a key kept beside its database, so the demo
    runs with one command and opens its own data again at the next start."""
    if os.environ.get("CASEWORK_DATA_KEY"):
        return os.environ["CASEWORK_DATA_KEY"]
    from casework.privacy.crypto import generate_key

    path = instance / "demo-data.key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(generate_key() + "\n")
    return path.read_text().strip()


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=5000, show_default=True)
@click.option("--cases", type=click.IntRange(10, 5000), default=300, show_default=True)
@click.option("--no-serve", is_flag=True, help="Build the demo database and stop.")
def demo(host: str, port: int, cases: int, no_serve: bool) -> None:
    """Build a demo county (users for every role, cases in every status) and serve it."""
    from sqlalchemy import func, select

    from casework.entrypoints.demo import DEMO_PASSWORD, build_demo
    from casework.storage.db import reading
    from casework.storage.models import User
    from casework.storage.schema import upgrade

    logging.basicConfig(level=logging.WARNING)
    if not no_serve:
        check_port_free(f"{host}:{port}")
    demo_file = Path.cwd() / "instance" / "demo.db"
    url = os.environ.get("CASEWORK_DATABASE_URL") or f"sqlite:///{demo_file}"
    # The demo's made-up cases must not mail or message anyone.
    settings = Settings.from_env({**os.environ, "CASEWORK_DATABASE_URL": url,
                                  "CASEWORK_SMTP_URL": "", "CASEWORK_WEBHOOK_URL": "",
                                  "CASEWORK_DATA_KEY": demo_data_key(demo_file.parent),
                                  "CASEWORK_SECRET_KEY": os.environ.get("CASEWORK_SECRET_KEY")
                                  or secrets.token_hex(32)})
    cw = bootstrap(settings)
    click.get_current_context().call_on_close(cw.engine.dispose)
    upgrade(cw.engine, lambda: cw.keyring)
    with reading(cw.engine) as session:
        users = session.execute(select(func.count()).select_from(User)).scalar_one()
    if users:
        click.echo(f"Using the demo already in {cw.engine.url.render_as_string()}.")
    else:
        click.echo(f"Building a demo county with {cases} cases (about half a minute)...")
        build_demo(cw, cases=cases)
    click.echo(f"\nCasework demo: http://{host}:{port}/   password for every user: "
               f"{DEMO_PASSWORD}\n"
               "  hotline   hotline operator (12338), 平乐县\n"
               "  county    county officer, 平乐县\n"
               "  township  township cadre, 平乐镇\n"
               "  village   village cadre, 大李村\n"
               "  leader    leader (reports only)\n"
               "  admin     administrator (users and areas)\n")
    if not no_serve:
        ready_to_serve(cw)
        _serve(cw, _address(host, port), 1)
