"""Post-payment validation: a reproducible sample of paid claims, and the recovery it implies.

Rule: the sample is drawn from the claims paid in one run, ordered by claim
reference, with a random generator seeded by the contract, the period and the
seed given, so that the same request always draws the same claims. Each
sampled claim is checked and found valid or invalid. Invalid sampled claims
are clawed back in full. The error rate by value (invalid value / sampled
value) is then applied to the value of the claims that were not sampled, and
that amount, rounded half up to the penny, is raised as one recovery against
the next payment run.

Worked example: a run paid 200 claims worth £400,000; a sample of 20 worth
£40,000 finds 2 invalid worth £3,000 (7.5% by value). The 2 are clawed back
(£3,000) and £27,000.00 (7.5% of the £360,000 not sampled) is recovered.
"""

import random
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from policies.money import PENNY, ROUNDING

ZERO = Decimal(0)


def draw(refs: Sequence[str], size: int, *, contract: str, period: str, seed: int) -> list[str]:
    """``size`` claim references from ``refs``, the same every time for the same contract, period and seed."""
    population = sorted(refs)
    rng = random.Random(f"{contract}|{period}|{seed}")
    return sorted(rng.sample(population, min(size, len(population))))


@dataclass(frozen=True)
class Extrapolation:
    sampled_value: Decimal
    invalid_value: Decimal
    error_rate: Decimal  # a fraction, e.g. 0.075
    unsampled_value: Decimal
    recovery: Decimal  # from the claims not sampled


def extrapolate(population_value: Decimal, sampled: Sequence[tuple[Decimal, bool]]) -> Extrapolation:
    """``sampled`` is (paid value, found valid) per sampled claim."""
    sampled_value = sum((v for v, _ in sampled), ZERO)
    invalid_value = sum((v for v, ok in sampled if not ok), ZERO)
    unsampled = population_value - sampled_value
    if not sampled_value:
        return Extrapolation(ZERO, ZERO, ZERO, unsampled, ZERO)
    rate = invalid_value / sampled_value
    recovery = (unsampled * invalid_value / sampled_value).quantize(PENNY, rounding=ROUNDING)
    return Extrapolation(sampled_value, invalid_value, rate, unsampled, recovery)
