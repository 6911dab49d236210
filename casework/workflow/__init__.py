"""The workflow: loaded from workflows.yaml, checked, and turned into one shared state machine."""

from casework.workflow.loader import load_workflow, parse_workflow
from casework.workflow.model import UNIT_CODE_LENGTH, Action, Level, Role, Status, Workflow

__all__ = ["UNIT_CODE_LENGTH", "Action", "Level", "Role", "Status", "Workflow", "load_workflow",
           "parse_workflow"]
