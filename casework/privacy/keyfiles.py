"""Key files: the data key and the session secret kept on disk when the environment has none
(DESIGN.md, "Set-up with nothing exported").

A county that follows the README has no secrets store.  As GitLab's ``gitlab-secrets.json`` and
Rails' master key do, ``casework init`` makes the keys at first set-up, each in a file only its
owner may read, and every command reads them from there when the environment says nothing.  A
key in the environment always wins, so a deployment with a secrets store keeps working as before.

A key file is never replaced: a second key over the first would leave every petitioner sealed
under the first unreadable.  It is written whole under a temporary name and then linked into
place, which fails when the name is taken, so two ``init`` at once make one key, and no reader
ever sees half a key.
"""

from __future__ import annotations

import logging
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("casework.privacy.keyfiles")
DATA_KEY_FILE_ENV = "CASEWORK_DATA_KEY_FILE"
SECRET_KEY_FILE_ENV = "CASEWORK_SECRET_KEY_FILE"
KEEP_APART = ("keep a copy of it apart from the database and its backups, since without it "
              "nobody can read the petitioners' data")


class KeyFileError(ValueError):
    """A key file that exists but cannot be read or written (one sentence for the CLI)."""


@dataclass(frozen=True)
class KeySource:
    """A key and where it came from: ``text`` is None when neither the variable nor the file
    has one (``path`` is then where ``casework init`` puts it)."""

    text: str | None
    variable: str
    path: Path
    from_file: bool


def instance_dir() -> Path:
    """``./instance``, where the default database lives."""
    return Path.cwd() / "instance"


def key_path(env, variable: str, default: Path) -> Path:
    given = env.get(variable)
    return Path(given).expanduser() if given else default


def find_key(env, variable: str, file_variable: str, default: Path) -> KeySource:
    """The key of ``variable``, else the one in its file, else None."""
    path = key_path(env, file_variable, default)
    value = env.get(variable)
    if value:
        return KeySource(value, variable, path, from_file=False)
    text = read_key_file(path)
    if text is not None and loosely_readable(path):
        log.warning("the key file %s can be read by every user of this machine: run "
                    "`chmod 600 %s`", path, path)
    return KeySource(text, variable, path, from_file=text is not None)


def read_key_file(path: Path) -> str | None:
    """The key in ``path``, or None when there is no such file."""
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or "not a key Casework wrote"
        raise KeyFileError(f"cannot read the key file {path}: {reason}") from None
    if not text:
        raise KeyFileError(f"the key file {path} is empty; put the key back from your copy")
    return text


def loosely_readable(path: Path) -> bool:
    """True when users other than the owner and its group may read ``path`` (a group may: a
    service user reading a root-owned file through its group is a common set-up)."""
    try:
        return bool(path.stat().st_mode & stat.S_IROTH)
    except OSError:
        return False


def write_new_key_file(path: Path, text: str) -> bool:
    """Write ``text`` to ``path`` with mode 0600 unless ``path`` exists; True when written."""
    if path.exists():
        return False
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "w", encoding="ascii") as out:
                out.write(text + "\n")
                out.flush()
                os.fsync(out.fileno())
            os.chmod(temporary, 0o600)  # whatever the umask said
            try:
                os.link(temporary, path)  # fails when the name is taken: never an overwrite
            except FileExistsError:
                return False
        finally:
            temporary.unlink(missing_ok=True)
        _sync_folder(path.parent)
    except OSError as exc:
        raise KeyFileError(f"cannot write the key file {path}: {exc.strerror}") from None
    return True


def _sync_folder(folder: Path) -> None:
    # The new name must survive a power cut as the key's content does.
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
