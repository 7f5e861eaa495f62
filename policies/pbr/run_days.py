"""When a contract's payment run is due: the Nth working day after its period ends.

Rule: a contract paid quarterly "on the fifth working day after the quarter ends" runs on
``calendar.working_days_after(quarter end, 5)``: weekends and the bank holidays of the contract's
calendar are not counted, and the quarter's last day is not counted either. The run pays the period
that ended before its day; nothing runs for a period that has not ended.

Worked examples (England and Wales):
- 2026-Q1 ends Tuesday 31 March 2026. Wednesday 1 and Thursday 2 April are days 1 and 2; Good Friday
  (3 April) and Easter Monday (6 April) are bank holidays; Tuesday 7, Wednesday 8 and Thursday 9 April
  are days 3, 4 and 5. The run is on Thursday 9 April 2026.
- 2025-Q4 ends Wednesday 31 December 2025. New Year's Day is a bank holiday; Friday 2, Monday 5,
  Tuesday 6, Wednesday 7 and Thursday 8 January are days 1 to 5. The run is on Thursday 8 January 2026.

The setting is written as text, e.g. "quarterly, working day 5" or "monthly, working day 3".

A daily check asks ``periods_paid_on(day)``: on Thursday 9 April 2026 it is [2026-Q1]; on Wednesday 8 April,
and on Friday 10 April, it is [] (nothing is due, so nothing is proposed).
"""

import datetime as dt
import re
from dataclasses import dataclass

from policies.calendars import DaysUnknown, WorkingDayCalendar
from policies.contracts.clauses import ONE_DAY
from policies.pbr.payments import Period, period_of
from policies.pbr.ratecard import Frequency

CATCH_UP_DAYS = 7  # a run day missed (the scheduler down) is still proposed within this many days after it
MAX_WORKING_DAY = 20  # about a month: a later day would fall in the next period's own run
_SETTING = re.compile(r"^\s*(?P<every>quarterly|monthly)\s*,\s*working day\s+(?P<n>[0-9]{1,3})\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class RunSchedule:
    """Pay each period on its ``working_day``-th working day after the period ends."""

    frequency: Frequency
    working_day: int


@dataclass(frozen=True)
class RunDay:
    period: Period
    day: dt.date


def parse_run_schedule(text: str) -> tuple[RunSchedule | None, str | None]:
    """'quarterly, working day 5' as a schedule, or why it is not one."""
    found = _SETTING.match(text or "")
    if found is None:
        return None, f"{text!r} is not a payment-run schedule such as 'quarterly, working day 5'"
    n = int(found["n"])
    if not 1 <= n <= MAX_WORKING_DAY:
        return None, f"working day {n} is not between 1 and {MAX_WORKING_DAY} (the run must fall before the next)"
    return RunSchedule(Frequency(found["every"].lower()), n), None


def run_day(period: Period, schedule: RunSchedule, calendar: WorkingDayCalendar) -> dt.date:
    """The day ``period`` is paid; a day past the bank holidays known is refused in words (``DaysUnknown``)."""
    try:
        return calendar.working_days_after(period.end, schedule.working_day)
    except DaysUnknown as exc:
        field = f"the payment run of {period.label} (working day {schedule.working_day} after it)"
        raise exc.needed_by(field) from None


def next_period(period: Period, frequency: Frequency) -> Period:
    return period_of(period.end + ONE_DAY, frequency)


def run_days(after: dt.date, count: int, schedule: RunSchedule, calendar: WorkingDayCalendar) -> list[RunDay]:
    """The next ``count`` run days strictly after ``after``, in order, each with the period it pays."""
    if count < 1:
        raise ValueError("ask for at least one run day")
    # The period that ended most recently may still be due (its run day after ``after``).
    period = period_to_pay(after, schedule.frequency)
    out: list[RunDay] = []
    while len(out) < count:
        day = run_day(period, schedule, calendar)
        if day > after:
            out.append(RunDay(period, day))
        period = next_period(period, schedule.frequency)
    return out


def periods_paid_on(today: dt.date, schedule: RunSchedule, calendar: WorkingDayCalendar) -> list[Period]:
    """The periods whose run day is ``today`` (usually none, at most one in practice).

    The last two ended periods are asked, not just the last: a late day of a short month (working day 20
    after January, with a bank holiday) can fall after the next period has ended too."""
    latest = period_to_pay(today, schedule.frequency)
    before = period_to_pay(latest.start, schedule.frequency)
    return [p for p in (before, latest) if run_day(p, schedule, calendar) == today]


def run_days_missed(today: dt.date, schedule: RunSchedule, calendar: WorkingDayCalendar) -> list[RunDay]:
    """The run days in the ``CATCH_UP_DAYS`` before ``today`` (not today), each with the period it pays: days a
    daily check may have missed, if the scheduler was down, to be caught up.

    Example: "quarterly, working day 5" paid 2026-Q1 on Thursday 9 April 2026; asked on Monday 13 April, that
    day is found (2026-Q1, 9 April); asked on Thursday 16 April, 9 April is seven days back and still found;
    asked on Friday 17 April, it is eight days back, and nothing is."""
    latest = period_to_pay(today, schedule.frequency)
    ended = [latest]
    for _ in range(2):  # a run day at most 20 working days after its period: three periods back is enough
        ended.insert(0, period_to_pay(ended[0].start, schedule.frequency))
    found = [RunDay(p, run_day(p, schedule, calendar)) for p in ended]
    return [r for r in found if today - dt.timedelta(days=CATCH_UP_DAYS) <= r.day < today]


def period_to_pay(today: dt.date, frequency: Frequency) -> Period:
    """On a run day, the period it pays: the last one that ended before ``today``."""
    return period_of(period_of(today, frequency).start - ONE_DAY, frequency)
