"""commission keydates handle: mark a key date dealt with, so it shows handled (not missed) and its reminders stop."""

from typing import Annotated

import typer

from flows.cli.common import (
    AS_OF_HELP,
    JSON_HELP,
    actor,
    console,
    iso_date_option,
    print_json,
    settings,
    write_as_of,
)


def register(app: typer.Typer) -> None:
    keydates = typer.Typer(help="Contract key dates: mark one handled.", no_args_is_help=True)
    keydates.command("handle")(handle_command)
    app.add_typer(keydates, name="keydates")


def handle_command(
    contract: Annotated[str, typer.Argument(help="The contract reference.")],
    key: Annotated[str, typer.Argument(help="The key date's key, as `contracts show` lists it (e.g. break_notice:1).")],
    handled_as: Annotated[
        str,
        typer.Option(
            "--as",
            help="notice-served, not-breaking, option-exercised, option-declined, decision-taken or done.",
        ),
    ],
    note: Annotated[str, typer.Option(help="What was done (kept in the history).")],
    on: Annotated[str | None, typer.Option(help="The day it was dealt with (ISO date; default: today).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
    as_of: Annotated[str | None, typer.Option(help=AS_OF_HELP)] = None,
    by: Annotated[str | None, typer.Option(help="Who dealt with it (default: COMMISSIONING_ACTOR).")] = None,
) -> None:
    """Mark a key date handled: `due` and the calendar say so, and its reminder ladder stops."""
    from flows.contracts.handling import HANDLED_AS, handle_key_date

    cfg = settings()
    when = write_as_of(as_of, cfg)
    day = iso_date_option("--on", on, None) if on else None  # type: ignore[arg-type]
    result = handle_key_date(
        cfg, contract.upper(), key, handled_as=handled_as, note=note, on=day, as_of=when, actor=actor(by, cfg)
    )
    if as_json:
        print_json(result)
        return
    again = " (already recorded)" if result["existing"] else ""
    console.print(
        f"{result['contract']} {result['key']} (due {result['due_on']}): {HANDLED_AS[result['handled_as']]} on "
        f"{result['handled_on']} by {result['by']}{again}; {result['reminders_stopped']} pending reminder(s) stopped.",
        markup=False,
    )
