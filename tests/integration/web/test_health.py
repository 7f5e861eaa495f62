"""/readyz and /metrics: no sign-in, only counts, and readiness that follows the database, the scheduler
and the last sweep (a PostgreSQL stopped and started again in the test's own small cluster)."""

import dataclasses
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient

from flows.common.settings import Settings
from flows.reminders.sweep import sweep
from flows.web.app import create_app
from models.db import make_engine
from models.migrate import upgrade
from tests.support.builders import housing_first
from tests.support.postgres import PrivateCluster, find_bindir


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def test_readiness_names_a_missing_sweep_then_a_dead_scheduler(settings: Settings) -> None:
    client = TestClient(create_app(settings))
    answer = client.get("/readyz")
    assert answer.status_code == 503
    assert answer.json()["failing"] == ["sweep"]
    assert answer.json()["checks"] == {"database": "ok", "migrations": "ok", "scheduler": "off", "sweep": "failed"}

    sweep(settings, as_of=now())
    assert client.get("/readyz").status_code == 200
    client.app.state.scheduler = SimpleNamespace(running=False)  # type: ignore[attr-defined]
    answer = client.get("/readyz")
    assert (answer.status_code, answer.json()["failing"]) == (503, ["scheduler"])
    client.app.state.scheduler = SimpleNamespace(running=True)  # type: ignore[attr-defined]
    assert client.get("/readyz").json()["status"] == "ready"


def test_a_sweep_older_than_26_hours_is_not_ready(settings: Settings) -> None:
    sweep(settings, as_of=now() - dt.timedelta(hours=27))
    answer = TestClient(create_app(settings)).get("/readyz")
    assert (answer.status_code, answer.json()["failing"]) == (503, ["sweep"])
    assert answer.json()["last_sweep_age_seconds"] >= 27 * 3600


def test_a_database_behind_the_schema_is_not_ready(settings: Settings, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)
    upgrade(engine, "0001")
    engine.dispose()
    answer = TestClient(create_app(dataclasses.replace(settings, database_url=url))).get("/readyz")
    assert answer.status_code == 503 and "migrations" in answer.json()["failing"]


def test_metrics_count_without_a_sign_in_and_time_requests_by_route_template(settings: Settings) -> None:
    housing_first(settings, count=2)
    sweep(settings, as_of=dt.datetime(2026, 12, 1, tzinfo=dt.UTC))
    client = TestClient(create_app(settings))
    client.get("/calendar/not-a-real-token.ics")  # its path holds a secret: only the template may be shown
    answer = client.get("/metrics")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain")
    body = answer.text
    lines = {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1]) for line in body.splitlines() if line[:1] != "#"}
    assert lines["commissioning_database_up"] == 1.0
    assert lines['commissioning_reminders{status="pending"}'] > 0
    assert lines['commissioning_reminders{status="failed"}'] == 0.0
    assert lines["commissioning_payment_runs"] == 0.0 and lines["commissioning_claim_imports"] == 0.0
    assert "commissioning_last_sweep_age_seconds" in lines and "commissioning_reminders_overdue" in lines
    assert 'route="/calendar/{token}.ics"' in body and "not-a-real-token" not in body
    assert "HF-2026" not in body and "Housing" not in body  # counts, never names


@pytest.fixture
def own_cluster() -> Iterator[tuple[PrivateCluster, str]]:
    """A small PostgreSQL of this test's own, so stopping it stops no other test's database."""
    bindir = find_bindir()
    if bindir is None:
        pytest.skip("PostgreSQL server binaries not found")
    cluster = PrivateCluster(bindir)
    server_url = cluster.start()
    try:
        yield cluster, server_url
    finally:
        cluster.stop()


def test_readiness_turns_false_when_postgresql_stops_and_true_when_it_is_back(
    own_cluster: tuple[PrivateCluster, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.integration.conftest import create_pg_database

    cluster, server_url = own_cluster
    settings = ready_settings(create_pg_database(server_url, "ready"), tmp_path, monkeypatch)
    client = TestClient(create_app(settings))
    assert client.get("/readyz").status_code == 200

    cluster.pause()
    answer = client.get("/readyz")
    assert answer.status_code == 503
    assert answer.json()["failing"] == ["database", "migrations", "sweep"]
    assert "127.0.0.1" not in answer.text and str(cluster.port) not in answer.text  # nothing about where
    metrics = client.get("/metrics")
    assert metrics.status_code == 200 and "commissioning_database_up 0.0" in metrics.text

    cluster.resume()
    assert client.get("/readyz").status_code == 200


@pytest.fixture
def sqlite_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """A SQLite database file of this test's own, migrated and swept: ready."""
    return ready_settings(f"sqlite:///{tmp_path / 'commissioning.db'}", tmp_path, monkeypatch)


def ready_settings(url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings for the database at ``url``, migrated and swept: ready."""
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    monkeypatch.setenv("COMMISSIONING_DATABASE_URL", url)
    monkeypatch.setenv("COMMISSIONING_DATA_DIR", str(tmp_path / "data"))
    from flows.common.settings import load_settings

    settings = load_settings()
    sweep(settings, as_of=now())
    return settings


def test_a_sqlite_file_deleted_under_the_pool_is_not_ready_and_ready_again_once_put_back(
    sqlite_settings: Settings, tmp_path: Path
) -> None:
    client = TestClient(create_app(sqlite_settings))
    assert client.get("/readyz").status_code == 200  # the pool now holds a connection to the file
    db = tmp_path / "commissioning.db"
    kept = db.read_bytes()
    db.unlink()

    answer = client.get("/readyz")
    assert (answer.status_code, answer.json()["failing"]) == (503, ["database", "migrations", "sweep"])
    assert "commissioning_database_up 0.0" in client.get("/metrics").text

    db.write_bytes(kept)  # a restore: another file at the same path, which the pool has never opened
    answer = client.get("/readyz")
    assert (answer.status_code, answer.json()["checks"]["database"]) == (200, "ok")
    assert "commissioning_database_up 1.0" in client.get("/metrics").text


def test_a_sqlite_file_this_process_cannot_read_and_write_is_not_ready(
    sqlite_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import flows.common.health as health

    client = TestClient(create_app(sqlite_settings))
    assert client.get("/readyz").status_code == 200
    # chmod 000 does not stop root, who runs these tests: the check asks os.access, as a non-root serve would
    monkeypatch.setattr(health.os, "access", lambda path, mode: False)
    answer = client.get("/readyz")
    assert answer.status_code == 503 and "database" in answer.json()["failing"]
    assert "commissioning_database_up 0.0" in client.get("/metrics").text


def test_made_up_methods_are_one_other_label_so_no_request_grows_metrics(settings: Settings) -> None:
    client = TestClient(create_app(settings))
    for n in range(20):
        client.request(f"X{n}MADEUP", "/")
    client.request("Y" * 5000, "/healthz")
    client.get("/healthz")
    body = client.get("/metrics").text
    assert "MADEUP" not in body and "YYYY" not in body
    assert 'method="other"' in body and 'method="GET"' in body
    series = [line for line in body.splitlines() if line.startswith("commissioning_request_seconds_count")]
    assert len([line for line in series if 'method="other"' in line]) == 2  # "/" and "/healthz", once each
