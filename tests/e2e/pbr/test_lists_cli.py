"""The lists through the real `commission` command: a table, --json, --export read back, and bad filters refused in
one line with exit 1. The data: FCF-2025-01 paid for 2026-Q1 with C-1 clawed back (tests/support/builders.py
fcf_paid), written straight into the command's database so that no flow runs here."""

import csv
from pathlib import Path

import openpyxl
import pytest

from flows.common.settings import load_settings
from tests.e2e.conftest import Cli
from tests.support.builders import fcf_paid


@pytest.fixture
def paid(initialised: Cli, tmp_path: Path) -> Cli:
    fcf_paid(load_settings(initialised.env), tmp_path)
    return initialised


def test_each_list_prints_its_rows_as_a_table_and_as_json(paid: Cli) -> None:
    table = paid.ok("claims", "list", "--status", "rejected")
    assert "Claims (2)" in table and "prerequisite_missing" in table and "ineligible" in table
    assert [r["claim"] for r in paid.json("claims", "list", "--participant", "P-001")] == ["C-1", "C-2"]
    assert [r["period"] for r in paid.json("runs", "list", "--contract", "FCF-2025-01")] == ["2026-Q1"]
    assert [r["frequency"] for r in paid.json("ratecards", "list")] == ["quarterly"]
    assert len(paid.json("participants", "list", "--contract", "FCF-2025-01")) == 3
    payments = paid.json("ledger", "--kind", "payment", "--payer", "council")
    assert [(r["amount"], r["period"]) for r in payments] == [("-3150.00", "2026-Q1")]
    active = paid.json("contracts", "list", "--status", "active", "--as-of", "2026-06-01", "--owner", "a")
    assert [r["ref"] for r in active] == ["FCF-2025-01", "OTH-PBR-1"]
    assert paid.ok("runs", "list", "--period", "2026-Q2").strip() == "No payment runs match."


def test_the_lists_are_read_commands_that_import_neither_prefect_nor_apprise(paid: Cli) -> None:
    for args in (["contracts", "list"], ["claims", "list"], ["ledger"]):
        done = paid.run(*args, "--json", PYTHONPROFILEIMPORTTIME="1")
        assert done.returncode == 0, done.stderr
        imported = {line.split("|")[-1].strip().split(".")[0] for line in done.stderr.splitlines() if "|" in line}
        assert "flows" in imported and not imported & {"prefect", "apprise"}, args


def test_exports_read_back(paid: Cli, tmp_path: Path) -> None:
    out = paid.ok("contracts", "list", "--provider", "northbridge", "--export", str(tmp_path / "contracts.csv"))
    assert f"Wrote {tmp_path / 'contracts.csv'}." in out
    with (tmp_path / "contracts.csv").open(encoding="utf-8", newline="") as f:
        assert [row[0] for row in csv.reader(f)] == ["Contract", "FCF-2025-01"]
    paid.ok("ledger", "--kind", "clawback", "--json", "--export", str(tmp_path / "clawbacks.xlsx"))
    sheet = openpyxl.load_workbook(tmp_path / "clawbacks.xlsx").active
    assert sheet is not None
    assert [(r[8].value, r[7].value) for r in list(sheet.iter_rows())[1:]] == [("C-1", -150), ("C-1", -350)]


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["contracts", "list", "--ending-within", "-5"],
         "error: --ending-within: -5 is not a number of days from 0 to 36600"),
        (["contracts", "list", "--status", "live"],
         "error: --status: 'live' is not a contract status; use pending, active, extended, in_notice, terminated or "
         "expired"),
        (["claims", "list", "--status", "paid"],
         "error: --status: 'paid' is not a claim status; use accepted, partly_accepted or rejected"),
        (["ledger", "--kind", "refund"], "error: --kind: 'refund' is not a ledger kind; use accrual, payment, "
                                         "clawback or reversal"),
        (["runs", "list", "--period", "Q1"], "error: --period: 'Q1' is not a quarter such as 2026-Q1 or a month such "
                                             "as 2026-01"),
        (["ratecards", "list", "--contract", "NOPE-1"], "error: no contract with reference 'NOPE-1'"),
        (["participants", "list", "--export", "people.txt"], "error: --export: people.txt must end .csv or .xlsx"),
    ],
)  # fmt: skip
def test_bad_filters_are_one_line(paid: Cli, args: list[str], line: str) -> None:
    assert paid.fails(*args) == line
