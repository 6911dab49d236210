"""Key files (casework/privacy/keyfiles.py) and the settings that read them; no database."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from casework.config import Settings
from casework.privacy.crypto import generate_key
from casework.privacy.keyfiles import KeyFileError, read_key_file, write_new_key_file


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_key_file_is_readable_by_its_owner_only_whatever_the_umask(tmp_path):
    old = os.umask(0)
    try:
        assert write_new_key_file(tmp_path / "instance" / "data.key", "k1")
    finally:
        os.umask(old)
    assert mode(tmp_path / "instance" / "data.key") == 0o600
    assert mode(tmp_path / "instance") == 0o700
    assert read_key_file(tmp_path / "instance" / "data.key") == "k1"
    assert [p.name for p in (tmp_path / "instance").iterdir()] == ["data.key"]  # no leftovers


def test_a_key_file_is_never_replaced(tmp_path):
    path = tmp_path / "data.key"
    assert write_new_key_file(path, "first")
    assert not write_new_key_file(path, "second")
    assert read_key_file(path) == "first"


def test_writers_racing_for_one_name_leave_one_whole_key(tmp_path):
    path = tmp_path / "data.key"
    keys = [generate_key() for _ in range(8)]
    start = threading.Barrier(len(keys))
    made: list[bool] = []

    def write(key: str) -> None:
        start.wait()
        made.append(write_new_key_file(path, key))

    threads = [threading.Thread(target=write, args=(key,)) for key in keys]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert made.count(True) == 1 and read_key_file(path) in keys


def test_no_file_is_no_key_and_an_empty_one_is_a_sentence(tmp_path):
    assert read_key_file(tmp_path / "missing.key") is None
    (tmp_path / "empty.key").write_text("\n")
    with pytest.raises(KeyFileError, match="is empty; put the key back from your copy"):
        read_key_file(tmp_path / "empty.key")
    (tmp_path / "folder.key").mkdir()
    with pytest.raises(KeyFileError, match="cannot read the key file"):
        read_key_file(tmp_path / "folder.key")


def test_the_settings_read_the_key_files_when_the_variables_are_unset(tmp_path):
    write_new_key_file(tmp_path / "keys" / "data.key", "from-the-file")
    write_new_key_file(tmp_path / "keys" / "secret.key", "secret-from-the-file")
    env = {"CASEWORK_DATA_KEY_FILE": str(tmp_path / "keys" / "data.key")}
    settings = Settings.from_env(env)
    assert (settings.data_key, settings.data_key_from_file) == ("from-the-file", True)
    # The session secret's file sits beside the data key's unless told otherwise.
    assert (settings.secret_key, settings.secret_key_from_file) == ("secret-from-the-file", True)
    assert "from-the-file" not in repr(settings)


def test_a_key_in_the_environment_wins_over_its_file(tmp_path):
    write_new_key_file(tmp_path / "data.key", "from-the-file")
    settings = Settings.from_env({"CASEWORK_DATA_KEY_FILE": str(tmp_path / "data.key"),
                                  "CASEWORK_DATA_KEY": "from-the-environment",
                                  "CASEWORK_SECRET_KEY_FILE": str(tmp_path / "nothing.key")})
    assert (settings.data_key, settings.data_key_from_file) == ("from-the-environment", False)
    assert settings.secret_key is None and settings.secret_key_file == tmp_path / "nothing.key"


def test_the_default_key_files_are_in_instance_beside_the_default_database(tmp_path,
                                                                          monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = Settings.from_env({})
    assert settings.data_key_file == tmp_path / "instance" / "data.key"
    assert settings.secret_key_file == tmp_path / "instance" / "secret.key"
    assert settings.database_url == f"sqlite:///{tmp_path / 'instance' / 'casework.db'}"


def test_an_unreadable_key_file_is_kept_as_a_problem_not_raised(tmp_path):
    (tmp_path / "data.key").write_text("")
    settings = Settings.from_env({"CASEWORK_DATA_KEY_FILE": str(tmp_path / "data.key")})
    assert settings.data_key is None
    assert "is empty" in settings.key_file_problems["CASEWORK_DATA_KEY"]


def test_a_key_file_every_user_may_read_is_warned_about_and_still_read(tmp_path, caplog):
    path = tmp_path / "data.key"
    write_new_key_file(path, "k")
    path.chmod(0o640)
    assert Settings.from_env({"CASEWORK_DATA_KEY_FILE": str(path)}).data_key == "k"
    assert not caplog.records
    path.chmod(0o644)
    assert Settings.from_env({"CASEWORK_DATA_KEY_FILE": str(path)}).data_key == "k"
    assert [r.getMessage() for r in caplog.records] == [
        f"the key file {path} can be read by every user of this machine: run `chmod 600 {path}`"]


def test_keys_generate_writes_a_new_file_and_never_over_one(tmp_path):
    from click.testing import CliRunner

    from casework.entrypoints.cli import main
    from casework.privacy.crypto import DataKey

    path = tmp_path / "new.key"
    made = CliRunner().invoke(main, ["keys", "generate", "--output", str(path)])
    assert made.exit_code == 0 and made.output == f"key written to {path}\n"
    assert mode(path) == 0o600 and DataKey.from_text(path.read_text()).key_id
    key = path.read_text()
    again = CliRunner().invoke(main, ["keys", "generate", "--output", str(path)])
    assert again.exit_code == 1 and again.stderr == (
        f"casework: {path} already exists, and a key file is never replaced.\n")
    assert path.read_text() == key
    printed = CliRunner().invoke(main, ["keys", "generate"])
    assert printed.exit_code == 0 and DataKey.from_text(printed.output).key_id
