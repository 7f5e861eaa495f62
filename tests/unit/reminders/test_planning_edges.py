"""Planning reminders at the edges: the catch-up window's last day, a window starting on a step's day, a snooze
ending on one, a first notice late in the day, an escalation after downtime, and the sweep's range query.

Each example is a key date a commissioner would recognise; the expected answer is worked out in the comment.
The shipped ladders: a break-notice deadline 90, 60, 30, 14, 7 and 1 days ahead, to the owner and the
commissioning team, escalated; an annual review 14 and 2 days ahead, to the owner only, not escalated.
"""

import datetime as dt

import pytest

from policies.contracts.key_dates import KeyDateKind
from policies.reminders.planning import (
    KeyDateFact,
    PlannedReminder,
    RecipientState,
    due_on_ranges,
    has_step_between,
    plan_reminders,
)
from tests.unit.reminders.test_reminder_policy import EW, ZONE, D, fact, plan, shipped

Row = tuple[str, str, int, bool, str, dt.date, dt.datetime, bool]

DEADLINE = fact(KeyDateKind.BREAK_NOTICE_DEADLINE, D(2027, 3, 5))  # Friday 5 March 2027, England and Wales


def rows(planned: list[PlannedReminder]) -> list[Row]:
    """Every field that varies between the planned rows, in the order the planner returns them."""
    return [(p.key, p.lead.code, p.step, p.last_step, p.tag, p.send_day, p.send_at, p.escalation) for p in planned]


def utc(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=dt.UTC)


def reminded(
    key_date: KeyDateFact, *tags: str, acked: bool = False, snoozed_until: dt.date | None = None
) -> dict[tuple[int, str, dt.date, str], RecipientState]:
    """These recipients have been told of the key date before (and perhaps acknowledged or snoozed it)."""
    state = RecipientState(reminded=True, acked=acked, snoozed_until=snoozed_until)
    return {(key_date.contract_id, key_date.key, key_date.due_on, tag): state for tag in tags}


# --------------------------------------------------------------------------- the catch-up window (30 days)


def test_a_key_date_exactly_thirty_days_past_is_still_caught_up_and_one_more_day_is_history() -> None:
    # A sweep on Monday 23 November 2026 with catch_up_days = 30 reaches back to Saturday 24 October.
    # The review due on 24 October was never reminded: its latest step (2 days ahead, Thursday 22 October)
    # goes out now, on 23 November at 08:00 GMT. The review due on Friday 23 October is 31 days past: history.
    # The older one comes first in the list: it is skipped, and the next key date is still planned.
    history = fact(KeyDateKind.ANNUAL_REVIEW, D(2026, 10, 23), contract_id=7)
    last_day = fact(KeyDateKind.ANNUAL_REVIEW, D(2026, 10, 24), contract_id=8)
    planned = plan([history, last_day], D(2026, 11, 23), window_start=None)
    assert rows(planned) == [
        ("annual_review:0", "2d", 2, True, "owner", D(2026, 11, 23), utc(D(2026, 11, 23), 8), False),
    ]
    assert [p.contract_id for p in planned] == [8]


def test_key_dates_without_a_ladder_or_without_a_due_step_do_not_stop_the_sweep() -> None:
    # In one sweep on Monday 23 November 2026 (previous sweep: Sunday 22nd):
    # - a break date has no ladder (its notice deadline has one): nothing;
    # - an annual review on Monday 1 March 2027 has its first step on 15 February: nothing due yet;
    # - an annual review on Monday 7 December 2026: its 14-day step is today, 23 November.
    break_date = fact(KeyDateKind.BREAK_DATE, D(2027, 1, 1), contract_id=1)
    not_yet = fact(KeyDateKind.ANNUAL_REVIEW, D(2027, 3, 1), contract_id=2)
    due_now = fact(KeyDateKind.ANNUAL_REVIEW, D(2026, 12, 7), contract_id=3)
    planned = plan([break_date, not_yet, due_now], D(2026, 11, 23), window_start=D(2026, 11, 22))
    assert rows(planned) == [
        ("annual_review:0", "14d", 1, False, "owner", D(2026, 11, 23), utc(D(2026, 11, 23), 8), False),
    ]
    assert [p.contract_id for p in planned] == [3]


# --------------------------------------------------------------------------- the sweep's window, snoozes, first notices


def test_a_step_on_the_day_the_previous_sweep_covered_is_not_planned_again() -> None:
    # The previous sweep covered Friday 26 February 2027 and sent the 7-day step. The server is down until
    # Thursday 4 March: that sweep plans the 1-day step (4 March) for both recipients, and its escalation for
    # Friday 5 March; the 7-day step of 26 February is not planned a second time.
    states = reminded(DEADLINE, "owner", "commissioning")
    planned = plan([DEADLINE], D(2027, 3, 4), window_start=D(2027, 2, 26), states=states)
    key = "break_notice_deadline:0"
    assert rows(planned) == [
        (key, "1d", 6, True, "owner", D(2027, 3, 4), utc(D(2027, 3, 4), 8), False),
        (key, "1d", 6, True, "commissioning", D(2027, 3, 4), utc(D(2027, 3, 4), 8), False),
        (key, "1d", 6, True, "escalation", D(2027, 3, 5), utc(D(2027, 3, 5), 8), True),
    ]


def test_a_step_on_the_day_a_snooze_ends_goes_out() -> None:
    # The owner snoozed until Friday 26 February 2027, the day of the 7-day step: it goes out that day.
    # The commissioning team did not snooze and is told too.
    states = {**reminded(DEADLINE, "owner", snoozed_until=D(2027, 2, 26)), **reminded(DEADLINE, "commissioning")}
    planned = plan([DEADLINE], D(2027, 2, 26), window_start=D(2027, 2, 25), states=states)
    key = "break_notice_deadline:0"
    assert rows(planned) == [
        (key, "7d", 5, False, "owner", D(2027, 2, 26), utc(D(2027, 2, 26), 8), False),
        (key, "7d", 5, False, "commissioning", D(2027, 2, 26), utc(D(2027, 2, 26), 8), False),
    ]


@pytest.mark.parametrize(
    ("now", "send_at"),
    [
        (utc(D(2027, 2, 20), 14, 30), utc(D(2027, 2, 20), 14, 30)),  # after 08:00: now, not a time already past
        (utc(D(2027, 2, 20), 6, 15), utc(D(2027, 2, 20), 8)),  # before 08:00: at the send time
    ],
)
def test_a_first_notice_goes_out_at_the_send_time_or_now_whichever_is_later(
    now: dt.datetime, send_at: dt.datetime
) -> None:
    # A contract entered on Saturday 20 February 2027 with a break-notice deadline on 5 March: nobody was told
    # of it, so its latest due step (14 days ahead, Friday 19 February) goes out on the day of the sweep.
    planned = plan_reminders(
        [DEADLINE],
        shipped(),
        zone=ZONE,
        today=D(2027, 2, 20),
        window_start=D(2027, 2, 19),
        states={},
        calendar_for=lambda _nation: EW,
        now=now,
    )
    key = "break_notice_deadline:0"
    assert rows(planned) == [
        (key, "14d", 4, False, "owner", D(2027, 2, 20), send_at, False),
        (key, "14d", 4, False, "commissioning", D(2027, 2, 20), send_at, False),
    ]


def test_a_step_already_due_keeps_its_send_time_whatever_the_hour_of_the_sweep() -> None:
    # The owner was told of the deadline before; a sweep at 14:30 on Friday 26 February 2027 plans the 7-day step
    # for 08:00 that day, so delivery marks it late rather than pretending it was planned for 14:30.
    planned = plan_reminders(
        [DEADLINE],
        shipped(),
        zone=ZONE,
        today=D(2027, 2, 26),
        window_start=D(2027, 2, 25),
        states={**reminded(DEADLINE, "owner"), **reminded(DEADLINE, "commissioning", acked=True)},
        calendar_for=lambda _nation: EW,
        now=utc(D(2027, 2, 26), 14, 30),
    )
    assert rows(planned) == [
        ("break_notice_deadline:0", "7d", 5, False, "owner", D(2027, 2, 26), utc(D(2027, 2, 26), 8), False),
    ]


def test_after_downtime_the_escalation_waits_a_day_from_the_sweep_that_sends_the_last_step() -> None:
    # The last sweep covered Tuesday 2 March 2027; the server is back on Friday 5 March. The 1-day step
    # (Thursday 4 March) goes out late on the 5th, and its escalation on Saturday 6 March: a day to
    # acknowledge from when the last step was actually sent, not Friday 5th, the day after it was due.
    states = reminded(DEADLINE, "owner", "commissioning")
    planned = plan([DEADLINE], D(2027, 3, 5), window_start=D(2027, 3, 2), states=states)
    key = "break_notice_deadline:0"
    assert rows(planned) == [
        (key, "1d", 6, True, "owner", D(2027, 3, 4), utc(D(2027, 3, 4), 8), False),
        (key, "1d", 6, True, "commissioning", D(2027, 3, 4), utc(D(2027, 3, 4), 8), False),
        (key, "1d", 6, True, "escalation", D(2027, 3, 6), utc(D(2027, 3, 6), 8), True),
    ]


# --------------------------------------------------------------------------- no calendar: the nominal day


def test_without_a_calendar_a_weekend_step_stays_on_its_day() -> None:
    # The 90-day step of the 5 March 2027 deadline falls on Saturday 5 December 2026. With the England and
    # Wales calendar it moves back to Friday 4 December; with no calendar to ask (none given), it stays put.
    states = reminded(DEADLINE, "owner", "commissioning")
    planned = plan_reminders(
        [DEADLINE], shipped(), zone=ZONE, today=D(2026, 12, 5), window_start=D(2026, 12, 4), states=states
    )
    key = "break_notice_deadline:0"
    assert rows(planned) == [
        (key, "90d", 1, False, "owner", D(2026, 12, 5), utc(D(2026, 12, 5), 8), False),
        (key, "90d", 1, False, "commissioning", D(2026, 12, 5), utc(D(2026, 12, 5), 8), False),
    ]
    assert has_step_between(DEADLINE, shipped(), after=D(2026, 12, 4), through=D(2026, 12, 5)) is True


@pytest.mark.parametrize(
    ("after", "through", "expected"),
    [
        (D(2026, 12, 3), D(2026, 12, 4), True),  # the window ends on Friday 4 December, the moved step's day
        (D(2026, 12, 4), D(2026, 12, 5), False),  # it starts after it: the Saturday has no step any more
        (D(2026, 12, 2), D(2026, 12, 3), False),
    ],
)
def test_a_step_falls_in_a_window_that_ends_on_its_day(after: dt.date, through: dt.date, expected: bool) -> None:
    # With the England and Wales calendar the 90-day step of the 5 March 2027 deadline is on Friday 4 December.
    found = has_step_between(DEADLINE, shipped(), after=after, through=through, calendar_for=lambda _n: EW)
    assert found is expected


@pytest.mark.parametrize("kind", ["break_date", "site_visit"])
def test_a_key_date_with_no_ladder_or_of_an_unknown_kind_has_no_step(kind: str) -> None:
    # A break date (no ladder of its own) and a kind this version does not know (from a newer one, say),
    # due on 5 March 2027: the week of the break-notice ladder's 7-day step, 26 February, finds nothing.
    key_date = KeyDateFact(1, f"{kind}:0", kind, D(2027, 3, 5), "england_and_wales")
    found = has_step_between(key_date, shipped(), after=D(2027, 2, 20), through=D(2027, 2, 27))
    assert found is False
    assert plan([key_date], D(2027, 2, 26), window_start=D(2027, 2, 20)) == []


# --------------------------------------------------------------------------- the sweep's range query, working days only


def test_due_ranges_with_working_days_only_reach_a_fortnight_further() -> None:
    # A sweep covering Monday 23 November 2026 alone. A step N days ahead falls on 23 November for a key date
    # N days later; one falling on a weekend or bank holiday up to 14 days later may move back onto it, so
    # each range reaches 14 days further. A month lead adds 3 days for month-end clamping first.
    policy = shipped()
    ranges = due_on_ranges(policy, after=D(2026, 11, 22), through=D(2026, 11, 23))
    assert {lead.code: (low, high) for lead, (low, high, _) in zip(policy.leads, ranges, strict=True)} == {
        "1d": (D(2026, 11, 24), D(2026, 12, 8)),
        "2d": (D(2026, 11, 25), D(2026, 12, 9)),
        "3d": (D(2026, 11, 26), D(2026, 12, 10)),
        "7d": (D(2026, 11, 30), D(2026, 12, 14)),
        "10d": (D(2026, 12, 3), D(2026, 12, 17)),
        "14d": (D(2026, 12, 7), D(2026, 12, 21)),
        "30d": (D(2026, 12, 23), D(2027, 1, 6)),
        "60d": (D(2027, 1, 22), D(2027, 2, 5)),
        "90d": (D(2027, 2, 21), D(2027, 3, 7)),
        "120d": (D(2027, 3, 23), D(2027, 4, 6)),
        "6m": (D(2027, 5, 23), D(2027, 6, 9)),  # 23 May + 3 days + 14
        "9m": (D(2027, 8, 23), D(2027, 9, 9)),
        "12m": (D(2027, 11, 23), D(2027, 12, 10)),
        "18m": (D(2028, 5, 23), D(2028, 6, 9)),
    }
