"""commission serve: the one always-on process (flows/serve/): a Prefect API, the scheduler and the web app.

This command is where the web app is mounted: the one place outside flows/web/ that imports it, and only
when it will serve it (see tests/unit/test_layering.py).
"""

import sys
from typing import Annotated

import typer

from flows.cli.common import settings


def register(app: typer.Typer) -> None:
    app.command("serve")(serve_command)


def serve_command(
    host: Annotated[
        str, typer.Option("--host", help="Address the web app listens on. Prefect's API is always on 127.0.0.1.")
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", min=0, max=65535, help="The web app's port (0: any free port).")
    ] = 8000,
    no_web: Annotated[bool, typer.Option("--no-web", help="Do not serve the web app.")] = False,
    no_scheduler: Annotated[bool, typer.Option("--no-scheduler", help="Do not run the reminder scheduler.")] = False,
    sweep_at: Annotated[str, typer.Option("--sweep-at", help="Daily sweep time, organisation's zone.")] = "07:00",
    every: Annotated[int, typer.Option("--every", min=1, max=30, help="Minutes between delivery passes.")] = 5,
) -> None:
    """Run the always-on process: a Prefect API for this project's flows (loopback only), the reminder
    scheduler (daily sweep, delivery passes, a catch-up on start) and the web app. One per database.
    Flow commands on this machine use its Prefect API while it runs. SIGTERM or Ctrl-C stops it."""
    from flows.common.runtime import database
    from flows.reminders.scheduler import check_sweep_time
    from flows.serve.process import ServeOptions, run

    options = ServeOptions(
        host=host,
        port=port,
        web=not no_web,
        scheduler=not no_scheduler,
        sweep_at=check_sweep_time(sweep_at),
        every_minutes=every,
    )
    cfg = settings()
    database(cfg)
    web_app = None
    if options.web:
        from flows.web.app import create_app

        web_app = create_app
    from flows.accounts.users import first_admin_hint

    run(cfg, options, out=sys.stdout, web_app=web_app, first_admin_hint=first_admin_hint)
