"""commission contracts add / import / show, and commission due."""

import re
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from flows.cli.common import (
    AS_OF_HELP,
    JSON_HELP,
    actor,
    as_of_instant,
    changes_said,
    console,
    err_console,
    print_json,
    said,
    settings,
    when_entered,
    write_as_of,
)
from flows.common.errors import UserError
from policies.money import Money

if TYPE_CHECKING:
    from flows.contracts.due import DueRow


def register(app: typer.Typer) -> None:
    contracts = typer.Typer(help="Contracts: terms, key dates, import from YAML or CSV.", no_args_is_help=True)
    contracts.command("add")(contracts_add)
    contracts.command("import")(contracts_import)
    contracts.command("show")(contracts_show)
    contracts.command("list")(contracts_list)
    app.add_typer(contracts, name="contracts")
    app.command("due")(due_command)
    app.command("decide")(decide_command)
    calendar = typer.Typer(help="The key-date calendar feed (iCalendar).", no_args_is_help=True)
    calendar.command("export")(calendar_export)
    app.add_typer(calendar, name="calendar")


SHOWN = 20  # refs or warnings listed by name; a portfolio import reports the rest as a count


def _names(refs: list[str]) -> str:
    more = f" and {len(refs) - SHOWN:,} more" if len(refs) > SHOWN else ""
    return ", ".join(refs[:SHOWN]) + more


def _report(result: Any) -> None:
    for warning in result.warnings[:SHOWN]:
        err_console.print(f"WARNING: {warning}", style="bold red", markup=False)
    if result.warnings_total > SHOWN:
        err_console.print(
            f"WARNING: {result.warnings_total - SHOWN:,} more key dates were already missed at entry; "
            "`commission due` lists them",
            style="bold red",
            markup=False,
        )
    if result.added:
        console.print(f"Added {len(result.added):,} contract(s): {_names(result.added)}.", markup=False)
    if result.unchanged:
        console.print(f"Already there, unchanged: {_names(result.unchanged)}.", markup=False)


def contracts_add(
    ref: Annotated[str, typer.Option(help="Contract reference, e.g. HF-2026-01.")],
    title: Annotated[str, typer.Option(help="What the contract delivers.")],
    provider: Annotated[str, typer.Option(help="The provider's name.")],
    project: Annotated[str, typer.Option(help="The commissioning project it belongs to.")],
    value: Annotated[str, typer.Option(help="Total value, exact: 2400000 or £2,400,000.00.")],
    start: Annotated[str, typer.Option(help="Start date (ISO, e.g. 2026-04-01).")],
    term: Annotated[str, typer.Option(help="3+1+1 (years: initial term and extension options) or 36 months.")],
    extension_notice: Annotated[str, typer.Option(help="Notice to use an extension option.")] = "3 months",
    break_on: Annotated[str | None, typer.Option(help="A fixed break date (ISO).")] = None,
    break_rolling_from: Annotated[str | None, typer.Option(help="Or: a rolling break from this date.")] = None,
    break_notice: Annotated[
        str, typer.Option(help="Break notice: e.g. 3 months, 30 days, 10 working days.")
    ] = "3 months",
    break_party: Annotated[str, typer.Option(help="Who may break: authority, provider or either.")] = "authority",
    nation: Annotated[
        str, typer.Option(help="Whose bank holidays count: england_and_wales, scotland, northern_ireland.")
    ] = "england_and_wales",
    payment_model: Annotated[str, typer.Option(help="block, payment_by_results or hybrid.")] = "block",
    kpi: Annotated[
        list[str] | None,
        typer.Option(help='A KPI (repeat; at least 3 over £5m): a name, or "name: unit target direction".'),
    ] = None,
    kpi_exemption: Annotated[
        str | None, typer.Option(help="Over £5m with fewer KPIs: framework, concession, light_touch, not_assessable.")
    ] = None,
    kpi_exemption_reason: Annotated[str | None, typer.Option(help="Why the KPI exemption applies.")] = None,
    award_notice_on: Annotated[str | None, typer.Option(help="Date of the contract award notice.")] = None,
    signed_on: Annotated[str | None, typer.Option(help="Date the contract was signed.")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help=AS_OF_HELP)] = None,
    by: Annotated[str | None, typer.Option("--by", help="Who is acting.")] = None,
) -> None:
    """Add one contract; its key dates are derived at once."""
    from flows.contracts.files import Row
    from flows.contracts.importing import add_contracts

    cfg = settings()
    fields = {
        "ref": ref,
        "title": title,
        "provider": provider,
        "project": project,
        "value": value,
        "start": start,
        "term": term,
        "extension_notice": extension_notice,
        "break_on": break_on,
        "break_rolling_from": break_rolling_from,
        "break_notice": break_notice if break_on or break_rolling_from else None,
        "break_party": break_party if break_on or break_rolling_from else None,
        "nation": nation,
        "payment_model": payment_model,
        "kpis": kpi or [],
        "kpi_exemption": kpi_exemption,
        "kpi_exemption_reason": kpi_exemption_reason,
        "award_notice_on": award_notice_on,
        "signed_on": signed_on,
    }
    _report(add_contracts(cfg, [Row("command line", fields)], as_of=write_as_of(as_of, cfg), actor=actor(by, cfg)))


def contracts_import(
    file: Annotated[Path, typer.Argument(help="A .yaml/.yml or .csv file of contracts (see README).")],
    as_of: Annotated[str | None, typer.Option("--as-of", help=AS_OF_HELP)] = None,
    by: Annotated[str | None, typer.Option("--by", help="Who is acting.")] = None,
    report: Annotated[
        Path | None,
        typer.Option(help="Write every problem found (line, field, reason) to this CSV; the screen shows 100."),
    ] = None,
) -> None:
    """Import many contracts at once: all of them, or none with every problem named."""
    from flows.contracts.files import read_rows
    from flows.contracts.importing import add_contracts

    cfg = settings()
    rows = read_rows(file)
    _report(add_contracts(cfg, rows, as_of=write_as_of(as_of, cfg), actor=actor(by, cfg), report=report))


def contracts_show(
    ref: Annotated[str, typer.Argument(help="Contract reference.")],
    charts: Annotated[
        Path | None, typer.Option(help="Write each KPI's trend (readings against target and bands) here, as SVG.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    """A contract's terms, its KPIs with their trend, and the timeline of its key dates."""
    from flows.contracts.detail import contract_detail

    cfg = settings()
    detail = contract_detail(cfg, ref.upper())
    if charts is not None:
        from flows.performance.charts import write_trends

        detail["charts"] = [str(p) for p in write_trends(cfg, detail["ref"], charts)]
    if as_json:
        print_json(detail)
        return
    console.print(f"[bold]{detail['ref']}[/bold]  {detail['title']}")
    console.print(
        f"{detail['provider']} · {Money(Decimal(detail['value']), detail['currency'])} · "
        f"{detail['payment_model']} · {detail['status']} · "
        f"from {detail['start']} to {detail['expiry']} (at most {detail['max_extent']}) · "
        f"{detail['nation'].replace('_', ' ')}",
        markup=False,
    )
    from rich.table import Table

    table = Table(title="Key dates")
    for name in ("Date", "What", "Who", "Action"):
        table.add_column(name, overflow="fold", no_wrap=name == "Date")
    for k in detail["key_dates"]:
        table.add_row(k["due_on"], k["kind"].replace("_", " "), k["who"], k["action"])
    console.print(table)
    from flows.cli.performance import print_kpis

    print_kpis(detail)
    history = Table(title="History")
    for name in ("When", "Who", "What", "Detail"):
        history.add_column(name, overflow="fold", no_wrap=name == "When")
    from flows.cli.event_words import event_said  # not at import: `due` loads only what it reads with

    for e in detail["history"]:
        said = event_said(e, cfg)
        if said is None:
            changed = changes_said(e["before"], e["after"]) if e["before"] else []  # not every term of a new contract
            said = "; ".join([*changed, *([e["reason"]] if e["reason"] else [])])
        history.add_row(when_entered(e["at"], e["recorded_at"], cfg), e["actor"], e["action"], said)
    console.print(history)


_WITHIN_RE = re.compile(r"^\s*([0-9]+)\s*([dwm]?)\s*$")


def _days(text: str) -> int:
    match = _WITHIN_RE.match(text)
    if not match:
        raise UserError(f"--within: {text!r} is not a period; write e.g. 90d, 12w or 6m")
    n, unit = int(match[1]), match[2] or "d"
    days = n * {"d": 1, "w": 7, "m": 31}[unit]
    if days > MAX_WITHIN_DAYS:
        raise UserError(f"--within: {text.strip()} is too far ahead; at most 10 years (e.g. 3650d, 520w or 120m)")
    return days


MAX_WITHIN_DAYS = 120 * 31  # ten years, however written


PLAIN_ABOVE = 200  # rows; a rich table of a whole portfolio's 50,000 key dates takes tens of seconds


def _print_plain(rows: "list[DueRow]", within: str) -> None:
    """Aligned plain lines: fast for a portfolio-sized listing, and easy to grep."""
    import sys

    lines = [
        f"Due within {within}: {len(rows):,} key dates, soonest first",
        "",
        f"{'Date':<10}  {'Days':>11}  {'Contract':<16}  {'What':<24}  {'Who':<18}  Action",
    ]
    for ref, _title, _provider, missed, days_left, _key, kind, due_on, action, who, _guards, handled in rows:
        days = f"MISSED {-days_left}d" if missed else "HANDLED" if handled else f"{days_left}d"
        lines.append(f"{due_on:<10}  {days:>11}  {ref:<16}  {kind.replace('_', ' '):<24}  {who:<18}  {action}")
    sys.stdout.write("\n".join(lines) + "\n")


def _print_json_rows(rows: "list[DueRow]") -> None:
    """``print_json`` of the rows as dicts, byte for byte, without making 50,000 dicts to encode: a long list
    is compact JSON, written here a row at a time with the encoder's own string escaping."""
    import sys
    from json.encoder import encode_basestring_ascii as s  # what json.dumps uses for every str (ensure_ascii)

    from flows.cli.common import COMPACT_ABOVE
    from flows.contracts.due import FIELDS

    if len(rows) <= COMPACT_ABOVE:
        print_json([dict(zip(FIELDS, row, strict=True)) for row in rows])
        return
    out = []
    for ref, title, provider, missed, days_left, key, kind, due_on, action, who, guards, handled in rows:
        out.append(
            f'{{"contract": {s(ref)}, "title": {s(title)}, "provider": {s(provider)}, '
            f'"missed": {"true" if missed else "false"}, "days_left": {days_left}, "key": {s(key)}, '
            f'"kind": {s(kind)}, "due_on": {s(due_on)}, "action": {s(action)}, "who": {s(who)}, '
            f'"guards": {"null" if guards is None else s(guards)}, '
            f'"handled": {"null" if handled is None else s(handled)}}}'
        )
    sys.stdout.write("[" + ", ".join(out) + "]\n")


def due_command(
    within: Annotated[str, typer.Option(help="How far ahead: e.g. 90d, 12w, 6m.")] = "90d",
    as_of: Annotated[str | None, typer.Option("--as-of", help=AS_OF_HELP)] = None,
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    """Every upcoming key date across the portfolio, soonest first; missed deadlines are flagged."""
    from flows.contracts.due import due_table

    cfg = settings()
    rows = due_table(cfg, as_of=as_of_instant(as_of, cfg), within_days=_days(within))
    if as_json:
        _print_json_rows(rows)
        return
    if not rows:
        console.print(f"Nothing due within {within}.")
        return
    if len(rows) > PLAIN_ABOVE:
        _print_plain(rows, within)
        return
    from rich.table import Table

    table = Table(title=f"Due within {within}")
    for name in ("Date", "Days", "Contract"):
        table.add_column(name, no_wrap=True)
    table.add_column("What", overflow="fold", ratio=1)
    table.add_column("Who", overflow="fold", ratio=1)
    table.add_column("Action", overflow="fold", ratio=3)
    for ref, _title, _provider, missed, days_left, _key, kind, due_on, action, who, _guards, handled in rows:
        days = (
            f"[bold red]MISSED {-days_left}d[/bold red]"
            if missed
            else f"[green]HANDLED[/green] {handled.replace('-', ' ')}"
            if handled
            else f"{days_left}d"
        )
        table.add_row(due_on, days, ref, kind.replace("_", " "), who, action)
    console.print(table)


def calendar_export(
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write here (default: standard output).")
    ] = None,
    within: Annotated[str, typer.Option(help="How far ahead: e.g. 365d, 52w, 24m.")] = "730d",
    as_of: Annotated[str | None, typer.Option("--as-of", help=AS_OF_HELP)] = None,
) -> None:
    """Export key dates as an iCalendar (.ics) feed with alarms, for Outlook or Google Calendar."""
    import sys

    from flows.contracts.calendar_feed import build_feed

    cfg = settings()
    feed, count = build_feed(cfg, as_of=as_of_instant(as_of, cfg), days_ahead=_days(within))
    if output is None:
        sys.stdout.buffer.write(feed)
        return
    from flows.common.files import write_whole

    write_whole(output, feed)  # whole or not at all
    console.print(f"Wrote {count} key date(s) to {output}.", markup=False)


def decide_command(
    ref: Annotated[str, typer.Argument(help="Contract reference.")],
    action: Annotated[str, typer.Argument(help="continue | vary | extend | break | recommission | decommission")],
    reason: Annotated[str, typer.Option(help="Why: the review's conclusion, for the record.")],
    value: Annotated[str | None, typer.Option(help="vary: the new total value.")] = None,
    end: Annotated[str | None, typer.Option(help="vary: the new end of the current term (ISO date).")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help=AS_OF_HELP)] = None,
    by: Annotated[str | None, typer.Option("--by", help="Who is acting.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    """Record a review decision on a contract; extend, break and vary recompute its key dates.

    recommission and decommission are recorded on the project (in Review) and its Review flow then moves it on.
    """
    from flows.cli.common import iso_date_option
    from flows.contracts.review import record_review_decision

    cfg = settings()
    instant = write_as_of(as_of, cfg)
    who = actor(by, cfg)
    end_date = iso_date_option("--end", end, None) if end else None  # type: ignore[arg-type]
    result = record_review_decision(
        cfg, ref=ref.upper(), action=action, reason=reason, as_of=instant, actor=who, value=value, end=end_date
    )
    if as_json:
        print_json(result)
        return
    if result.get("warning"):
        err_console.print(f"WARNING: {result['warning']}", style="bold red", markup=False)
    console.print(
        f"{result['contract']}: {result['decision']} recorded; status {said(result['status'])}, "
        f"ends {result['expiry']}; project {result['project']} is in {result['project_stage']}.",
        markup=False,
    )
    changes = result.get("changes") or {}
    for line in changes_said({k: c["before"] for k, c in changes.items()}, {k: c["after"] for k, c in changes.items()}):
        console.print(f"  {line}", markup=False)


def contracts_list(
    status: Annotated[str | None, typer.Option(help="Only contracts in this status today (e.g. active).")] = None,
    provider: Annotated[str | None, typer.Option(help="Only providers whose name contains this.")] = None,
    owner: Annotated[str | None, typer.Option(help="Only projects whose owner's name contains this.")] = None,
    ending_within: Annotated[
        int | None, typer.Option("--ending-within", help="Only contracts whose last day is within N days.")
    ] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help=AS_OF_HELP)] = None,
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
    export: Annotated[Path | None, typer.Option("--export", help="Also write the list to a .csv or .xlsx.")] = None,
) -> None:
    """Every contract by reference, with its status today, owner, last day and next decision."""
    from flows.cli.lists import SHOWN, checked_export, show
    from flows.contracts.listing import contracts_list as listing

    checked_export(export)
    cfg = settings()
    found = listing(
        cfg,
        status=status,
        provider=provider,
        owner=owner,
        ending_within=ending_within,
        as_of=as_of_instant(as_of, cfg),
        page=SHOWN,
    )
    show(found, as_json=as_json, export=export, empty="No contracts match.")
