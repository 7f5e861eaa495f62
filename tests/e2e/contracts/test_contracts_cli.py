"""Contracts through the CLI: import both example files, see what is due, export the calendar."""

import datetime as dt
import json
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from icalendar import Calendar

from tests.e2e.conftest import Cli

EXAMPLES = Path(__file__).parents[3] / "examples"
PROJECTS = ["HOM-2024-03", "SMT-2025-01", "CAR-2023-01", "YJP-2025-02"]


@pytest.fixture
def portfolio(initialised: Cli) -> Cli:
    for ref in PROJECTS:
        initialised.ok(
            "project",
            "add",
            "--ref",
            ref,
            "--title",
            ref,
            "--area",
            "a",
            "--owner",
            "o",
            "--stage",
            "do",
            "--as-of",
            "2020-01-01",
        )
    return initialised


def test_import_show_due_and_calendar(portfolio: Cli, tmp_path: Path) -> None:
    cli = portfolio
    out = cli.run("contracts", "import", str(EXAMPLES / "contracts.csv"), "--as-of", "2026-11-23")
    assert out.returncode == 0, out.stderr
    assert "Added 2 contract(s): CAR-2023-01-C, YJP-2025-02-C." in out.stdout
    assert "WARNING: CAR-2023-01-C: MISSED at entry: extension decision was due 2026-09-30" in out.stderr
    cli.ok("contracts", "import", str(EXAMPLES / "contracts.yaml"), "--as-of", "2026-11-23")
    again = cli.ok("contracts", "import", str(EXAMPLES / "contracts.yaml"), "--as-of", "2026-11-23")
    assert "Already there, unchanged: HF-2024-01, SMT-2025-01-C." in again

    detail = cli.json("contracts", "show", "hf-2024-01")
    assert (detail["expiry"], detail["max_extent"]) == ("2027-06-30", "2029-06-30")

    due = cli.json("due", "--within", "60d", "--as-of", "2026-11-23")
    assert [r["due_on"] for r in due] == sorted(r["due_on"] for r in due)
    assert any(r["missed"] and r["contract"] == "CAR-2023-01-C" for r in due)
    assert "MISSED" in cli.ok("due", "--within", "60d", "--as-of", "2026-11-23")

    feed = tmp_path / "key-dates.ics"
    assert "key date(s) to" in cli.ok("calendar", "export", "-o", str(feed), "--as-of", "2026-11-23")
    calendar = Calendar.from_ical(feed.read_bytes())
    events = list(calendar.walk("VEVENT"))
    uids = [str(e["UID"]) for e in events]
    assert len(uids) == len(set(uids)) > 10
    extension = next(e for e in events if str(e["UID"]) == "HF-2024-01-extension_decision-1@commissioning")
    assert extension.decoded("DTSTART") == dt.date(2027, 4, 7)
    assert [str(a["TRIGGER"].to_ical(), "ascii") for a in extension.walk("VALARM")] == ["-P14D", "-P1D"]
    assert all(e.decoded("DTSTART") >= dt.date(2026, 11, 23) for e in events)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["contracts", "show", "NOPE"], "no contract with reference 'NOPE'"),
        (["due", "--within", "soon"], "--within: 'soon' is not a period"),
        (["contracts", "import", "missing.csv"], "missing.csv: no such file"),
        (
            [
                "contracts",
                "add",
                "--ref",
                "X-1",
                "--title",
                "t",
                "--provider",
                "p",
                "--project",
                "HOM-2024-03",
                "--value",
                "100",
                "--start",
                "2026-04-01",
                "--term",
                "1+1",
                "--break-on",
                "2030-01-01",
            ],
            "command line: break_on: the break date 2030-01-01 is outside the term",
        ),
    ],
)
def test_contract_bad_input_is_refused_and_nothing_written(portfolio: Cli, args: list[str], message: str) -> None:
    before = portfolio.dump()
    done = portfolio.run(*args)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert message in done.stderr
    assert portfolio.dump() == before


PROBE = """\
import json, sys
from flows.cli import main
sys.argv = ["commission", *sys.argv[1:]]
try:
    main()
except SystemExit as exc:
    code = exc.code
libraries = sorted({m.split(".")[0] for m in sys.modules} & {"sqlalchemy", "rich"})
modules = sorted(m for m in sys.modules if m.startswith("flows.cli."))
print(json.dumps([code, libraries, modules]), file=sys.stderr)
"""


def probe(cli: Cli, *args: str, **env: str) -> tuple[str, list[Any]]:
    """Run the CLI in-process under ``python -c``; its stdout, and [exit code, libraries, CLI modules] loaded."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args], env={**cli.env, **env}, capture_output=True, text=True, timeout=60
    )
    return done.stdout, json.loads(done.stderr.strip().splitlines()[-1])


def test_due_reads_the_default_sqlite_file_directly_and_says_what_the_general_path_says(portfolio: Cli) -> None:
    portfolio.ok("contracts", "import", str(EXAMPLES / "contracts.csv"), "--as-of", "2026-11-23")
    portfolio.ok("contracts", "import", str(EXAMPLES / "contracts.yaml"), "--as-of", "2026-11-23")
    # The same file under a URL that is not the default one takes the general path, through SQLAlchemy.
    general = {"COMMISSIONING_DATABASE_URL": f"sqlite:///{portfolio.data_dir}/./commissioning.db"}
    shown = {}
    for args in (["--json"], [], ["--within", "400d", "--json"], ["--within", "400d"], ["--within", "0d"]):
        command = ["due", "--as-of", "2026-11-23", *args]
        table = [] if "--json" in args else ["rich"]  # a short listing is a rich table; JSON needs no rich
        fast, (code, libraries, modules) = probe(portfolio, *command)
        assert (code, libraries, modules) == (0, table, ["flows.cli.common", "flows.cli.contracts"]), args
        slow, (code, libraries, _) = probe(portfolio, *command, **general)
        assert (code, libraries) == (0, [*table, "sqlalchemy"]), args
        assert fast == slow, args
        shown[" ".join(args)] = fast
    assert len(json.loads(shown["--within 400d --json"])) > len(json.loads(shown["--json"])) > 0
    assert "MISSED" in shown[""] and "Nothing due within 0d." in shown["--within 0d"]


def test_due_on_a_database_at_another_schema_revision_says_to_migrate(initialised: Cli) -> None:
    with sqlite3.connect(initialised.data_dir / "commissioning.db") as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0001'")
    line = initialised.fails("due", "--json")
    assert "is at schema 0001" in line and "run `commission init` to migrate it" in line


def test_a_database_a_newer_version_migrated_is_refused_by_init_and_every_command_in_one_line(
    initialised: Cli,
) -> None:
    """`commission init` printed Alembic's 106-line traceback ("Can't locate revision identified by '0099'"), and
    other commands advised running it; nothing this version runs can migrate a newer schema."""
    with sqlite3.connect(initialised.data_dir / "commissioning.db") as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0099'")
    for command in (["init"], ["due", "--json"], ["projects"]):
        line = initialised.fails(*command)
        assert "is at schema 0099, newer than this version's" in line, command
        assert "a newer version of commissioning migrated it" in line and "Traceback" not in line, command
    with sqlite3.connect(initialised.data_dir / "commissioning.db") as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [("0099",)]  # left as it was


def test_due_before_init_says_to_run_init(cli: Cli) -> None:
    assert "no database at" in (line := cli.fails("due")) and "run `commission init` first" in line
    assert not cli.data_dir.exists()  # nothing created: a mistyped data dir is not a new empty one


def test_a_command_registers_only_its_own_module_and_the_table_names_every_command() -> None:
    from flows.cli import COMMANDS, build_app

    def names(app: Any) -> set[str]:
        return {c.name for c in app.registered_commands} | {g.name for g in app.registered_groups}

    assert names(build_app([])) == names(build_app(["--help"])) == {n for ns in COMMANDS.values() for n in ns}
    assert names(build_app(["no-such-command"])) == names(build_app([]))
    for commands in COMMANDS.values():
        for command in commands:
            assert names(build_app([command, "--help"])) == set(commands), command


def test_an_impossible_yaml_date_is_named_with_its_field_among_the_other_problems(
    portfolio: Cli, tmp_path: Path
) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("contracts:\n  - ref: A-1\n    start: 2027-02-30\n")
    done = portfolio.run("contracts", "import", str(path))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert lines[0] == "error: nothing imported: 6 problem(s)"
    assert f"  {path}:2: start: '2027-02-30' is not a date: day is out of range for month" in lines
    assert f"  {path}:2: title: is missing" in lines  # the bad date hides no other problem


def test_import_report_writes_every_problem_and_the_screen_counts_the_rest(portfolio: Cli, tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    rows = [f"C-{i:04d},T,P,HOM-2024-03,100,2026-02-30,3" for i in range(120)]
    path.write_text("\n".join(["ref,title,provider,project,value,start,term", *rows]) + "\n")
    report = tmp_path / "problems.csv"
    before = portfolio.dump()
    done = portfolio.run("contracts", "import", str(path), "--report", str(report))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "nothing imported: 120 problem(s)" in done.stderr
    assert "... and 20 more; --report FILE writes them all" in done.stderr
    assert len(report.read_text().splitlines()) == 121
    assert portfolio.dump() == before


def test_working_days_past_2060_are_refused_in_words_never_a_traceback(portfolio: Cli) -> None:
    """The hostile trial's case: a count of working days that reached 2061 (the bank-holiday calendar ends with
    2060) raised a ValueError shown as a traceback. A contract whose break notice or standstill needs such a day
    is refused naming the field; a look-ahead sweep that needs one says which reminder, and nothing is written."""
    add = ["contracts", "add", "--title", "t", "--provider", "p", "--project", "HOM-2024-03", "--value", "100"]
    before = portfolio.dump()
    done = portfolio.run(*add, "--ref", "L-1", "--start", "2058-01-01", "--term", "2+2",
                         "--break-notice", "10 working days", "--break-on", "2061-06-01")  # fmt: skip
    assert done.returncode == 1 and "Traceback" not in done.stderr + done.stdout
    assert ("command line: break_on: working days are known up to 2060-12-31; its 10 working days notice before "
            "2061-06-01 needs 2061-05-31") in done.stderr  # fmt: skip
    done = portfolio.run(*add, "--ref", "L-2", "--start", "2058-01-01", "--term", "3",
                         "--award-notice-on", "2060-12-28")  # fmt: skip
    assert done.returncode == 1 and "Traceback" not in done.stderr + done.stdout
    assert ("command line: award_notice_on: working days are known up to 2060-12-31; its standstill of 8 working "
            "days needs 2061-01-01") in done.stderr  # fmt: skip
    assert portfolio.dump() == before
    # A contract that runs past 2060 is taken (its key dates there need no working day); a sweep that looks
    # ahead to its reminders there is refused, in one line.
    portfolio.ok(*add, "--ref", "L-3", "--start", "2026-01-01", "--term", "40")
    line = portfolio.fails("sweep", "--dry-run", "--as-of", "2061-11-01")
    assert line.startswith("error: working days are known up to 2060-12-31; the reminder ") and " needs 2061-" in line
