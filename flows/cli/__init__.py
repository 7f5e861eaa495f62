"""The ``commission`` command line: thin adapters over flows/ and models/.

Read-only commands import neither Prefect nor apprise, so they answer fast;
commands that run flows import Prefect only when they run, and the database
layer is imported inside the commands so that ``--help`` needs none of it.
"""

import sys

import typer

from flows.cli import admin, contracts, cycle, evidence, procurement, projects, reminders
from flows.cli.common import err_console
from flows.errors import UserError

app = typer.Typer(
    name="commission",
    help="Commissioning projects through Analyse, Plan, Do and Review, with stage gates and a full audit trail.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
)
admin.register(app)
projects.register(app)
evidence.register(app)
cycle.register(app)
contracts.register(app)
procurement.register(app)
reminders.register(app)


def main() -> None:
    """Run the CLI; a user error is one line on stderr and exit status 1 (2 for a usage error)."""
    try:
        code = app(standalone_mode=False)
    except typer.TyperException as exc:  # Typer's own Click: usage errors, and bare `commission`
        ctx = getattr(exc, "ctx", None)
        if type(exc).__name__ == "NoArgsIsHelpError" and ctx is not None:
            typer.echo(ctx.get_help())
            sys.exit(0)
        hint = f" (see `{ctx.command_path} --help`)" if ctx is not None else ""
        err_console.print(f"error: {exc.format_message()}{hint}", soft_wrap=True, markup=False)
        sys.exit(getattr(exc, "exit_code", 2))
    except typer.Abort:
        err_console.print("error: aborted", markup=False)
        sys.exit(1)
    except UserError as exc:
        err_console.print(f"error: {exc}", soft_wrap=True, markup=False)
        sys.exit(1)
    except Exception as exc:
        database_errors = sys.modules.get("sqlalchemy.exc")
        if database_errors is None or not isinstance(exc, database_errors.DBAPIError):
            raise
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        err_console.print(f"error: database: {reason}", soft_wrap=True, markup=False)
        sys.exit(1)
    except KeyboardInterrupt:
        err_console.print("interrupted; nothing half-written is kept", markup=False)
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)
