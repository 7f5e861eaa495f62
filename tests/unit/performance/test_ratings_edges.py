"""The portfolio's worst-first order, one step of the scale at a time, and the sort keys it rests on."""

from policies.performance.ratings import Rating, worst, worst_first_key

G, A, R, BAD, OTH = (
    Rating.GOOD,
    Rating.APPROACHING_TARGET,
    Rating.REQUIRES_IMPROVEMENT,
    Rating.INADEQUATE,
    Rating.OTHER,
)


def test_each_step_of_the_scale_is_worse_than_the_one_above() -> None:
    assert worst([G, A]) is A
    assert worst([A, R]) is R
    assert worst([R, BAD]) is BAD
    assert worst([OTH, G]) is G
    assert worst([OTH]) is OTH
    assert worst([]) is None


def test_the_sort_keys_of_a_portfolio() -> None:
    # Inadequate 0, Requires improvement 1, Approaching target 2, Good 3, Other 4, no ratings 5;
    # then minus the number of KPIs carrying the worst rating.
    assert worst_first_key([BAD, G, BAD]) == (0, -2)
    assert worst_first_key([R, G, G]) == (1, -1)
    assert worst_first_key([A, A, A]) == (2, -3)
    assert worst_first_key([G, G, G]) == (3, -3)
    assert worst_first_key([OTH]) == (4, -1)
    assert worst_first_key([]) == (5, 0)


def test_a_portfolio_worst_first() -> None:
    # Six contracts' latest ratings, three KPIs each (one rated Other, one not yet rated at all).
    portfolio = {
        "HF-2025-001": [G, G, G],
        "HF-2025-002": [A, G, G],
        "HF-2025-003": [R, A, G],
        "HF-2025-004": [OTH, OTH, OTH],
        "HF-2025-005": [],
        "HF-2025-006": [A, A, G],
    }
    order = sorted(portfolio, key=lambda ref: worst_first_key(portfolio[ref]))
    assert order == ["HF-2025-003", "HF-2025-006", "HF-2025-002", "HF-2025-001", "HF-2025-004", "HF-2025-005"]
