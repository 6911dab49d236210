"""What every benchmark shares: the machine's description, fresh databases, timers."""

from __future__ import annotations

import logging
import os
import platform
import shutil
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from casework.bootstrap import Casework, bootstrap
from casework.config import Settings
from casework.storage.db import make_engine
from casework.storage.schema import upgrade

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / "workflows.yaml"
DATA = Path(__file__).resolve().parent / "data"
# The same connection settings as casework.storage.db (PITFALLS.md, "SQLite under threads").
PRAGMAS = ("journal_mode=WAL", "busy_timeout=5000", "foreign_keys=ON", "synchronous=NORMAL")


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def quiet_logs() -> None:
    """The calendar's fallback warning for next year is expected here; keep the output short."""
    logging.getLogger("casework").setLevel(logging.ERROR)
    logging.getLogger("alembic").setLevel(logging.WARNING)


def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import sqlalchemy
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "sqlalchemy": sqlalchemy.__version__,
        "date": datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
    }


def remove_db(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def copy_db(source: Path, target: Path) -> None:
    """A copy of a closed database (its WAL checkpointed away when the last connection closed)."""
    remove_db(target)
    shutil.copyfile(source, target)


def empty_schema(path: Path) -> None:
    """A database with the newest schema, made by the real migrations."""
    remove_db(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()


def data_key() -> str:
    """The bench's data key, kept beside its cached databases so they open again next run."""
    from casework.privacy.crypto import generate_key

    path = DATA / "data.key"
    if not path.exists():
        DATA.mkdir(parents=True, exist_ok=True)
        path.write_text(generate_key() + "\n")
    return path.read_text().strip()


def open_casework(path: Path) -> Casework:
    return bootstrap(Settings(database_url=f"sqlite:///{path}", workflow_path=WORKFLOW,
                              data_key=data_key()))


def raw_connection(path: Path) -> sqlite3.Connection:
    """Python's sqlite3 with Casework's settings; transactions are begun explicitly."""
    connection = sqlite3.connect(path, isolation_level=None, timeout=30)
    for pragma in PRAGMAS:
        connection.execute(f"PRAGMA {pragma}")
    return connection


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def timed_cpu(fn: Callable[[], object]) -> tuple[float, float, object]:
    """Wall seconds, CPU seconds of this process, and the result.  The machine may be shared:
    CPU time does not count the time other processes hold the cores."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def median(values: list[float]) -> float:
    return statistics.median(values)
