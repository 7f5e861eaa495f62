"""Validation against the shipped schemas: real Contracts Finder data passes, a broken field is named by path."""

import copy
import json
from decimal import Decimal
from pathlib import Path

import pytest

from flows.ocds.schemas import Profile, release_schema
from flows.ocds.validation import load_json, validate_document, validate_file
from tests.support.ocds import CONTRACTS_FINDER_FILES as FILES


def test_there_are_thirty_packages() -> None:
    assert len(FILES) == 30


@pytest.mark.parametrize("profile", list(Profile))
def test_contracts_finder_packages_validate(profile: Profile) -> None:
    for path in FILES:
        assert validate_file(path, profile) == [], path


@pytest.mark.parametrize("profile", list(Profile))
def test_a_broken_field_is_named_by_its_path(profile: Profile) -> None:
    package = load_json(FILES[0])
    broken = copy.deepcopy(package)
    broken["releases"][0]["awards"][0]["date"] = ""
    broken["releases"][0]["awards"][0]["value"]["amount"] = "lots"
    paths = [p.path for p in validate_document(broken, profile)]
    assert paths == ["$.releases[0].awards[0].date", "$.releases[0].awards[0].value.amount"]


def test_the_uk_profile_has_the_uk_extension_fields() -> None:
    uk = release_schema(Profile.UK)
    assert "standstillPeriod" in uk["definitions"]["Award"]["properties"]
    assert "noticeType" in uk["definitions"]["Document"]["properties"]
    assert "agreedMetrics" in uk["definitions"]["Contract"]["properties"]
    assert "standstillPeriod" not in release_schema(Profile.CORE)["definitions"]["Award"]["properties"]


def test_a_uk_field_is_checked_only_by_the_uk_profile() -> None:
    package = load_json(FILES[0])
    package["releases"][0]["awards"][0]["standstillPeriod"] = {"startDate": "tomorrow"}
    assert validate_document(package, Profile.CORE) == []
    [problem] = validate_document(package, Profile.UK)
    assert problem.path == "$.releases[0].awards[0].standstillPeriod.startDate"


def test_json_lines_name_the_line(tmp_path: Path) -> None:
    package = load_json(FILES[0])
    good = json.dumps(package, default=str)
    package["releases"][0]["date"] = ""
    bad = json.dumps(package, default=str)
    path = tmp_path / "packages.jsonl"
    path.write_text(f"{good}\n{bad}\nnot json\n")
    problems = validate_file(path, Profile.CORE)
    assert [p.path for p in problems] == ["line 2: $.releases[0].date", "line 3"]


def test_money_is_read_as_decimal() -> None:
    package = load_json(FILES[0])
    amounts = [a["value"]["amount"] for r in package["releases"] for a in r.get("awards", [])]
    assert all(isinstance(a, int | Decimal) for a in amounts)
