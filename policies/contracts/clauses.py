"""A contract's terms as values: its term, extension options, break clauses and reviews; the ends they define.

Rules:
- A term of N months starting on S ends on the day before S + N months: a
  3-year contract from 1 April 2026 expires on 31 March 2029 (and where that
  month has no such day, on its last day: see ``term_end``). Months count as
  in ``policies.dates.add_months``: from the anchor, clamped at month ends.
- Expiry counts the extension options already used; the maximum extent date
  counts them all (OCDS ``maxExtentDate``).
- Terms are checked before any key date is derived (``validate_terms``): a
  term and each option at least a month, options used within those offered,
  a value not negative, break dates inside the term, and notice that can
  still be served after the start.

Worked example: "Housing First 18-24", 3+1+1 years from 1 April 2026, break
at 31 March 2028 on 3 months' notice by the authority, extension notice 12
weeks. Expiry 31 March 2029; maximum extent 31 March 2031.
"""

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum

from policies.calendars import DaysUnknown, WorkingDayCalendar
from policies.contracts.notice import NoticePeriod
from policies.dates import add_months
from policies.money import Money

ONE_DAY = dt.timedelta(days=1)


def term_end(start: dt.date, months: int) -> dt.date:
    """The last day of a term of ``months`` beginning on ``start`` (the corresponding-date rule).

    The term ends the day before the corresponding date; where the month has
    no corresponding date (a term from 31 January), it ends on that month's
    last day: 1 month from 31 January 2026 ends on 28 February 2026.
    """
    corresponding = add_months(start, months)
    return corresponding if corresponding.day != start.day else corresponding - ONE_DAY


class Party(StrEnum):
    AUTHORITY = "authority"
    PROVIDER = "provider"
    EITHER = "either"


@dataclass(frozen=True)
class ExtensionOption:
    months: int
    notice: NoticePeriod


@dataclass(frozen=True)
class BreakClause:
    notice: NoticePeriod
    party: Party
    on: dt.date | None = None  # a fixed break date
    rolling_from: dt.date | None = None  # or: any date from this one

    @property
    def first_date(self) -> dt.date:
        date = self.on or self.rolling_from
        if date is None:
            raise ValueError("a break clause needs a fixed date or a rolling-from date")
        return date


@dataclass(frozen=True)
class ReviewSchedule:
    quarterly: bool = True
    annual: bool = True
    mid_term: bool = True
    pre_expiry_months: int | None = 6


@dataclass(frozen=True)
class ContractTerms:
    ref: str
    start: dt.date
    initial_term_months: int
    value: Money
    extensions: tuple[ExtensionOption, ...] = ()
    extensions_used: int = 0
    breaks: tuple[BreakClause, ...] = ()
    reviews: ReviewSchedule = field(default_factory=ReviewSchedule)
    award_notice_on: dt.date | None = None
    signed_on: dt.date | None = None
    ended_on: dt.date | None = None  # ended early: a break or termination
    recommissioning_lead_months: int = 18
    # A published contract period (OCDS) ends on any day: its initial term's last day as published, when that
    # is not a whole number of months after the start, and its last day with every option used (maxExtentDate).
    published_end: dt.date | None = None
    published_max_extent: dt.date | None = None
    # Contract performance (policies.contracts.key_dates): how many KPIs it has, and whether a statutory
    # exemption from the KPI rule is recorded (flows/performance keeps the definitions and the exemption).
    kpis: int = 0
    kpi_exempt: bool = False

    def months_to_option(self, used: int) -> int:
        return self.initial_term_months + sum(o.months for o in self.extensions[:used])


def option_end(terms: ContractTerms, used: int) -> dt.date:
    """The last day of the contract with its first ``used`` extension options taken.

    A published end (``published_end``) is kept to the day, and options run on from the day after it; a
    published maxExtentDate is the last day with every option taken, whatever the options' months say.
    """
    if terms.published_max_extent is not None and used == len(terms.extensions) and used > 0:
        return terms.published_max_extent
    if terms.published_end is not None:
        if used == 0:
            return terms.published_end
        return term_end(terms.published_end + ONE_DAY, sum(o.months for o in terms.extensions[:used]))
    return term_end(terms.start, terms.months_to_option(used))


def expiry(terms: ContractTerms) -> dt.date:
    """The last day of the contract as it stands (extensions used; or the day it ended early)."""
    if terms.ended_on is not None:
        return terms.ended_on
    return option_end(terms, terms.extensions_used)


def max_extent(terms: ContractTerms) -> dt.date:
    """The latest possible last day, every extension used (OCDS maxExtentDate)."""
    return option_end(terms, len(terms.extensions))


@dataclass(frozen=True)
class TermsProblem:
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.field}: {self.reason}"


def validate_terms(terms: ContractTerms, calendar: WorkingDayCalendar) -> list[TermsProblem]:
    """Everything wrong with a contract's terms, each with the field and a reason."""
    problems: list[TermsProblem] = []
    if terms.initial_term_months < 1:
        problems.append(TermsProblem("term", "the initial term must be at least one month"))
        return problems
    for i, option in enumerate(terms.extensions, start=1):
        if option.months < 1:
            problems.append(TermsProblem(f"extensions[{i}]", "an extension option must be at least one month"))
    if not 0 <= terms.extensions_used <= len(terms.extensions):
        problems.append(TermsProblem("extensions_used", f"must be between 0 and {len(terms.extensions)}"))
    if terms.value.amount < 0:
        problems.append(TermsProblem("value", "cannot be negative"))
    if problems:
        return problems
    last = max_extent(terms)
    if terms.ended_on is not None and terms.ended_on < terms.start:
        problems.append(TermsProblem("end", f"{terms.ended_on} is before the start {terms.start}"))
    for i, clause in enumerate(terms.breaks, start=1):
        where = f"breaks[{i}]"
        if (clause.on is None) == (clause.rolling_from is None):
            problems.append(TermsProblem(where, "give either a fixed break date or a rolling-from date"))
            continue
        date = clause.first_date
        if not terms.start < date <= last:
            problems.append(
                TermsProblem(
                    where, f"the break date {date} is outside the term ({terms.start} to {last}, all extensions used)"
                )
            )
            continue
        try:
            served_by = clause.notice.before(date, calendar)
        except DaysUnknown as exc:
            problems.append(TermsProblem(where, str(exc.needed_by(f"its {clause.notice} notice before {date}"))))
            continue
        if served_by < terms.start:
            problems.append(
                TermsProblem(
                    where,
                    f"{clause.notice} notice for a break on {date} is longer than the time left: it would "
                    f"have to be served by {served_by}, before the contract "
                    f"starts on {terms.start}",
                )
            )
    for i, option in enumerate(terms.extensions[terms.extensions_used :], start=terms.extensions_used + 1):
        current_end = option_end(terms, i - 1)
        try:
            served_by = option.notice.before(current_end, calendar)
        except DaysUnknown as exc:
            field = f"its {option.notice} notice before {current_end}"
            problems.append(TermsProblem(f"extensions[{i}]", str(exc.needed_by(field))))
            continue
        if served_by < terms.start:
            problems.append(
                TermsProblem(
                    f"extensions[{i}]", f"{option.notice} notice before {current_end} is longer than the time left"
                )
            )
    if terms.award_notice_on is not None:
        try:  # the statutory standstill (key_dates): the UK calendar knows the same years as the nation's
            calendar.last_of_working_days(terms.award_notice_on, 8)
        except DaysUnknown as exc:
            field = "its standstill of 8 working days"
            problems.append(TermsProblem("award_notice_on", str(exc.needed_by(field))))
    return problems
