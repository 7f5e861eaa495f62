"""commission contracts list, claims list, participants list, runs list, ratecards list and ledger.

`contracts list` itself is declared in contracts.py and imports this module when it runs, so `due` loads no more.

Each is a read over one service function (flows/contracts/listing.py, flows/pbr/lists.py), the same one the
web page and the API call; each prints a table, or ``--json``, and ``--export FILE`` (.csv or .xlsx) writes
the same rows to a file. The CLI is the council's own tool, so it lists every organisation's rows.

A table shows the first ``SHOWN`` rows and says how many there are; ``--json`` and ``--export`` give every row,
read and written a chunk at a time, so a ledger of millions of entries is never held whole.
"""

import contextlib
import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from flows.cli.common import COMPACT_ABOVE, JSON_HELP, console, print_json, settings
from flows.common.listing import Listing, Page, export_listing, export_suffix

ExportOption = Annotated[
    Path | None, typer.Option("--export", help="Also write the list to a .csv or .xlsx file (by its suffix).")
]
JsonOption = Annotated[bool, typer.Option("--json", help=JSON_HELP)]
ContractOption = Annotated[str | None, typer.Option("--contract", help="Only this contract's rows (its reference).")]
PeriodOption = Annotated[str | None, typer.Option("--period", help="Only this period: a quarter (2026-Q1) or month.")]


def register(app: typer.Typer) -> None:
    runs = typer.Typer(help="Payment runs of payment-by-results contracts.")
    runs.command("list")(runs_list)
    app.add_typer(runs, name="runs", no_args_is_help=True)
    ratecards = typer.Typer(help="Rate-card versions of payment-by-results contracts (import: `commission ratecard`).")
    ratecards.command("list")(ratecards_list)
    app.add_typer(ratecards, name="ratecards", no_args_is_help=True)
    app.command("ledger")(ledger_command)


SHOWN = Page(500)  # the rows a table shows in the terminal


def show(listing: Listing, *, as_json: bool, export: Path | None, empty: str) -> None:
    """The list as JSON or a table; and the export file, if one is asked for."""
    if export is not None:
        export_listing(listing, export)
    if as_json:
        print_rows(listing)
        return
    if not listing.rows:
        console.print(empty, markup=False)
    else:
        from rich.table import Table

        table = Table(title=f"{listing.sheet} ({listing.count})")
        for _key, title, kind in listing.columns:
            table.add_column(title, justify="right" if kind in ("money", "number") else "left", overflow="fold")
        for row in listing.rows:
            table.add_row(*("" if row[k] is None else str(row[k]) for k, _, _ in listing.columns))
        console.print(table)
        if listing.count > len(listing.rows):
            console.print(
                f"The first {len(listing.rows):,} of {listing.count:,} rows are shown; --export FILE.csv or --json "
                "gives every row.",
                markup=False,
            )
    if export is not None:
        console.print(f"Wrote {export}.", markup=False)


def print_rows(listing: Listing) -> None:
    """Every row as a JSON list, as ``print_json`` prints it; a long list is written a row at a time."""
    with contextlib.closing(listing.all_rows()) as rows:  # a pager closed early ends the reading at once
        if listing.count <= COMPACT_ABOVE:
            print_json(list(rows))
            return
        out, first = sys.stdout, True
        out.write("[")
        for row in rows:
            out.write(("" if first else ", ") + json.dumps(row, default=str))
            first = False
        out.write("]\n")


def checked_export(export: Path | None) -> None:
    """Refuse an export file of the wrong kind before any work is done."""
    if export is not None:
        export_suffix("--export", export)


def claims_list(
    contract: ContractOption = None,
    status: Annotated[str | None, typer.Option(help="accepted, partly_accepted or rejected.")] = None,
    reason: Annotated[str | None, typer.Option(help="Only claims with this reason code (e.g. ineligible).")] = None,
    participant: Annotated[str | None, typer.Option(help="Only this participant's claims.")] = None,
    as_json: JsonOption = False,
    export: ExportOption = None,
) -> None:
    """Claims by contract and achieved date, with their status, amounts and reasons."""
    from flows.pbr.lists import claims_list as listing

    checked_export(export)
    found = listing(settings(), contract=contract, status=status, reason=reason, participant=participant, page=SHOWN)
    show(found, as_json=as_json, export=export, empty="No claims match.")


def participants_list(
    contract: ContractOption = None, as_json: JsonOption = False, export: ExportOption = None
) -> None:
    """Participants by contract, with their referral dates and the attributes eligibility looks at."""
    from flows.pbr.lists import participants_list as listing

    checked_export(export)
    found = listing(settings(), contract=contract, page=SHOWN)
    show(found, as_json=as_json, export=export, empty="No participants match.")


def runs_list(
    contract: ContractOption = None,
    period: PeriodOption = None,
    as_json: JsonOption = False,
    export: ExportOption = None,
) -> None:
    """Payment runs by contract and period: when each ran, its claims and what it paid."""
    from flows.pbr.lists import runs_list as listing

    checked_export(export)
    found = listing(settings(), contract=contract, period=period, page=SHOWN)
    show(found, as_json=as_json, export=export, empty="No payment runs match.")


def ratecards_list(contract: ContractOption = None, as_json: JsonOption = False, export: ExportOption = None) -> None:
    """Rate-card versions by contract, oldest first."""
    from flows.pbr.lists import ratecards_list as listing

    checked_export(export)
    found = listing(settings(), contract=contract, page=SHOWN)
    show(found, as_json=as_json, export=export, empty="No rate cards match.")


def ledger_command(
    contract: ContractOption = None,
    payer: Annotated[str | None, typer.Option(help="Only this payer's entries (e.g. council).")] = None,
    period: PeriodOption = None,
    kind: Annotated[str | None, typer.Option(help="accrual, payment, clawback or reversal.")] = None,
    as_json: JsonOption = False,
    export: ExportOption = None,
) -> None:
    """The payment ledger, in the order written: accruals, payments, clawbacks and reversals."""
    from flows.pbr.lists import ledger_list

    checked_export(export)
    found = ledger_list(settings(), contract=contract, payer=payer, period=period, kind=kind, page=SHOWN)
    show(found, as_json=as_json, export=export, empty="No ledger entries match.")
