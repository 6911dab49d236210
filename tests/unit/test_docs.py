"""The handbook in docs/ is kept true by the code: every command, every API route and every
value is there, and every link between its pages leads somewhere."""

from __future__ import annotations

import re
import runpy
from pathlib import Path

import click

from casework.entrypoints.cli import main

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"


def commands(group: click.Group, prefix: str = "casework") -> list[str]:
    found = []
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found += commands(command, f"{prefix} {name}")
        else:
            found.append(f"{prefix} {name}")
    return found


def test_the_values_page_is_what_the_code_says():
    render = runpy.run_path(str(ROOT / "scripts" / "values_page.py"))["render"]
    assert (DOCS / "values.md").read_text(encoding="utf-8") == render(), (
        "docs/values.md is stale: run .venv/bin/python scripts/values_page.py")


def test_every_command_is_in_the_command_line_page():
    page = (DOCS / "command-line.md").read_text(encoding="utf-8")
    missing = [name for name in commands(main) if f"`{name}" not in page]
    assert missing == []


def test_every_api_route_is_in_the_api_page():
    from webui import create_app

    page = (DOCS / "api.md").read_text(encoding="utf-8")
    app = create_app({"TESTING": True, "SECRET_KEY": "x" * 40})
    routes = {re.sub(r"<(?:\w+:)?(\w+)>", lambda m: m.group(1).upper(), rule.rule)
              .removeprefix("/api/v1")
              for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1/")}
    missing = sorted(route for route in routes
                     if route not in page and route != "/openapi.json")
    assert missing == []


def test_the_readmes_layout_names_every_package_and_module_of_the_core():
    # A newcomer finds her way by that table: a module it does not name is one she must find
    # by reading imports.
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    layout = readme[readme.index("## How the code is laid out"):]
    rows = {match[1]: match[2] for match in re.finditer(r"^\| `(\w+)/` \| (.*) \|$", layout,
                                                         re.MULTILINE)}
    missing = []
    for package in sorted((ROOT / "casework").glob("*/__init__.py")):
        name = package.parent.name
        modules = [module.stem for module in package.parent.glob("*.py")
                   if module.stem != "__init__"]
        if name not in rows:
            missing.append(f"{name}/")
            continue
        missing += [f"{name}/{module}" for module in sorted(modules)
                    if f"`{module}`" not in rows[name]]
    assert missing == []


def test_every_link_between_the_pages_leads_to_a_file():
    broken = []
    for page in [ROOT / "README.md", *DOCS.glob("*.md")]:
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", page.read_text(encoding="utf-8")):
            if not (page.parent / target).exists():
                broken.append(f"{page.relative_to(ROOT)} -> {target}")
    assert broken == []


def test_no_file_holds_a_merge_left_unfinished():
    # A conflict left in bench/RESULTS.md once reached main unseen; git knows what it tracks.
    import subprocess
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True,
                             check=True).stdout.decode().split("\0")
    marker = re.compile(r"^(<{7} |>{7} |={7}$)", re.MULTILINE)
    unfinished = []
    for name in filter(None, tracked):
        path = ROOT / name
        if path.suffix in {".png", ".svg", ".xlsx", ".mo", ".ico", ".woff2"} or not path.is_file():
            continue
        text = path.read_bytes().decode("utf-8", "replace")
        if marker.search(text):
            unfinished.append(name)
    assert not unfinished, f"merge conflict markers left in {unfinished}"
