"""Rating a KPI reading on the statutory scale (Procurement Regulations 2024, reg. 39).

Rule: a reading that meets or beats the target is Good. Otherwise it is
Approaching target up to and including the ``approaching`` edge, Requires
improvement up to and including the ``requires_improvement`` edge, and
Inadequate beyond it. "Beats" and "beyond" follow the KPI's direction. Other
is never computed: it, and any override of a computed rating, needs a
commissioner's reason (recorded as an event). A period's ratings are listed
KPI by KPI, never averaged into one number; "worst first" orders contracts by
their worst latest rating, then by how many KPIs carry it.

Worked examples, with the shipped default bands (policies/performance/kpis.py):

"% of tenancies sustained at 12 months", target 85, higher is better, edges 80
and 70: 85.0 and 92 are Good; 84.99 and 80 are Approaching target; 79.99 and
70 are Requires improvement; 69.99 and 0 are Inadequate.

"Days from referral to first appointment", target 10, lower is better, edges
12 and 15: 10 and 3 are Good; 10.5 and 12 are Approaching target; 12.5 and 15
are Requires improvement; 15.01 and 40 are Inadequate.
"""

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from policies.performance.kpis import Direction, KpiDefinition


class Rating(StrEnum):
    GOOD = "good"
    APPROACHING_TARGET = "approaching_target"
    REQUIRES_IMPROVEMENT = "requires_improvement"
    INADEQUATE = "inadequate"
    OTHER = "other"

    @property
    def label(self) -> str:
        return _LABELS[self]

    @classmethod
    def parse(cls, text: str) -> "Rating | None":
        key = text.strip().lower().replace(" ", "_").replace("-", "_")
        for rating in cls:
            if key in (rating.value, rating.label.lower().replace(" ", "_")):
                return rating
        return None


_LABELS = {
    Rating.GOOD: "Good",
    Rating.APPROACHING_TARGET: "Approaching target",
    Rating.REQUIRES_IMPROVEMENT: "Requires improvement",
    Rating.INADEQUATE: "Inadequate",
    Rating.OTHER: "Other",
}

# Worse ratings sort first. Other is not on the scale: it sorts after Good.
SEVERITY = {
    Rating.INADEQUATE: 0,
    Rating.REQUIRES_IMPROVEMENT: 1,
    Rating.APPROACHING_TARGET: 2,
    Rating.GOOD: 3,
    Rating.OTHER: 4,
}


def rate(kpi: KpiDefinition, value: Decimal) -> Rating:
    """The rating a reading earns against the KPI's target and bands."""
    return rate_value(kpi.direction, kpi.target, kpi.bands.approaching, kpi.bands.requires_improvement, value)


def rate_value(
    direction: Direction, target: Decimal, approaching: Decimal, requires: Decimal, value: Decimal
) -> Rating:
    """``rate`` on plain numbers (a bulk import rates millions of readings)."""
    if direction is Direction.HIGHER:
        if value >= target:
            return Rating.GOOD
        if value >= approaching:
            return Rating.APPROACHING_TARGET
        if value >= requires:
            return Rating.REQUIRES_IMPROVEMENT
        return Rating.INADEQUATE
    if value <= target:
        return Rating.GOOD
    if value <= approaching:
        return Rating.APPROACHING_TARGET
    if value <= requires:
        return Rating.REQUIRES_IMPROVEMENT
    return Rating.INADEQUATE


@dataclass(frozen=True)
class Override:
    rating: Rating
    reason: str


def check_override(computed: Rating | None, wanted: Rating, reason: str) -> str | None:
    """Why a commissioner's rating cannot be recorded, or None. Every override and every Other needs a reason."""
    if not reason.strip():
        what = "Other" if wanted is Rating.OTHER else "an override of the computed rating"
        return f"{what} needs a reason, for the record"
    if computed is not None and wanted is computed:
        return f"the computed rating is already {computed.label}; there is nothing to override"
    return None


def worst(ratings: list[Rating]) -> Rating | None:
    """The worst rating on the scale among these (Other counts only when nothing else is there)."""
    return min(ratings, key=SEVERITY.__getitem__, default=None)


def worst_first_key(ratings: list[Rating]) -> tuple[int, int]:
    """Sort key: the worst rating first, then the more KPIs carrying it. A contract with no ratings sorts last."""
    bad = worst(ratings)
    if bad is None:
        return len(SEVERITY), 0
    return SEVERITY[bad], -ratings.count(bad)
