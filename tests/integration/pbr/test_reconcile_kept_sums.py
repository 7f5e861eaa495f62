"""Reconcile reads the claims' sums kept beside them on PostgreSQL (migration 0031: by day and outcome, by
participant, by reasons) and gives what the claims give.

Every kind of writer of a claim's figures, on both backends, then reconcile's sums and the participant with the
most accepted against the slow way (every claim read: the statements before 0031): ``every_kind`` of
test_reconcile_differs (an import with a claim partly accepted, a second import adding C-10 and C-11, a participant
correction re-deciding C-5, C-8 and C-9, clawbacks of C-7, C-1 and C-4, C-1's reversed), then a third import adding
to days that have claims already (C-13 accepted beside C-3, C-14 rejected beside C-6: no such participant), and C-2
clawed back, so that P-001, the participant with the most accepted, is not the top once net of clawbacks.
The teardown (tests/integration/conftest.py) checks every integration test's kept sums against its claims.
"""

import datetime as dt
from pathlib import Path

import pytest

from flows.common.runtime import database
from flows.common.settings import Settings
from flows.pbr.claims_import import import_claims
from flows.pbr.participant_corrections import correct_participant
from flows.pbr.reconcile import reconcile
from models.db import unit_of_work
from models.pbr.bulk import driver_rows
from models.pbr.reconcile_sums import _BY_CONTRACT, contract_claims, top_participant, top_sql
from tests.integration.pbr.test_pbr_payments import CONTRACT, Q2_RUN, write_claims
from tests.integration.pbr.test_reconcile_differs import day, every_kind, sums
from tests.support.approvals import approved_clawback, approved_run
from tests.support.ledger_totals import KEPT, disagreements

__all__ = ["every_kind"]  # the fixture

SAME_DAYS = [
    ("C-13", "P-002", "EDU_L2", "2026-01-12", "certificate"),
    ("C-14", "P-009", "EDU_ENTRY", "2026-02-16", "enrolment"),
]


def tops(settings: Settings) -> tuple[tuple[str, int] | None, tuple[str, int] | None]:
    """The participant with the most accepted, net of clawbacks, as reconcile reads it, and the slow way."""
    with unit_of_work(database(settings)) as session:
        [(cid,)] = driver_rows(session, "SELECT DISTINCT contract_id FROM pbr_claim")
        fast = top_participant(session, contract_claims(session, cid))
        slow = next(((w, int(t)) for w, t in driver_rows(session, top_sql(_BY_CONTRACT), c=cid)), None)
    return fast, slow


@pytest.fixture
def written(every_kind: Settings, tmp_path: Path) -> Settings:
    report = import_claims(
        every_kind, write_claims(tmp_path / "same-days.csv", SAME_DAYS), as_of=day(Q2_RUN, 3), actor="finance"
    )
    assert (report.accepted, report.rejected) == (1, 1)
    approved_clawback(every_kind, CONTRACT, "C-2", reason="certificate withdrawn", as_of=day(Q2_RUN, 4),
                      actor="finance")  # fmt: skip
    return every_kind


def test_reconcile_reads_what_every_writer_of_the_claims_wrote_as_the_slow_way_sums_it(written: Settings) -> None:
    fast, slow = sums(written)
    assert fast == slow
    # P-001: C-1 £500.00, C-2 £3,500.00 (clawed back), C-10 £500.00, C-11 £200.00 (partly): £1,200.00 net; P-002:
    # C-3 and C-13 (C-4 clawed back); P-004: C-6 and C-12 (C-7 clawed back)
    top = tops(written)
    assert top[0] == top[1] and top[0] is not None and top[0][0] != "P-001"
    report = reconcile(written, CONTRACT)
    [row] = [r for r in report.caps if r["cap"].startswith("participant")]
    assert row["cap"] == f"participant (highest: {top[0][0]})"
    assert row["accepted"] == f"{top[0][1] / 100:.2f}"
    with database(written).connect() as conn:
        assert disagreements(conn) == {}


def test_on_postgresql_reconcile_reads_the_kept_sums(written: Settings, backend: str) -> None:
    # the kept sums, not the claims: one changed by hand shows in reconcile's figures (and is put back)
    if backend != "postgresql":
        pytest.skip("SQLite keeps no sums: reconcile reads its covering indexes of the claims")
    more = "UPDATE pbr_claim_sum SET claimed_pence = claimed_pence + {n} "
    more += "WHERE outcome = 'EDU_ENTRY' AND achieved_on = '2026-01-12'"
    leader = "UPDATE pbr_claim_participant_sum SET accepted_pence = accepted_pence + {n} WHERE participant = 'P-004'"
    with unit_of_work(database(written)) as session:
        for sql in (more, leader):
            session.connection().exec_driver_sql(sql.format(n=1_000_000))
    with unit_of_work(database(written)) as session:  # and a claim's reasons' rejected value
        session.connection().exec_driver_sql(
            "UPDATE pbr_claim_reason_sum SET claims = claims + 1 WHERE reasons = 'unknown_participant'"
        )
    by_reason = {r["reason"]: r["claims"] for r in reconcile(written, CONTRACT).rejected_by_reason}
    assert by_reason["unknown_participant"] == 2  # C-14 and the one added by hand
    with unit_of_work(database(written)) as session:
        session.connection().exec_driver_sql(
            "UPDATE pbr_claim_reason_sum SET claims = claims - 1 WHERE reasons = 'unknown_participant'"
        )
    fast, slow = sums(written)
    assert sum(r[4] for r in fast) - sum(r[4] for r in slow) == 1_000_000
    fast_top, slow_top = tops(written)
    assert fast_top is not None and slow_top is not None
    assert fast_top[0] == "P-004" and fast_top[1] > 1_000_000 > slow_top[1]
    with unit_of_work(database(written)) as session:
        for sql in (more, leader):
            session.connection().exec_driver_sql(sql.format(n=-1_000_000))
    assert sums(written)[0] == slow


def test_a_writer_that_skips_the_kept_sums_fails_the_check(written: Settings, backend: str, tmp_path: Path) -> None:
    # the teardown's check finds a write the sums missed: here a re-decision with the trigger that keeps them off
    if backend != "postgresql":
        pytest.skip("SQLite keeps no sums")
    engine = database(written)
    with engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE pbr_claim DISABLE TRIGGER pbr_claim_sums_updated")
    correct_participant(written, CONTRACT, "P-002", date_of_birth=dt.date(1990, 1, 1), reason="passport checked",
                        as_of=day(Q2_RUN, 5), actor="caseworker")  # fmt: skip
    # the next run re-decides P-002's claims (C-3, C-13; C-4 clawed back) on the corrected facts: rejected
    approved_run(written, CONTRACT, "2026-Q3", as_of=dt.datetime(2026, 10, 5, 9, 0, tzinfo=dt.UTC), actor="finance")
    with engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE pbr_claim ENABLE TRIGGER pbr_claim_sums_updated")
        found = disagreements(conn)
        assert set(found) == {"pbr_claim_sum", "pbr_claim_participant_sum", "pbr_claim_reason_sum"}
        # summed again from the claims, for the teardown
        conn.exec_driver_sql("TRUNCATE pbr_claim_sum, pbr_claim_participant_sum, pbr_claim_reason_sum")
        for name, _, summed in KEPT:
            conn.exec_driver_sql(f"INSERT INTO {name} {summed}")
        assert disagreements(conn) == {}
