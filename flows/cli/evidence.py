"""commission evidence add / list: the evidence register."""

from typing import TYPE_CHECKING, Annotated, Any

import typer

from flows.cli.common import AS_OF_HELP, JSON_HELP, actor, console, print_json, settings, write_as_of

if TYPE_CHECKING:  # imported where a table is drawn: `commission --help` registers this module
    from rich.table import Table


def register(app: typer.Typer) -> None:
    evidence = typer.Typer(
        help="The evidence register: local need, what works, market, user voice.", no_args_is_help=True
    )
    evidence.command("add")(evidence_add)
    evidence.command("list")(evidence_list)
    evidence.command("withdraw")(evidence_withdraw)
    app.add_typer(evidence, name="evidence")


def evidence_add(
    ref: Annotated[str, typer.Argument(help="Project reference.")],
    kind: Annotated[str, typer.Option(help="local_need | what_works | market | user_voice | local_evaluation")],
    source: Annotated[str, typer.Option(help="Title of the study, dataset or report.")],
    produced_by: Annotated[str, typer.Option("--produced-by", help="Who produced it.")],
    reviewed: Annotated[bool, typer.Option("--reviewed/--not-reviewed", help="Was it independently reviewed?")],
    method: Annotated[str, typer.Option(help="e.g. RCT, quasi-experimental, mixed methods, survey.")],
    context_fit: Annotated[
        str, typer.Option("--context-fit", help="How close its setting is to ours: high | medium | low.")
    ],
    strength: Annotated[str, typer.Option(help="Scale and level: eif:1-4 or sms:1-5, e.g. eif:3.")],
    summary: Annotated[str, typer.Option(help="What it found, in a sentence or two.")],
    link: Annotated[str | None, typer.Option(help="https:// address or doi:.")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help=AS_OF_HELP)] = None,
    by: Annotated[str | None, typer.Option("--by", help="Who is acting.")] = None,
) -> None:
    """Add an item of evidence to a project's register."""
    from flows.cycle.evidence import add_evidence

    cfg = settings()
    row = add_evidence(
        cfg,
        ref=ref.upper(),
        fields={
            "kind": kind,
            "source": source,
            "produced_by": produced_by,
            "independently_reviewed": reviewed,
            "method": method,
            "context_fit": context_fit,
            "strength": strength,
            "summary": summary,
            "link": link,
        },
        as_of=write_as_of(as_of, cfg),
        actor=actor(by, cfg),
    )
    console.print(
        f"Added evidence item {row.id} ({row.kind}, {row.strength_scale}:{row.strength_level}) to {ref.upper()}.",
        markup=False,
    )


def evidence_withdraw(
    ref: Annotated[str, typer.Argument(help="Project reference.")],
    item: Annotated[int, typer.Argument(help="The item's number, as `evidence list` shows it.")],
    reason: Annotated[str, typer.Option(help="Why it is withdrawn (kept in the history).")],
    as_of: Annotated[str | None, typer.Option("--as-of", help=AS_OF_HELP)] = None,
    by: Annotated[str | None, typer.Option("--by", help="Who is acting.")] = None,
) -> None:
    """Withdraw an item entered in error: it stays in the register and the history; the gates no longer count it."""
    from flows.cycle.evidence import withdraw_evidence

    cfg = settings()
    done = withdraw_evidence(
        cfg, ref=ref.upper(), item=item, reason=reason, as_of=write_as_of(as_of, cfg), actor=actor(by, cfg)
    )
    console.print(
        f"Withdrew evidence item {done['id']} ({done['kind']}, {done['source']}) from {done['project']}'s count: "
        f"{done['withdrawn']['reason']}.",
        markup=False,
    )


def evidence_list(
    ref: Annotated[str | None, typer.Argument(help="Project reference (default: the whole register).")] = None,
    kind: Annotated[str | None, typer.Option(help="Only this kind.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    """List the evidence register, for one project or all."""
    from flows.cycle.evidence import evidence_register

    rows = evidence_register(settings(), ref=ref.upper() if ref else None, kind=kind)
    if as_json:
        print_json(rows)
        return
    title = "Evidence register" + (f" of {ref.upper()}" if ref else "")
    console.print(evidence_table(rows, title, with_project=ref is None) if rows else "No evidence recorded.")


def evidence_table(rows: list[dict[str, Any]], title: str, *, with_project: bool) -> "Table":
    """Evidence items as a table, in the register's column order."""
    from rich.table import Table

    table = Table(title=title)
    columns = ["#", "Kind", "Source", "Produced by", "Strength", "Reviewed", "Fit", "Method", "Summary"]
    for name in (["Project"] if with_project else []) + columns:
        table.add_column(name, overflow="fold")
    for e in rows:
        cells = [
            str(e["id"]),
            e["kind"],
            e["source"],
            e["produced_by"],
            e["strength"],
            "yes" if e["independently_reviewed"] else "no",
            e["context_fit"],
            e["method"],
            f"WITHDRAWN ({e['withdrawn']['reason']}): {e['summary']}" if e.get("withdrawn") else e["summary"],
        ]
        table.add_row(*([e["project"]] if with_project else []), *cells)
    return table
