"""The command line's table of roles (flows/cli/rules.py): every command has a rule, and a token's roles decide."""

import pytest

from flows.cli import build_app
from flows.cli.rules import COMMANDS, READS, command_of, refusal


def _leaves(command: object, words: list[str]) -> list[str]:
    subs = getattr(command, "commands", None)
    if not subs:
        return [" ".join(words)]
    return [leaf for name, sub in subs.items() for leaf in _leaves(sub, [*words, name])]


def test_every_command_of_the_command_line_has_a_rule_and_no_rule_names_a_command_that_is_not_there() -> None:
    import typer

    commands = set(_leaves(typer.main.get_command(build_app([])), []))
    assert commands - set(COMMANDS) == set(), "a command without a rule in flows/cli/rules.py"
    assert set(COMMANDS) - commands == set(), "a rule for a command that does not exist"


@pytest.mark.parametrize(
    ("command", "roles", "allowed"),
    [
        ("pay", {"finance"}, True),
        ("pay", {"commissioner"}, False),  # a commissioner proposes no payment run: finance's work
        ("clawback", {"provider"}, False),
        ("claims import", {"provider"}, False),  # providers upload on the web, where their organisation is checked
        ("approve", {"auditor"}, False),
        ("contracts add", {"finance"}, False),
        ("contracts add", {"commissioner", "finance"}, True),  # several roles: any one of them will do
        ("decide", {"commissioner"}, True),
        ("users token", {"finance"}, False),
        ("users token", {"admin"}, True),
        ("contracts list", {"provider"}, True),  # a read: the command line's user holds the database already
        ("ledger", set(), True),
        ("a command with no rule", {"admin", "finance", "commissioner"}, False),  # closed by default
    ],
)
def test_a_tokens_roles_decide_which_commands_it_may_run(command: str, roles: set[str], allowed: bool) -> None:
    why = refusal(command, "pat", frozenset(roles))
    assert (why is None) is allowed, why
    if not allowed:
        assert why is not None and f"`commission {command}`" in why and "pat" in why


def test_the_refusal_names_the_user_their_roles_and_the_role_needed() -> None:
    assert refusal("clawback", "priya.shah", frozenset({"commissioner"})) == (
        "priya.shah (commissioner) may not run `commission clawback`: it needs the role finance"
    )
    assert refusal("pay", "sam", frozenset()) == "sam (no role) may not run `commission pay`: it needs the role finance"


def test_the_command_is_read_from_the_words_before_its_arguments() -> None:
    assert command_of(["claims", "import", "c.csv", "--as-of", "2026-01-01"]) == "claims import"
    assert command_of(["pay", "--contract", "X"]) == "pay"
    assert command_of(["ledger"]) == "ledger"
    assert command_of([]) == ""
    assert COMMANDS["ledger"] is READS
