"""Apply the Alembic migrations; the schema is never created any other way."""

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError("no migrations found")
    return head


class MigrationRefused(RuntimeError):
    """A migration that would leave the data inconsistent; it was rolled back."""


def upgrade(engine: Engine, revision: str = "head") -> str | None:
    """Bring the database to ``revision`` (all migrations by default) in one transaction; return the revision it
    was at when that transaction began (None: it had no schema), so that of two `init`s run at once on a new
    database exactly one says it created it."""
    return _migrate(engine, lambda config: command.upgrade(config, revision))


def downgrade(engine: Engine, revision: str) -> None:
    _migrate(engine, lambda config: command.downgrade(config, revision))


MIGRATION_LOCK = 0x636F6D6D  # "comm": one advisory lock key for this product's migrations


def _migrate(engine: Engine, step: Callable[[Config], None]) -> str | None:
    """Run ``step`` in one transaction. On SQLite the foreign keys are off while it runs, and all of them are
    checked before it commits: a batch migration (Alembic's way to alter a table there) copies the table, drops
    the old one and renames the copy, and with the keys on, the drop of a table other rows refer to (a claim a
    ledger entry names) fails. A key left broken refuses the whole migration, which is rolled back."""
    config = alembic_config()
    with engine.connect() as connection:
        raw = connection.connection.dbapi_connection if connection.dialect.name == "sqlite" else None
        if raw is not None:
            raw.execute("PRAGMA foreign_keys=OFF")  # outside any transaction: inside one it would do nothing
        try:
            with connection.begin():  # on SQLite BEGIN IMMEDIATE: a second migrator waits here for the first
                if connection.dialect.name == "postgresql":  # PostgreSQL's own wait, for the rest of the transaction
                    connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
                config.attributes["connection"] = connection
                before = _revision(connection)  # read under the lock: what the other migrator did is seen
                step(config)
                moved = raw is not None and _revision(connection) != before  # nothing pending: nothing to check
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall() if moved else []
                if broken:
                    table, rowid, parent, _ = broken[0]
                    raise MigrationRefused(
                        f"the migration would leave {len(broken)} broken reference(s), e.g. {table} row {rowid} "
                        f"to a missing {parent}: nothing was changed"
                    )
        finally:
            if raw is not None:
                raw.execute("PRAGMA foreign_keys=ON")
    return before


def _revision(connection: Connection) -> str | None:
    from alembic.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()
