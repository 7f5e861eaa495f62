"""commission proposals | proposal ID | approve ID | reject ID --reason: maker-checker from the command line.

Approving and rejecting need a user token (``commission users token NAME``, given as COMMISSIONING_TOKEN or
--token), as the API does: the approval is recorded against that account, never a typed name.
"""

from decimal import Decimal
from typing import Annotated, Any

import typer

from flows.cli.common import (
    AS_OF_HELP,
    JSON_HELP,
    TOKEN_HELP,
    console,
    identity,
    local,
    money_text,
    print_json,
    settings,
    write_as_of,
)


def register(app: typer.Typer) -> None:
    app.command("proposals")(proposals_command)
    app.command("proposal")(proposal_command)
    app.command("approve")(approve_command)
    app.command("reject")(reject_command)


def proposals_command(
    status: Annotated[str | None, typer.Option(help="pending, approved, rejected or expired.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    """Proposals waiting for approval (and decided ones), newest first."""
    from flows.approvals.service import list_proposals

    cfg = settings()
    rows = list_proposals(cfg, status=status)
    if as_json:
        print_json(rows)
        return
    if not rows:
        console.print("No proposals" + (f" {status}" if status else "") + ".", markup=False)
    for p in rows:
        console.print(
            f"{p['id']}  {p['status']}  {p['contract']}  {p['subject']}  £{money_text(p['amount'])}  "
            f"proposed by {p['proposed_by']} {local(p['proposed_at'], cfg)}",
            markup=False,
        )


def proposal_command(
    proposal_id: Annotated[int, typer.Argument(help="The proposal's number.")],
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    """One proposal: its preview, who proposed it, who has approved it, and what to run next."""
    from flows.approvals.service import get_proposal

    cfg = settings()
    p = get_proposal(cfg, proposal_id)
    if as_json:
        print_json(p)
        return
    show_proposal(p, cfg)


def show_proposal(p: dict[str, Any], cfg: Any) -> None:
    """The preview as a finance officer reads it, and the next command."""
    say = console.print
    say(
        f"Proposal {p['id']} ({p['status']}): {p['contract']} {p['subject']}, £{money_text(p['amount'])}; "
        f"proposed by {p['proposed_by']} at {local(p['proposed_at'], cfg)}.",
        markup=False,
    )
    preview = p["preview"]
    for payer, t in preview.get("payers", {}).items():
        nets = f", nets off £{money_text(t['recovered'])} owed back" if t["recovered"] != "0.00" else ""
        say(f"  {payer}: outcomes £{money_text(t['outcomes'])}, fees £{money_text(t['fees'])}{nets}; "
            f"pays £{money_text(t['payment'])}", markup=False)  # fmt: skip
    for outcome, o in preview.get("by_outcome", {}).items():
        capped = f" (caps cut £{money_text(o['capped'])})" if o["capped"] != "0.00" else ""
        say(f"  {outcome}: {o['claims']} claim(s), £{money_text(o['paid'])}{capped}", markup=False)
    for c in preview.get("capped", [])[:20]:
        say(f"  capped: {c['claim']} £{money_text(c['capped'])}: {'; '.join(c['why'])}", markup=False)
    if "method" in preview:  # a sample's recovery: how it was reached
        say(f"  sample: {preview['error_rate']} invalid by value ({preview['confidence']} interval "
            f"{preview['interval']}); recovers {preview['applied_rate']} of £{money_text(preview['unsampled_value'])} "
            f"not sampled: £{money_text(preview['recovery'])}", markup=False)  # fmt: skip
    for e in preview.get("entries", []):
        amount = Decimal(e["amount"])
        of = f" of claim {e['claim']}" if e.get("claim") else ""
        say(f"  {e['payer']}: {e['kind']}{of} {'-' if amount < 0 else ''}£{abs(amount):,.2f}", markup=False)
    if "effective_from" in preview:
        cap = f"£{money_text(preview['contract_cap'])}" if preview.get("contract_cap") else "none"
        say(f"  in force from {preview['effective_from']}: {len(preview['outcomes'])} outcomes "
            f"({', '.join(preview['outcomes'])}); paid by {', '.join(preview['paid_by'])}; contract cap {cap}",
            markup=False)  # fmt: skip
    for a in p["approved_by"]:
        say(f"  approved by {a['by']} at {local(a['at'], cfg)}", markup=False)
    if p["status"] == "pending":
        say(f"  needs {p['approvals_needed']} approval(s) by finance users other than {p['proposed_by']}; "
            f"expires {local(p['expires_at'], cfg)}.", markup=False)  # fmt: skip
        say(f"Next: commission approve {p['id']}   (or: commission reject {p['id']} --reason TEXT)", markup=False)
    elif p["reason"]:
        say(f"  {p['status']} by {p['decided_by']}: {p['reason']}", markup=False)


def approve_command(
    proposal_id: Annotated[int, typer.Argument(help="The proposal's number.")],
    token: Annotated[str | None, typer.Option(help=TOKEN_HELP)] = None,
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
    as_of: Annotated[str | None, typer.Option(help=AS_OF_HELP)] = None,
) -> None:
    """Approve a proposal as the token's finance user; at the last approval needed it takes effect."""
    from flows.approvals.service import approve

    cfg = settings()
    by, roles = identity(token, None, cfg)
    done = approve(cfg, proposal_id, by=by, roles=roles, as_of=write_as_of(as_of, cfg))
    if as_json:
        print_json(done)
        return
    p = done["proposal"]
    if p["status"] == "approved":
        console.print(
            f"Proposal {p['id']} approved by {by}: {p['contract']} {p['subject']} takes effect.", markup=False
        )
        for path in done["result"].get("schedules", []):
            console.print(f"  schedule: {path}", markup=False)
        for problem in done["result"].get("schedules_not_written", []):
            console.print(f"  {problem}", markup=False)
    else:
        console.print(f"Proposal {p['id']}: approved by {by}; it needs {p['approvals_needed']} approvals "
                      f"({len(p['approved_by'])} so far).", markup=False)  # fmt: skip


def reject_command(
    proposal_id: Annotated[int, typer.Argument(help="The proposal's number.")],
    reason: Annotated[str, typer.Option(help="Why (kept in the audit log).")],
    token: Annotated[str | None, typer.Option(help=TOKEN_HELP)] = None,
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
    as_of: Annotated[str | None, typer.Option(help=AS_OF_HELP)] = None,
) -> None:
    """Reject a proposal, with a reason; nothing it proposed is written."""
    from flows.approvals.service import reject

    cfg = settings()
    by, roles = identity(token, None, cfg)
    done = reject(cfg, proposal_id, by=by, roles=roles, reason=reason, as_of=write_as_of(as_of, cfg))
    if as_json:
        print_json(done)
        return
    p = done["proposal"]
    console.print(f"Proposal {p['id']} rejected by {by}: {p['reason']}. Nothing was written.", markup=False)
