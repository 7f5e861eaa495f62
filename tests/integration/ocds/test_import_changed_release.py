"""A release id already imported, given again later with other contents, is refused (migration 0032), naming the
file, the JSON path, the release id and when it was first imported; the same contents again are a no-op, however
they are written (key order, spacing, 93527 or 93527.00)."""

import copy
import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlmodel import select

from flows.common.runtime import database
from flows.common.settings import Settings
from flows.ocds.importing import import_ocds
from flows.ocds.jsontext import canonical_digest, dumps
from flows.ocds.validation import load_json
from models.contracts import Contract, ContractVariation
from models.db import unit_of_work
from models.ocds import OcdsProcess
from tests.support.ocds import CONTRACTS_FINDER_FILES

FIRST = dt.datetime(2026, 11, 2, 9, 30, tzinfo=dt.UTC)
LATER = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


def _package(*releases: dict[str, Any]) -> dict[str, Any]:
    return {"uri": "https://example.org/p.json", "version": "1.1", "publishedDate": "2026-01-01T00:00:00Z",
            "publisher": {"name": "test"}, "releases": list(releases)}  # fmt: skip


def _state(settings: Settings) -> tuple[Any, ...]:
    with unit_of_work(database(settings)) as session:
        process = session.exec(select(OcdsProcess)).one()
        values = sorted(c.value_pence for c in session.exec(select(Contract)))
        variations = len(list(session.exec(select(ContractVariation))))
        return process.release_ids, process.release_digests, process.compiled, values, variations


def _imported_first(settings: Settings, tmp_path: Path) -> dict[str, Any]:
    """The first Contracts Finder release, imported as first.json on FIRST; returned as read."""
    release = load_json(CONTRACTS_FINDER_FILES[0])["releases"][0]
    (tmp_path / "first.json").write_text(dumps(_package(release)))
    import_ocds(settings, tmp_path / "first.json", as_of=FIRST, actor="t")
    return release


def test_a_release_id_given_again_with_other_contents_is_refused_naming_file_id_and_first_import(
    settings: Settings, tmp_path: Path
) -> None:
    release = _imported_first(settings, tmp_path)
    before = _state(settings)
    assert list(before[1]) == [release["id"]]

    changed = copy.deepcopy(release)
    changed["awards"][0]["value"]["amount"] = Decimal("123456.78")
    newer = copy.deepcopy(release)
    newer["id"] += "-amended"
    newer["date"] = "2026-11-20T00:00:00Z"
    later = tmp_path / "later.json"
    later.write_text(dumps(_package(newer, changed)))
    report = import_ocds(settings, later, as_of=LATER, actor="t")

    assert report.refused_files == {
        str(later): [
            f'$.releases[1].id: "{release["id"]}" of {release["ocid"]} was first imported 2026-11-02 09:30 UTC '
            "with other contents; a published release is not changed: publish the change as a new release with "
            "its own id"
        ]
    }
    assert report.refused_processes == [release["ocid"]] and report.unchanged == [] and report.varied == []
    assert _state(settings) == before  # nothing of the process written, not even the newer release


def test_the_same_contents_again_however_written_are_unchanged(settings: Settings, tmp_path: Path) -> None:
    release = _imported_first(settings, tmp_path)
    before = _state(settings)
    same = copy.deepcopy(release)
    amount = same["awards"][0]["value"]["amount"]
    same["awards"][0]["value"]["amount"] = Decimal(f"{amount:.2f}")  # 93527 as 93527.00
    again = tmp_path / "again.json"
    again.write_text(dumps(_package(dict(reversed(list(same.items())))), indent=3))  # other key order, spacing
    assert f"{amount:.2f}" in again.read_text() and again.read_text() != (tmp_path / "first.json").read_text()

    report = import_ocds(settings, again, as_of=LATER, actor="t")

    assert report.refused_files == {} and report.unchanged == [release["ocid"]]
    assert _state(settings) == before


def test_a_release_imported_before_0032_has_no_digest_and_is_taken_as_before(
    settings: Settings, tmp_path: Path
) -> None:
    release = _imported_first(settings, tmp_path)
    with database(settings).begin() as conn:
        conn.execute(text("UPDATE ocds_process SET release_digests = NULL"))  # as 0032 leaves an older row
    changed = copy.deepcopy(release)
    changed["awards"][0]["value"]["amount"] = Decimal("123456.78")
    later = tmp_path / "later.json"
    later.write_text(dumps(_package(changed)))

    report = import_ocds(settings, later, as_of=LATER, actor="t")

    assert report.refused_files == {} and report.unchanged == [release["ocid"]]  # unknown: it cannot be told


def test_numbers_past_the_decimal_context_are_told_apart_and_never_overflow(settings: Settings, tmp_path: Path) -> None:
    # the digest wrote numbers through normalize(), which rounds past 28 digits and raised decimal.Overflow on
    # 1e1000000 in any field (an extension's too): a traceback from `ocds import` (review)
    long_a, long_b = Decimal("1" + "0" * 40 + "1"), Decimal("1" + "0" * 40 + "2")
    assert canonical_digest({"x": long_a}) != canonical_digest({"x": long_b})
    assert canonical_digest({"x": Decimal("1500.5")}) == canonical_digest({"x": Decimal("1.50050E3")})
    release = load_json(CONTRACTS_FINDER_FILES[0])["releases"][0]
    release["x_note"] = Decimal("1e1000000")
    big = tmp_path / "big.json"
    big.write_text(dumps(_package(release)))
    report = import_ocds(settings, big, as_of=FIRST, actor="t")
    assert report.refused_files == {} and list(_state(settings)[1]) == [release["id"]]
