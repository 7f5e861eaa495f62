"""Post-payment validation samples on FCF-2025-01 (the claims and runs of test_pbr_payments.py): a sample drawn
by seed from what a run paid, its check results, and a concluded sample clawing back the invalid claims and
recovering the error rate from the rest, on both backends."""

import csv
import dataclasses
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from flows.approvals.service import get_proposal
from flows.common.errors import UserError
from flows.common.settings import Settings
from flows.pbr.reconcile import reconcile
from flows.pbr.sampling import SampleResult, sample_validation
from tests.integration.pbr import test_pbr_payments
from tests.integration.pbr.test_pbr_payments import (
    AUDIT,
    CONTRACT,
    Q2_RUN,
    claim_ids,
    counts,
    ledger,
    payments,
    schedule,
)
from tests.support.approvals import approved, approved_clawback, approved_run

fcf, q1_paid = test_pbr_payments.fcf, test_pbr_payments.q1_paid  # the fixtures

# --------------------------------------------------------------------------- post-payment samples

# Seed 7 draws C-2 (£3,500), C-3 (£500) and C-7 (£1,500) from the seven claims the Q1 run paid (£9,500).
SAMPLED = ["C-2", "C-3", "C-7"]


def results_file(folder: Path, rows: Sequence[tuple[str, str, str]], name: str = "checks.csv") -> Path:
    path = folder / name
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["claim_ref", "result", "note"])
        writer.writerows(rows)
    return path


# The policy's minimum for the 7 claims Q1 paid is all 7 (tests/unit/pbr/test_sample_size_and_interval.py): these
# samples of 3 record why fewer are checked.
PILOT = "pilot check of three claims agreed with the fund"


def sample(settings: Settings, *, size: int = 3, seed: int = 7, results: Path | None = None) -> SampleResult:
    return sample_validation(
        settings,
        CONTRACT,
        "2026-Q1",
        size=size,
        seed=seed,
        results=results,
        as_of=AUDIT,
        actor="auditor",
        reason=PILOT,
    )


def point_estimate(settings: Settings, folder: Path) -> Settings:
    """The settings with a sampling policy whose recovery applies the point estimate, not the lower bound."""
    path = folder / "sampling.toml"
    path.write_text('[recovery]\nbasis = "point_estimate"\n', encoding="utf-8")
    return dataclasses.replace(settings, sampling_policy_file=path)


def test_the_same_seed_draws_the_same_sample_and_another_is_refused(q1_paid: Settings) -> None:
    first = sample(q1_paid)
    assert (first.existing, first.population, first.population_value) == (False, 7, "9500.00")
    assert (first.minimum_size, first.size_reason) == (7, PILOT)
    assert [(i["claim"], i["paid"], i["result"]) for i in first.items] == [
        ("C-2", "3500.00", None),
        ("C-3", "500.00", None),
        ("C-7", "1500.00", None),
    ]
    assert first.concluded is None
    before = counts(q1_paid)
    again = sample(q1_paid)
    assert again.existing and again.items == first.items
    assert counts(q1_paid) == before
    for size, seed in ((3, 8), (4, 7)):
        with pytest.raises(UserError) as refused:
            sample(q1_paid, size=size, seed=seed)
        assert str(refused.value) == (
            "the sample for 2026-Q1 was drawn with --seed 7 --size 3; a period has one sample, so give those to see "
            "or record it"
        )
    assert counts(q1_paid) == before


def test_a_sample_needs_a_run(fcf: Settings) -> None:
    with pytest.raises(UserError) as refused:
        sample(fcf)
    assert str(refused.value) == "2026-Q1 has no payment run for FCF-2025-01; a sample checks what a run paid"


def test_bad_check_results_are_refused_and_nothing_recorded(q1_paid: Settings, tmp_path: Path) -> None:
    sample(q1_paid)
    before = counts(q1_paid)
    path = results_file(tmp_path, [("C-2", "valid", ""), ("C-7", "invalid", ""), ("C-3", "maybe", "")])
    with pytest.raises(UserError) as refused:
        sample(q1_paid, results=path)
    assert str(refused.value) == (
        "no check results were recorded:\n"
        f"  {path}:3: note: say why C-7 is invalid\n"
        f"  {path}:4: result: 'maybe' is not valid or invalid"
    )
    outsider = results_file(tmp_path, [("C-5", "valid", "")], "outsider.csv")
    with pytest.raises(UserError) as refused:
        sample(q1_paid, results=outsider)
    assert (
        str(refused.value) == f"no check results were recorded:\n  {outsider}:2: claim_ref: C-5 is not in this sample"
    )
    assert counts(q1_paid) == before


def test_a_concluded_sample_claws_back_the_invalid_and_recovers_the_error_rate_from_the_rest(
    q1_paid: Settings, tmp_path: Path
) -> None:
    q1_paid = point_estimate(q1_paid, tmp_path)
    sample(q1_paid)
    partial = sample(q1_paid, results=results_file(tmp_path, [("C-2", "valid", "")], "part.csv"))
    assert partial.concluded is None and [i["result"] for i in partial.items] == ["valid", None, None]
    assert not [e for e in ledger(q1_paid) if e.kind == "clawback"]

    checks = [("C-2", "valid", ""), ("C-3", "valid", ""), ("C-7", "invalid", "certificate is for another learner")]
    done = sample(q1_paid, results=results_file(tmp_path, checks))
    # By hand: sampled £3,500 + £500 + £1,500 = £5,500, of which £1,500 invalid (27.27% by value).
    # Not sampled: £9,500 - £5,500 = £4,000. Recovery: £4,000 x 1,500 / 5,500 = £1,090.909..., half up £1,090.91.
    recovery = (Decimal(4000) * Decimal(1500) / Decimal(5500)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert recovery == Decimal("1090.91")
    # The interval: residuals y - Rx are -954.55, -136.36 and 1,090.91; their squares sum to 2,119,834.7, over
    # n - 1 = 2: 1,059,917.4. Mean paid £1,833.33; n x mean^2 = 10,083,333. With 1 - 3/7 = 4/7: variance 0.060066,
    # SE 24.51%; 27.27% +- 1.96 x 24.51% = -20.76% .. 75.31%, kept above 0.
    assert done.concluded is not None
    proposal = done.concluded.pop("proposal")
    assert done.concluded.pop("proposal_status") == "pending"
    assert done.concluded == {
        "sampled_value": "5500.00",
        "invalid_value": "1500.00",
        "error_rate": "27.27%",
        "standard_error": "24.51%",
        "confidence": "95%",
        "interval": "0.00% to 75.31%",
        "basis": "point_estimate",
        "applied_rate": "27.27%",
        "method": "the point estimate 27.27% of 27.27% by value, 95% interval 0.00% to 75.31%",
        "unsampled_value": "4000.00",
        "recovery": "1090.91",
        "withdrawn": None,
    }
    # the clawback of C-7 and the recovery are proposed: neither is in the ledger until a second finance user
    # approves them
    assert not [e for e in ledger(q1_paid) if e.kind == "clawback"]
    approved(q1_paid, get_proposal(q1_paid, proposal), as_of=AUDIT)
    ids = claim_ids(q1_paid)
    clawbacks = sorted(
        (ids.get(e.claim_id or 0, "-"), e.item, e.payer, e.amount_pence)
        for e in ledger(q1_paid)
        if e.kind == "clawback"
    )
    # C-7 in full (£450.00 / £1,050.00); the recovery split 30% half up (£327.27) and the rest (£763.64).
    assert clawbacks == [
        ("-", "extrapolated_recovery", "central fund", -32727),
        ("-", "extrapolated_recovery", "council", -76364),
        ("C-7", "outcome", "central fund", -45000),
        ("C-7", "outcome", "council", -105000),
    ]
    recoveries = [e for e in ledger(q1_paid) if e.item == "extrapolated_recovery"]
    assert all(e.claim_id is None and e.sample_id is not None for e in recoveries)
    assert sum(e.amount_pence for e in recoveries) == -109091

    before = counts(q1_paid)
    again = sample(q1_paid, results=results_file(tmp_path, checks))  # the same results again: nothing new
    assert again.concluded == {**done.concluded, "proposal": proposal, "proposal_status": "approved"}
    assert counts(q1_paid) == before

    q2 = approved_run(q1_paid, CONTRACT, "2026-Q2", as_of=Q2_RUN, actor="finance")
    # Owed back: central fund £450.00 + £327.27 = £777.27; council £1,050.00 + £763.64 = £1,813.64.
    # Q2 accrues £900.00 / £2,100.00, so pays £122.73 / £286.36.
    assert payments(q2.summary) == {"central fund": "122.73", "council": "286.36"}
    assert q2.summary["payers"]["central fund"]["recovered"] == "777.27"
    assert [(r[4], r[9]) for r in schedule(q1_paid, "2026-Q2", "council.csv")[-2:]] == [
        ("recovery", "-1813.64"),
        ("payment", "286.36"),
    ]
    report = reconcile(q1_paid, CONTRACT)
    assert (report.totals["clawed_back"], report.totals["extrapolated_recoveries"]) == ("1500.00", "1090.91")


def test_a_sampled_claim_found_invalid_after_a_reversed_clawback_is_clawed_back(
    q1_paid: Settings, tmp_path: Path
) -> None:
    approved_clawback(q1_paid, CONTRACT, "C-7", reason="certificate queried", as_of=AUDIT, actor="finance")
    approved_clawback(q1_paid, CONTRACT, "C-7", reason="query answered", reverse=True, as_of=AUDIT, actor="finance")
    sample(q1_paid)  # draws C-2, C-3 and C-7
    checks = [("C-2", "valid", ""), ("C-3", "valid", ""), ("C-7", "invalid", "certificate is for another learner")]
    concluded = sample(q1_paid, results=results_file(tmp_path, checks)).concluded
    assert concluded is not None
    approved(q1_paid, get_proposal(q1_paid, concluded["proposal"]), as_of=AUDIT)
    ids = claim_ids(q1_paid)
    c7 = [e for e in ledger(q1_paid) if e.claim_id and ids[e.claim_id] == "C-7"]
    # accrued £1,500.00, clawed back, reversed, and now clawed back again: nothing left paid
    assert sum(e.amount_pence for e in c7) == 0
