"""Reconcile on both backends with every way a claim comes to be accrued at other than it is accepted for, against
the figures summed the slow way: each claim looked up in the ledger (the statement before migration 0030, kept here
as the oracle). Reconcile now takes every accrued claim as accrued at its payable pence, reads the unpaid apart,
and looks up only the claims marked where they come to differ (models/pbr/reconcile_sums.py).

FCF-2025-01 with the claims of test_pbr_payments, on the Fair Chance Fund card with its participant cap lowered
to £4,200.00, so that P-001 (C-1 £500.00 and C-2 £3,500.00, £4,000.00) has £200.00 left:
- the 2026-Q1 run pays C-1 to C-7 (£9,500.00); a sample of Q1 finds C-7 invalid: C-7 clawed back and an
  extrapolated recovery raised;
- C-1 clawed back (P-001's accepted, net of clawbacks, £3,500.00): C-10 (VOL_6, £500.00) is accepted in full,
  then C-11 (EMP_ENTRY, £500.00) partly, £200.00 (£300.00 capped at import); C-1's clawback is reversed;
- P-003's date of birth corrected (25 at referral: not eligible): the 2026-Q2 run rejects C-5 (paid in Q1, clawed
  back), C-8 and C-9 (never paid); it pays C-10 £200.00 of £500.00 (the participant cap, at run time: P-001 paid
  £4,000.00 again) and C-11 (achieved in Q1 too) nothing: accepted, unpaid;
- C-4 clawed back, and C-12 (P-004, Q2) imported after the Q2 run: accepted, not yet paid.
"""

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from flows.approvals.service import get_proposal
from flows.common.runtime import database
from flows.common.settings import Settings
from flows.pbr.claims_import import import_claims
from flows.pbr.participant_corrections import correct_participant
from flows.pbr.participants import import_participants
from flows.pbr.reconcile import reconcile
from models.db import unit_of_work
from models.pbr.bulk import driver_rows
from models.pbr.reconcile_sums import claim_sums, contract_claims
from tests.integration.pbr.test_pbr_payments import (
    AUDIT,
    CLAIMS,
    CONTRACT,
    PARTICIPANTS,
    Q1_RUN,
    Q2_RUN,
    SENT,
    write_claims,
)
from tests.integration.pbr.test_pbr_samples import point_estimate, results_file, sample
from tests.integration.pbr.test_reconcile_sums import ONE_PASS
from tests.support.approvals import approved, approved_clawback, approved_run
from tests.support.builders import FCF_CARD, fcf_contract

# The slow way, as reconcile summed before migration 0030: every claim, and the sum of its accruals looked up in the
# ledger, by day and outcome: (day, outcome, claims, rejected claims, claimed, payable, capped, outstanding, accrued)
ORACLE = ONE_PASS
LATER = [
    ("C-10", "P-001", "VOL_6", "2026-03-20", "volunteer_record"),
    ("C-11", "P-001", "EMP_ENTRY", "2026-03-25", "payslip"),
]
NOT_YET_PAID = [("C-12", "P-004", "VOL_6", "2026-06-20", "volunteer_record")]
CHECKS = [("C-2", "valid", ""), ("C-3", "valid", ""), ("C-7", "invalid", "certificate is for another learner")]


def day(when: dt.datetime, days: int) -> dt.datetime:
    return when + dt.timedelta(days=days)


@pytest.fixture
def every_kind(settings: Settings, tmp_path: Path) -> Settings:
    card = tmp_path / "fcf-4200.yaml"
    card.write_text(FCF_CARD.read_text(encoding="utf-8").replace('"15000.00"', '"4200.00"'), encoding="utf-8")
    fcf_contract(settings, card=card)
    people = tmp_path / "participants.csv"
    people.write_text(PARTICIPANTS, encoding="utf-8")
    import_participants(settings, people, as_of=SENT, actor="finance")
    received = dt.datetime(2026, 5, 5, 9, 0, tzinfo=dt.UTC)
    import_claims(settings, write_claims(tmp_path / "claims.csv", CLAIMS), as_of=received, actor="finance")
    q1 = approved_run(settings, CONTRACT, "2026-Q1", as_of=Q1_RUN, actor="finance")
    assert q1.summary["paid"] == "9500.00"
    # a sample of Q1: C-7 invalid, clawed back, and a recovery extrapolated to the rest
    settings = point_estimate(settings, tmp_path)
    sample(settings)
    done = sample(settings, results=results_file(tmp_path, CHECKS))
    assert done.concluded is not None
    approved(settings, get_proposal(settings, done.concluded["proposal"]), as_of=AUDIT)
    approved_clawback(settings, CONTRACT, "C-1", reason="enrolment not found", as_of=day(AUDIT, 1), actor="finance")
    report = import_claims(settings, write_claims(tmp_path / "later.csv", LATER), as_of=day(AUDIT, 2), actor="finance")
    assert (report.accepted, report.partly_accepted) == (1, 1)
    approved_clawback(settings, CONTRACT, "C-1", reason="enrolment found", as_of=day(AUDIT, 3), actor="finance",
                      reverse=True)  # fmt: skip
    correct_participant(settings, CONTRACT, "P-003", date_of_birth=dt.date(2000, 2, 28), reason="passport checked",
                        as_of=day(AUDIT, 4), actor="caseworker")  # fmt: skip
    q2 = approved_run(settings, CONTRACT, "2026-Q2", as_of=Q2_RUN, actor="finance")
    assert [(c["claim"], c["capped"]) for c in q2.summary["capped"]] == [("C-10", "300.00"), ("C-11", "200.00")]
    approved_clawback(settings, CONTRACT, "C-4", reason="certificate forged", as_of=day(Q2_RUN, 1), actor="finance")
    report = import_claims(settings, write_claims(tmp_path / "unpaid.csv", NOT_YET_PAID), as_of=day(Q2_RUN, 2),
                           actor="finance")  # fmt: skip
    assert report.accepted == 1
    return settings


def sums(settings: Settings) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The claims' sums as reconcile reads them, and the slow way."""
    with unit_of_work(database(settings)) as session:
        [(cid,)] = driver_rows(session, "SELECT DISTINCT contract_id FROM pbr_claim")
        fast = sorted(claim_sums(session, contract_claims(session, cid)))
        slow = sorted(
            tuple(int(v) if i > 1 else v for i, v in enumerate(row)) for row in driver_rows(session, ORACLE, c=cid)
        )
    return fast, slow


def test_reconcile_reads_every_kind_of_accrual_difference_as_the_slow_way_sums_it(every_kind: Settings) -> None:
    fast, slow = sums(every_kind)
    assert fast == slow
    # what the scenario holds, the slow way: accrued £9,500.00 in Q1 and £200.00 (C-10) in Q2; outstanding C-11
    # (£200.00) and C-12 (£500.00); accepted: £12,500.00 claimed, less C-5, C-8 and C-9 rejected (£3,500.00),
    # plus C-10 £500.00, C-11 £200.00 and C-12 £500.00
    assert (sum(r[8] for r in slow), sum(r[7] for r in slow)) == (970_000, 70_000)
    assert sum(r[5] for r in slow) == 1_250_000 - 350_000 + 50_000 + 20_000 + 50_000
    report = reconcile(every_kind, CONTRACT)
    t = report.totals
    assert (t["paid"], t["outstanding"], t["accepted"]) == ("9700.00", "700.00", "10200.00")
    # C-10 paid £200.00 of its £500.00 accepted; in EMP_ENTRY, C-5 paid £500.00 and since rejected, C-11 accepted
    # £200.00 and paid nothing
    rows = {(r["period"], r["outcome"]): r for r in report.rows}
    assert (rows["2026-Q1", "VOL_6"]["accepted"], rows["2026-Q1", "VOL_6"]["paid"]) == ("500.00", "200.00")
    assert (rows["2026-Q1", "EMP_ENTRY"]["accepted"], rows["2026-Q1", "EMP_ENTRY"]["paid"]) == ("200.00", "500.00")


def test_a_claim_accrued_at_other_than_its_payable_pence_and_not_marked_is_misread(every_kind: Settings) -> None:
    # the marks are what reconcile reads by: without them, C-10 (cut at run time) and C-5 (rejected once paid) are
    # taken as accrued at what they are accepted for (£500.00 and nothing), and the sums are wrong
    with unit_of_work(database(every_kind)) as session:
        session.connection().exec_driver_sql("UPDATE pbr_claim SET accrued_differs = (1 = 0)")
    fast, slow = sums(every_kind)
    assert sum(r[8] for r in fast) - sum(r[8] for r in slow) == 30_000 - 50_000
    with unit_of_work(database(every_kind)) as session:  # marked again (the teardown checks the marks)
        session.connection().exec_driver_sql("UPDATE pbr_claim SET accrued_differs = (1 = 1)")
    assert sums(every_kind)[0] == slow


def test_migration_0030_marks_the_claims_already_accrued_at_other_than_they_are_accepted_for(
    every_kind: Settings,
) -> None:
    from models.migrate import downgrade, upgrade

    engine = database(every_kind)
    downgrade(engine, "0028")  # the claims as written before the marks existed
    upgrade(engine)
    with unit_of_work(engine) as session:
        marked = sorted(ref for (ref,) in driver_rows(session, "SELECT ref FROM pbr_claim WHERE accrued_differs"))
    assert marked == ["C-10", "C-5"]  # cut at run time; paid and since rejected
    fast, slow = sums(every_kind)
    assert fast == slow
