"""Post-payment validation: a reproducible sample of paid claims, how big it must be, and the recovery it implies.

Drawing. The sample is drawn from the claims paid in one run, ordered by claim
reference, with a random generator seeded by the contract, the period and the
seed given, so that the same request always draws the same claims.

How many. The minimum sample size comes from the policy's confidence level
and margin (policies/sampling.toml), by Cochran's formula for a proportion
with p = 0.5 (the most cautious guess) and the finite-population correction:

    n0 = z^2 p (1 - p) / e^2        n = n0 / (1 + (n0 - 1) / N), rounded up, at most N

where z is the normal quantile for the confidence level (1.96 at 95%), e the
margin as a fraction and N the number of claims the run paid. Worked example:
N = 1,000 claims at 95% and ±5%: n0 = 1.96^2 x 0.25 / 0.05^2 = 384.16, and
n = 384.16 / (1 + 383.16 / 1,000) = 277.74, so at least 278 claims are checked.
A run of 7 claims needs all 7 (6.89 rounded up). A smaller sample is allowed
only with a reason, which is kept on the sample and in its event.

The rate. Each sampled claim is checked and found valid or invalid; invalid
ones are clawed back in full. The error rate by value is the ratio estimator
R = (invalid value) / (sampled value). Its standard error, with the
finite-population correction (f = n / N), is

    SE(R) = sqrt( (1 - f) / (n xbar^2) x sum (y_i - R x_i)^2 / (n - 1) )

with x_i a sampled claim's paid value, y_i the same if it was found invalid
(else 0) and xbar the mean paid value in the sample; the interval is
R ± z SE (normal approximation, z from the policy), kept within 0% and 100%.
One claim says nothing about the spread: its interval is 0% to 100%. A sample
of the whole run has no sampling error: its interval is the rate itself.

The recovery. The policy chooses the rate applied to the value of the claims
not sampled: the point estimate, or the interval's lower bound (what the
sample shows at least, at the stated confidence). Rounded half up to the penny.

Worked example: a run paid 1,000 claims of £500 (£500,000); the 278 sampled
(£139,000) include 14 invalid (£7,000): R = 5.04%, SE = 1.12%, interval
2.85% to 7.22% at 95%. On the £361,000 not sampled the point estimate
recovers £18,179.86 and the lower bound £10,280.11. A sample of one claim found
invalid has R = 100% but a lower bound of 0%, so it recovers nothing beyond
that claim.
"""

import random
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from enum import StrEnum

from policies.money import PENNY, ROUNDING

ZERO = Decimal(0)
ONE = Decimal(1)
# Two-sided normal quantiles for the confidence levels a policy may name (the values in statistics tables).
Z_FOR_CONFIDENCE: dict[Decimal, Decimal] = {
    Decimal("80"): Decimal("1.2816"),
    Decimal("90"): Decimal("1.645"),
    Decimal("95"): Decimal("1.96"),
    Decimal("98"): Decimal("2.326"),
    Decimal("99"): Decimal("2.576"),
}


class RecoveryBasis(StrEnum):
    POINT_ESTIMATE = "point_estimate"
    LOWER_BOUND = "lower_bound"


@dataclass(frozen=True)
class SamplingPolicy:
    confidence: Decimal  # percent, e.g. 95
    margin: Decimal  # percent, e.g. 5 for ±5%
    basis: RecoveryBasis

    @property
    def z(self) -> Decimal:
        return Z_FOR_CONFIDENCE[self.confidence]


def draw(refs: Sequence[str], size: int, *, contract: str, period: str, seed: int) -> list[str]:
    """``size`` claim references from ``refs``, the same every time for the same contract, period and seed."""
    population = sorted(refs)
    return sorted(population[i] for i in drawn_positions(len(population), size, contract=contract, period=period,
                                                         seed=seed))  # fmt: skip


def drawn_positions(population: int, size: int, *, contract: str, period: str, seed: int) -> list[int]:
    """Where ``draw``'s picks stand in the sorted references, counting from 0: a sample picks places, whatever
    is in them, so a caller reading the references in order from the database need hold only these."""
    rng = random.Random(f"{contract}|{period}|{seed}")
    return rng.sample(range(population), min(size, population))


def minimum_sample_size(population: int, policy: SamplingPolicy) -> int:
    """Cochran's n with p = 0.5 and the finite-population correction, rounded up, at most the population."""
    if population <= 0:
        return 0
    e = policy.margin / 100
    n0 = policy.z**2 * Decimal("0.25") / e**2
    n = n0 / (1 + (n0 - 1) / population)
    return min(population, int(n.to_integral_value(rounding=ROUND_CEILING)))


@dataclass(frozen=True)
class Extrapolation:
    sampled_value: Decimal
    invalid_value: Decimal
    error_rate: Decimal  # a fraction, e.g. 0.075: the point estimate
    standard_error: Decimal | None  # None when one claim was sampled: nothing is known of the spread
    lower: Decimal  # the interval, fractions within 0 and 1
    upper: Decimal
    basis: RecoveryBasis
    applied_rate: Decimal  # the rate the recovery uses: the point estimate or the lower bound
    unsampled_value: Decimal
    recovery: Decimal  # from the claims not sampled


def extrapolate(
    population_value: Decimal,
    population: int,
    sampled: Sequence[tuple[Decimal, bool]],
    *,
    z: Decimal = Z_FOR_CONFIDENCE[Decimal("95")],
    basis: RecoveryBasis = RecoveryBasis.LOWER_BOUND,
) -> Extrapolation:
    """``sampled`` is (paid value, found valid) per sampled claim, out of ``population`` claims paid."""
    n = len(sampled)
    sampled_value = sum((v for v, _ in sampled), ZERO)
    invalid_value = sum((v for v, ok in sampled if not ok), ZERO)
    unsampled = population_value - sampled_value
    if not sampled_value:
        return Extrapolation(ZERO, ZERO, ZERO, None, ZERO, ZERO, basis, ZERO, unsampled, ZERO)
    rate = invalid_value / sampled_value
    se: Decimal | None
    if n < 2:
        se, lower, upper = None, ZERO, ONE
    else:
        mean = sampled_value / n
        residuals = (((ZERO if ok else v) - rate * v) for v, ok in sampled)
        spread = sum((r * r for r in residuals), ZERO) / (n - 1)
        unsampled_share = max(ZERO, ONE - Decimal(n) / population) if population else ZERO
        se = (unsampled_share * spread / (n * mean * mean)).sqrt()
        lower, upper = max(ZERO, rate - z * se), min(ONE, rate + z * se)
    applied = rate if basis is RecoveryBasis.POINT_ESTIMATE else lower
    recovery = (unsampled * applied).quantize(PENNY, rounding=ROUNDING)
    return Extrapolation(sampled_value, invalid_value, rate, se, lower, upper, basis, applied, unsampled, recovery)


def percent(fraction: Decimal) -> str:
    """A fraction as a percentage to two places, half up: 0.050359... is "5.04%"."""
    return f"{(fraction * 100).quantize(PENNY, rounding=ROUNDING)}%"
