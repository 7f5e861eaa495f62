"""Key dates: every decision date a contract's terms imply, correct to the day.

Rules:
- A term of N months starting on S ends on the day before S + N months: a
  3-year contract from 1 April 2026 expires on 31 March 2029 (and where that
  month has no such day, on its last day: see ``term_end``). Months always
  count from the anchor date and clamp at month ends (31 January + 1 month is
  28 or 29 February); adding a month twice is never used for two months.
- Expiry counts the extension options already used; the maximum extent date
  counts them all (OCDS ``maxExtentDate``).
- A notice deadline is the guarded date minus the notice period: in months
  (clamped), weeks, days, or working days of the contract's nation.
- Each unused extension option has a decision deadline: the current expiry
  minus the option's notice.
- A fixed break has a notice deadline before its break date; a rolling break
  has an earliest notice deadline before the date it is first available.
- Review points: quarterly monitoring and annual reviews from the start date,
  a mid-term review, and a pre-expiry decision point; recommissioning starts
  a lead time (18 months by default) before expiry.
- Statutory dates (Procurement Act 2023): the standstill ends on the last of
  8 working days beginning with the award notice's day (working days in any
  part of the UK); the contract details notice is due within 30 days of
  signing; contracts over £5m need a performance notice every 12 months; a
  termination notice is due within 30 days of the end.

Worked example: "Housing First 18-24", 3+1+1 years from 1 April 2026, break
at 31 March 2028 on 3 months' notice by the authority, extension notice 12
weeks. Expiry 31 March 2029; maximum extent 31 March 2031; break notice
deadline 31 December 2027; first extension decision due 6 January 2029 (84
days before expiry); recommissioning starts 30 September 2027.
"""

import calendar
import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from policies.calendars import WorkingDayCalendar
from policies.contracts.status import ContractStatus
from policies.money import Money

ONE_DAY = dt.timedelta(days=1)
PERFORMANCE_NOTICE_THRESHOLD = Money(Decimal("5000000"))


def add_months(anchor: dt.date, months: int) -> dt.date:
    """``anchor`` plus (or minus) whole months, clamped at the month end; always from the anchor.

    The same answer as pendulum's ``Date.add(months=...)`` (a property test holds
    them equal), computed directly because a portfolio derives millions of them.
    """
    index = anchor.year * 12 + anchor.month - 1 + months
    year, month0 = divmod(index, 12)
    if anchor.day <= 28:
        return dt.date(year, month0 + 1, anchor.day)
    last = 29 if month0 == 1 and calendar.isleap(year) else _DAYS_IN_MONTH[month0]
    return dt.date(year, month0 + 1, min(anchor.day, last))


_DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def term_end(start: dt.date, months: int) -> dt.date:
    """The last day of a term of ``months`` beginning on ``start`` (the corresponding-date rule).

    The term ends the day before the corresponding date; where the month has
    no corresponding date (a term from 31 January), it ends on that month's
    last day: 1 month from 31 January 2026 ends on 28 February 2026.
    """
    corresponding = add_months(start, months)
    return corresponding if corresponding.day != start.day else corresponding - ONE_DAY


class NoticeUnit(StrEnum):
    MONTHS = "months"
    WEEKS = "weeks"
    DAYS = "days"
    WORKING_DAYS = "working_days"


_NOTICE_RE = re.compile(r"^\s*(?P<n>\d+)\s*(?P<unit>months?|weeks?|days?|working[ _-]days?)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class NoticePeriod:
    amount: int
    unit: NoticeUnit

    def __str__(self) -> str:
        unit = self.unit.value.replace("_", " ")
        return f"{self.amount} {unit[:-1] if self.amount == 1 else unit}"

    def before(self, event: dt.date, calendar: WorkingDayCalendar) -> dt.date:
        """The last day on which notice can be served for ``event``."""
        if self.unit is NoticeUnit.MONTHS:
            return add_months(event, -self.amount)
        if self.unit is NoticeUnit.WEEKS:
            return event - dt.timedelta(weeks=self.amount)
        if self.unit is NoticeUnit.DAYS:
            return event - dt.timedelta(days=self.amount)
        return calendar.working_days_before(event, self.amount)


def parse_notice(text: str) -> tuple[NoticePeriod | None, str | None]:
    """'3 months', '12 weeks', '30 days' or '10 working days'."""
    match = _NOTICE_RE.match(text or "")
    if not match:
        return None, f"{text!r} is not a notice period; write e.g. 3 months, 12 weeks, 30 days or 10 working days"
    word = match["unit"].lower().replace(" ", "_").replace("-", "_")
    unit = (
        NoticeUnit.WORKING_DAYS
        if word.startswith("working")
        else NoticeUnit(word if word.endswith("s") else word + "s")
    )
    amount = int(match["n"])
    if amount < 1:
        return None, f"{text!r}: a notice period is at least 1 {unit.value.replace('_', ' ')[:-1]}"
    return NoticePeriod(amount, unit), None


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

    def months_to_option(self, used: int) -> int:
        return self.initial_term_months + sum(o.months for o in self.extensions[:used])


def expiry(terms: ContractTerms) -> dt.date:
    """The last day of the contract as it stands (extensions used; or the day it ended early)."""
    if terms.ended_on is not None:
        return terms.ended_on
    return term_end(terms.start, terms.months_to_option(terms.extensions_used))


def status_on(terms: ContractTerms, stored: ContractStatus, day: dt.date) -> ContractStatus:
    """The status on ``day``: pending before the start and expired after the end follow from the dates;
    terminated, in notice and extended are what was recorded."""
    if stored is ContractStatus.TERMINATED:
        return stored
    if day < terms.start:
        return ContractStatus.PENDING
    if day > expiry(terms):
        return ContractStatus.TERMINATED if terms.ended_on is not None else ContractStatus.EXPIRED
    if stored in (ContractStatus.IN_NOTICE, ContractStatus.EXTENDED):
        return stored
    return ContractStatus.EXTENDED if terms.extensions_used else ContractStatus.ACTIVE


def contract_in_force(terms: ContractTerms, status: ContractStatus, day: dt.date) -> bool:
    """Is the contract delivering on ``day``: live (active, extended or in notice) on that day?"""
    return status_on(terms, status, day).is_live


def max_extent(terms: ContractTerms) -> dt.date:
    """The latest possible last day, every extension used (OCDS maxExtentDate)."""
    return term_end(terms.start, terms.months_to_option(len(terms.extensions)))


class KeyDateKind(StrEnum):
    EXPIRY = "expiry"
    MAX_EXTENT = "max_extent"
    EXTENSION_DECISION = "extension_decision"
    BREAK_NOTICE_DEADLINE = "break_notice_deadline"
    BREAK_DATE = "break_date"
    QUARTERLY_MONITORING = "quarterly_monitoring"
    ANNUAL_REVIEW = "annual_review"
    MID_TERM_REVIEW = "mid_term_review"
    PRE_EXPIRY_DECISION = "pre_expiry_decision"
    RECOMMISSIONING_START = "recommissioning_start"
    STANDSTILL_END = "standstill_end"
    CONTRACT_DETAILS_NOTICE = "contract_details_notice"
    PERFORMANCE_NOTICE = "performance_notice"
    TERMINATION_NOTICE = "termination_notice"


@dataclass(frozen=True, order=True)
class KeyDate:
    on: dt.date
    kind: KeyDateKind
    seq: int
    action: str
    who: str
    guards: dt.date | None = None  # the event this deadline protects, if it is a deadline

    @property
    def key(self) -> str:
        """Stable within a contract: what a reminder is keyed on."""
        return f"{self.kind.value}:{self.seq}"


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
        if clause.notice.before(date, calendar) < terms.start:
            problems.append(
                TermsProblem(
                    where,
                    f"{clause.notice} notice for a break on {date} is longer than the time left: it would "
                    f"have to be served by {clause.notice.before(date, calendar)}, before the contract "
                    f"starts on {terms.start}",
                )
            )
    for i, option in enumerate(terms.extensions[terms.extensions_used :], start=terms.extensions_used + 1):
        current_end = term_end(terms.start, terms.months_to_option(i - 1))
        if option.notice.before(current_end, calendar) < terms.start:
            problems.append(
                TermsProblem(
                    f"extensions[{i}]", f"{option.notice} notice before {current_end} is longer than the time left"
                )
            )
    return problems


def derive_key_dates(
    terms: ContractTerms, calendar: WorkingDayCalendar, statutory: WorkingDayCalendar
) -> list[KeyDate]:
    """Every key date of a contract, soonest first. Call ``validate_terms`` first."""
    end = expiry(terms)
    dates: list[KeyDate] = [
        KeyDate(
            end,
            KeyDateKind.EXPIRY,
            0,
            "The contract ends at the end of this day" + ("" if terms.ended_on else " unless extended"),
            "commissioner",
        ),
    ]
    if terms.ended_on is None:
        dates += _extension_and_break_dates(terms, calendar, end)
        dates.append(
            KeyDate(
                max_extent(terms),
                KeyDateKind.MAX_EXTENT,
                0,
                "The latest possible end, with every extension used",
                "commissioner",
            )
        )
    dates += _review_dates(terms, end)
    lead = add_months(end, -terms.recommissioning_lead_months)
    dates.append(
        KeyDate(
            max(lead, terms.start),
            KeyDateKind.RECOMMISSIONING_START,
            0,
            f"Start recommissioning: {terms.recommissioning_lead_months} months before the end"
            + (" (the lead time is longer than the contract: start now)" if lead < terms.start else ""),
            "commissioning team",
            guards=end,
        )
    )
    dates += _statutory_dates(terms, statutory, end)
    return sorted(dates, key=_order)


def _order(key_date: KeyDate) -> tuple[dt.date, str, int]:
    return key_date.on, key_date.kind.value, key_date.seq


def _extension_and_break_dates(terms: ContractTerms, calendar: WorkingDayCalendar, end: dt.date) -> list[KeyDate]:
    dates = []
    for i, option in enumerate(terms.extensions[terms.extensions_used :], start=terms.extensions_used + 1):
        current_end = term_end(terms.start, terms.months_to_option(i - 1))
        dates.append(
            KeyDate(
                option.notice.before(current_end, calendar),
                KeyDateKind.EXTENSION_DECISION,
                i,
                f"Decide on extension option {i} ({option.months} months) and serve {option.notice} notice "
                f"before the contract ends on {current_end}",
                "commissioner",
                guards=current_end,
            )
        )
    for i, clause in enumerate(terms.breaks, start=1):
        date = clause.first_date
        if date > end and clause.on is not None:
            continue  # a fixed break after the current end only matters once extended
        who = "provider" if clause.party is Party.PROVIDER else "commissioner"
        kind = "from" if clause.rolling_from else "on"
        deadline = clause.notice.before(date, calendar)
        dates.append(
            KeyDate(
                deadline,
                KeyDateKind.BREAK_NOTICE_DEADLINE,
                i,
                f"Last day to serve {clause.notice} break notice ({clause.party.value}) "
                f"to end the contract {kind} {date}",
                who,
                guards=date,
            )
        )
        dates.append(
            KeyDate(date, KeyDateKind.BREAK_DATE, i, f"Break clause {i} can end the contract {kind} this day", who)
        )
    return dates


def _review_dates(terms: ContractTerms, end: dt.date) -> list[KeyDate]:
    dates = []
    schedule = terms.reviews
    annual = set()
    if schedule.annual:
        k = 1
        while (day := add_months(terms.start, 12 * k)) <= end:
            annual.add(day)
            dates.append(
                KeyDate(day, KeyDateKind.ANNUAL_REVIEW, k, f"Annual contract review (year {k})", "contract manager")
            )
            k += 1
    if schedule.quarterly:
        k = 1
        while (day := add_months(terms.start, 3 * k)) <= end:
            if day not in annual:
                dates.append(
                    KeyDate(
                        day,
                        KeyDateKind.QUARTERLY_MONITORING,
                        k,
                        f"Quarterly monitoring meeting (quarter {k})",
                        "contract manager",
                    )
                )
            k += 1
    if schedule.mid_term and terms.initial_term_months >= 2:
        day = add_months(terms.start, terms.initial_term_months // 2)
        if day <= end:
            dates.append(
                KeyDate(day, KeyDateKind.MID_TERM_REVIEW, 0, "Mid-term review of the initial term", "commissioner")
            )
    if schedule.pre_expiry_months:
        day = max(add_months(end, -schedule.pre_expiry_months), terms.start)
        dates.append(
            KeyDate(
                day,
                KeyDateKind.PRE_EXPIRY_DECISION,
                0,
                "Pre-expiry decision: continue, extend, recommission or decommission",
                "commissioner",
                guards=end,
            )
        )
    return dates


def _statutory_dates(terms: ContractTerms, statutory: WorkingDayCalendar, end: dt.date) -> list[KeyDate]:
    dates = []
    if terms.award_notice_on is not None:
        dates.append(
            KeyDate(
                statutory.last_of_working_days(terms.award_notice_on, 8),
                KeyDateKind.STANDSTILL_END,
                0,
                "Standstill ends (8 working days from the award notice); the contract may be signed after it",
                "procurement lead",
            )
        )
    if terms.signed_on is not None:
        dates.append(
            KeyDate(
                terms.signed_on + dt.timedelta(days=30),
                KeyDateKind.CONTRACT_DETAILS_NOTICE,
                0,
                "Publish the contract details notice (UK7) within 30 days of signing",
                "procurement lead",
            )
        )
    if terms.value.amount > PERFORMANCE_NOTICE_THRESHOLD.amount:
        k = 1
        while (day := add_months(terms.start, 12 * k)) <= end:
            dates.append(
                KeyDate(
                    day,
                    KeyDateKind.PERFORMANCE_NOTICE,
                    k,
                    f"Publish contract performance notice (UK9) for year {k}: contract over £5m",
                    "contract manager",
                )
            )
            k += 1
    if terms.ended_on is not None:
        dates.append(
            KeyDate(
                terms.ended_on + dt.timedelta(days=30),
                KeyDateKind.TERMINATION_NOTICE,
                0,
                "Publish the contract termination notice (UK11) within 30 days of the end",
                "procurement lead",
            )
        )
    return dates
