"""Post-payment sampling: the same sample every time it is asked for, and the recovery worked by hand."""

import random
from decimal import Decimal

from policies.pbr.sampling import Extrapolation, RecoveryBasis, draw, drawn_positions, extrapolate

D = Decimal
REFS = [f"C-{n:03d}" for n in range(1, 201)]  # a run that paid 200 claims
WHERE = {"contract": "FCF-2025-01", "period": "2026-Q1"}


def test_the_same_request_draws_the_same_sample() -> None:
    first = draw(REFS, 20, **WHERE, seed=7)
    assert draw(REFS, 20, **WHERE, seed=7) == first
    shuffled = REFS[:]
    random.Random(0).shuffle(shuffled)
    assert draw(shuffled, 20, **WHERE, seed=7) == first  # the order claims come in does not matter


def test_the_places_drawn_are_the_claims_drawn() -> None:
    # The flow reads a run's references in order from the database and keeps only the places the seed picks:
    # C-001 stands at place 0, C-200 at 199, so place p holds C-(p+1).
    places = drawn_positions(len(REFS), 20, **WHERE, seed=7)
    assert len(set(places)) == 20 and all(0 <= p < 200 for p in places)
    assert sorted(f"C-{p + 1:03d}" for p in places) == draw(REFS, 20, **WHERE, seed=7)
    assert sorted(drawn_positions(3, 20, **WHERE, seed=7)) == [0, 1, 2]  # asked for more than were paid: all


def test_the_sample_is_sorted_distinct_and_from_the_run() -> None:
    sample = draw(REFS, 20, **WHERE, seed=7)
    assert len(sample) == 20
    assert sample == sorted(set(sample))
    assert set(sample) <= set(REFS)


def test_another_seed_period_or_contract_draws_another_sample() -> None:
    sample = draw(REFS, 20, **WHERE, seed=7)
    assert draw(REFS, 20, **WHERE, seed=8) != sample
    assert draw(REFS, 20, contract="FCF-2025-01", period="2026-Q2", seed=7) != sample
    assert draw(REFS, 20, contract="FCF-2025-02", period="2026-Q1", seed=7) != sample


def test_a_sample_drawn_for_an_audit_can_be_drawn_again_later() -> None:
    # Pinned: if an upgrade (of Python's random, say) changed these, an auditor could not re-draw the sample.
    twenty = REFS[:20]
    assert draw(twenty, 5, **WHERE, seed=1) == ["C-002", "C-006", "C-008", "C-012", "C-014"]
    assert draw(twenty, 5, **WHERE, seed=2) == ["C-003", "C-007", "C-008", "C-012", "C-019"]


def test_the_sample_is_at_most_the_whole_run() -> None:
    ten = REFS[:10]
    assert draw(list(reversed(ten)), 50, **WHERE, seed=1) == ten
    assert draw(ten, 0, **WHERE, seed=1) == []
    assert draw([], 5, **WHERE, seed=1) == []


POINT = {"basis": RecoveryBasis.POINT_ESTIMATE}


def test_the_point_estimate_of_200_claims_recovers_27000() -> None:
    # 200 claims worth £400,000; 20 sampled worth £40,000: 16 x 2,000 + 2 x 2,500 valid, 2 x 1,500 invalid
    sampled = [(D("2000.00"), True)] * 16 + [(D("2500.00"), True)] * 2 + [(D("1500.00"), False)] * 2
    assert len(sampled) == 20
    found = extrapolate(D("400000.00"), 200, sampled, **POINT)
    # 7.5% by value of the £360,000 not sampled
    assert (found.sampled_value, found.invalid_value, found.error_rate) == (D("40000.00"), D("3000.00"), D("0.075"))
    assert (found.applied_rate, found.unsampled_value, found.recovery) == (D("0.075"), D("360000.00"), D("27000.00"))
    assert str(found.recovery) == "27000.00"


def test_the_recovery_rounds_half_up_to_the_penny() -> None:
    # half the sample invalid; 0.05 not sampled: 0.025 -> 0.03 (not 0.02, as rounding to even would give)
    assert extrapolate(D("2.05"), 3, [(D("1.00"), True), (D("1.00"), False)], **POINT).recovery == D("0.03")
    # a third invalid by value; 100.00 not sampled: 33.333.. -> 33.33
    thirds = [(D("100.00"), True), (D("100.00"), True), (D("100.00"), False)]
    assert extrapolate(D("400.00"), 4, thirds, **POINT).recovery == D("33.33")


def test_a_clean_sample_recovers_nothing() -> None:
    found = extrapolate(D("1000.00"), 4, [(D("250.00"), True), (D("250.00"), True)], **POINT)
    assert (found.error_rate, found.unsampled_value, found.recovery) == (D(0), D("500.00"), D("0.00"))
    assert (found.standard_error, found.lower, found.upper) == (D(0), D(0), D(0))  # nothing invalid, no spread


def test_a_sample_worth_nothing_extrapolates_nothing() -> None:
    nothing = Extrapolation(D(0), D(0), D(0), None, D(0), D(0), RecoveryBasis.LOWER_BOUND, D(0), D("1000.00"), D(0))
    assert extrapolate(D("1000.00"), 4, []) == nothing
    assert extrapolate(D("1000.00"), 4, [(D("0.00"), False)]) == nothing
