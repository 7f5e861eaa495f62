"""Roles and passwords at the edges: an empty entry among roles, a password of exactly 256 characters."""

from policies.accounts.roles import Role, parse_roles, password_problem


def test_an_empty_entry_is_passed_over_and_the_roles_after_it_still_read() -> None:
    # `--roles "commissioner,,finance"` and a trailing comma: Priya is a commissioner and in finance.
    assert parse_roles(["commissioner,,finance", "admin,"]) == (
        frozenset({Role.COMMISSIONER, Role.FINANCE, Role.ADMIN}),
        [],
    )


def test_a_password_of_256_characters_is_allowed_and_257_is_not() -> None:
    assert password_problem("correct horse battery staple " * 8 + "x" * 24, "priya.shah") is None  # 29 x 8 + 24 = 256
    assert password_problem("a" * 256, "priya.shah") is None
    assert password_problem("a" * 257, "priya.shah") == "the password must be at most 256 characters"
