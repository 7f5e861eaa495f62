"""In deployment mode the CLI waits for the worker's run and says what it did in the same words as in-process,
for real on 127.0.0.1: a Prefect server on PostgreSQL, one `prefect worker start --pool commissioning`, and the
commissioning data on SQLite in a data dir the worker shares (the same machine's disk).

FCF-2025-01's five claims (tests/e2e/pbr/test_pbr_cli.py): C-1, C-2, C-3 accepted (£500 + £3,500 + £500 =
£4,500 payable), C-4 rejected (no accommodation entry before it), C-5 rejected (26 at referral)."""

import datetime as dt
import json
import os
import re
import signal
from pathlib import Path

import pytest

from tests.e2e import test_workers
from tests.e2e.conftest import Cli
from tests.e2e.pbr.test_pbr_cli import CLAIMS, PARTICIPANTS, PAY
from tests.e2e.test_workers import DEPLOYED, ROOT, _logs, start_worker

server = test_workers.server  # its fixture: a Prefect server on PostgreSQL, started again for this module

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore:'imghdr' is deprecated:DeprecationWarning")]
SAID = re.compile(r"Flow run [0-9a-f-]{36} of (?P<deployment>[a-z-]+/[a-z-]+) on the Prefect server: Completed\.\n")
RECONCILE = ("reconcile", "--contract", "FCF-2025-01")
READINGS = "import-kpi-readings/import-kpi-readings"


def first_line_and_rest(said: str, deployment: str) -> str:
    """What follows the run's sentence, which must name ``deployment`` and Completed."""
    found = SAID.match(said)
    assert found is not None and found["deployment"] == deployment, said
    return said[found.end() :]


def test_the_cli_waits_for_the_workers_run_and_says_its_result_as_in_process(server: str, tmp_path: Path) -> None:
    from flows.common.settings import load_settings
    from flows.pbr.participants import import_participants
    from tests.support.builders import fcf_contract

    cli = Cli(tmp_path / "data", PREFECT_API_URL=server)
    cli.ok("init")
    settings = load_settings(cli.env)
    fcf_contract(settings)
    (tmp_path / "people.csv").write_text(PARTICIPANTS, encoding="utf-8")
    import_participants(settings, tmp_path / "people.csv", as_of=dt.datetime(2026, 1, 2, tzinfo=dt.UTC), actor="a")
    claims = tmp_path / "claims.csv"
    claims.write_text(CLAIMS, encoding="utf-8")
    cli.ok("deploy", "--source", str(ROOT))
    worker = start_worker(cli, server, tmp_path / "worker-1.log", "results")
    try:
        imported = first_line_and_rest(
            cli.ok("claims", "import", str(claims), **DEPLOYED), "import-claims/import-claims"
        )
        assert imported.splitlines()[:3] == [
            f"{claims}: 5 row(s): 3 accepted, 0 partly accepted, 2 rejected, 0 already imported (unchanged).",
            "Claimed £6,500.00; payable £4,500.00; capped £0.00.",
            "Rejected or partly accepted, by line:",
        ], imported
        assert "C-4" in imported and "C-5" in imported
        # The proposal the worker made, previewed as `pay` previews it here; here, the same period is then the
        # pending proposal shown again, word for word after the line saying so.
        proposed = first_line_and_rest(cli.ok(*PAY, **DEPLOYED), "payment-run/payment-run")
        assert "4,500.00" in proposed, proposed
        again = cli.ok(*PAY)
        assert again == "Already proposed and waiting for approval; this is that proposal.\n" + proposed
        # Reconcile: the same tables, and with --json the same JSON on stdout (the run's sentence on stderr).
        books = first_line_and_rest(cli.ok(*RECONCILE, **DEPLOYED), "reconcile/reconcile")
        assert books == cli.ok(*RECONCILE) and "Caps and headroom" in books, _logs(tmp_path)
        done = cli.run(*RECONCILE, "--json", **DEPLOYED)
        assert done.returncode == 0 and SAID.fullmatch(done.stderr), done.stderr
        assert json.loads(done.stdout) == cli.json(*RECONCILE)
        # --no-wait: submitted, its id said, and the command ends at once with no result.
        submitted = cli.ok(*RECONCILE, "--no-wait", **DEPLOYED)
        assert re.fullmatch(r"Flow run [0-9a-f-]{36} of reconcile/reconcile on the Prefect server: (Scheduled|"
                            r"Pending|Running); it goes on without this command: follow it on the Prefect server\.\n",
                            submitted), submitted  # fmt: skip
        # A refusal inside the flow: the in-process words, exit 1.
        assert cli.fails("sample", "--contract", "FCF-2025-01", "--period", "2026-Q1", "--size", "2", "--seed", "7",
                         **DEPLOYED) == cli.fails("sample", "--contract", "FCF-2025-01", "--period", "2026-Q1",
                                                  "--size", "2", "--seed", "7")  # fmt: skip
        # Contract performance: a file of KPI readings checked and rated by the worker, said as in-process.
        cli.ok("kpis", "set", "FCF-2025-01", "--kpi", "Young people housed: count 10 higher", "--reason", "Agreed")
        readings = tmp_path / "readings.csv"
        readings.write_text(
            "contract,kpi,period,value\n"
            "FCF-2025-01,Young people housed,2026-Q1,12\n"  # target 10, higher is better: Good
            "FCF-2025-01,Young people housed,2026-Q2,8\n",  # edges 9 and 7.5 (10% and 25%): Requires improvement
            encoding="utf-8",
        )
        rated = first_line_and_rest(cli.ok("kpis", "import", str(readings), **DEPLOYED), READINGS)
        assert rated == (
            "Imported 2 reading(s) for 1 contract(s); 0 already there, unchanged.\n"
            "  Good: 1\n  Requires improvement: 1\n"
        ), rated
        again = first_line_and_rest(cli.ok("kpis", "import", str(readings), **DEPLOYED), READINGS)
        assert again == cli.ok("kpis", "import", str(readings)) and "2 already there" in again, again
        bad = tmp_path / "bad-readings.csv"
        bad.write_text("contract,kpi,period,value\nFCF-2025-01,Young people homed,2026-Q1,12\n", encoding="utf-8")
        refused, here = cli.run("kpis", "import", str(bad), **DEPLOYED), cli.run("kpis", "import", str(bad))
        assert (refused.returncode, refused.stdout, refused.stderr) == (1, "", here.stderr), refused.stderr
        assert here.stderr.startswith("error: nothing imported: 1 problem(s)\n") and "Traceback" not in here.stderr
        assert "bad-readings.csv:2: kpi: 'Young people homed' is not a KPI of FCF-2025-01" in here.stderr
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
