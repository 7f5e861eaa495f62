"""Failures from outside the program (a missing folder, a full disk, a read-only data dir) are one line, exit 1."""

import csv
import os
import sqlite3
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import COMMISSION, Cli
from tests.e2e.pbr.test_pbr_cli import PAY, fcf  # noqa: F401  (a fixture)


def test_a_calendar_export_to_a_missing_folder_is_one_line(initialised: Cli) -> None:
    line = initialised.fails("calendar", "export", "-o", "/nonexistent/k.ics")
    assert line.startswith("error: /nonexistent/k.ics: ") and "No such file or directory" in line


def test_a_calendar_export_to_a_full_disk_is_one_line_and_keeps_the_device(initialised: Cli, tmp_path: Path) -> None:
    full = tmp_path / "full"  # a link to /dev/full (ENOSPC on every write), so no test ever replaces /dev/full itself
    full.symlink_to("/dev/full")
    line = initialised.fails("calendar", "export", "-o", str(full))
    assert line == f"error: {full}: cannot be written: No space left on device"
    assert full.is_symlink() and stat.S_ISCHR(os.stat(full).st_mode)


@pytest.mark.parametrize("command", [["projects", "--json"], ["due"], ["calendar", "export"], ["policy", "show"]])
def test_standard_output_on_a_full_disk_is_one_line(initialised: Cli, command: list[str]) -> None:
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [COMMISSION, *command], env=initialised.env, stdout=full, stderr=subprocess.PIPE, text=True, timeout=60
        )
    assert done.returncode == 1, done.stderr
    assert done.stderr.strip().splitlines() == ["error: standard output: No space left on device"]


@pytest.fixture
def read_only(initialised: Cli) -> Iterator[Cli]:
    """The data dir made immutable (chattr +i). Tests run as root, where chmod stops no write and the
    interpreter under /root cannot run as another user; an immutable directory refuses root's writes too."""
    if subprocess.run(["chattr", "+i", str(initialised.data_dir)], capture_output=True).returncode != 0:
        pytest.skip("chattr +i is not supported here")
    try:
        yield initialised
    finally:
        subprocess.run(["chattr", "-i", str(initialised.data_dir)], check=True)


@pytest.mark.parametrize("command", [["projects"], ["advance", "X-1"], ["calendar", "export"], ["init"]])
def test_a_read_only_data_dir_is_named_at_once(read_only: Cli, command: list[str]) -> None:
    done = read_only.run(*command, timeout=60, PYTHONPROFILEIMPORTTIME="1")
    assert done.returncode == 1, done.stderr
    lines = [line for line in done.stderr.splitlines() if not line.startswith("import time:")]
    assert lines == [f"error: the data directory {read_only.data_dir} is not writable: Operation not permitted"]
    assert not _imported_prefect(done.stderr)


def test_a_data_dir_under_a_file_is_named(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "plain").write_text("")
    data = tmp_path / "plain" / "data"
    line = cli.fails("init", COMMISSIONING_DATA_DIR=str(data))  # the command that makes it (others: no database)
    assert line == f"error: the data directory {data} is not writable: Not a directory"


def _imported_prefect(stderr: str) -> bool:
    return any(line.split("|")[-1].strip().startswith("prefect") for line in stderr.splitlines() if "|" in line)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["sample", "--contract", "C", "--period", "2026-Q1", "--size", "0", "--seed", "1"], "--size: at least 1"),
        (["claims", "import", "/nonexistent/claims.csv"], "/nonexistent/claims.csv: no such file"),
        (["kpis", "import", "/etc"], "/etc: is a folder, not a file"),  # was "a file without a suffix"
        (["claims", "import", "/etc"], "/etc: is a folder, not a file"),
    ],
)
def test_quick_refusals_do_not_start_prefect(initialised: Cli, args: list[str], message: str) -> None:
    done = initialised.run(*args, timeout=60, PYTHONPROFILEIMPORTTIME="1")
    assert done.returncode == 1, done.stderr
    lines = [line for line in done.stderr.splitlines() if not line.startswith("import time:")]
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], lines
    assert not _imported_prefect(done.stderr)


def test_a_claims_file_bad_on_line_2_is_refused_whole_before_prefect_starts(initialised: Cli, tmp_path: Path) -> None:
    """Its rows are read and checked (cells, contract, outcome) in the command's own process; only a good file
    goes on to the flow. --report gets every problem, line by line."""
    bad, report = tmp_path / "claims.csv", tmp_path / "problems.csv"
    bad.write_text(
        "contract,claim_ref,participant,outcome,achieved_on,amount,evidence\n"
        "FCF-2099-01,C-1,P-001,EDU_ENTRY,19/01/2026,,enrolment\n",
        encoding="utf-8",
    )
    before = initialised.dump()
    done = initialised.run(
        "claims", "import", str(bad), "--report", str(report), timeout=60, PYTHONPROFILEIMPORTTIME="1"
    )
    assert done.returncode == 1, done.stderr
    lines = [line for line in done.stderr.splitlines() if not line.startswith("import time:")]
    assert lines == [
        f"error: {bad}: 1 malformed row(s); no claims from this file were imported:",
        f"  {bad}:2: contract: no contract with reference 'FCF-2099-01'",
        f"  {bad}:2: achieved_on: '19/01/2026' is not a date in ISO form (YYYY-MM-DD, e.g. 2026-03-31)",
    ]
    assert not _imported_prefect(done.stderr)
    with report.open(encoding="utf-8", newline="") as written:
        assert list(csv.reader(written)) == [
            ["line", "field", "reason"],
            ["2", "contract", "no contract with reference 'FCF-2099-01'"],
            ["2", "achieved_on", "'19/01/2026' is not a date in ISO form (YYYY-MM-DD, e.g. 2026-03-31)"],
        ]
    assert initialised.dump() == before


def test_a_write_failing_inside_a_flow_is_one_line(request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """The payment run writes its schedules under <data dir>/payments; there, a file stands in the way."""
    paying: Cli = request.getfixturevalue("fcf")
    assert paying.run("claims", "import", str(tmp_path / "claims.csv")).returncode == 0
    (paying.data_dir / "payments").write_text("not a folder")
    before = paying.dump()
    line = paying.fails(*PAY)
    assert line.startswith(f"error: {paying.data_dir / 'payments'}") and "Not a directory" in line, line
    assert paying.dump() == before


@pytest.fixture
def read_only_database(initialised: Cli) -> Iterator[Cli]:
    """The database file made immutable (chattr +i), its folder still writable: every write the flow tries fails
    in the driver ("attempt to write a readonly database"), inside a Prefect task."""
    initialised.ok("project", "add", "--ref", "P-1", "--title", "T", "--area", "Housing", "--owner", "A")
    database = initialised.data_dir / "commissioning.db"
    with sqlite3.connect(database) as conn:  # the WAL folded in, so the file alone holds every row
        conn.execute("pragma wal_checkpoint(truncate)")
    conn.close()
    if subprocess.run(["chattr", "+i", str(database)], capture_output=True).returncode != 0:
        pytest.skip("chattr +i is not supported here")
    try:
        yield initialised
    finally:
        subprocess.run(["chattr", "-i", str(database)], check=True)


@pytest.mark.parametrize("command", [["sweep"], ["advance", "P-1"]])
def test_a_read_only_database_is_one_line_from_a_flow(read_only_database: Cli, command: list[str]) -> None:
    """Prefect logs a task's exception with its traceback; a failure from outside must be one line all the same."""
    database = read_only_database.data_dir / "commissioning.db"
    before = read_only_database.dump()
    line = read_only_database.fails(*command)
    assert line == f"error: database {database}: attempt to write a readonly database"
    assert read_only_database.dump() == before
