"""commission backup, restore and deploy: running the product beyond one machine (flows/common/backup.py,
flows/common/deployments.py)."""

from pathlib import Path
from typing import Annotated

import typer

from flows.cli.common import console, settings


def register(app: typer.Typer) -> None:
    app.command("backup")(backup_command)
    app.command("restore")(restore_command)
    app.command("deploy")(deploy_command)


def backup_command(
    output: Annotated[str, typer.Option("-o", "--output", help="The backup file to write (a new file).")],
) -> None:
    """Write a consistent backup of the database while it is in use (SQLite's online backup, or pg_dump's
    custom format for PostgreSQL). Each transaction is wholly in it or wholly out. An existing file is refused."""
    from flows.common.backup import backup
    from flows.common.errors import UserError

    if not Path(output).name or output.endswith("/"):  # '', '.', './', '/', 'dir/': a folder, not a file
        raise UserError(f"-o: {output!r} is not a file name")
    done = backup(settings(), Path(output))
    console.print(
        f"Backup of the {done.backend} database at schema {done.revision} written to {done.path} "
        f"({done.size:,} bytes).",
        markup=False,
    )


def restore_command(
    file: Annotated[Path, typer.Argument(help="A file written by `commission backup`.")],
) -> None:
    """Restore a backup into the configured database, which must be empty. A backup from an older version is
    migrated forward; one from a newer version is refused."""
    from flows.common.backup import restore
    from flows.common.runtime import database_label

    cfg = settings()
    done = restore(cfg, file)
    moved = f", then migrated to {done.migrated_to}" if done.migrated_to else ""
    console.print(f"Restored {file} (schema {done.revision}{moved}) into {database_label(cfg)}.", markup=False)


def deploy_command(
    source: Annotated[
        Path, typer.Option("--source", help="Where the workers find this project's code (a checkout on each worker).")
    ] = Path("."),
    pool: Annotated[str, typer.Option("--pool", help="The process work pool (created if missing).")] = "commissioning",
) -> None:
    """Register a Prefect deployment for every flow (prefect.yaml's list, with its schedules) on the Prefect
    server named by PREFECT_API_URL, on a process work pool. Then run `prefect worker start --pool commissioning`
    and `commission serve --no-scheduler`."""
    from flows.common.deployments import deploy_all

    for line in deploy_all(settings(), source=source.resolve(), pool=pool):
        console.print(line, markup=False)
