"""The one place that wires Casework together; the CLI, the web app and the scheduler call it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from casework.config import Settings
from casework.db import make_engine
from casework.deadlines import WorkingCalendar
from casework.workflow import Workflow, load_workflow


@dataclass
class Casework:
    settings: Settings
    engine: Engine
    workflow: Workflow
    calendar: WorkingCalendar


def bootstrap(settings: Settings | None = None, *, engine: Engine | None = None) -> Casework:
    settings = settings or Settings.from_env()
    workflow = load_workflow(settings.workflow_path)
    return Casework(
        settings=settings,
        engine=engine or make_engine(settings.database_url),
        workflow=workflow,
        calendar=WorkingCalendar(workflow.extra_holidays, workflow.extra_workdays),
    )
