"""The maker-checker rules in the docstring's worked example: Asha proposes the 2026-Q1 run of FCF-2025-01
(£3,500.00) on 2 April 2026 at 09:00; threshold £50,000.00; expiry 168 hours (09:00 on 9 April)."""

import datetime as dt
from decimal import Decimal

import pytest

from policies.controls.approvals import (
    Action,
    ControlsPolicy,
    Status,
    approval_refusals,
    build_controls_policy,
    next_status,
    rejection_refusals,
    same_person,
    unauthenticated,
)

PROPOSED_AT = dt.datetime(2026, 4, 2, 9, 0, tzinfo=dt.UTC)
EXPIRES = PROPOSED_AT + dt.timedelta(hours=168)
FINANCE = {"finance"}
SHIPPED = ControlsPolicy(Decimal("50000.00"), dt.timedelta(hours=168), "postgresql")  # policies/controls.toml


def refusals(approver: str, roles: set[str], *, approved_by: tuple[str, ...] = (), at: dt.datetime = PROPOSED_AT,
             status: Status = Status.PROPOSED) -> list[str]:  # fmt: skip
    return approval_refusals(status=status, approver=approver, approver_roles=roles, proposer="asha",
                             approved_by=approved_by, expires_at=EXPIRES, at=at)  # fmt: skip


def test_the_worked_example() -> None:
    assert refusals("asha", FINANCE) == ["asha proposed it; the approver must be someone else"]
    assert refusals("sam", {"auditor"}) == ["only a finance user approves; sam holds auditor"]
    assert refusals("ben", FINANCE) == []
    assert refusals("ben", FINANCE, at=EXPIRES - dt.timedelta(minutes=1)) == []
    assert refusals("ben", FINANCE, at=EXPIRES) == ["it expired at 2026-04-09T09:00+00:00; propose it again"]


def test_the_same_person_at_a_terminal_without_a_token_is_still_the_proposer() -> None:
    assert same_person("os:asha (unauthenticated)", "asha") and not same_person("asha", "ben")
    reasons = refusals(unauthenticated("ben"), set())
    assert reasons[0].startswith("an approval needs a signed-in user or a user token")
    assert refusals("ben", FINANCE, approved_by=("ben",)) == [
        "ben has already approved it; the second approval must be someone else's"
    ]


@pytest.mark.parametrize(
    ("amount", "needed"),
    [(Decimal("3500.00"), 1), (Decimal("50000.00"), 1), (Decimal("50000.01"), 2), (Decimal("-51000.00"), 2)],
)
def test_over_the_threshold_two_approvers_either_way(amount: Decimal, needed: int) -> None:
    # £50,000.00 exactly is not over it; a recovery of £51,000.00 (negative) is, as much as a payment
    assert SHIPPED.approvals_needed(amount) == needed


def test_decided_proposals_stay_decided() -> None:
    assert next_status(Status.PROPOSED, Action.APPROVE) is Status.APPROVED
    assert next_status(Status.APPROVED, Action.REJECT) is None
    assert refusals("ben", FINANCE, status=Status.REJECTED) == [
        "it is already rejected; only a pending proposal is decided"
    ]
    assert rejection_refusals(status=Status.PROPOSED, who="pat", roles={"provider"}, proposer="asha") == [
        "only a finance user rejects; pat holds provider"
    ]


def test_unauthenticated_writes_refused_on_postgresql_by_default() -> None:
    policy = SHIPPED
    assert policy.refuses_unauthenticated("postgresql") and not policy.refuses_unauthenticated("sqlite")


def test_a_bad_policy_file_names_file_key_and_reason() -> None:
    policy, problems = build_controls_policy(
        [("controls.toml", {"approvals": {"second_approver_over": "lots", "expires_after_hours": 0, "colour": 1}})]
    )
    assert policy is None
    assert problems == [
        "controls.toml: approvals.colour: is not a setting; use second_approver_over, expires_after_hours",
        "controls.toml: approvals.second_approver_over: 'lots' is not an amount in pounds and pence",
        "controls.toml: approvals.expires_after_hours: 0 is not a whole number of hours (1-8784)",
    ]
    good, _ = build_controls_policy([("mine.toml", {"approvals": {"second_approver_over": "10000.00"}})])
    assert good is not None and good.approvals_needed(Decimal("10000.01")) == 2
