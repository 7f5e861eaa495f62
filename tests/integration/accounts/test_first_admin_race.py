"""Two first-admin commands started together, without a token: exactly one makes an admin.

The check "an active admin exists, so an admin's token is needed" ran before the write's transaction: both found no
admin and both made one (a hostile trial). Now the check and the write are one transaction holding the accounts'
lock (PostgreSQL: an advisory lock; SQLite: the write lock), so the second waits and then sees the first's admin.
"""

import threading
from collections.abc import Callable

import pytest

from flows.accounts.organisations import save_organisation
from flows.accounts.tokens import create_token
from flows.accounts.users import NEEDS_ADMIN_TOKEN, add_user, disable_user, set_roles, users
from flows.common.errors import UserError
from flows.common.settings import Settings

PASSWORD = "correct horse battery staple"
ROUNDS = 3  # each round starts two first admins at once, on a database with no active admin
WAIT_S = 60  # a bound on a thread that never ends (a deadlock), not a measure of speed


def _together(*calls: Callable[[], object]) -> list[str]:
    """Run the calls in threads released at once; each result is "ok" or its refusal."""
    start = threading.Barrier(len(calls))
    results = ["not run"] * len(calls)

    def run(i: int, call: Callable[[], object]) -> None:
        start.wait()
        try:
            call()
            results[i] = "ok"
        except UserError as exc:
            results[i] = str(exc)

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT_S)
    assert not any(t.is_alive() for t in threads), "a first-admin command never ended"
    return results


def _add(settings: Settings, name: str) -> Callable[[], object]:
    return lambda: add_user(
        settings,
        username=name,
        display_name=name.title(),
        roles=["admin"],
        password=PASSWORD,
        organisation=None,
        actor=f"os:{name} (unauthenticated)",
        tokenless=True,
    )


def test_two_first_admins_started_together_exactly_one_is_made(settings: Settings) -> None:
    for n in range(ROUNDS):
        results = _together(_add(settings, f"ada{n}"), _add(settings, f"bob{n}"))
        assert sorted(results) == sorted(["ok", NEEDS_ADMIN_TOKEN]), f"round {n}: {results}"
        active = [u["username"] for u in users(settings) if "admin" in u["roles"] and not u["disabled"]]
        assert len(active) == 1, f"round {n}: {active}"
        disable_user(settings, username=active[0], actor="t")  # the next round starts with no active admin again


def test_every_tokenless_account_change_is_refused_in_its_transaction_once_an_admin_exists(
    settings: Settings,
) -> None:
    """The in-transaction check, for each account command, even when the command's early check was passed."""
    add_user(
        settings, username="fin", display_name="Fin", roles=["finance"], password=PASSWORD, organisation=None, actor="t"
    )
    _add(settings, "ada")()
    changes: list[Callable[[], object]] = [
        _add(settings, "eve"),
        lambda: set_roles(settings, username="fin", add=["admin"], actor="x", tokenless=True),
        lambda: disable_user(settings, username="ada", actor="x", tokenless=True),
        lambda: create_token(settings, username="fin", purpose="api", name="x", actor="x", tokenless=True),
        lambda: save_organisation(settings, name="Org", provider_names=["P"], actor="x", tokenless=True),
    ]
    for change in changes:
        with pytest.raises(UserError) as refused:
            change()
        assert str(refused.value) == NEEDS_ADMIN_TOKEN
    assert [(u["username"], u["roles"], u["disabled"]) for u in users(settings)] == [
        ("ada", ["admin"], False),
        ("fin", ["finance"], False),
    ]
