"""Per-contract payment-run schedules: read from ``payment-runs.toml`` in the data directory, turned into
Prefect deployment schedules by ``commission deploy``, and the run each one starts.

The file names each contract and when its runs fall (policies/pbr/run_days.py)::

    [payment_runs]
    "FCF-2025-01" = "quarterly, working day 5"

``commission deploy`` then registers ``scheduled-payment-run/payment-run-FCF-2025-01`` with the next
``PLANNED`` run days at 09:00 on the contract's own bank-holiday calendar; run ``commission deploy`` again
within two years (or after changing the file) to plan further. On its day the run proposes paying the period
that ended before it, as ``commission pay`` does: a second finance user approves it.
"""

import datetime as dt
import tomllib
from typing import Any
from zoneinfo import ZoneInfo

from flows.common.calendars import working_day_calendar
from flows.common.errors import UserError
from flows.common.runtime import database
from flows.common.settings import Settings
from flows.pbr.contract import pbr_contract
from models.db import unit_of_work
from policies.pbr.run_days import RunDay, RunSchedule, parse_run_schedule, period_to_pay, run_days

FILE = "payment-runs.toml"
PLANNED = 8  # run days put in each deployment's schedule: two years of quarters
RUN_TIME = dt.time(9, 0)
ACTOR = "payment-run schedule"


def read_run_schedules(settings: Settings) -> dict[str, RunSchedule]:
    """Each contract's schedule from the data dir's payment-runs.toml (none if there is no file)."""
    path = settings.data_dir / FILE
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: cannot be read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{path}: is not valid TOML: {exc}") from None
    table = document.get("payment_runs")
    if not isinstance(table, dict) or set(document) != {"payment_runs"}:
        raise UserError(f'{path}: needs one table, [payment_runs], of contract = "quarterly, working day 5"')
    schedules, problems = {}, []
    for ref, text in table.items():
        schedule, problem = parse_run_schedule(text if isinstance(text, str) else repr(text))
        if schedule is None:
            problems.append(f"{ref}: {problem}")
        else:
            schedules[ref] = schedule
    if problems:
        raise UserError(f"{path}: " + "; ".join(problems))
    return schedules


def planned_runs(settings: Settings, ref: str, schedule: RunSchedule, *, after: dt.date) -> list[RunDay]:
    """The contract's next run days, on its nation's bank holidays; an unknown contract is refused."""
    with unit_of_work(database(settings)) as session:
        contract = pbr_contract(session, ref)
        nation = contract.nation_enum
    return run_days(after, PLANNED, schedule, working_day_calendar(nation))


def rrule_of(days: list[RunDay]) -> str:
    """The run days as an RFC 5545 rule of dates, each at RUN_TIME (local time; the zone goes beside it)."""
    stamps = [dt.datetime.combine(r.day, RUN_TIME).strftime("%Y%m%dT%H%M%S") for r in days]
    return f"DTSTART:{stamps[0]}\nRDATE:{','.join(stamps)}"


def scheduled_payment_run(settings: Settings, contract: str, *, now: dt.datetime) -> dict[str, Any]:
    """On a run day: propose paying the period that ended before today (today in the organisation's zone)."""
    from flows.pbr.payment_runs import propose_payment_run

    schedule = read_run_schedules(settings).get(contract)
    if schedule is None:
        raise UserError(f"{contract} has no payment-run schedule in {settings.data_dir / FILE}")
    today = now.astimezone(ZoneInfo(settings.timezone)).date()
    period = period_to_pay(today, schedule.frequency)
    return propose_payment_run(settings, contract, period.label, as_of=now, actor=ACTOR)
