"""Migration 0033: on PostgreSQL the claims are vacuumed by autovacuum once 20,000 rows changed, or 100,000 were
inserted, since the last vacuum, not once a fifth of the table did (a small run stepped over the dead index entries
of every claim paid since); SQLite keeps its defaults (it has no such setting)."""

from sqlalchemy import text

from models.db import make_engine
from models.migrate import downgrade, upgrade

SET = {
    "autovacuum_vacuum_scale_factor=0",
    "autovacuum_vacuum_threshold=20000",
    "autovacuum_vacuum_insert_scale_factor=0",
    "autovacuum_vacuum_insert_threshold=100000",
}


def _options(engine: object) -> set[str]:
    with engine.connect() as conn:  # type: ignore[attr-defined]
        row = conn.execute(text("SELECT reloptions FROM pg_class WHERE oid = 'pbr_claim'::regclass")).scalar()
    return set(row or ())


def test_the_claims_are_vacuumed_after_each_run_of_some_size_from_0033(fresh_database_url: str) -> None:
    engine = make_engine(fresh_database_url)
    upgrade(engine)
    if engine.dialect.name != "postgresql":
        downgrade(engine, "0032")  # nothing to undo, nothing refused
        upgrade(engine)
        return
    assert _options(engine) == SET
    downgrade(engine, "0032")
    assert _options(engine) == set()
    upgrade(engine)
    assert _options(engine) == SET
