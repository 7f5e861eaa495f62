"""The checks on a contract's terms at both edges: the last day that passes and the first that does not.

The contract is Housing First (3+1+1 years from 1 April 2026; expiry 31 March 2029, maximum extent
31 March 2031) with one thing changed. Each pair says which side of the line is accepted.
"""

import datetime as dt
from decimal import Decimal

import pytest

from flows.common.calendars import working_day_calendar
from policies.calendars import Nation
from policies.contracts.clauses import BreakClause, ContractTerms, ExtensionOption, Party, validate_terms
from policies.contracts.notice import NoticePeriod, NoticeUnit
from policies.money import Money
from tests.unit.contracts.test_key_dates import HOUSING_FIRST

d = dt.date
ENG = working_day_calendar(Nation.ENGLAND_AND_WALES)
THREE_MONTHS = NoticePeriod(3, NoticeUnit.MONTHS)


def problems(**changes: object) -> list[str]:
    terms = ContractTerms(**{**HOUSING_FIRST.__dict__, **changes})  # type: ignore[arg-type]
    return [str(p) for p in validate_terms(terms, ENG)]


def a_break(on: dt.date, notice: NoticePeriod = THREE_MONTHS) -> tuple[BreakClause, ...]:
    return (BreakClause(notice, Party.AUTHORITY, on=on),)


def test_a_break_on_the_last_possible_day_is_valid_and_the_day_after_is_not() -> None:
    # The last possible day is the maximum extent, 31 March 2031 (every extension used).
    assert problems(breaks=a_break(d(2031, 3, 31))) == []
    [why] = problems(breaks=a_break(d(2031, 4, 1)))
    assert why.startswith("breaks[1]: the break date 2031-04-01 is outside the term (2026-04-01 to 2031-03-31")


def test_a_break_on_the_start_day_is_invalid_and_the_next_day_is_valid() -> None:
    # A break on the first day would end the contract before it began; one day in, on 1 day's notice,
    # the notice is served on the start day itself.
    [why] = problems(breaks=a_break(d(2026, 4, 1)))
    assert "is outside the term" in why
    assert problems(breaks=a_break(d(2026, 4, 2), NoticePeriod(1, NoticeUnit.DAYS))) == []


def test_a_rolling_break_is_checked_like_a_fixed_one() -> None:
    rolling = (BreakClause(THREE_MONTHS, Party.PROVIDER, rolling_from=d(2026, 4, 1)),)
    assert problems(breaks=rolling) == [
        "breaks[1]: the break date 2026-04-01 is outside the term (2026-04-01 to 2031-03-31, all extensions used)"
    ]


def test_break_notice_exactly_on_the_start_day_is_valid_a_day_earlier_is_not() -> None:
    # 3 months before 1 July 2026 is 1 April 2026, the start: the notice can just be served. For a break on
    # 30 June 2026 it would have to be served by 30 March 2026, before the start.
    assert problems(breaks=a_break(d(2026, 7, 1))) == []
    [why] = problems(breaks=a_break(d(2026, 6, 30)))
    assert why == (
        "breaks[1]: 3 months notice for a break on 2026-06-30 is longer than the time left: it would have to be "
        "served by 2026-03-30, before the contract starts on 2026-04-01"
    )


def test_a_later_break_is_still_checked_after_an_earlier_one_is_refused() -> None:
    both = (BreakClause(THREE_MONTHS, Party.AUTHORITY, on=d(2026, 4, 1)), *a_break(d(2026, 6, 30)))
    assert [p.split(":")[0] for p in problems(breaks=both)] == ["breaks[1]", "breaks[2]"]


def test_extension_notice_exactly_on_the_start_day_is_valid_a_day_longer_is_not() -> None:
    # A 3-month contract from 1 April 2026 ends on 30 June 2026; 90 days before it is 1 April 2026
    # (30 days back to 31 May, 61 to 30 April, 90 to 1 April). 91 days would reach 31 March.
    short = {"initial_term_months": 3, "breaks": (), "extensions_used": 0}
    assert problems(**short, extensions=(ExtensionOption(12, NoticePeriod(90, NoticeUnit.DAYS)),)) == []
    assert problems(**short, extensions=(ExtensionOption(12, NoticePeriod(91, NoticeUnit.DAYS)),)) == [
        "extensions[1]: 91 days notice before 2026-06-30 is longer than the time left"
    ]


def test_a_one_month_term_and_a_one_month_extension_are_valid_zero_months_are_not() -> None:
    one_month = ExtensionOption(1, NoticePeriod(1, NoticeUnit.DAYS))
    assert problems(initial_term_months=1, breaks=(), extensions=(one_month,)) == []
    assert problems(initial_term_months=0) == ["term: the initial term must be at least one month"]
    zero = ExtensionOption(0, NoticePeriod(1, NoticeUnit.DAYS))
    assert problems(initial_term_months=1, breaks=(), extensions=(one_month, zero)) == [
        "extensions[2]: an extension option must be at least one month"
    ]


@pytest.mark.parametrize(("used", "valid"), [(-1, False), (0, True), (2, True), (3, False)])
def test_extensions_used_from_none_to_all_offered(used: int, valid: bool) -> None:
    assert (problems(extensions_used=used) == []) is valid


def test_a_zero_value_contract_is_valid_a_penny_below_is_not() -> None:
    # A grant-funded pilot may be let at £0; -£0.01 is a typing slip.
    assert problems(value=Money(Decimal("0.00"))) == []
    assert problems(value=Money(Decimal("-0.01"))) == ["value: cannot be negative"]


def test_a_contract_may_end_on_its_first_day_but_not_before() -> None:
    assert problems(ended_on=d(2026, 4, 1)) == []
    assert problems(ended_on=d(2026, 3, 31)) == ["end: 2026-03-31 is before the start 2026-04-01"]


def test_problems_with_the_numbers_are_all_named_before_any_date_is_checked() -> None:
    # A negative value and too many extensions used: both named at once; the break on the start day is not
    # checked until the numbers are right.
    assert problems(value=Money(Decimal("-1")), extensions_used=3, breaks=a_break(d(2026, 4, 1))) == [
        "extensions_used: must be between 0 and 2",
        "value: cannot be negative",
    ]


def test_a_break_with_neither_date_does_not_stop_the_next_break_being_checked() -> None:
    neither = BreakClause(THREE_MONTHS, Party.AUTHORITY)
    assert problems(breaks=(neither, *a_break(d(2026, 4, 1)))) == [
        "breaks[1]: give either a fixed break date or a rolling-from date",
        "breaks[2]: the break date 2026-04-01 is outside the term (2026-04-01 to 2031-03-31, all extensions used)",
    ]


def test_a_second_options_notice_counts_back_from_the_end_of_the_first() -> None:
    # 1 month from 1 April 2026 (ends 30 April), then a 1-month option (to 31 May), then a year. The second
    # option is decided before 31 May: 60 days' notice reaches back to 1 April (31 days to 30 April, 29 more),
    # the start itself; 61 days would reach 31 March. Counted from 30 April, 60 days would reach 1 March.
    options = (
        ExtensionOption(1, NoticePeriod(1, NoticeUnit.DAYS)),
        ExtensionOption(12, NoticePeriod(60, NoticeUnit.DAYS)),
    )
    assert problems(initial_term_months=1, breaks=(), extensions=options) == []
    too_long = (options[0], ExtensionOption(12, NoticePeriod(61, NoticeUnit.DAYS)))
    assert problems(initial_term_months=1, breaks=(), extensions=too_long) == [
        "extensions[2]: 61 days notice before 2026-05-31 is longer than the time left"
    ]
