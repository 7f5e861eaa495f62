"""The procurement timeline: back-scheduling from go-live, and the statutory minimums checked."""

import datetime as dt

import pytest

from flows.common.calendars import working_day_calendar
from policies.calendars import Nation
from policies.cycle.procurement import (
    Milestone,
    Timeline,
    back_schedule,
    check_timeline,
    missed_milestones,
    next_milestone,
    replan_from_actuals,
)

UK = working_day_calendar(Nation.UNITED_KINGDOM)
d = dt.date
M = Milestone


def test_back_scheduling_from_go_live_on_1_april_2027() -> None:
    plan = back_schedule(d(2027, 4, 1), UK)
    assert plan == {
        M.MARKET_ENGAGEMENT: d(2026, 9, 11),  # Friday: 56 days before the tender notice fall on a Friday too
        M.TENDER_NOTICE: d(2026, 11, 6),  # 30 days before the submissions is Sunday 8th: back to Friday
        M.CLARIFICATION_DEADLINE: d(2026, 11, 27),  # 10 days before is Saturday 28th: back to Friday
        M.SUBMISSION_DEADLINE: d(2026, 12, 8),
        M.EVALUATION: d(2027, 1, 5),
        M.AWARD_DECISION: d(2027, 1, 19),
        M.STANDSTILL_END: d(2027, 1, 28),
        M.SIGNATURE: d(2027, 2, 4),
        M.MOBILISATION: d(2027, 2, 5),
        M.GO_LIVE: d(2027, 4, 1),
    }
    assert check_timeline(Timeline(plan), UK) == []


@pytest.mark.parametrize("go_live", [d(2027, 4, 1), d(2027, 3, 4), d(2027, 1, 4), d(2027, 9, 1), d(2028, 1, 3)])
def test_back_scheduling_lands_every_milestone_on_a_working_day(go_live: dt.date) -> None:
    plan = back_schedule(go_live, UK)
    assert [m for m, day in plan.items() if m is not M.GO_LIVE and not UK.is_working_day(day)] == []
    assert check_timeline(Timeline(plan), UK) == []


def test_the_award_notice_leaves_exactly_8_working_days_over_christmas() -> None:
    # Signature on 7 January 2027 needs the standstill over by 31 December 2026: working back over
    # Christmas and Boxing Day (observed 28 December), the notice goes out on Friday 18 December.
    plan = back_schedule(d(2027, 3, 4), UK)
    assert plan[M.STANDSTILL_END] == d(2026, 12, 31)
    assert plan[M.AWARD_DECISION] == d(2026, 12, 18)
    assert UK.last_of_working_days(plan[M.AWARD_DECISION], 8) == d(2026, 12, 31)


def plan_with(**dates: dt.date) -> Timeline:
    base = back_schedule(d(2027, 4, 1), UK)
    return Timeline({**base, **{M(k): v for k, v in dates.items()}})


@pytest.mark.parametrize(
    ("submission", "planned_notice", "warned"),
    [
        (d(2026, 12, 3), None, False),  # 25 days: the minimum for an open procedure
        (d(2026, 12, 2), None, True),  # 24 days
        (d(2026, 11, 18), d(2026, 9, 1), False),  # 10 days, planned notice 68 days before
        (d(2026, 11, 17), d(2026, 9, 1), True),  # 9 days
        (d(2026, 11, 18), d(2026, 10, 20), True),  # planned notice only 19 days before: does not count
        (d(2026, 11, 18), d(2025, 10, 1), True),  # planned notice over a year before: does not count
    ],
)
def test_the_tender_period_minimum(submission: dt.date, planned_notice: dt.date | None, warned: bool) -> None:
    timeline = plan_with(
        tender_notice=d(2026, 11, 8),
        clarification_deadline=submission - dt.timedelta(days=3),
        submission_deadline=submission,
    )
    timeline = Timeline(timeline.planned, planned_procurement_notice=planned_notice)
    warnings = [w for w in check_timeline(timeline, UK) if w.startswith("The tender period")]
    assert bool(warnings) is warned, warnings


def test_signing_inside_the_standstill_is_warned_with_the_first_safe_day() -> None:
    timeline = plan_with(award_decision=d(2025, 12, 18), standstill_end=d(2025, 12, 31), signature=d(2025, 12, 31))
    warnings = [w for w in check_timeline(timeline, UK) if "standstill" in w]
    assert warnings == [
        "Signing on 2025-12-31 breaks the standstill: 8 working days from the award notice on "
        "2025-12-18 end on 2025-12-31; sign from 2026-01-01 on."
    ]


def test_actual_dates_override_the_plan_and_milestones_out_of_order_are_warned() -> None:
    base = back_schedule(d(2027, 4, 1), UK)
    late = Timeline(base, actual={M.SUBMISSION_DEADLINE: d(2027, 1, 10)})
    assert "The evaluation (2027-01-05) is before the submission deadline (2027-01-10)." in check_timeline(late, UK)


def test_the_next_milestone_is_the_first_not_yet_done() -> None:
    base = back_schedule(d(2027, 4, 1), UK)
    done = {M.MARKET_ENGAGEMENT: d(2026, 9, 20), M.TENDER_NOTICE: d(2026, 11, 9)}
    assert next_milestone(Timeline(base, actual=done)) == (M.CLARIFICATION_DEADLINE, d(2026, 11, 27))


def test_a_later_milestone_done_moves_past_earlier_ones_left_unrecorded() -> None:
    base = back_schedule(d(2027, 4, 1), UK)
    assert next_milestone(Timeline(base, actual={M.TENDER_NOTICE: d(2026, 11, 9)})) == (
        M.CLARIFICATION_DEADLINE,
        d(2026, 11, 27),
    )
    everything = {m: day for m, day in base.items()}
    assert next_milestone(Timeline(base, actual=everything)) is None


def test_planned_milestones_gone_by_with_no_actual_are_missed() -> None:
    base = back_schedule(d(2027, 4, 1), UK)
    assert missed_milestones(Timeline(base), d(2026, 11, 6)) == [M.MARKET_ENGAGEMENT]  # due today is not missed
    assert missed_milestones(Timeline(base), d(2026, 12, 6)) == [
        M.MARKET_ENGAGEMENT,
        M.TENDER_NOTICE,
        M.CLARIFICATION_DEADLINE,
    ]
    # A later milestone done means the earlier ones are over, recorded or not.
    done = Timeline(base, actual={M.TENDER_NOTICE: d(2026, 11, 9)})
    assert missed_milestones(done, d(2026, 12, 6)) == [M.CLARIFICATION_DEADLINE]


def test_an_actual_date_replans_what_follows_it_forward() -> None:
    base = back_schedule(d(2027, 4, 1), UK)
    early = replan_from_actuals(Timeline(base, actual={M.AWARD_DECISION: d(2026, 12, 24)}), UK)
    # 8 working days beginning with Thursday 24 December: 24, 29, 30, 31 December, then 5-8 January
    # (28 December is the Boxing Day substitute, 4 January the Scottish substitute for 2 January).
    assert early[M.STANDSTILL_END] == d(2027, 1, 8) == UK.last_of_working_days(d(2026, 12, 24), 8)
    assert early[M.SIGNATURE] == d(2027, 1, 15) and early[M.MOBILISATION] == d(2027, 1, 18)
    assert early[M.GO_LIVE] == d(2027, 4, 1), "an early award never brings the wanted go-live forward"
    assert {m: early[m] for m in list(M)[:6]} == {m: base[m] for m in list(M)[:6]}, "what came before is untouched"
    timeline = Timeline(early, actual={M.AWARD_DECISION: d(2026, 12, 24)})
    assert next_milestone(timeline) == (M.STANDSTILL_END, d(2027, 1, 8))
    assert check_timeline(timeline, UK) == []
    late = replan_from_actuals(Timeline(base, actual={M.TENDER_NOTICE: d(2026, 12, 1)}), UK)
    assert late[M.SUBMISSION_DEADLINE] >= d(2026, 12, 1) + dt.timedelta(days=25)
    assert late[M.GO_LIVE] > d(2027, 4, 1), "a late tender pushes go-live back"
    assert all(UK.is_working_day(day) for m, day in late.items() if m not in (M.MARKET_ENGAGEMENT, M.GO_LIVE))
    assert check_timeline(Timeline(late, actual={M.TENDER_NOTICE: d(2026, 12, 1)}), UK) == []
