"""Nothing is dated in the future: every write refuses an --as-of (or --on, --actual) after now; reads look ahead."""

from pathlib import Path

import pytest

from tests.e2e.conftest import Cli
from tests.e2e.cycle.test_cli import EVIDENCE, PROJECT

FUTURE = "2099-01-01"
EXAMPLES = Path(__file__).resolve().parents[3] / "examples"

# Every write command, with just enough arguments to reach its as-of; the refusal must come first.
WRITES = {
    "project add": [*PROJECT[:-1], FUTURE],
    "evidence add": [*EVIDENCE[:-1], FUTURE],
    "record": ["record", "FAM-2026-01", "business_case", "approved", "--on", FUTURE, "--as-of", FUTURE],
    "record --on": ["record", "FAM-2026-01", "business_case", "approved", "--on", FUTURE],
    "advance": ["advance", "FAM-2026-01", "--as-of", FUTURE],
    "contracts add": ["contracts", "add", "--ref", "X-1", "--title", "t", "--provider", "p", "--project", "FAM-2026-01",
                      "--value", "100", "--start", "2099-04-01", "--term", "3", "--as-of", FUTURE],
    "contracts import": ["contracts", "import", str(EXAMPLES / "contracts.yaml"), "--as-of", FUTURE],
    "decide": ["decide", "HF-2024-01", "extend", "--reason", "r", "--as-of", FUTURE],
    "procurement plan": ["procurement", "plan", "FAM-2026-01", "--go-live", "2030-04-01", "--as-of", FUTURE],
    "procurement set": ["procurement", "set", "FAM-2026-01", "signature", "--planned", "2099-01-01", "--as-of", FUTURE],
    "procurement set --actual": ["procurement", "set", "FAM-2026-01", "signature", "--actual", FUTURE],
    "reminders ack": ["reminders", "ack", "1", "--as-of", FUTURE],
    "reminders snooze": ["reminders", "snooze", "1", "--until", "2099-02-01", "--as-of", FUTURE],
    "sweep": ["sweep", "--as-of", FUTURE],
    "deliver": ["deliver", "--as-of", FUTURE],
    "pay": ["pay", "--contract", "FCF-2025-01", "--period", "2098-Q4", "--as-of", FUTURE],
    "sample": ["sample", "--contract", "FCF-2025-01", "--period", "2098-Q4", "--size", "5", "--seed", "1",
               "--as-of", FUTURE],
    "clawback": ["clawback", "--contract", "FCF-2025-01", "--claim", "NB-0049", "--reason", "r", "--as-of", FUTURE],
    "approve": ["approve", "1", "--as-of", FUTURE],
    "reject": ["reject", "1", "--reason", "r", "--as-of", FUTURE],
}  # fmt: skip


@pytest.mark.parametrize("name", list(WRITES))
def test_every_write_refuses_a_date_in_the_future_and_writes_nothing(initialised: Cli, name: str) -> None:
    cli = initialised
    cli.ok(*PROJECT)
    before = cli.dump()
    line = cli.fails(*WRITES[name])
    assert "2099-01-01" in line and "in the future" in line, line
    assert cli.dump() == before


def test_the_issues_example_cannot_move_a_project_on_2099_dates(initialised: Cli) -> None:
    cli = initialised
    cli.ok(*PROJECT)
    line = cli.fails("record", "FAM-2026-01", "business_case", "approved", "--on", FUTURE, "--as-of", FUTURE)
    assert line.startswith("error: --as-of is in the future (2099-01-01; it is now ")
    assert [e["action"] for e in cli.json("show", "FAM-2026-01")["history"]] == ["ProjectCreated"]


def test_reads_and_a_dry_run_still_look_ahead(initialised: Cli) -> None:
    cli = initialised
    cli.ok(*PROJECT)
    cli.ok("due", "--as-of", FUTURE)
    cli.ok("sweep", "--dry-run", "--as-of", FUTURE)


def test_a_contract_dated_before_its_project_existed_is_refused_in_one_line(initialised: Cli) -> None:
    cli = initialised
    cli.ok(*PROJECT)  # created 2026-01-05
    before = cli.dump()
    add = ["contracts", "add", "--ref", "X-1", "--title", "t", "--provider", "p", "--project", "FAM-2026-01",
           "--value", "100", "--start", "2026-04-01", "--term", "3"]  # fmt: skip
    line = cli.fails(*add, "--as-of", "2025-01-01")
    assert line == (
        "error: an entry dated 2025-01-01 is before project FAM-2026-01 was created (2026-01-05); "
        "date it on or after that"
    ), line
    assert cli.dump() == before
    cli.ok(*add, "--as-of", "2026-01-05")
    line = cli.fails("decide", "X-1", "vary", "--value", "200", "--reason", "x", "--as-of", "2026-01-04")
    assert line.startswith("error: an entry dated 2026-01-04 is before contract X-1 was added (2026-01-05)"), line
