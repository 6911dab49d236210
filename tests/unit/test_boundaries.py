"""The core stays free of the web layer (STYLE.md), and no machine is built per case."""

from __future__ import annotations

import ast
from pathlib import Path

CORE = Path(__file__).resolve().parents[2] / "casework"
WEB = ("flask", "flask_login", "flask_wtf", "flask_babel", "flask_bootstrap", "werkzeug",
       "webui")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


def test_the_core_imports_nothing_of_the_web_layer():
    offenders = {str(path.relative_to(CORE)): sorted(imported_modules(path) & set(WEB))
                 for path in CORE.rglob("*.py")}
    assert {name: mods for name, mods in offenders.items() if mods} == {}


def test_only_the_workflow_builds_a_state_machine():
    builders = [str(path.relative_to(CORE)) for path in CORE.rglob("*.py")
                if "Machine(" in path.read_text(encoding="utf-8")]
    assert builders == ["workflow/model.py"]
