"""Worked key-date cases a commissioner would check by hand, one row each.

Bank holidays come from the real UK calendars (flows/common/calendars.py builds them
from the ``holidays`` package); every expected date here was worked out from
the calendar, not from the code.
"""

import datetime as dt
from decimal import Decimal

import pytest

from flows.common.calendars import working_day_calendar
from policies.calendars import Nation
from policies.contracts.clauses import (
    BreakClause,
    ContractTerms,
    ExtensionOption,
    Party,
    ReviewSchedule,
    expiry,
    max_extent,
    term_end,
    validate_terms,
)
from policies.contracts.key_dates import KeyDateKind, derive_key_dates
from policies.contracts.notice import NoticePeriod, NoticeUnit, parse_notice
from policies.dates import add_months
from policies.money import Money

d = dt.date
ENG = working_day_calendar(Nation.ENGLAND_AND_WALES)
SCT = working_day_calendar(Nation.SCOTLAND)
NIR = working_day_calendar(Nation.NORTHERN_IRELAND)
UK = working_day_calendar(Nation.UNITED_KINGDOM)
CALENDARS = {"eng": ENG, "sct": SCT, "nir": NIR, "uk": UK}


def notice(text: str) -> NoticePeriod:
    period, why = parse_notice(text)
    assert period is not None, why
    return period


# --------------------------------------------------------------------------- month arithmetic

MONTHS = [
    # (anchor, months, expected, why)
    (d(2026, 1, 31), 1, d(2026, 2, 28), "31 January + 1 month clamps to 28 February"),
    (d(2028, 1, 31), 1, d(2028, 2, 29), "in a leap year it clamps to 29 February"),
    (d(2026, 1, 31), 2, d(2026, 3, 31), "two months from the anchor, not one month twice (28 March)"),
    (d(2026, 6, 30), -3, d(2026, 3, 30), "3 months before 30 June is 30 March"),
    (d(2026, 5, 31), -3, d(2026, 2, 28), "3 months before 31 May clamps to 28 February"),
    (d(2028, 2, 29), 12, d(2029, 2, 28), "a year after 29 February 2028"),
    (d(2024, 2, 29), -12, d(2023, 2, 28), "a year before 29 February 2024"),
]


@pytest.mark.parametrize(("anchor", "months", "expected", "why"), MONTHS, ids=[m[3] for m in MONTHS])
def test_month_arithmetic(anchor: dt.date, months: int, expected: dt.date, why: str) -> None:
    assert add_months(anchor, months) == expected


TERMS = [
    (d(2026, 4, 1), 36, d(2029, 3, 31), "3 years from 1 April 2026"),
    (d(2026, 1, 31), 1, d(2026, 2, 28), "1 month from 31 January: no 31 February, so the month's last day"),
    (d(2028, 2, 29), 12, d(2029, 2, 28), "a year from 29 February 2028"),
    (d(2025, 8, 31), 6, d(2026, 2, 28), "6 months from 31 August"),
    (d(2026, 3, 1), 12, d(2027, 2, 28), "a year from 1 March 2026"),
    (d(2027, 3, 1), 12, d(2028, 2, 29), "a year from 1 March 2027 takes in 29 February 2028"),
]


@pytest.mark.parametrize(("start", "months", "expected", "why"), TERMS, ids=[t[3] for t in TERMS])
def test_term_end(start: dt.date, months: int, expected: dt.date, why: str) -> None:
    assert term_end(start, months) == expected


# --------------------------------------------------------------------------- notice periods

NOTICES = [
    ("3 months", d(2028, 3, 31), "eng", d(2027, 12, 31), "3 months before 31 March"),
    ("3 months", d(2027, 5, 31), "eng", d(2027, 2, 28), "3 months before 31 May 2027"),
    ("3 months", d(2028, 5, 31), "eng", d(2028, 2, 29), "3 months before 31 May 2028 (leap)"),
    ("12 weeks", d(2029, 3, 31), "eng", d(2029, 1, 6), "12 weeks = 84 days before expiry"),
    ("90 days", d(2029, 3, 31), "eng", d(2028, 12, 31), "90 calendar days"),
    ("5 working days", d(2026, 1, 5), "eng", d(2025, 12, 24), "over Christmas and New Year, England"),
    ("5 working days", d(2026, 1, 5), "nir", d(2025, 12, 24), "Northern Ireland: as England at Christmas"),
    ("5 working days", d(2026, 1, 5), "sct", d(2025, 12, 23), "Scotland: 2 January is a bank holiday too"),
    ("5 working days", d(2026, 1, 5), "uk", d(2025, 12, 23), "any part of the UK: the union"),
    ("3 working days", d(2026, 4, 8), "eng", d(2026, 4, 1), "Easter 2026, England: Good Friday and Easter Monday"),
    ("3 working days", d(2026, 4, 8), "nir", d(2026, 4, 1), "Easter 2026, Northern Ireland"),
    ("3 working days", d(2026, 4, 8), "sct", d(2026, 4, 2), "Easter 2026, Scotland: Easter Monday is worked"),
    ("10 working days", d(2027, 1, 4), "eng", d(2026, 12, 16), "Boxing Day 2026 observed on Monday 28 December"),
]


@pytest.mark.parametrize(("text", "event", "nation", "expected", "why"), NOTICES, ids=[n[4] for n in NOTICES])
def test_notice_deadlines(text: str, event: dt.date, nation: str, expected: dt.date, why: str) -> None:
    assert notice(text).before(event, CALENDARS[nation]) == expected


WORKING_DAYS_AFTER = [
    (d(2026, 12, 24), "eng", d(2026, 12, 29), "Christmas Day, then Boxing Day observed on Monday 28 December"),
    (d(2027, 12, 31), "eng", d(2028, 1, 4), "New Year's Day 2028 is a Saturday: substitute Monday 3 January"),
    (d(2027, 12, 31), "sct", d(2028, 1, 5), "Scotland: 2 January 2028 is a Sunday: substitute Tuesday 4th"),
    (d(2025, 11, 28), "sct", d(2025, 12, 2), "St Andrew's Day 2025 is a Sunday: substitute Monday 1 December"),
    (d(2025, 11, 28), "eng", d(2025, 12, 1), "no St Andrew's Day in England"),
    (d(2026, 7, 10), "nir", d(2026, 7, 14), "12 July 2026 is a Sunday: substitute Monday 13 July in NI"),
    (d(2026, 7, 10), "eng", d(2026, 7, 13), "no Twelfth in England"),
]


@pytest.mark.parametrize(
    ("start", "nation", "expected", "why"), WORKING_DAYS_AFTER, ids=[w[3] for w in WORKING_DAYS_AFTER]
)
def test_substitute_bank_holidays(start: dt.date, nation: str, expected: dt.date, why: str) -> None:
    assert CALENDARS[nation].working_days_after(start, 1) == expected


def test_the_summer_bank_holiday_differs_between_scotland_and_england() -> None:
    assert (SCT.is_working_day(d(2026, 8, 3)), ENG.is_working_day(d(2026, 8, 3))) == (False, True)
    assert (SCT.is_working_day(d(2026, 8, 31)), ENG.is_working_day(d(2026, 8, 31))) == (True, False)


STANDSTILL = [
    (d(2025, 12, 18), d(2025, 12, 31), "DOMAIN.md: 18, 19, 22, 23, 24, 29, 30, 31 December"),
    (d(2026, 1, 3), d(2026, 1, 14), "a Saturday notice: the period begins on Monday 5 January"),
    (d(2026, 4, 2), d(2026, 4, 15), "over Easter 2026: Good Friday and Easter Monday do not count"),
]


@pytest.mark.parametrize(("notice_on", "expected", "why"), STANDSTILL, ids=[s[2] for s in STANDSTILL])
def test_standstill_is_8_working_days_beginning_with_the_notice(
    notice_on: dt.date, expected: dt.date, why: str
) -> None:
    assert UK.last_of_working_days(notice_on, 8) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3 months", (3, NoticeUnit.MONTHS)),
        ("1 month", (1, NoticeUnit.MONTHS)),
        ("12 Weeks", (12, NoticeUnit.WEEKS)),
        ("30 days", (30, NoticeUnit.DAYS)),
        ("10 working days", (10, NoticeUnit.WORKING_DAYS)),
        ("8 working-days", (8, NoticeUnit.WORKING_DAYS)),
    ],
)
def test_notice_periods_parse(text: str, expected: tuple[int, NoticeUnit]) -> None:
    period = notice(text)
    assert (period.amount, period.unit) == expected


@pytest.mark.parametrize("text", ["three months", "3 fortnights", "0 days", "-2 weeks", ""])
def test_bad_notice_periods_are_refused(text: str) -> None:
    period, why = parse_notice(text)
    assert period is None and why is not None


# --------------------------------------------------------------------------- whole contracts

MILLION = Money(Decimal("1000000"))
HOUSING_FIRST = ContractTerms(
    ref="HF-2026-01",
    start=d(2026, 4, 1),
    initial_term_months=36,
    value=MILLION,
    extensions=(ExtensionOption(12, notice("12 weeks")), ExtensionOption(12, notice("12 weeks"))),
    breaks=(BreakClause(notice("3 months"), Party.AUTHORITY, on=d(2028, 3, 31)),),
)


def dates_of(terms: ContractTerms, kind: KeyDateKind, calendar=ENG) -> list[dt.date]:  # type: ignore[no-untyped-def]
    return [k.on for k in derive_key_dates(terms, calendar, UK) if k.kind is kind]


def test_a_3_plus_1_plus_1_contract_with_a_break() -> None:
    assert (expiry(HOUSING_FIRST), max_extent(HOUSING_FIRST)) == (d(2029, 3, 31), d(2031, 3, 31))
    assert dates_of(HOUSING_FIRST, KeyDateKind.BREAK_NOTICE_DEADLINE) == [d(2027, 12, 31)]
    assert dates_of(HOUSING_FIRST, KeyDateKind.EXTENSION_DECISION) == [d(2029, 1, 6), d(2030, 1, 6)]
    assert dates_of(HOUSING_FIRST, KeyDateKind.RECOMMISSIONING_START) == [d(2027, 9, 30)]
    assert dates_of(HOUSING_FIRST, KeyDateKind.MID_TERM_REVIEW) == [d(2027, 10, 1)]
    assert dates_of(HOUSING_FIRST, KeyDateKind.PRE_EXPIRY_DECISION) == [d(2028, 9, 30)]


def test_after_using_the_first_extension_only_the_second_decision_remains() -> None:
    extended = ContractTerms(**{**HOUSING_FIRST.__dict__, "extensions_used": 1})
    assert expiry(extended) == d(2030, 3, 31)
    assert dates_of(extended, KeyDateKind.EXTENSION_DECISION) == [d(2030, 1, 6)]
    assert dates_of(extended, KeyDateKind.RECOMMISSIONING_START) == [d(2028, 9, 30)]


def test_a_rolling_break_for_the_provider_on_6_months_notice() -> None:
    terms = ContractTerms(
        ref="R",
        start=d(2026, 4, 1),
        initial_term_months=60,
        value=MILLION,
        breaks=(BreakClause(notice("6 months"), Party.PROVIDER, rolling_from=d(2027, 4, 1)),),
    )
    [deadline] = [k for k in derive_key_dates(terms, ENG, UK) if k.kind is KeyDateKind.BREAK_NOTICE_DEADLINE]
    assert (deadline.on, deadline.who, deadline.guards) == (d(2026, 10, 1), "provider", d(2027, 4, 1))
    assert "from 2027-04-01" in deadline.action


def test_a_break_on_working_days_notice_across_christmas() -> None:
    terms = ContractTerms(
        ref="W",
        start=d(2026, 4, 1),
        initial_term_months=24,
        value=MILLION,
        breaks=(BreakClause(notice("10 working days"), Party.EITHER, on=d(2027, 1, 4)),),
    )
    assert dates_of(terms, KeyDateKind.BREAK_NOTICE_DEADLINE) == [d(2026, 12, 16)]


def test_reviews_count_from_the_anchor_at_month_ends() -> None:
    terms = ContractTerms(
        ref="Q",
        start=d(2026, 1, 31),
        initial_term_months=12,
        value=MILLION,
        reviews=ReviewSchedule(quarterly=True, annual=True, mid_term=False, pre_expiry_months=None),
    )
    assert dates_of(terms, KeyDateKind.QUARTERLY_MONITORING) == [d(2026, 4, 30), d(2026, 7, 31), d(2026, 10, 31)]
    assert dates_of(terms, KeyDateKind.ANNUAL_REVIEW) == []  # 31 January 2027 is after the end, 31 January's eve
    assert expiry(terms) == d(2027, 1, 30)


@pytest.mark.parametrize(
    ("value", "expected"), [("5000000.00", []), ("5000000.01", [d(2027, 4, 1), d(2028, 4, 1), d(2029, 3, 31)])]
)
def test_performance_notices_over_5_million_without_kpis_named(value: str, expected: list[dt.date]) -> None:
    # Over £5m, s.52 requires KPIs, so the UK9s are due even before they are named: yearly from the start;
    # the third year's anniversary, 1 April 2029, is after the last day, so its notice is due by 31 March 2029.
    terms = ContractTerms(ref="P", start=d(2026, 4, 1), initial_term_months=36, value=Money(Decimal(value)))
    assert dates_of(terms, KeyDateKind.PERFORMANCE_NOTICE) == expected


def test_statutory_notices_after_award_signature_and_termination() -> None:
    terms = ContractTerms(
        ref="S",
        start=d(2026, 4, 1),
        initial_term_months=36,
        value=MILLION,
        award_notice_on=d(2025, 12, 18),
        signed_on=d(2026, 3, 2),
        ended_on=d(2028, 3, 31),
    )
    assert dates_of(terms, KeyDateKind.STANDSTILL_END) == [d(2025, 12, 31)]
    assert dates_of(terms, KeyDateKind.CONTRACT_DETAILS_NOTICE) == [d(2026, 4, 1)]
    assert dates_of(terms, KeyDateKind.TERMINATION_NOTICE) == [d(2028, 4, 30)]
    assert dates_of(terms, KeyDateKind.EXPIRY) == [d(2028, 3, 31)]
    assert dates_of(terms, KeyDateKind.EXTENSION_DECISION) == []


def test_a_lead_time_longer_than_the_contract_starts_recommissioning_at_once() -> None:
    terms = ContractTerms(ref="L", start=d(2026, 4, 1), initial_term_months=12, value=MILLION)
    [start] = [k for k in derive_key_dates(terms, ENG, UK) if k.kind is KeyDateKind.RECOMMISSIONING_START]
    assert start.on == d(2026, 4, 1) and "start now" in start.action


def test_every_key_date_says_what_to_do_and_who_does_it() -> None:
    for key_date in derive_key_dates(HOUSING_FIRST, ENG, UK):
        assert key_date.action and key_date.who
    keys = [k.key for k in derive_key_dates(HOUSING_FIRST, ENG, UK)]
    assert len(keys) == len(set(keys)), "keys identify a key date within its contract"


# --------------------------------------------------------------------------- bad terms


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        (
            {"breaks": (BreakClause(notice("3 months"), Party.AUTHORITY, on=d(2032, 1, 1)),)},
            "breaks[1]",
            "is outside the term",
        ),
        (
            {"breaks": (BreakClause(notice("3 months"), Party.AUTHORITY, on=d(2026, 3, 1)),)},
            "breaks[1]",
            "is outside the term",
        ),
        (
            {"breaks": (BreakClause(notice("6 months"), Party.AUTHORITY, on=d(2026, 6, 30)),)},
            "breaks[1]",
            "is longer than the time left",
        ),
        ({"ended_on": d(2026, 3, 1)}, "end", "is before the start"),
        ({"initial_term_months": 0}, "term", "at least one month"),
        ({"extensions_used": 3}, "extensions_used", "between 0 and 2"),
    ],
)
def test_bad_terms_are_named_with_a_reason(changes: dict[str, object], field: str, reason: str) -> None:
    terms = ContractTerms(**{**HOUSING_FIRST.__dict__, **changes})  # type: ignore[arg-type]
    problems = validate_terms(terms, ENG)
    assert [p.field for p in problems] == [field]
    assert reason in problems[0].reason


@pytest.mark.parametrize(
    ("stored", "day", "expected"),
    [
        ("active", d(2026, 3, 31), "pending"),  # the day before the start
        ("pending", d(2026, 4, 1), "active"),  # the start date arrives
        ("active", d(2029, 3, 31), "active"),  # the last day
        ("active", d(2029, 4, 1), "expired"),  # the day after
        ("in_notice", d(2027, 1, 1), "in_notice"),
        ("terminated", d(2027, 1, 1), "terminated"),
    ],
)
def test_status_follows_the_dates_unless_recorded(stored: str, day: dt.date, expected: str) -> None:
    from policies.contracts.status import ContractStatus, status_on

    assert status_on(HOUSING_FIRST, ContractStatus(stored), day).value == expected
