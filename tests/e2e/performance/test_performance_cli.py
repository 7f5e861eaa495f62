"""Contract performance through the CLI: KPIs with the contract, readings imported, bad input refused in words
with nothing written, a UK9 notice prepared and published, the portfolio worst first."""

import csv
import json
from pathlib import Path

import pytest

from tests.e2e.conftest import Cli

CONTRACT = """\
contracts:
  - ref: HF-2025-01
    title: Housing First
    provider: Northbridge YP Trust
    project: HOM-2024-03
    value: "6,000,000"
    start: 2025-04-01
    term: 3+1
    kpis:
      - name: Tenancies sustained
        measure: "% of tenancies sustained at 12 months"
        unit: percentage
        target: "85"
        direction: higher
      - name: Days to first appointment
        unit: days
        target: "10"
        direction: lower
        bands: {approaching: "12", requires_improvement: "15"}
      - "Cost per person: money 12000 lower"
"""


@pytest.fixture
def contract(initialised: Cli, tmp_path: Path) -> Cli:
    initialised.ok("project", "add", "--ref", "HOM-2024-03", "--title", "Housing", "--area", "Housing",
                   "--owner", "o", "--stage", "review", "--as-of", "2024-01-01")  # fmt: skip
    path = tmp_path / "contract.yaml"
    path.write_text(CONTRACT, encoding="utf-8")
    initialised.ok("contracts", "import", str(path), "--as-of", "2025-03-01")
    return initialised


def test_bands_pointing_the_wrong_way_refuse_the_contract(initialised: Cli, tmp_path: Path) -> None:
    initialised.ok("project", "add", "--ref", "HOM-2024-03", "--title", "H", "--area", "H", "--owner", "o",
                   "--as-of", "2024-01-01")  # fmt: skip
    path = tmp_path / "contract.yaml"
    path.write_text(CONTRACT.replace('approaching: "12"', 'approaching: "8"'), encoding="utf-8")
    before = initialised.dump()
    done = initialised.run("contracts", "import", str(path), "--as-of", "2025-03-01")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert (
        f"{path}:2: kpis[2].bands: for a KPI where lower is better the edges must rise above the target" in done.stderr
    )
    assert initialised.dump() == before


def test_readings_notices_and_the_portfolio(contract: Cli, tmp_path: Path) -> None:
    cli = contract
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "contract,kpi,period,value\n"
        "HF-2025-01,Tenancies sustained,2025-Q2,101\n"  # a percentage over 100
        "HF-2025-01,Wellbeing,2025-Q2,3\n"  # no such KPI
        "HF-2025-01,Days to first appointment,2024-Q4,3\n",  # before the contract's life
        encoding="utf-8",
    )
    before = cli.dump()
    done = cli.run("kpis", "import", str(bad))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.splitlines() == [
        "error: nothing imported: 3 problem(s)",
        f"  {bad}:2: value: 101 is over 100, and this KPI is a percentage",
        f"  {bad}:3: kpi: 'Wellbeing' is not a KPI of HF-2025-01 (its KPIs: Cost per person, Days to first "
        "appointment, Tenancies sustained)",
        f"  {bad}:4: period: 2024-Q4 ends before the contract starts (2025-04-01)",
    ]
    assert cli.dump() == before

    good = tmp_path / "readings.csv"
    good.write_text(
        "contract,kpi,period,value\n"
        "HF-2025-01,Tenancies sustained,2025-Q2,86\n"  # Good
        "HF-2025-01,Tenancies sustained,2026-Q1,75\n"  # Requires improvement (70 to 80)
        "HF-2025-01,Days to first appointment,2026-Q1,11\n"  # Approaching target (10 to 12)
        "HF-2025-01,Cost per person,2026-Q1,11000\n",  # Good (lower is better)
        encoding="utf-8",
    )
    assert "Imported 4 reading(s) for 1 contract(s)" in cli.ok("kpis", "import", str(good))
    assert "0 reading(s)" in cli.ok("kpis", "import", str(good))  # again: nothing new
    refused = cli.fails(
        "kpis", "correct", "HF-2025-01", "--kpi", "Tenancies sustained", "--period", "2026-Q1", "--value", "120",
        "--reason", "typo",
    )  # fmt: skip
    assert refused == "error: --value: 120 is over 100, and this KPI is a percentage"

    export = tmp_path / "performance.csv"
    entries = cli.json("performance", "--export", str(export))
    assert [(e["contract"], e["worst"], e["uk9_overdue"]) for e in entries] == [
        ("HF-2025-01", "requires_improvement", True)  # the first UK9 was due 1 April 2026
    ]
    with export.open(encoding="utf-8") as f:
        assert [r["rating"] for r in csv.DictReader(f)] == ["Good", "Approaching target", "Requires improvement"]

    prepared = cli.json(
        "notices", "prepare", "HF-2025-01", "--period", "2025-04-01..2026-03-31", "--as-of", "2026-04-15"
    )
    assert {k["name"]: k["rating"] for k in prepared["kpis"]}["Tenancies sustained"] == "Requires improvement"
    out = cli.ok("notices", "publish", "HF-2025-01", "--on", "2026-04-20", "--reference", "012345-2026")
    assert "it satisfies performance_notice:1" in out
    again = cli.fails(
        "notices", "publish", "HF-2025-01", "--on", "2026-04-20", "--reference", "012345-2026",
        "--period", "2025-04-01..2026-03-31",
    )  # fmt: skip
    assert again.endswith("was published on 2026-04-20 as 012345-2026; it is kept as published")
    assert cli.json("performance")[0]["uk9_overdue"] is False

    breach = cli.json("performance", "breach", "HF-2025-01", "--on", "2026-11-03", "--reason", "Safeguarding failure")
    assert breach["notice_due"] == "2026-12-03"
    charts = tmp_path / "charts"
    cli.ok("performance", "chart", "HF-2025-01", "-o", str(charts))
    assert sorted(p.name for p in charts.iterdir()) == [
        "HF-2025-01-cost-per-person.svg", "HF-2025-01-days-to-first-appointment.svg",
        "HF-2025-01-tenancies-sustained.svg",
    ]  # fmt: skip
    history = [e["action"] for e in cli.json("contracts", "show", "HF-2025-01")["history"]]
    assert {"KpiReadingsRecorded", "Uk9NoticePrepared", "Uk9NoticePublished", "BreachRecorded"} <= set(history)
    assert json.loads(json.dumps(prepared))["supplier"] == "Northbridge YP Trust"


def test_a_reading_corrected_then_overridden_from_the_cli(contract: Cli, tmp_path: Path) -> None:
    cli = contract
    good = tmp_path / "readings.csv"
    good.write_text(
        "contract,kpi,period,value\nHF-2025-01,Tenancies sustained,2026-Q1,75\n",  # Requires improvement (70 to 80)
        encoding="utf-8",
    )
    cli.ok("kpis", "import", str(good))
    reading = ("HF-2025-01", "--kpi", "Tenancies sustained", "--period", "2026-Q1")
    out = cli.ok("kpis", "correct", *reading, "--value", "86", "--reason", "typed 75 for 86")
    assert "HF-2025-01 Tenancies sustained 2026-Q1: 75 (Requires improvement) -> 86 (Good)." in out
    assert "already reads 86" in cli.ok("kpis", "correct", *reading, "--value", "86", "--reason", "again")
    rated = cli.json("performance", "override", *reading, "--rating", "Other", "--reason", "data gap agreed")
    assert (rated["after"]["override"], rated["after"]["rating"]) == ("other", "good")
    out = cli.ok("performance", "override", *reading, "--rating", "computed", "--reason", "gap closed")
    assert out.strip().endswith("2026-Q1: rated Good.")
