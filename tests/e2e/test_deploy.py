"""The example deployment in docs/deploy/ is checked as far as this machine allows: the units
by ``systemd-analyze verify``, the nginx site by ``nginx -t`` (Debian's nginx, unpacked by
scripts/nginx-for-tests), every command line against the real CLI, every variable against
what the code reads, and docs/deploy.md against both."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest

from casework.config import Settings
from casework.entrypoints.cli import main
from tests.conftest import ROOT

DEPLOY = ROOT / "docs" / "deploy"
UNITS = sorted(DEPLOY.glob("*.service"))
INSTALLED = "/opt/casework/venv/bin/casework"
SITE_PACKAGES = "/opt/casework/venv/lib/python3.11/site-packages/"


def unit_entries(path: Path) -> list[tuple[str, str, str]]:
    """(section, key, value) of a unit file, in order (keys may repeat)."""
    section, entries = None, []
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        entries.append((section, key.strip(), value.strip()))
    return entries


def commands_of(path: Path) -> list[list[str]]:
    return [shlex.split(value) for _, key, value in unit_entries(path)
            if key in ("ExecStart", "ExecStartPre") and value.startswith(INSTALLED)]


def env_names() -> dict[str, str]:
    pairs = {}
    for line in (DEPLOY / "casework.env").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, value = line.partition("=")
            pairs[name.strip()] = value.strip()
    return pairs


def names_the_code_reads() -> set[str]:
    found = set()
    for package in ("casework", "webui"):
        for source in (ROOT / package).rglob("*.py"):
            found |= set(re.findall(r"\bCASEWORK_[A-Z_]+\b", source.read_text()))
    return found


def parse_command(args: list[str]) -> click.Context:
    """Parse ``casework ARGS`` as the CLI would, stopping short of running it."""
    command: click.Command = main
    context = click.Context(main, info_name="casework")
    name, rest = "casework", list(args)
    while isinstance(command, click.Group):
        name, rest = rest[0], rest[1:]
        command = command.get_command(context, name)
        if command is None:
            raise click.UsageError(f"no command {name}")
        context = click.Context(command, info_name=name, parent=context)
    return command.make_context(name, rest, parent=context.parent)


def test_there_are_a_web_and_a_scheduler_unit():
    commands = {path.name: commands_of(path) for path in UNITS}
    assert commands == {
        "casework-scheduler.service": [[INSTALLED, "scheduler"]],
        "casework-web.service": [[INSTALLED, "init"], [INSTALLED, "serve", "--workers", "4",
                                                      "--bind", "unix:/run/casework/web.sock"]],
    }


@pytest.mark.parametrize("unit", UNITS, ids=lambda p: p.name)
def test_unit_commands_are_what_the_cli_accepts(unit):
    for command in commands_of(unit):
        context = parse_command(command[1:])
        if context.info_name == "serve":
            assert context.params["workers"] > 1  # so the scheduler unit must run beside it
            assert context.params["bind"].startswith("unix:/run/casework/")
    assert ("Service", "EnvironmentFile", "/etc/casework/casework.env") in unit_entries(unit)


def test_a_wrong_option_would_be_caught():
    with pytest.raises(click.UsageError):
        parse_command(["serve", "--wokers", "4"])


def test_the_web_unit_makes_the_socket_the_nginx_site_uses():
    web = unit_entries(DEPLOY / "casework-web.service")
    assert ("Service", "RuntimeDirectory", "casework") in web
    site = (DEPLOY / "nginx-casework.conf").read_text()
    assert "server unix:/run/casework/web.sock" in site


def test_the_environment_file_names_only_variables_the_code_reads():
    env, read = env_names(), names_the_code_reads()
    assert set(env) <= read, sorted(set(env) - read)
    settings = Settings.from_env(env)
    assert settings.database_url.startswith("postgresql://")
    assert settings.scan_interval == 60
    assert env["CASEWORK_PROXIES"] == "1"  # one nginx in front (webui/config.py)


def test_deploy_md_names_every_variable_and_every_example_file():
    guide = (ROOT / "docs" / "deploy.md").read_text()
    missing = sorted(name for name in names_the_code_reads() if name not in guide)
    assert not missing, missing
    for path in DEPLOY.iterdir():
        assert f"deploy/{path.name}" in guide, path.name


def test_static_aliases_point_into_the_installed_packages():
    """nginx serves /static/ and /bootstrap/static/ from site-packages: those folders exist
    in this installation and hold what the pages link to."""
    site = (DEPLOY / "nginx-casework.conf").read_text()
    aliases = re.findall(r"alias (\S+);", site)
    assert len(aliases) == 2
    here = Path(click.__file__).resolve().parent.parent  # this venv's site-packages
    for alias in aliases:
        assert alias.startswith(SITE_PACKAGES)
        folder = here / alias.removeprefix(SITE_PACKAGES)
        if not folder.is_dir():  # an editable install: the package is the checkout
            folder = ROOT / alias.removeprefix(SITE_PACKAGES)
        assert folder.is_dir(), alias
        assert any(folder.rglob("*.css")), alias


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze here")
def test_systemd_analyze_verify_finds_nothing(tmp_path):
    for unit in UNITS:  # the same units, pointing at this checkout's casework
        text = unit.read_text().replace(INSTALLED, str(Path(sys.executable).with_name(
            "casework")))
        (tmp_path / unit.name).write_text(text)
    result = subprocess.run(["systemd-analyze", "verify", "--man=no",
                             *[str(tmp_path / u.name) for u in UNITS]],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr


def nginx_binary() -> str | None:
    unpacked = ROOT / ".cache" / "nginx" / "usr" / "sbin" / "nginx"
    return str(unpacked) if unpacked.exists() else shutil.which("nginx")


@pytest.mark.skipif(nginx_binary() is None or shutil.which("openssl") is None,
                    reason="no nginx (scripts/nginx-for-tests unpacks Debian's) or openssl")
def test_nginx_accepts_the_site(tmp_path):
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=casework.example.org", "-keyout", str(tmp_path / "key.pem"),
                    "-out", str(tmp_path / "cert.pem")], check=True, capture_output=True)
    site = (DEPLOY / "nginx-casework.conf").read_text()
    site = site.replace("/etc/ssl/casework/fullchain.pem", str(tmp_path / "cert.pem"))
    site = site.replace("/etc/ssl/casework/privkey.pem", str(tmp_path / "key.pem"))
    site = site.replace("/var/log/nginx/", f"{tmp_path}/")
    (tmp_path / "site.conf").write_text(site)
    temp = "\n".join(f"    {kind}_temp_path {tmp_path}/{kind};" for kind in
                     ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log stderr;\nevents {{}}\nhttp {{\n{temp}\n"
        f"    access_log {tmp_path}/access.log;\n    include {tmp_path}/site.conf;\n}}\n")
    result = subprocess.run([nginx_binary(), "-t", "-p", str(tmp_path), "-c",
                             str(tmp_path / "nginx.conf"), "-e", "stderr"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr
