"""Dates are ISO and never guessed; a bare date is the start of that day in London."""

import datetime as dt
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policies.dates import add_months, local_date, parse_as_of, parse_iso_date, shown_instant

UTC = dt.UTC


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-01-15", dt.datetime(2026, 1, 15, 0, 0, tzinfo=UTC)),  # GMT
        ("2026-07-01", dt.datetime(2026, 6, 30, 23, 0, tzinfo=UTC)),  # BST
        ("2026-03-29", dt.datetime(2026, 3, 29, 0, 0, tzinfo=UTC)),  # clocks go forward at 01:00
        ("2026-10-25", dt.datetime(2026, 10, 24, 23, 0, tzinfo=UTC)),  # clocks go back at 02:00
        ("2026-07-01T09:00:00+01:00", dt.datetime(2026, 7, 1, 8, 0, tzinfo=UTC)),
        ("2026-07-01T09:00", dt.datetime(2026, 7, 1, 8, 0, tzinfo=UTC)),  # local time, BST
    ],
)
def test_as_of_is_an_instant_in_utc(text: str, expected: dt.datetime) -> None:
    instant, why = parse_as_of(text)
    assert why is None and instant == expected


@pytest.mark.parametrize("text", ["01/03/2026", "1 March 2026", "2026-02-29", "2026-13-01", "", "tomorrow"])
def test_ambiguous_or_impossible_dates_are_refused(text: str) -> None:
    instant, why = parse_as_of(text)
    assert instant is None and why is not None and "ISO" in why
    day, why = parse_iso_date(text)
    assert day is None and why is not None


def test_29_february_exists_in_a_leap_year() -> None:
    assert parse_iso_date("2028-02-29") == (dt.date(2028, 2, 29), None)


@pytest.mark.parametrize("text", ["0001-01-01", "1899-12-31", "2201-01-01", "9999-12-31", "99991231"])
def test_a_date_outside_the_years_1900_to_2200_is_refused(text: str) -> None:
    # Python holds them, but a quarter or a term counted from 9999-12-31 runs past the year 9999
    assert parse_iso_date(text) == (None, f"{text} is outside the years 1900-2200")


def test_the_first_and_last_days_of_the_years_allowed_are_dates() -> None:
    assert parse_iso_date("1900-01-01") == (dt.date(1900, 1, 1), None)
    assert parse_iso_date("2200-12-31") == (dt.date(2200, 12, 31), None)


def test_a_date_time_is_not_a_date() -> None:
    day, why = parse_iso_date("2026-03-31T10:00:00")
    assert day is None and why is not None


def test_the_local_date_of_a_late_evening_instant_in_summer_is_the_next_day() -> None:
    assert local_date(dt.datetime(2026, 6, 30, 23, 30, tzinfo=UTC)) == dt.date(2026, 7, 1)
    assert local_date(dt.datetime(2026, 12, 31, 23, 30, tzinfo=UTC)) == dt.date(2026, 12, 31)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("2026-03-29T01:30", "does not exist in Europe/London"),  # 01:00-02:00 is skipped
        ("2026-10-25T01:30", "happens twice in Europe/London"),  # 01:00-02:00 is repeated
    ],
)
def test_local_times_the_clocks_skip_or_repeat_are_refused(text: str, reason: str) -> None:
    instant, why = parse_as_of(text)
    assert instant is None and why is not None and reason in why


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-10-25T01:30+01:00", dt.datetime(2026, 10, 25, 0, 30, tzinfo=UTC)),  # the first 01:30 (BST)
        ("2026-10-25T01:30+00:00", dt.datetime(2026, 10, 25, 1, 30, tzinfo=UTC)),  # the second (GMT)
        ("2026-10-25T01:30Z", dt.datetime(2026, 10, 25, 1, 30, tzinfo=UTC)),
        ("2026-03-29T02:30", dt.datetime(2026, 3, 29, 1, 30, tzinfo=UTC)),  # just after the gap: BST
    ],
)
def test_an_offset_settles_a_repeated_hour(text: str, expected: dt.datetime) -> None:
    assert parse_as_of(text) == (expected, None)


# Thirty days hath September, April, June and November; all the rest have thirty-one, save February.
MONTH_ENDS_2026 = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]


@pytest.mark.parametrize("months", range(12), ids=[f"31 January + {m} months" for m in range(12)])
def test_a_month_from_the_31st_lands_on_each_months_last_day(months: int) -> None:
    # From 31 January 2026 each month ends on its own last day: 28 February, 31 March, 30 April, 31 May, ...
    assert add_months(dt.date(2026, 1, 31), months) == dt.date(2026, months + 1, MONTH_ENDS_2026[months])


@pytest.mark.parametrize("months", range(12), ids=[f"31 December 2026 - {12 - m} months" for m in range(12)])
def test_counting_back_from_the_31st_lands_on_each_months_last_day(months: int) -> None:
    # Back from 31 December 2026 to each month of 2026: 30 November, ..., 31 May, 30 April, ..., 31 January.
    assert add_months(dt.date(2026, 12, 31), months - 11) == dt.date(2026, months + 1, MONTH_ENDS_2026[months])


@pytest.mark.parametrize(
    ("anchor", "months", "expected"),
    [
        (dt.date(2027, 3, 31), -1, dt.date(2027, 2, 28)),  # 2027 is not a leap year
        (dt.date(2028, 3, 31), -1, dt.date(2028, 2, 29)),  # 2028 is
        (dt.date(2100, 1, 29), 1, dt.date(2100, 2, 28)),  # 2100 is not: a century not divisible by 400
        (dt.date(2000, 1, 30), 1, dt.date(2000, 2, 29)),  # 2000 was
        (dt.date(2026, 5, 28), 1, dt.date(2026, 6, 28)),  # the 28th exists in every month: nothing to clamp
        (dt.date(2026, 12, 15), 1, dt.date(2027, 1, 15)),  # over the year end
        (dt.date(2026, 1, 15), -1, dt.date(2025, 12, 15)),  # and back over it
    ],
)
def test_month_arithmetic_over_leap_years_and_year_ends(anchor: dt.date, months: int, expected: dt.date) -> None:
    assert add_months(anchor, months) == expected


def test_an_impossible_day_in_iso_form_says_which_part_is_wrong() -> None:
    # 30 February 2027: the form is right, the day is not; the reason says so rather than "not ISO".
    assert parse_iso_date("2027-02-30") == (None, "'2027-02-30' is not a date: day is out of range for month")


def test_the_iso_basic_form_of_a_date_is_read_as_that_date() -> None:
    # 20260331 is ISO 8601's basic form of 2026-03-31: unambiguous, so it is read, not refused.
    assert parse_iso_date("20260331") == (dt.date(2026, 3, 31), None)


def test_a_bare_date_whose_midnight_the_clocks_skip_is_the_first_moment_of_that_day() -> None:
    # Cuba's clocks go forward at midnight on 8 March 2026: the day begins at 01:00 CDT (UTC-4), 05:00 UTC.
    assert parse_as_of("2026-03-08", "America/Havana") == (dt.datetime(2026, 3, 8, 5, 0, tzinfo=UTC), None)


def test_an_instant_at_the_start_of_a_local_day_reads_as_that_date() -> None:
    # 23:00 UTC on 30 June 2026 is midnight BST on 1 July: a sentence says 2026-07-01.
    assert shown_instant(dt.datetime(2026, 6, 30, 23, 0, tzinfo=UTC)) == "2026-07-01"
    assert shown_instant(dt.datetime(2026, 12, 31, 0, 0, tzinfo=UTC)) == "2026-12-31"  # GMT: midnight is 00:00 UTC


def test_any_other_instant_reads_as_iso_to_the_minute() -> None:
    assert shown_instant(dt.datetime(2026, 7, 1, 8, 30, tzinfo=UTC)) == "2026-07-01T08:30+00:00"
    assert shown_instant(dt.datetime(2026, 6, 30, 23, 1, tzinfo=UTC)) == "2026-06-30T23:01+00:00"
    # A second or a microsecond past midnight is not the start of the day, though it reads the same minute.
    assert shown_instant(dt.datetime(2026, 6, 30, 23, 0, 1, tzinfo=UTC)) == "2026-06-30T23:00+00:00"
    assert shown_instant(dt.datetime(2026, 6, 30, 23, 0, 0, 1, tzinfo=UTC)) == "2026-06-30T23:00+00:00"


@pytest.mark.parametrize("text", ["2026-03", "2026", "2026-W10-1", "2026W101", "2026-060", "2026060", "2026-0331"])
def test_a_month_a_week_or_a_day_of_the_year_is_refused_not_guessed(text: str) -> None:
    # "2026-03" would have been read as 1 March 2026, and "2026-W10-1" as Monday 2 March: guesses either way.
    assert parse_iso_date(text) == (None, f"{text!r} is not a date in ISO form (YYYY-MM-DD, e.g. 2026-03-31)")


@pytest.mark.parametrize(
    ("anchor", "expected"),
    [
        (dt.date(2026, 4, 30), dt.date(2026, 5, 30)),  # 30 April + 1 month: May has 31 days, so the 30th stands
        (dt.date(2026, 4, 29), dt.date(2026, 5, 29)),
        (dt.date(2026, 3, 31), dt.date(2026, 4, 30)),  # 31 March + 1: April has 30
        (dt.date(2026, 7, 31), dt.date(2026, 8, 31)),  # July and August both have 31
        (dt.date(2026, 12, 31), dt.date(2027, 1, 31)),
        (dt.date(2026, 1, 30), dt.date(2026, 2, 28)),
        (dt.date(2027, 12, 31), dt.date(2028, 1, 31)),
    ],
)
def test_one_month_on_keeps_the_day_when_the_next_month_has_it(anchor: dt.date, expected: dt.date) -> None:
    assert add_months(anchor, 1) == expected


ZONES = ["Europe/London", "America/Havana", "Australia/Lord_Howe", "Asia/Kathmandu", "UTC"]
INSTANTS = st.datetimes(dt.datetime(1900, 1, 1), dt.datetime(2200, 12, 31))  # naive: the offset is drawn apart
OFFSETS = st.sampled_from(
    [None, dt.UTC, dt.timezone(dt.timedelta(hours=5, minutes=45)), dt.timezone(-dt.timedelta(hours=3))]
)


@settings(max_examples=300, deadline=None)
@given(INSTANTS, OFFSETS, st.sampled_from(ZONES))
def test_the_local_date_and_the_shown_instant_are_pendulums(naive: dt.datetime, offset: Any, zone: str) -> None:
    # They once asked pendulum; zoneinfo reads the same tz database, and a naive instant is UTC for both.
    import pendulum

    instant = naive if offset is None else naive.replace(tzinfo=offset)
    local = pendulum.instance(instant).in_timezone(zone)
    assert local_date(instant, zone) == dt.date(local.year, local.month, local.day)
    at_midnight = (local.hour, local.minute, local.second, local.microsecond) == (0, 0, 0, 0)
    assert shown_instant(instant, zone) == (
        local.date().isoformat() if at_midnight else instant.isoformat(timespec="minutes")
    )


def test_a_local_date_or_a_shown_instant_loads_no_pendulum() -> None:
    # A payment run and `commission show` need local dates, not pendulum's parser (about 17 ms of start-up).
    code = (
        "import sys, datetime as dt\n"
        "from policies.dates import local_date, shown_instant\n"
        "at = dt.datetime(2026, 6, 30, 23, 0, tzinfo=dt.UTC)\n"
        "assert (local_date(at), shown_instant(at)) == (dt.date(2026, 7, 1), '2026-07-01')\n"
        "print('pendulum' in sys.modules)\n"
    )
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root)
    assert done.stdout.strip() == "False"
