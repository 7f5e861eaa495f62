"""What a hostile tester tried: no export replaces a database, no export is half-done, no far date or huge
number is a traceback, and an import of no contracts is refused."""

import sqlite3
from pathlib import Path

import pytest

from tests.e2e.conftest import Cli
from tests.e2e.pbr.test_pbr_cli import fcf  # noqa: F401  (a fixture)

BIG = "99999999999999999999999"


@pytest.mark.parametrize("name", ["commissioning.db", "commissioning.db-wal", "commissioning.db-shm"])
def test_a_calendar_export_never_replaces_the_live_database(initialised: Cli, name: str) -> None:
    target = initialised.data_dir / name
    before = initialised.dump()
    line = initialised.fails("calendar", "export", "-o", str(target))
    assert line == f"error: {target}: is a database; refusing to write over it (choose another file)"
    assert initialised.dump() == before
    initialised.ok("due")


def test_an_export_never_replaces_any_sqlite_database(initialised: Cli, tmp_path: Path) -> None:
    other = tmp_path / "ledger.bak"
    with sqlite3.connect(other) as conn:
        conn.execute("create table t (x)")
    conn.close()
    data = other.read_bytes()
    line = initialised.fails("calendar", "export", "-o", str(other))
    assert line.startswith(f"error: {other}: is a database")
    assert other.read_bytes() == data


def test_reconcile_writes_no_file_unless_it_can_write_every_one(fcf: Cli, tmp_path: Path) -> None:  # noqa: F811
    ok = tmp_path / "ok.csv"
    line = fcf.fails("reconcile", "--contract", "FCF-2025-01", "--csv", str(ok), "--xlsx", "/nonexistent/x.xlsx")
    assert line.startswith("error: /nonexistent/x.xlsx: ") and "No such file or directory" in line
    assert not ok.exists()
    line = fcf.fails(
        "reconcile", "--contract", "FCF-2025-01", "--csv", str(ok), "--chart", str(fcf.data_dir / "commissioning.db")
    )
    assert "is a database" in line and not ok.exists()


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["due", "--within", "99999999d"], "--within: 99999999d is too far ahead; at most 10 years"),
        (["calendar", "export", "--within", "99999999d"], "--within: 99999999d is too far ahead; at most 10 years"),
        (["due", "--as-of", "9999-12-31"], "--as-of: 9999-12-31 is outside the years 1900-2200"),
        (["due", "--as-of", "0001-01-01"], "--as-of: 0001-01-01 is outside the years 1900-2200"),
        (["reminders", "ack", BIG], f"reminder number: {BIG} is out of range (-9223372036854775808 to 9223"),
        (["reminders", "show", BIG], f"reminder number: {BIG} is out of range"),
        (["reminders", "snooze", BIG, "--until", "2026-01-01"], f"reminder number: {BIG} is out of range"),
        (["sample", "--contract", "C", "--period", "2026-Q1", "--size", BIG, "--seed", "1"], f"--size: {BIG} is out"),
        (["sample", "--contract", "C", "--period", "2026-Q1", "--size", "2", "--seed", BIG + "99"], "--seed: "),
        (["procurement", "plan", "P-1", "--go-live", "9999-12-31"], "--go-live: 9999-12-31 is outside the years"),
        (["procurement", "plan", "P-1", "--go-live", "2100-01-01"], "--go-live: 2100-01-01 is outside the years 2003"),
    ],
)
def test_far_dates_and_huge_numbers_are_one_line(initialised: Cli, args: list[str], said: str) -> None:
    line = initialised.fails(*args)
    assert line.startswith(f"error: {said}"), line


@pytest.mark.parametrize(
    ("start", "term", "said"),
    [
        ("9999-06-01", "5", "start: 9999-06-01 is outside the years 1900-2200"),
        ("2026-06-01", "99999 months", "term: '99999 months' from 2026-06-01 runs past 2200"),
        ("2026-06-01", "9000+1", "term: '9000+1' from 2026-06-01 runs past 2200"),
    ],
)
def test_a_contract_running_past_2200_is_refused_by_field(initialised: Cli, start: str, term: str, said: str) -> None:
    initialised.ok("project", "add", "--ref", "P-1", "--title", "T", "--area", "Housing", "--owner", "A")
    args = ["contracts", "add", "--ref", "X-1", "--title", "t", "--provider", "p", "--project", "P-1",
            "--value", "100", "--start", start, "--term", term]  # fmt: skip
    done = initialised.run(*args)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.startswith("error: nothing imported") and said in done.stderr, done.stderr


def test_a_csv_term_running_past_2200_is_refused(initialised: Cli, tmp_path: Path) -> None:
    initialised.ok("project", "add", "--ref", "P-1", "--title", "T", "--area", "Housing", "--owner", "A")
    rows = tmp_path / "c.csv"
    rows.write_text("ref,title,provider,project,value,start,term\nX-1,t,p,P-1,100,2026-01-01,9000+1\n")
    done = initialised.run("contracts", "import", str(rows))
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert f"{rows}:2: term: '9000+1' from 2026-01-01 runs past 2200" in done.stderr


@pytest.mark.parametrize(
    ("name", "text"),
    [("headeronly.csv", "ref,title,provider,project,value,start,term\n"), ("emptylist.yaml", "contracts: []\n")],
)
def test_a_contracts_file_of_no_contracts_is_refused(initialised: Cli, tmp_path: Path, name: str, text: str) -> None:
    path = tmp_path / name
    path.write_text(text)
    assert initialised.fails("contracts", "import", str(path)) == f"error: {path}: has no contracts"
