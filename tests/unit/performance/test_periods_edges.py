"""Reading and notice periods at the edges: January and December, one-day ranges, first and last days of life."""

import datetime as dt

import pytest

from policies.performance.kpis import Frequency
from policies.performance.periods import (
    Period,
    check_in_life,
    check_over,
    parse_notice_period,
    parse_period,
    period_due_by,
    uk9_next_due,
)

D = dt.date


def test_a_period_knows_its_frequency_from_its_label() -> None:
    assert Period(D(2026, 4, 1), D(2026, 6, 30), "2026-Q2").frequency is Frequency.QUARTERLY
    assert Period(D(2026, 4, 1), D(2026, 4, 30), "2026-04").frequency is Frequency.MONTHLY
    assert Period(D(2026, 1, 1), D(2026, 12, 31), "2026").frequency is None


def test_january_and_december_are_months_and_00_and_13_are_not() -> None:
    assert parse_period("2026-01") == (Period(D(2026, 1, 1), D(2026, 1, 31), "2026-01"), None)
    assert parse_period("2026-12") == (Period(D(2026, 12, 1), D(2026, 12, 31), "2026-12"), None)
    assert parse_period("2026-00") == (None, "'2026-00': month 0 is not 1 to 12")
    assert parse_period("2026-13") == (None, "'2026-13': month 13 is not 1 to 12")


def test_a_calendar_year_notice_runs_1_january_to_31_december() -> None:
    assert parse_notice_period("2026") == (Period(D(2026, 1, 1), D(2026, 12, 31), "2026"), None)


def test_a_notice_may_cover_a_single_day_but_not_end_before_it_begins() -> None:
    # A contract terminated on 30 September 2026, its last notice covering that day alone.
    one_day = Period(D(2026, 9, 30), D(2026, 9, 30), "2026-09-30..2026-09-30")
    assert parse_notice_period("2026-09-30..2026-09-30") == (one_day, None)
    assert parse_notice_period("2026-09-30..2026-09-29") == (None, "'2026-09-30..2026-09-29' ends before it begins")


def test_a_notice_period_may_be_a_quarter_or_a_month_and_nothing_else() -> None:
    assert parse_notice_period("2026-Q2") == (Period(D(2026, 4, 1), D(2026, 6, 30), "2026-Q2"), None)
    assert parse_notice_period("2026-04") == (Period(D(2026, 4, 1), D(2026, 4, 30), "2026-04"), None)
    assert parse_notice_period("spring 2026") == (
        None,
        "'spring 2026' is not a period; write 2026-Q2, 2026-04, 2026 or 2025-04-01..2026-03-31",
    )


def test_a_period_touching_the_contract_life_by_one_day_is_in_it() -> None:
    # Contract 1 April 2025 to 31 March 2027.
    start, last = D(2025, 4, 1), D(2027, 3, 31)
    # March 2025 ends the day before the start: out. A period ending on the start day: in.
    march, _ = parse_period("2025-03")
    assert march is not None
    assert check_in_life(march, start, last) == "2025-03 ends before the contract starts (2025-04-01)"
    assert check_in_life(Period(D(2025, 3, 2), start, "x"), start, last) is None
    # A period beginning on the last day: in.
    assert check_in_life(Period(last, D(2027, 4, 30), "y"), start, last) is None
    april, _ = parse_period("2027-04")
    assert april is not None
    assert check_in_life(april, start, last) == ("2027-04 begins after the contract's last possible day (2027-03-31)")
    q1, _ = parse_period("2027-Q1")
    assert q1 is not None
    assert check_in_life(q1, start, last) is None


def test_a_reading_waits_until_its_period_is_over() -> None:
    # 2026-Q4 ends on Thursday 31 December 2026: refused on 7 December (inside it) and on 30 December, taken
    # from the 31st (its as-of date is not after its end). 2027-Q1, not begun on 7 December, is refused too.
    q4, _ = parse_period("2026-Q4")
    q1, _ = parse_period("2027-Q1")
    assert q4 is not None and q1 is not None
    assert check_over(q4, D(2026, 12, 7)) == (
        "2026-Q4 ends on 2026-12-31, after the as-of date 2026-12-07: record it once the period is over"
    )
    assert check_over(q4, D(2026, 12, 30)) is not None
    assert check_over(q4, D(2026, 12, 31)) is None
    assert check_over(q4, D(2027, 1, 1)) is None
    assert check_over(q1, D(2026, 12, 7)) == (
        "2027-Q1 ends on 2027-03-31, after the as-of date 2026-12-07: record it once the period is over"
    )
    november, _ = parse_period("2026-11")
    assert november is not None and check_over(november, D(2026, 11, 30)) is None
    assert check_over(november, D(2026, 11, 29)) is not None


def test_the_uk9_clock_runs_from_the_start_when_a_notice_covered_only_days_before_it() -> None:
    # Contract from 1 April 2025; a notice covering up to 31 March 2025 (before the start) does not move the clock.
    assert uk9_next_due(D(2025, 4, 1), D(2025, 3, 31)) == D(2026, 4, 1)
    assert uk9_next_due(D(2025, 4, 1), D(2025, 4, 2)) == D(2026, 4, 2)


def test_a_monitoring_meeting_looks_at_the_whole_last_month() -> None:
    # Meeting on 15 March 2027 (or on 1 March): February 2027, 1st to 28th.
    february = Period(D(2027, 2, 1), D(2027, 2, 28), "2027-02")
    assert period_due_by(D(2027, 3, 15), Frequency.MONTHLY) == february
    assert period_due_by(D(2027, 3, 1), Frequency.MONTHLY) == february


def test_a_monitoring_meeting_looks_at_the_whole_last_quarter() -> None:
    # Meetings on 15 May 2027 and 31 December 2026 (the last day of a quarter's last month).
    assert period_due_by(D(2027, 5, 15), Frequency.QUARTERLY) == Period(D(2027, 1, 1), D(2027, 3, 31), "2027-Q1")
    assert period_due_by(D(2026, 12, 31), Frequency.QUARTERLY) == Period(D(2026, 7, 1), D(2026, 9, 30), "2026-Q3")
    assert period_due_by(D(2027, 3, 2), Frequency.QUARTERLY) == Period(D(2026, 10, 1), D(2026, 12, 31), "2026-Q4")
    assert period_due_by(D(2026, 8, 20), Frequency.QUARTERLY) == Period(D(2026, 4, 1), D(2026, 6, 30), "2026-Q2")


@pytest.mark.parametrize("text", ["0000-Q1", "1899-12", "2201-01", "9999-Q4", "0000-01"])
def test_a_reading_period_outside_the_years_1900_to_2200_is_refused_as_a_date_is(text: str) -> None:
    """The hostile trial's case: 0000-Q1 raised ValueError (no year 0) and 9999-Q4 ran past the last date."""
    assert parse_period(text) == (None, f"{text!r} is outside the years 1900-2200")
    assert parse_notice_period(text) == (None, f"{text!r} is outside the years 1900-2200")


@pytest.mark.parametrize("text", ["0000", "1899", "2201", "9999", "1899-12-01..1900-01-31", "2200-12-01..2201-01-31"])
def test_a_notice_period_outside_the_years_1900_to_2200_is_refused(text: str) -> None:
    assert parse_notice_period(text) == (None, f"{text!r} is outside the years 1900-2200")


def test_the_first_and_last_years_are_taken() -> None:
    assert parse_period("1900-01") == (Period(D(1900, 1, 1), D(1900, 1, 31), "1900-01"), None)
    assert parse_period("2200-Q4") == (Period(D(2200, 10, 1), D(2200, 12, 31), "2200-Q4"), None)
    assert parse_notice_period("2200") == (Period(D(2200, 1, 1), D(2200, 12, 31), "2200"), None)
