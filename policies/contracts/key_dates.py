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
  signing; contracts over £5m need a performance notice every 12 months; a
  termination notice is due within 30 days of the end.

Worked example: "Housing First 18-24", 3+1+1 years from 1 April 2026, break
at 31 March 2028 on 3 months' notice by the authority, extension notice 12
weeks. Expiry 31 March 2029; maximum extent 31 March 2031; break notice
deadline 31 December 2027; first extension decision due 6 January 2029 (84
days before expiry); recommissioning starts 30 September 2027.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from policies.calendars import WorkingDayCalendar
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
