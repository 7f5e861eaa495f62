"""Sampling at its edges, worked by hand: the smallest sample that has a spread (two claims), an interval cut
at 100%, each confidence level a policy may name, and a policy file's margins at both ends."""

from decimal import Decimal

import pytest

from policies.pbr.sampling import RecoveryBasis, SamplingPolicy, extrapolate, minimum_sample_size, percent
from policies.pbr.sampling_policy import build_sampling_policy

D = Decimal


def test_two_claims_are_the_fewest_with_a_spread_and_the_interval_stops_at_100_percent() -> None:
    # 2 of 10 claims (£2,000 paid): £100 valid and £300 invalid. R = 300 / 400 = 0.75.
    # residuals y - R x: 0 - 75 = -75 and 300 - 225 = 75; squares 11,250, over n - 1 = 1: 11,250. mean x = 200.
    # Var = (1 - 2/10) x 11,250 / (2 x 200^2) = 9,000 / 80,000 = 0.1125; SE = 0.33541; 1.96 x SE = 0.65740.
    # 0.75 - 0.65740 = 9.26%; 0.75 + 0.65740 = 140.74%, kept to 100%.
    found = extrapolate(D("2000"), 10, [(D("100"), True), (D("300"), False)])
    assert found.standard_error == D("0.1125").sqrt()
    assert (percent(found.lower), found.upper) == ("9.26%", D(1))
    # the £1,600 not sampled x 0.0925960 = £148.15 by the lower bound
    assert (found.unsampled_value, found.recovery) == (D("1600"), D("148.15"))


@pytest.mark.parametrize(
    ("confidence", "margin", "minimum"),
    [
        # 80%, z = 1.2816: n0 = 1.64249856 x 0.25 / 0.0025 = 164.25; 164.25 / (1 + 163.25 / 1,000) = 141.20
        ("80", "5", 142),
        # 98%, z = 2.326: n0 = 5.410276 x 0.25 / 0.0025 = 541.03; 541.03 / (1 + 540.03 / 1,000) = 351.31
        ("98", "5", 352),
        # the widest margin a policy may set, ±50%: n0 = 3.8416 x 0.25 / 0.25 = 3.8416; / 1.0028416 = 3.83
        ("95", "50", 4),
    ],
)
def test_each_confidence_level_of_a_1000_claim_run(confidence: str, margin: str, minimum: int) -> None:
    policy = SamplingPolicy(D(confidence), D(margin), RecoveryBasis.LOWER_BOUND)
    assert minimum_sample_size(1_000, policy) == minimum


def policy_file(sample: dict[str, object]) -> tuple[SamplingPolicy | None, list[str]]:
    return build_sampling_policy([("mine.toml", {"sample": sample, "recovery": {"basis": "lower_bound"}})])


@pytest.mark.parametrize(("margin", "read"), [("50", D(50)), ("0.5", D("0.5")), (3, D(3)), (" 2.50 ", D("2.5"))])
def test_a_margin_above_0_and_up_to_50_points_is_read(margin: object, read: Decimal) -> None:
    policy, problems = policy_file({"confidence": 95, "margin": margin})
    assert problems == [] and policy == SamplingPolicy(D(95), read, RecoveryBasis.LOWER_BOUND)


@pytest.mark.parametrize("margin", ["50.01", "51", "-5", "NaN", "Infinity", "five", True, 2.5])
def test_a_margin_outside_0_to_50_or_not_written_as_a_number_is_refused(margin: object) -> None:
    # a TOML float (2.5 unquoted) is refused with the rest: the shipped file writes margins as text ("5"), exactly
    assert policy_file({"confidence": "95", "margin": margin}) == (
        None,
        [f"sample.margin: {margin!r} must be above 0 and at most 50 (percent)"],
    )


def test_every_problem_in_a_file_is_named_not_only_the_first() -> None:
    # a section that is a value and an unknown section after it; then a confidence written 95.0 is read as 95
    doc = {"sample": 5, "colour": {"hue": 1}, "recovery": {"basis": "point_estimate"}}
    assert build_sampling_policy([("mine.toml", doc)])[1] == [
        "mine.toml: sample: is not a section; use sample, recovery",
        "mine.toml: colour: is not a section; use sample, recovery",
        "sample.confidence: None is not one of 80, 90, 95, 98, 99 (percent)",
        "sample.margin: None must be above 0 and at most 50 (percent)",
    ]
    good = {"sample": {"confidence": "95.0", "margin": "5"}, "recovery": {"basis": "point_estimate"}}
    expected = SamplingPolicy(D(95), D(5), RecoveryBasis.POINT_ESTIMATE)
    assert build_sampling_policy([("mine.toml", good)]) == (expected, [])
