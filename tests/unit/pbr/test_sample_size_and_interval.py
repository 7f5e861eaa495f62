"""How many claims a sample must check, and the interval of the error rate by value, worked by hand."""

from decimal import Decimal

import pytest

from policies.pbr.sampling import RecoveryBasis, SamplingPolicy, extrapolate, minimum_sample_size, percent
from policies.pbr.sampling_policy import build_sampling_policy

D = Decimal
SHIPPED = SamplingPolicy(D("95"), D("5"), RecoveryBasis.LOWER_BOUND)


@pytest.mark.parametrize(
    ("population", "minimum"),
    [
        # n0 = 1.96^2 x 0.25 / 0.05^2 = 384.16; n = 384.16 / (1 + 383.16 / N), rounded up
        (1_000, 278),  # 384.16 / 1.38316 = 277.74
        (100, 80),  # 384.16 / 4.8316 = 79.51
        (10_000, 370),  # 384.16 / 1.038316 = 369.98
        (100_000, 383),  # 384.16 / 1.0038316 = 382.69
        (30, 28),  # 384.16 / 13.772 = 27.89
        (7, 7),  # 384.16 / 55.737 = 6.89: the whole run
        (2, 2),  # 384.16 / 192.58 = 1.99: the whole run
        (1, 1),  # 384.16 / 384.16 = 1
        (0, 0),  # nothing paid, nothing to check
    ],
)
def test_the_minimum_sample_at_95_percent_and_5_points(population: int, minimum: int) -> None:
    assert minimum_sample_size(population, SHIPPED) == minimum


def test_a_tighter_policy_asks_for_more() -> None:
    # 99% (z = 2.576) and ±3%: n0 = 6.635776 x 0.25 / 0.0009 = 1,843.27; N = 1,000: 1,843.27 / 2.84327 = 648.52
    assert minimum_sample_size(1_000, SamplingPolicy(D("99"), D("3"), RecoveryBasis.LOWER_BOUND)) == 649
    # 90% (z = 1.645) and ±5%: n0 = 2.706025 x 0.25 / 0.0025 = 270.6025; N = 1,000: 270.6025 / 1.2696025 = 213.14
    assert minimum_sample_size(1_000, SamplingPolicy(D("90"), D("5"), RecoveryBasis.LOWER_BOUND)) == 214


def test_the_docstring_example_of_278_claims_with_14_invalid() -> None:
    # 1,000 claims of £500 (£500,000); 278 sampled (£139,000), 14 invalid (£7,000). Every claim is worth the same,
    # so the ratio's variance is the proportion's: (1 - f) p (1 - p) / (n - 1), p = 14/278 = 0.050360, f = 0.278:
    # 0.722 x 0.047824 / 277 = 0.00012465; SE = 0.011165; 1.96 x SE = 0.021883: 2.85% to 7.22%.
    sampled = [(D("500"), False)] * 14 + [(D("500"), True)] * 264
    point = extrapolate(D("500000"), 1_000, sampled, basis=RecoveryBasis.POINT_ESTIMATE)
    lower = extrapolate(D("500000"), 1_000, sampled)
    assert [percent(x) for x in (point.error_rate, point.lower, point.upper)] == ["5.04%", "2.85%", "7.22%"]
    assert point.standard_error is not None and percent(point.standard_error) == "1.12%"
    assert (point.lower, point.upper) == (lower.lower, lower.upper)
    # £361,000 not sampled: x 14/278 = £18,179.856 -> £18,179.86; x 0.0284768 = £10,280.11
    assert (point.applied_rate, point.recovery) == (point.error_rate, D("18179.86"))
    assert (lower.basis, lower.applied_rate, lower.recovery) == (RecoveryBasis.LOWER_BOUND, lower.lower, D("10280.11"))


def test_the_ratio_estimator_weighs_claims_by_value() -> None:
    # 4 of 40 claims: £1,000, £1,000, £2,000 (invalid), £4,000. R = 2,000 / 8,000 = 0.25.
    # residuals y - R x: -250, -250, 1,500, -1,000; squares sum 3,375,000; over n - 1 = 3: 1,125,000.
    # mean x = 2,000. Var = (1 - 4/40) x 1,125,000 / (4 x 2,000^2) = 0.9 x 1,125,000 / 16,000,000 = 0.06328125.
    # SE = sqrt(0.06328125) = 0.25156; 0.25 +- 1.96 x 0.25156 = -0.2431 .. 0.7431, kept within 0 and 1.
    sampled = [(D("1000"), True), (D("1000"), True), (D("2000"), False), (D("4000"), True)]
    found = extrapolate(D("80000"), 40, sampled)
    assert found.error_rate == D("0.25")
    assert found.standard_error == D("0.06328125").sqrt()
    assert (found.lower, percent(found.upper)) == (D(0), "74.31%")
    assert found.recovery == D("0.00")  # the lower bound is 0: the sample shows no error for certain


def test_one_claim_found_invalid_no_longer_recovers_the_whole_quarter() -> None:
    # Issue 16: `sample --size 1`, one invalid, gave "100% invalid, £50,500 to recover". One claim says nothing of
    # the spread: the interval is 0% to 100% and its lower bound recovers nothing beyond that claim.
    found = extrapolate(D("51000.00"), 102, [(D("500.00"), False)])
    assert (found.error_rate, found.standard_error, found.lower, found.upper) == (D(1), None, D(0), D(1))
    assert (found.unsampled_value, found.recovery) == (D("50500.00"), D("0.00"))
    point = extrapolate(D("51000.00"), 102, [(D("500.00"), False)], basis=RecoveryBasis.POINT_ESTIMATE)
    assert point.recovery == D("50500.00")  # what the point estimate alone would still say


def test_a_sample_of_the_whole_run_has_no_sampling_error() -> None:
    # 3 of 3: f = 1, so the interval is the rate itself; nothing is unsampled, so nothing is extrapolated
    found = extrapolate(D("3000"), 3, [(D("1000"), True), (D("1000"), False), (D("1000"), True)])
    assert (found.standard_error, found.lower, found.upper, found.recovery) == (D(0), D(1) / 3, D(1) / 3, D(0))


def test_a_users_file_overrides_the_shipped_policy_key_by_key() -> None:
    shipped = {"sample": {"confidence": "95", "margin": "5"}, "recovery": {"basis": "lower_bound"}}
    mine = {"recovery": {"basis": "point_estimate"}}
    policy, problems = build_sampling_policy([("shipped", shipped), ("mine.toml", mine)])
    assert problems == []
    assert policy == SamplingPolicy(D("95"), D("5"), RecoveryBasis.POINT_ESTIMATE)


def test_a_bad_policy_names_each_key_and_why() -> None:
    bad = {"sample": {"confidence": "97", "margin": "0"}, "recovery": {"basis": "median"}, "extra": {}}
    policy, problems = build_sampling_policy([("mine.toml", bad)])
    assert policy is None
    assert problems == [
        "mine.toml: extra: is not a section; use sample, recovery",
        "sample.confidence: '97' is not one of 80, 90, 95, 98, 99 (percent)",
        "sample.margin: '0' must be above 0 and at most 50 (percent)",
        "recovery.basis: 'median' is not lower_bound or point_estimate",
    ]
