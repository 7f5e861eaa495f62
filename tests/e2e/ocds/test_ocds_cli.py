"""commission ocds validate / import / export, as a user runs them."""

import json
from pathlib import Path

from tests.e2e.conftest import Cli
from tests.support.ocds import CONTRACTS_FINDER, CONTRACTS_FINDER_FILES


def test_validate_names_each_error_by_path(cli: Cli, tmp_path: Path) -> None:
    assert "valid OCDS (uk profile)" in cli.ok("ocds", "validate", str(CONTRACTS_FINDER_FILES[0]), "--profile", "uk")
    package = json.loads(CONTRACTS_FINDER_FILES[0].read_text())
    package["releases"][0]["awards"][0]["date"] = ""
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(package))
    done = cli.run("ocds", "validate", str(bad))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert f"{bad}: $.releases[0].awards[0].date: '' is not a 'date-time'" in done.stderr
    assert cli.fails("ocds", "validate", str(bad), "--profile", "eu").endswith("'eu' is not a profile; use core or uk")


def test_import_then_export(initialised: Cli, tmp_path: Path) -> None:
    out = initialised.ok("ocds", "import", str(CONTRACTS_FINDER))
    assert "Added 30 project(s)" in out and "Added 30 contract(s)" in out
    assert "parties[].sme (outside the schema): 30 process(es)" in out
    assert "Already there, unchanged: 30 process(es)." in initialised.ok("ocds", "import", str(CONTRACTS_FINDER))
    target = tmp_path / "all.json"
    out = initialised.ok("ocds", "export", "--all", "-o", str(target), "--profile", "uk")
    assert "60 release(s) for 30 contract(s) in 30 process(es), valid against the uk profile" in out
    assert "valid OCDS" in initialised.ok("ocds", "validate", str(target), "--profile", "uk")
    assert "contactPoint" not in target.read_text()
    initialised.ok("ocds", "export", "--all", "-o", str(target), "--include-contacts")
    assert "contactPoint" in target.read_text()
    line = initialised.fails("ocds", "export", "-o", str(target))
    assert "one of --contract REF, --project REF or --all" in line


def test_a_bad_file_is_refused_by_name_and_strict_refuses_all(initialised: Cli, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.json").write_bytes(CONTRACTS_FINDER_FILES[0].read_bytes())
    (folder / "broken.json").write_text("{not json")
    strict = initialised.run("ocds", "import", str(folder), "--strict")
    assert strict.returncode == 1 and "Traceback" not in strict.stderr
    assert f"{folder / 'broken.json'}: is not JSON" in strict.stderr
    assert "Added" not in strict.stdout
    done = initialised.run("ocds", "import", str(folder))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert f"REFUSED {folder / 'broken.json'}: is not JSON" in done.stderr
    assert "Added 1 project(s)" in done.stdout


def test_the_demo_exports_its_performance_with_the_uk_profile(initialised: Cli, tmp_path: Path) -> None:
    initialised.ok("demo")
    target = tmp_path / "hom.json"
    out = initialised.ok("ocds", "export", "--contract", "HOM-2024-03-C1", "-o", str(target), "--profile", "uk")
    assert "valid against the uk profile" in out
    assert "Performance: 3 KPI(s) as agreedMetrics, 24 rated reading(s) as observations, 1 notice(s)" in out
    assert "valid OCDS" in initialised.ok("ocds", "validate", str(target), "--profile", "uk")
    package = json.loads(target.read_text())
    [contract] = [c for r in package["releases"] for c in r.get("contracts", [])]
    [document] = contract["documents"]
    assert (document["noticeType"], document["id"]) == ("UK9", "031416-2026")
    contract["implementation"]["metrics"][2]["observations"][5]["period"]["endDate"] = "2025-12-31"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(package))
    done = initialised.run("ocds", "validate", str(bad), "--profile", "uk")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    where = "$.releases[1].contracts[0].implementation.metrics[2].observations[5].period.endDate"
    assert f"{bad}: {where}: '2025-12-31' is not a 'date-time'" in done.stderr


def test_a_release_given_again_with_other_contents_is_refused_in_one_line(initialised: Cli, tmp_path: Path) -> None:
    initialised.ok("ocds", "import", str(CONTRACTS_FINDER_FILES[0]))
    package = json.loads(CONTRACTS_FINDER_FILES[0].read_text())
    package["releases"][0]["awards"][0]["value"]["amount"] = 1
    changed = tmp_path / "changed.json"
    changed.write_text(json.dumps(package))
    done = initialised.run("ocds", "import", str(changed))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    [line] = [x for x in done.stderr.splitlines() if x.startswith("REFUSED")]
    rid = package["releases"][0]["id"]
    assert line.startswith(f'REFUSED {changed}: $.releases[0].id: "{rid}" of ')
    assert "was first imported" in line and "with other contents" in line
    assert "Refused 1 process(es)" in done.stdout and "Added" not in done.stdout


def test_a_contract_period_outside_the_years_1900_to_2200_is_refused_by_path(initialised: Cli, tmp_path: Path) -> None:
    """The hostile trial's case: 1899 to 2201 was valid and imported with about 1,200 key dates; 0001 to 9999 gave
    a generic "year 10000 is out of range" naming no file or path."""
    for start, end in (("1899-01-01", "2201-12-31"), ("0001-01-01", "9999-12-31")):
        package = json.loads(CONTRACTS_FINDER_FILES[0].read_text())
        package["releases"][0]["awards"][0]["contractPeriod"] = {
            "startDate": f"{start}T00:00:00Z",
            "endDate": f"{end}T00:00:00Z",
        }
        bad = tmp_path / f"bad-{start[:4]}.json"
        bad.write_text(json.dumps(package))
        path = f"{bad}: $.releases[0].awards[0].contractPeriod"
        for command in ("validate", "import"):
            done = initialised.run("ocds", command, str(bad))
            assert done.returncode == 1 and "Traceback" not in done.stdout + done.stderr, done.stderr
            assert f"{path}.startDate: {start} is outside the years 1900-2200" in done.stderr, done.stderr
            assert f"{path}.endDate: {end} is outside the years 1900-2200" in done.stderr
    assert initialised.json("contracts", "list") == []
