"""commission sweep / deliver, and commission reminders list / show / ack / snooze."""

import contextlib
import sys
from typing import Annotated, Any

import typer

from flows.cli.common import (
    AS_OF_HELP,
    JSON_HELP,
    NO_WAIT_HELP,
    actor,
    as_of_instant,
    console,
    int64,
    iso_date_option,
    local,
    print_json,
    settings,
    write_as_of,
)
from flows.common.errors import UserError
from flows.common.settings import Settings


def register(app: typer.Typer) -> None:
    app.command("sweep")(sweep_command)
    app.command("deliver")(deliver_command)
    reminders = typer.Typer(help="The reminder outbox: list, show, acknowledge, snooze.", no_args_is_help=True)
    reminders.command("list")(reminders_list)
    reminders.command("show")(reminders_show)
    reminders.command("ack")(reminders_ack)
    reminders.command("snooze")(reminders_snooze)
    app.add_typer(reminders, name="reminders")


def run_reminder_flow(cfg: Settings, *, as_json: bool, **kwargs: Any) -> dict[str, Any]:
    from flows.cli.pbr import said_submitted
    from flows.reminders.run import run_reminder_flow as run

    if not as_json:
        result = run(cfg, **kwargs)
    else:
        with contextlib.redirect_stdout(sys.stderr):  # console reminders must not break the JSON on stdout
            result = run(cfg, **kwargs)
    return said_submitted(result, as_json=as_json)


def summarise(result: dict[str, Any]) -> None:
    from flows.reminders.run import planned_line, sweep_sentence

    sweep = result.get("sweep")
    if sweep is not None:
        console.print(sweep_sentence(sweep), markup=False)
        for p in sweep.get("would_plan", [])[:50]:
            console.print(f"  {planned_line(p)}", markup=False)
    delivery = result.get("delivery")
    if delivery is not None:
        console.print(
            f"Delivery: {delivery['messages']} message(s); {delivery['sent']} reminder(s) sent "
            f"({delivery['late']} late), {delivery['retrying']} to retry, {delivery['failed']} failed.",
            markup=False,
        )
        for a in delivery["attempts"]:
            if not a["ok"]:
                console.print(f"  ✗ {a['tag']} -> {a['target']}: {a['error'] or 'failed'}", markup=False)


def sweep_command(
    as_of: Annotated[
        str | None, typer.Option("--as-of", help=AS_OF_HELP + " Not in the future, unless --dry-run.")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would be planned; write and send nothing.")
    ] = False,
    send: Annotated[bool, typer.Option("--send/--no-send", help="Deliver what is ready after planning.")] = True,
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
    no_wait: Annotated[bool, typer.Option("--no-wait", help=NO_WAIT_HELP)] = False,
) -> None:
    """Plan the reminders due by the end of the day into the outbox, then deliver what is ready (a Prefect flow)."""
    cfg = settings()
    instant = as_of_instant(as_of, cfg) if dry_run else write_as_of(as_of, cfg)  # sending early is refused
    result = run_reminder_flow(cfg, as_json=as_json, wait=not no_wait, as_of=instant, dry_run=dry_run, send=send)
    print_json(result) if as_json else summarise(result)


def deliver_command(
    as_of: Annotated[str | None, typer.Option("--as-of", help=AS_OF_HELP + " Not in the future.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
    no_wait: Annotated[bool, typer.Option("--no-wait", help=NO_WAIT_HELP)] = False,
) -> None:
    """Deliver the reminders that are ready, retries included, without planning new ones (a Prefect flow)."""
    cfg = settings()
    instant = write_as_of(as_of, cfg)
    result = run_reminder_flow(cfg, as_json=as_json, wait=not no_wait, as_of=instant, plan=False)
    print_json(result) if as_json else summarise(result)


STATUS_HELP = "Only reminders in this status: pending, sent, failed, acked or cancelled."


def reminders_list(
    status: Annotated[str | None, typer.Option(help=STATUS_HELP)] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many, soonest send time first.")] = 1000,
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    """The reminders in the outbox, by send time."""
    from flows.reminders.outbox import list_reminders

    cfg = settings()
    rows = list_reminders(cfg, status=status, limit=limit)
    if as_json:
        print_json(rows)
        return
    if not rows:
        console.print("No reminders" + (f" are {status}." if status else " yet; run `commission sweep`."))
        return
    from rich.table import Table

    table = Table(title=f"Reminders{f' ({status})' if status else ''}")
    for name in ("#", "Send at", "Contract", "Key date", "Due", "Lead", "To", "Status", "Tries"):
        table.add_column(name, no_wrap=True)
    table.add_column("Note", overflow="fold", ratio=1)
    for r in rows:
        note = r["reason"] or ""
        if r["late"]:
            note = ("LATE " + note).strip()
        if r["snoozed_until"]:
            note = f"snoozed until {r['snoozed_until']} {note}".strip()
        table.add_row(
            str(r["id"]),
            local(r["send_at"], cfg),
            r["contract"],
            r["kind"].replace("_", " "),
            r["due_on"],
            r["lead"],
            r["tag"] + (" (esc.)" if r["escalation"] else ""),
            r["status"],
            str(r["attempts"]),
            note,
        )
    console.print(table)


def reminders_show(
    reminder_id: Annotated[int, typer.Argument(help="Reminder number.")],
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    """One reminder and every delivery attempt: when, which target, and the result."""
    from flows.reminders.outbox import attempts_of, list_reminders

    cfg = settings()
    found = list_reminders(cfg, reminder_id=int64("reminder number", reminder_id))
    if not found:
        raise UserError(f"there is no reminder #{reminder_id}; see `commission reminders list`")
    detail = {**found[0], "attempts_log": attempts_of(cfg, reminder_id)}
    if as_json:
        print_json(detail)
        return
    for key, value in detail.items():
        if key != "attempts_log" and value not in (None, ""):
            console.print(f"{key:>14}: {value}", markup=False)
    for a in detail["attempts_log"]:
        mark = "ok" if a["ok"] else f"FAILED: {a['error'] or ''}"
        console.print(f"  {a['attempted_at'][:19]}  {a['target']}  {mark}", markup=False)


def reminders_ack(
    reminder_id: Annotated[int, typer.Argument(help="Reminder number (from the message, or reminders list).")],
    as_of: Annotated[str | None, typer.Option("--as-of", help=AS_OF_HELP)] = None,
    by: Annotated[str | None, typer.Option("--by", help="Who is acknowledging.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    """Acknowledge: stop the rest of this key date's ladder for this recipient, and its escalation."""
    from flows.reminders.outbox import acknowledge

    cfg = settings()
    result = acknowledge(
        cfg, int64("reminder number", reminder_id), as_of=write_as_of(as_of, cfg), actor=actor(by, cfg)
    )
    if as_json:
        print_json(result)
        return
    if not result["changed"]:
        console.print(f"Reminder #{reminder_id} was already acknowledged by {result['acked_by']}.", markup=False)
        return
    console.print(
        f"Acknowledged reminder #{reminder_id}: {result['contract']} {result['kind'].replace('_', ' ')} "
        f"on {result['due_on']} for {result['tag']}; {result['steps_stopped']} later step(s) stopped.",
        markup=False,
    )


def reminders_snooze(
    reminder_id: Annotated[int, typer.Argument(help="Reminder number.")],
    until: Annotated[str, typer.Option("--until", help="ISO date to be reminded again (by the key date).")],
    as_of: Annotated[str | None, typer.Option("--as-of", help=AS_OF_HELP)] = None,
    by: Annotated[str | None, typer.Option("--by", help="Who is snoozing.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    """Snooze: send this reminder again on --until; earlier steps of its ladder wait, except the last."""
    from flows.reminders.outbox import snooze

    int64("reminder number", reminder_id)
    cfg = settings()
    instant = write_as_of(as_of, cfg)
    day = iso_date_option("--until", until, instant.date())
    result = snooze(cfg, reminder_id, until=day, as_of=instant, actor=actor(by, cfg))
    if as_json:
        print_json(result)
        return
    console.print(
        f"Snoozed reminder #{reminder_id} until {local(result['send_at'], cfg)} ({cfg.timezone}).", markup=False
    )
