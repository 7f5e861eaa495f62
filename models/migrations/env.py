"""Alembic environment: runs on the connection handed over by models.migrate."""

from alembic import context
from sqlmodel import SQLModel

import models.accounts
import models.approvals
import models.contracts
import models.cycle
import models.events
import models.ocds
import models.pbr.claims
import models.pbr.ledger
import models.pbr.ratecards
import models.performance.tables
import models.reminders.tables
import models.web_jobs  # noqa: F401

target_metadata = SQLModel.metadata


def run() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("run migrations through models.migrate.upgrade(engine)")
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run()
