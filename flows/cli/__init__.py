"""The ``commission`` command line: thin adapters over flows/ and models/.

Read-only commands import neither Prefect nor apprise, so they answer fast;
commands that run flows import Prefect only when they run.
"""

import sys

import typer
from sqlalchemy.exc import DBAPIError

from flows.cli import admin, cycle, evidence, projects
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


def main() -> None:
    """Run the CLI; a user error is one line on stderr and exit status 1."""
    try:
        app()
    except UserError as exc:
        err_console.print(f"error: {exc}", soft_wrap=True, markup=False)
        sys.exit(1)
    except DBAPIError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        err_console.print(f"error: database: {reason}", soft_wrap=True, markup=False)
        sys.exit(1)
    except KeyboardInterrupt:
        err_console.print("interrupted; nothing half-written is kept", markup=False)
        sys.exit(130)
