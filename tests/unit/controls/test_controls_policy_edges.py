"""The controls policy file at the edges a finance officer would try: the threshold and expiry a council may set,
each at both ends of what is allowed, and what an approver without a token is recorded as."""

import datetime as dt
import tomllib
from decimal import Decimal
from pathlib import Path

import pytest

import policies
from policies.controls.approvals import ControlsPolicy, build_controls_policy, unauthenticated

SHIPPED_FILE = Path(policies.__file__).parent / "controls.toml"


Section = dict[str, object]


def policy_from(approvals: Section | None = None, identity: Section | None = None) -> ControlsPolicy:
    doc = {"approvals": approvals or {}, "identity": identity or {}}
    policy, problems = build_controls_policy([("mine.toml", doc)])
    assert problems == [] and policy is not None
    return policy


def problems_of(doc: dict[str, object]) -> list[str]:
    policy, problems = build_controls_policy([("mine.toml", doc)])
    assert policy is None
    return problems


def test_a_key_no_file_sets_takes_the_shipped_files_value() -> None:
    # £50,000.00, 168 hours (one week) and "postgresql", whether read from the shipped file or from no file at all
    shipped, problems = build_controls_policy([("controls.toml", tomllib.loads(SHIPPED_FILE.read_text()))])
    assert problems == []
    expected = ControlsPolicy(Decimal("50000.00"), dt.timedelta(hours=168), "postgresql")
    assert shipped == expected
    assert build_controls_policy([]) == (expected, [])


def test_a_later_file_overrides_only_the_keys_it_sets() -> None:
    shipped = ("controls.toml", {"approvals": {"second_approver_over": "50000.00", "expires_after_hours": 168}})
    mine = ("mine.toml", {"approvals": {"expires_after_hours": 72}})
    policy, _ = build_controls_policy([shipped, mine])
    assert policy == ControlsPolicy(Decimal("50000.00"), dt.timedelta(hours=72), "postgresql")


@pytest.mark.parametrize(
    ("threshold", "payment", "needed"),
    [
        ("25000.00", "25000.00", 1),  # exactly at a lower threshold: one approver
        ("25000.00", "25000.01", 2),  # a penny over it: two
        ("0.00", "0.01", 2),  # a council wanting two approvers on every penny may say 0
        ("0", "0.00", 1),  # a proposal moving nothing is not over even a threshold of 0
    ],
)
def test_a_council_sets_its_own_threshold(threshold: str, payment: str, needed: int) -> None:
    assert policy_from({"second_approver_over": threshold}).approvals_needed(Decimal(payment)) == needed


@pytest.mark.parametrize("bad", ["-0.01", "-50000", "50000.001", "Infinity", "NaN", "fifty thousand"])
def test_a_threshold_that_is_not_pounds_and_pence_is_refused(bad: str) -> None:
    assert problems_of({"approvals": {"second_approver_over": bad}}) == [
        f"mine.toml: approvals.second_approver_over: {bad!r} is not an amount in pounds and pence"
    ]


@pytest.mark.parametrize(("hours", "expires"), [(1, dt.timedelta(hours=1)), (24, dt.timedelta(days=1)),
                                                 (8784, dt.timedelta(days=366))])  # fmt: skip
def test_expiry_from_one_hour_to_a_leap_year(hours: int, expires: dt.timedelta) -> None:
    # 8,784 hours = 24 x 366: a proposal may wait at most a leap year
    assert policy_from({"expires_after_hours": hours}).expires_after == expires


@pytest.mark.parametrize("bad", [0, 8785, -168, "168", 168.0, True])
def test_an_expiry_outside_one_hour_to_a_leap_year_or_not_whole_hours_is_refused(bad: object) -> None:
    assert problems_of({"approvals": {"expires_after_hours": bad}}) == [
        f"mine.toml: approvals.expires_after_hours: {bad!r} is not a whole number of hours (1-8784)"
    ]


@pytest.mark.parametrize(
    ("rule", "on_sqlite", "on_postgresql"),
    [("always", True, True), ("never", False, False), ("postgresql", False, True)],
)
def test_who_may_write_without_a_token(rule: str, on_sqlite: bool, on_postgresql: bool) -> None:
    policy = policy_from(identity={"refuse_unauthenticated_writes": rule})
    assert policy.refuse_unauthenticated_writes == rule
    assert (policy.refuses_unauthenticated("sqlite"), policy.refuses_unauthenticated("postgresql")) == (
        on_sqlite,
        on_postgresql,
    )


def test_every_problem_in_a_file_is_named_not_only_the_first() -> None:
    # a section that is a value, an unknown section, then a bad rule: each named, in the file's order
    doc = {"approvals": 5, "colour": {"hue": 1}, "identity": {"refuse_unauthenticated_writes": "sometimes"}}
    assert problems_of(doc) == [
        "mine.toml: approvals: is not a section; use approvals, identity",
        "mine.toml: colour: is not a section; use approvals, identity",
        "mine.toml: identity.refuse_unauthenticated_writes: 'sometimes' is not one of "
        "('always', 'never', 'postgresql')",
    ]


def test_a_write_without_a_token_is_recorded_under_the_operating_system_user() -> None:
    assert unauthenticated(" asha ") == "os:asha (unauthenticated)"
    assert unauthenticated("   ") == "os:unknown (unauthenticated)"  # no name at all: still marked, never blank
