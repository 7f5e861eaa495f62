"""A sample's size against the policy, its recovery by the stated method, and every way back as ledger entries.

FCF-2025-01 with the claims of test_pbr_payments: the 2026-Q1 run paid 7 claims worth £9,500.00, 30% central
fund and 70% council. The shipped policy (95%, ±5%) needs all 7 checked: n0 = 384.16, 384.16 / (1 + 383.16 / 7)
= 6.89, rounded up. Seed 7 with size 3 draws C-2 (£3,500), C-3 (£500) and C-7 (£1,500); seed 1 with size 1 draws
C-4 (£2,500).
"""

import datetime as dt
from pathlib import Path

import pytest

from flows.approvals.service import approve, expire_stale, get_proposal, reject
from flows.common.errors import UserError
from flows.common.runtime import database
from flows.common.settings import Settings
from flows.pbr.clawbacks import propose_clawback
from flows.pbr.contract import contract_id, pbr_contract
from flows.pbr.reconcile import reconcile
from flows.pbr.recovery_proposals import propose_withdrawal
from flows.pbr.sampling import SampleResult, sample_validation
from models.approvals import Proposal
from models.db import unit_of_work
from models.events import events_for
from models.pbr.totals import ledger_balances
from tests.integration.pbr import test_pbr_payments
from tests.integration.pbr.test_pbr_payments import AUDIT, CONTRACT, claim_ids, counts, ledger
from tests.integration.pbr.test_pbr_samples import PILOT, point_estimate, results_file, sample
from tests.support.approvals import approved, approved_clawback, approved_correction, approved_withdrawal

fcf, q1_paid = test_pbr_payments.fcf, test_pbr_payments.q1_paid  # the fixtures: Q1 paid, 7 claims, £9,500.00
LATER = AUDIT + dt.timedelta(days=1)
CHECKS = [("C-2", "valid", ""), ("C-3", "valid", ""), ("C-7", "invalid", "certificate is for another learner")]


def balances(settings: Settings) -> dict[str, int]:
    with unit_of_work(database(settings)) as session:
        return ledger_balances(session=session, contract_id=contract_id(pbr_contract(session, CONTRACT)))


def recovery_net(settings: Settings) -> int:
    return sum(e.amount_pence for e in ledger(settings) if e.item == "extrapolated_recovery")


def actions(settings: Settings) -> list[tuple[str, str | None, dict | None, dict | None]]:
    with unit_of_work(database(settings)) as session:
        return [
            (e.action, e.reason, e.before, e.after)
            for e in events_for(session=session, entity="contract", entity_ref=CONTRACT)
            if "recovery" in e.action or "sample" in e.action
        ]


@pytest.fixture
def concluded(q1_paid: Settings, tmp_path: Path) -> tuple[Settings, dict[str, int]]:
    """Q1 sampled (3 claims, with the pilot's reason) under the point estimate; C-7 found invalid; the balances
    just before the sample concluded."""
    settings = point_estimate(q1_paid, tmp_path)
    sample(settings)
    before = balances(settings)
    done = sample(settings, results=results_file(tmp_path, CHECKS))
    assert done.concluded is not None and done.concluded["recovery"] == "1090.91"  # £4,000 x 1,500 / 5,500
    assert recovery_net(settings) == 0  # proposed, not yet raised
    approved(settings, get_proposal(settings, done.concluded["proposal"]), as_of=AUDIT)  # by a second person
    return settings, before


def pending_recovery(q1_paid: Settings, tmp_path: Path) -> tuple[Settings, SampleResult]:
    """Q1 sampled under the point estimate with C-7 found invalid: its clawback and the recovery proposed."""
    settings = point_estimate(q1_paid, tmp_path)
    sample(settings)
    done = sample(settings, results=results_file(tmp_path, CHECKS))
    assert done.concluded is not None and done.concluded["proposal_status"] == "pending"
    return settings, done


def test_a_sample_below_the_policys_minimum_is_refused_naming_the_minimum(q1_paid: Settings) -> None:
    before = counts(q1_paid)
    with pytest.raises(UserError) as refused:
        sample_validation(q1_paid, CONTRACT, "2026-Q1", size=3, seed=7, results=None, as_of=AUDIT, actor="auditor")
    assert str(refused.value) == (
        "--size: 3 is below the minimum sample of 7 of the 7 claims paid (95% confidence, ±5%, from the sampling "
        "policy); give --size 7, or --reason to record why fewer are checked"
    )
    assert counts(q1_paid) == before
    drawn = sample(q1_paid)  # with the pilot's reason
    assert (drawn.minimum_size, drawn.size_reason) == (7, PILOT)
    assert actions(q1_paid) == [
        (
            "sample_drawn",
            PILOT,
            None,
            {"period": "2026-Q1", "seed": 7, "size": 3, "population": 7, "minimum_size": 7},
        )
    ]


def test_the_minimum_needs_no_reason(q1_paid: Settings) -> None:
    whole = sample_validation(q1_paid, CONTRACT, "2026-Q1", size=7, seed=7, results=None, as_of=AUDIT, actor="a")
    assert (len(whole.items), whole.minimum_size, whole.size_reason) == (7, 7, None)


def test_one_claim_found_invalid_no_longer_recovers_the_rest_of_the_quarter(q1_paid: Settings, tmp_path: Path) -> None:
    # Issue 16: a sample of one, found invalid, said "100% invalid" and recovered everything not sampled (here
    # £9,500 - £2,500 = £7,000). By the shipped lower bound it recovers nothing beyond the claim itself.
    checks = results_file(tmp_path, [("C-4", "invalid", "no certificate on file")])
    one = sample_validation(
        q1_paid, CONTRACT, "2026-Q1", size=1, seed=1, results=None, as_of=AUDIT, actor="auditor", reason="spot check"
    )
    assert [i["claim"] for i in one.items] == ["C-4"]
    done = sample_validation(
        q1_paid, CONTRACT, "2026-Q1", size=1, seed=1, results=checks, as_of=AUDIT, actor="auditor", reason="ignored"
    )
    assert done.concluded is not None
    assert {k: done.concluded[k] for k in ("error_rate", "interval", "basis", "applied_rate", "recovery")} == {
        "error_rate": "100.00%",
        "interval": "0.00% to 100.00%",
        "basis": "lower_bound",
        "applied_rate": "0.00%",
        "recovery": "0.00",
    }
    assert done.size_reason == "spot check"  # the reason given when it was drawn
    ids = claim_ids(q1_paid)
    # C-4 itself is to be clawed back in full (£750.00 / £1,750.00), proposed; no extrapolated recovery is raised
    assert not [e for e in ledger(q1_paid) if e.kind == "clawback"]
    proposal = get_proposal(q1_paid, done.concluded["proposal"])
    assert (proposal["kind"], proposal["amount"]) == ("sampling_recovery", "2500.00")
    approved(q1_paid, proposal, as_of=AUDIT)
    assert sorted((ids[e.claim_id or 0], e.payer, e.amount_pence) for e in ledger(q1_paid) if e.kind == "clawback") == [
        ("C-4", "central fund", -75000),
        ("C-4", "council", -175000),
    ]
    concluded_event = [a for a in actions(q1_paid) if a[0] == "sample_concluded"]
    assert concluded_event[0][3] is not None and concluded_event[0][3]["interval"] == "0.00% to 100.00%"


def test_a_withdrawn_recovery_restores_every_payers_balance(concluded: tuple[Settings, dict[str, int]]) -> None:
    settings, before = concluded
    # Concluded: C-7 clawed back (£450.00 / £1,050.00) and £1,090.91 recovered (£327.27 / £763.64).
    assert balances(settings) == {
        "central fund": before["central fund"] - 45000 - 32727,
        "council": before["council"] - 105000 - 76364,
    }
    # Proposed first: the preview shows the reversing entries, and nothing moves until a second person approves.
    proposed = propose_withdrawal(
        settings, CONTRACT, "2026-Q1", reason="fund agreed no extrapolation", as_of=LATER, actor="finance lead"
    )
    assert proposed["proposal"]["kind"] == "recovery_withdrawal"
    assert len(proposed["proposal"]["preview"]["entries"]) == 2
    assert recovery_net(settings) == -109091
    assert reconcile(settings, CONTRACT).totals["extrapolated_recoveries"] == "1090.91"
    result = approved_withdrawal(
        settings, CONTRACT, "2026-Q1", reason="fund agreed no extrapolation", as_of=LATER, actor="finance lead"
    )
    assert (result.action, result.before["recovery"], result.after["recovery"]) == ("withdrawn", "1090.91", "0.00")
    assert sorted((e["payer"], e["kind"], e["amount"]) for e in result.entries) == [
        ("central fund", "reversal", "327.27"),
        ("council", "reversal", "763.64"),
    ]
    # the recovery is gone to the penny; C-7's own clawback stays until it is reversed
    assert recovery_net(settings) == 0
    # the reconciliation's extrapolated recoveries: £1,090.91 raised less £1,090.91 reversed = £0.00
    assert reconcile(settings, CONTRACT).totals["extrapolated_recoveries"] == "0.00"
    assert balances(settings) == {"central fund": before["central fund"] - 45000, "council": before["council"] - 105000}
    entries = counts(settings)
    again = approved_withdrawal(settings, CONTRACT, "2026-Q1", reason="again", as_of=LATER, actor="finance lead")
    assert again.action == "unchanged" and counts(settings) == entries
    # C-7 reinstated: its clawback reversed; the withdrawn recovery stays withdrawn. Every payer is back where it was.
    approved_clawback(
        settings, CONTRACT, "C-7", reason="certificate was genuine", reverse=True, as_of=LATER, actor="finance"
    )
    assert balances(settings) == before
    # C-7's reversal is for a claim: it gives back C-7's £1,500.00, not an extrapolated recovery, which stays £0.00
    report = reconcile(settings, CONTRACT)
    assert report.totals["extrapolated_recoveries"] == "0.00"
    assert [(p["payer"], p["clawed_back"], p["reversed"]) for p in report.payers] == [
        ("central fund", "777.27", "777.27"),  # C-7's £450.00 and the recovery's £327.27, each reversed
        ("council", "1813.64", "1813.64"),  # £1,050.00 and £763.64
    ]
    withdrawn = [a for a in actions(settings) if a[0] == "recovery_withdrawn"]
    assert len(withdrawn) == 1
    _, reason, was, now = withdrawn[0]
    assert reason == "fund agreed no extrapolation" and was is not None and now is not None
    # withdrawn by the approver, when it took effect (the proposal keeps who proposed it)
    assert (was["recovery"], now["recovery"], now["withdrawn"]["by"]) == ("1090.91", "0.00", "checker.one")


def test_a_corrected_check_recomputes_the_recovery_by_reversing_entries(
    concluded: tuple[Settings, dict[str, int]],
) -> None:
    settings, before = concluded
    result = approved_correction(
        settings,
        CONTRACT,
        "2026-Q1",
        "C-3",
        result="invalid",
        reason="enrolment was never confirmed",
        as_of=LATER,
        actor="auditor",
    )
    # Now £500 + £1,500 = £2,000 of £5,500 invalid (36.36%): £4,000 x 2,000 / 5,500 = £1,454.545..., £1,454.55,
    # split 30% half up (£436.37) and the rest (£1,018.18). C-3 is clawed back (£150.00 / £350.00).
    assert (result.action, result.before["recovery"], result.after["recovery"]) == ("recomputed", "1090.91", "1454.55")
    assert result.after["error_rate"] == "36.36%"
    assert sorted((e["payer"], e["kind"], e["amount"]) for e in result.entries) == [
        ("central fund", "clawback", "-150.00"),
        ("central fund", "clawback", "-436.37"),
        ("central fund", "reversal", "327.27"),
        ("council", "clawback", "-1018.18"),
        ("council", "clawback", "-350.00"),
        ("council", "reversal", "763.64"),
    ]
    assert recovery_net(settings) == -145455
    assert balances(settings) == {
        "central fund": before["central fund"] - 45000 - 15000 - 43637,
        "council": before["council"] - 105000 - 35000 - 101818,
    }
    corrected = [a for a in actions(settings) if a[0] == "sample_check_corrected"]
    assert corrected == [
        (
            "sample_check_corrected",
            "enrolment was never confirmed",
            {"period": "2026-Q1", "claim": "C-3", "result": "valid"},
            {"period": "2026-Q1", "claim": "C-3", "result": "invalid"},
        )
    ]


def test_reinstating_the_invalid_sampled_claim_takes_its_recovery_away(
    concluded: tuple[Settings, dict[str, int]],
) -> None:
    settings, before = concluded
    # The reversal's preview shows the recovery it will take away; nothing moves until it is approved.
    proposed = propose_clawback(
        settings, CONTRACT, "C-7", reason="the certificate was genuine", reverse=True, as_of=LATER, actor="fin"
    )
    [shown] = proposed["proposal"]["preview"]["recovery"]
    assert (shown["before"]["recovery"], shown["after"]["recovery"]) == ("1090.91", "0.00")
    assert recovery_net(settings) == -109091
    approved(settings, proposed["proposal"], as_of=LATER)
    # No invalid claim is left in the sample: the error rate is 0%, the recovery £0.00, its entries reversed.
    assert recovery_net(settings) == 0
    assert balances(settings) == before
    recomputed = [a for a in actions(settings) if a[0] == "recovery_recomputed"]
    assert len(recomputed) == 1 and recomputed[0][1] == "the certificate was genuine"
    assert recomputed[0][3] is not None and (recomputed[0][3]["error_rate"], recomputed[0][3]["recovery"]) == (
        "0.00%",
        "0.00",
    )


def test_a_recovery_cannot_be_withdrawn_before_the_sample_concludes(q1_paid: Settings) -> None:
    sample(q1_paid)
    with pytest.raises(UserError, match="not concluded: every claim is checked first"):
        approved_withdrawal(q1_paid, CONTRACT, "2026-Q1", reason="r", as_of=LATER, actor="a")
    with pytest.raises(UserError, match="--reason: say why"):
        approved_withdrawal(q1_paid, CONTRACT, "2026-Q1", reason=" ", as_of=LATER, actor="a")


def test_a_pending_recovery_made_stale_by_a_corrected_check_is_refused_not_raised_twice(
    q1_paid: Settings, tmp_path: Path
) -> None:
    settings, done = pending_recovery(q1_paid, tmp_path)
    pending = get_proposal(settings, done.concluded["proposal"])
    # While the £1,090.91 (and C-7's clawback) waits, C-3's check cannot be corrected: it is decided first.
    with pytest.raises(UserError) as refused:
        approved_correction(
            settings, CONTRACT, "2026-Q1", "C-3", result="invalid", reason="never enrolled", as_of=LATER, actor="a"
        )
    assert str(refused.value) == (
        f"the 2026-Q1 sample of {CONTRACT}: its recovery (proposal {pending['id']}) waits for approval; "
        "approve or reject it first"
    )
    # C-7 clawed back by hand meanwhile (approved): the sampled claims' ledger moved, so the recovery is stale
    # rather than C-7 clawed back twice.
    approved_clawback(settings, CONTRACT, "C-7", reason="wrong learner", as_of=LATER, actor="finance")
    with pytest.raises(UserError, match="stale: the sampled claims' ledger changed"):
        approved(settings, pending, as_of=LATER)
    assert recovery_net(settings) == 0
    c7 = [
        e.amount_pence for e in ledger(settings) if e.kind == "clawback" and e.claim_id == claim_ids_of(settings)["C-7"]
    ]
    assert sorted(c7) == [-105000, -45000]  # once: £450.00 / £1,050.00


def claim_ids_of(settings: Settings) -> dict[str, int]:
    return {ref: claim_id for claim_id, ref in claim_ids(settings).items()}


def test_a_samples_clawbacks_and_recovery_reach_the_ledger_only_when_approved(
    q1_paid: Settings, tmp_path: Path
) -> None:
    # The Q1 run accrued and paid £9,500.00 (£2,850.00 central fund, £6,650.00 council): each balance is £0.00.
    settings = point_estimate(q1_paid, tmp_path)
    assert balances(settings) == {"central fund": 0, "council": 0}
    sample(settings)
    done = sample(settings, results=results_file(tmp_path, CHECKS))
    assert done.concluded is not None
    proposal = get_proposal(settings, done.concluded["proposal"])
    # Proposed: C-7 (£1,500.00: £450.00 / £1,050.00) and £1,090.91 extrapolated (£327.27 / £763.64), £2,590.91.
    assert (proposal["kind"], proposal["amount"], proposal["status"]) == ("sampling_recovery", "2590.91", "pending")
    assert sorted((e["payer"], e.get("claim", "-"), e["amount"]) for e in proposal["preview"]["entries"]) == [
        ("central fund", "-", "-327.27"),
        ("central fund", "C-7", "-450.00"),
        ("council", "-", "-763.64"),
        ("council", "C-7", "-1050.00"),
    ]
    # Before approval: neither the sampled claim's clawback nor the recovery is in the ledger.
    assert not [e for e in ledger(settings) if e.kind == "clawback"]
    assert balances(settings) == {"central fund": 0, "council": 0}
    with pytest.raises(UserError, match="auditor proposed it; the approver must be someone else"):
        approve(settings, proposal["id"], by="auditor", roles={"finance"}, as_of=LATER)
    approved(settings, proposal, as_of=LATER)
    # After, owed back: central fund £450.00 + £327.27 = £777.27; council £1,050.00 + £763.64 = £1,813.64.
    assert balances(settings) == {"central fund": -77727, "council": -181364}
    mine = sorted((e.item, e.payer, e.amount_pence) for e in ledger(settings) if e.kind == "clawback")
    assert mine == [
        ("extrapolated_recovery", "central fund", -32727),
        ("extrapolated_recovery", "council", -76364),
        ("outcome", "central fund", -45000),
        ("outcome", "council", -105000),
    ]


def test_a_rejected_sample_recovery_writes_nothing_and_cannot_be_corrected(q1_paid: Settings, tmp_path: Path) -> None:
    settings, done = pending_recovery(q1_paid, tmp_path)
    entries = len(ledger(settings))
    reject(settings, done.concluded["proposal"], by="checker.one", roles={"finance"}, reason="checks not signed",
           as_of=LATER)  # fmt: skip
    assert len(ledger(settings)) == entries
    assert not [e for e in ledger(settings) if e.kind == "clawback"]
    assert balances(settings) == {"central fund": 0, "council": 0}  # the Q1 run's, untouched
    again = sample(settings)  # looked at again: the rejection, and nothing new (test_pbr_recovery_again: the
    # results given again propose it again)
    assert again.concluded == {**done.concluded, "proposal_status": "rejected"} and len(ledger(settings)) == entries
    with pytest.raises(UserError) as refused:
        propose_withdrawal(settings, CONTRACT, "2026-Q1", reason="r", as_of=LATER, actor="finance lead")
    assert str(refused.value) == (
        f"the 2026-Q1 sample of {CONTRACT}: its recovery (proposal {done.concluded['proposal']}) was rejected, "
        "so nothing was raised to withdraw or correct; give the check results again with `commission sample ... "
        "--results FILE` (a wrong result may be given differently) to propose the recovery afresh"
    )


def test_a_sample_recovery_that_expired_undecided_is_proposed_again_when_the_results_are_given_again(
    q1_paid: Settings, tmp_path: Path
) -> None:
    settings, done = pending_recovery(q1_paid, tmp_path)
    first = done.concluded["proposal"]
    # nobody decides it: as if entered eight days ago, its 168 hours have run out, and the sweep closes it
    with unit_of_work(database(settings)) as session:
        entered = session.get(Proposal, first)
        entered.expires_at = LATER + dt.timedelta(hours=168)
        session.add(entered)
    assert expire_stale(settings) == 1
    assert get_proposal(settings, first)["status"] == "expired" and recovery_net(settings) == 0
    # "expired" is not "rejected": given again, the results propose it again, with the same figures
    again = sample(settings, results=results_file(tmp_path, CHECKS))
    assert again.concluded is not None and again.concluded["proposal"] != first
    assert (again.concluded["proposal_status"], again.concluded["recovery"]) == ("pending", "1090.91")
    approved(settings, get_proposal(settings, again.concluded["proposal"]), as_of=LATER)
    assert recovery_net(settings) == -109091  # raised once
