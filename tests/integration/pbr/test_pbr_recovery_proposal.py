"""The recovery a concluded sample proposes, as the approver sees it, worked by hand.

The Q1 run of test_pbr_payments paid £9,500.00. C-2 (£3,500.00), C-3 (£500.00) and C-7 (£1,500.00) are sampled
and C-7 is found invalid, under a policy applying the point estimate: R = 1,500 / 5,500 = 27.27%; the £4,000.00 not
sampled x 1,500 / 5,500 = £1,090.91 is to be recovered, 30% (£327.27) from the central fund and 70% (£763.64) from
the council: each a clawback entry, negative. C-7's own £1,500.00 is clawed back in the same proposal, split as
it was paid: £450.00 (30%) from the central fund and £1,050.00 (70%) from the council. £2,590.91 in all.
"""

from pathlib import Path

from flows.approvals.service import get_proposal
from flows.common.settings import Settings
from tests.integration.pbr.test_pbr_payments import AUDIT, fcf, ledger, q1_paid
from tests.integration.pbr.test_pbr_samples import point_estimate, results_file, sample
from tests.support.approvals import approved


def test_the_proposed_recovery_shows_each_payers_entry_and_the_method(settings: Settings, tmp_path: Path) -> None:
    paid = point_estimate(q1_paid.__wrapped__(fcf.__wrapped__(settings, tmp_path)), tmp_path)  # type: ignore[attr-defined]
    sample(paid)
    checks = [("C-2", "valid", ""), ("C-3", "valid", ""), ("C-7", "invalid", "certificate is for another learner")]
    concluded = sample(paid, results=results_file(tmp_path, checks)).concluded
    assert concluded is not None
    proposal = get_proposal(paid, concluded["proposal"])
    assert proposal["kind"] == "sampling_recovery"
    assert [(e["payer"], e["kind"], e["amount"]) for e in proposal["preview"]["entries"]] == [
        ("central fund", "clawback", "-450.00"),  # C-7 itself
        ("council", "clawback", "-1050.00"),
        ("central fund", "clawback", "-327.27"),  # the extrapolated recovery
        ("council", "clawback", "-763.64"),
    ]
    # stated positive, as a single clawback's proposal states its amount: 1,500.00 + 1,090.91
    assert proposal["amount"] == "2590.91"
    assert proposal["preview"]["method"].startswith("the point estimate 27.27% of 27.27% by value")
    # Approved, C-7's clawback says why in the ledger: the checker's note, or "invalid" where none was given.
    approved(paid, proposal, as_of=AUDIT)
    memos = {e.memo for e in ledger(paid) if e.kind == "clawback" and e.claim_id is not None}
    assert memos == {"sample 2026-Q1: certificate is for another learner"}
