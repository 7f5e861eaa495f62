"""commission pay, sample, clawback and reconcile: payment by results after the claims are in."""

from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer

from flows.cli.common import (
    AS_OF_HELP,
    JSON_HELP,
    NO_WAIT_HELP,
    TOKEN_HELP,
    actor,
    as_of_instant,
    author,
    console,
    err_console,
    identity,
    int64,
    money_text,
    print_json,
    settings,
    write_as_of,
)
from flows.cli.pbr import readable, run_flow
from flows.common.errors import UserError


def register(app: typer.Typer) -> None:
    app.command("pay")(pay_command)
    app.command("sample")(sample_command)
    app.command("clawback")(clawback_command)
    app.command("reconcile")(reconcile_command)


def pay_command(
    contract: Annotated[str, typer.Option(help="The contract reference.")],
    period: Annotated[str, typer.Option(help="The period to pay, in arrears: 2026-Q3 or 2026-07.")],
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
    as_of: Annotated[str | None, typer.Option(help=AS_OF_HELP)] = None,
    by: Annotated[str | None, typer.Option(help="Who is proposing, without a token (default: login name).")] = None,
    token: Annotated[str | None, typer.Option(help=TOKEN_HELP)] = None,
    no_wait: Annotated[bool, typer.Option("--no-wait", help=NO_WAIT_HELP)] = False,
) -> None:
    """Propose the payment for a period: its preview and DRAFT schedules; a second finance user approves it.

    A period already paid shows its run; a proposal already pending for it is shown again."""
    from flows.cli.approvals import show_proposal
    from flows.pbr.payment_runs import check_payment_run

    cfg = settings()
    when = write_as_of(as_of, cfg)
    who, _ = identity(token, by, cfg)
    check_payment_run(cfg, contract, period, as_of=when)  # a refusal needs no Prefect
    result = run_flow(cfg, "payment-run", as_json=as_json, wait=not no_wait, contract=contract, period=period,
                      as_of=when.isoformat(), actor=who)  # fmt: skip
    if as_json:
        print_json(result)
        return
    if result["run"] is not None:
        _paid(result["run"])
        return
    if result["pending"]:
        console.print("Already proposed and waiting for approval; this is that proposal.", markup=False)
    show_proposal(result["proposal"], cfg)
    for path in result["drafts"]:
        console.print(f"  DRAFT schedule: {path}", markup=False)


def _paid(run: dict[str, Any]) -> None:
    s = run["summary"]
    console.print(
        f"Payment run {run['contract']} {run['period']} on {run['run_on']} (already run; this is the run): "
        f"{s['claims']:,} claim(s), outcomes £{money_text(s['outcomes'])}, fees £{money_text(s['fees'])}, "
        f"paid £{money_text(s['paid'])}.",
        markup=False,
    )
    for path in run["schedules"]:
        console.print(f"  schedule: {path}", markup=False)


def sample_command(
    contract: Annotated[str, typer.Option(help="The contract reference.")],
    period: Annotated[str, typer.Option(help="The paid period to sample, e.g. 2026-Q3.")],
    size: Annotated[int, typer.Option(help="How many paid claims to check.")],
    seed: Annotated[int, typer.Option(help="The random seed: the same seed draws the same sample.")],
    results: Annotated[
        Path | None, typer.Option(help="Check results to record: CSV with claim_ref, result (valid|invalid), note.")
    ] = None,
    reason: Annotated[
        str | None, typer.Option(help="Why fewer claims than the policy's minimum are checked (recorded).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
    as_of: Annotated[str | None, typer.Option(help=AS_OF_HELP)] = None,
    by: Annotated[str | None, typer.Option(help="Who is checking (default: COMMISSIONING_ACTOR).")] = None,
    no_wait: Annotated[bool, typer.Option("--no-wait", help=NO_WAIT_HELP)] = False,
) -> None:
    """Draw (once) a seeded sample of a run's paid claims; with --results, record the checks.

    The size must reach the sampling policy's minimum (95% confidence, ±5% as shipped) unless --reason
    says why not. When every sampled claim is checked, the clawback of the invalid ones and the error rate by
    value, by the policy's method (its interval's lower bound as shipped), extrapolated to the claims not
    sampled, are proposed together: a second finance user's approval writes them to the ledger.
    """
    if size < 1:  # checked here too, so that the refusal does not wait for Prefect to start
        raise UserError("--size: at least 1")
    int64("--size", size)
    int64("--seed", seed)
    if results is not None:
        readable(results)
    cfg = settings()
    when = write_as_of(as_of, cfg)
    result = run_flow(
        cfg,
        "sample-validation",
        as_json=as_json,
        wait=not no_wait,
        contract=contract,
        period=period,
        size=size,
        seed=seed,
        reason=reason,
        results=str(results.resolve()) if results else None,
        as_of=when.isoformat(),
        actor=actor(by, cfg),
    )
    if as_json:
        print_json(result)
        return
    drawn = "drawn earlier" if result["existing"] else "drawn now"
    console.print(
        f"Sample {result['contract']} {result['period']} (seed {result['seed']}, {drawn}): {len(result['items'])} of "
        f"{result['population']:,} paid claim(s) worth £{money_text(result['population_value'])}.",
        markup=False,
    )
    if result["size_reason"]:
        console.print(
            f"  below the minimum of {result['minimum_size']:,}, because: {result['size_reason']}", markup=False
        )
    for item in result["items"]:
        console.print(
            f"  {item['claim']}  {item['participant']}  {item['outcome']}  £{money_text(item['paid'])}  "
            f"{item['result'] or 'to check'}{'  ' + item['note'] if item['note'] else ''}",
            markup=False,
        )
    c = result["concluded"]
    if c:
        print_conclusion(c)


def print_conclusion(c: dict[str, Any]) -> None:
    """A sample's conclusion: the rate, its interval, the method the recovery used, and the recovery."""
    console.print(
        f"Concluded: {c['error_rate']} invalid by value (£{money_text(c['invalid_value'])} of "
        f"£{money_text(c['sampled_value'])} sampled), {c.get('confidence', '95%')} interval "
        f"{c.get('interval', 'not recorded')}.",
        markup=False,
    )
    if c.get("withdrawn"):
        w = c["withdrawn"]
        console.print(f"Recovery withdrawn on {w['on']} by {w['by']}: {w['reason']}", markup=False)
        return
    how = {"lower_bound": "the interval's lower bound", "point_estimate": "the point estimate"}.get(
        c.get("basis", ""), "the error rate"
    )
    status = c.get("proposal_status", "pending")
    if not Decimal(c["recovery"]):  # nothing to recover: no payment run nets anything off (none is proposed)
        status = "none"
    elif not c.get("proposal"):  # concluded before conclusions were proposed: written to the ledger then
        status = "approved"
    then = {
        "none": "so nothing is netted off a payment run",
        "pending": "netted off the next payment run once approved",
        "approved": "netted off the next payment run",
        "rejected": "not recovered: its proposal was rejected",
        "expired": "not recovered: its proposal expired",
    }
    console.print(
        f"Recovery at {how}, {c.get('applied_rate', c['error_rate'])}: £{money_text(c['recovery'])} on the "
        f"£{money_text(c['unsampled_value'])} not sampled, {then.get(status, then['pending'])}.",
        markup=False,
    )
    if c.get("proposal") and c.get("proposal_status", "pending") == "pending":
        console.print(
            f"Proposed as proposal {c['proposal']}: the invalid claims' clawback and the recovery reach the "
            f"ledger when a second finance user approves it (`commission proposal {c['proposal']}`).",
            markup=False,
        )
    elif c.get("proposal"):
        console.print(f"Proposal {c['proposal']} ({c['proposal_status']}): `commission proposal {c['proposal']}`.",
                      markup=False)  # fmt: skip


def clawback_command(
    contract: Annotated[str, typer.Option(help="The contract reference.")],
    claim: Annotated[str, typer.Option(help="The claim reference found invalid.")],
    reason: Annotated[str, typer.Option(help="Why (kept in the ledger and the audit log).")],
    reverse: Annotated[bool, typer.Option(help="Reverse an earlier clawback of this claim instead.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
    as_of: Annotated[str | None, typer.Option(help=AS_OF_HELP)] = None,
    by: Annotated[str | None, typer.Option(help="Who proposes it, without a token (default: login name).")] = None,
    token: Annotated[str | None, typer.Option(help=TOKEN_HELP)] = None,
) -> None:
    """Propose clawing back a paid claim found invalid later (recovered from the next run), or --reverse a
    clawback; a second finance user approves it (`commission approve ID`)."""
    from flows.cli.approvals import show_proposal
    from flows.pbr.clawbacks import propose_clawback

    cfg = settings()
    when = write_as_of(as_of, cfg)
    who, _ = identity(token, by, cfg)
    result = propose_clawback(cfg, contract, claim, reason=reason, reverse=reverse, as_of=when, actor=who)
    if as_json:
        print_json(result)
        return
    if result["pending"]:
        console.print("Already proposed and waiting for approval; this is that proposal.", markup=False)
    show_proposal(result["proposal"], cfg)


def reconcile_command(
    contract: Annotated[str, typer.Option(help="The contract reference.")],
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
    csv: Annotated[Path | None, typer.Option(help="Write the period-by-outcome table to this CSV.")] = None,
    xlsx: Annotated[Path | None, typer.Option(help="Write every table to this Excel workbook.")] = None,
    chart: Annotated[Path | None, typer.Option(help="Draw cumulative payments against the caps to this PNG.")] = None,
    by: Annotated[str | None, typer.Option(help="Who generates the workbook (default: COMMISSIONING_ACTOR).")] = None,
    no_wait: Annotated[bool, typer.Option("--no-wait", help=NO_WAIT_HELP)] = False,
) -> None:
    """Claimed, accepted, rejected by reason, capped, paid, clawed back, outstanding, and headroom under each cap."""
    from functools import partial
    from zoneinfo import ZoneInfo

    from flows.common.files import check_destination
    from flows.pbr.reconcile import Reconciliation, export_chart, export_csv, export_xlsx

    for destination in (csv, xlsx, chart):  # every one checked before any is written: none, or all
        if destination is not None:
            check_destination(destination)
    cfg = settings()
    exports = any(d is not None for d in (csv, xlsx, chart))  # written from the result: run here to have it
    result = run_flow(cfg, "reconcile", as_json=as_json, here=exports, wait=not no_wait, contract=contract)
    report = Reconciliation(**result)
    generated = as_of_instant(None, cfg).astimezone(ZoneInfo(cfg.timezone))
    workbook = partial(export_xlsx, generated=generated, actor=author(by, cfg))
    for path, write in ((csv, export_csv), (xlsx, workbook), (chart, export_chart)):
        if path is not None:
            write(report, path)
            err_console.print(f"wrote {path}", markup=False)
    if as_json:
        print_json(result)
        return
    if csv or xlsx or chart:
        return
    _tables(report)


def _wide(columns: int) -> Any:
    """The console, or one at least ``columns`` wide: ten columns of figures are never squeezed into 80."""
    if console.width >= columns:
        return console
    from rich.console import Console

    return Console(width=columns, highlight=False)


def _tables(report: Any) -> None:
    from rich import box
    from rich.table import Table as RichTable

    def Table(**options: Any) -> RichTable:
        return RichTable(box=box.SIMPLE_HEAD, pad_edge=False, **options)

    from flows.pbr.reconcile import CAPS_HEADER

    money = ("claimed", "accepted", "capped", "rejected", "paid", "clawed_back", "outstanding")
    table = Table(title=f"{report.contract} ({report.provider}): by period and outcome (£)", title_justify="left")
    for name in ("period", "outcome", "claims", *money):
        table.add_column(name.replace("_", " "), justify="left" if name in ("period", "outcome") else "right")
    for r in report.rows:
        table.add_row(r["period"], r["outcome"], f"{r['claims']:,}", *(money_text(r[m]) for m in money))
    t = report.totals
    table.add_row("total", "", f"{t['claims']:,}", *(money_text(t[m]) for m in money), style="bold")
    _wide(136).print(table)
    if t["extrapolated_recoveries"] != "0.00":
        console.print(f"Extrapolated recoveries raised: £{money_text(t['extrapolated_recoveries'])}", markup=False)
    if report.rejected_by_reason:
        reasons = Table(title="Rejected by reason", title_justify="left")
        for name in ("reason", "claims", "value"):
            reasons.add_column(name, justify="left" if name == "reason" else "right")
        for r in report.rejected_by_reason:
            reasons.add_row(r["reason"], f"{r['claims']:,}", money_text(r["value"]))
        console.print(reasons)
    payers = Table(title="By payer", title_justify="left")
    names = ("outcomes", "fees", "paid", "clawed_back", "reversed", "balance")
    payers.add_column("payer")
    for name in names:
        payers.add_column(name.replace("_", " "), justify="right")
    for p in report.payers:
        payers.add_row(p["payer"], *(money_text(p[n]) for n in names))
    _wide(100).print(payers)
    caps = Table(title="Caps and headroom", title_justify="left")
    for name in CAPS_HEADER:
        caps.add_column(name, justify="left" if name == "cap" else "right")
    for c in report.caps:  # the JSON keys stay "accepted" and "paid"; the columns say what they are
        caps.add_row(c["cap"], *(money_text(c[n]) if c[n] else "" for n in ("limit", "accepted", "paid", "headroom")))
    _wide(112).print(caps)
