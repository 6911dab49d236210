"""Settings from the environment (DESIGN.md, "Command line")."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from casework.clock import Clock
from casework.privacy.keyfiles import (
    DATA_KEY_FILE_ENV,
    SECRET_KEY_FILE_ENV,
    KeyFileError,
    KeySource,
    find_key,
    instance_dir,
    key_path,
)

PACKAGED_WORKFLOW = Path(__file__).parent / "workflows.yaml"


def default_workflow_path() -> Path:
    """./workflows.yaml where the current folder has one, else the one shipped in the package."""
    local = Path.cwd() / "workflows.yaml"
    return local if local.is_file() else PACKAGED_WORKFLOW


def default_database_url() -> str:
    return f"sqlite:///{Path.cwd() / 'instance' / 'casework.db'}"


@dataclass(frozen=True)
class Settings:
    database_url: str = field(default_factory=default_database_url)
    workflow_path: Path = field(default_factory=default_workflow_path)
    secret_key: str | None = field(default=None, repr=False)  # signs sessions: never logged
    scan_interval: int = 60
    smtp_url: str | None = None
    webhook_url: str | None = None
    # Kept out of repr: a logged Settings must not carry the key that opens petitioners' data.
    data_key: str | None = field(default=None, repr=False)
    old_data_keys: str | None = field(default=None, repr=False)
    outbox_keep_days: int = 90  # sent notifications older than this are deleted
    clock: Clock = field(default_factory=Clock)  # the scheduler's "now" (clock.py)
    # Where ``casework init`` keeps the keys when the environment has none (keyfiles.py), and
    # whether the keys above were read from there.
    data_key_file: Path = field(default_factory=lambda: instance_dir() / "data.key")
    data_key_from_file: bool = False
    secret_key_file: Path = field(default_factory=lambda: instance_dir() / "secret.key")
    secret_key_from_file: bool = False
    # A key file that exists but cannot be read: said when the key is needed, so that commands
    # which never need it still run.
    key_file_problems: dict[str, str] = field(default_factory=dict, repr=False)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        interval = env.get("CASEWORK_SCAN_INTERVAL", "60")
        if not interval.isdigit() or int(interval) < 1:
            raise ValueError("CASEWORK_SCAN_INTERVAL must be a whole number of seconds, at least 1")
        keep = env.get("CASEWORK_OUTBOX_KEEP_DAYS", "90")
        if not keep.isdigit() or int(keep) < 1:
            raise ValueError("CASEWORK_OUTBOX_KEEP_DAYS must be a whole number of days, at least 1")
        problems: dict[str, str] = {}
        data = _key(env, "CASEWORK_DATA_KEY", DATA_KEY_FILE_ENV, instance_dir() / "data.key",
                    problems)
        # The session secret beside the data key, wherever that is kept.
        secret = _key(env, "CASEWORK_SECRET_KEY", SECRET_KEY_FILE_ENV,
                      data.path.parent / "secret.key", problems)
        return cls(
            database_url=env.get("CASEWORK_DATABASE_URL") or default_database_url(),
            workflow_path=Path(env["CASEWORK_WORKFLOW"]) if env.get("CASEWORK_WORKFLOW")
            else default_workflow_path(),
            secret_key=secret.text,
            scan_interval=int(interval),
            smtp_url=env.get("CASEWORK_SMTP_URL") or None,
            webhook_url=env.get("CASEWORK_WEBHOOK_URL") or None,
            data_key=data.text,
            old_data_keys=env.get("CASEWORK_OLD_DATA_KEYS") or None,
            outbox_keep_days=int(keep),
            clock=Clock.parse(env.get("CASEWORK_CLOCK")),
            data_key_file=data.path, data_key_from_file=data.from_file,
            secret_key_file=secret.path, secret_key_from_file=secret.from_file,
            key_file_problems=problems,
        )


def _key(env, variable: str, file_variable: str, default: Path,
         problems: dict[str, str]) -> KeySource:
    try:
        return find_key(env, variable, file_variable, default)
    except KeyFileError as exc:
        problems[variable] = str(exc)
        return KeySource(None, variable, key_path(env, file_variable, default), False)
