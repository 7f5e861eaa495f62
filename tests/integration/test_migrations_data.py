"""Upgrading a database that holds data: every migration from 0016 on, with a claim and a ledger entry naming it
(on SQLite, migration 0017 rebuilds the claims table, which the ledger refers to), keeps every row and every
reference; and a migration that would leave a reference broken is refused whole."""

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import inspect, text

from models.db import make_engine, schema_revision
from models.migrate import MigrationRefused, upgrade
from models.revision import SCHEMA_REVISION

BEFORE_CLAIM_KEYS = "0016"  # the revision before 0017 rebuilt pbr_claim on SQLite


def _sample(kind: Any) -> Any:
    name = type(kind).__name__.upper()
    if "INT" in name:
        return 1
    if "DATETIME" in name or "TIMESTAMP" in name:
        return dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    if "DATE" in name:
        return dt.date(2025, 1, 1)
    if "BOOL" in name:
        return False
    if "JSON" in name:
        return "{}"
    return "x"


def _row(connection: Any, table: str, **given: Any) -> int:
    """A row of ``table`` with every required column filled: a parent row for each required reference (one per
    table, shared), a plain value for the rest; its id."""
    found = inspect(connection)
    parents = {fk["constrained_columns"][0]: fk["referred_table"] for fk in found.get_foreign_keys(table)}
    values = dict(given)
    for column in found.get_columns(table):
        name = column["name"]
        if name in values or name == "id" or column["nullable"] or column.get("default") is not None:
            continue
        if name in parents:
            values[name] = _parent(connection, parents[name])
        else:
            values[name] = _sample(column["type"])
    names = ", ".join(values)
    marks = ", ".join(f":{name}" for name in values)
    return int(
        connection.execute(text(f"INSERT INTO {table} ({names}) VALUES ({marks}) RETURNING id"), values).scalar()
    )


def _parent(connection: Any, table: str) -> int:
    found = connection.execute(text(f"SELECT MIN(id) FROM {table}")).scalar()
    return int(found) if found is not None else _row(connection, table)


def test_a_database_with_claims_paid_upgrades_to_head_keeping_every_row(fresh_database_url: str) -> None:
    engine = make_engine(fresh_database_url)
    upgrade(engine, BEFORE_CLAIM_KEYS)
    with engine.begin() as connection:
        claim = _row(connection, "pbr_claim")
        entry = _row(connection, "pbr_ledger", claim_id=claim, amount_pence=50_000)
    upgrade(engine)  # on SQLite this failed at 0017: "FOREIGN KEY constraint failed"
    assert schema_revision(engine) == SCHEMA_REVISION
    with engine.connect() as connection:
        kept = connection.execute(text("SELECT id, claim_id, amount_pence FROM pbr_ledger")).all()
        claims = connection.execute(text("SELECT id FROM pbr_claim")).scalars().all()
    assert [tuple(row) for row in kept] == [(entry, claim, 50_000)] and claims == [claim]
    if engine.dialect.name == "sqlite":  # the keys are on again for the pooled connection that migrated
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_a_migration_that_would_leave_a_reference_broken_changes_nothing(fresh_database_url: str) -> None:
    engine = make_engine(fresh_database_url)
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL keeps its keys on throughout; only SQLite's migrations turn them off")
    upgrade(engine, BEFORE_CLAIM_KEYS)
    with engine.connect() as connection:
        raw = connection.connection.dbapi_connection
        assert raw is not None
        raw.execute("PRAGMA foreign_keys=OFF")  # a reference broken before the upgrade, as by an old bug
        with connection.begin():
            _row(connection, "pbr_ledger", claim_id=999)
        raw.execute("PRAGMA foreign_keys=ON")
    with pytest.raises(MigrationRefused, match=r"1 broken reference\(s\), e.g. pbr_ledger row 1 to a missing "
                                               r"pbr_claim: nothing was changed"):  # fmt: skip
        upgrade(engine)
    assert schema_revision(engine) == BEFORE_CLAIM_KEYS
