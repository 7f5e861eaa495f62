"""Backups taken while flows write restore to a consistent database, on SQLite and PostgreSQL.

A claims import (contract B) and four payment runs (contract A) run in threads while the main thread takes
backups one after another. Every backup is then restored into an empty database, where each transaction must
be wholly in or wholly out: B's claims are all there exactly when the import's event is, and each payment
run's ledger entries are there exactly when the run and its event are, adding up to what the run paid.
"""

import dataclasses
import datetime as dt
import json
import sqlite3
import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from flows.common import backup as backups
from flows.common.errors import UserError
from flows.common.runtime import database
from flows.common.settings import Settings
from flows.pbr.claims_import import import_claims
from models.db import make_engine, normalise_url, unit_of_work
from models.migrate import upgrade
from models.revision import SCHEMA_REVISION
from tests.integration.conftest import create_pg_database
from tests.integration.pbr.test_pbr_parallel import AS_OF, A, B, two_contracts, write_files  # noqa: F401  (a fixture)
from tests.support.approvals import approved_run

PERIODS = ("2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3")
MAX_BACKUPS = 12


def empty_database(backend: str, tmp_path: Path, request: pytest.FixtureRequest, name: str) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / f'{name}.db'}"
    return create_pg_database(request.getfixturevalue("postgres_server_url"), f"restore_{name}")


def state(settings: Settings) -> dict[str, Any]:
    """What the consistency checks read: B's claims, the import and run events, each run's ledger payments."""
    with unit_of_work(database(settings)) as session:
        c = session.connection()
        claims_b = c.execute(
            text("SELECT COUNT(*) FROM pbr_claim WHERE contract_id = (SELECT id FROM contract WHERE ref = :b)"),
            {"b": B},
        ).scalar_one()
        imports_b = c.execute(
            text("SELECT COUNT(*) FROM event WHERE action = 'claims_imported' AND entity_ref = :b"), {"b": B}
        ).scalar_one()
        run_events = sorted(
            e["period"] if isinstance(e, dict) else json.loads(e)["period"]
            for (e,) in c.execute(
                text("SELECT after FROM event WHERE action = 'payment_run' AND entity_ref = :a"), {"a": A}
            )
        )
        runs = {
            period: (run_id, summary if isinstance(summary, dict) else json.loads(summary))
            for run_id, period, summary in c.execute(text("SELECT id, period, summary FROM payment_run"))
        }
        paid = {
            run_id: int(total)
            for run_id, total in c.execute(
                text("SELECT run_id, SUM(amount_pence) FROM pbr_ledger WHERE kind = 'payment' GROUP BY run_id")
            )
        }
        orphans = c.execute(
            text(
                "SELECT COUNT(*) FROM pbr_ledger "
                "WHERE run_id IS NOT NULL AND run_id NOT IN (SELECT id FROM payment_run)"
            )
        ).scalar_one()
    return {"claims_b": claims_b, "imports_b": imports_b, "run_events": run_events, "runs": runs, "paid": paid,
            "orphans": orphans}  # fmt: skip


def pence(text_amount: str) -> int:
    pounds, _, pennies = text_amount.partition(".")
    return int(pounds) * 100 + int(pennies or 0)


def test_a_backup_taken_during_an_import_and_payment_runs_restores_each_transaction_whole(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    settings: Settings = request.getfixturevalue("two_contracts")
    import_claims(settings, write_files(tmp_path, A)[1], as_of=AS_OF, actor="finance", workers=1)
    claims_file = write_files(tmp_path, B)[1]
    failures: list[BaseException] = []

    def guarded(work: Any) -> Any:
        def run() -> None:
            try:
                work()
            except BaseException as exc:  # reported by the main thread
                failures.append(exc)

        return run

    def import_b() -> None:
        import_claims(settings, claims_file, as_of=AS_OF, actor="finance", workers=1)  # no forks from a thread

    def pay_each_quarter() -> None:
        for period in PERIODS:
            approved_run(settings, A, period, as_of=AS_OF, actor="finance")

    workers = [
        threading.Thread(target=guarded(import_b)),
        threading.Thread(target=guarded(pay_each_quarter)),
    ]
    for worker in workers:
        worker.start()
    taken: list[Path] = []
    while len(taken) < MAX_BACKUPS and (not taken or any(w.is_alive() for w in workers)):
        taken.append(backups.backup(settings, tmp_path / f"during-{len(taken)}.backup").path)
    for worker in workers:
        worker.join(timeout=600)
    assert not failures, failures
    live = state(settings)
    assert live["imports_b"] == 1 and live["claims_b"] > 0 and live["run_events"] == sorted(PERIODS)

    for n, path in enumerate(taken):
        target = dataclasses.replace(settings, database_url=empty_database(backend, tmp_path, request, f"r{n}"))
        done = backups.restore(target, path)
        assert (done.backend, done.revision, done.migrated_to) == (backend, SCHEMA_REVISION, None)
        got = state(target)
        # the import: all of it with its event, or none of it
        assert (got["imports_b"], got["claims_b"]) in {(0, 0), (1, live["claims_b"])}, path.name
        # each run: present with its event and its ledger payments, adding up to what it paid, or absent
        assert got["run_events"] == sorted(got["runs"]), path.name
        assert got["orphans"] == 0
        for period, (run_id, summary) in got["runs"].items():
            payments = sum(pence(p["payment"]) for p in summary["payers"].values())
            assert -got["paid"].get(run_id, 0) == payments, (path.name, period)
            assert summary == live["runs"][period][1]


def test_restore_refuses_a_database_that_is_not_empty(settings: Settings, tmp_path: Path) -> None:
    path = backups.backup(settings, tmp_path / "full.backup").path
    with pytest.raises(UserError, match=r"is not empty \(\d+ tables\); a backup is restored only into an empty"):
        backups.restore(settings, path)


def test_an_older_backup_is_migrated_forward_on_restore(
    settings: Settings, tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    older = f"{int(SCHEMA_REVISION) - 1:04d}"
    source = dataclasses.replace(settings, database_url=empty_database(backend, tmp_path, request, "old"))
    engine = make_engine(source.database_url)
    upgrade(engine, older)
    engine.dispose()
    path = backups.backup(source, tmp_path / "old.backup").path
    target = dataclasses.replace(settings, database_url=empty_database(backend, tmp_path, request, "new"))
    done = backups.restore(target, path)
    assert (done.revision, done.migrated_to) == (older, SCHEMA_REVISION)
    database(target)  # at the current schema: no refusal


def test_a_backup_from_a_newer_version_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'src.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    path = tmp_path / "newer.backup"
    with sqlite3.connect(tmp_path / "src.db") as source, sqlite3.connect(path) as copy:
        source.backup(copy)
        copy.execute("UPDATE alembic_version SET version_num = '9999'")
    target = tmp_path / "target.db"
    monkeypatch.setenv("COMMISSIONING_DATABASE_URL", f"sqlite:///{target}")
    from flows.common.settings import load_settings

    with pytest.raises(UserError, match="taken at schema 9999, newer than this version's"):
        backups.restore(load_settings(), path)
    assert not target.exists()  # nothing half-written


def test_pg_dump_gets_the_password_in_its_environment_never_its_arguments(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    seen: dict[str, Any] = {}

    def fake_run(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        seen.update(command=command, env=kwargs["env"])
        return subprocess.CompletedProcess(command, 1, "", "pg_dump: error: connection refused for s3cret-pw\n")

    monkeypatch.setattr(backups.subprocess, "run", fake_run)
    monkeypatch.setattr(backups, "pg_tool_path", lambda name: Path("/usr/bin") / name)
    url = "postgresql://finance:s3cret-pw@127.0.0.1:5999/commissioning"
    monkeypatch.setenv("COMMISSIONING_DATABASE_URL", url)
    from flows.common.settings import load_settings

    cfg = load_settings()
    with pytest.raises(UserError) as refused:
        backups._pg_tool(cfg, backups.normalise_url(url), "pg_dump", ["--format=custom"], tmp_path / "x")
    assert seen["env"]["PGPASSWORD"] == "s3cret-pw"
    assert not any("s3cret-pw" in part for part in seen["command"])
    assert "host=127.0.0.1" in " ".join(seen["command"]) and "user=finance" in " ".join(seen["command"])
    assert "s3cret-pw" not in str(refused.value) and "connection refused" in str(refused.value)


def test_nightly_backups_keep_the_newest_and_leave_other_files(settings: Settings, tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    folder.mkdir()
    (folder / "notes.txt").write_text("not ours\n")
    for day in (1, 2, 3):
        done, removed = backups.nightly_backup(
            settings, folder, 2, now=dt.datetime(2026, 12, day, 2, 30, tzinfo=dt.UTC)
        )
        assert backups.backup_kind(done.path) == normalise_url(settings.database_url).get_backend_name()
    assert [p.name for p in removed] == [f"commissioning-20261201T023000Z.{done.path.suffix[1:]}"]
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        ["notes.txt", *(f"commissioning-2026120{d}T023000Z{done.path.suffix}" for d in (2, 3))]
    )


def test_serves_nightly_job_writes_a_backup_and_says_so_and_a_failure_is_one_line(
    settings: Settings, tmp_path: Path
) -> None:
    from flows.reminders.scheduler import backup_job

    said: list[str] = []
    folder = tmp_path / "nightly"
    backup_job(dataclasses.replace(settings, backup_dir=folder, backup_keep=3), lambda line, **_: said.append(line))()
    assert [p.name for p in folder.iterdir()] and said == [f"nightly backup written to {next(folder.iterdir())}"]

    blocked = tmp_path / "a-file"
    blocked.write_text("")  # a folder path under a file cannot be made
    backup_job(
        dataclasses.replace(settings, backup_dir=blocked / "b", backup_keep=3), lambda line, **_: said.append(line)
    )()
    assert said[1:] == [f"nightly backup failed: {blocked / 'b'}: cannot be created: Not a directory"]


def test_a_backup_clears_the_day_old_temporaries_a_killed_backup_left_and_nothing_else(
    settings: Settings, tmp_path: Path
) -> None:
    """kill -9 in a backup leaves its temporary (``.<name>.<8 hex>.tmp``) beside the file it was to replace; the
    next backup to that name removes it once a day old. A fresh one (a backup going on now) and others' files
    stay."""
    import os
    import time

    target = tmp_path / "nightly.backup"
    killed, live = tmp_path / ".nightly.backup.0badc0de.tmp", tmp_path / ".nightly.backup.1234abcd.tmp"
    others = [tmp_path / ".nightly.backup.notahex1.tmp", tmp_path / ".other.backup.0badc0de.tmp", tmp_path / "x.tmp"]
    for path in [killed, live, *others]:
        path.write_bytes(b"half a backup")
    for path in [killed, *others]:
        os.utime(path, (time.time() - 2 * 86400, time.time() - 2 * 86400))
    backups.backup(settings, target)
    assert target.is_file() and not killed.exists()
    assert live.exists() and all(path.exists() for path in others)
