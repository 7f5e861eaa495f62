"""Beyond one machine, for real on 127.0.0.1: PostgreSQL for the data and for a `prefect server`, the
deployments registered by `commission deploy`, two `prefect worker start --pool commissioning` processes, and
the sweep deployment triggered through Prefect's API. Every due reminder reaches the loopback webhook once."""

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from sqlalchemy.engine import make_url

from tests.e2e.conftest import Cli
from tests.e2e.reminders.test_reminders_cli import TODAY, add_contract, send_at_midnight
from tests.integration.conftest import create_pg_database
from tests.support.prefect_server import prefect_server
from tests.support.servers import WebhookSink

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore:'imghdr' is deprecated:DeprecationWarning")]

ROOT = Path(__file__).resolve().parents[2]
IDS = re.compile(r"reminder #(\d+)")
FINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


def asyncpg_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)


@pytest.fixture
def server(postgres_server_url: str, tmp_path: Path) -> Iterator[str]:
    """A Prefect server whose own database is on the test's PostgreSQL cluster (with pg_trgm, which it needs)."""
    url = create_pg_database(postgres_server_url, "prefect_e2e")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    home = tmp_path / "prefect-server"
    home.mkdir()
    with prefect_server(home, PREFECT_SERVER_DATABASE_CONNECTION_URL=asyncpg_url(url)) as api:
        yield api


def start_worker(cli: Cli, api: str, log: Path, name: str) -> "subprocess.Popen[bytes]":
    env = {**cli.env, "PREFECT_API_URL": api, "PYTHONPATH": str(ROOT), "PREFECT_HOME": str(log.parent / name),
           "DO_NOT_TRACK": "1", "PREFECT_WORKER_QUERY_SECONDS": "1"}  # fmt: skip
    prefect = str(Path(sys.executable).with_name("prefect"))
    return subprocess.Popen(
        [prefect, "worker", "start", "--pool", "commissioning", "--type", "process", "--name", name],
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )


def run_deployment(api: str, flow: str, deployment: str, timeout: float = 240) -> dict[str, object]:
    """Start a run of ``flow/deployment`` through the API and wait (bounded) for a final state."""
    found = httpx.get(f"{api}/deployments/name/{flow}/{deployment}", timeout=10)
    found.raise_for_status()
    created = httpx.post(f"{api}/deployments/{found.json()['id']}/create_flow_run", json={}, timeout=10)
    created.raise_for_status()
    run_id = created.json()["id"]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run: dict[str, object] = httpx.get(f"{api}/flow_runs/{run_id}", timeout=10).json()
        if run["state_type"] in FINAL:
            return run
        time.sleep(1)
    raise AssertionError(f"flow run {run_id} of {flow}/{deployment} did not finish within {timeout:.0f} s")


def test_the_sweep_deployment_on_two_workers_delivers_every_due_reminder_once(
    postgres_server_url: str, server: str, tmp_path: Path
) -> None:
    database = create_pg_database(postgres_server_url, "commissioning_e2e")
    cli = Cli(tmp_path / "data", COMMISSIONING_DATABASE_URL=database, PREFECT_API_URL=server)
    cli.ok("init")
    add_contract(send_at_midnight(cli), TODAY)
    with WebhookSink() as webhook:
        (cli.data_dir / "apprise.yml").write_text(
            f"urls:\n  - {webhook.url()}:\n      tag: owner, commissioning, finance, escalation\n"
        )
        deployed = cli.ok("deploy", "--source", str(ROOT))
        assert "Deployment sweep-reminders/sweep on pool commissioning: 0 7 * * * Europe/London." in deployed
        workers = [start_worker(cli, server, tmp_path / f"worker-{n}.log", f"worker-{n}") for n in (1, 2)]
        try:
            run = run_deployment(server, "sweep-reminders", "sweep")
            assert run["state_type"] == "COMPLETED", _logs(tmp_path)
            again = run_deployment(server, "sweep-reminders", "delivery")  # the next pass finds nothing to send
            assert again["state_type"] == "COMPLETED", _logs(tmp_path)
        finally:
            for worker in workers:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait(timeout=30)
        delivered = [int(i) for r in webhook.requests for i in IDS.findall(r.json["message"])]
    sent = cli.json("reminders", "list", "--status", "sent")
    assert sent, "the contract's break notice has a step due today"
    assert sorted(delivered) == sorted(r["id"] for r in sent)  # each once: no reminder twice, none missed


def _logs(folder: Path) -> str:
    return "\n".join(p.read_text(errors="replace")[-3000:] for p in sorted(folder.glob("worker-*.log")))
