"""The performance policy file at the edges of each allowed range, and the defaults a file that omits a key gets."""

from decimal import Decimal

from policies.performance.kpis import BandBasis, BandDefault, Unit
from policies.performance.policy_file import PerformancePolicy, build_performance_policy

PERCENTAGE = {"basis": "points", "approaching": "5", "requires_improvement": "15"}


def build(*documents: dict[str, object]) -> tuple[PerformancePolicy | None, list[str]]:
    return build_performance_policy([(f"file{n}.toml", doc) for n, doc in enumerate(documents, 1)])


def test_a_file_with_bands_alone_gets_the_statutory_defaults() -> None:
    # No [kpis] and no [notices]: £5m threshold and 3 KPIs (s.52), no exemptions, a breach notice in 30 days.
    policy, problems = build({"bands": {"percentage": PERCENTAGE}})
    assert problems == []
    assert policy == PerformancePolicy(
        {Unit.PERCENTAGE: BandDefault(BandBasis.POINTS, Decimal(5), Decimal(15))},
        Decimal(5000000),
        3,
        (),
        30,
        ("file1.toml",),
    )


def test_a_section_that_is_unknown_or_not_a_table_is_named_and_the_rest_still_read() -> None:
    # [weights] is a table but no section of ours; kpis = 3 is our section but not a table. Both are named,
    # and the [notices] after them is still read (its 0 days is refused).
    doc = {"weights": {"a": 1}, "kpis": 3, "notices": {"breach_notice_days": 0}}
    assert build(doc) == (
        None,
        [
            "file1.toml: weights: is not a section; use bands, kpis, notices",
            "file1.toml: kpis: is not a section; use bands, kpis, notices",
            "notices.breach_notice_days: must be a whole number of days",
        ],
    )


def test_a_band_that_is_not_a_table_is_refused_not_merged() -> None:
    assert build({"bands": {"percentage": "5"}}) == (
        None,
        ["bands.percentage: must be a table with basis, approaching and requires_improvement"],
    )


def test_a_non_band_table_value_replaces_rather_than_merges() -> None:
    # kpis.threshold given as a table in the second file replaces the first file's text, and is not a number.
    assert build({"kpis": {"threshold": "6000000"}}, {"kpis": {"threshold": {"pounds": 1}}}) == (
        None,
        ["kpis.threshold: \"{'pounds': 1}\" is not a number"],
    )


def test_every_unknown_unit_is_named() -> None:
    doc = {"bands": {"weight": PERCENTAGE, "hours": PERCENTAGE}}
    assert build(doc) == (
        None,
        [
            "bands.weight: is not a unit; use count, percentage, days, money",
            "bands.hours: is not a unit; use count, percentage, days, money",
        ],
    )


def test_minimum_kpis_zero_is_allowed_and_minus_one_refused() -> None:
    policy, problems = build({"kpis": {"minimum": 0}})
    assert problems == [] and policy is not None and policy.minimum == 0
    assert build({"kpis": {"minimum": -1}}) == (None, ["kpis.minimum: must be a whole number"])


def test_exemptions_must_be_a_list_of_names() -> None:
    policy, problems = build({"kpis": {"exemptions": ["framework", "light_touch"]}})
    assert problems == [] and policy is not None and policy.exemptions == ("framework", "light_touch")
    refused = (None, ["kpis.exemptions: must be a list of names"])
    assert build({"kpis": {"exemptions": "framework"}}) == refused
    assert build({"kpis": {"exemptions": ["framework", 3]}}) == refused


def test_a_breach_notice_in_one_day_is_allowed_and_zero_days_refused() -> None:
    policy, problems = build({"notices": {"breach_notice_days": 1}})
    assert problems == [] and policy is not None and policy.breach_notice_days == 1
    refused = (None, ["notices.breach_notice_days: must be a whole number of days"])
    assert build({"notices": {"breach_notice_days": 0}}) == refused
    assert build({"notices": {"breach_notice_days": True}}) == refused
    assert build({"notices": {"breach_notice_days": "30"}}) == refused


def test_approaching_must_be_above_zero_and_below_requires_improvement() -> None:
    # Half a point is the smallest sensible band; 0 is no band at all, and a band as wide as the next is none.
    policy, problems = build({"bands": {"percentage": {**PERCENTAGE, "approaching": "0.5"}}})
    assert problems == [] and policy is not None
    assert policy.bands[Unit.PERCENTAGE] == BandDefault(BandBasis.POINTS, Decimal("0.5"), Decimal(15))
    assert build({"bands": {"percentage": {**PERCENTAGE, "approaching": "0"}}}) == (
        None,
        ["bands.percentage: approaching (0) must be above 0 and below requires_improvement (15)"],
    )
    assert build({"bands": {"percentage": {**PERCENTAGE, "approaching": "15"}}}) == (
        None,
        ["bands.percentage: approaching (15) must be above 0 and below requires_improvement (15)"],
    )
    policy, problems = build({"bands": {"percentage": {**PERCENTAGE, "approaching": "14.9"}}})
    assert problems == [] and policy is not None
