"""Reading periods, the contract's life, and when the contract performance notice (UK9) is due.

Rule: a reading is for a calendar month ("2026-04") or a calendar quarter
("2026-Q2", April to June), in the years 1900 to 2200 as a date is; a quarterly KPI takes quarters and a monthly KPI
months. A period must overlap the contract's life (start to its latest end)
and must be over by the reading's as-of date (today by default): a reading of
2026-Q4 (ending 31 December 2026) is refused on 7 December 2026 and taken from
31 December, as a payment run pays only a period that has ended. A UK9 notice covers a period of at most 12
months and is due at least every 12 months (Procurement Act 2023 s.71(2)):
the next is due 12 months after the end of the last period a published notice
covered, or 12 months after the start when none has been. A notice is
overdue the day after it was due. A breach or poor-performance notice is due
``breach_notice_days`` (30) after the breach.

Worked example: a contract from 1 April 2025 with no notice published has its
first UK9 due on 1 April 2026, overdue from 2 April 2026. Once a notice
covering 2025-04-01 to 2026-03-31 is published, the next is due 31 March 2027,
or by the contract's last day if that comes first: on termination (ended 30
September 2026: due then) or at expiry.
A breach on 3 November 2026 needs its notice by 3 December 2026.
"""

import datetime as dt
import re
from dataclasses import dataclass

from policies.dates import YEARS, add_months, outside_years
from policies.performance.kpis import Frequency

_QUARTER = re.compile(r"^(?P<y>[0-9]{4})-?Q(?P<q>[1-4])$", re.IGNORECASE)
_MONTH = re.compile(r"^(?P<y>[0-9]{4})-(?P<m>[0-9]{2})$")
_RANGE = re.compile(r"^(?P<a>[0-9]{4}-[0-9]{2}-[0-9]{2})(\.\.|/)(?P<b>[0-9]{4}-[0-9]{2}-[0-9]{2})$")


@dataclass(frozen=True, order=True)
class Period:
    start: dt.date
    end: dt.date
    label: str

    @property
    def frequency(self) -> Frequency | None:
        if "Q" in self.label:
            return Frequency.QUARTERLY
        return Frequency.MONTHLY if _MONTH.match(self.label) else None


def parse_period(text: str) -> tuple[Period | None, str | None]:
    """A reading's period: 2026-Q2 or 2026-04 (and, for a notice, 2025-04-01..2026-03-31 or a year 2026)."""
    raw = str(text or "").strip()
    if not raw:
        return None, "is missing (e.g. 2026-Q2 or 2026-04)"
    if m := _QUARTER.match(raw):
        year, q = int(m["y"]), int(m["q"])
        if year not in YEARS:  # as a date's year is bounded: 0000-Q1 and 9999-Q4 have no dates
            return None, outside_years(repr(raw))
        start = dt.date(year, 3 * q - 2, 1)
        return Period(start, add_months(start, 3) - dt.timedelta(days=1), f"{year}-Q{q}"), None
    if m := _MONTH.match(raw):
        year, month = int(m["y"]), int(m["m"])
        if not 1 <= month <= 12:
            return None, f"{raw!r}: month {month} is not 1 to 12"
        if year not in YEARS:
            return None, outside_years(repr(raw))
        start = dt.date(year, month, 1)
        return Period(start, add_months(start, 1) - dt.timedelta(days=1), f"{year}-{month:02d}"), None
    return None, f"{raw!r} is not a period; write a quarter (2026-Q2) or a month (2026-04)"


def parse_notice_period(text: str) -> tuple[Period | None, str | None]:
    """A notice's period: a quarter, a month, a calendar year (2026) or a range of at most 12 months."""
    raw = str(text or "").strip()
    if re.fullmatch(r"[0-9]{4}", raw):
        year = int(raw)
        if year not in YEARS:
            return None, outside_years(repr(raw))
        return Period(dt.date(year, 1, 1), dt.date(year, 12, 31), raw), None
    if m := _RANGE.match(raw):
        try:
            a, b = dt.date.fromisoformat(m["a"]), dt.date.fromisoformat(m["b"])
        except ValueError as exc:
            return None, f"{raw!r}: {exc}"
        if a.year not in YEARS or b.year not in YEARS:
            return None, outside_years(repr(raw))
        if b < a:
            return None, f"{raw!r} ends before it begins"
        if b >= add_months(a, 12):
            return None, f"{raw!r} is longer than 12 months; a UK9 notice is published at least every 12 months"
        return Period(a, b, f"{a.isoformat()}..{b.isoformat()}"), None
    period, why = parse_period(raw)
    if why is not None and "outside the years" in why:
        return None, why
    if period is None:
        return None, f"{raw!r} is not a period; write 2026-Q2, 2026-04, 2026 or 2025-04-01..2026-03-31"
    return period, None


def check_in_life(period: Period, start: dt.date, last_day: dt.date) -> str | None:
    """Why a reading for this period cannot be taken for a contract running ``start`` to ``last_day``, or None."""
    if period.end < start:
        return f"{period.label} ends before the contract starts ({start})"
    if period.start > last_day:
        return f"{period.label} begins after the contract's last possible day ({last_day})"
    return None


def check_over(period: Period, today: dt.date) -> str | None:
    """Why a reading for this period cannot be taken as of ``today``: its period ends after it; or None."""
    if period.end > today:
        return f"{period.label} ends on {period.end}, after the as-of date {today}: record it once the period is over"
    return None


def uk9_next_due(start: dt.date, covered_until: dt.date | None, last_day: dt.date | None = None) -> dt.date | None:
    """When the next UK9 notice is due: 12 months after the last period covered, or after the start; and by
    the contract's last day (``last_day``: on termination, or at expiry), if sooner, as its key dates have it
    (policies/contracts/key_dates.py). None: a notice covers the contract to its last day; none is due."""
    due = add_months(start, 12) if covered_until is None or covered_until < start else add_months(covered_until, 12)
    if last_day is None:
        return due
    if covered_until is not None and covered_until >= last_day:
        return None
    return min(due, last_day)


def uk9_overdue(start: dt.date, covered_until: dt.date | None, today: dt.date, last_day: dt.date | None = None) -> bool:
    due = uk9_next_due(start, covered_until, last_day)
    return due is not None and due < today


def breach_notice_due(breach_on: dt.date, days: int = 30) -> dt.date:
    return breach_on + dt.timedelta(days=days)


def period_due_by(day: dt.date, frequency: Frequency) -> Period:
    """The period whose reading a monitoring meeting on ``day`` should have: the last quarter (or month)
    to end before that day. A meeting on 15 January 2027 looks at 2026-Q4 (or 2026-12)."""
    month_start = day.replace(day=1)
    if frequency is Frequency.MONTHLY:
        start = add_months(month_start, -1)
        return Period(start, month_start - dt.timedelta(days=1), f"{start.year}-{start.month:02d}")
    quarter_start = month_start.replace(month=(day.month - 1) // 3 * 3 + 1)
    start = add_months(quarter_start, -3)
    return Period(start, quarter_start - dt.timedelta(days=1), f"{start.year}-Q{(start.month - 1) // 3 + 1}")
