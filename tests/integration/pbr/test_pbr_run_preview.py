"""A run's summary per outcome, as the preview shows it and the run keeps it, worked by hand.

The 2026-Q1 run of test_pbr_payments (FCF-2025-01): seven claims achieved in the quarter, all accepted at the card
price and none cut by a cap at run time.

  outcome          claims            paid
  EDU_ENTRY        C-1, C-3, C-6     3 x 500.00 = 1,500.00
  EDU_ENTRY_LEVEL  C-7                            1,500.00
  EDU_L1           C-4                            2,500.00
  EDU_L2           C-2                            3,500.00
  EMP_ENTRY        C-5                              500.00
                   7                              9,500.00 (central fund 30%: 2,850.00; council 70%: 6,650.00)
"""

from pathlib import Path

from flows.common.settings import Settings
from flows.pbr.payment_runs import propose_payment_run
from flows.pbr.reconcile import reconcile
from tests.integration.pbr.test_pbr_payments import CONTRACT, Q1_RUN, fcf, payments
from tests.support.approvals import approved

BY_OUTCOME = {
    "EDU_ENTRY": {"claims": 3, "paid": "1500.00", "capped": "0.00"},
    "EDU_ENTRY_LEVEL": {"claims": 1, "paid": "1500.00", "capped": "0.00"},
    "EDU_L1": {"claims": 1, "paid": "2500.00", "capped": "0.00"},
    "EDU_L2": {"claims": 1, "paid": "3500.00", "capped": "0.00"},
    "EMP_ENTRY": {"claims": 1, "paid": "500.00", "capped": "0.00"},
}


def test_the_preview_and_the_run_count_and_sum_each_outcome(settings: Settings, tmp_path: Path) -> None:
    claimed = fcf.__wrapped__(settings, tmp_path)  # type: ignore[attr-defined]
    proposed = propose_payment_run(claimed, CONTRACT, "2026-Q1", as_of=Q1_RUN, actor="finance")
    preview = proposed["proposal"]["preview"]
    assert preview["by_outcome"] == BY_OUTCOME
    assert (preview["claims"], preview["outcomes"], preview["capped_at_run"], preview["fees"], preview["paid"]) == (
        7,
        "9500.00",
        "0.00",
        "0.00",
        "9500.00",
    )
    assert preview["capped"] == []
    # approved as previewed: the run keeps the same summary
    run = approved(claimed, proposed["proposal"], as_of=Q1_RUN)
    assert run["summary"]["by_outcome"] == BY_OUTCOME
    assert payments(run["summary"]) == {"central fund": "2850.00", "council": "6650.00"}
    # No ACC_ENTRY was claimed: its cohort cap (300 x £500.00) is untouched in the reconciliation's caps table
    caps = {c["cap"]: c for c in reconcile(claimed, CONTRACT).caps}
    assert (caps["outcome ACC_ENTRY"]["accepted"], caps["outcome ACC_ENTRY"]["paid"]) == ("0.00", "0.00")
    assert caps["outcome ACC_ENTRY"]["headroom"] == "150000.00"
    # the contract cap counts every claim accepted (Q2's C-8 and C-9 too: £12,500.00), paid only Q1's £9,500.00
    assert (caps["contract"]["accepted"], caps["contract"]["paid"]) == ("12500.00", "9500.00")
