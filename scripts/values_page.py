"""Write docs/values.md: every value a field takes, with its Chinese and English label.

The page is made from the code (casework/vocabulary.py and the shipped workflows.yaml), and
tests/unit/test_docs.py fails when the committed page differs from what this writes, so the
page cannot drift from the product.  Run: .venv/bin/python scripts/values_page.py
"""

from __future__ import annotations

import sys
from pathlib import Path

from casework import vocabulary
from casework.config import PACKAGED_WORKFLOW
from casework.workflow import load_workflow

PAGE = Path(__file__).resolve().parents[1] / "docs" / "values.md"
FIELDS = [("channel", "`channel` (来源): how the petition came in"),
          ("category", "`category` (类别)"),
          ("urgency", "`urgency` (紧急程度)"),
          ("gender", "`petitioner.gender`"),
          ("age_group", "`petitioner.age_group`"),
          ("outcome", "`outcome` of `resolve` (结果)"),
          ("agency", "`agency` of `refer` (转介单位)"),
          ("satisfaction", "`satisfaction` of `close`")]


def _deadline(level) -> str:
    if level.working_days:
        days = level.working_days
        return f"{days} working day{'' if days == 1 else 's'}"
    return f"{level.hours} hours"


def render() -> str:
    workflow = load_workflow(PACKAGED_WORKFLOW)
    lines = ["# Every value a field takes", "",
             "Made by `scripts/values_page.py` from `casework/vocabulary.py` and the shipped",
             "`workflows.yaml`; a test fails when this page and the code differ. The API and the",
             "ledger take the id; the ledger also takes the Chinese or English label.", ""]
    for kind, title in FIELDS:
        lines += [f"## {title}", "", "| id | 中文 | English |", "|---|---|---|"]
        for value, names in vocabulary.LABELS[kind].items():
            lines.append(f"| `{value}` | {names['zh']} | {names['en']} |")
        lines.append("")
    lines += ["## `level` (层级)", "", "| id | 中文 | English | deadline |", "|---|---|---|---|"]
    for level in workflow.levels:
        lines.append(f"| `{level.id}` | {level.name.get('zh')} | {level.name.get('en')} | "
                     f"{_deadline(level)} |")
    lines += ["", "## `status` (状态)", "", "| id | 中文 | English |", "|---|---|---|"]
    for status in workflow.statuses.values():
        lines.append(f"| `{status.id}` | {status.name.get('zh')} | {status.name.get('en')} |")
    lines += ["", "## `action` (操作)", "", "| id | 中文 | English |", "|---|---|---|"]
    for action in workflow.actions.values():
        lines.append(f"| `{action.id}` | {action.name.get('zh')} | {action.name.get('en')} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    PAGE.write_text(render(), encoding="utf-8")
    sys.stdout.write(f"wrote {PAGE}\n")
