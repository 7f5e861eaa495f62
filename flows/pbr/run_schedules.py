"""Per-contract payment-run schedules: read from ``payment-runs.toml`` in the data directory, and the daily
check that proposes each contract's run on its day.

The file names each contract and when its runs fall (policies/pbr/run_days.py)::

    [payment_runs]
    "FCF-2025-01" = "quarterly, working day 5"

``commission deploy`` registers one deployment, ``scheduled-payment-runs``, on a daily cron at 09:00 London
time. Each day its run reads the file afresh and, for every contract whose run day (on its own nation's bank
holidays) is that day, proposes paying the period that ended before it, as ``commission pay`` does: a second
finance user approves it. Nothing is planned ahead, so nothing runs out; a change to the file counts from the
next day, with no re-deploy. A second run the same day proposes nothing new: a contract whose period is paid,
or has a pending proposal, is skipped and said so. A contract the file names but the database does not know,
or whose run is refused, is reported (and the run ends Failed), after the others are proposed.

Example: on Thursday 9 April 2026, FCF-2025-01 above is proposed for 2026-Q1; on every other day of April it
is "not due".

Each day's check is recorded in the audit log (entity ``payment_run_schedule``, the day as its reference, what
it proposed and what it could not). A run day with no such record was missed (the Prefect server or every worker
down that day): the next daily run within seven days (``policies.pbr.run_days.CATCH_UP_DAYS``) proposes its
period, if nothing was proposed for it since that day and it is not paid. Down from Thursday 9 April until
Monday 13th, the 13th proposes 2026-Q1 and says its run day was missed; later than the 16th, `commission pay`
does it. A day that was checked is never done again by the schedule: a refusal it reported waits for a person.
"""

import datetime as dt
import tomllib
from typing import Any
from zoneinfo import ZoneInfo

from flows.common.calendars import working_day_calendar
from flows.common.errors import UserError
from flows.common.runtime import database
from flows.common.settings import Settings
from flows.pbr.contract import contract_id, pbr_contract
from models.approvals import pending_proposal, proposed_since
from models.db import reading, unit_of_work
from models.events import append_event, first_event_at
from models.pbr.ledger import run_for
from policies.calendars import DaysUnknown
from policies.dates import local_date, parse_iso_date
from policies.pbr.run_days import (
    RunDay,
    RunSchedule,
    parse_run_schedule,
    periods_paid_on,
    run_days,
    run_days_missed,
)

FILE = "payment-runs.toml"
ACTOR = "payment-run schedule"
CHECKED = "payment_run_schedule"  # the audit log's entity for a day's check, its reference the day


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


def planned_runs(settings: Settings, ref: str, schedule: RunSchedule, *, after: dt.date, count: int) -> list[RunDay]:
    """The contract's next ``count`` run days, on its nation's bank holidays; an unknown contract is refused."""
    with unit_of_work(database(settings)) as session:
        nation = pbr_contract(session, ref).nation_enum
    return run_days(after, count, schedule, working_day_calendar(nation))


def scheduled_payment_runs(settings: Settings, *, day: dt.date, now: dt.datetime) -> dict[str, Any]:
    """Propose every contract's payment run whose run day is ``day`` (a day in the organisation's zone).

    ``now`` is the instant proposed at (the real clock: a period must have ended before it). The result lists
    what was proposed, what was skipped and why, and the problems (unknown contracts, refused runs)."""
    from flows.pbr.payment_runs import propose_payment_run

    if day > local_date(now, settings.timezone):
        raise UserError(f"the scheduled payment runs of {day} cannot run before that day; today is "
                        f"{local_date(now, settings.timezone)}")  # fmt: skip
    schedules = read_run_schedules(settings)
    proposed: list[dict[str, Any]] = []
    skipped: list[dict[str, str]] = []
    problems: list[str] = []
    not_due = 0
    for ref, schedule in sorted(schedules.items()):
        try:
            periods, why_not, missed = _due(settings, ref, schedule, day, now)
            if not periods:
                not_due += 1
            for period in periods:
                if period in why_not:
                    skipped.append({"contract": ref, "period": period, "why": why_not[period]})
                    continue
                result = propose_payment_run(settings, ref, period, as_of=now, actor=ACTOR)
                p = result["proposal"]
                if p is None or result.get("pending"):  # another run got there first, since the check above
                    why = "already paid" if p is None else f"proposal {p['id']} is already pending"
                    skipped.append({"contract": ref, "period": period, "why": why})
                else:
                    done = {"contract": ref, "period": period, "proposal": p["id"], "amount": p["amount"]}
                    proposed.append(done | ({"missed": missed[period]} if period in missed else {}))
        except (UserError, DaysUnknown) as exc:
            problems.append(f"{ref}: {str(exc).splitlines()[0]}")
        except Exception as exc:  # e.g. another trigger proposed the same run at the same moment: the others go on
            problems.append(f"{ref}: not proposed ({type(exc).__name__}); see `commission proposals`, or `pay` by hand")
    result = {
        "day": day.isoformat(),
        "contracts": len(schedules),
        "not_due": not_due,
        "proposed": proposed,
        "skipped": skipped,
        "problems": problems,
    }
    with unit_of_work(database(settings)) as session:  # the day was checked: a later day does not catch it up
        append_event(session=session, effective_at=now, actor=ACTOR, entity=CHECKED, entity_ref=day.isoformat(),
                     action="ScheduledRunsChecked", after={k: v for k, v in result.items() if k != "day"})  # fmt: skip
    return result


def _due(
    settings: Settings, ref: str, schedule: RunSchedule, day: dt.date, now: dt.datetime
) -> tuple[list[str], dict[str, str], dict[str, str]]:
    """The periods ``ref`` is paid for on ``day``, why any of them needs no proposal (paid, or pending), and
    those whose run day was missed, with that day: a missed day with no proposal since is caught up."""
    from flows.pbr.payment_runs import KIND

    with reading(database(settings)) as session:
        contract = pbr_contract(session, ref)
        cid = contract_id(contract)
        calendar = working_day_calendar(contract.nation_enum)
        periods = [p.label for p in periods_paid_on(day, schedule, calendar)]
        why_not = {}
        for period in periods:
            run = run_for(session=session, contract_id=cid, period=period)
            pending = pending_proposal(session=session, contract_id=cid, key=f"{KIND}:{period}")
            if run is not None:
                why_not[period] = f"already paid (payment run {run.id})"
            elif pending is not None and pending.expires_at > now:
                why_not[period] = f"proposal {pending.id} is already pending"
        missed = {}
        for missing in run_days_missed(day, schedule, calendar):
            label = missing.period.label
            since = dt.datetime.combine(missing.day, dt.time(), ZoneInfo(settings.timezone))  # that day's start
            if (
                label not in periods
                and first_event_at(session, CHECKED, missing.day.isoformat()) is None  # that day never checked
                and run_for(session=session, contract_id=cid, period=label) is None
                and not proposed_since(session=session, contract_id=cid, kind=KIND, period=label, since=since)
            ):
                periods.append(label)
                missed[label] = missing.day.isoformat()
    return periods, why_not, missed


def result_lines(result: dict[str, Any]) -> list[str]:
    """What a day's scheduled runs did, a line each, for the flow's log."""
    lines = [
        f"Scheduled payment runs on {result['day']}: {result['contracts']} contract(s) in {FILE}, "
        f"{result['not_due']} not due today, {len(result['proposed'])} proposed, {len(result['skipped'])} skipped, "
        f"{len(result['problems'])} problem(s)."
    ]
    lines += [f"{p['contract']} {p['period']}: proposal {p['proposal']} would pay {p['amount']}"
              + (f" (its run day, {p['missed']}, was missed)" if "missed" in p else "")
              for p in result["proposed"]]  # fmt: skip
    lines += [f"{s['contract']} {s['period']}: skipped, {s['why']}" for s in result["skipped"]]
    lines += [f"not proposed: {problem}" for problem in result["problems"]]
    return lines


def run_day(text: str) -> dt.date:
    """The ``day`` a scheduled run was given (YYYY-MM-DD), or a refusal naming it."""
    day, why = parse_iso_date(text)
    if day is None:
        raise UserError(f"the scheduled payment runs' day: {why}")
    return day
