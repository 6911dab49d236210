"""No machine is built per case (STYLE.md, PITFALLS.md).

That the core stays free of the web layer, and the rest of the layering, is import-linter's
to check: the contracts in pyproject.toml, run by scripts/test as `lint-imports`."""

from __future__ import annotations

from pathlib import Path

CORE = Path(__file__).resolve().parents[2] / "casework"


def test_only_the_workflow_builds_a_state_machine():
    builders = [str(path.relative_to(CORE)) for path in CORE.rglob("*.py")
                if "Machine(" in path.read_text(encoding="utf-8")]
    assert builders == ["workflow/model.py"]
