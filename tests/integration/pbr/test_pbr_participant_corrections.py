"""A participant's facts corrected: their claims re-decided at the next run, and what was paid clawed back.

FCF-2025-01 with the claims of test_pbr_payments, Q1 paid (£9,500.00: 30% central fund, 70% council). The card
takes ages 18-24 at referral. P-003 was imported born 29 Feb 2004 (21 at referral on 15 Oct 2025); the right
date of birth is 28 Feb 2000, so 25 at referral: not eligible. P-003's claims are C-5 (EMP_ENTRY £500.00, paid in
Q1: £150.00 / £350.00), C-8 (£500.00) and C-9 (£2,500.00), achieved in Q2 and not yet paid.
"""

import datetime as dt
from decimal import Decimal

import pytest
from sqlmodel import select

from flows.common.errors import UserError
from flows.common.runtime import database
from flows.common.settings import Settings
from flows.pbr.participant_corrections import correct_participant
from flows.pbr.payment_runs import RunResult, propose_payment_run
from flows.pbr.reconcile import reconcile
from models.db import unit_of_work
from models.events import events_for
from models.pbr.claims import PbrClaim
from tests.integration.pbr import test_pbr_payments
from tests.integration.pbr.test_pbr_payments import (
    AUDIT,
    CONTRACT,
    Q2_RUN,
    Q3_RUN,
    claim_ids,
    counts,
    ledger,
    payments,
)
from tests.support.approvals import approved, approved_run
from tests.support.stored_order import scans_in_stored_order, stored

fcf, q1_paid = test_pbr_payments.fcf, test_pbr_payments.q1_paid  # the fixtures
WHY = "Date of birth checked against the passport: 28/02/2000"


def correct(settings: Settings, **facts: object) -> dict:
    return correct_participant(settings, CONTRACT, "P-003", reason=WHY, as_of=AUDIT, actor="caseworker", **facts)  # type: ignore[arg-type]


def test_a_correction_that_invalidates_a_paid_claim_claws_back_exactly_that_claim_at_the_next_run(
    q1_paid: Settings,
) -> None:
    done = correct(q1_paid, date_of_birth=dt.date(2000, 2, 28))
    assert done["changed"] and (done["before"]["date_of_birth"], done["after"]["date_of_birth"]) == (
        "2004-02-29",
        "2000-02-28",
    )
    assert not [e for e in ledger(q1_paid) if e.kind == "clawback"]  # nothing moves until the next run

    # Proposing the Q2 run previews the re-decision and its clawback; nothing reaches the ledger until approval.
    proposed = propose_payment_run(q1_paid, CONTRACT, "2026-Q2", as_of=Q2_RUN, actor="finance")
    preview = proposed["proposal"]["preview"]
    assert [(r["claim"], r["clawed_back"]) for r in preview["redecided"]] == [
        ("C-5", "500.00"),
        ("C-8", "0.00"),
        ("C-9", "0.00"),
    ]
    assert (preview["payers"]["central fund"]["carried"], preview["payers"]["council"]["carried"]) == (
        "-150.00",
        "-350.00",
    )
    assert not [e for e in ledger(q1_paid) if e.kind == "clawback"]
    with unit_of_work(database(q1_paid)) as session:
        assert not [e for e in events_for(session=session, entity="contract", entity_ref=CONTRACT)
                    if e.action == "claim_redecided"]  # fmt: skip
    q2 = RunResult(**approved(q1_paid, proposed["proposal"], as_of=Q2_RUN))
    ids = claim_ids(q1_paid)
    clawbacks = sorted((ids[e.claim_id or 0], e.payer, e.amount_pence) for e in ledger(q1_paid) if e.kind == "clawback")
    assert clawbacks == [("C-5", "central fund", -15000), ("C-5", "council", -35000)]
    # C-8 and C-9 are rejected before they are paid: Q2 accrues nothing, recovers C-5's £500.00, pays nothing,
    # and £150.00 / £350.00 is still owed back.
    assert payments(q2.summary) == {"central fund": "0.00", "council": "0.00"}
    assert (q2.summary["payers"]["central fund"]["carried"], q2.summary["payers"]["council"]["carried"]) == (
        "-150.00",
        "-350.00",
    )
    report = reconcile(q1_paid, CONTRACT)
    t = {k: Decimal(v) for k, v in report.totals.items() if k in ("claimed", "accepted", "capped", "rejected",
                                                                   "paid", "clawed_back")}  # fmt: skip
    # claimed £12,500.00 = accepted £9,000.00 (all but C-5, C-8, C-9) + capped £0.00 + rejected £3,500.00
    assert (t["claimed"], t["accepted"], t["capped"], t["rejected"]) == (
        Decimal("12500.00"), Decimal("9000.00"), Decimal("0.00"), Decimal("3500.00"),
    )  # fmt: skip
    assert t["claimed"] == t["accepted"] + t["capped"] + t["rejected"]
    # paid (accrued by runs) £9,500.00 less clawed back £500.00 = the ledger's payments £9,500.00 + the £500.00
    # still owed back (balances -£150.00 and -£350.00)
    paid_by_runs = Decimal(-sum(e.amount_pence for e in ledger(q1_paid) if e.kind == "payment")) / 100
    owed = Decimal(sum(e.amount_pence for e in ledger(q1_paid))) / 100
    assert (t["paid"], t["clawed_back"], paid_by_runs, owed) == (
        Decimal("9500.00"), Decimal("500.00"), Decimal("9500.00"), Decimal("-500.00"),
    )  # fmt: skip
    assert t["paid"] - t["clawed_back"] == paid_by_runs + owed

    with unit_of_work(database(q1_paid)) as session:
        said = [(e.action, e.reason, e.after) for e in events_for(session=session, entity="contract",
                                                                  entity_ref=CONTRACT)]  # fmt: skip
    redecided = [a for a in said if a[0] == "claim_redecided"]
    assert [((a[2] or {})["claim"], (a[2] or {})["clawed_back"], (a[2] or {})["reasons"]) for a in redecided] == [
        ("C-5", "500.00", "ineligible"),
        ("C-8", "0.00", "ineligible"),
        ("C-9", "0.00", "ineligible"),
    ]
    assert next(a for a in said if a[0] == "participant_corrected")[1] == WHY

    # The next run re-decides nothing again: the correction was acted on once.
    before = counts(q1_paid)
    assert approved_run(q1_paid, CONTRACT, "2026-Q2", as_of=Q2_RUN, actor="finance").existing
    assert counts(q1_paid) == before


def test_an_impossible_or_empty_correction_is_refused_and_nothing_changes(q1_paid: Settings) -> None:
    before = counts(q1_paid)
    with pytest.raises(UserError, match="date_of_birth: 2025-12-01 is after the referral on 2025-10-15"):
        correct(q1_paid, date_of_birth=dt.date(2025, 12, 1))
    with pytest.raises(UserError, match="nothing to correct"):
        correct(q1_paid)
    with pytest.raises(UserError, match="has no participant 'P-404'"):
        correct_participant(
            q1_paid, CONTRACT, "P-404", reason=WHY, as_of=AUDIT, actor="c", referral_date=dt.date(2025, 10, 1)
        )
    # a misspelt fact was kept as an attribute (the import refuses that column, with the same words)
    with pytest.raises(UserError, match=r"--attribute: unknown attribute name\(s\): 'date_of_brith' \(did you mean "
                                        r"'date_of_birth'\?\); no correction was made"):  # fmt: skip
        correct(q1_paid, attributes={"date_of_brith": "2001-01-01"})
    with pytest.raises(UserError, match=r"'referral_date' \(use --referral-date\)"):
        correct(q1_paid, attributes={"referral_date": "2025-10-01"})
    assert counts(q1_paid) == before
    assert correct(q1_paid, date_of_birth=dt.date(2004, 2, 29))["changed"] is False  # already so


def test_claims_rejected_on_the_old_facts_are_reopened_priced_and_paid_at_the_next_run(q1_paid: Settings) -> None:
    # P-003's date of birth is wrongly corrected to 28 Feb 2000 (25 at referral) and Q2 is paid on it: C-5 (paid in
    # Q1) is clawed back (£150.00 / £350.00) and C-8 and C-9 are rejected as ineligible; Q2 pays nothing.
    correct(q1_paid, date_of_birth=dt.date(2000, 2, 28))
    approved_run(q1_paid, CONTRACT, "2026-Q2", as_of=Q2_RUN, actor="finance")
    assert [e.amount_pence for e in ledger(q1_paid) if e.kind == "clawback"] == [-15000, -35000]
    # The passport was misread: 29 Feb 2004 after all (21 at referral on 15 Oct 2025), corrected back.
    correct_participant(q1_paid, CONTRACT, "P-003", reason="Passport re-read: 29/02/2004", as_of=Q2_RUN,
                        actor="caseworker", date_of_birth=dt.date(2004, 2, 29))  # fmt: skip
    entries = len(ledger(q1_paid))
    proposed = propose_payment_run(q1_paid, CONTRACT, "2026-Q3", as_of=Q3_RUN, actor="finance")["proposal"]
    preview = proposed["preview"]
    # The preview re-opens the three: C-5 accepted again with its re-decision's clawback reversed (£500.00), and
    # C-8 (£500.00) and C-9 (£2,500.00) accepted and paid now: £3,000.00, £900.00 central fund, £2,100.00 council.
    assert [(r["claim"], r["verdict"], r["payable"], r.get("reinstated")) for r in preview["redecided"]] == [
        ("C-5", "accepted", "500.00", "500.00"),
        ("C-8", "accepted", "500.00", None),
        ("C-9", "accepted", "2500.00", None),
    ]
    # Q2 left £150.00 / £350.00 owed back; the reversal cancels it, so nothing is netted off.
    assert payments(preview) == {"central fund": "900.00", "council": "2100.00"}
    assert len(ledger(q1_paid)) == entries  # previewed, not written
    with unit_of_work(database(q1_paid)) as session:
        still = {c.ref: c.verdict for c in session.exec(select(PbrClaim)) if c.participant == "P-003"}
    assert still == {"C-5": "rejected", "C-8": "rejected", "C-9": "rejected"}
    q3 = RunResult(**approved(q1_paid, proposed, as_of=Q3_RUN))
    assert payments(q3.summary) == {"central fund": "900.00", "council": "2100.00"}
    ids = claim_ids(q1_paid)
    c5 = sorted((e.kind, e.payer, e.amount_pence) for e in ledger(q1_paid) if ids.get(e.claim_id or 0) == "C-5")
    assert c5 == [
        ("accrual", "central fund", 15000), ("accrual", "council", 35000),
        ("clawback", "central fund", -15000), ("clawback", "council", -35000),
        ("reversal", "central fund", 15000), ("reversal", "council", 35000),
    ]  # fmt: skip
    # Reconciled: claimed £12,500.00 = accepted £12,500.00 + capped £0.00 + rejected £0.00; every payer is square.
    t = {k: Decimal(v) for k, v in reconcile(q1_paid, CONTRACT).totals.items()}
    assert (t["claimed"], t["accepted"], t["capped"], t["rejected"]) == (
        Decimal("12500.00"), Decimal("12500.00"), Decimal("0.00"), Decimal("0.00"),
    )  # fmt: skip
    assert sum(e.amount_pence for e in ledger(q1_paid)) == 0  # accrued £12,500.00, all of it paid


def test_a_referral_date_corrected_to_after_a_paid_claim_claws_back_that_claim_alone(q1_paid: Settings) -> None:
    # P-003 was referred on 1 March 2026, not 15 October 2025 (the referral form was misdated). Still 22 at
    # referral (born 29 Feb 2004) and inside the card's window (2025-10-01 to 2026-09-30), so eligible; but C-5
    # (EMP_ENTRY, achieved 9 Feb 2026, paid in Q1: £150.00 / £350.00) now comes before the referral, while C-8
    # (10 Apr 2026) and C-9 (4 May 2026) come after it and stand.
    correct(q1_paid, referral_date=dt.date(2026, 3, 1))
    proposed = propose_payment_run(q1_paid, CONTRACT, "2026-Q2", as_of=Q2_RUN, actor="finance")
    assert [(r["claim"], r["clawed_back"]) for r in proposed["proposal"]["preview"]["redecided"]] == [("C-5", "500.00")]
    approved(q1_paid, proposed["proposal"], as_of=Q2_RUN)
    ids = claim_ids(q1_paid)
    clawbacks = sorted((ids[e.claim_id or 0], e.payer, e.amount_pence) for e in ledger(q1_paid) if e.kind == "clawback")
    assert clawbacks == [("C-5", "central fund", -15000), ("C-5", "council", -35000)]
    with unit_of_work(database(q1_paid)) as session:
        verdicts = {c.ref: (c.verdict, c.reasons) for c in session.exec(select(PbrClaim)) if c.participant == "P-003"}
    assert verdicts == {
        "C-5": ("rejected", "before_referral"),
        "C-8": ("accepted", ""),
        "C-9": ("accepted", ""),
    }


def test_a_second_correction_of_a_corrected_participant_makes_the_pending_run_stale(q1_paid: Settings) -> None:
    """P-003 corrected to born in 2000 (25 at referral, ineligible): the Q2 proposal previews clawing back C-5's
    £500.00. Before it is approved, P-003 is corrected back to 29 Feb 2004 (eligible again). The approval must not
    claw back a claim the facts now make valid: the proposal is stale, and the next proposal claws back nothing."""
    from flows.approvals.service import approve
    from tests.support.approvals import FINANCE

    correct(q1_paid, date_of_birth=dt.date(2000, 2, 28))
    proposed = propose_payment_run(q1_paid, CONTRACT, "2026-Q2", as_of=Q2_RUN, actor="finance")["proposal"]
    assert [r["clawed_back"] for r in proposed["preview"]["redecided"] if r["claim"] == "C-5"] == ["500.00"]
    correct(q1_paid, date_of_birth=dt.date(2004, 2, 29))  # the passport was misread: the first record was right
    with pytest.raises(UserError, match="is stale: the participants corrected changed"):
        approve(q1_paid, proposed["id"], by="ben", roles=FINANCE, as_of=Q2_RUN)
    assert not [e for e in ledger(q1_paid) if e.kind == "clawback"]
    again = propose_payment_run(q1_paid, CONTRACT, "2026-Q2", as_of=Q2_RUN, actor="finance")["proposal"]
    assert [r["clawed_back"] for r in again["preview"].get("redecided", []) if r["claim"] == "C-5"] in ([], ["0.00"])


def test_claims_are_re_decided_in_the_order_achieved_whatever_order_the_database_keeps_them_in(
    q1_paid: Settings,
) -> None:
    """C-5 (achieved 9 Feb) was rewritten by the Q1 approval, which marked it paid; on PostgreSQL its new row comes
    after C-8's and C-9's (10 Apr, 4 May), and a plain scan of the table returns it last. The preview, the audit log
    and the ledger list the re-decisions as achieved, as a finance officer reads them against the claims file."""
    eng = database(q1_paid)
    with scans_in_stored_order(eng) as plain:
        if plain:  # the order the bug showed
            assert stored(eng, "SELECT ref FROM pbr_claim WHERE participant = 'P-003'") == ["C-8", "C-9", "C-5"]
        correct(q1_paid, date_of_birth=dt.date(2000, 2, 28))
        proposed = propose_payment_run(q1_paid, CONTRACT, "2026-Q2", as_of=Q2_RUN, actor="finance")
    assert [r["claim"] for r in proposed["proposal"]["preview"]["redecided"]] == ["C-5", "C-8", "C-9"]
