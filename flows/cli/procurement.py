"""commission procurement plan / set / show: the timeline of a project in Do."""

import datetime as dt
from typing import Annotated, Any

import typer

from flows.cli.common import (
    AS_OF_HELP,
    JSON_HELP,
    actor,
    as_of_instant,
    clock,
    console,
    err_console,
    iso_date_option,
    print_json,
    settings,
    write_as_of,
    write_date_option,
)
from flows.common.errors import UserError


def register(app: typer.Typer) -> None:
    procurement = typer.Typer(help="The procurement timeline of a project in Do.", no_args_is_help=True)
    procurement.command("plan")(procurement_plan)
    procurement.command("set")(procurement_set)
    procurement.command("show")(procurement_show)
    app.add_typer(procurement, name="procurement")


def _print(shown: dict[str, Any]) -> None:
    from rich.table import Table

    table = Table(title=f"Procurement timeline of {shown['project']}")
    for name in ("Milestone", "Planned", "Actual", ""):
        table.add_column(name, no_wrap=True)
    if shown.get("planned_procurement_notice"):
        table.add_row("planned procurement notice", "", shown["planned_procurement_notice"], "")
    for m in shown["milestones"]:
        flag = "MISSED" if m["missed"] else ""
        table.add_row(m["milestone"].replace("_", " "), m["planned_on"] or "", m["actual_on"] or "", flag)
    if shown["milestones"]:
        console.print(table)
    for note in shown["notes"]:
        if note.startswith("Procurement warning"):
            err_console.print(f"WARNING: {note.removeprefix('Procurement warning: ')}", style="bold red", markup=False)
        else:
            console.print(note, markup=False)


GO_LIVE_LEAD_YEARS = 3  # a procurement plan begins at most this many years before go-live


def procurement_plan(
    ref: Annotated[str, typer.Argument(help="Project reference (in Do).")],
    go_live: Annotated[str, typer.Option("--go-live", help="The date the new service should start (ISO).")],
    as_of: Annotated[str | None, typer.Option("--as-of", help=AS_OF_HELP)] = None,
    by: Annotated[str | None, typer.Option("--by", help="Who is acting.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    """Plan every milestone back from the go-live date, with the standstill counted in working days."""
    from flows.common.calendars import YEARS
    from flows.cycle.procurement import plan

    cfg = settings()
    day = iso_date_option("--go-live", go_live, dt.date.min)
    first, last = YEARS.start + GO_LIVE_LEAD_YEARS, YEARS.stop - 1  # the plan runs back from go-live
    if not first <= day.year <= last:
        raise UserError(f"--go-live: {day} is outside the years {first}-{last} whose bank holidays are known")
    shown = plan(
        cfg,
        ref=ref.upper(),
        go_live=day,
        as_of=write_as_of(as_of, cfg),
        actor=actor(by, cfg),
    )
    print_json(shown) if as_json else _print(shown)


def procurement_set(
    ref: Annotated[str, typer.Argument(help="Project reference (in Do).")],
    milestone: Annotated[
        str,
        typer.Argument(
            help="e.g. tender_notice, submission_deadline, award_decision, signature, or planned_procurement_notice."
        ),
    ],
    planned: Annotated[str | None, typer.Option(help="Planned date (ISO).")] = None,
    actual: Annotated[str | None, typer.Option(help="Date it actually happened (ISO).")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help=AS_OF_HELP)] = None,
    by: Annotated[str | None, typer.Option("--by", help="Who is acting.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    """Record a milestone's planned or actual date; the plan is checked against the statutory minimums."""
    from flows.cycle.procurement import set_milestone

    cfg = settings()
    now = clock()
    instant = write_as_of(as_of, cfg, now=now)
    shown = set_milestone(
        cfg,
        ref=ref.upper(),
        milestone=milestone,
        planned=iso_date_option("--planned", planned, dt.date.min) if planned else None,
        actual=write_date_option("--actual", actual, dt.date.min, cfg, now=now) if actual else None,
        as_of=instant,
        actor=actor(by, cfg),
    )
    print_json(shown) if as_json else _print(shown)


def procurement_show(
    ref: Annotated[str, typer.Argument(help="Project reference.")],
    as_of: Annotated[str | None, typer.Option("--as-of", help=AS_OF_HELP)] = None,
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    """The timeline, the next milestone, any missed, and any statutory minimum the plan breaks."""
    from flows.cycle.procurement import show

    cfg = settings()
    shown = show(cfg, ref=ref.upper(), as_of=as_of_instant(as_of, cfg))
    print_json(shown) if as_json else _print(shown)
