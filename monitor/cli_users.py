"""`regwatch users add|list|token`, `regwatch audit` and `regwatch allowlist`: accounts and oversight.

Whoever can run the CLI can read the database, so these commands trust the shell user;
the changes they make are audit-logged as `cli:<os user>`.
"""

from __future__ import annotations

import json
import sys

import click

from monitor.accounts import ROLES, add_user, list_users, new_token, remove_user, set_password
from monitor.allowlist import allowed_domains, parse_domains, set_allowed_domains
from monitor.audit import entries
from monitor.cli_targets import cli_actor, load_runtime
from monitor.errors import Invalid
from monitor.runtime import utcnow
from monitor.urlguard import DEFAULT_ALLOWED_DOMAINS
from monitor.views import iso


@click.group()
def users() -> None:
    """Dashboard and API accounts."""


def _read_password(stdin: bool) -> str:
    if stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise Invalid("user", {"password": "no password on standard input"})
        return password
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True, err=True))


@users.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), default="operator", show_default=True,
              help="viewer reads; operator edits targets, substances and channels; admin also manages users.")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
def users_add(name: str, role: str, password_stdin: bool) -> None:
    """Create an account; the password is prompted for (hidden, asked twice)."""
    rt = load_runtime()
    password = _read_password(password_stdin)
    with rt.sessions.begin() as s:
        account = add_user(s, name, role, password, cli_actor(), utcnow())
    click.echo(f"added {account.role} {account.name}")


@users.command("passwd")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
def users_passwd(name: str, password_stdin: bool) -> None:
    """Set a new password for NAME (their browser sessions end)."""
    rt = load_runtime()
    password = _read_password(password_stdin)
    with rt.sessions.begin() as s:
        set_password(s, name, password, cli_actor(), utcnow())
    click.echo(f"password of {name} changed")


@users.command("remove")
@click.argument("name")
def users_remove(name: str) -> None:
    """Delete the account NAME: its sessions and API token stop working at once."""
    rt = load_runtime()
    with rt.sessions.begin() as s:
        remove_user(s, name, cli_actor(), utcnow())
    click.echo(f"removed user {name}")


@users.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def users_list(as_json: bool) -> None:
    """Every account with its role (never a hash)."""
    rt = load_runtime()
    with rt.sessions() as s:
        rows = [{"name": u.name, "role": u.role, "created_at": iso(u.created_at), "has_token": u.token_hash is not None,
                 "token_created_at": iso(u.token_created_at)} for u in list_users(s)]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for r in rows:
        click.echo(f"{r['name']:<24} {r['role']:<9} token: {'yes' if r['has_token'] else 'no'}")


@users.command("token")
@click.argument("name")
def users_token(name: str) -> None:
    """Print a new API token for NAME (shown once; replaces the previous one). Send it as
    `Authorization: Bearer <token>`."""
    rt = load_runtime()
    with rt.sessions.begin() as s:
        token = new_token(s, name, cli_actor(), utcnow())
    click.echo(token)


@click.command("audit")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--entity", help="Only this kind of object: target, user, setting.")
@click.option("--id", "entity_id", help="Only this object id.")
@click.option("--limit", default=200, show_default=True, help="At most this many entries.")
def audit(as_json: bool, entity: str | None, entity_id: str | None, limit: int) -> None:
    """Who changed what and when, newest first, with the object before and after."""
    rt = load_runtime()
    with rt.sessions() as s:
        rows = entries(s, entity, entity_id, limit=limit)
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    for r in rows:
        changed = f" ({', '.join(r['changed'])})" if r["action"] == "update" else ""
        click.echo(f"{r['at']}  {r['actor']:<20} {r['action']:<8} {r['entity']} {r['entity_id']}{changed}")


@click.command("allowlist")
@click.argument("action", type=click.Choice(["show", "set", "add", "remove", "off", "default"]), default="show")
@click.argument("domains", nargs=-1)
def allowlist(action: str, domains: tuple[str, ...]) -> None:
    """Show or change the domains targets may point at (subdomains included).

    `set D…` replaces the list, `add`/`remove D…` edit it, `off` allows any public host,
    `default` restores the shipped list.
    """
    rt = load_runtime()
    with rt.sessions.begin() as s:
        current = allowed_domains(s)
        if action != "show":
            given = parse_domains(domains)
            if action in ("set", "add", "remove") and not given:
                raise Invalid("allowlist", {"domains": f"`allowlist {action}` needs at least one domain"})
            new = {"set": given, "add": current + tuple(d for d in given if d not in current),
                   "remove": tuple(d for d in current if d not in given), "off": (),
                   "default": DEFAULT_ALLOWED_DOMAINS}[action]
            if not new and action != "off":
                raise Invalid("allowlist", {"domains": "that would empty the allowlist; say `allowlist off` to turn it off"})
            current = set_allowed_domains(s, new, cli_actor(), utcnow())
    click.echo(" ".join(current) if current else "(off: any public host may be watched)")
