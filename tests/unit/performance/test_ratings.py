"""The rating rule at and around every band edge, both directions, with the shipped default bands."""

import tomllib
from decimal import Decimal
from importlib.resources import files

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policies.performance.kpis import Direction, KpiDefinition, read_kpi
from policies.performance.policy_file import build_performance_policy
from policies.performance.ratings import Rating, check_override, rate, worst, worst_first_key

SHIPPED = tomllib.loads(files("policies").joinpath("performance.toml").read_text(encoding="utf-8"))
POLICY, _ = build_performance_policy([("shipped", SHIPPED)])
assert POLICY is not None


def kpi(**fields: str) -> KpiDefinition:
    definition, problems = read_kpi(fields, POLICY.bands)
    assert definition is not None, problems
    return definition


# Target 85, higher is better; default percentage bands are 5 and 15 points: edges 80 and 70.
TENANCIES = kpi(name="% of tenancies sustained at 12 months", unit="percentage", target="85", direction="higher")
# Target 10, lower is better; default days bands are 20% and 50% of the target: edges 12 and 15.
DAYS = kpi(name="days from referral to first appointment", unit="days", target="10", direction="lower")

G, A, R, N = Rating.GOOD, Rating.APPROACHING_TARGET, Rating.REQUIRES_IMPROVEMENT, Rating.INADEQUATE


def test_default_bands_of_the_worked_examples() -> None:
    assert (TENANCIES.bands.approaching, TENANCIES.bands.requires_improvement) == (80, 70)
    assert (DAYS.bands.approaching, DAYS.bands.requires_improvement) == (12, 15)


@pytest.mark.parametrize(
    ("reading", "rating"),
    [
        ("100", G), ("85.01", G), ("85", G),  # meets or beats the target: Good
        ("84.99", A), ("80.01", A), ("80", A),  # down to and including the approaching edge (80)
        ("79.99", R), ("70.01", R), ("70", R),  # down to and including the requires-improvement edge (70)
        ("69.99", N), ("0", N),  # further short: Inadequate
    ],
)  # fmt: skip
def test_higher_is_better_at_and_around_every_edge(reading: str, rating: Rating) -> None:
    assert rate(TENANCIES, Decimal(reading)) is rating


@pytest.mark.parametrize(
    ("reading", "rating"),
    [
        ("0", G), ("9.99", G), ("10", G),  # at or under the target: Good
        ("10.01", A), ("11.99", A), ("12", A),  # up to and including 12
        ("12.01", R), ("14.99", R), ("15", R),  # up to and including 15
        ("15.01", N), ("40", N),  # over 15: Inadequate
    ],
)  # fmt: skip
def test_lower_is_better_at_and_around_every_edge(reading: str, rating: Rating) -> None:
    assert rate(DAYS, Decimal(reading)) is rating


def test_a_kpi_own_bands_replace_the_default() -> None:
    # Target 90, own edges 88 and 75: 88 is Approaching target, 87.9 Requires improvement, 74 Inadequate.
    own = kpi(
        name="x",
        unit="percentage",
        target="90",
        direction="higher",
        band_approaching="88",
        band_requires_improvement="75",
    )
    assert [rate(own, Decimal(v)) for v in ("90", "88", "87.9", "75", "74")] == [G, A, R, R, N]


def test_a_money_kpi_bands_are_a_percentage_of_the_target() -> None:
    # Target £200,000 lower is better (cost); 10% and 25%: edges £220,000 and £250,000.
    cost = kpi(name="cost", unit="money", target="200000", direction="lower")
    assert (cost.bands.approaching, cost.bands.requires_improvement) == (220000, 250000)
    assert [rate(cost, Decimal(v)) for v in ("199999.99", "220000", "220000.01", "250000.01")] == [G, A, R, N]


readings = st.decimals(min_value=0, max_value=100, places=2, allow_nan=False, allow_infinity=False)


@given(readings, readings)
def test_a_better_reading_never_gets_a_worse_rating_higher(x: Decimal, y: Decimal) -> None:
    better, other = max(x, y), min(x, y)  # higher is better
    order = [N, R, A, G]
    assert order.index(rate(TENANCIES, better)) >= order.index(rate(TENANCIES, other))


@given(readings, readings)
def test_a_better_reading_never_gets_a_worse_rating_lower(x: Decimal, y: Decimal) -> None:
    better, other = min(x, y), max(x, y)  # lower is better
    order = [N, R, A, G]
    assert order.index(rate(DAYS, better)) >= order.index(rate(DAYS, other))


@given(
    st.decimals(min_value=1, max_value=1000, places=1),
    st.decimals(min_value=Decimal("0.1"), max_value=50, places=1),
    st.decimals(min_value=Decimal("0.1"), max_value=50, places=1),
    st.sampled_from(list(Direction)),
    readings,
    readings,
)
def test_monotone_for_any_valid_bands(
    target: Decimal, gap1: Decimal, gap2: Decimal, direction: Direction, x: Decimal, y: Decimal
) -> None:
    sign = 1 if direction is Direction.LOWER else -1
    approaching, requires = target + sign * gap1, target + sign * (gap1 + gap2)
    definition = kpi(name="k", unit="money", target=str(target), direction=direction.value,
                     band_approaching=str(approaching), band_requires_improvement=str(requires))  # fmt: skip
    better, other = (max(x, y), min(x, y)) if direction is Direction.HIGHER else (min(x, y), max(x, y))
    order = [N, R, A, G]
    assert order.index(rate(definition, better)) >= order.index(rate(definition, other))


def test_other_and_overrides_need_a_reason() -> None:
    assert check_override(A, Rating.OTHER, "  ") == "Other needs a reason, for the record"
    assert check_override(A, G, "") == "an override of the computed rating needs a reason, for the record"
    assert (
        check_override(A, A, "same")
        == "the computed rating is already Approaching target; there is nothing to override"
    )
    assert check_override(A, Rating.OTHER, "provider in administration for the quarter") is None


def test_worst_first_never_averages() -> None:
    # One Inadequate beats (sorts before) three Requires improvement; Other alone sorts after Good.
    assert worst([G, N, G]) is N
    assert (
        worst_first_key([G, N, G]) < worst_first_key([R, R, R]) < worst_first_key([G]) < worst_first_key([Rating.OTHER])
    )
    assert worst_first_key([N, N]) < worst_first_key([N, G])
    assert worst_first_key([]) > worst_first_key([Rating.OTHER])


def test_rating_labels_parse_both_ways() -> None:
    assert Rating.parse("Requires improvement") is R
    assert Rating.parse("approaching_target") is A
    assert Rating.parse("excellent") is None
