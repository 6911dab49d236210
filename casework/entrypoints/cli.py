"""The ``casework`` command.

Bad input ends with one sentence on stderr and exit status 1 (2 for usage, as click does);
nothing is written.  Commands that need the web layer (``serve``, ``demo``) are contributed
by the webui package through the ``casework.commands`` entry-point group, so this core never
imports it.
"""

from __future__ import annotations

import logging
import sys
from datetime import datetime
from importlib.metadata import entry_points
from pathlib import Path

import click
from sqlalchemy.exc import OperationalError, ProgrammingError

from casework.bootstrap import Casework, bootstrap
from casework.config import Settings
from casework.errors import CaseworkError
from casework.scheduling.deadlines import SHANGHAI
from casework.storage.private_files import keep_files_private, make_sqlite_private


class CaseworkGroup(click.Group):
    """Turns domain errors into one clear sentence and exit status 1."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except CaseworkError as exc:
            _fail(exc.message)
        except (OperationalError, ProgrammingError) as exc:
            logging.getLogger("casework.entrypoints.cli").debug("database error", exc_info=exc)
            _fail("the database is not reachable or not initialised; run `casework init` first")
        except ValueError as exc:
            _fail(str(exc))


def _fail(message: str) -> None:
    click.echo(f"casework: {message.rstrip('.')}.", err=True)
    sys.exit(1)


def load(ctx: click.Context) -> Casework:
    """The wired application, built once per command."""
    if ctx.obj is None:
        ctx.obj = bootstrap(Settings.from_env())
        # The pool's connections close with the command, not whenever the collector finds them
        # (a command run in-process, as the tests and `casework demo` do, would leak them).
        ctx.call_on_close(ctx.obj.engine.dispose)
    return ctx.obj


@click.group(cls=CaseworkGroup)
@click.option("-v", "--verbose", is_flag=True, help="Log more (never petitioner data).")
def main(verbose: bool) -> None:
    """Casework: petitions of the women's federation rights-protection network."""
    # Before anything is opened: the database, its -wal and -shm, backups and keys are
    # survivors' data, readable by this account alone (casework/storage/private_files.py).
    keep_files_private()
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


@main.command()
@click.pass_context
def init(ctx):
    """Create or upgrade the database schema (safe to run again); with no key in the
    environment, make the data key and session secret files (never replacing one)."""
    from casework.entrypoints.keys import (
        make_missing_data_key,
        make_missing_secret_key,
        refuse_a_second_data_key,
    )
    from casework.storage.schema import upgrade

    cw = load(ctx)
    made: list[str | None] = []

    def keys_for_migrations():
        # Only a database from before encryption asks: it holds no sealed petitioner yet.
        made.append(make_missing_data_key(cw))
        return cw.keyring

    upgrade(cw.engine, keys_for_migrations)
    refuse_a_second_data_key(cw)
    made += [make_missing_data_key(cw), make_missing_secret_key(cw)]
    if cw.engine.dialect.name == "sqlite":
        for path in make_sqlite_private(cw.engine.url.database):
            click.echo(f"made private (0600): {path}")
    click.echo(f"database ready: {cw.engine.url.render_as_string(hide_password=True)}")
    for line in filter(None, made):
        click.echo(line)


@main.group()
def areas():
    """Areas (county, township, village codes)."""


@areas.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
def areas_import(ctx, file):
    """Upsert areas from a CSV file with columns code,name,parent_code."""
    from casework.imports.areas import import_areas

    count = import_areas(load(ctx), file)
    click.echo(f"{count} areas imported")


def parse_moment(value: str | None) -> datetime | None:
    """An ISO-8601 time; without a zone it is Beijing time."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"'{value}' is not an ISO-8601 time such as 2026-10-13T09:00") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=SHANGHAI)


@main.command()
@click.option("--now", "now_text", default=None, help="Scan as of this ISO-8601 time.")
@click.pass_context
def tick(ctx, now_text):
    """Scan once for newly warned and overdue cases."""
    from casework.scheduling.scan import scan
    from casework.storage.db import utcnow

    now = parse_moment(now_text) or utcnow()
    cw = load(ctx)
    if now_text:
        from casework.reporting.closed_months import refuse_if_closed
        from casework.storage.db import writing

        # Flags dated inside a closed month would make its stored figures disagree with
        # its events.
        with writing(cw.engine) as session:
            refuse_if_closed(session, now, "--now")
    result = scan(cw, now)
    click.echo(f"scan as of {now.astimezone(SHANGHAI).isoformat()}: {result.warned} warned, "
               f"{result.overdue} overdue, {result.escalated} escalated, "
               f"{len(result.failed)} failed")
    if result.failed:
        sys.exit(1)


@main.command()
@click.option("--interval", type=click.IntRange(min=1), default=None,
              help="Seconds between scans (default: CASEWORK_SCAN_INTERVAL or 60).")
@click.pass_context
def scheduler(ctx, interval):
    """Run the deadline scanner in this process until stopped."""
    from casework.scheduling.scheduler import run_forever

    logging.getLogger("casework").setLevel(logging.INFO)
    run_forever(load(ctx), interval)


@main.group()
def report():
    """Reports."""


FORMATS = click.Choice(["table", "json", "csv", "xlsx"])
LANGUAGES = click.Choice(["zh_CN", "en"])


@report.command("monthly")
@click.option("--month", required=True, help="YYYY-MM")
@click.option("--area", default=None, help="An area code; all areas when left out.")
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True)
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.option("--lang", type=LANGUAGES, default="zh_CN", show_default=True)
@click.pass_context
def report_monthly(ctx, month, area, fmt, output, lang):
    """The monthly handling-rate report (DESIGN.md, "Reports")."""
    from casework.reporting.reports import monthly_report

    cw = load(ctx)
    _write_report(cw, monthly_report(cw, month=month, area=area), fmt, output, lang)


@report.command("period")
@click.option("--from", "start", required=True, help="The first month, YYYY-MM.")
@click.option("--to", "end", required=True, help="The last month, YYYY-MM (included).")
@click.option("--area", default=None, help="An area code; all areas when left out.")
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True)
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.option("--lang", type=LANGUAGES, default="zh_CN", show_default=True)
@click.pass_context
def report_period(ctx, start, end, area, fmt, output, lang):
    """The report over the months FROM to TO: a quarter, a half-year, a year or more
    (DESIGN.md, "Reports over a period")."""
    from casework.reporting.reports import period_report

    cw = load(ctx)
    _write_report(cw, period_report(cw, start=start, end=end, area=area), fmt, output, lang)


def _write_report(cw: Casework, figures: dict, fmt: str, output: Path | None,
                  lang: str) -> None:
    import json

    from casework.reporting import report_files

    if fmt == "xlsx":
        data: bytes = report_files.to_xlsx(figures, cw.workflow, lang)
    elif fmt == "json":
        data = (json.dumps(figures, ensure_ascii=False, indent=2) + "\n").encode()
    elif fmt == "csv":
        data = report_files.to_csv(figures, cw.workflow).encode("utf-8")
    else:
        data = report_files.to_table(figures, cw.workflow, lang).encode()
    if output is not None:
        try:
            output.write_bytes(data)
        except OSError as exc:
            raise ValueError(f"cannot write {output}: {exc.strerror}") from None
        click.echo(f"report written to {output}")
    elif fmt == "xlsx" and sys.stdout.isatty():
        raise ValueError("an Excel report needs --output FILE")
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()


@report.command("close")
@click.option("--month", required=True, help="YYYY-MM, a finished month.")
@click.pass_context
def report_close(ctx, month):
    """Close a finished month's figures (and any earlier month not closed yet) by hand; the
    scheduler does it on reports.closing_day of workflows.yaml (the 5th by default).  A closed
    month's report never changes, and nothing dated in it is taken any more."""
    from casework.reporting.closing import close_month

    closed = close_month(load(ctx), month)
    click.echo(f"closed {', '.join(closed)}" if closed else f"{month} was already closed")


@main.group("import")
def import_():
    """Bring in existing records."""


@import_.command("ledger")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True,
              help="Check the file and say what would be imported; write nothing.")
@click.pass_context
def import_ledger_command(ctx, file, dry_run):
    """Import a ledger (台账, CSV or XLSX) of past cases, once: rows already imported are
    skipped, and nothing is written while the file has a problem."""
    from casework.imports.ledger import check_ledger, run_import
    from casework.imports.ledger_problems import LedgerProblems

    _readable(file)  # a mistyped name is told before anything about keys or the database
    cw = load(ctx)
    cw.keyring  # noqa: B018  (refuse before reading the file when CASEWORK_DATA_KEY is missing)
    if dry_run:
        preview = check_ledger(cw, file, progress=_progress())
        _progress_done()
        click.echo(f"rows: {preview.rows}\nnew cases: {preview.new}\n"
                   f"duplicates: {preview.duplicates}\nproblems: {preview.problem_count}")
        if preview.problem_count:
            _problems(preview)
        return
    try:
        preview = run_import(cw, file, progress=_progress())
    except LedgerProblems as exc:
        _progress_done()
        _problems(exc.preview)
    _progress_done()
    click.echo(f"{preview.imported} cases imported, {preview.duplicates} duplicates skipped")


def _progress():
    """A large file's progress on a terminal's stderr (rows checked, then rows written)."""
    if not sys.stderr.isatty():
        return None

    def say(phase: str, rows: int) -> None:
        click.echo(f"\r{rows:,} rows {phase}", err=True, nl=False)

    return say


def _progress_done() -> None:
    if sys.stderr.isatty():
        click.echo("\r" + " " * 40 + "\r", err=True, nl=False)


def _readable(file: Path) -> None:
    try:
        with file.open("rb"):
            pass
    except OSError as exc:
        _fail(f"cannot read {file}: {exc.strerror}")


def _problems(preview) -> None:
    """Every problem on stderr, one a line under one sentence; exit status 1."""
    count = preview.problem_count
    lines = [f"  line {p.line}, column {p.column}: {p.message()}" if p.column
             else f"  line {p.line}: {p.message()}" for p in preview.problems]
    if count > len(preview.problems):
        lines.append(f"  ... and {count - len(preview.problems)} more")
    click.echo(f"casework: the ledger has {count} problem{'s' if count > 1 else ''}; nothing "
               "was imported.\n" + "\n".join(lines), err=True)
    sys.exit(1)


@import_.command("template")
@click.argument("file", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@click.option("--area", "area_code", default="",
              help="The county (or township) whose villages the template lists.")
@click.pass_context
def import_template_command(ctx, file, area_code):
    """Write the ledger template (.xlsx): the heads, an example row, drop-down lists and the
    villages."""
    from casework.imports.ledger_template import ledger_template

    data = ledger_template(load(ctx), area=area_code)
    try:
        file.write_bytes(data)
    except OSError as exc:
        _fail(f"cannot write {file}: {exc.strerror}")
    click.echo(f"template written to {file}")


@main.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
def backup_command(ctx, file):
    """Write a consistent copy of the database to FILE (safe while the server runs)."""
    from casework.storage.backup import backup

    click.echo(f"backup written to {backup(load(ctx).engine, file)}")


@main.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a database that already holds data.")
@click.pass_context
def restore_command(ctx, file, force):
    """Put the backup FILE into the configured database."""
    from casework.storage.backup import restore

    cw = load(ctx)
    restore(cw.engine, file, force=force)
    click.echo(f"restored {file} into {cw.engine.url.render_as_string(hide_password=True)}")


@main.group()
def audit():
    """The audit trail: every case's events, hash-chained."""


@audit.command("verify")
@click.option("--case", "number", metavar="NUMBER", help="Check this case only.")
@click.pass_context
def audit_verify(ctx, number):
    """Report every altered, missing, reordered or inserted event, every case row that
    differs from its events, and every attachment whose bytes are tampered with or missing;
    exit status 1 if there is any."""
    from casework.evidence.upkeep import verify_attachments
    from casework.lifecycle.audit import verify

    cw = load(ctx)
    tally = verify(cw.engine, number=number, report=lambda p: click.echo(str(p)))
    # The attachments after the chain: their attach events are only as good as the chain.
    evidence = verify_attachments(lambda: cw.keyring, cw.engine, number=number,
                                  report=lambda p: click.echo(str(p)))
    checked = (f"{_count(tally.cases, 'case')}, {_count(tally.events, 'event')}, "
               f"{_count(evidence.attachments, 'attachment')} checked")
    problems = tally.problems + evidence.problems
    if problems:
        _fail(f"the audit trail has {_count(problems, 'problem')} ({checked})")
    click.echo(f"audit trail intact: {checked}")


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


@main.group()
def partitions():
    """The events table in monthly partitions (PostgreSQL; docs/deploy.md)."""


@partitions.command("convert")
@click.option("--months-ahead", type=click.IntRange(0, 24), default=3, show_default=True,
              help="Months after this one to make partitions for.")
@click.pass_context
def partitions_convert(ctx, months_ahead):
    """Convert the events table into one partition per month (Beijing time) and a DEFAULT
    one, keeping every event; once, in one transaction.  Stop the web app and the
    scheduler first: the table is locked while its rows are copied."""
    from casework.errors import AlreadyPartitioned
    from casework.storage.partitions import partition_events

    try:
        done = partition_events(load(ctx).engine, months_ahead=months_ahead)
    except AlreadyPartitioned as exc:
        click.echo(f"nothing to do: {exc.message}")  # safe to repeat, like `init`
        return
    months = [p.month for p in done.partitions if p.month]
    click.echo(f"events partitioned by month: {_count(done.rows, 'event')} in "
               f"{len(months)} monthly partitions ({months[0]} to {months[-1]}) and a DEFAULT one")


@partitions.command("ensure")
@click.option("--months-ahead", type=click.IntRange(0, 24), default=3, show_default=True)
@click.pass_context
def partitions_ensure(ctx, months_ahead):
    """Create the partitions missing up to some months ahead (the scheduler does it daily)."""
    from casework.storage.db import utcnow
    from casework.storage.partitions import ensure_partitions, list_partitions

    engine = load(ctx).engine
    if list_partitions(engine, exact=False) is None:
        click.echo("the events table is not partitioned: nothing to do")
        return
    created = ensure_partitions(engine, utcnow(), months_ahead)
    click.echo(f"created {', '.join(created)}" if created else "no partition was missing")


@partitions.command("status")
@click.option("--estimate", is_flag=True,
              help="The planner's row estimates instead of counting every row.")
@click.pass_context
def partitions_status(ctx, estimate):
    """List the partitions of the events table: month, bounds (UTC) and rows."""
    from casework.storage.partitions import list_partitions

    engine = load(ctx).engine
    listed = list_partitions(engine, exact=not estimate)
    if listed is None:
        where = " (SQLite keeps one table)" if engine.dialect.name == "sqlite" else ""
        click.echo(f"the events table is not partitioned{where}")
        return

    def utc(moment) -> str:
        return moment.strftime("%Y-%m-%d %H:%M") if moment else "-"

    click.echo(f"{'partition':<20} {'month':<8} {'from (UTC)':<17} {'to (UTC)':<17} rows")
    for p in listed:
        month = "default" if p.default else (p.month or "-")
        click.echo(f"{p.name:<20} {month:<8} {utc(p.start):<17} {utc(p.end):<17} {p.rows:,}")
    rows = sum(p.rows for p in listed)
    click.echo(f"{_count(len(listed), 'partition')}, {_count(rows, 'event')}"
               + (" (estimated)" if estimate else ""))


@main.group()
def workflow():
    """The workflow of workflows.yaml."""


def _workflow_at(path: Path | None):
    from casework.workflow import load_workflow

    return load_workflow(path or Settings.from_env().workflow_path)


@workflow.command("check")
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path))
def workflow_check(path):
    """Validate the workflow file."""
    loaded = _workflow_at(path)
    click.echo(f"workflow '{loaded.name}' is valid: {len(loaded.levels)} levels, "
               f"{len(loaded.states())} states, {len(loaded.actions)} actions, "
               f"{len(loaded.transitions)} transitions")


@workflow.command("show")
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--lang", type=click.Choice(["zh_CN", "en"]), default="zh_CN", show_default=True)
def workflow_show(path, lang):
    """Print the workflow as a Mermaid state diagram."""
    from casework.workflow.diagram import mermaid

    click.echo(mermaid(_workflow_at(path), lang), nl=False)


def _add_core_commands() -> None:
    from casework.entrypoints.keys import keys

    main.add_command(keys)


def _add_plugin_commands() -> None:
    for entry in entry_points(group="casework.commands"):
        try:
            main.add_command(entry.load(), entry.name)
        except ImportError as exc:  # the web layer is optional for the core's commands
            logging.getLogger("casework.entrypoints.cli").debug(
                "command %s unavailable: %s", entry.name, exc)


_add_core_commands()
from casework.entrypoints.accounts_cli import tokens, users  # noqa: E402  (they use load)

main.add_command(users)
main.add_command(tokens)
_add_plugin_commands()
__all__ = ["main"]
