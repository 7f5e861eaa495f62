"""A sample's recovery that was not raised (rejected, or stale) is proposed again from the ledger as it is now.

FCF-2025-01 with the claims of test_pbr_payments, sampled as in test_pbr_recoveries under the point estimate:
C-2 and C-3 valid, C-7 (£1,500.00: £450.00 central fund, £1,050.00 council) invalid; the recovery is £1,090.91
(£327.27 and £763.64). C-7 clawed back on its own while the sample's proposal waits makes that proposal stale;
given again, the results propose the recovery alone, so nothing is clawed back twice and nothing is lost.
"""

import datetime as dt
from pathlib import Path

import pytest

from flows.approvals.service import approve, get_proposal, list_proposals, reject
from flows.common.errors import UserError
from flows.common.runtime import database
from flows.common.settings import Settings
from flows.pbr.recovery_proposals import propose_withdrawal
from flows.pbr.sampling import SampleResult, sample_validation
from models.approvals import Proposal
from models.db import unit_of_work
from models.events import events_for
from tests.integration.pbr import test_pbr_payments
from tests.integration.pbr.test_pbr_payments import AUDIT, CONTRACT, ledger
from tests.integration.pbr.test_pbr_samples import PILOT, point_estimate, results_file, sample
from tests.support.approvals import FINANCE, approved, approved_clawback, approved_withdrawal

fcf, q1_paid = test_pbr_payments.fcf, test_pbr_payments.q1_paid  # the fixtures: Q1 paid, 7 claims, £9,500.00
LATER = AUDIT + dt.timedelta(days=1)
CHECKS = [("C-2", "valid", ""), ("C-3", "valid", ""), ("C-7", "invalid", "certificate is for another learner")]


def given_again(settings: Settings, tmp_path: Path) -> SampleResult:
    return sample_validation(settings, CONTRACT, "2026-Q1", size=3, seed=7, results=results_file(tmp_path, CHECKS),
                             as_of=LATER, actor="auditor", reason=PILOT)  # fmt: skip


def clawed(settings: Settings) -> list[tuple[str, int | None, int]]:
    """(item, claim id, pence) of every clawback in the ledger, net of reversals."""
    return sorted((e.item, e.claim_id, e.amount_pence) for e in ledger(settings) if e.kind in ("clawback", "reversal"))


def pending(q1_paid: Settings, tmp_path: Path) -> tuple[Settings, int]:
    settings = point_estimate(q1_paid, tmp_path)
    sample(settings)
    done = sample(settings, results=results_file(tmp_path, CHECKS))
    assert done.concluded is not None and done.concluded["proposal_status"] == "pending"
    return settings, done.concluded["proposal"]


def test_a_rejected_recovery_is_proposed_again_when_the_results_are_given_again(
    q1_paid: Settings, tmp_path: Path
) -> None:
    settings, first = pending(q1_paid, tmp_path)
    reject(settings, first, by="checker.one", roles=FINANCE, reason="checks not signed", as_of=LATER)
    # looked at, the sample shows the rejection; nothing is proposed until someone gives the results again
    shown = sample(settings).concluded
    assert shown is not None and (shown["proposal"], shown["proposal_status"]) == (first, "rejected")
    again = given_again(settings, tmp_path).concluded
    assert again is not None and again["proposal"] != first
    assert (again["proposal_status"], again["recovery"]) == ("pending", "1090.91")
    assert get_proposal(settings, again["proposal"])["amount"] == "2590.91"  # C-7 and the recovery, as before
    approved(settings, get_proposal(settings, again["proposal"]), as_of=LATER)
    assert sum(p for _, _, p in clawed(settings)) == -259091  # raised once
    # raised, the recovery can now be withdrawn (a rejected one could not)
    assert approved_withdrawal(settings, CONTRACT, "2026-Q1", reason="r", as_of=LATER, actor="lead").action == (
        "withdrawn"
    )


def test_a_recovery_made_stale_by_a_clawback_is_proposed_again_without_that_claim(
    q1_paid: Settings, tmp_path: Path
) -> None:
    settings, first = pending(q1_paid, tmp_path)
    approved_clawback(settings, CONTRACT, "C-7", reason="tenancy ended", as_of=LATER, actor="finance lead")
    with pytest.raises(UserError, match=f"proposal {first} is stale: the sampled claims' ledger changed"):
        approve(settings, first, by="checker.one", roles=FINANCE, as_of=LATER)
    again = given_again(settings, tmp_path).concluded
    assert again is not None and again["proposal"] != first and again["proposal_status"] == "pending"
    assert get_proposal(settings, first)["status"] == "rejected"  # superseded, saying what changed
    renewed = get_proposal(settings, again["proposal"])
    # C-7 is clawed back already: only the recovery is proposed (£327.27 + £763.64)
    assert renewed["amount"] == "1090.91"
    assert [e["amount"] for e in renewed["preview"]["entries"]] == ["-327.27", "-763.64"]
    approved(settings, renewed, as_of=LATER)
    c7 = [p for item, claim, p in clawed(settings) if item == "outcome"]
    assert sorted(c7) == [-105000, -45000]  # once, by the single clawback
    assert sum(p for item, _, p in clawed(settings) if item == "extrapolated_recovery") == -109091


def test_a_stale_recovery_rejected_is_proposed_again_from_the_ledger_now(q1_paid: Settings, tmp_path: Path) -> None:
    settings, first = pending(q1_paid, tmp_path)
    approved_clawback(settings, CONTRACT, "C-7", reason="tenancy ended", as_of=LATER, actor="finance lead")
    reject(settings, first, by="checker.one", roles=FINANCE, reason="stale", as_of=LATER)
    again = given_again(settings, tmp_path).concluded
    assert again is not None and again["proposal_status"] == "pending"
    assert get_proposal(settings, again["proposal"])["amount"] == "1090.91"
    with pytest.raises(UserError, match="waits for approval"):  # not lost: pending, and then raised
        propose_withdrawal(settings, CONTRACT, "2026-Q1", reason="r", as_of=LATER, actor="lead")


def test_a_stale_recovery_left_with_nothing_to_propose_is_closed_not_left_waiting(
    q1_paid: Settings, tmp_path: Path
) -> None:
    # the shipped policy applies the interval's lower bound: 27.27% - 1.96 x 24.51% is below 0%, so the sample
    # proposes C-7's clawback alone; C-7 clawed back on its own since leaves it nothing to propose
    sample(q1_paid)
    first = sample(q1_paid, results=results_file(tmp_path, CHECKS)).concluded
    assert first is not None and first["recovery"] == "0.00"
    assert get_proposal(q1_paid, first["proposal"])["amount"] == "1500.00"
    approved_clawback(q1_paid, CONTRACT, "C-7", reason="tenancy ended", as_of=LATER, actor="finance lead")
    again = given_again(q1_paid, tmp_path).concluded
    assert again is not None and "proposal" not in again and again["recovery"] == "0.00"
    closed = get_proposal(q1_paid, first["proposal"])
    assert closed["status"] == "rejected" and closed["reason"].startswith("superseded: the sampled claims' ledger")
    assert sorted(p for item, _, p in clawed(q1_paid) if item == "outcome") == [-105000, -45000]


def test_a_result_checked_again_after_its_recovery_was_rejected_is_changed_and_proposed_afresh(
    q1_paid: Settings, tmp_path: Path
) -> None:
    # the proposal is rejected because C-7 is to be checked again; checked again, C-7 proves valid: the result
    # is changed (nothing of the sample is in the ledger) and, every claim valid, nothing is proposed or raised
    settings, first = pending(q1_paid, tmp_path)
    reject(settings, first, by="checker.one", roles=FINANCE, reason="C-7 is to be checked again", as_of=LATER)
    with pytest.raises(UserError, match="give the check results again"):
        propose_withdrawal(settings, CONTRACT, "2026-Q1", reason="r", as_of=LATER, actor="lead")
    rechecked = [("C-2", "valid", ""), ("C-3", "valid", ""), ("C-7", "valid", "the right learner's certificate")]
    again = sample_validation(settings, CONTRACT, "2026-Q1", size=3, seed=7, results=results_file(tmp_path, rechecked),
                              as_of=LATER, actor="auditor", reason=PILOT).concluded  # fmt: skip
    assert again is not None and "proposal" not in again and again["recovery"] == "0.00"
    assert [i["result"] for i in sample(settings).items] == ["valid", "valid", "valid"]
    assert clawed(settings) == []  # nothing clawed back or recovered
    with unit_of_work(database(settings)) as session:
        events = [(e.before, e.after, e.reason) for e in events_for(session=session, entity="contract",
                  entity_ref=CONTRACT) if e.action == "sample_rechecked"]  # fmt: skip
    assert [(b["claim"], b["result"], b["note"], a["result"]) for b, a, _ in events] == [
        ("C-7", "invalid", "certificate is for another learner", "valid")
    ]
    assert events[0][2].startswith(f"its recovery (proposal {first}) was rejected")
    # who checked and when, before and after: the history showed the new checker and time as "none"
    assert (events[0][1]["checked_by"], events[0][1]["checked_at"]) == ("auditor", LATER.isoformat())


def test_a_result_given_differently_is_final_while_its_recovery_waits_and_once_it_is_raised(
    q1_paid: Settings, tmp_path: Path
) -> None:
    settings, first = pending(q1_paid, tmp_path)
    flipped = [("C-2", "valid", ""), ("C-3", "valid", ""), ("C-7", "valid", "")]
    with pytest.raises(UserError, match="C-7 was already recorded as invalid; a result is final"):
        given = results_file(tmp_path, flipped, name="flipped.csv")
        sample_validation(settings, CONTRACT, "2026-Q1", size=3, seed=7, results=given, as_of=LATER, actor="a",
                          reason=PILOT)  # fmt: skip
    approved(settings, get_proposal(settings, first), as_of=LATER)
    with pytest.raises(UserError, match="recovery correct"):
        sample_validation(settings, CONTRACT, "2026-Q1", size=3, seed=7, results=given, as_of=LATER, actor="a",
                          reason=PILOT)  # fmt: skip


def test_withdrawing_a_recovery_of_nothing_is_refused_not_proposed_for_nought(
    q1_paid: Settings, tmp_path: Path
) -> None:
    """The shipped policy's lower bound recovers nothing here (C-7's own clawback is all the sample raises):
    withdrawing that recovery proposed a £0.00 payment change for a second finance user to approve."""
    sample(q1_paid)
    first = sample(q1_paid, results=results_file(tmp_path, CHECKS)).concluded
    assert first is not None and first["recovery"] == "0.00"
    approved(q1_paid, get_proposal(q1_paid, first["proposal"]), as_of=LATER)
    with pytest.raises(UserError) as refused:
        propose_withdrawal(q1_paid, CONTRACT, "2026-Q1", reason="pilot", as_of=LATER, actor="lead")
    assert str(refused.value) == (
        "FCF-2025-01 2026-Q1: the sample's recovery is £0.00 with no entry of it open in the ledger: nothing to "
        "withdraw, so nothing is proposed"
    )
    assert "recovery_withdrawal" not in {p["kind"] for p in list_proposals(q1_paid)}
    shown = sample(q1_paid).concluded
    assert shown is not None and not shown.get("withdrawn")  # nothing changed


def test_a_result_may_be_given_again_once_its_recovery_proposal_ran_out_of_time_unlisted(
    q1_paid: Settings, tmp_path: Path
) -> None:
    # nobody decided it and nobody has listed the proposals since its time ran out: the sample closes it first,
    # so the re-check is taken, as after a rejection, rather than refused as waiting for approval
    settings, first = pending(q1_paid, tmp_path)
    with unit_of_work(database(settings)) as session:
        entered = session.get(Proposal, first)
        assert entered is not None
        entered.expires_at = LATER + dt.timedelta(hours=168)
        session.add(entered)
    rechecked = [("C-2", "valid", ""), ("C-3", "valid", ""), ("C-7", "valid", "the right learner's certificate")]
    again = sample_validation(settings, CONTRACT, "2026-Q1", size=3, seed=7, results=results_file(tmp_path, rechecked),
                              as_of=LATER, actor="auditor", reason=PILOT).concluded  # fmt: skip
    assert again is not None and "proposal" not in again and again["recovery"] == "0.00"
    assert get_proposal(settings, first)["status"] == "expired"
