"""Dates are ISO and never guessed; a bare date is the start of that day in London."""

import datetime as dt

import pytest

from policies.dates import local_date, parse_as_of, parse_iso_date

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
