"""``casework users`` and ``casework tokens``: accounts from the server's command line.

The operator at the console manages every account; each change is in the account log with
the actor ``console:SYSTEM-USER``.  Passwords are read from standard input, never from the
command line (it shows in ``ps`` and the shell's history)."""

from __future__ import annotations

import sys

import click

from casework.entrypoints.cli import load
from casework.scheduling.deadlines import SHANGHAI


def _read_password() -> str:
    if sys.stdin.isatty():
        return click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return sys.stdin.readline().rstrip("\r\n")


def _local(moment) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") if moment else "-"


@click.group()
def users():
    """User accounts."""


@users.command("add")
@click.argument("name")
@click.option("--role", required=True, help="A role of workflows.yaml, e.g. village_cadre.")
@click.option("--area", "area_code", required=True, help="The area code the user works in.")
@click.option("--email", default=None, help="Where notifications are sent.")
@click.pass_context
def users_add(ctx, name, role, area_code, email):
    """Add a user; the password (10 characters or more, hard to guess) is read from standard
    input."""
    from casework.people.users import add_user

    user = add_user(load(ctx), username=name, role=role, area_code=area_code,
                    password=_read_password(), email=email)
    click.echo(f"user {user.username} added ({user.role}, {user.area_code})")


@users.command("change")
@click.argument("name")
@click.option("--role", default=None, help="A new role.")
@click.option("--area", "area_code", default=None, help="A new area code.")
@click.pass_context
def users_change(ctx, name, role, area_code):
    """Give user NAME a new role and/or area."""
    from casework.people.account_changes import change_user

    if role is None and area_code is None:
        raise ValueError("give --role, --area or both")
    user = change_user(load(ctx), by=None, username=name, role=role, area_code=area_code)
    click.echo(f"user {user.username} is now {user.role} at {user.area_code}")


@users.command("reset-password")
@click.argument("name")
@click.pass_context
def users_reset_password(ctx, name):
    """Set a one-time password for NAME (read from standard input), to be changed at the next
    login; her open sessions end."""
    from casework.people.account_changes import set_password

    set_password(load(ctx), by=None, username=name, password=_read_password())
    click.echo(f"{name} has a one-time password; it must be changed at the next login")


@users.command("deactivate")
@click.argument("name")
@click.pass_context
def users_deactivate(ctx, name):
    """Stop user NAME: her sessions and API tokens end at once; she is never deleted."""
    from casework.people.account_changes import set_active

    set_active(load(ctx), by=None, username=name, active=False)
    click.echo(f"{name} deactivated")


@users.command("end-sessions")
@click.argument("name")
@click.pass_context
def users_end_sessions(ctx, name):
    """End every browser session of user NAME (a lost phone, a shared computer)."""
    from casework.people.account_changes import end_sessions_of

    count = end_sessions_of(load(ctx), by=None, username=name)
    click.echo(f"{count} session(s) of {name} ended")


@users.command("log")
@click.argument("name", required=False)
@click.option("--limit", type=click.IntRange(1, 500), default=100, show_default=True)
@click.pass_context
def users_log(ctx, name, limit):
    """The account log, newest first: of user NAME, or of every account."""
    from casework.people.account_log import list_account_events

    cw = load(ctx)
    if name is not None:
        from casework.people.tokens import list_tokens

        list_tokens(cw, name)  # NotFound (exit 1) for a name no account has
    rows, total = list_account_events(cw, area="", username=name, page=1, per_page=limit)
    for row in rows:
        detail = " ".join(f"{k}={v}" for k, v in row.detail.items())
        click.echo(f"{_local(row.at)}  {row.kind:<16} {row.username or '-':<24} "
                   f"by {row.actor or '-':<24} {row.address or '-':<15} {detail}".rstrip())
    click.echo(f"{len(rows)} of {total} entries (Beijing time)")


@click.group()
def tokens():
    """API tokens."""


@tokens.command("create")
@click.argument("name")
@click.option("--label", default="", help="What the token is for.")
@click.option("--days", type=int, default=365, show_default=True,
              help="Days until the token expires (1 to 3650).")
@click.pass_context
def tokens_create(ctx, name, label, days):
    """Print a new API token for user NAME (shown once; only its hash is kept)."""
    from casework.people.tokens import create_token

    click.echo(create_token(load(ctx), name, label, days=days))


@tokens.command("list")
@click.argument("name")
@click.pass_context
def tokens_list(ctx, name):
    """The API tokens of user NAME: label, created, last used, expires (Beijing time)."""
    from casework.people.tokens import list_tokens
    from casework.storage.db import utcnow

    rows = list_tokens(load(ctx), name)
    now = utcnow()
    click.echo(f"{'label':<20} {'created':<16}  {'last used':<16}  {'expires':<16}  state")
    for row in rows:
        state = ("revoked" if row.revoked_at else
                 "expired" if row.expires_at and row.expires_at <= now else "live")
        click.echo(f"{row.label or '-':<20} {_local(row.created_at):<16}  "
                   f"{_local(row.last_used_at):<16}  {_local(row.expires_at):<16}  {state}")
    click.echo(f"{len(rows)} token(s) of {name}")


@tokens.command("revoke")
@click.argument("name")
@click.option("--label", default=None, help="Only the tokens with this label.")
@click.pass_context
def tokens_revoke(ctx, name, label):
    """Stop the API tokens of user NAME (a password change does not stop them)."""
    from casework.people.tokens import revoke_tokens

    click.echo(f"{revoke_tokens(load(ctx), name, label)} token(s) of {name} revoked")
