"""A big claims file decided in several processes is stored exactly as one process would store it.

On SQLite, a claims import with enough claims and no contract or outcome cap in reach decides shares of
whole participants in forked worker processes, which write their rows to side files that the import's
own transaction moves in (flows/common/workers.py, flows.pbr.claims_parallel.decide_in_parallel and
move_in). These tests import the same claims for two identical contracts, one with one worker and
one with two, and compare every stored row; they also make a worker fail, and the parent fail, and
check that nothing is kept and nothing is left behind. On PostgreSQL the import always decides in one
process: the same comparison holds.
"""

import csv
import datetime as dt
import os
import random
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

import flows.pbr.claims_parallel as claims_parallel
from flows.common.errors import UserError
from flows.common.runtime import database
from flows.common.settings import Settings
from flows.pbr.claims_import import import_claims
from flows.pbr.participants import import_participants
from flows.pbr.ratecards import import_rate_card
from models.db import unit_of_work
from tests.integration.pbr.test_pbr_imports import add_contract, counts, variant
from tests.support.builders import fcf_contract

AS_OF = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)  # every claim but one achieved by then
A, B = "FCF-2025-01", "FCF-2025-02"
PEOPLE = 240
# The card with room for every claim the file makes: no outcome or contract cap can be reached.
ROOMY = (("cohort: 300 ", "cohort: 5000 "),)
COLUMNS = (
    "line, ref, fingerprint, participant, outcome, achieved_on, evidence, amount_pence, claimed_pence, "
    "price_pence, payable_pence, capped_pence, verdict, reasons, notes"
)


def write_files(folder: Path, contract: str) -> tuple[Path, Path]:
    """Participants and a seeded claims file with every kind of decision, for ``contract``.

    Participants follow accommodation and employment tracks; about one claim in ten is made wrong (too
    early, without its prerequisite, without evidence, for an unknown participant, achieved after the
    import's date, a reference reused by
    another participant far away in the file, above the price, one part-time and full-time pair, and
    rows sent twice); one participant runs into the £15,000 participant cap."""
    rnd = random.Random(20251001)
    people = folder / f"{contract}-participants.csv"
    claims = folder / f"{contract}-claims.csv"
    referrals = []
    with people.open("w", encoding="utf-8") as out:
        out.write("contract,participant,referral_date,date_of_birth\n")
        for n in range(PEOPLE):
            referral = dt.date(2025, 10, 1) + dt.timedelta(days=rnd.randint(0, 120))
            referrals.append(referral)
            out.write(f"{contract},P-{n:04d},{referral},2005-03-0{1 + n % 9}\n")
    rows: list[tuple[str, ...]] = []

    def claim(who: str, outcome: str, day: dt.date, amount: str = "", evidence: str = "") -> None:
        rows.append((f"R-{len(rows):05d}", who, outcome, day.isoformat(), amount, evidence))

    for n, referral in enumerate(referrals):
        who = f"P-{n:04d}"
        entry = referral + dt.timedelta(days=rnd.randint(3, 40))
        claim(who, "ACC_ENTRY", entry, evidence="tenancy_agreement")
        claim(who, "ACC_S3", entry + dt.timedelta(days=rnd.choice([40, 95, 100])), evidence="tenancy_check")
        job = referral + dt.timedelta(days=rnd.randint(10, 60))
        claim(who, "EMP_ENTRY", job, amount=rnd.choice(["", "", "500.00", "650.00", "420.50"]), evidence="payslip")
        if n % 7 == 0:
            claim(who, "EMP_FT13", job + dt.timedelta(days=95), evidence="payslip")
            claim(who, "EMP_PT13", job + dt.timedelta(days=96), evidence="payslip")  # mutually exclusive
        elif n % 5 == 0:
            claim(who, "EMP_FT26", job + dt.timedelta(days=200), evidence="payslip")  # no 13-week outcome
        elif n % 11 == 0:
            claim(who, "ACC_S6", entry + dt.timedelta(days=190), evidence="")  # evidence missing
    claim("P-9999", "ACC_ENTRY", dt.date(2026, 1, 5), evidence="tenancy_agreement")  # unknown participant
    for code, day in (
        ("EDU_ENTRY", "2026-07-06"),
        ("EDU_ENTRY_LEVEL", "2026-08-03"),
        ("EDU_L1", "2026-08-03"),
        ("EDU_L2", "2026-08-03"),
        ("EMP_FT13", "2026-08-03"),
        ("EMP_FT26", "2026-11-09"),
    ):  # P-0001 runs into the participant cap
        claim("P-0001", code, dt.date.fromisoformat(day), evidence="enrolment,certificate,payslip")
    claim("P-0002", "EDU_ENTRY", AS_OF.date() + dt.timedelta(days=1), evidence="enrolment")  # in the future
    rows.append((rows[5][0], "P-0200", "ACC_ENTRY", "2026-02-02", "", "tenancy_agreement"))  # reference reused
    rows.extend(rows[i] for i in (3, 77, 150))  # sent twice
    rnd.shuffle(rows)  # a provider's file in no particular order
    with claims.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["contract", "claim_ref", "participant", "outcome", "achieved_on", "amount", "evidence"])
        writer.writerows([contract, *row] for row in rows)
    return people, claims


@pytest.fixture
def two_contracts(settings: Settings, tmp_path: Path) -> Settings:
    """Contracts A and B on the same roomy card, with the same participants."""
    fcf_contract(settings, card=variant(tmp_path, "a.yaml", *ROOMY))
    add_contract(settings, B, value="1500000")  # worth the card's £1.5m contract cap
    when = dt.datetime(2025, 9, 1, tzinfo=dt.UTC)
    import_rate_card(
        settings, variant(tmp_path, "b.yaml", *ROOMY, (f"contract: {A}", f"contract: {B}")), as_of=when, actor="a"
    )
    for contract in (A, B):
        people, _ = write_files(tmp_path, contract)
        import_participants(settings, people, as_of=AS_OF, actor="a")  # after the last referral
    return settings


def stored_rows(settings: Settings, contract: str) -> list[tuple[Any, ...]]:
    """Every stored claim of ``contract`` in the order stored, as it reads with the contract left out."""
    with unit_of_work(database(settings)) as session:
        rows = session.connection().execute(
            text(
                f"SELECT {COLUMNS} FROM pbr_claim WHERE contract_id = (SELECT id FROM contract WHERE ref = :c) "
                "ORDER BY id"
            ),
            {"c": contract},
        )
        return [tuple(r) for r in rows]


@pytest.fixture
def forks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many shares each shared-out import had (empty when the claims were decided in one process)."""
    seen: list[int] = []
    share_out = claims_parallel.in_parallel

    def counting(shares: Any, work: Any, folder: Path) -> Any:
        seen.append(len(shares))
        return share_out(shares, work, folder)

    monkeypatch.setattr(claims_parallel, "in_parallel", counting)
    return seen


def report_figures(report: Any) -> dict[str, Any]:
    figures = report.as_dict()
    figures.pop("source")
    figures.pop("workers")
    for rejection in figures["rejections"]:
        rejection.pop("contract")
    return figures


def test_claims_decided_in_two_processes_are_stored_as_one_process_stores_them(
    two_contracts: Settings, tmp_path: Path, backend: str, forks: list[int]
) -> None:
    one = import_claims(two_contracts, write_files(tmp_path, A)[1], as_of=AS_OF, actor="finance", workers=1)
    assert forks == []
    two = import_claims(two_contracts, write_files(tmp_path, B)[1], as_of=AS_OF, actor="finance", workers=2)
    assert forks == ([2] if backend == "sqlite" else [])  # PostgreSQL always decides in one process
    assert (one.workers, two.workers) == (1, 2 if backend == "sqlite" else 1)

    assert report_figures(two) == report_figures(one)
    assert stored_rows(two_contracts, B) == stored_rows(two_contracts, A)
    # the file holds every kind of decision, so the comparison covers them all
    assert one.accepted and one.partly_accepted and one.rejected and one.unchanged == 3
    assert {"over_participant_cap", "mutually_exclusive", "prerequisite_missing", "interval_too_short"} <= set(
        one.by_reason
    )
    assert {"evidence_missing", "unknown_participant", "duplicate_claim_ref", "above_price"} <= set(one.by_reason)
    assert one.by_reason["achieved_in_future"] == 1
    stored = [(row[5], row[0]) for row in stored_rows(two_contracts, B)]  # (achieved_on, line) in id order
    # in pay order (by day achieved, then line) on SQLite; in file order on PostgreSQL
    assert stored == sorted(stored, key=lambda r: r if backend == "sqlite" else r[1])


def test_claims_shared_out_to_more_side_files_than_sqlite_attaches_are_stored_as_one_process_stores_them(
    two_contracts: Settings, tmp_path: Path, backend: str, forks: list[int]
) -> None:
    """SQLite attaches at most ten side files to a connection and keeps them until the commit: eleven workers'
    files (or a file of several big contracts, two files each) are merged in pay order by the import itself."""
    one = import_claims(two_contracts, write_files(tmp_path, A)[1], as_of=AS_OF, actor="finance", workers=1)
    eleven = import_claims(two_contracts, write_files(tmp_path, B)[1], as_of=AS_OF, actor="finance", workers=11)
    assert forks == ([11] if backend == "sqlite" else [])
    assert report_figures(eleven) == report_figures(one)
    assert stored_rows(two_contracts, B) == stored_rows(two_contracts, A)
    stored = [(row[5], row[0]) for row in stored_rows(two_contracts, B)]  # (achieved_on, line) in id order
    assert stored == sorted(stored, key=lambda r: r if backend == "sqlite" else r[1])


def test_importing_the_file_again_after_a_shared_out_import_changes_nothing(
    two_contracts: Settings, tmp_path: Path, backend: str, forks: list[int]
) -> None:
    _, claims = write_files(tmp_path, B)
    first = import_claims(two_contracts, claims, as_of=AS_OF, actor="finance", workers=2)
    before = counts(two_contracts)
    again = import_claims(two_contracts, claims, as_of=AS_OF, actor="finance", workers=2)
    assert counts(two_contracts) == before
    assert again.added == 0 and again.unchanged == first.rows
    assert forks == ([2] if backend == "sqlite" else [])  # the second import had nothing to decide


def test_a_shared_out_import_leaves_no_side_file_attached_or_on_disk(
    two_contracts: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, backend: str
) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    import_claims(two_contracts, write_files(tmp_path, B)[1], as_of=AS_OF, actor="finance", workers=2)
    assert list(scratch.iterdir()) == []
    engine = database(two_contracts)
    for _ in range(engine.pool.size() + 1):  # every connection the pool may hand out
        with engine.connect() as connection:
            if backend == "sqlite":
                schemas = [row[1] for row in connection.exec_driver_sql("PRAGMA database_list")]
                assert schemas == ["main"]


def test_a_big_import_stores_with_a_bigger_page_cache_and_gives_it_back(
    two_contracts: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, backend: str
) -> None:
    if backend != "sqlite":
        pytest.skip("the page cache is SQLite's")
    monkeypatch.setattr(claims_parallel, "PARALLEL_FROM", 100)  # this file counts as big
    seen: list[int] = []
    move = claims_parallel.insert_staged

    def moving(session: Any, *args: Any, **kwargs: Any) -> int:
        seen.append(session.connection().exec_driver_sql("PRAGMA cache_size").scalar())
        return int(move(session, *args, **kwargs))

    monkeypatch.setattr(claims_parallel, "insert_staged", moving)
    import_claims(two_contracts, write_files(tmp_path, B)[1], as_of=AS_OF, actor="finance", workers=2)
    assert seen == [-65_536]  # KiB: 64 MiB while the rows went in
    engine = database(two_contracts)
    for _ in range(engine.pool.size() + 1):  # every connection the pool may hand out
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA cache_size").scalar() == -2000  # SQLite's own


def children_of_this_process() -> list[str]:
    """Processes forked by this one and not yet reaped (zombies included)."""
    found: list[str] = []
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        found += (task / "children").read_text().split()
    return sorted(found)


@pytest.fixture
def failing(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, int]]:
    """Make staging fail in the process named by ``failing["in"]``: the parent's pid, or 0 for a worker."""
    parent = os.getpid()
    where = {"in": 0}
    stage = claims_parallel.stage_rows

    def stage_or_fail(path: Path, columns: Any, rows: Any, *, key: Any) -> int:
        here = os.getpid()
        if (where["in"] == 0 and here != parent) or where["in"] == here:
            raise OSError(28, "No space left on device")
        return stage(path, columns, rows, key=key)

    monkeypatch.setattr(claims_parallel, "stage_rows", stage_or_fail)
    yield where


@pytest.mark.parametrize("who", ["worker", "parent"])
def test_a_failure_in_any_process_keeps_nothing_and_leaves_no_process_behind(
    two_contracts: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    backend: str,
    failing: dict[str, int],
    who: str,
) -> None:
    if backend != "sqlite":
        pytest.skip("PostgreSQL forks its deciders elsewhere: tests/integration/pbr/test_claims_copy.py")
    failing["in"] = 0 if who == "worker" else os.getpid()
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    before, others = counts(two_contracts), children_of_this_process()  # PostgreSQL's server, say
    with pytest.raises((RuntimeError, OSError)) as raised:
        import_claims(two_contracts, write_files(tmp_path, B)[1], as_of=AS_OF, actor="finance", workers=2)
    if who == "worker":
        assert "worker 1 failed" in str(raised.value) and "No space left on device" in str(raised.value)
    else:
        assert isinstance(raised.value, OSError)
    assert not isinstance(raised.value, UserError)
    assert counts(two_contracts) == before
    assert children_of_this_process() == others
    assert list(scratch.iterdir()) == []
