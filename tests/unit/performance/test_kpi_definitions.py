"""KPI definitions checked: bands that overlap or point the wrong way, percentages over 100, the £5m rule."""

import datetime as dt
import tomllib
from decimal import Decimal
from importlib.resources import files

import pytest

from policies.performance.kpis import read_kpi
from policies.performance.periods import (
    breach_notice_due,
    check_in_life,
    check_over,
    parse_notice_period,
    parse_period,
    uk9_next_due,
    uk9_overdue,
)
from policies.performance.policy_file import build_performance_policy, check_kpi_count

SHIPPED = tomllib.loads(files("policies").joinpath("performance.toml").read_text(encoding="utf-8"))
POLICY, _ = build_performance_policy([("shipped", SHIPPED)])
assert POLICY is not None


def problems(**fields: object) -> list[str]:
    definition, found = read_kpi(fields, POLICY.bands)
    assert (definition is None) == bool(found)
    return [str(p) for p in found]


BASE = {"name": "tenancies sustained", "unit": "percentage", "target": "85", "direction": "higher"}


def test_a_good_definition_has_no_problems() -> None:
    assert problems(**BASE) == []


def test_bands_pointing_the_wrong_way_are_refused() -> None:
    # Higher is better but the edges are above the target.
    found = problems(**BASE, bands={"approaching": "90", "requires_improvement": "95"})
    assert len(found) == 1 and found[0].startswith("bands: for a KPI where higher is better the edges must fall below")
    found = problems(
        name="days",
        unit="days",
        target="10",
        direction="lower",
        bands={"approaching": "8", "requires_improvement": "5"},
    )
    assert found[0].startswith("bands: for a KPI where lower is better the edges must rise above")


@pytest.mark.parametrize(("a", "r"), [("80", "80"), ("70", "80"), ("85", "70")])
def test_bands_that_overlap_are_refused(a: str, r: str) -> None:
    # An edge equal to the one before it (or to the target) leaves a band empty; crossed edges overlap.
    assert problems(**BASE, bands={"approaching": a, "requires_improvement": r})[0].startswith("bands: ")


def test_percentages_over_100_are_refused() -> None:
    assert problems(**{**BASE, "target": "101"}) == ["target: 101 is over 100, and this KPI is a percentage"]
    assert problems(**BASE, bands={"approaching": "80", "requires_improvement": "-1"}) == [
        "bands.requires_improvement: -1 is outside 0 to 100, and this KPI is a percentage"
    ]


def test_every_missing_field_is_named() -> None:
    assert problems(name="") == [
        "name: is missing",
        "unit: is missing (count, percentage, days, money)",
        "direction: is missing (higher, lower)",
        "target: is missing",
    ]
    assert problems(**{**BASE, "target": 85.5}) == [
        "target: 85.5 was read as a floating-point number; write it in quotes"
    ]
    assert problems(**{**BASE, "frequency": "weekly"}) == ["frequency: 'weekly' is not one of monthly, quarterly"]


def test_a_zero_target_needs_its_own_bands() -> None:
    found = problems(name="complaints", unit="count", target="0", direction="lower")
    assert found == ["bands: the target is 0, so bands as a percentage of it are empty; give bands"]


def test_the_five_million_rule_and_its_exemptions() -> None:
    # £6m with 2 KPIs is refused; with an exemption and its reason it stands; without the reason it does not.
    field, reason = check_kpi_count(POLICY, Decimal("6000000"), 2, None, None) or ("", "")
    assert field == "kpis" and reason.endswith("2 given") and "at least 3 KPIs" in reason
    assert check_kpi_count(POLICY, Decimal("6000000"), 2, "light_touch", "Schedule 1 light-touch services") is None
    assert check_kpi_count(POLICY, Decimal("6000000"), 2, "light_touch", " ") == (
        "kpi_exemption_reason",
        "the light_touch exemption needs its reason, for the record",
    )
    assert check_kpi_count(POLICY, Decimal("6000000"), 0, "friendship", "x")[0] == "kpi_exemption"  # type: ignore[index]
    assert check_kpi_count(POLICY, Decimal("5000000"), 0, None, None) is None  # £5m exactly is not over £5m
    assert check_kpi_count(POLICY, Decimal("6000000"), 3, None, None) is None


def test_periods() -> None:
    q, _ = parse_period("2026-Q2")
    assert q is not None and (q.start, q.end, q.label) == (dt.date(2026, 4, 1), dt.date(2026, 6, 30), "2026-Q2")
    m, _ = parse_period("2026-02")
    assert m is not None and m.end == dt.date(2026, 2, 28)
    assert parse_period("2026-13")[1] == "'2026-13': month 13 is not 1 to 12"
    assert parse_period("Q2 2026")[0] is None
    year, _ = parse_notice_period("2025-04-01..2026-03-31")
    assert year is not None and year.end == dt.date(2026, 3, 31)
    assert "longer than 12 months" in (parse_notice_period("2025-04-01..2026-04-01")[1] or "")


def test_a_period_must_fall_in_the_contract_life_and_be_over() -> None:
    start, last, today = dt.date(2025, 4, 1), dt.date(2028, 3, 31), dt.date(2026, 12, 6)
    q = lambda text: parse_period(text)[0]  # noqa: E731
    assert check_in_life(q("2025-Q1"), start, last) == "2025-Q1 ends before the contract starts (2025-04-01)"  # type: ignore[arg-type]
    assert check_in_life(q("2025-Q2"), start, last) is None  # type: ignore[arg-type]
    assert check_over(q("2026-Q3"), today) is None  # type: ignore[arg-type]
    assert check_over(q("2026-Q4"), today) is not None  # type: ignore[arg-type]  (it began 1 October, ends 31 December)
    assert check_over(q("2027-Q1"), today) is not None  # type: ignore[arg-type]
    assert check_in_life(q("2028-Q2"), start, last) is not None  # type: ignore[arg-type]


def test_uk9_is_due_every_twelve_months_and_a_breach_notice_in_thirty_days() -> None:
    start = dt.date(2025, 4, 1)
    assert uk9_next_due(start, None) == dt.date(2026, 4, 1)
    assert not uk9_overdue(start, None, dt.date(2026, 4, 1)) and uk9_overdue(start, None, dt.date(2026, 4, 2))
    assert uk9_next_due(start, dt.date(2026, 3, 31)) == dt.date(2027, 3, 31)
    assert breach_notice_due(dt.date(2026, 11, 3)) == dt.date(2026, 12, 3)
    # On termination: ended 30 September 2026, covered to 31 March 2026: due the day it ended.
    assert uk9_next_due(start, dt.date(2026, 3, 31), dt.date(2026, 9, 30)) == dt.date(2026, 9, 30)
    # A notice that covers the ended contract to its end leaves nothing more due.
    assert uk9_next_due(start, dt.date(2026, 9, 30), dt.date(2026, 9, 30)) is None
    assert not uk9_overdue(start, dt.date(2026, 9, 30), dt.date(2030, 1, 1), dt.date(2026, 9, 30))
    # At expiry: 2 years from 1 April 2025, last day 31 March 2027, covered to 31 March 2026. Twelve months on
    # is 31 March 2027, the last day too; with no notice at all, year 1's is still due 1 April 2026.
    assert uk9_next_due(start, dt.date(2026, 3, 31), dt.date(2027, 3, 31)) == dt.date(2027, 3, 31)
    assert uk9_next_due(start, None, dt.date(2027, 3, 31)) == dt.date(2026, 4, 1)
    # A contract of 18 months (last day 30 September 2026), covered to 31 March 2026: due by its end.
    assert uk9_next_due(start, dt.date(2026, 3, 31), dt.date(2026, 9, 30)) == dt.date(2026, 9, 30)


def test_the_period_a_monitoring_meeting_looks_at() -> None:
    # The last quarter (or month) to end before the meeting's day.
    from policies.performance.kpis import Frequency
    from policies.performance.periods import period_due_by

    assert period_due_by(dt.date(2027, 1, 15), Frequency.QUARTERLY).label == "2026-Q4"
    assert period_due_by(dt.date(2027, 1, 1), Frequency.QUARTERLY).label == "2026-Q4"
    assert period_due_by(dt.date(2026, 12, 31), Frequency.QUARTERLY).label == "2026-Q3"
    assert period_due_by(dt.date(2027, 1, 15), Frequency.MONTHLY).label == "2026-12"


def test_a_users_policy_overrides_the_shipped_one_key_by_key() -> None:
    from policies.performance.kpis import BandBasis, Unit

    mine = {"bands": {"percentage": {"approaching": "3"}}, "notices": {"breach_notice_days": 20}}
    policy, problems = build_performance_policy([("shipped", SHIPPED), ("mine.toml", mine)])
    assert problems == [] and policy is not None
    # Only approaching changed: 3 points; requires_improvement stays the shipped 15 points.
    band = policy.bands[Unit.PERCENTAGE]
    assert (band.basis, band.approaching, band.requires_improvement) == (BandBasis.POINTS, 3, 15)
    assert policy.breach_notice_days == 20 and policy.minimum == 3
    bad = {"bands": {"percentage": {"basis": "miles"}, "weight": {}}, "kpis": {"minimum": "three"}}
    policy, problems = build_performance_policy([("shipped", SHIPPED), ("bad.toml", bad)])
    assert policy is None
    assert problems == [
        "bands.percentage: basis must be points or percent",
        "bands.weight: is not a unit; use count, percentage, days, money",
        "kpis.minimum: must be a whole number",
    ]
