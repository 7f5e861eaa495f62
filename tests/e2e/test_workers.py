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
from typing import Any

import httpx
import psycopg
import pytest
from sqlalchemy.engine import make_url

from tests.e2e.conftest import Cli
from tests.e2e.pbr.test_pbr_cli import finance_tokens
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


@pytest.fixture(scope="module")
def server(postgres_server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Prefect server whose own database is on the test's PostgreSQL cluster (with pg_trgm, which it needs)."""
    url = create_pg_database(postgres_server_url, "prefect_e2e")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    home = tmp_path_factory.mktemp("prefect-server")
    with prefect_server(home, PREFECT_SERVER_DATABASE_CONNECTION_URL=asyncpg_url(url)) as api:
        yield api


def start_worker(cli: Cli, api: str, log: Path, name: str, limit: int | None = None) -> "subprocess.Popen[bytes]":
    env = {**cli.env, "PREFECT_API_URL": api, "PYTHONPATH": str(ROOT), "PREFECT_HOME": str(log.parent / name),
           "DO_NOT_TRACK": "1", "PREFECT_WORKER_QUERY_SECONDS": "1"}  # fmt: skip
    prefect = str(Path(sys.executable).with_name("prefect"))
    command = [prefect, "worker", "start", "--pool", "commissioning", "--type", "process", "--name", name]
    return subprocess.Popen(
        command + (["--limit", str(limit)] if limit else []),
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )


def start_run(api: str, flow: str, deployment: str, parameters: dict[str, object] | None = None) -> str:
    """Start a run of ``flow/deployment`` through Prefect's API; return its id."""
    found = httpx.get(f"{api}/deployments/name/{flow}/{deployment}", timeout=10)
    found.raise_for_status()
    body = {"parameters": parameters or {}}
    created = httpx.post(f"{api}/deployments/{found.json()['id']}/create_flow_run", json=body, timeout=10)
    created.raise_for_status()
    return str(created.json()["id"])


def run_deployment(
    api: str, flow: str, deployment: str, parameters: dict[str, object] | None = None, timeout: float = 240
) -> dict[str, Any]:
    """Start a run of ``flow/deployment`` and wait (bounded) for a final state."""
    return wait_for_final(api, start_run(api, flow, deployment, parameters), timeout=timeout)


def wait_for_final(api: str, run_id: str, *, timeout: float = 240) -> dict[str, Any]:
    """The flow run once it is in a final state (polled, bounded)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run: dict[str, Any] = httpx.get(f"{api}/flow_runs/{run_id}", timeout=10).json()
        if run["state_type"] in FINAL:
            return run
        time.sleep(0.2)  # a run's end is seen within 0.2 s: twenty runs are waited for one after another
    raise AssertionError(f"flow run {run_id} did not reach a final state within {timeout:.0f} s")


def test_the_sweep_deployment_on_two_workers_delivers_every_due_reminder_once(
    postgres_server_url: str, server: str, tmp_path: Path
) -> None:
    database = create_pg_database(postgres_server_url, "commissioning_e2e")
    cli = Cli(tmp_path / "data", COMMISSIONING_DATABASE_URL=database, PREFECT_API_URL=server)
    cli.ok("init")
    cli.env["COMMISSIONING_TOKEN"] = finance_tokens(cli)[0]  # PostgreSQL refuses unauthenticated writes
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


TWENTY = [f"FCF-2025-{n:02d}" for n in range(1, 21)]
DEPLOYED = {"COMMISSIONING_RUN_MODE": "deployments"}


def twenty_contracts(cli: Cli, tmp_path: Path) -> Path:
    """FCF-2025-01 to -20, each on its own copy of the Fair Chance Fund card with P-001 to P-003 (P-003 too old
    at referral), set up in this process; returns their claims file, the five claims of test_pbr_cli for each."""
    import datetime as dt

    from flows.common.settings import load_settings
    from flows.pbr.participants import import_participants
    from flows.pbr.ratecards import import_rate_card
    from tests.e2e.pbr.test_pbr_cli import CLAIMS, PARTICIPANTS
    from tests.integration.pbr.test_pbr_imports import add_contract, variant
    from tests.support.builders import fcf_contract

    settings = load_settings(cli.env)
    fcf_contract(settings)
    for ref in TWENTY[1:]:
        add_contract(settings, ref, value="1500000")  # worth the card's £1.5m contract cap
        card = variant(tmp_path, f"{ref}.yaml", ("contract: FCF-2025-01", f"contract: {ref}"))
        import_rate_card(settings, card, as_of=dt.datetime(2025, 9, 1, tzinfo=dt.UTC), actor="set-up")

    def every_contract(text: str) -> str:
        header, *rows = text.splitlines()
        return "\n".join([header, *(r.replace("FCF-2025-01", ref) for ref in TWENTY for r in rows)]) + "\n"

    (tmp_path / "people.csv").write_text(every_contract(PARTICIPANTS), encoding="utf-8")
    import_participants(settings, tmp_path / "people.csv", as_of=dt.datetime(2026, 1, 2, tzinfo=dt.UTC), actor="a")
    (tmp_path / "claims.csv").write_text(every_contract(CLAIMS), encoding="utf-8")
    return tmp_path / "claims.csv"


def test_long_work_goes_to_the_workers_and_twenty_payment_runs_submitted_at_once_each_run_once(
    postgres_server_url: str, server: str, tmp_path: Path
) -> None:
    import datetime as dt
    from decimal import Decimal

    from flows.approvals.service import list_proposals
    from flows.common.settings import load_settings
    from flows.pbr.reconcile import reconcile
    from tests.support.approvals import approved

    url = create_pg_database(postgres_server_url, "commissioning_runs")
    cli = Cli(tmp_path / "data", COMMISSIONING_DATABASE_URL=url, PREFECT_API_URL=server)
    cli.ok("init")
    cli.env["COMMISSIONING_TOKEN"] = finance_tokens(cli)[0]  # Asha proposes; PostgreSQL refuses the unnamed
    claims = twenty_contracts(cli, tmp_path)
    (cli.data_dir / "payment-runs.toml").write_text('[payment_runs]\n"FCF-2025-01" = "quarterly, working day 5"\n')
    deployed = cli.ok("deploy", "--source", str(ROOT))
    # One daily deployment proposes every contract's run on its day; deploy says the next day of each (which
    # depends on today: tests/integration/pbr/test_run_schedules.py works the days out for fixed dates).
    assert re.search(r"Payment runs of FCF-2025-01 \(quarterly, working day 5\): next on \d{4}-\d\d-\d\d for "
                     r"\d{4}-Q\d, proposed by scheduled-payment-runs\.", deployed), deployed  # fmt: skip
    found = httpx.get(f"{server}/deployments/name/scheduled-payment-runs/scheduled-payment-runs", timeout=10).json()
    [schedule] = [s["schedule"] for s in found["schedules"]]
    assert (schedule["cron"], schedule["timezone"]) == ("0 9 * * *", "Europe/London")
    workers = [start_worker(cli, server, tmp_path / f"worker-{n}.log", f"runs-{n}", limit=2) for n in (1, 2)]
    try:
        # The CLI submits the import to the workers and says the flow run's id and state.
        said = cli.ok("claims", "import", str(claims), **DEPLOYED)  # then its result, as in-process: 20 x 5 claims
        assert re.match(r"Flow run [0-9a-f-]{36} of import-claims/import-claims on the Prefect server: Completed\.\n"
                        r".*: 100 row\(s\): 60 accepted, 0 partly accepted, 40 rejected,", said), said  # fmt: skip
        # A refusal in the flow is said in the flow's words, as in-process; bad input is refused before any run.
        refused = cli.fails("reconcile", "--contract", "NOPE-1", **DEPLOYED)
        assert refused == "error: no contract with reference 'NOPE-1'", refused
        # 20 payment runs, one per contract, all queued through Prefect's API before a worker takes one.
        runs = [start_run(server, "payment-run", "payment-run", {"contract": ref, "period": "2026-Q1",
                          "as_of": "2026-04-02T09:00:00+00:00", "actor": "asha"}) for ref in TWENTY]  # fmt: skip
        ended = [wait_for_final(server, run_id, timeout=600) for run_id in runs]
        assert [r["state_type"] for r in ended] == ["COMPLETED"] * 20, _logs(tmp_path)
        again = cli.ok("reconcile", "--contract", "FCF-2025-07", **DEPLOYED)
        assert "on the Prefect server: Completed.\n" in again and "Caps and headroom" in again, again
    finally:
        for worker in workers:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=30)

    settings = load_settings(cli.env)
    pending = list_proposals(settings, status="pending")
    assert sorted(p["contract"] for p in pending) == TWENTY  # one proposal per contract, none twice
    for proposal in pending:  # Ben, a second finance user, approves each
        approved(settings, proposal, as_of=dt.datetime(2026, 4, 3, 9, 0, tzinfo=dt.UTC))
    # Each contract's Q1: C-1 entry £500 + C-3 entry £500 + C-2 level 2 £3,500 = £4,500 paid (C-4 has no
    # accommodation entry before it, C-5's participant was too old): one run, nothing outstanding.
    for ref in TWENTY:
        books = reconcile(settings, ref)
        assert (books.totals["paid"], books.totals["outstanding"], len(books.timeline)) == ("4500.00", "0.00", 1), ref
    assert sum(Decimal(reconcile(settings, ref).totals["paid"]) for ref in TWENTY) == Decimal("90000.00")


def test_two_web_processes_on_one_database_share_sign_ins_csrf_and_one_approval_wins(
    postgres_server_url: str, server: str, tmp_path: Path
) -> None:
    """Two `serve --no-scheduler` processes, as two hosts behind a balancer: each its own data dir, the same
    PostgreSQL and the same COMMISSIONING_WEB_SECRET_KEY (the Prefect server named, so neither starts its own)."""
    import datetime as dt
    import threading

    from flows.accounts.tokens import create_token
    from flows.accounts.users import add_user
    from flows.approvals.service import list_proposals
    from flows.common.settings import load_settings
    from flows.pbr.ratecards import propose_rate_card
    from tests.e2e.pbr.test_pbr_cli import CARD
    from tests.e2e.serving import Serve
    from tests.support.builders import fcf_contract
    from tests.support.web import csrf_of, sign_in

    url = create_pg_database(postgres_server_url, "commissioning_web")
    shared = {"COMMISSIONING_DATABASE_URL": url, "PREFECT_API_URL": server, "COMMISSIONING_WEB_SECRET_KEY": "k" * 64}
    host_a, host_b = Cli(tmp_path / "host-a", **shared), Cli(tmp_path / "host-b", **shared)
    host_a.ok("init")
    _, ben = finance_tokens(host_a)  # Asha and Ben, finance
    settings = load_settings(host_a.env)
    add_user(settings, username="fran", display_name="Fran", roles=["finance"], password="correct horse battery",
             organisation=None, actor="e2e")  # fmt: skip
    fran = create_token(settings, username="fran", purpose="api", name="e2e", actor="e2e")[0]
    fcf_contract(settings, card=None)
    proposed = propose_rate_card(settings, CARD, as_of=dt.datetime(2025, 9, 1, tzinfo=dt.UTC), actor="asha")
    proposal = proposed["proposal"]["id"]

    serves = [Serve(cli, tmp_path / f"{cli.data_dir.name}.log", "--no-scheduler", "--host", "127.0.0.1",
                    "--port", "0") for cli in (host_a, host_b)]  # fmt: skip
    try:
        a, b = (s.ready() and s.web_url() for s in serves)
        with httpx.Client(base_url=a) as on_a, httpx.Client(base_url=b) as on_b:
            assert sign_in(on_a, "asha", "correct horse battery").status_code == 303
            token = csrf_of(on_a.get("/approvals").text)  # a form served by A ...
            on_b.cookies = on_a.cookies  # ... and the balancer sends her next requests to the other host
            page = on_b.get("/approvals", follow_redirects=False)
            assert page.status_code == 200 and f"/approvals/{proposal}" in page.text  # signed in on B too
            forged = on_b.post("/sign-out", data={"csrf_token": "not-" + token}, follow_redirects=False)
            assert forged.status_code == 403
            signed_out = on_b.post("/sign-out", data={"csrf_token": token}, follow_redirects=False)
            assert (signed_out.status_code, signed_out.headers.get("location")) == (303, "/sign-in"), signed_out.text

        # Ben on A and Fran on B approve the one proposal at the same moment: exactly one approval takes effect.
        start, answers = threading.Barrier(2), {}

        def approve(name: str, base: str, token: str) -> None:
            start.wait(timeout=30)
            answers[name] = httpx.post(f"{base}/api/v1/approvals/{proposal}/approve",
                                       headers={"Authorization": f"Bearer {token}"}, timeout=60)  # fmt: skip

        both = [threading.Thread(target=approve, args=args) for args in (("ben", a, ben), ("fran", b, fran))]
        for thread in both:
            thread.start()
        for thread in both:
            thread.join(timeout=90)
    finally:
        for s in serves:
            s.stop()
    codes = sorted(r.status_code for r in answers.values())
    assert codes[0] == 200 and codes[1] != 200, {n: r.text for n, r in answers.items()}
    [winner] = [n for n, r in answers.items() if r.status_code == 200]
    [loser] = [r for r in answers.values() if r.status_code != 200]
    assert f"proposal {proposal} cannot be approved by" in loser.json()["detail"], loser.text
    [done] = list_proposals(settings, status="approved")
    assert (done["id"], [a["by"] for a in done["approved_by"]]) == (proposal, [winner])
