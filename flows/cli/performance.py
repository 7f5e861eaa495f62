"""commission kpis set / import / correct, commission performance (portfolio, override, breach, chart), and
commission notices prepare / publish."""

from pathlib import Path
from typing import Annotated, Any

import typer

from flows.cli.common import (
    AS_OF_HELP,
    JSON_HELP,
    NO_WAIT_HELP,
    actor,
    as_of_instant,
    console,
    err_console,
    iso_date_option,
    print_json,
    settings,
    write_as_of,
)
from flows.common.errors import UserError

AS_OF = Annotated[str | None, typer.Option("--as-of", help=AS_OF_HELP)]
BY = Annotated[str | None, typer.Option("--by", help="Who is acting.")]
AS_JSON = Annotated[bool, typer.Option("--json", help=JSON_HELP)]
REF = Annotated[str, typer.Argument(help="Contract reference.")]
KPI = Annotated[str, typer.Option(help="The KPI's name.")]


def register(app: typer.Typer) -> None:
    kpis = typer.Typer(help="KPIs: definitions, readings and corrections.", no_args_is_help=True)
    kpis.command("set")(kpis_set)
    kpis.command("import")(kpis_import)
    kpis.command("correct")(kpis_correct)
    app.add_typer(kpis, name="kpis")
    performance = typer.Typer(
        help="Contract performance: the portfolio's latest ratings, worst first; overrides, breaches and charts.",
        invoke_without_command=True,
    )
    performance.callback()(performance_portfolio)
    performance.command("override")(performance_override)
    performance.command("breach")(performance_breach)
    performance.command("chart")(performance_chart)
    app.add_typer(performance, name="performance")
    notices = typer.Typer(help="Contract performance (UK9) and breach notices.", no_args_is_help=True)
    notices.command("prepare")(notices_prepare)
    notices.command("publish")(notices_publish)
    app.add_typer(notices, name="notices")


def kpis_set(
    ref: REF,
    reason: Annotated[str, typer.Option(help="Why the KPIs change: a variation of the contract.")],
    file: Annotated[Path | None, typer.Option("--file", help="A YAML, CSV or XLSX file of KPI definitions.")] = None,
    kpi: Annotated[
        list[str] | None, typer.Option(help='A KPI as "name: unit target direction [frequency] [bands A/R]" (repeat).')
    ] = None,
    exemption: Annotated[
        str | None, typer.Option(help="framework, concession, light_touch or not_assessable (contracts over £5m).")
    ] = None,
    exemption_reason: Annotated[str | None, typer.Option(help="Why the exemption applies.")] = None,
    as_of: AS_OF = None,
    by: BY = None,
    as_json: AS_JSON = False,
) -> None:
    """Set a contract's KPIs (all of them): a variation, with its reason and the KPIs before and after."""
    from flows.performance.definitions import read_kpi_file, set_kpis

    cfg = settings()
    items: list[tuple[str, Any]] = [("--kpi", k) for k in kpi or []]
    extra: dict[str, str] = {}
    if file is not None:
        from_file, extra = read_kpi_file(file)
        items += from_file
    if not items:
        raise UserError("give the KPIs: --file FILE or --kpi (repeat)")
    result = set_kpis(
        cfg,
        ref=ref.upper(),
        items=items,
        exemption=exemption or extra.get("kpi_exemption"),
        exemption_reason=exemption_reason or extra.get("kpi_exemption_reason"),
        reason=reason,
        as_of=write_as_of(as_of, cfg),
        actor=actor(by, cfg),
    )
    if as_json:
        print_json(result)
        return
    if not result["changed"]:
        console.print(f"{result['contract']}: the KPIs are already these; nothing changed.", markup=False)
        return
    names = ", ".join(k["name"] for k in result["kpis"])
    console.print(f"{result['contract']}: KPIs set ({names}); recorded as a variation.", markup=False)
    if result.get("rerated"):
        console.print(f"  {result['rerated']} reading(s) rated again against the new definitions.", markup=False)


def kpis_import(
    file: Annotated[Path, typer.Argument(help="A CSV or XLSX of readings: contract, kpi, period, value.")],
    as_of: AS_OF = None,
    by: BY = None,
    as_json: AS_JSON = False,
    no_wait: Annotated[bool, typer.Option("--no-wait", help=NO_WAIT_HELP)] = False,
) -> None:
    """Import KPI readings, each rated as it is stored: all of them, or none with every bad row named.

    With COMMISSIONING_RUN_MODE=deployments a worker does it (the import-kpi-readings deployment)."""
    from flows.common.deployment_runs import DEPLOYMENTS, run_mode

    cfg = settings()
    when, who = write_as_of(as_of, cfg), actor(by, cfg)
    if run_mode() == DEPLOYMENTS:
        from flows.cli.deployed import submitted
        from flows.cli.pbr import readable

        readable(file)  # a missing file is refused here, before a run is submitted
        parameters = {"path": str(file.resolve()), "as_of": when.isoformat(), "actor": who}
        result = submitted(
            cfg, "import-kpi-readings/import-kpi-readings", parameters, as_json=as_json, wait=not no_wait
        )
    else:
        from flows.performance.readings_import import import_readings

        result = import_readings(cfg, file, as_of=when, actor=who).__dict__
    if as_json:
        print_json(result)
        return
    console.print(
        f"Imported {result['added']:,} reading(s) for {result['contracts']:,} contract(s); "
        f"{result['unchanged']:,} already there, unchanged.",
        markup=False,
    )
    from policies.performance.ratings import Rating

    for rating in Rating:
        if result["ratings"].get(rating.value):
            console.print(f"  {rating.label}: {result['ratings'][rating.value]:,}", markup=False)


def kpis_correct(
    ref: REF,
    kpi: KPI,
    period: Annotated[str, typer.Option(help="The reading's period: 2026-Q2 or 2026-04.")],
    value: Annotated[str, typer.Option(help="The right value.")],
    reason: Annotated[str, typer.Option(help="Why it is corrected.")],
    as_of: AS_OF = None,
    by: BY = None,
    as_json: AS_JSON = False,
) -> None:
    """Correct a reading: an event with the before and after; the reading is rated again."""
    from flows.performance.corrections import correct_reading

    result = _change_reading(correct_reading, ref, kpi, period, reason, as_of, by, as_json, value=value)
    if result is None:
        return
    if not result["changed"]:
        console.print(f"{result['contract']} {result['kpi']} {result['period']} already reads {result['value']}.")
        return
    b, a = result["before"], result["after"]
    console.print(
        f"{result['contract']} {result['kpi']} {result['period']}: {b['value']} ({_label(b['rating'])}) -> "
        f"{a['value']} ({_label(a['rating'])}).",
        markup=False,
    )


def _change_reading(
    change: Any,
    ref: str,
    kpi: str,
    period: str,
    reason: str,
    as_of: str | None,
    by: str | None,
    as_json: bool,
    **what: str,
) -> dict[str, Any] | None:
    """One reading changed by a flow (corrected or overridden); None once the JSON is printed."""
    cfg = settings()
    result: dict[str, Any] = change(
        cfg, ref=ref.upper(), kpi=kpi, period=period, reason=reason,
        as_of=write_as_of(as_of, cfg), actor=actor(by, cfg), **what,
    )  # fmt: skip
    if as_json:
        print_json(result)
        return None
    return result


def _label(rating: str | None) -> str:
    from policies.performance.ratings import Rating

    return Rating(rating).label if rating else "none"


def performance_portfolio(
    ctx: typer.Context,
    export: Annotated[Path | None, typer.Option(help="Also write the list to a .csv or .xlsx file.")] = None,
    as_of: AS_OF = None,
    as_json: AS_JSON = False,
) -> None:
    """Every contract with KPIs and its latest ratings, worst first; UK9 notices overdue are flagged."""
    if ctx.invoked_subcommand is not None:
        return
    from flows.performance.portfolio import export as write_export
    from flows.performance.portfolio import portfolio

    cfg = settings()
    entries = portfolio(cfg, as_of=as_of_instant(as_of, cfg))
    if export is not None:
        write_export(entries, export)
    if as_json:
        print_json(entries)
        return
    if not entries:
        console.print("No contract has KPIs yet; set them with `commission kpis set REF`.")
        return
    from rich.table import Table

    table = Table(title="Contract performance, worst first")
    for name in ("Contract", "Provider", "KPI", "Period", "Reading", "Rating", "UK9 due"):
        table.add_column(name, overflow="fold")
    for e in entries:
        due = ("OVERDUE " if e["uk9_overdue"] else "") + (e["uk9_next_due"] or "none (covered to its end)")
        for i, r in enumerate(e["ratings"] or [None]):
            head = (e["contract"], e["provider"]) if i == 0 else ("", "")
            cells = (r["kpi"], r["period"], r["value"], r["rating_label"]) if r else ("(no readings)", "", "", "")
            table.add_row(*head, *cells, due if i == 0 else "")
    console.print(table)
    if export is not None:
        console.print(f"Wrote {export}.", markup=False)


def performance_override(
    ref: REF,
    kpi: KPI,
    period: Annotated[str, typer.Option(help="The reading's period.")],
    rating: Annotated[
        str,
        typer.Option(
            help="Good, Approaching target, Requires improvement, Inadequate, Other; "
            "or computed, to withdraw an override."
        ),
    ],
    reason: Annotated[str, typer.Option(help="The commissioner's reason, for the record.")],
    as_of: AS_OF = None,
    by: BY = None,
    as_json: AS_JSON = False,
) -> None:
    """Rate a reading in place of the computed rating (or rate it Other), with a reason; an event."""
    from flows.performance.corrections import override_rating

    result = _change_reading(override_rating, ref, kpi, period, reason, as_of, by, as_json, rating=rating)
    if result is None:
        return
    after = result["after"]
    shown = (
        _label(after["override"]) + f" (computed: {_label(after['rating'])})"
        if after["override"]
        else _label(after["rating"])
    )
    console.print(f"{result['contract']} {result['kpi']} {result['period']}: rated {shown}.", markup=False)


def performance_breach(
    ref: REF,
    on: Annotated[str, typer.Option(help="When the breach happened (ISO date).")],
    reason: Annotated[str, typer.Option(help="What happened: for the record and the notice.")],
    kind: Annotated[
        str, typer.Option(help="breach (leading to termination or damages) or poor_performance.")
    ] = "breach",
    as_of: AS_OF = None,
    by: BY = None,
    as_json: AS_JSON = False,
) -> None:
    """Record a breach or poor performance not put right: its notice is due 30 days on (a key date)."""
    from flows.performance.notices import record_breach

    cfg = settings()
    day = iso_date_option("--on", on, None)  # type: ignore[arg-type]
    result = record_breach(
        cfg, ref=ref.upper(), on=day, kind=kind.strip().lower(), reason=reason,
        as_of=write_as_of(as_of, cfg), actor=actor(by, cfg),
    )  # fmt: skip
    if as_json:
        print_json(result)
        return
    console.print(
        f"{result['contract']}: {result['kind'].replace('_', ' ')} #{result['breach']} on {result['on']} recorded; "
        f"its notice is due by {result['notice_due']} "
        f"(`commission notices publish {result['contract']} --breach {result['breach']} --on DATE --reference ID`).",
        markup=False,
    )


def performance_chart(
    ref: REF,
    output: Annotated[Path, typer.Option("-o", "--output", help="A folder: one .svg per KPI is written there.")],
    png: Annotated[bool, typer.Option(help="PNG instead of SVG.")] = False,
) -> None:
    """Each KPI's trend: its readings against the target, over its bands."""
    from flows.performance.charts import write_trends

    for path in write_trends(settings(), ref.upper(), output, "png" if png else "svg"):
        console.print(f"Wrote {path}.", markup=False)


def notices_prepare(
    ref: REF,
    period: Annotated[str, typer.Option(help="The period assessed: 2025-04-01..2026-03-31, 2026, 2026-Q2 or 2026-04.")],
    as_of: AS_OF = None,
    by: BY = None,
    as_json: AS_JSON = False,
) -> None:
    """Assemble a contract performance notice (UK9): supplier, KPIs, ratings and period."""
    from flows.performance.notices import overall, prepare_uk9

    cfg = settings()
    content = prepare_uk9(cfg, ref=ref.upper(), period=period, as_of=write_as_of(as_of, cfg), actor=actor(by, cfg))
    if as_json:
        print_json(content)
        return
    p = content["period"]
    console.print(
        f"UK9 contract performance notice, prepared: {content['contract']} {content['title']}; supplier "
        f"{content['supplier']}; period {p['start']} to {p['end']}",
        markup=False,
    )
    for line in overall(content):
        console.print(f"  {line}", markup=False)
    if content["missing"]:
        err_console.print(f"WARNING: no reading in the period for {', '.join(content['missing'])}", markup=False)
    console.print(f"Publish it on Find a Tender, then `commission notices publish {content['contract']} "
                  f"--period {p['label']} --on DATE --reference ID`.", markup=False)  # fmt: skip


def notices_publish(
    ref: REF,
    on: Annotated[str, typer.Option(help="The day it was published (ISO date).")],
    reference: Annotated[str, typer.Option(help="The Find a Tender notice id.")],
    period: Annotated[str | None, typer.Option(help="Which UK9 notice (its period), if several are prepared.")] = None,
    breach: Annotated[int | None, typer.Option(help="Which breach notice (its number).")] = None,
    as_of: AS_OF = None,
    by: BY = None,
    as_json: AS_JSON = False,
) -> None:
    """Record that a prepared notice was published: it satisfies its key date, its reminders stop."""
    from flows.performance.notices import publish_notice

    cfg = settings()
    day = iso_date_option("--on", on, None)  # type: ignore[arg-type]
    result = publish_notice(
        cfg, ref=ref.upper(), on=day, reference=reference, period=period, breach=breach,
        as_of=write_as_of(as_of, cfg), actor=actor(by, cfg),
    )  # fmt: skip
    if as_json:
        print_json(result)
        return
    what = f"UK9 notice for {result['period']}" if result["notice"] == "uk9" else f"breach notice #{result['seq']}"
    satisfied = f"; it satisfies {result['satisfies']}" if result["satisfies"] else ""
    console.print(
        f"{result['contract']}: {what} published on {result['published_on']} as {result['reference']}{satisfied}"
        f" ({result['reminders_stopped']} reminder(s) stopped).",
        markup=False,
    )


def print_kpis(detail: dict[str, Any]) -> None:
    """Each KPI: its target, its readings oldest first (the trend), and the latest rating."""
    from rich.table import Table

    kpis = detail["performance"]["kpis"]
    if not kpis:
        return
    table = Table(title="KPIs")
    for name in ("KPI", "Target", "Readings (trend)", "Latest rating"):
        table.add_column(name, overflow="fold")
    for k in kpis:
        better = "higher" if k["direction"] == "higher" else "lower"
        trend = " → ".join(f"{r['value']}" for r in k["readings"][-8:]) or "no readings yet"
        latest = k["latest"]["rating_label"] + f" ({k['latest']['period']})" if k["latest"] else ""
        table.add_row(k["name"], f"{k['target']} {k['unit']}, {better} is better", trend, latest)
    console.print(table)
    for path in detail.get("charts", []):
        console.print(f"Chart: {path}", markup=False)
