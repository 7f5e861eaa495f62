"""Reconcile's per-claim sums on SQLite read a contract's claims by their id range when they lie together, or by
the contract's index when other contracts' claims fill most of that range (models/pbr/reconcile_sums.py): both
statements must give the same sums.

FCF-2025-01 with the claims of test_pbr_payments, C-1 to C-7 paid by the 2026-Q1 run (£9,500.00), C-8 and C-9
(Q2) still outstanding (£3,000.00 of the £12,500.00 accepted)."""

import pytest

from flows.common.runtime import database
from flows.common.settings import Settings
from models.db import unit_of_work
from models.pbr.bulk import driver_rows
from models.pbr.reconcile_sums import _BY_CONTRACT, _BY_RANGE, _SQLITE, _SQLITE_SPREAD, top_sql
from tests.integration.pbr import test_pbr_payments

fcf, q1_paid = test_pbr_payments.fcf, test_pbr_payments.q1_paid  # the fixtures


def test_the_id_range_and_the_contract_index_give_the_same_sums(q1_paid: Settings, backend: str) -> None:
    if backend != "sqlite":
        pytest.skip("the id range is SQLite's way; PostgreSQL has one statement")
    with unit_of_work(database(q1_paid)) as session:
        [(cid, first, last)] = driver_rows(session, "SELECT contract_id, MIN(id), MAX(id) FROM pbr_claim GROUP BY 1")
        by_range = sorted(driver_rows(session, _SQLITE, c=cid, first=first, last=last))
        by_index = sorted(driver_rows(session, _SQLITE_SPREAD, c=cid, first=first, last=last))
        ways = (_BY_RANGE, _BY_CONTRACT)
        tops = [list(driver_rows(session, top_sql(w), c=cid, first=first, last=last)) for w in ways]
    assert by_range == by_index
    # outstanding (accepted, no accrual yet) and accrued, summed over the days: £3,000.00 and £9,500.00
    assert (sum(r[7] for r in by_index), sum(r[8] for r in by_index)) == (300000, 950000)
    # the participant with the most accepted, both ways: P-001, C-1 and C-2, £500.00 + £3,500.00 = £4,000.00
    # (P-003 £3,500.00, P-002 £3,000.00, P-004 £2,000.00)
    assert [list(map(tuple, t)) for t in tops] == [[("P-001", 400000)], [("P-001", 400000)]]
