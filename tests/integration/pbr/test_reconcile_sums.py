"""Reconcile's per-claim sums (models/pbr/reconcile_sums.py) must be the same as one pass over every claim and what
runs accrued for it (the statement before migration 0024, below), whatever was accrued: every kind of accrual
difference is in test_reconcile_differs.py.

FCF-2025-01 with the claims of test_pbr_payments, C-1 to C-7 paid by the 2026-Q1 run (£9,500.00), C-8 and C-9
(Q2) still outstanding (£3,000.00 of the £12,500.00 accepted)."""

import datetime as dt

import pytest

from flows.common.runtime import database
from flows.common.settings import Settings
from models.db import unit_of_work
from models.pbr.bulk import driver_rows
from models.pbr.reconcile_sums import _BY_CONTRACT, claim_sums, top_sql
from tests.integration.pbr import test_pbr_payments

fcf, q1_paid = test_pbr_payments.fcf, test_pbr_payments.q1_paid  # the fixtures

# every claim, and the sum of its accruals, by day and outcome: (day, outcome, claims, rejected claims, claimed,
# payable, capped, outstanding, accrued)
ONE_PASS = """
    SELECT achieved_on, outcome, COUNT(*), SUM(CASE WHEN verdict = 'rejected' THEN 1 ELSE 0 END),
           SUM(claimed_pence), SUM(payable_pence), SUM(capped_pence),
           SUM(CASE WHEN verdict IN ('accepted', 'partly_accepted') AND accrued IS NULL THEN payable_pence ELSE 0 END),
           SUM(COALESCE(accrued, 0))
    FROM (
        SELECT c.*, (SELECT SUM(l.amount_pence) FROM pbr_ledger l WHERE l.claim_id = c.id AND l.kind = 'accrual')
               AS accrued
        FROM pbr_claim c WHERE c.contract_id = :c
    ) AS c
    GROUP BY achieved_on, outcome
"""


def test_the_sums_are_one_pass_over_every_claim(q1_paid: Settings) -> None:
    with unit_of_work(database(q1_paid)) as session:
        [(cid,)] = driver_rows(session, "SELECT DISTINCT contract_id FROM pbr_claim")
        sums = sorted(claim_sums(session, (_BY_CONTRACT, {"c": cid})))
        one_pass = sorted(tuple(row) for row in driver_rows(session, ONE_PASS, c=cid))
        top = list(driver_rows(session, top_sql(_BY_CONTRACT), c=cid))
    assert sums == one_pass
    # outstanding (accepted, no accrual yet) and accrued, summed over the days: £3,000.00 and £9,500.00
    assert (sum(r[7] for r in sums), sum(r[8] for r in sums)) == (300000, 950000)
    # the participant with the most accepted: P-001, C-1 and C-2, £500.00 + £3,500.00 = £4,000.00
    # (P-003 £3,500.00, P-002 £3,000.00, P-004 £2,000.00)
    assert list(map(tuple, top)) == [("P-001", 400000)]


def test_claims_accrued_at_other_than_their_payable_pence_are_summed_as_accrued(q1_paid: Settings) -> None:
    # the claims' own sums take every accepted claim as accrued at its payable pence: a claim accrued at less
    # (its payable pence since raised), and one accrued and since rejected, are found apart (marked so, as their
    # writers mark them: migration 0030) and summed as accrued
    with unit_of_work(database(q1_paid)) as session:
        for sql in (
            "UPDATE pbr_claim SET payable_pence = payable_pence + 100, accrued_differs = (1 = 1) WHERE ref = 'C-1'",
            "UPDATE pbr_claim SET verdict = 'rejected', payable_pence = 0, accrued_differs = (1 = 1) WHERE ref = 'C-2'",
        ):
            session.connection().exec_driver_sql(sql)
    with unit_of_work(database(q1_paid)) as session:
        [(cid,)] = driver_rows(session, "SELECT DISTINCT contract_id FROM pbr_claim")
        sums = sorted(claim_sums(session, (_BY_CONTRACT, {"c": cid})))
        one_pass = sorted(tuple(row) for row in driver_rows(session, ONE_PASS, c=cid))
    assert sums == one_pass
    # still £9,500.00 accrued, £3,000.00 outstanding; £1.00 more payable, and C-2's £3,500.00 no longer
    assert (sum(r[7] for r in one_pass), sum(r[8] for r in one_pass)) == (300000, 950000)
    assert sum(r[5] for r in one_pass) == 1250000 + 100 - 350000


def test_a_runs_reads_of_the_claims_due_go_through_the_index_of_the_unpaid_not_reconciles(fcf: Settings) -> None:
    # On SQLite, with no statistics, the planner took reconcile's index of every claim (migration 0024, the same
    # first two columns) for the claims a run reads as due, and so read every claim: 2.7 s for a run paying none
    # at a million claims. Each of those reads names the index of the unpaid.
    if not fcf.database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL has no reconcile's index, and plans by its statistics")
    import sqlite3
    from pathlib import Path

    from models.pbr.claims import due_claim_rows, due_fingerprint, unpaid_days

    with unit_of_work(database(fcf)) as session:
        raw = session.connection().connection.dbapi_connection
        assert raw is not None
        statements: list[str] = []
        raw.set_trace_callback(statements.append)  # type: ignore[attr-defined]
        by = dt.date(2026, 12, 31)
        unpaid_days(session=session, contract_id=1, by=by)
        due_fingerprint(session=session, contract_id=1, unpaid_by=by)
        list(due_claim_rows(session=session, contract_id=1, unpaid_by=by))
        raw.set_trace_callback(None)  # type: ignore[attr-defined]
    due = [s for s in statements if "accrued_run_id IS NULL" in s]
    assert len(due) == 3
    with sqlite3.connect(Path(fcf.database_url.removeprefix("sqlite:///"))) as db:
        for statement in due:
            plan = " ".join(step[-1] for step in db.execute("EXPLAIN QUERY PLAN " + statement))
            assert "ix_pbr_claim_due" in plan and "ix_pbr_claim_sums" not in plan, plan


def test_reconciles_sums_by_reasons_and_by_participant_are_read_from_their_own_indexes(q1_paid: Settings) -> None:
    # On SQLite each read every claim's row and grouped them apart (at a million claims 0.27 s and 0.68 s of CPU);
    # from migration 0026 each reads only its partial index (the claims with reasons; the accepted claims), already
    # grouped. Both backends: the same sums as every claim of the contract gives.
    from models.pbr.reconcile_sums import contract_claims, reason_sums, top_participant

    with unit_of_work(database(q1_paid)) as session:  # two claims with reasons (the fixture's have none)
        for sql in (
            "UPDATE pbr_claim SET reasons = 'above_price', claimed_pence = claimed_pence + 500 WHERE ref = 'C-8'",
            "UPDATE pbr_claim SET reasons = 'above_price', claimed_pence = claimed_pence + 700 WHERE ref = 'C-9'",
        ):
            session.connection().exec_driver_sql(sql)
    with unit_of_work(database(q1_paid)) as session:
        [cid] = [c for (c,) in driver_rows(session, "SELECT DISTINCT contract_id FROM pbr_claim")]
        expected = sorted(
            driver_rows(
                session,
                "SELECT reasons, COUNT(*), SUM(claimed_pence - payable_pence - capped_pence) FROM pbr_claim "
                "WHERE contract_id = :c AND reasons <> '' GROUP BY reasons",
                c=cid,
            )
        )
        raw = session.connection().connection.dbapi_connection
        assert raw is not None
        statements: list[str] = []
        sqlite = q1_paid.database_url.startswith("sqlite")
        if sqlite:
            raw.set_trace_callback(statements.append)  # type: ignore[attr-defined]
        claims = contract_claims(session, cid)
        by_reason, top = reason_sums(session, claims), top_participant(session, claims)
        if sqlite:
            raw.set_trace_callback(None)  # type: ignore[attr-defined]
    assert sorted(by_reason) == [(r, int(n), int(v)) for r, n, v in expected] == [("above_price", 2, 1200)]
    assert top == ("P-001", 400000)  # C-1 and C-2, as test_the_sums_are_one_pass_over_every_claim
    if not sqlite:
        return
    import sqlite3
    from pathlib import Path

    reads = {"GROUP BY reasons": "ix_pbr_claim_reasons", "GROUP BY participant": "ix_pbr_claim_participant"}
    with sqlite3.connect(Path(q1_paid.database_url.removeprefix("sqlite:///"))) as db:
        for grouped, index in reads.items():
            (statement,) = [s for s in statements if grouped in s]
            plan = [step[-1] for step in db.execute("EXPLAIN QUERY PLAN " + statement)]
            assert plan[0] == f"SEARCH c USING COVERING INDEX {index} (contract_id=?)", plan
            assert not any("TEMP B-TREE FOR GROUP BY" in step for step in plan), plan


def test_the_sums_read_the_unpaid_and_the_marked_claims_from_their_indexes_not_every_claim_in_the_ledger(
    q1_paid: Settings,
) -> None:
    # Each claim was looked up in the ledger (on PostgreSQL 12.5 s at 1,000,000 claims). From migration 0030 on
    # SQLite: the own sums from ix_pbr_claim_sums alone, the unpaid from ix_pbr_claim_due (with their rows), and
    # only the claims marked accrued_differs (ix_pbr_claim_differs) looked up in the ledger.
    if not q1_paid.database_url.startswith("sqlite"):
        pytest.skip("SQLite names its indexes; PostgreSQL plans by its statistics")
    import sqlite3
    from pathlib import Path

    with unit_of_work(database(q1_paid)) as session:
        [(cid,)] = driver_rows(session, "SELECT DISTINCT contract_id FROM pbr_claim")
        raw = session.connection().connection.dbapi_connection
        assert raw is not None
        statements: list[str] = []
        raw.set_trace_callback(statements.append)  # type: ignore[attr-defined]
        claim_sums(session, (_BY_CONTRACT, {"c": cid}))
        raw.set_trace_callback(None)  # type: ignore[attr-defined]
    reads = [s for s in statements if "FROM pbr_claim" in s]
    assert len(reads) == 3, statements
    with sqlite3.connect(Path(q1_paid.database_url.removeprefix("sqlite:///"))) as db:
        plans = [[step[-1] for step in db.execute("EXPLAIN QUERY PLAN " + s, (cid,) * s.count("?"))] for s in reads]
    own, unpaid, differing = plans
    assert own[0].startswith("SEARCH pbr_claim USING COVERING INDEX ix_pbr_claim_sums"), own
    assert unpaid[0].startswith("SEARCH c USING INDEX ix_pbr_claim_due"), unpaid
    assert any("INDEX ix_pbr_claim_differs" in step for step in differing), differing
    assert not [step for step in own + unpaid + differing if step.startswith("SCAN")], plans
