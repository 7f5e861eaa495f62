"""A user token on the command line may do only what its user's roles allow, as on the web (flows/cli/rules.py).

The hostile trial's case: a commissioner's token proposed a £34,500 payment run and a clawback, which one finance
user then approved, so one finance user alone let money go; a provider's token imported claims into another
provider's contract. Each is refused now, in words, and nothing is written.
"""

from pathlib import Path

import pytest

from tests.e2e.conftest import Cli
from tests.e2e.pbr.test_pbr_cli import CARD, CLAIMS, add_fcf_contract


def _token(cli: Cli, name: str, roles: list[str], organisation: str | None = None) -> str:
    from flows.accounts.organisations import save_organisation
    from flows.accounts.tokens import create_token
    from flows.accounts.users import add_user
    from flows.common.settings import load_settings

    cfg = load_settings(cli.env)
    if organisation is not None:
        save_organisation(cfg, name=organisation, provider_names=[organisation], actor="e2e")
    add_user(cfg, username=name, display_name=name.title(), roles=roles, password="correct horse battery",
             organisation=organisation, actor="e2e")  # fmt: skip
    return create_token(cfg, username=name, purpose="api", name="e2e", actor="e2e")[0]


def test_tokens_without_the_role_are_refused_the_write_and_nothing_is_written(initialised: Cli, tmp_path: Path) -> None:
    cli = initialised
    add_fcf_contract(cli)  # without a token: allowed on SQLite, recorded as unauthenticated
    priya = _token(cli, "priya", ["commissioner"])
    finn = _token(cli, "finn", ["finance"])
    sam = _token(cli, "sam", ["provider"], organisation="Brightside Housing")
    audrey = _token(cli, "audrey", ["auditor"])
    history = cli.json("contracts", "show", "FCF-2025-01")["history"]
    pay = ("pay", "--contract", "FCF-2025-01", "--period", "2026-Q1", "--as-of", "2026-04-02")

    line = cli.fails(*pay, COMMISSIONING_TOKEN=priya)
    assert "priya (commissioner) may not run `commission pay`: it needs the role finance" in line
    assert "Traceback" not in line
    line = cli.fails("ratecard", "import", str(CARD), COMMISSIONING_TOKEN=sam)
    assert "sam (provider) may not run `commission ratecard import`: it needs the role finance" in line
    claims = tmp_path / "claims.csv"
    claims.write_text(CLAIMS)
    line = cli.fails("claims", "import", str(claims), COMMISSIONING_TOKEN=sam)
    assert "sam (provider) may not run `commission claims import`" in line
    assert "may not run `commission contracts add`" in cli.fails(
        "contracts", "add", "--ref", "X-1", "--title", "t", "--provider", "p", "--project", "YPH-1", "--value", "1",
        "--start", "2025-10-01", "--term", "1 year", COMMISSIONING_TOKEN=finn,
    )  # fmt: skip
    assert "audrey (auditor) may not run `commission decide`" in cli.fails(
        "decide", "FCF-2025-01", "continue", "--reason", "x", COMMISSIONING_TOKEN=audrey
    )
    assert "finn (finance) may not run `commission users token`: it needs the role admin" in cli.fails(
        "users", "token", "priya", COMMISSIONING_TOKEN=finn
    )
    # nothing was written by the refused commands: no proposal, no contract X-1, no decision
    assert cli.json("proposals", COMMISSIONING_TOKEN=audrey) == []
    assert "X-1" not in cli.ok("contracts", "list", COMMISSIONING_TOKEN=sam)  # a read: any token may run it
    assert cli.json("contracts", "show", "FCF-2025-01")["history"] == history
    # the role that may, may
    cli.ok("decide", "FCF-2025-01", "continue", "--reason", "on track", COMMISSIONING_TOKEN=priya)
    [decided] = cli.json("contracts", "show", "FCF-2025-01")["history"][len(history) :]
    assert decided["actor"] == "priya"


def test_on_postgresql_account_commands_need_an_admins_token_once_an_admin_exists(
    cli: Cli, postgres_server_url: str
) -> None:
    """The hostile trial's case: with no token, `users add eve --role admin`, `users roles`, `users disable` and
    `users token` all worked on PostgreSQL after the first admin was made, so one person could mint two finance
    users' tokens and approve their own payment. Without a token they make the first admin only."""
    from flows.accounts.tokens import create_token
    from flows.accounts.users import add_user
    from flows.common.settings import load_settings
    from tests.integration.conftest import create_pg_database

    cli.env["COMMISSIONING_DATABASE_URL"] = create_pg_database(postgres_server_url, "commissioning_e2e")
    cli.ok("init")
    cli.ok("users", "organisation", "Brightside Housing", "--provider", "Brightside Housing")  # no admin yet: may
    cfg = load_settings(cli.env)
    for name, role in (("fin", "finance"), ("adm", "admin")):
        add_user(cfg, username=name, display_name=name.title(), roles=[role], password="correct horse battery",
                 organisation=None, actor="e2e")  # fmt: skip
    before = cli.json("users", "list")
    refused = [
        ("users", "add", "eve", "--name", "Eve", "--role", "admin", "--password-stdin"),
        ("users", "roles", "fin", "--add", "admin"),
        ("users", "disable", "adm"),
        ("users", "token", "fin"),
        ("users", "organisation", "Brightside Housing", "--provider", "Brightside"),
    ]
    lax = cli.data_dir.parent / "lax.toml"  # the hostile trial's second case: the policy cannot lift the refusal
    lax.write_text('[identity]\nrefuse_unauthenticated_writes = "never"\n')
    for args, env in [(a, e) for a in refused for e in ({}, {"COMMISSIONING_CONTROLS_POLICY": str(lax)})]:
        assert cli.fails(*args, **env) == (
            "error: an administrator exists, and this installation refuses account changes without a user token: "
            "give an admin's token as COMMISSIONING_TOKEN "
            "(an admin makes an API token on the web app's admin page, /admin)"
        ), (args, env)
    assert cli.json("users", "list") == before  # nothing was written
    admin = create_token(cfg, username="adm", purpose="api", name="e2e", actor="adm")[0]
    cli.ok("users", "roles", "fin", "--add", "auditor", COMMISSIONING_TOKEN=admin)  # an admin's token may
    cli.ok("users", "disable", "adm", COMMISSIONING_TOKEN=admin)
    cli.ok("users", "token", "fin")  # no active admin left: the way back in, as for the first one


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_token_that_matches_no_active_user_is_refused_on_reads_and_writes(
    cli: Cli, backend: str, request: pytest.FixtureRequest
) -> None:
    """The hostile trial's case: a mistyped or revoked COMMISSIONING_TOKEN was ignored by read commands (exit 0),
    so it looked as if it worked. Every command now refuses it in one line, without repeating the token."""
    from flows.accounts.tokens import revoke_token, tokens
    from flows.accounts.users import disable_user
    from flows.common.settings import load_settings

    if backend == "postgresql":
        from tests.integration.conftest import create_pg_database

        url = request.getfixturevalue("postgres_server_url")
        cli.env["COMMISSIONING_DATABASE_URL"] = create_pg_database(url, "commissioning_e2e_tokens")
    cli.ok("init")
    audrey = _token(cli, "audrey", ["auditor"])
    finn = _token(cli, "finn", ["finance"])
    cfg = load_settings(cli.env)
    revoked = _token(cli, "rita", ["auditor"])
    [rita_token] = tokens(cfg, username="rita")
    revoke_token(cfg, username="rita", token_id=rita_token["id"], actor="e2e")
    disable_user(cfg, username="finn", actor="e2e")
    unknown = "not-a-token-" + audrey[:8]
    reads = [("contracts", "list"), ("due",), ("proposals",), ("runs", "list"), ("users", "list")]
    for bad in (unknown, revoked, finn):
        for args in reads:
            line = cli.fails(*args, COMMISSIONING_TOKEN=bad)
            assert line.startswith("error: the token given matches no active user"), (args, line)
            assert bad not in line
    line = cli.fails("pay", "--contract", "X", "--period", "2026-Q1", "--token", unknown)  # a write's --token
    assert line.startswith("error: the token given matches no active user") and unknown not in line
    cli.ok("contracts", "list", COMMISSIONING_TOKEN=audrey)  # an active user's token still reads
    cli.ok("contracts", "list")  # and no token at all, as before


def test_a_token_set_in_the_environment_does_not_stop_init(cli: Cli, tmp_path: Path) -> None:
    # with no database yet (or one to migrate) whether a token matches is not known: `init` must still run, which
    # the review found it could not ("matches no active user; no database ... run `commission init` first")
    fresh = {"COMMISSIONING_DATA_DIR": str(tmp_path / "fresh"), "COMMISSIONING_TOKEN": "a-token-from-elsewhere"}
    line = cli.fails("contracts", "list", **fresh)
    assert "no database" in line and "matches no active user" not in line, line
    cli.ok("init", **fresh)
    line = cli.fails("contracts", "list", **fresh)  # now there is a database: an unknown token is refused
    assert line.startswith("error: the token given matches no active user"), line
