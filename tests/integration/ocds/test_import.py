"""OCDS import on a real database: the 30 Contracts Finder packages, idempotence, variations, bad input."""

import copy
import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import func, select

from flows.common.errors import UserError
from flows.common.runtime import database
from flows.common.settings import Settings
from flows.ocds.importing import import_ocds
from flows.ocds.jsontext import dumps
from flows.ocds.validation import load_json
from models.contracts import Contract, ContractVariation
from models.cycle import Project
from models.db import unit_of_work
from models.ocds import OcdsAward, OcdsProcess
from tests.support.ocds import CONTRACTS_FINDER, CONTRACTS_FINDER_FILES

AS_OF = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


def _raw_awards() -> list[dict[str, Any]]:
    """Every award in the raw packages, read here from the JSON (not through the importer)."""
    awards = []
    for path in CONTRACTS_FINDER_FILES:
        with path.open() as f:
            package = json.load(f, parse_float=Decimal)
        for release in package["releases"]:
            awards += release.get("awards", [])
    return awards


def _counts(settings: Settings) -> dict[str, Any]:
    with unit_of_work(database(settings)) as session:
        return {
            "projects": session.exec(select(func.count()).select_from(Project)).one(),
            "contracts": session.exec(select(func.count()).select_from(Contract)).one(),
            "pence": session.exec(select(func.coalesce(func.sum(Contract.value_pence), 0))).one(),
            "processes": session.exec(select(func.count()).select_from(OcdsProcess)).one(),
            "awards": session.exec(select(func.count()).select_from(OcdsAward)).one(),
            "variations": session.exec(select(func.count()).select_from(ContractVariation)).one(),
        }


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_contracts_finder_packages_import(settings: Settings) -> None:
    awards = _raw_awards()
    ocids = {json.loads(p.read_text())["releases"][0]["ocid"] for p in CONTRACTS_FINDER_FILES}
    expected_pence = sum(int(a["value"]["amount"] * 100) for a in awards)

    report = import_ocds(settings, CONTRACTS_FINDER, as_of=AS_OF, actor="t")

    counts = _counts(settings)
    assert counts["projects"] == len(ocids) == 30
    assert counts["contracts"] == len(awards) == 30
    assert counts["pence"] == expected_pence
    assert counts["processes"] == 30 and counts["awards"] == 30
    assert report.refused_files == {} and report.skipped == []
    # the fields outside the schema that Contracts Finder carries are named, and kept in the compiled release
    for name in ("parties[].sme", "parties[].vco", "parties[].x_awardValue.currency", "tender.supplyChain"):
        assert name in report.outside_schema
    with unit_of_work(database(settings)) as session:
        stored = session.exec(select(OcdsProcess)).all()
        assert all('"sme"' in p.compiled for p in stored)
        assert {p.ocid for p in stored} == ocids
        stages = set(session.exec(select(Project.stage)).all())
    assert stages == {"review"}


def _every_field(value: Any, prefix: str = "") -> set[str]:
    if isinstance(value, dict):
        return {p for k, v in value.items() for p in _every_field(v, f"{prefix}.{k}" if prefix else k)}
    if isinstance(value, list):
        return {p for v in value for p in _every_field(v, f"{prefix}[]")}  # an empty list carries nothing
    return set() if value is None else {prefix}


def test_the_report_names_every_field_not_mapped(settings: Settings) -> None:
    report = import_ocds(settings, CONTRACTS_FINDER, as_of=AS_OF, actor="t")
    present: set[str] = set()
    for path in CONTRACTS_FINDER_FILES:
        for release in load_json(path)["releases"]:
            present |= _every_field(release)
    used = {"ocid", "id", "date", "tag[]", "buyer.id", "buyer.name", "parties[].id", "parties[].name"}
    used |= {"parties[].roles[]", "tender.id", "tender.title", "tender.description"}
    used |= {p for p in present if p.startswith(("awards[].", "tender.contractPeriod.")) and "description" not in p}
    assert set(report.unmapped) == present - used
    assert "awards[].description" in report.unmapped  # an award's description has nowhere to go


def test_a_second_import_changes_nothing(settings: Settings) -> None:
    import_ocds(settings, CONTRACTS_FINDER, as_of=AS_OF, actor="t")
    before = _counts(settings)
    report = import_ocds(settings, CONTRACTS_FINDER, as_of=AS_OF, actor="t")
    assert _counts(settings) == before
    assert len(report.unchanged) == 30 and report.contracts_added == [] and report.varied == []


def _package(release: dict[str, Any]) -> dict[str, Any]:
    return {
        "uri": "https://example.org/p.json",
        "version": "1.1",
        "publishedDate": "2026-01-01T00:00:00Z",
        "publisher": {"name": "test"},
        "releases": [release],
    }


def test_a_newer_release_varies_the_contract_with_the_notice_as_reason(settings: Settings, tmp_path: Path) -> None:
    first = CONTRACTS_FINDER_FILES[0]
    import_ocds(settings, first, as_of=AS_OF, actor="t")
    release = copy.deepcopy(load_json(first)["releases"][0])
    release["id"] += "-amended"
    release["date"] = "2026-11-01T00:00:00Z"
    release["awards"][0]["value"]["amount"] = Decimal("123456.78")
    newer = tmp_path / "newer.json"
    newer.write_text(dumps(_package(release)))

    report = import_ocds(settings, newer, as_of=AS_OF, actor="t")

    assert len(report.varied) == 1 and release["id"] in report.varied[0]
    with unit_of_work(database(settings)) as session:
        contract = session.exec(select(Contract)).one()
        variation = session.exec(select(ContractVariation)).one()
        process = session.exec(select(OcdsProcess)).one()
    assert contract.value_pence == 12345678
    assert release["id"] in variation.reason
    assert release["id"] in process.release_ids and len(process.release_ids) == 2
    again = import_ocds(settings, newer, as_of=AS_OF, actor="t")
    assert again.varied == [] and len(again.unchanged) == 1


def test_a_published_period_is_kept_to_the_day(settings: Settings, tmp_path: Path) -> None:
    release = copy.deepcopy(load_json(CONTRACTS_FINDER_FILES[0])["releases"][0])
    release["awards"][0]["contractPeriod"] = {
        "startDate": "2019-11-30T00:00:00Z",
        "endDate": "2021-10-31T00:00:00Z",
        "maxExtentDate": "2022-12-15T00:00:00Z",
    }
    path = tmp_path / "p.json"
    path.write_text(dumps(_package(release)))
    import_ocds(settings, path, as_of=AS_OF, actor="t")
    with unit_of_work(database(settings)) as session:
        contract = session.exec(select(Contract)).one()
        terms = contract.to_terms()
    from policies.contracts.clauses import expiry, max_extent

    assert (contract.start, expiry(terms), max_extent(terms)) == (
        dt.date(2019, 11, 30),
        dt.date(2021, 10, 31),
        dt.date(2022, 12, 15),
    )


@pytest.mark.parametrize(
    ("break_it", "path", "reason"),
    [
        (lambda r: r["awards"][0].__setitem__("date", ""), "$.releases[0].awards[0].date", "is not a date-time"),
        (
            lambda r: r["awards"][0]["value"].__setitem__("amount", "lots"),
            "$.releases[0].awards[0].value.amount",
            "is not a number",
        ),
        (lambda r: r.pop("ocid"), "$.releases[0].ocid", "is missing"),
    ],
)
def test_a_bad_file_refuses_only_its_own_processes(
    settings: Settings, tmp_path: Path, break_it: Any, path: str, reason: str
) -> None:
    good, bad = CONTRACTS_FINDER_FILES[0], CONTRACTS_FINDER_FILES[1]
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / good.name).write_bytes(good.read_bytes())
    package = load_json(bad)
    break_it(package["releases"][0])
    (folder / "bad.json").write_text(dumps(package))

    report = import_ocds(settings, folder, as_of=AS_OF, actor="t")

    [problem] = report.refused_files[str(folder / "bad.json")]
    assert problem.startswith(f"{path}: ") and reason in problem
    assert _counts(settings)["projects"] == 1
    with pytest.raises(UserError) as refused:
        import_ocds(settings, folder, as_of=AS_OF, actor="t", strict=True)
    assert f"{folder / 'bad.json'}: {path}" in str(refused.value)


def test_strict_writes_nothing(settings: Settings, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.json").write_bytes(CONTRACTS_FINDER_FILES[0].read_bytes())
    (folder / "b.json").write_text("not json")
    with pytest.raises(UserError, match=r"b\.json: is not JSON"):
        import_ocds(settings, folder, as_of=AS_OF, actor="t", strict=True)
    assert _counts(settings)["projects"] == 0


def test_record_packages_and_json_lines(settings: Settings, tmp_path: Path) -> None:
    releases = [load_json(p)["releases"][0] for p in CONTRACTS_FINDER_FILES[:3]]
    records = {
        "uri": "https://example.org/r.json",
        "version": "1.1",
        "publishedDate": "2026-01-01T00:00:00Z",
        "publisher": {"name": "test"},
        "records": [{"ocid": r["ocid"], "releases": [r]} for r in releases[:2]],
    }
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "records.json").write_text(dumps(records))
    (folder / "more.jsonl").write_text(dumps(_package(releases[2])) + "\n")
    report = import_ocds(settings, folder, as_of=AS_OF, actor="t")
    assert len(report.projects_added) == 3 and len(report.contracts_added) == 3
