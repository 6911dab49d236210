"""The one place that wires Casework together; the CLI, the web app and the scheduler call it."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine

from casework.config import Settings
from casework.privacy.crypto import KEY_ENV, DataKeyError, Keyring
from casework.privacy.narratives import register_keys
from casework.scheduling.deadlines import WorkingCalendar
from casework.storage.db import make_engine
from casework.workflow import Workflow, load_workflow


@dataclass
class Casework:
    settings: Settings
    engine: Engine
    workflow: Workflow
    calendar: WorkingCalendar
    _keyring: Keyring | None = field(default=None, repr=False)

    @property
    def keyring(self) -> Keyring:
        """The data keys; DataKeyError (one clear sentence) when CASEWORK_DATA_KEY is missing
        or malformed.  Built on first use, so commands that never touch petitioners' data
        (reports, the workflow, users) run without the key."""
        if self._keyring is None:
            settings = self.settings
            if KEY_ENV in settings.key_file_problems:
                raise DataKeyError(settings.key_file_problems[KEY_ENV])
            if not settings.data_key:
                raise DataKeyError(
                    f"{KEY_ENV} is not set and there is no key file {settings.data_key_file}: "
                    "run `casework init` to make one, or set the key the data was sealed with")
            name = f"the key file {settings.data_key_file}" if settings.data_key_from_file \
                else KEY_ENV
            self._keyring = Keyring.from_texts(settings.data_key, settings.old_data_keys,
                                               name=name)
        return self._keyring

    def use_settings(self, settings: Settings) -> None:
        """New settings (a key file just made); the keyring is built again when next needed."""
        self.settings = settings
        self._keyring = None


def bootstrap(settings: Settings | None = None, *, engine: Engine | None = None) -> Casework:
    settings = settings or Settings.from_env()
    workflow = load_workflow(settings.workflow_path)
    cw = Casework(
        settings=settings,
        engine=engine or make_engine(settings.database_url),
        workflow=workflow,
        calendar=WorkingCalendar(workflow.extra_holidays, workflow.extra_workdays),
    )
    # Every event written through this engine seals its texts under this Casework's key.
    register_keys(cw.engine, lambda: cw.keyring)
    return cw
