"""Key dates: every decision date a contract's terms imply, correct to the day.

Rules (the term, its expiry and maximum extent are in ``policies.contracts.clauses``;
how a notice period counts back from a date, in ``policies.contracts.notice``):
- The expiry and the maximum extent are key dates themselves; once a contract
  has ended early only its end counts, not the options or breaks.
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
  signing; a termination notice is due within 30 days of the end.
- Contract performance notices (UK9, Procurement Act 2023 s.71): a contract
  with KPIs needs one for each 12 months from its start and one on
  termination. Year k (from the start plus 12(k-1) months) has its notice due
  on its anniversary (the start plus 12k months), or on the contract's last
  day if the contract ends first: the day it ended early (a break; this is
  the notice on termination) or its expiry. Each year's key date
  (``performance_notice:k``) is satisfied by its own published notice, never
  by another year's. A contract over £5m counts as having KPIs (s.52 requires
  at least three) unless a statutory exemption is recorded: an exempt
  contract with no KPIs (a framework, a concession, a light-touch contract,
  or performance that cannot be assessed by KPIs) has nothing to rate, so no
  UK9 is due; an exempt contract that has KPIs all the same has them rated.
  A decommissioning decision ends nothing by itself: the contract runs to its
  expiry, or to a break.

Worked example: "Housing First 18-24", 3+1+1 years from 1 April 2026, break
at 31 March 2028 on 3 months' notice by the authority, extension notice 12
weeks. Expiry 31 March 2029; maximum extent 31 March 2031; break notice
deadline 31 December 2027; first extension decision due 6 January 2029 (84
days before expiry); recommissioning starts 30 September 2027.

Worked example (UK9): a £900,000 contract of 3 years from 1 April 2024
(expiry 31 March 2027) with 3 KPIs has UK9 notices due 1 April 2025 (year
1), 1 April 2026 (year 2) and 31 March 2027 (year 3, at its end); without
KPIs, none. Broken to end on 30 September 2025, it has year 1 on 1 April 2025
and year 2 on termination, 30 September 2025.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from policies.calendars import DaysUnknown, WorkingDayCalendar
from policies.contracts.clauses import ContractTerms, Party, expiry, max_extent, option_end
from policies.dates import add_months
from policies.money import Money

PERFORMANCE_NOTICE_THRESHOLD = Money(Decimal("5000000"))


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
    BREACH_NOTICE = "breach_notice"  # recorded with a breach (flows/performance), not derived from the terms


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
        current_end = option_end(terms, i - 1)
        try:
            deadline = option.notice.before(current_end, calendar)
        except DaysUnknown as exc:
            raise exc.needed_by(f"extension option {i}'s {option.notice} notice before {current_end}") from None
        dates.append(
            KeyDate(
                deadline,
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
        try:
            deadline = clause.notice.before(date, calendar)
        except DaysUnknown as exc:
            raise exc.needed_by(f"break {i}'s {clause.notice} notice before {date}") from None
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


def performance_notices_due(terms: ContractTerms) -> bool:
    """Whether UK9 contract performance notices are due: the contract has KPIs, or is over £5m (where
    s.52 requires them) with no exemption recorded."""
    over = terms.value.amount > PERFORMANCE_NOTICE_THRESHOLD.amount
    return terms.kpis > 0 or (over and not terms.kpi_exempt)


def _performance_notices(terms: ContractTerms, end: dt.date) -> list[KeyDate]:
    """A UK9 for each year of the contract's life that begins before its last day: due on the year's
    anniversary, or on the last day if the contract ends first (on termination, or at expiry). A contract
    whose last day is an anniversary has that year's notice on it, and no second one for a year of one day."""
    dates = []
    k = 1
    while (begins := add_months(terms.start, 12 * (k - 1))) < end:  # a year begun on the last day is the last's
        anniversary = add_months(terms.start, 12 * k)
        day = min(anniversary, end)
        if day < anniversary and terms.ended_on is not None:
            why = f"on termination (ended {terms.ended_on}), year {k} from {begins}"
        elif day < anniversary:
            why = f"for year {k} from {begins}, the last: due by the contract's end"
        else:
            why = f"for year {k} from {begins}"
        dates.append(
            KeyDate(
                day,
                KeyDateKind.PERFORMANCE_NOTICE,
                k,
                f"Publish the contract performance notice (UK9) {why}: each KPI rated",
                "contract manager",
            )
        )
        k += 1
    return dates


def _statutory_dates(terms: ContractTerms, statutory: WorkingDayCalendar, end: dt.date) -> list[KeyDate]:
    dates = []
    if terms.award_notice_on is not None:
        try:
            standstill_end = statutory.last_of_working_days(terms.award_notice_on, 8)
        except DaysUnknown as exc:
            field = f"the standstill of 8 working days from award_notice_on {terms.award_notice_on}"
            raise exc.needed_by(field) from None
        dates.append(
            KeyDate(
                standstill_end,
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
    if performance_notices_due(terms):
        dates += _performance_notices(terms, end)
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
