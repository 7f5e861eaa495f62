"""The ``commission`` command line: thin adapters over flows/ and models/.

Read-only commands import neither Prefect nor apprise, so they answer fast;
commands that run flows import Prefect only when they run, and the database
layer is imported inside the commands so that ``--help`` needs none of it.

A run registers only the module behind the command it was given (``due``
imports flows/cli/contracts.py and no other); ``--help``, no command or an
unknown one registers them all, so the help and the error name every command.
"""

import functools
import importlib
import os
import sys
from collections.abc import Callable
from typing import Any

import typer
import typer.main

from flows.common.errors import UserError
from flows.common.failures import failure_line, scrub

# Module under flows/cli/ -> the top-level commands and groups its register() adds, in --help order.
# A new module is one line here. (A name missing here still works, by registering everything.)
COMMANDS: dict[str, tuple[str, ...]] = {
    "admin": ("init", "policy"),
    "projects": ("project", "projects", "show", "record"),
    "evidence": ("evidence",),
    "cycle": ("advance", "demo"),
    "contracts": ("contracts", "due", "decide", "calendar"),
    "keydates": ("keydates",),
    "procurement": ("procurement",),
    "reminders": ("sweep", "deliver", "reminders"),
    "pbr": ("ratecard", "participants", "claims"),
    "payments": ("pay", "sample", "clawback", "reconcile"),
    "approvals": ("proposals", "proposal", "approve", "reject"),
    "lists": ("runs", "ratecards", "ledger"),
    "recoveries": ("recovery",),
    "users": ("users",),
    "serve": ("serve",),
    "performance": ("kpis", "performance", "notices"),
    "ocds": ("ocds",),
    "ops": ("backup", "restore", "deploy"),
}


running: list[str] | None = None  # the words the command line was given, once ``main`` runs it


def build_app(args: list[str]) -> typer.Typer:
    """The Typer app for this command line (``args`` without the program name)."""
    app = typer.Typer(
        name="commission",
        help="Commissioning projects through Analyse, Plan, Do and Review, with stage gates and a full audit trail.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=False,
        rich_markup_mode=None,
    )
    # A callback keeps the app a group of commands even when only one is registered (`commission serve`):
    # Typer would otherwise run that one command for any first word.
    app.callback()(_group)
    wanted = args[0] if args else None
    modules = [m for m, names in COMMANDS.items() if wanted in names] or list(COMMANDS)
    for module in modules:
        importlib.import_module(f"flows.cli.{module}").register(app)
    return app


def _group() -> None:
    pass


def main() -> None:
    """Run the CLI; a user error is one line on stderr and exit status 1 (2 for a usage error)."""
    global running
    app = build_app(sys.argv[1:])
    running = sys.argv[1:]  # for the check of a token's roles (flows/cli/rules.py), read only when a token is given
    command = typer.main.get_command(app)
    _check_tokens(command)
    try:
        code = command(standalone_mode=False)
    except typer.TyperException as exc:  # Typer's own Click: usage errors, and bare `commission`
        ctx = getattr(exc, "ctx", None)
        if type(exc).__name__ == "NoArgsIsHelpError" and ctx is not None:
            typer.echo(ctx.get_help())
            sys.exit(0)
        hint = f" (see `{ctx.command_path} --help`)" if ctx is not None else ""
        _error(f"error: {exc.format_message()}{hint}")
        sys.exit(getattr(exc, "exit_code", 2))
    except typer.Abort:
        _error("error: aborted", soft_wrap=False)
        sys.exit(1)
    except UserError as exc:
        _error(f"error: {scrub(str(exc))}")
        sys.exit(1)
    except Exception as exc:
        dates = sys.modules.get("policies.dates")
        if dates is not None and isinstance(
            exc, (dates.FutureDated, dates.BeforeItExisted)
        ):  # the event log's own guards
            _error(f"error: {exc}")
            sys.exit(1)
        line = failure_line(exc)
        if line is None:
            raise
        _quiet_stdout(exc)
        _error(f"error: {line}")
        sys.exit(1)
    except KeyboardInterrupt:
        _error("interrupted; nothing half-written is kept", soft_wrap=False)
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)


def _check_tokens(command: Any) -> None:
    """Make every command refuse a token that matches no active user before it runs (after its options are read,
    so ``--help`` needs no database): read commands ignored one, so a mistyped or revoked token seemed to work.
    (A group's own callback runs before its command's options are read: only the commands are wrapped.)"""
    commands = getattr(command, "commands", None)  # a group (Typer's own click: no click.Group to test against)
    if isinstance(commands, dict):
        for sub in commands.values():
            _check_tokens(sub)
    elif command.callback is not None:
        command.callback = _token_checked(command.callback)


def _token_checked(callback: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(callback)
    def run(*args: Any, **kwargs: Any) -> Any:
        from flows.cli.common import refuse_unknown_token

        refuse_unknown_token(kwargs.get("token"))
        return callback(*args, **kwargs)

    return run


def _quiet_stdout(exc: BaseException) -> None:
    """After a failed write to standard output, point it at /dev/null: the flush at exit must not fail again."""
    if isinstance(exc, OSError) and exc.filename is None:
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):
            pass


def _error(line: str, *, soft_wrap: bool = True) -> None:
    from flows.cli.common import err_console

    err_console.print(line, soft_wrap=soft_wrap, markup=False)
