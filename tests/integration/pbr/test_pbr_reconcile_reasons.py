"""Where the rejected pence of a claim go in the reconciliation, when a claim is above the card price and a cap
takes the rest: a finance officer's hand count, on both backends.

FCF-2025-01 on the Fair Chance Fund card with its contract cap cut to £1,000.00 (every entry outcome is priced
£500.00). P-001 (referred 2025-10-01) claims, imported on 1 April 2026:

  claim  outcome    achieved    claimed  verdict           accepted  capped  rejected  reasons
  C-1    EMP_ENTRY  2025-10-06   600.00  partly_accepted     500.00       -    100.00  above_price
  C-2    EDU_ENTRY  2025-10-13   500.00  accepted            500.00       -         -  (the cap is now used up)
  C-3    ACC_ENTRY  2025-10-20   700.00  rejected                 -  500.00    200.00  above_price, over_contract_cap
                                1,800.00                    1,000.00  500.00    300.00

C-3's price, £500.00, is what the cap took (capped); the £200.00 claimed above the price is rejected as
above_price, like C-1's £100.00, not put under the cap. So above_price is 2 claims and £300.00, and
over_contract_cap 1 claim and £0.00 (its £500.00 is in "capped"). Nothing is paid yet: the £1,000.00 accepted
is all outstanding.
"""

import datetime as dt
from pathlib import Path

from flows.common.settings import Settings
from flows.pbr.claims_import import import_claims
from flows.pbr.participants import import_participants
from flows.pbr.reconcile import reconcile
from tests.integration.pbr.test_pbr_imports import CONTRACT, PARTICIPANTS, SENT, claims_csv, stored, variant
from tests.support.approvals import approved_clawback, approved_run
from tests.support.builders import FCF_CARD, fcf_contract

CLAIMS = [
    ("C-1", "P-001", "EMP_ENTRY", "2025-10-06", "600.00", "payslip"),
    ("C-2", "P-001", "EDU_ENTRY", "2025-10-13", "", "enrolment"),
    ("C-3", "P-001", "ACC_ENTRY", "2025-10-20", "700.00", "tenancy_agreement"),
]


def test_the_part_claimed_above_the_price_is_rejected_as_above_price_even_when_a_cap_takes_the_rest(
    settings: Settings, tmp_path: Path
) -> None:
    card = variant(tmp_path, "small-cap.yaml", ('contract_cap: "1500000.00"', 'contract_cap: "1000.00"'))
    fcf_contract(settings, card=card)
    people = tmp_path / "participants.csv"
    people.write_text(PARTICIPANTS, encoding="utf-8")
    import_participants(settings, people, as_of=SENT, actor="finance")
    import_claims(settings, claims_csv(tmp_path / "claims.csv", CLAIMS), as_of=SENT, actor="finance")
    rows = stored(settings)
    assert rows["C-1"] == [("partly_accepted", 50000, 50000, "above_price")]
    assert rows["C-3"] == [("rejected", 50000, 0, "above_price,over_contract_cap")]

    report = reconcile(settings, CONTRACT)
    t = report.totals
    assert (t["claims"], t["accepted_claims"], t["rejected_claims"]) == (3, 2, 1)
    assert (t["claimed"], t["accepted"], t["capped"], t["rejected"]) == ("1800.00", "1000.00", "500.00", "300.00")
    assert (t["paid"], t["outstanding"]) == ("0.00", "1000.00")
    assert report.rejected_by_reason == [
        {"reason": "above_price", "claims": 2, "value": "300.00"},
        {"reason": "over_contract_cap", "claims": 1, "value": "0.00"},
    ]
    by_outcome = {r["outcome"]: (r["claimed"], r["accepted"], r["capped"], r["rejected"]) for r in report.rows}
    assert by_outcome == {
        "ACC_ENTRY": ("700.00", "0.00", "500.00", "200.00"),
        "EDU_ENTRY": ("500.00", "500.00", "0.00", "0.00"),
        "EMP_ENTRY": ("600.00", "500.00", "0.00", "100.00"),
    }
    # The caps table: nothing paid yet is £0.00 paid; a participant cap has no "paid" of its own (left blank)
    caps = {c["cap"]: c for c in report.caps}
    assert caps["contract"] == {
        "cap": "contract",
        "limit": "1000.00",
        "accepted": "1000.00",
        "paid": "0.00",
        "headroom": "0.00",
    }
    assert caps["participant (highest: P-001)"] == {
        "cap": "participant (highest: P-001)",
        "limit": "15000.00",
        "accepted": "1000.00",  # C-1's £500.00 and C-2's £500.00 (C-3 is rejected)
        "paid": "",
        "headroom": "14000.00",
    }


def test_a_clawed_back_claim_gives_its_outcome_cap_back_but_stays_paid(settings: Settings, tmp_path: Path) -> None:
    # ACC_ENTRY is capped at the cohort: 300 x £500.00 = £150,000.00. C-1 (P-001, 2025-10-20) is paid £500.00 in
    # the 2025-Q4 run, then clawed back: accepted, net of clawbacks, is £500.00 - £500.00 = £0.00, so the headroom
    # is the whole £150,000.00 again; "paid, before clawbacks" still says the run paid £500.00.
    fcf_contract(settings, card=FCF_CARD)
    people = tmp_path / "participants.csv"
    people.write_text(PARTICIPANTS, encoding="utf-8")
    import_participants(settings, people, as_of=SENT, actor="finance")
    rows = [("C-1", "P-001", "ACC_ENTRY", "2025-10-20", "", "tenancy_agreement")]
    import_claims(settings, claims_csv(tmp_path / "claims.csv", rows), as_of=SENT, actor="finance")
    run_on = dt.datetime(2026, 4, 2, 9, 0, tzinfo=dt.UTC)
    approved_run(settings, CONTRACT, "2025-Q4", as_of=run_on, actor="finance")
    later = run_on + dt.timedelta(days=1)
    approved_clawback(settings, CONTRACT, "C-1", reason="tenancy never signed", as_of=later, actor="finance")
    caps = {c["cap"]: c for c in reconcile(settings, CONTRACT).caps}
    assert caps["outcome ACC_ENTRY"] == {
        "cap": "outcome ACC_ENTRY",
        "limit": "150000.00",
        "accepted": "0.00",
        "paid": "500.00",
        "headroom": "150000.00",
    }
    # and P-001 no longer holds anything accepted: the participant cap's highest is nobody yet, at £0.00
    assert (caps["participant (highest: none yet)"]["accepted"], caps["participant (highest: none yet)"]["paid"]) == (
        "0.00",
        "",
    )
