"""Every file Casework writes is readable by its owner only (DESIGN.md, "Accounts, sessions and
what no role can bend"): the SQLite database and its -wal and -shm, backups, key files.

The process sets its umask to 077 when a command starts, so whatever it creates (SQLite makes
its -wal and -shm with the database's own mode, then applies the umask; a backup is a new
file; a key file too) is 0600, and a folder 0700, without each writer remembering a mode.
A database created before, by an older Casework or a careless copy, is made private by
``casework init``.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

PRIVATE_UMASK = 0o077
OWNER_ONLY = stat.S_IRUSR | stat.S_IWUSR
SQLITE_COMPANIONS = ("", "-wal", "-shm", "-journal")


def keep_files_private() -> None:
    """Files and folders this process creates from now on: its owner's alone."""
    os.umask(PRIVATE_UMASK)


def make_sqlite_private(database: str | None) -> list[Path]:
    """chmod 0600 the database file and its companions where they exist and are wider; the
    files changed."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return []
    changed = []
    for suffix in SQLITE_COMPANIONS:
        path = Path(database + suffix)
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
        except FileNotFoundError:
            continue
        if mode & ~OWNER_ONLY:
            path.chmod(mode & OWNER_ONLY)
            changed.append(path)
    return changed
