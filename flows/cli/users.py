"""commission users add|list|disable|roles|organisation|token: the local accounts of the web app.

A password is never a command-line argument (it would land in shell history and process lists): it is asked
for at a prompt, or read from standard input with --password-stdin.
"""

import sys
from typing import Annotated

import typer

from flows.cli.common import JSON_HELP, actor, console, print_json, settings
from flows.common.errors import UserError
from flows.common.settings import Settings
from policies.accounts.roles import Role


def register(app: typer.Typer) -> None:
    users = typer.Typer(
        help="Local accounts for the web app: users, roles, provider organisations, API tokens.", no_args_is_help=True
    )
    users.command("add")(users_add)
    users.command("list")(users_list)
    users.command("disable")(users_disable)
    users.command("roles")(users_roles)
    users.command("organisation")(users_organisation)
    users.command("token")(users_token)
    app.add_typer(users, name="users")


ROLES_HELP = f"A role ({', '.join(r.value for r in Role)}); repeat for several."
BY = typer.Option("--by", help="Who is acting (default: COMMISSIONING_ACTOR or login).")


def _account_actor(by: str | None, cfg: Settings) -> tuple[str, bool]:
    """Who changes an account, and whether without a token: a token's user (an admin: flows/cli/rules.py), else the
    name given, marked unauthenticated. Without a token only while no active admin exists (the first has no token
    yet) on PostgreSQL, whatever the controls policy says, and on SQLite where the policy refuses writes without one:
    after that anyone at a terminal could make themselves admin, or mint two finance users' tokens and approve their
    own payment. The policy (a file named in the environment) may add this refusal, never lift it. Checked here to
    refuse before a password is asked for, and again, under a lock, in the change's own transaction (``tokenless``),
    so that two first-admin commands started together cannot both make one."""
    import os

    from flows.accounts.users import NEEDS_ADMIN_TOKEN, active_admin_exists
    from flows.approvals.policy import controls_policy

    tokenless = False
    if not os.environ.get("COMMISSIONING_TOKEN", "").strip():
        kind = "postgresql" if cfg.database_url.startswith("postgres") else "sqlite"
        tokenless = kind == "postgresql" or controls_policy(cfg).refuses_unauthenticated(kind)
        if tokenless and active_admin_exists(cfg):
            raise UserError(NEEDS_ADMIN_TOKEN)
    return actor(by, cfg, writing=False), tokenless


def _password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        if not line:
            raise UserError("--password-stdin: standard input was empty; give the password on one line")
        return line.rstrip("\r\n")
    first = typer.prompt("Password", hide_input=True)
    second = typer.prompt("Repeat the password", hide_input=True)
    if first != second:
        raise UserError("the two passwords differ; nothing was saved")
    return str(first)


def users_add(
    username: Annotated[str, typer.Argument(help="The sign-in name, e.g. priya.shah.")],
    name: Annotated[str, typer.Option("--name", help="The person's name as pages show it.")],
    role: Annotated[list[str], typer.Option("--role", help=ROLES_HELP)],
    organisation: Annotated[str | None, typer.Option(help="For a provider user: their provider organisation.")] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input, not a prompt.")
    ] = False,
    by: Annotated[str | None, BY] = None,
) -> None:
    """Add a user; the password is asked for (twice), or read from standard input."""
    from flows.accounts.users import add_user

    cfg = settings()
    who, tokenless = _account_actor(by, cfg)  # before the password is asked for
    password = _password(password_stdin)
    user = add_user(
        cfg,
        username=username,
        display_name=name,
        roles=role,
        password=password,
        organisation=organisation,
        actor=who,
        tokenless=tokenless,
    )
    org = f", of {user['organisation']}" if user["organisation"] else ""
    console.print(f"Added {user['username']} ({user['display_name']}): {', '.join(user['roles'])}{org}.", markup=False)


def users_list(as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False) -> None:
    """Every user with their roles, organisation and whether they are disabled."""
    from flows.accounts.users import users

    rows = users(settings())
    if as_json:
        print_json(rows)
        return
    if not rows:
        console.print(
            "No users yet. Add the first administrator with "
            "`commission users add admin --name 'Your Name' --role admin`.",
            markup=False,
        )
        return
    for u in rows:
        org = f" [{u['organisation']}]" if u["organisation"] else ""
        off = " (disabled)" if u["disabled"] else ""
        console.print(f"{u['username']}  {u['display_name']}  {', '.join(u['roles'])}{org}{off}", markup=False)


def users_disable(username: Annotated[str, typer.Argument()], by: Annotated[str | None, BY] = None) -> None:
    """Stop a user signing in; their tokens stop working too."""
    from flows.accounts.users import disable_user

    cfg = settings()
    who, tokenless = _account_actor(by, cfg)
    user = disable_user(cfg, username=username, actor=who, tokenless=tokenless)
    console.print(f"{user['username']} is disabled.", markup=False)


def users_roles(
    username: Annotated[str, typer.Argument()],
    add: Annotated[list[str] | None, typer.Option("--add", help=ROLES_HELP)] = None,
    remove: Annotated[
        list[str] | None, typer.Option("--remove", help="A role to take away; repeat for several.")
    ] = None,
    by: Annotated[str | None, BY] = None,
) -> None:
    """Give a user roles (--add) or take them away (--remove)."""
    from flows.accounts.users import set_roles

    cfg = settings()
    who, tokenless = _account_actor(by, cfg)
    user = set_roles(cfg, username=username, add=add or [], remove=remove or [], actor=who, tokenless=tokenless)
    console.print(f"{user['username']}: {', '.join(user['roles'])}.", markup=False)


def users_organisation(
    name: Annotated[str, typer.Argument(help="The organisation, e.g. 'Brightside Housing'.")],
    provider: Annotated[list[str], typer.Option("--provider", help="A provider name as contracts give it; repeat.")],
    by: Annotated[str | None, BY] = None,
) -> None:
    """Add a provider organisation, or set the provider names its contracts are found by."""
    from flows.accounts.organisations import save_organisation

    cfg = settings()
    who, tokenless = _account_actor(by, cfg)
    org = save_organisation(cfg, name=name, provider_names=provider, actor=who, tokenless=tokenless)
    console.print(f"{org['name']}: contracts of {', '.join(org['provider_names'])}.", markup=False)


def users_token(
    username: Annotated[str, typer.Argument()],
    name: Annotated[str, typer.Option("--name", help="What the token is for, e.g. 'finance reports'.")] = "api",
    by: Annotated[str | None, BY] = None,
) -> None:
    """Make an API token for a user; it is printed once and kept only as a digest."""
    from flows.accounts.tokens import create_token

    cfg = settings()
    who, tokenless = _account_actor(by, cfg)
    token, row = create_token(cfg, username=username, purpose="api", name=name, actor=who, tokenless=tokenless)
    console.print(f"API token {row['id']} ({row['name']}) for {username}; it is shown only now:", markup=False)
    typer.echo(token)
