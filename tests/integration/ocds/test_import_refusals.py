"""What the import refuses and ``ocds validate`` refuses alike, each by file and JSON path: an amount too large for
pence, a negative value, two releases under one id, and a thing done dated after the import's as-of."""

import copy
import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import func, select

from flows.common.runtime import database
from flows.common.settings import Settings
from flows.ocds.importing import import_ocds
from flows.ocds.jsontext import dumps
from flows.ocds.schemas import Profile
from flows.ocds.validation import check_file, check_target, load_json
from models.contracts import Contract
from models.db import unit_of_work
from tests.support.ocds import CONTRACTS_FINDER_FILES

AS_OF = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 12, 1)
CONTRACT = "$.releases[0].contracts[0]"


def _release() -> dict[str, Any]:
    """The BFI's Cannes stand (2019-2020) as a Contracts Finder award release, with its contract published."""
    release: dict[str, Any] = load_json(CONTRACTS_FINDER_FILES[0])["releases"][0]
    award = release["awards"][0]
    release["contracts"] = [
        {
            "id": "C-1",
            "awardID": award["id"],
            "status": "active",
            "value": {"amount": 93527, "currency": "GBP"},
            "period": copy.deepcopy(award["contractPeriod"]),
            "dateSigned": "2019-12-02T00:00:00Z",
        }
    ]
    return release


def _write(tmp_path: Path, releases: list[dict[str, Any]]) -> Path:
    package = load_json(CONTRACTS_FINDER_FILES[0])
    package["releases"] = releases
    path = tmp_path / "in.json"
    path.write_text(dumps(package))
    return path


def _too_large(r: dict[str, Any]) -> list[dict[str, Any]]:
    r["contracts"][0]["value"]["amount"] = int("9" * 400)
    return [r]


def _negative(r: dict[str, Any]) -> list[dict[str, Any]]:
    r["contracts"][0]["value"]["amount"] = -5000
    return [r]


def _same_id_other_contents(r: dict[str, Any]) -> list[dict[str, Any]]:
    other = copy.deepcopy(r)
    other["tender"]["title"] = "Another stand"
    return [r, other]


def _same_id_same_contents(r: dict[str, Any]) -> list[dict[str, Any]]:
    return [r, copy.deepcopy(r)]


def _award_in_2030(r: dict[str, Any]) -> list[dict[str, Any]]:
    r["awards"][0]["date"] = "2030-01-01T00:00:00Z"
    return [r]


def _signed_tomorrow(r: dict[str, Any]) -> list[dict[str, Any]]:
    r["contracts"][0]["dateSigned"] = "2026-12-02T00:00:00Z"
    return [r]


def _paid_in_2027(r: dict[str, Any]) -> list[dict[str, Any]]:
    value = {"amount": Decimal("1000.00"), "currency": "GBP"}
    r["contracts"][0]["implementation"] = {
        "transactions": [{"id": "T1", "date": "2027-01-04T00:00:00Z", "value": value}]
    }
    return [r]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
@pytest.mark.parametrize(
    ("break_it", "problem"),
    [
        (_too_large, f"{CONTRACT}.value.amount: too large"),
        (_negative, f"{CONTRACT}.value.amount: cannot be negative"),
        (_same_id_other_contents, "$.releases[1].id: "),
        (_same_id_same_contents, "$.releases[1].id: "),
        (_award_in_2030, "$.releases[0].awards[0].date: 2030-01-01 is in the future (after 2026-12-01)"),
        (_signed_tomorrow, f"{CONTRACT}.dateSigned: 2026-12-02 is in the future (after 2026-12-01)"),
        (_paid_in_2027, f"{CONTRACT}.implementation.transactions[0].date: 2027-01-04 is in the future"),
    ],
)
def test_validate_and_import_refuse_it_alike_by_path(
    settings: Settings, tmp_path: Path, break_it: Any, problem: str
) -> None:
    path = _write(tmp_path, break_it(_release()))

    said = [str(p) for p in check_file(path, Profile.CORE, today=TODAY)]
    report = import_ocds(settings, path, as_of=AS_OF, actor="t")

    [refused] = report.refused_files[str(path)]
    assert refused.startswith(problem)
    assert refused in said
    with unit_of_work(database(settings)) as session:
        assert session.exec(select(func.count()).select_from(Contract)).one() == 0


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_a_contract_signed_and_a_standstill_ending_on_the_as_of_day_are_taken(
    settings: Settings, tmp_path: Path
) -> None:
    release = _release()
    release["contracts"][0]["dateSigned"] = "2026-12-01T23:30:00Z"  # the as-of day, late in it: not the future
    release["awards"][0]["date"] = "2026-11-20T00:00:00Z"
    release["awards"][0]["standstillPeriod"] = {"startDate": "2026-11-21T00:00:00Z", "endDate": "2026-12-04T00:00:00Z"}
    path = _write(tmp_path, [release])

    assert check_file(path, Profile.CORE, today=TODAY) == []
    report = import_ocds(settings, path, as_of=AS_OF, actor="t")
    assert report.refused_files == {} and len(report.contracts_added) == 1


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_one_release_id_with_other_contents_in_two_files_of_a_folder_refuses_its_process_naming_both(
    settings: Settings, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    first, other = _release(), _same_id_other_contents(_release())[1]
    (_write(tmp_path, [first])).rename(folder / "a.json")
    (_write(tmp_path, [other])).rename(folder / "b.json")
    report = import_ocds(settings, folder, as_of=AS_OF, actor="t")
    problem = (
        f'$.releases[0].id: "{first["id"]}" is also the id of {folder / "a.json"}: $.releases[0], '
        "with different contents"
    )
    assert report.refused_files == {str(folder / "b.json"): [problem]}  # the first file used to win silently
    said = check_target(folder, Profile.CORE, today=TODAY)  # ocds validate takes a folder as the import does
    assert [(path, str(p)) for path, p in said] == [(folder / "b.json", problem)]
    assert report.refused_processes == [first["ocid"]]
    with unit_of_work(database(settings)) as session:
        assert session.exec(select(func.count()).select_from(Contract)).one() == 0


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_the_same_release_in_two_files_of_a_folder_is_one_release(settings: Settings, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (_write(tmp_path, [_release()])).rename(folder / "a.json")
    (_write(tmp_path, [_release()])).rename(folder / "b.json")  # overlapping downloads
    assert check_target(folder, Profile.CORE, today=TODAY) == []
    report = import_ocds(settings, folder, as_of=AS_OF, actor="t")
    assert report.refused_files == {} and len(report.contracts_added) == 1
