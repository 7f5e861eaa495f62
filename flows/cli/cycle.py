"""commission advance and commission demo: the commands that run Prefect flows."""

import time
from typing import Annotated, Any

import typer

from flows.cli.common import AS_OF_HELP, JSON_HELP, actor, as_of_instant, console, print_json, settings, write_as_of
from flows.common.settings import Settings
from policies.cycle.stages import Stage


def register(app: typer.Typer) -> None:
    app.command("advance")(advance)
    app.command("demo")(demo)


def _start_prefect(cfg: Settings) -> Any:
    """Import the flows only now, after Prefect's environment is set."""
    from flows.common.runtime import gate_policy, start_prefect

    gate_policy(cfg)  # a bad policy file is refused here, before Prefect starts
    start_prefect(cfg)
    from flows.cycle.stage_flows import run_stage_flow

    return run_stage_flow


def advance(
    ref: Annotated[str, typer.Argument(help="Project reference.")],
    to: Annotated[
        str | None,
        typer.Option(
            help="Target stage; needed only for a step back (do -> plan, plan -> analyse) "
            "or to name where Review leads."
        ),
    ] = None,
    reason: Annotated[str | None, typer.Option(help="Why; required for a step back.")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help=AS_OF_HELP)] = None,
    by: Annotated[str | None, typer.Option("--by", help="Who is acting.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    """Run the flow for the project's current stage: check its gate and move it on if the gate is met."""
    from flows.cycle.advance import advance_project

    cfg = settings()
    instant = write_as_of(as_of, cfg)
    result = advance_project(cfg, ref=ref, to=to, reason=reason, as_of=instant, actor=actor(by, cfg))
    if as_json:
        print_json(result)
        return
    source = Stage(result["from_stage"]).label
    for finding in result.get("findings", []):
        if finding.startswith("Performance of "):  # the Review flow's view of the latest ratings
            console.print(f"{result['ref']}: {finding}", markup=False)
    if result["outcome"] == "passed":
        console.print(f"{result['ref']}: moved {source} -> {Stage(result['stage_now']).label}.", markup=False)
    elif result["outcome"] == "stayed":
        console.print(f"{result['ref']}: {result['findings'][-1]}", markup=False)
    else:
        console.print(
            f"{result['ref']}: the {source} gate is not met; {len(result['unmet'])} condition(s) unmet:", markup=False
        )
        for u in result["unmet"]:
            console.print(f"  ✗ {u['sentence']}", markup=False)
    console.print(f"Recorded as gate decision {result['id']} (flow run {result['flow_run_id']}).", markup=False)


DEMO_REMINDERS_AS_OF = "2026-11-23T09:00"


def _demo_reminders(cfg: Settings) -> None:
    """Once, after the portfolio is built: the reminder sweep as of the demo's day, printed to the console."""
    from flows.cli.reminders import run_reminder_flow, summarise
    from flows.common.runtime import database
    from flows.reminders.sweep import last_sweep_day

    if last_sweep_day(database(cfg)) is not None:
        return
    if cfg.apprise_config is not None:
        console.print("Reminders: not swept by the demo, which never sends to the targets in your apprise config.")
        return
    console.print(f"Reminders due as of {DEMO_REMINDERS_AS_OF} (no apprise config, so to the console):", markup=False)
    summarise(run_reminder_flow(cfg, as_json=False, here=True, as_of=as_of_instant(DEMO_REMINDERS_AS_OF, cfg)))


def _demo_payments(cfg: Settings) -> None:
    """The payment-by-results contract: its claims validated, four quarterly runs, and the reconciliation."""
    from decimal import Decimal

    from flows.demo.pbr import PBR_CONTRACT, build_payment_by_results

    _start_prefect(cfg)
    result = build_payment_by_results(cfg)
    claims = result["claims"]
    if claims["added"]:
        console.print(
            f"Payment by results, {PBR_CONTRACT} (Fair Chance Fund rate card): {claims['rows']} claim(s): "
            f"{claims['accepted']} accepted, {claims['partly_accepted']} partly, {claims['rejected']} rejected "
            f"(reasons given: {', '.join(sorted(claims['by_reason']))}).",
            markup=False,
        )
    paid = ", ".join(f"{r['period']} £{Decimal(r['summary']['paid']):,.2f}" for r in result["runs"])
    totals = result["reconciliation"]["totals"]
    console.print(
        f"Payment runs for {PBR_CONTRACT}: {paid}. Claimed £{Decimal(totals['claimed']):,.2f}, accepted "
        f"£{Decimal(totals['accepted']):,.2f}, rejected £{Decimal(totals['rejected']):,.2f}, capped "
        f"£{Decimal(totals['capped']):,.2f}, paid £{Decimal(totals['paid']):,.2f}, outstanding "
        f"£{Decimal(totals['outstanding']):,.2f}. Try `commission reconcile --contract {PBR_CONTRACT}`.",
        markup=False,
    )
    console.print(
        "Each run was proposed by farah.khan and approved by omar.ali, a second finance user (and by grace.obi "
        "too when over £50,000). farah.khan sampled 2026-Q1 and found a claim invalid; the recovery she proposed "
        "was rejected by omar.ali. Try `commission proposals`.",
        markup=False,
    )


def _demo_performance(cfg: Settings) -> None:
    """Housing First's KPIs, two years of quarterly readings and its published UK9 notice."""
    from flows.demo.performance import PERFORMANCE_CONTRACT, UK9_PERIOD, UK9_REFERENCE, build_performance

    result = build_performance(cfg)
    console.print(
        f"Performance of {PERFORMANCE_CONTRACT}: 3 KPIs, {result['readings']} quarterly readings; UK9 notice for "
        f"{UK9_PERIOD} published as {UK9_REFERENCE}. Try `commission performance` and "
        f"`commission contracts show {PERFORMANCE_CONTRACT}`.",
        markup=False,
    )


def demo() -> None:
    """Build a realistic portfolio across every stage, run the flows, print the board and one history."""
    from flows.cli.projects import print_board, print_history
    from flows.common.runtime import database_label, gate_policy, initialise
    from flows.cycle.detail import project_detail
    from flows.cycle.projects import board
    from flows.demo.build import build_portfolio, refuse_a_database_in_use, unfinished
    from flows.demo.portfolio import SHOWCASE

    started = time.perf_counter()
    cfg = settings()
    gate_policy(cfg)  # a bad policy file is refused before anything is written
    refuse_a_database_in_use(cfg)  # before anything is migrated or written, or printed as if the demo would run
    eng, _, revision = initialise(cfg)
    console.print(f"Database {database_label(cfg)} at schema {revision}.", markup=False)
    if unfinished(eng):
        touched = build_portfolio(cfg, _start_prefect(cfg), eng)
        console.print(
            f"Built {len(touched)} demo project(s) through the stage flows: {', '.join(touched)}.", markup=False
        )
    else:
        console.print("The demo portfolio is already there; nothing was changed.")
    _demo_reminders(cfg)
    _demo_payments(cfg)
    _demo_performance(cfg)
    print_board(board(cfg), cfg)
    print_history(project_detail(cfg, gate_policy(cfg), SHOWCASE), cfg)
    from flows.demo.users import ensure_demo_users

    people = ensure_demo_users(cfg)
    console.print(
        f"Done in {time.perf_counter() - started:.1f} s. Try `commission show {SHOWCASE}` or "
        f"`commission show FAM-2026-01` to see an unmet gate.",
        markup=False,
    )
    _say_web_users(people)


def _say_web_users(people: Any) -> None:
    """Last: how to open the web app on the demo data, with the demo users (passwords for local use only)."""
    console.print(
        "Web app on the demo data: run `commission serve` and open http://127.0.0.1:8000. "
        "Demo users (passwords for local use only):",
        markup=False,
    )
    for u in people:
        org = f" of {u.organisation}" if u.organisation else ""
        console.print(f"  {u.username} ({u.name}, {u.role}{org}): {u.password}", markup=False)
