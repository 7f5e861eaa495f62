"""Contracts through the CLI: import both example files, see what is due, export the calendar."""

import datetime as dt
from pathlib import Path

import pytest
from icalendar import Calendar

from tests.e2e.conftest import Cli

EXAMPLES = Path(__file__).parents[2] / "examples"
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
        (["contracts", "import", "missing.csv"], "missing.csv: cannot be read"),
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
