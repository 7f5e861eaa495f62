"""commission project add, projects (the board), show, record."""

from typing import Annotated, Any

import typer

from flows.cli.common import (
    AS_OF_HELP,
    JSON_HELP,
    actor,
    clock,
    console,
    local,
    print_json,
    settings,
    when_entered,
    write_as_of,
    write_date_option,
)
from flows.cli.event_words import event_said
from flows.cli.evidence import evidence_table
from flows.common.settings import Settings
from policies.cycle.records import RecordKind
from policies.cycle.stages import STAGE_ORDER, Stage
from policies.dates import local_date


def register(app: typer.Typer) -> None:
    project = typer.Typer(help="Create commissioning projects.", no_args_is_help=True)
    project.command("add")(project_add)
    project.command("correct")(project_correct)
    app.add_typer(project, name="project")
    app.command("projects")(projects)
    app.command("show")(show)
    app.command("record")(record)


def project_add(
    ref: Annotated[str, typer.Option(help="Your reference, e.g. FAM-2026-01.")],
    title: Annotated[str, typer.Option(help="What is being commissioned.")],
    area: Annotated[str, typer.Option("--area", help="Service area, e.g. 'Children and families'.")],
    owner: Annotated[str, typer.Option(help="The commissioner responsible.")],
    description: Annotated[str, typer.Option(help="A sentence on the need and the aim.")] = "",
    stage: Annotated[str, typer.Option(help="Start stage, for a service onboarded mid-cycle.")] = "analyse",
    as_of: Annotated[str | None, typer.Option("--as-of", help=AS_OF_HELP)] = None,
    by: Annotated[
        str | None, typer.Option("--by", help="Who is acting (default: COMMISSIONING_ACTOR or login).")
    ] = None,
) -> None:
    """Create a commissioning project (in Analyse unless --stage says otherwise)."""
    from flows.cycle.projects import create_project

    cfg = settings()
    project = create_project(
        cfg,
        ref=ref,
        title=title,
        service_area=area,
        owner=owner,
        description=description,
        stage=stage,
        as_of=write_as_of(as_of, cfg),
        actor=actor(by, cfg),
    )
    console.print(f"Created {project.ref} '{project.title}' in {Stage(project.stage).label}.", markup=False)


def project_correct(
    ref: Annotated[str, typer.Argument(help="Project reference.")],
    reason: Annotated[str, typer.Option(help="Why (kept in the history).")],
    title: Annotated[str | None, typer.Option(help="The right title.")] = None,
    owner: Annotated[str | None, typer.Option(help="The right owner.")] = None,
    area: Annotated[str | None, typer.Option("--area", help="The right service area.")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help=AS_OF_HELP)] = None,
    by: Annotated[str | None, typer.Option("--by", help="Who is acting.")] = None,
) -> None:
    """Correct a project's title, owner or service area; the history keeps the before and after."""
    from flows.cycle.projects import correct_project

    cfg = settings()
    done = correct_project(
        cfg, ref=ref.upper(), title=title, service_area=area, owner=owner, reason=reason,
        as_of=write_as_of(as_of, cfg), actor=actor(by, cfg),
    )  # fmt: skip
    if not done["changed"]:
        console.print(f"{done['ref']}: already so; nothing changed.", markup=False)
        return
    said = "; ".join(f"{k.replace('_', ' ')} {done['before'][k]!r} -> {v!r}" for k, v in done["after"].items())
    console.print(f"Corrected {done['ref']}: {said}.", markup=False)


def _gate_cell(row: dict[str, Any]) -> str:
    last = row["last_gate"]
    if last is None:
        return "not yet tried"
    if last["outcome"] == "refused":
        return f"refused: {last['unmet']} unmet"
    if last["outcome"] == "stayed":
        return "held in stage"
    return f"passed to {last['to_stage']}"


def projects(as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False) -> None:
    """The board: every project by stage, with its latest gate result."""
    from flows.cycle.projects import board

    cfg = settings()
    rows = board(cfg)
    if as_json:
        print_json(rows)
        return
    print_board(rows, cfg)


def print_board(rows: list[dict[str, Any]], cfg: Settings) -> None:
    from rich.table import Table

    """The board: one table per stage, in cycle order, then the counts."""
    if not rows:
        console.print("No projects yet. Add one with `commission project add` or try `commission demo`.")
        return
    console.print("[bold]Commissioning board[/bold]")
    for stage in STAGE_ORDER:
        in_stage = [r for r in rows if r["stage"] == stage.value]
        if not in_stage:
            continue
        table = Table(title=f"{stage.label} ({len(in_stage)})", title_justify="left")
        for name in ("Ref", "Since"):
            table.add_column(name, no_wrap=True)
        table.add_column("Title", overflow="fold", ratio=3)
        table.add_column("Owner", overflow="fold", ratio=1)
        table.add_column("Cycle", justify="right")
        table.add_column("Last gate", overflow="fold", ratio=1)
        for r in in_stage:
            table.add_row(
                r["ref"],
                local(r["stage_entered_at"], cfg, with_time=False),
                r["title"],
                r["owner"],
                str(r["cycle"]),
                _gate_cell(r),
            )
        console.print(table)
    console.print("   ".join(f"{s.label}: {sum(1 for r in rows if r['stage'] == s.value)}" for s in STAGE_ORDER))


def _event_detail(e: dict[str, Any], cfg: Settings) -> str:
    said = event_said(e, cfg)
    if said is not None:
        return said
    after, before = e.get("after") or {}, e.get("before") or {}
    action = e["action"]
    if action == "StageChanged":
        return f"{before.get('stage')} -> {after.get('stage')} (cycle {after.get('cycle')})" + (
            f": {e['reason']}" if e.get("reason") else ""
        )
    if action == "GateRefused":
        unmet = after.get("unmet", [])
        return f"to {after.get('to_stage')}: {len(unmet)} unmet - " + " ".join(u["sentence"] for u in unmet)
    if action == "EvidenceAdded":
        return f"{after.get('kind')}: {after.get('source')} ({after.get('strength')})"
    if action == "ProjectCorrected":
        said = "; ".join(f"{k.replace('_', ' ')} {before.get(k)!r} -> {v!r}" for k, v in after.items())
        return said + (f": {e['reason']}" if e.get("reason") else "")
    if action == "RecordSuperseded":
        return (
            f"{after.get('kind')} record {before.get('id')} ({before.get('value')}) superseded by record "
            f"{after.get('id')} ({after.get('value')}): {e.get('reason')}"
        )
    if action == "EvidenceWithdrawn":
        return f"item {after.get('id')} withdrawn, {after.get('kind')}: {after.get('source')}: {e.get('reason')}"
    if action == "RecordAdded":
        was = f" (was {before.get('value')})" if before else ""
        return f"{after.get('kind')} = {after.get('value')}{was}" + (f": {e['reason']}" if e.get("reason") else "")
    if action == "ProjectCreated":
        return f"in {after.get('stage')}" + (f", {e['reason']}" if e.get("reason") else "")
    return e.get("reason") or ""


def print_history(detail: dict[str, Any], cfg: Settings) -> None:
    from rich.table import Table

    table = Table(title=f"History of {detail['ref']}")
    for name in ("When", "Who", "What", "Detail"):
        table.add_column(name, overflow="fold", no_wrap=name == "When")
    for e in detail["history"]:
        table.add_row(when_entered(e["at"], e.get("recorded_at"), cfg), e["actor"], e["action"], _event_detail(e, cfg))
    console.print(table)


def show(
    ref: Annotated[str, typer.Argument(help="Project reference.")],
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    """One project: stage, gate status with unmet conditions, evidence, records, its contracts by status, history."""
    from flows.common.runtime import gate_policy
    from flows.cycle.detail import project_detail

    cfg = settings()
    detail = project_detail(cfg, gate_policy(cfg), ref.upper())
    if as_json:
        print_json(detail)
        return
    stage = Stage(detail["stage"])
    console.print(f"[bold]{detail['ref']}[/bold]  {detail['title']}", highlight=False)
    console.print(
        f"{detail['service_area']} · owner {detail['owner']} · cycle {detail['cycle']} · "
        f"{stage.label} since {local(detail['stage_entered_at'], cfg, with_time=False)}",
        markup=False,
    )
    if detail["description"]:
        console.print(detail["description"], markup=False)
    gate = detail["gate"]
    console.print()
    if stage is Stage.DECOMMISSIONED:
        console.print("Gate: none; the project is decommissioned.")
    elif gate["outcome"] == "passed":
        console.print(
            f"Gate to {Stage(gate['to_stage']).label}: [green]every condition is met[/green]; "
            f"run `commission advance {detail['ref']}`."
        )
    elif gate["outcome"] == "stayed":
        console.print(f"Gate: {gate['findings'][-1]}", markup=False)
    else:
        target = Stage(gate["to_stage"]).label if gate["to_stage"] else "the next stage"
        console.print(f"Gate to {target}: [red]{len(gate['unmet'])} condition(s) unmet[/red]")
        for u in gate["unmet"]:
            console.print(f"  ✗ {u['sentence']}", markup=False)

    if detail["evidence"]:
        console.print(evidence_table(detail["evidence"], "Evidence", with_project=False))
    if detail["records"]:
        from rich.table import Table

        table = Table(title="Stage records")
        for name in ("Cycle", "Record", "Value", "On", "By", "Note"):
            table.add_column(name, overflow="fold")
        for r in detail["records"]:
            table.add_row(str(r["cycle"]), r["kind"], r["value"], r["recorded_on"], r["recorded_by"], r["note"])
        console.print(table)
    _print_contracts(detail)
    print_history(detail, cfg)


def _print_contracts(detail: dict[str, Any]) -> None:
    """A summary, not a row per contract: a project can have thousands."""
    from policies.contracts.status import ContractStatus

    summary = detail["contracts"]
    if not summary["total"]:
        return
    counts = ", ".join(
        f"{summary['by_status'][s.value]:,} {s.value.replace('_', ' ')}"
        for s in ContractStatus
        if summary["by_status"].get(s.value)
    )
    console.print(f"Contracts: {summary['total']:,} ({counts})", markup=False)
    if summary["in_force"]:
        more = summary["in_force_total"] - len(summary["in_force"])
        console.print(
            f"  in force: {', '.join(summary['in_force'])}" + (f" and {more:,} more" if more > 0 else ""),
            markup=False,
        )
    console.print("  `commission contracts show REF` shows one; `commission due` lists what falls due.", markup=False)


def record(
    ref: Annotated[str, typer.Argument(help="Project reference.")],
    kind: Annotated[
        str,
        typer.Argument(
            help="business_case | specification | outcomes_framework | procurement_route | award | review_decision"
        ),
    ],
    value: Annotated[str, typer.Argument(help="e.g. approved, final, agreed, open, the provider's name, recommission")],
    on: Annotated[
        str | None, typer.Option("--on", help="The date of the decision or document (ISO; default: the as-of date).")
    ] = None,
    note: Annotated[str, typer.Option(help="Why, or where it was decided (e.g. 'Cabinet 16 March').")] = "",
    link: Annotated[str | None, typer.Option(help="Where the document lives.")] = None,
    supersedes: Annotated[
        int | None, typer.Option(help="The number of a record of this kind entered in error, which this replaces.")
    ] = None,
    reason: Annotated[str | None, typer.Option(help="With --supersedes: why that record was wrong.")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help=AS_OF_HELP)] = None,
    by: Annotated[str | None, typer.Option("--by", help="Who is acting.")] = None,
) -> None:
    """Record a stage document or decision that a gate looks for (--supersedes one entered in error)."""
    from flows.cycle.records import add_record

    cfg = settings()
    now = clock()
    instant = write_as_of(as_of, cfg, now=now)
    row = add_record(
        cfg,
        ref=ref.upper(),
        kind=kind,
        value=value,
        on=write_date_option("--on", on, local_date(instant, cfg.timezone), cfg, now=now),
        note=note,
        link=link,
        as_of=instant,
        actor=actor(by, cfg),
        supersedes=supersedes,
        reason=reason,
    )
    instead = f", superseding record {supersedes}" if supersedes is not None else ""
    console.print(
        f"Recorded {RecordKind(row.kind).label} = {row.value} for {ref.upper()} (cycle {row.cycle}){instead}.",
        markup=False,
    )
