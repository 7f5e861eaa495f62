"""The commands that run Prefect flows: the demo (twice) and advance, on the local temporary server."""

import json
import subprocess
import sys

import pytest

from tests.e2e.conftest import Cli

DEMO_REFS = ["FAM-2026-01", "YJP-2025-02", "HOM-2024-03", "DAS-2026-01", "CAR-2023-01", "DAY-2021-01", "SMT-2025-01"]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo_cli(tmp_path_factory: pytest.TempPathFactory) -> Cli:
    """A data dir the demo was run in, straight away, with no `commission init` first."""
    return Cli(tmp_path_factory.mktemp("demo") / "data")


@pytest.fixture(scope="module")
def first_demo(demo_cli: Cli) -> subprocess.CompletedProcess[str]:
    return demo_cli.run("demo", timeout=300)


def test_the_demo_builds_a_portfolio_across_every_stage(
    demo_cli: Cli, first_demo: subprocess.CompletedProcess[str]
) -> None:
    assert first_demo.returncode == 0, first_demo.stderr
    output = first_demo.stdout + first_demo.stderr
    for noise in ("Traceback", "Error", "WARNING", "Exception"):
        assert noise not in output
    assert "Built 7 demo project(s) through the stage flows" in output
    assert "Commissioning board" in output and "History of YJP-2025-02" in output
    assert "Analyse: 2   Plan: 1   Do: 1   Review: 2   Decommissioned: 1" in output
    board = demo_cli.json("projects")
    assert sorted(r["ref"] for r in board) == sorted(DEMO_REFS)
    assert {r["stage"] for r in board} == {"analyse", "plan", "do", "review", "decommissioned"}


def test_the_demo_history_shows_a_failed_tender_going_back_to_plan(
    demo_cli: Cli, first_demo: subprocess.CompletedProcess[str]
) -> None:
    detail = demo_cli.json("show", "YJP-2025-02")
    back = [e for e in detail["history"] if e["action"] == "StageChanged" and e["before"]["stage"] == "do"]
    assert [e["after"]["stage"] for e in back] == ["plan"]
    assert back[0]["reason"].startswith("Tender YJP-T1 closed with no compliant bid")
    assert all(g["flow_run_id"] for g in detail["gate_decisions"])
    carers = demo_cli.json("show", "CAR-2023-01")
    assert (carers["stage"], carers["cycle"]) == ("analyse", 2)


def test_running_the_demo_again_changes_nothing(demo_cli: Cli, first_demo: subprocess.CompletedProcess[str]) -> None:
    before = [demo_cli.json("show", ref) for ref in DEMO_REFS]
    again = demo_cli.run("demo", timeout=300)
    assert again.returncode == 0 and "Traceback" not in again.stdout + again.stderr
    assert "The demo portfolio is already there; nothing was changed." in again.stdout
    assert "Commissioning board" in again.stdout
    assert [demo_cli.json("show", ref) for ref in DEMO_REFS] == before


def test_advance_reports_a_refused_gate_and_records_it(
    demo_cli: Cli, first_demo: subprocess.CompletedProcess[str]
) -> None:
    out = demo_cli.ok("advance", "DAS-2026-01", "--as-of", "2026-03-02")
    assert "DAS-2026-01: the Analyse gate is not met; 1 condition(s) unmet:" in out
    assert "Evidence of what works is not yet enough" in out
    assert "WARNING" not in out
    decisions = demo_cli.json("show", "DAS-2026-01")["gate_decisions"]
    assert [d["outcome"] for d in decisions] == ["refused", "refused"]
    assert decisions[-1]["decided_by"] == "os:e2e (unauthenticated)"


def test_advance_moves_a_project_on_and_says_so_in_json(
    demo_cli: Cli, first_demo: subprocess.CompletedProcess[str]
) -> None:
    demo_cli.ok("record", "FAM-2026-01", "business_case", "approved", "--as-of", "2026-03-16")
    demo_cli.ok("record", "FAM-2026-01", "specification", "final", "--as-of", "2026-03-16")
    demo_cli.ok("record", "FAM-2026-01", "outcomes_framework", "agreed", "--as-of", "2026-03-16")
    demo_cli.ok("record", "FAM-2026-01", "procurement_route", "open", "--as-of", "2026-03-16")
    result = demo_cli.json("advance", "FAM-2026-01", "--as-of", "2026-03-17")
    assert (result["outcome"], result["from_stage"], result["stage_now"]) == ("passed", "plan", "do")


def test_read_commands_never_import_prefect(demo_cli: Cli, first_demo: subprocess.CompletedProcess[str]) -> None:
    probe = (
        "import sys\n"
        "from flows.cli import main\n"
        "sys.argv = ['commission', *sys.argv[1:]]\n"
        "code = None\n"
        "try:\n    main()\nexcept SystemExit as exc:\n    code = exc.code\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'prefect', 'apprise', 'alembic'})\n"
        "print(json.dumps([code, heavy]), file=sys.stderr)\n"
    )
    for args in (["--help"], ["projects"], ["show", "YJP-2025-02"], ["evidence", "list"], ["projects", "--json"]):
        done = subprocess.run(
            [sys.executable, "-c", "import json\n" + probe, *args],
            env=demo_cli.env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert json.loads(done.stderr.strip().splitlines()[-1]) == [0, []], (args, done.stderr)


def test_the_demo_ends_by_saying_how_to_open_the_web_app(
    demo_cli: Cli, first_demo: subprocess.CompletedProcess[str]
) -> None:
    tail = first_demo.stdout.strip().splitlines()[-8:]
    assert tail[0].startswith("Web app on the demo data: run `commission serve` and open http://127.0.0.1:8000")
    assert tail[1:] == [
        "  priya.shah (Priya Shah, commissioner): priya-demo-2026",
        "  farah.khan (Farah Khan, finance): farah-demo-2026",
        "  omar.ali (Omar Ali, finance): omar-demo-2026",  # approves what farah.khan proposes
        "  grace.obi (Grace Obi, finance): grace-demo-2026",  # the second approver over £50,000
        "  sam.reid (Sam Reid, provider of Northbridge Young People's Trust): sam-reid-demo-2026",
        "  audrey.cole (Audrey Cole, auditor): audrey-demo-2026",
        "  admin (Ada Admin, admin): admin-demo-2026",
    ]
    users = demo_cli.json("users", "list")
    assert [u["username"] for u in users] == [
        "admin", "audrey.cole", "farah.khan", "grace.obi", "omar.ali", "priya.shah", "sam.reid"
    ]  # fmt: skip
