"""Local accounts through their services and the CLI: users, roles, organisations, tokens, the first admin."""

import subprocess
import sys
from pathlib import Path

import pytest

from flows.accounts.organisations import save_organisation
from flows.accounts.tokens import create_token, principal_for_token, revoke_token, tokens
from flows.accounts.users import add_user, authenticate, disable_user, first_admin_hint, set_roles, users
from flows.audit.log import audit_log
from flows.common.errors import UserError
from flows.common.settings import Settings
from policies.accounts.roles import Role

PASSWORD = "correct horse battery staple"
ROOT = Path(__file__).resolve().parents[3]


def test_the_first_admin_hint_until_there_is_a_user(settings: Settings) -> None:
    hint = first_admin_hint(settings)
    assert hint is not None and "commission users add admin" in hint and "--role admin" in hint
    add_user(
        settings, username="ada", display_name="Ada", roles=["admin"], password=PASSWORD, organisation=None, actor="t"
    )
    assert first_admin_hint(settings) is None


def test_a_user_signs_in_with_their_password_only_while_enabled(settings: Settings) -> None:
    add_user(
        settings,
        username="cara",
        display_name="Cara",
        roles=["commissioner", "admin"],
        password=PASSWORD,
        organisation=None,
        actor="t",
    )
    who = authenticate(settings, username="Cara", password=PASSWORD)
    assert who is not None and who.roles == {Role.COMMISSIONER, Role.ADMIN}
    assert authenticate(settings, username="cara", password="wrong" + PASSWORD) is None
    assert authenticate(settings, username="nobody", password=PASSWORD) is None
    disable_user(settings, username="cara", actor="t")
    assert authenticate(settings, username="cara", password=PASSWORD) is None


def test_bad_users_are_refused_with_every_reason_and_nothing_written(settings: Settings) -> None:
    with pytest.raises(UserError) as caught:
        add_user(
            settings, username="X", display_name="", roles=["boss"], password="short", organisation=None, actor="t"
        )
    message = str(caught.value)
    assert "'boss' is not a role" in message and "user name 'x'" in message and "at least 12" in message
    assert "display name" in message
    assert users(settings) == []
    with pytest.raises(UserError, match="no provider organisation named 'Nowhere'"):
        add_user(
            settings,
            username="sam",
            display_name="Sam",
            roles=["provider"],
            password=PASSWORD,
            organisation="Nowhere",
            actor="t",
        )
    assert users(settings) == []


def test_roles_change_but_never_to_none_or_to_a_mixed_provider(settings: Settings) -> None:
    save_organisation(settings, name="Brightside", provider_names=["Brightside Housing Ltd"], actor="t")
    add_user(
        settings,
        username="sam",
        display_name="Sam",
        roles=["provider"],
        password=PASSWORD,
        organisation="Brightside",
        actor="t",
    )
    add_user(
        settings, username="fin", display_name="Fin", roles=["finance"], password=PASSWORD, organisation=None, actor="t"
    )
    assert set_roles(settings, username="fin", add=["auditor"], actor="t")["roles"] == ["auditor", "finance"]
    with pytest.raises(UserError, match="no role left"):
        set_roles(settings, username="fin", remove=["auditor", "finance"], actor="t")
    with pytest.raises(UserError, match="holds only the provider role"):
        set_roles(settings, username="sam", add=["finance"], actor="t")
    who = authenticate(settings, username="sam", password=PASSWORD)
    assert who is not None and who.provider_names == ("Brightside Housing Ltd",)
    assert who.sees_provider("Brightside Housing Ltd") and not who.sees_provider("Other Ltd")


def test_tokens_are_shown_once_kept_as_digests_and_revocable(settings: Settings) -> None:
    add_user(
        settings, username="fin", display_name="Fin", roles=["finance"], password=PASSWORD, organisation=None, actor="t"
    )
    token, row = create_token(settings, username="fin", purpose="api", name="reports", actor="t")
    assert principal_for_token(settings, token, purpose="api") is not None
    assert principal_for_token(settings, token, purpose="calendar") is None
    feed, _ = create_token(settings, username="fin", purpose="calendar", name="feed", actor="t")
    newer, _ = create_token(settings, username="fin", purpose="calendar", name="feed", actor="t")
    assert principal_for_token(settings, feed, purpose="calendar") is None  # a new feed address retires the old
    assert principal_for_token(settings, newer, purpose="calendar") is not None
    revoke_token(settings, username="fin", token_id=row["id"], actor="t")
    assert principal_for_token(settings, token, purpose="api") is None
    listed = str(tokens(settings, username="fin"))
    events = str(audit_log(settings, limit=1000))
    for secret in (token, feed, newer, PASSWORD):
        assert secret not in listed and secret not in events
    with pytest.raises(UserError):
        revoke_token(settings, username="nobody", token_id=row["id"], actor="t")


def test_the_cli_reads_the_password_from_stdin_never_an_argument(settings: Settings) -> None:
    run = [sys.executable, "-c", "from flows.cli import main; main()", "users"]
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "HOME": str(settings.data_dir)}
    env |= {k: v for k, v in __import__("os").environ.items() if k.startswith(("COMMISSIONING_", "PREFECT_"))}
    short = subprocess.run(
        [*run, "add", "bob", "--name", "Bob", "--role", "admin", "--password-stdin"],
        input="short\n",
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=False,
    )
    # first: once an admin exists, PostgreSQL refuses account changes without a token (flows/cli/users.py)
    assert short.returncode == 1 and "at least 12 characters" in short.stderr and "Traceback" not in short.stderr
    added = subprocess.run(
        [*run, "add", "ada", "--name", "Ada Admin", "--role", "admin", "--password-stdin"],
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=False,
    )
    assert added.returncode == 0, added.stderr
    assert "Added ada (Ada Admin): admin." in added.stdout and PASSWORD not in added.stdout + added.stderr
    listed = subprocess.run([*run, "list"], capture_output=True, text=True, env=env, cwd=ROOT, check=False)
    assert "ada  Ada Admin  admin" in listed.stdout and "bob" not in listed.stdout
