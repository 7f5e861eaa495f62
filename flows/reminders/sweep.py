"""The sweep: plan every reminder due by the end of the day from the key dates into the outbox.

The sweep plans (policies/reminders/planning.py) what is due from the key-date
table and inserts it idempotently, in one transaction with its own record (so
the next sweep starts where it stopped). flows/reminders/reminder_flows.py runs
it as a Prefect flow and flows/reminders/scheduler.py on a timetable.
"""

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine

from flows.common.calendars import working_day_calendar
from flows.common.runtime import database
from flows.common.settings import Settings
from flows.reminders.outbox import contract_refs
from flows.reminders.policy import reminder_policy
from models.db import unit_of_work
from models.reminders.planning import (
    insert_planned,
    key_dates_in_ranges,
    key_dates_to_replan,
    last_swept_through,
    recipient_states,
)
from models.reminders.tables import ReminderSweep
from policies.calendars import Nation, WorkingDayCalendar
from policies.dates import add_months, local_date
from policies.reminders.ladders import LeadUnit, ReminderPolicy
from policies.reminders.planning import KeyDateFact, PlannedReminder, due_on_ranges, has_step_between, plan_reminders


@dataclass
class SweepReport:
    as_of: dt.datetime
    today: dt.date
    window_start: dt.date | None
    planned: int = 0  # new rows in the outbox
    replanned_contracts: int = 0
    dry_run: bool = False
    would_plan: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "day": self.today.isoformat(),
            "window_start": self.window_start.isoformat() if self.window_start else None,
            "planned": self.planned,
            "replanned_contracts": self.replanned_contracts,
            "dry_run": self.dry_run,
            **({"would_plan": self.would_plan} if self.dry_run else {}),
        }


def _calendar_for(nation: str) -> WorkingDayCalendar:
    return working_day_calendar(Nation(nation))


def _furthest_due(policy: ReminderPolicy, today: dt.date) -> dt.date:
    """The latest key date that can have a step due by ``today``."""
    latest = today
    for lead in policy.leads:
        ahead = today + dt.timedelta(days=lead.amount) if lead.unit is LeadUnit.DAYS else add_months(today, lead.amount)
        latest = max(latest, ahead)
    return latest + dt.timedelta(days=17)


def sweep(
    settings: Settings, *, as_of: dt.datetime, dry_run: bool = False, policy: ReminderPolicy | None = None
) -> SweepReport:
    """Plan every reminder due by the end of ``as_of``'s day (in the organisation's zone) into the outbox.

    Reads the key dates whose steps fall since the last sweep (index range
    scans) and every key date of contracts changed since then; the cost
    follows what is due and what changed, not the size of the portfolio.
    """
    policy = policy or reminder_policy(settings)
    zone = settings.timezone
    today = local_date(as_of, zone)
    with unit_of_work(database(settings)) as session:
        last = last_swept_through(session=session)
        window_start = min(last, today) if last is not None else None
        facts: dict[tuple[int, str, dt.date], KeyDateFact] = {}
        calendar_for = _calendar_for
        if window_start is not None:
            ranges = due_on_ranges(policy, after=window_start, through=today)
            for fact in key_dates_in_ranges(session=session, ranges=ranges, today=today):
                if has_step_between(fact, policy, after=window_start, through=today, calendar_for=calendar_for):
                    facts[(fact.contract_id, fact.key, fact.due_on)] = fact
        oldest = today - dt.timedelta(days=policy.catch_up_days)
        changed, replan_ids = key_dates_to_replan(
            session=session, oldest=oldest, latest=_furthest_due(policy, today), today=today
        )
        for fact in changed:
            facts[(fact.contract_id, fact.key, fact.due_on)] = fact
        states = recipient_states(session=session, contract_ids={k[0] for k in facts})
        # Planned as due, then by contract and key date, not in the order the database read them: the new
        # reminders' ids follow it, and so does the outbox's list of the reminders sent at the same time.
        planned = plan_reminders(
            [facts[k] for k in sorted(facts, key=lambda k: (k[2], k[0], k[1]))],
            policy,
            zone=zone,
            today=today,
            window_start=window_start,
            states=states,
            calendar_for=calendar_for,
            now=as_of,
        )
        report = SweepReport(as_of, today, window_start, replanned_contracts=len(replan_ids), dry_run=dry_run)
        if dry_run:
            refs = contract_refs(session, {p.contract_id for p in planned})
            report.would_plan = [
                _planned_public(p, refs) for p in sorted(planned, key=lambda p: (p.send_at, p.due_on, p.tag))
            ]
            report.planned = len(planned)
            session.rollback()
            return report
        report.planned = insert_planned(session=session, planned=planned, now=as_of)
        session.add(
            ReminderSweep(
                as_of=as_of,
                window_start=window_start,
                through=max(today, last) if last is not None else today,
                planned=report.planned,
                replanned_contracts=len(replan_ids),
            )
        )
    return report


def _planned_public(p: PlannedReminder, refs: dict[int, str]) -> dict[str, Any]:
    return {
        "contract": refs.get(p.contract_id, str(p.contract_id)),
        "key": p.key,
        "kind": p.kind,
        "due_on": p.due_on.isoformat(),
        "lead": p.lead.code,
        "tag": p.tag,
        "send_at": p.send_at.isoformat(),
        "escalation": p.escalation,
    }


def last_sweep_day(engine: Engine) -> dt.date | None:
    """The last send day a finished sweep covered, or None before the first sweep."""
    with unit_of_work(engine) as session:
        return last_swept_through(session=session)
