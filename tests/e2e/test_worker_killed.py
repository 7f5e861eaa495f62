"""A worker killed with kill -9 in the middle of a claims import, for real on 127.0.0.1: a Prefect server on
PostgreSQL (tests/e2e/test_workers.py's fixture), a `prefect worker start --pool commissioning` process and the
commissioning data on PostgreSQL. The run is marked Crashed, nothing of it is kept, and running it again gives
exactly the result of a clean import."""

import contextlib
import os
import signal
import time
from pathlib import Path

import httpx
import psycopg
import pytest

from tests.e2e import test_workers
from tests.e2e.conftest import Cli
from tests.e2e.pbr.test_pbr_cli import finance_tokens
from tests.e2e.test_workers import ROOT, _logs, run_deployment, start_run, start_worker, wait_for_final
from tests.integration.conftest import create_pg_database

server = test_workers.server  # its fixture: a Prefect server on PostgreSQL, started again for this module

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore:'imghdr' is deprecated:DeprecationWarning")]


def stored_claims(url: str) -> list[tuple[object, ...]]:
    with psycopg.connect(url) as conn:
        return [
            tuple(row)
            for row in conn.execute(
                "SELECT line, ref, participant, outcome, achieved_on, verdict, reasons, payable_pence FROM pbr_claim "
                "ORDER BY line"
            )
        ]


def imports_kept(url: str) -> tuple[int, int, int]:
    """Claims, claim imports and import events in the database."""
    with psycopg.connect(url) as conn:
        return tuple(  # type: ignore[return-value]
            conn.execute(q).fetchone()[0]  # type: ignore[index]
            for q in (
                "SELECT COUNT(*) FROM pbr_claim",
                "SELECT COUNT(*) FROM claim_import",
                "SELECT COUNT(*) FROM event WHERE action = 'claims_imported'",
            )
        )


def pbr_database(postgres_server_url: str, tmp_path: Path, name: str, server: str) -> tuple[Cli, str]:
    """A PostgreSQL database with contract FCF-2025-01, its rate card and 240 participants, set up by the CLI."""
    from tests.e2e.pbr.test_pbr_cli import CARD, add_fcf_contract, card_imported
    from tests.integration.pbr.test_pbr_parallel import A, write_files

    url = create_pg_database(postgres_server_url, f"commissioning_{name}")
    cli = Cli(tmp_path / name, COMMISSIONING_DATABASE_URL=url, PREFECT_API_URL=server)
    cli.ok("init")
    cli.env["COMMISSIONING_TOKEN"] = finance_tokens(cli)[0]  # PostgreSQL refuses unauthenticated writes
    add_fcf_contract(cli)
    card_imported(cli, str(CARD))  # proposed by Asha's token, approved by Ben's
    people, _ = write_files(tmp_path, A)
    cli.run("participants", "import", str(people))  # some are refused as not eligible: reported, not an error
    return cli, url


def test_a_worker_killed_during_a_claims_import_keeps_nothing_and_the_rerun_is_a_clean_import(
    postgres_server_url: str, server: str, tmp_path: Path
) -> None:
    from tests.integration.pbr.test_pbr_parallel import A, write_files

    cli, url = pbr_database(postgres_server_url, tmp_path, "killed", server)
    _, claims = write_files(tmp_path, A)
    cli.ok("deploy", "--source", str(ROOT))
    as_of = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())
    parameters: dict[str, object] = {"path": str(claims), "as_of": as_of, "actor": "finance"}

    # The test holds a lock on the audit log, so the import waits at its last write with everything else
    # written but not committed: then the worker and its flow run are killed, as a machine that dies would be.
    blocker = psycopg.connect(url)
    blocker.execute("LOCK TABLE event IN SHARE ROW EXCLUSIVE MODE")
    worker = start_worker(cli, server, tmp_path / "worker-killed.log", "worker-killed")
    try:
        run_id = start_run(server, "import-claims", "import-claims", parameters)
        waiting = None
        deadline = time.monotonic() + 180
        while waiting is None and time.monotonic() < deadline:
            with psycopg.connect(url, autocommit=True) as watch:
                waiting = watch.execute(
                    "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
                ).fetchone()
            time.sleep(0.5)
        assert waiting is not None, _logs(tmp_path)
        run = httpx.get(f"{server}/flow_runs/{run_id}", timeout=10).json()
        assert run["state_type"] == "RUNNING"
        flow_pid = int(str(run["infrastructure_pid"]).rsplit(":", 1)[-1])
        os.killpg(worker.pid, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError):  # it may have gone with the worker's group
            os.kill(flow_pid, signal.SIGKILL)
        worker.wait(timeout=30)
    finally:
        blocker.rollback()
        blocker.close()
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=30)
    # PostgreSQL ends the dead client's session and rolls its transaction back. Awaited is the end of every open
    # transaction but this one's: this process keeps an idle pooled session of its own on the database (from the
    # set-up above), so waiting for this one session alone always ran out the whole minute.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with psycopg.connect(url, autocommit=True) as watch:
            open_elsewhere = watch.execute(
                "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND xact_start IS NOT NULL"
            ).fetchone()
            if open_elsewhere is not None and open_elsewhere[0] == 0:
                break
        time.sleep(0.5)
    assert imports_kept(url) == (0, 0, 0)
    # The same file imported into a second database, for the comparison at the end. Nothing in it depends on the
    # killed run, so it is built here: its set-up and import overlap the 90 s of silence waited for below
    # instead of following them (should they take longer, the run is already Crashed and the wait ends at once).
    clean, clean_url = pbr_database(postgres_server_url, tmp_path, "clean", server)
    clean.ok("claims", "import", str(claims))
    # Nothing is left to report the run's end, so its heartbeats stop: the automation `commission deploy`
    # made marks it Crashed once it has been silent for 90 s (flows/common/deployments.py).
    crashed = wait_for_final(server, run_id, timeout=300)
    assert (crashed["state_type"], crashed["state"]["message"]) == (
        "CRASHED",
        "No heartbeat for 90 s: its worker or machine stopped.",
    )

    again = start_worker(cli, server, tmp_path / "worker-again.log", "worker-again")
    try:
        rerun = run_deployment(server, "import-claims", "import-claims", parameters)
        assert rerun["state_type"] == "COMPLETED", _logs(tmp_path)
    finally:
        os.killpg(again.pid, signal.SIGKILL)
        again.wait(timeout=30)

    assert imports_kept(url) == imports_kept(clean_url) and imports_kept(url)[0] > 0
    assert stored_claims(url) == stored_claims(clean_url)
