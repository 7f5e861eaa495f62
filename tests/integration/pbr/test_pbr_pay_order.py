"""On SQLite a claims file is stored in pay order, whatever order it came in; every claim keeps its line.

A file spanning many quarters stored in file order spreads each quarter's claims over the whole table, and a
payment run then writes to every page of it (flows/pbr/claims_parallel.py, ``PAY_ORDER``). So on SQLite the
claims go in by contract, day achieved, then line, on each of the import's paths: a small file sorted in memory,
a big one staged in a side file in one process (a cap in reach), or by every worker. Only the claims' ids
follow that order: each claim is still the row of its line, and the report still names the rows by line.
PostgreSQL stores them in file order.
"""

import csv
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

import flows.pbr.claims_import as claims_import
from flows.common.runtime import database
from flows.common.settings import Settings
from flows.pbr.claims_import import import_claims
from models.db import unit_of_work
from tests.integration.pbr.test_pbr_parallel import AS_OF, B, forks, two_contracts, write_files

__all__ = ["forks", "two_contracts"]  # fixtures


def stored(settings: Settings) -> list[tuple[Any, ...]]:
    """(contract id, achieved_on, line, ref, participant, outcome, verdict) of every claim, in id order."""
    with unit_of_work(database(settings)) as session:
        rows = session.connection().execute(
            text("SELECT contract_id, achieved_on, line, ref, participant, outcome, verdict FROM pbr_claim ORDER BY id")
        )
        return [tuple(r) for r in rows]


def file_rows(path: Path) -> dict[int, tuple[str, str, str, str]]:
    """(ref, participant, outcome, achieved_on) of each line of a claims file, by line (the header is line 1)."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        return {
            n: (row["claim_ref"], row["participant"], row["outcome"], row["achieved_on"])
            for n, row in enumerate(reader, start=2)
        }


@pytest.mark.parametrize("path", ["sorted in memory", "staged in one process", "staged by two workers"])
def test_a_file_out_of_day_order_is_stored_in_pay_order_and_each_claim_keeps_its_line(
    two_contracts: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    backend: str,
    forks: list[int],
    path: str,
) -> None:
    if path == "staged in one process":
        monkeypatch.setattr(claims_import, "PARALLEL_FROM", 100)  # this file counts as big
    _, claims = write_files(tmp_path, B)  # a year of claims, shuffled
    lines = file_rows(claims)
    days = [lines[n][3] for n in sorted(lines)]
    assert days != sorted(days)  # the file is out of day order

    report = import_claims(two_contracts, claims, as_of=AS_OF, actor="finance", workers=2 if "two" in path else 1)

    assert forks == ([2] if "two" in path and backend == "sqlite" else [])
    rows = stored(two_contracts)
    assert len(rows) == report.added > 600
    in_order = [(contract, str(day), line) for contract, day, line, *_ in rows]
    if backend == "sqlite":
        assert in_order == sorted(in_order)  # ids ascend by (contract, day achieved, line)
    else:
        assert [line for _, _, line in in_order] == sorted(line for _, _, line in in_order)  # file order
    by_line = {line: (ref, participant, outcome, str(day), verdict) for _, day, line, ref, participant, outcome,
               verdict in rows}  # fmt: skip
    for line, (ref, participant, outcome, day, _) in by_line.items():
        assert lines[line] == (ref, participant, outcome, day)  # each claim is the row of its line
    listed = report.as_dict()["rejections"]
    assert listed and [r["line"] for r in listed] == sorted(r["line"] for r in listed)
    for rejection in listed:
        ref, participant, outcome, _, verdict = by_line[rejection["line"]]
        assert (rejection["claim_ref"], rejection["participant"], rejection["outcome"], rejection["verdict"]) == (
            ref,
            participant,
            outcome,
            verdict,
        )
