"""Integration fixtures: each test gets a migrated database on SQLite and on PostgreSQL."""

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from flows.common.settings import Settings, load_settings
from models.db import make_engine, normalise_url
from models.migrate import upgrade
from tests.support.ledger_totals import disagreements

TABLES = ", ".join(
    [
        "proposal_approval",
        "proposal",
        "project",
        "evidence",
        "stage_record",
        "gate_decision",
        "event",
        "contract",
        "contract_key_date",
        "key_date_handled",
        "contract_variation",
        "procurement_milestone",
        "reminder",
        "reminder_attempt",
        "reminder_sweep",
        "reminder_replan",
        "rate_card",
        "pbr_participant",
        "claim_import",
        "pbr_claim",
        "pbr_claim_sum",
        "pbr_claim_participant_sum",
        "pbr_claim_reason_sum",
        "payment_run",
        "pbr_ledger",
        "pbr_ledger_total",
        "pbr_participant_paid",
        "validation_sample",
        "validation_sample_item",
        "web_job",
        "sign_in_failure",
        "user_token",
        "user_account",
        "provider_organisation",
        "kpi",
        "kpi_exemption",
        "kpi_reading",
        "contract_notice",
        "ocds_award",
        "ocds_process",
    ]
)


def create_pg_database(server_url: str, prefix: str) -> str:
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def pg_migrated_url(postgres_server_url: str) -> str:
    url = create_pg_database(postgres_server_url, "commissioning_it")
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def fresh_database_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """An empty database (no schema) on the backend under test."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.db'}"
    return create_pg_database(request.getfixturevalue("postgres_server_url"), "commissioning_fresh")


@pytest.fixture
def settings(
    backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Iterator[Settings]:
    """Settings pointing at a migrated, empty database; flows read the same through the environment."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'commissioning.db'}"
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
    else:
        url = request.getfixturevalue("pg_migrated_url")
        engine = make_engine(url)
        with engine.begin() as conn:
            conn.exec_driver_sql(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE")
        engine.dispose()
    monkeypatch.setenv("COMMISSIONING_DATABASE_URL", url)
    monkeypatch.setenv("COMMISSIONING_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("COMMISSIONING_ACTOR", "test-commissioner")
    for name in ("COMMISSIONING_POLICY_FILE", "COMMISSIONING_REMINDER_POLICY", "COMMISSIONING_APPRISE_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    yield load_settings()
    # Whatever the test wrote to the ledger (runs, clawbacks, reversals, recoveries, re-decisions, payments
    # published), the running totals beside it must still be its sums, and every claim accrued at other than its
    # accepted pence marked so (reconcile reads by it), and the claims' sums kept beside them on PostgreSQL (0031)
    # still their sums: a write path that skips their upkeep fails here, in every test that takes it.
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            assert disagreements(conn) == {}, "the running totals, the claims' marks or their kept sums disagree"
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def prefect_engine() -> Iterator[None]:
    """The real Prefect engine on a temporary API database, shared by the session."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=60):
        yield


def normalised(url: str) -> str:
    return normalise_url(url).render_as_string(hide_password=False)
