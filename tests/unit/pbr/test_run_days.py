"""Per-contract payment-run days: the Nth working day after a period ends, on England and Wales' bank holidays
(written out here from gov.uk's list, so the rule is tested on its own)."""

import datetime as dt

import pytest

from policies.calendars import calendar_from
from policies.pbr.payments import Period, parse_period
from policies.pbr.ratecard import Frequency
from policies.pbr.run_days import (
    RunDay,
    RunSchedule,
    parse_run_schedule,
    period_to_pay,
    periods_paid_on,
    run_day,
    run_days,
    run_days_missed,
)

D = dt.date
EW = calendar_from(
    "England and Wales",
    [
        D(2025, 1, 1), D(2025, 4, 18), D(2025, 4, 21), D(2025, 5, 5), D(2025, 5, 26), D(2025, 8, 25),
        D(2025, 12, 25), D(2025, 12, 26),
        D(2026, 1, 1), D(2026, 4, 3), D(2026, 4, 6), D(2026, 5, 4), D(2026, 5, 25), D(2026, 8, 31),
        D(2026, 12, 25), D(2026, 12, 28),  # Boxing Day is a Saturday: the Monday after instead
        D(2027, 1, 1), D(2027, 3, 26), D(2027, 3, 29),
    ],
    range(2025, 2028),
)  # fmt: skip
FIFTH = RunSchedule(Frequency.QUARTERLY, 5)


def quarter(label: str) -> Period:
    period, problem = parse_period(label, Frequency.QUARTERLY)
    assert period is not None and problem is None
    return period


@pytest.mark.parametrize(
    ("label", "day"),
    [
        # Ends Tue 31 Mar: 1, 2 Apr; Good Friday 3 and Easter Monday 6 Apr skipped; 7, 8, 9 Apr.
        ("2026-Q1", D(2026, 4, 9)),
        # Ends Tue 30 Jun: Wed 1, Thu 2, Fri 3, Mon 6, Tue 7 July.
        ("2026-Q2", D(2026, 7, 7)),
        # Ends Wed 30 Sep: Thu 1, Fri 2, Mon 5, Tue 6, Wed 7 October.
        ("2026-Q3", D(2026, 10, 7)),
        # Ends Wed 31 Dec 2025: New Year's Day skipped; Fri 2, Mon 5, Tue 6, Wed 7, Thu 8 January.
        ("2025-Q4", D(2026, 1, 8)),
        # Ends Thu 31 Dec 2026: Fri 1 January a holiday, then the weekend; Mon 4 to Fri 8 January 2027.
        ("2026-Q4", D(2027, 1, 8)),
    ],
)
def test_the_fifth_working_day_after_the_quarter_ends(label: str, day: dt.date) -> None:
    assert run_day(quarter(label), FIFTH, EW) == day


def test_the_next_run_days_each_with_the_period_it_pays() -> None:
    # On 8 April 2026 Q1's run (9 April) is still to come.
    assert [(r.period.label, r.day) for r in run_days(D(2026, 4, 8), 3, FIFTH, EW)] == [
        ("2026-Q1", D(2026, 4, 9)),
        ("2026-Q2", D(2026, 7, 7)),
        ("2026-Q3", D(2026, 10, 7)),
    ]
    # On its day it is no longer "next": the following quarter's is.
    assert [r.period.label for r in run_days(D(2026, 4, 9), 2, FIFTH, EW)] == ["2026-Q2", "2026-Q3"]
    with pytest.raises(ValueError, match="at least one"):
        run_days(D(2026, 4, 9), 0, FIFTH, EW)


def test_monthly_on_the_third_working_day() -> None:
    schedule, _ = parse_run_schedule("monthly, working day 3")
    assert schedule == RunSchedule(Frequency.MONTHLY, 3)
    # May 2026 ends Sun 31 May: Mon 1, Tue 2, Wed 3 June. August ends on its bank holiday, Mon 31 August:
    # Tue 1, Wed 2, Thu 3 September.
    assert [(r.period.label, r.day) for r in run_days(D(2026, 5, 20), 4, schedule, EW)] == [
        ("2026-05", D(2026, 6, 3)),
        ("2026-06", D(2026, 7, 3)),
        ("2026-07", D(2026, 8, 5)),  # ends Fri 31 July: Mon 3, Tue 4, Wed 5 August
        ("2026-08", D(2026, 9, 3)),
    ]


def test_a_run_day_pays_the_period_that_ended_before_it() -> None:
    assert period_to_pay(D(2026, 4, 9), Frequency.QUARTERLY).label == "2026-Q1"
    assert period_to_pay(D(2026, 1, 8), Frequency.QUARTERLY).label == "2025-Q4"
    assert period_to_pay(D(2026, 6, 3), Frequency.MONTHLY).label == "2026-05"


def test_the_daily_check_finds_a_period_only_on_its_run_day() -> None:
    # 2026-Q1's fifth working day is Thursday 9 April (after Easter); the day before and after pay nothing.
    assert [p.label for p in periods_paid_on(D(2026, 4, 9), FIFTH, EW)] == ["2026-Q1"]
    assert periods_paid_on(D(2026, 4, 8), FIFTH, EW) == []
    assert periods_paid_on(D(2026, 4, 10), FIFTH, EW) == []
    # Easter Monday is nobody's run day: a holiday is never counted, so never the Nth day.
    assert periods_paid_on(D(2026, 4, 6), FIFTH, EW) == []
    # Every day of 2026 asked once: exactly the four quarters' run days (7 Jul, 7 Oct and 8 Jan 2026 for
    # 2025-Q4 among them), each once.
    days = [D(2026, 1, 1) + dt.timedelta(days=n) for n in range(365)]
    found = [(day, p.label) for day in days for p in periods_paid_on(day, FIFTH, EW)]
    assert found == [
        (D(2026, 1, 8), "2025-Q4"),
        (D(2026, 4, 9), "2026-Q1"),
        (D(2026, 7, 7), "2026-Q2"),
        (D(2026, 10, 7), "2026-Q3"),
    ]


def test_a_run_day_missed_is_found_for_seven_days_after_it_and_not_on_the_day_itself() -> None:
    # 2026-Q1 is paid on Thursday 9 April 2026. On the day it is today's run (periods_paid_on), not a missed one.
    q1 = RunDay(period_to_pay(D(2026, 4, 9), Frequency.QUARTERLY), D(2026, 4, 9))  # 2026-Q1
    assert run_days_missed(D(2026, 4, 9), FIFTH, EW) == []
    assert run_days_missed(D(2026, 4, 10), FIFTH, EW) == [q1]  # the scheduler was down on the 9th
    assert run_days_missed(D(2026, 4, 13), FIFTH, EW) == [q1]  # Monday: down over the weekend too
    assert run_days_missed(D(2026, 4, 16), FIFTH, EW) == [q1]  # seven days after: the last day it is caught up
    assert run_days_missed(D(2026, 4, 17), FIFTH, EW) == []  # eight days after: `commission pay` by hand
    # Every day of 2026: each quarter's run day is missed-and-found on exactly the seven days after it.
    days = [D(2026, 1, 1) + dt.timedelta(days=n) for n in range(365)]
    found = [(day, r.period.label) for day in days for r in run_days_missed(day, FIFTH, EW)]
    assert len(found) == 4 * 7 and {(d - r.day).days for d in days for r in run_days_missed(d, FIFTH, EW)} == set(
        range(1, 8)
    )
    assert found[0] == (D(2026, 1, 9), "2025-Q4") and found[-1] == (D(2026, 10, 14), "2026-Q3")


def test_a_late_run_day_after_the_next_period_has_ended_is_still_found() -> None:
    # A made-up calendar closed the first week of February 2026 (Mon 2 to Fri 6). "monthly, working day 20"
    # after January (ends Saturday 31st): 9-13 Feb are days 1-5, 16-20 Feb 6-10, 23-27 Feb 11-15, and
    # Mon 2 to Fri 6 March 16-20. January is paid on Friday 6 March, after February has ended too.
    closed = calendar_from("closed a week", [D(2026, 2, 2) + dt.timedelta(days=n) for n in range(5)], range(2026, 2027))
    schedule = RunSchedule(Frequency.MONTHLY, 20)
    assert [p.label for p in periods_paid_on(D(2026, 3, 6), schedule, closed)] == ["2026-01"]
    # February (ends Saturday 28th): Mon 2 March is day 1, day 20 is Friday 27 March.
    assert [p.label for p in periods_paid_on(D(2026, 3, 27), schedule, closed)] == ["2026-02"]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("quarterly, day 5", "'quarterly, day 5' is not a payment-run schedule such as 'quarterly, working day 5'"),
        ("weekly, working day 1", "'weekly, working day 1' is not a payment-run schedule"),
        ("quarterly, working day 0", "working day 0 is not between 1 and 20"),
        ("quarterly, working day 21", "working day 21 is not between 1 and 20"),
        ("", "'' is not a payment-run schedule"),
    ],
)
def test_a_schedule_that_is_not_one_is_refused_in_words(text: str, problem: str) -> None:
    schedule, said = parse_run_schedule(text)
    assert schedule is None and said is not None and said.startswith(problem)


def test_the_setting_reads_in_any_case_and_spacing() -> None:
    assert parse_run_schedule(" Quarterly ,working day  5 ") == (FIFTH, None)
    assert parse_run_schedule("quarterly, working day 20") == (RunSchedule(Frequency.QUARTERLY, 20), None)


def test_a_day_outside_the_known_bank_holidays_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^working days are known up to 2027-12-31; the payment run of 2027-Q4 "):
        run_day(quarter("2027-Q4"), FIFTH, EW)


def test_the_first_working_day_and_a_single_run_day() -> None:
    # "monthly, working day 1" pays a month on the first working day after it. May 2026 ends on Sunday 31 May;
    # Monday 1 June is not a bank holiday (the late May one was the 25th): the run is on 1 June. Asked for one
    # run day after 20 May 2026, that is the only one, and it pays 2026-05.
    schedule, said = parse_run_schedule("monthly, working day 1")
    assert (schedule, said) == (RunSchedule(Frequency.MONTHLY, 1), None)
    assert schedule is not None
    assert [(r.period.label, r.day) for r in run_days(D(2026, 5, 20), 1, schedule, EW)] == [("2026-05", D(2026, 6, 1))]
