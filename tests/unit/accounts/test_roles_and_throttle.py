"""Roles, user names, passwords and membership; and the sign-in throttle, with the clock passed in."""

import datetime as dt

import pytest

from policies.accounts.roles import Role, membership_problem, parse_roles, password_problem, username_problem
from policies.accounts.throttle import Throttle


def test_roles_are_read_forgivingly_and_unknown_ones_named() -> None:
    roles, problems = parse_roles(["Commissioner", "admin, auditor", "boss"])
    assert roles == {Role.COMMISSIONER, Role.ADMIN, Role.AUDITOR}
    assert problems == ["'boss' is not a role; use commissioner, finance, provider, auditor, admin"]


@pytest.mark.parametrize(
    ("name", "ok"), [("priya.shah", True), ("a", False), ("Priya", False), ("x" * 41, False), ("sam-2", True)]
)
def test_user_names(name: str, ok: bool) -> None:
    assert (username_problem(name) is None) is ok


def test_passwords_must_be_long_and_not_the_user_name() -> None:
    assert password_problem("short", "sam") is not None
    assert password_problem("priya.shah.1", "priya.shah.1") == "the password must not be the user name"
    assert password_problem("correct horse battery", "sam") is None
    assert password_problem("x" * 257, "sam") is not None


def test_a_provider_belongs_to_one_organisation_and_holds_no_other_role() -> None:
    assert membership_problem(frozenset({Role.PROVIDER}), None) is not None
    assert membership_problem(frozenset({Role.PROVIDER}), "Brightside") is None
    assert membership_problem(frozenset({Role.FINANCE}), "Brightside") is not None
    assert membership_problem(frozenset({Role.PROVIDER, Role.FINANCE}), "Brightside") is not None
    assert membership_problem(frozenset({Role.COMMISSIONER, Role.ADMIN}), None) is None


def test_five_failures_in_fifteen_minutes_lock_out_until_the_first_is_fifteen_minutes_old() -> None:
    throttle = Throttle()
    start = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
    for minute in range(5):
        assert throttle.locked_until("user:priya", start + dt.timedelta(minutes=minute)) is None
        throttle.failed("user:priya", start + dt.timedelta(minutes=minute))
    assert throttle.locked_until("user:priya", start + dt.timedelta(minutes=5)) == start + dt.timedelta(minutes=15)
    assert throttle.locked_until("user:priya", start + dt.timedelta(minutes=15)) is None
    assert throttle.locked_until("user:sam", start + dt.timedelta(minutes=5)) is None


def test_a_success_clears_the_failures() -> None:
    throttle = Throttle()
    now = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
    for _ in range(4):
        throttle.failed("k", now)
    throttle.succeeded("k")
    throttle.failed("k", now)
    assert throttle.locked_until("k", now) is None
