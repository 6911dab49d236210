"""The keys at set-up (``casework init``) and ``casework keys generate|status|rotate``.

With nothing exported, ``init`` makes the data key and the session secret in files beside the
default database (casework/privacy/keyfiles.py); a key in the environment always wins.  It never
makes a data key for a database that already holds petitioners sealed under another one: that
key is lost or mislaid, and a new one would only hide the fact.
"""

from __future__ import annotations

import secrets
from dataclasses import replace
from pathlib import Path

import click

from casework.bootstrap import Casework
from casework.privacy.crypto import KEY_ENV, DataKeyError, generate_key
from casework.privacy.keyfiles import KEEP_APART, read_key_file, write_new_key_file

SECRET_ENV = "CASEWORK_SECRET_KEY"


def make_missing_data_key(cw: Casework) -> str | None:
    """Make the data key file when no key is configured; the line to print, or None."""
    settings = cw.settings
    if settings.data_key or KEY_ENV in settings.key_file_problems:
        return None
    path = settings.data_key_file
    made = write_new_key_file(path, generate_key())
    # Read back what is there: another ``init`` running at once may have linked its key first.
    cw.use_settings(replace(settings, data_key=read_key_file(path), data_key_from_file=True))
    return f"data key written to {path}: {KEEP_APART}" if made else None


def refuse_a_second_data_key(cw: Casework) -> None:
    """DataKeyError when no key is configured and the database holds sealed petitioners."""
    from casework.privacy.petitioners import count_by_key

    settings = cw.settings
    if settings.data_key:
        return
    if KEY_ENV in settings.key_file_problems:
        raise DataKeyError(settings.key_file_problems[KEY_ENV])
    sealed = count_by_key(cw.engine)
    if sealed:
        raise DataKeyError(
            f"the database holds {sum(sealed.values())} petitioners sealed with key "
            f"{', '.join(sorted(sealed))}, but {KEY_ENV} is not set and there is no key file "
            f"{settings.data_key_file}: set that key or put its file back (a new key would not "
            "open them)")


def make_missing_secret_key(cw: Casework) -> str | None:
    """Make the session secret file when CASEWORK_SECRET_KEY is not set, so that browser
    sessions survive a restart and hold across several workers; the line to print, or None."""
    settings = cw.settings
    if settings.secret_key or SECRET_ENV in settings.key_file_problems:
        return None
    path = settings.secret_key_file
    made = write_new_key_file(path, secrets.token_hex(32))
    cw.use_settings(replace(settings, secret_key=read_key_file(path), secret_key_from_file=True))
    return f"session secret written to {path}" if made else None


@click.group()
def keys():
    """The data key that encrypts petitioners' name, phone and ID number."""


@keys.command("generate")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the key to this new file (mode 0600) instead of printing it.")
def keys_generate(output):
    """A new random data key: printed for CASEWORK_DATA_KEY, or written to a new file (an
    existing file is never replaced).  `casework init` makes the first one by itself."""
    key = generate_key()
    if output is None:
        click.echo(key)
        return
    if not write_new_key_file(output, key):
        raise ValueError(f"{output} already exists, and a key file is never replaced")
    click.echo(f"key written to {output}")


@keys.command("status")
@click.pass_context
def keys_status(ctx):
    """Where the keys come from, the data key's id and how many petitioners each key sealed."""
    from casework.entrypoints.cli import _count, load
    from casework.evidence.upkeep import count_by_key as attachments_by_key
    from casework.imports.ledger_uploads import uploads_by_key
    from casework.privacy.narrative_keys import narratives_by_key
    from casework.privacy.petitioners import count_by_key

    cw = load(ctx)
    settings = cw.settings
    current = cw.keyring.current.key_id
    source = (f"the file {settings.data_key_file}" if settings.data_key_from_file
              else f"the environment ({KEY_ENV})")
    click.echo(f"current key: {current}, from {source}")
    secret = (f"the file {settings.secret_key_file}" if settings.secret_key_from_file
              else f"the environment ({SECRET_ENV})" if settings.secret_key
              else "none (random at each start: run `casework init` to make one)")
    click.echo(f"session secret: {secret}")
    def mark(key_id: str) -> str:
        return " (current)" if key_id == current else ""

    petitioners, texts = count_by_key(cw.engine), narratives_by_key(cw.engine)
    for key_id in sorted(set(petitioners) | set(texts)):
        click.echo(f"{key_id}: {petitioners.get(key_id, 0)} petitioners, "
                   f"{texts.get(key_id, 0)} case texts{mark(key_id)}")
    for counts, noun, after in ((attachments_by_key(cw.engine), "attachment", ""),
                                (uploads_by_key(cw.engine), "ledger upload",
                                 " awaiting confirmation")):
        for key_id, count in sorted(counts.items()):
            click.echo(f"{key_id}: {_count(count, noun)}{after}{mark(key_id)}")


@keys.command("rotate")
@click.pass_context
def keys_rotate(ctx):
    """Re-seal every petitioner, case text, attachment and kept ledger upload under the current
    key (CASEWORK_DATA_KEY, or the key file); older keys go in CASEWORK_OLD_DATA_KEYS
    (comma-separated) until this has run."""
    from casework.entrypoints.cli import _count, load
    from casework.evidence.upkeep import rotate_attachments
    from casework.imports.ledger_uploads import rotate_uploads
    from casework.privacy.narrative_keys import rotate_narratives
    from casework.privacy.petitioners import rotate

    cw = load(ctx)
    count = rotate(cw.keyring, cw.engine)
    attachments = rotate_attachments(cw.keyring, cw.engine)
    texts = rotate_narratives(cw.keyring, cw.engine)
    uploads = rotate_uploads(cw.keyring, cw.engine)
    click.echo(f"{count} petitioners, {_count(attachments, 'attachment')}, {texts} case texts "
               f"and {_count(uploads, 'ledger upload')} re-sealed under key "
               f"{cw.keyring.current.key_id}")
