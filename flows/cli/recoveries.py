"""commission recovery withdraw / correct: every way back from a sample's extrapolated recovery is an entry."""

from typing import Annotated, Any

import typer

from flows.cli.common import (
    AS_OF_HELP,
    JSON_HELP,
    TOKEN_HELP,
    console,
    identity,
    money_text,
    print_json,
    settings,
    write_as_of,
)


def register(app: typer.Typer) -> None:
    recovery = typer.Typer(help="A sample's extrapolated recovery: withdraw it, or correct a check and recompute.")
    recovery.command("withdraw")(withdraw_command)
    recovery.command("correct")(correct_command)
    app.add_typer(recovery, name="recovery", no_args_is_help=True)


def withdraw_command(
    contract: Annotated[str, typer.Option(help="The contract reference.")],
    period: Annotated[str, typer.Option(help="The sampled period, e.g. 2026-Q1.")],
    reason: Annotated[str, typer.Option(help="Why (kept in the ledger and the audit log).")],
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
    as_of: Annotated[str | None, typer.Option(help=AS_OF_HELP)] = None,
    by: Annotated[str | None, typer.Option(help="Who proposes it, without a token (default: login name).")] = None,
    token: Annotated[str | None, typer.Option(help=TOKEN_HELP)] = None,
) -> None:
    """Propose withdrawing the recovery a sample raised: its open ledger entries are reversed, never deleted,
    when a second finance user approves it (`commission approve ID`)."""
    from flows.pbr.recovery_proposals import propose_withdrawal

    cfg = settings()
    who, _ = identity(token, by, cfg)
    _show(propose_withdrawal(cfg, contract, period, reason=reason, as_of=write_as_of(as_of, cfg), actor=who), as_json)


def correct_command(
    contract: Annotated[str, typer.Option(help="The contract reference.")],
    period: Annotated[str, typer.Option(help="The sampled period, e.g. 2026-Q1.")],
    claim: Annotated[str, typer.Option(help="The sampled claim whose check result was wrong.")],
    result: Annotated[str, typer.Option(help="The right result: valid or invalid.")],
    reason: Annotated[str, typer.Option(help="Why (kept in the ledger and the audit log).")],
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
    as_of: Annotated[str | None, typer.Option(help=AS_OF_HELP)] = None,
    by: Annotated[str | None, typer.Option(help="Who proposes it, without a token (default: login name).")] = None,
    token: Annotated[str | None, typer.Option(help=TOKEN_HELP)] = None,
) -> None:
    """Propose correcting a sampled claim's check: it is clawed back or reinstated, and the recovery recomputed,
    when a second finance user approves it (`commission approve ID`)."""
    from flows.pbr.recovery_proposals import propose_correction

    cfg = settings()
    who, _ = identity(token, by, cfg)
    when = write_as_of(as_of, cfg)
    proposed = propose_correction(cfg, contract, period, claim, result=result, reason=reason, as_of=when, actor=who)
    _show(proposed, as_json)


def _show(proposed: dict[str, Any], as_json: bool) -> None:
    """The preview (what approval will write), then the proposal and the next command."""
    from flows.cli.approvals import show_proposal

    if as_json:
        print_json(proposed)
        return
    result = proposed["result"]
    before, after = result["before"].get("recovery"), result["after"].get("recovery")
    if result["action"] == "unchanged":
        w = result["before"].get("withdrawn")
        why = f"the recovery was withdrawn on {w['on']} by {w['by']}" if w else "the check already says so"
        console.print(f"{result['contract']} {result['period']}: nothing to change: {why}.", markup=False)
        return
    console.print(
        f"{result['contract']} {result['period']}: recovery to be {result['action']}: "
        f"£{money_text(before or '0.00')} before, £{money_text(after or before or '0.00')} once approved.",
        markup=False,
    )
    if result["after"].get("method"):
        console.print(f"  method: {result['after']['method']}", markup=False)
    for e in result["entries"]:
        amount = money_text(e["amount"])
        console.print(
            f"  {e['payer']}: {e['kind']} {'-£' + amount[1:] if amount.startswith('-') else '£' + amount}", markup=False
        )
    if proposed["pending"]:
        console.print("Already proposed and waiting for approval; this is that proposal.", markup=False)
    show_proposal(proposed["proposal"], settings())
