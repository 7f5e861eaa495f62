"""Edges of the procurement timeline that mutation testing showed nothing pinned: the usual intervals where
a day's difference shows, replanning forward from an early or late actual date, the planned-notice window's
two ends, and timelines that have only some milestones. The calendar is the UK's: bank holidays in any part
of it (so Scotland's summer holiday, Monday 2 August 2027, counts)."""

import datetime as dt

import pytest

from flows.common.calendars import working_day_calendar
from policies.calendars import Nation
from policies.cycle.procurement import Milestone, Timeline, back_schedule, check_timeline, next_milestone
from policies.cycle.procurement import replan_from_actuals as replan

UK = working_day_calendar(Nation.UNITED_KINGDOM)
d = dt.date
M = Milestone

# Go-live Tuesday 12 October 2027, worked back with the usual intervals:
#   signature 56 days before: Tue 17 Aug; mobilisation the working day after: Wed 18 Aug;
#   standstill end 7 days before signature: Tue 10 Aug;
#   award notice: the latest working day whose 8 working days end by 10 Aug. From Fri 30 Jul they would run
#   30 Jul, 3, 4, 5, 6, 9, 10, 11 Aug (2 Aug is Scotland's holiday) and end on the 11th: too late. From
#   Thu 29 Jul they end on Tue 10 Aug;
#   evaluation 14 days before the award: Thu 15 Jul; submissions 28 days before: Thu 17 Jun;
#   clarification 10 days before submissions: Mon 7 Jun (11 days would be a Sunday, moved back to Fri 4 Jun);
#   tender notice 30 days before submissions: Tue 18 May (31 would be Mon 17 May);
#   market engagement 56 days before the notice: Tue 23 Mar.
OCTOBER_GO_LIVE = {
    M.MARKET_ENGAGEMENT: d(2027, 3, 23),
    M.TENDER_NOTICE: d(2027, 5, 18),
    M.CLARIFICATION_DEADLINE: d(2027, 6, 7),
    M.SUBMISSION_DEADLINE: d(2027, 6, 17),
    M.EVALUATION: d(2027, 7, 15),
    M.AWARD_DECISION: d(2027, 7, 29),
    M.STANDSTILL_END: d(2027, 8, 10),
    M.SIGNATURE: d(2027, 8, 17),
    M.MOBILISATION: d(2027, 8, 18),
    M.GO_LIVE: d(2027, 10, 12),
}


def test_back_scheduling_where_a_days_difference_in_each_interval_would_show() -> None:
    assert back_schedule(d(2027, 10, 12), UK) == OCTOBER_GO_LIVE


def test_market_engagement_a_week_late_replans_everything_after_it_forward() -> None:
    # Engagement actually began Tue 30 Mar 2027 (after Easter Monday). Forward, with the usual intervals:
    #   tender notice 56 days on: Tue 25 May; clarification 30 - 10 = 20 days on: Mon 14 Jun;
    #   submissions the later of 14 Jun + 10 and 25 May + 30, both Thu 24 Jun; evaluation 28 days on: Thu 22 Jul;
    #   award 14 days on: Thu 5 Aug; standstill: 8 working days beginning 5 Aug (5, 6, 9-13, 16): Mon 16 Aug;
    #   signature 7 days on: Mon 23 Aug; mobilisation Tue 24 Aug; go-live 56 days after signature,
    #   Mon 18 Oct, later than the 12 October wanted.
    timeline = Timeline(OCTOBER_GO_LIVE, actual={M.MARKET_ENGAGEMENT: d(2027, 3, 30)})
    assert replan(timeline, UK) == {
        M.MARKET_ENGAGEMENT: d(2027, 3, 23),  # the plan keeps what was planned; the actual date is beside it
        M.TENDER_NOTICE: d(2027, 5, 25),
        M.CLARIFICATION_DEADLINE: d(2027, 6, 14),
        M.SUBMISSION_DEADLINE: d(2027, 6, 24),
        M.EVALUATION: d(2027, 7, 22),
        M.AWARD_DECISION: d(2027, 8, 5),
        M.STANDSTILL_END: d(2027, 8, 16),
        M.SIGNATURE: d(2027, 8, 23),
        M.MOBILISATION: d(2027, 8, 24),
        M.GO_LIVE: d(2027, 10, 18),
    }


@pytest.mark.parametrize(
    ("clarification", "submission"),
    [
        # Clarification closed late, Fri 18 Jun: bidders keep their 10 days after it, to Mon 28 Jun, past the
        # 30-day tender period (Thu 24 Jun).
        (d(2027, 6, 18), d(2027, 6, 28)),
        # Clarification closed early, Mon 7 Jun: 10 days after it is Thu 17 Jun, but the tender period still
        # runs its 30 days from the notice of Tue 25 May, to Thu 24 Jun.
        (d(2027, 6, 7), d(2027, 6, 24)),
    ],
)
def test_submissions_close_at_the_later_of_10_days_after_clarification_and_the_tender_period(
    clarification: dt.date, submission: dt.date
) -> None:
    actual = {
        M.MARKET_ENGAGEMENT: d(2027, 3, 30),
        M.TENDER_NOTICE: d(2027, 5, 25),
        M.CLARIFICATION_DEADLINE: clarification,
    }
    assert replan(Timeline(OCTOBER_GO_LIVE, actual=actual), UK)[M.SUBMISSION_DEADLINE] == submission


def test_a_milestone_with_nothing_to_derive_it_from_keeps_its_plan_and_later_ones_still_move() -> None:
    # A timeline with no tender notice at all, clarification done on Mon 7 Jun and submissions planned a week
    # later than usual (Thu 24 Jun): submissions cannot be derived (the tender period has no start), so they
    # keep their plan, and evaluation still follows them, 28 days on: Thu 22 Jul.
    planned = {m: day for m, day in OCTOBER_GO_LIVE.items() if m is not M.TENDER_NOTICE}
    planned[M.SUBMISSION_DEADLINE] = d(2027, 6, 24)
    plan = replan(Timeline(planned, actual={M.CLARIFICATION_DEADLINE: d(2027, 6, 7)}), UK)
    assert plan[M.SUBMISSION_DEADLINE] == d(2027, 6, 24)
    assert plan[M.EVALUATION] == d(2027, 7, 22)


NOTICE, TWELVE_DAYS_LATER = d(2027, 5, 18), d(2027, 5, 30)


@pytest.mark.parametrize(
    ("planned_notice", "counts"),
    [
        (NOTICE - dt.timedelta(days=39), False),  # Fri 9 Apr 2027: too late to count
        (NOTICE - dt.timedelta(days=40), True),  # Thu 8 Apr: the first day that counts
        (NOTICE - dt.timedelta(days=365), True),  # Mon 18 May 2026: a year before, the last day that counts
        (NOTICE - dt.timedelta(days=366), False),  # Sun 17 May 2026: too early
    ],
)
def test_a_planned_procurement_notice_shortens_the_tender_period_only_from_40_days_to_a_year_before(
    planned_notice: dt.date, counts: bool
) -> None:
    timeline = Timeline(
        {M.TENDER_NOTICE: NOTICE, M.SUBMISSION_DEADLINE: TWELVE_DAYS_LATER}, planned_procurement_notice=planned_notice
    )
    twelve_days = "The tender period is 12 days, from 2027-05-18 to 2027-05-30; the minimum is 25 days"
    assert check_timeline(timeline, UK) == (
        []
        if counts
        else [f"{twelve_days} for an open procedure (10 with a planned procurement notice 40 days to a year before)."]
    )


@pytest.mark.parametrize(
    "only", [M.TENDER_NOTICE, M.SUBMISSION_DEADLINE, M.AWARD_DECISION, M.SIGNATURE], ids=lambda m: m.value
)
def test_a_timeline_with_one_milestone_has_nothing_to_warn_of(only: Milestone) -> None:
    assert check_timeline(Timeline({only: OCTOBER_GO_LIVE[only]}), UK) == []


def test_with_nothing_done_the_next_milestone_is_market_engagement() -> None:
    assert next_milestone(Timeline(OCTOBER_GO_LIVE)) == (M.MARKET_ENGAGEMENT, d(2027, 3, 23))


@pytest.mark.parametrize(
    ("text", "milestone"), [(" Tender-Notice ", M.TENDER_NOTICE), ("go live", M.GO_LIVE), ("", None)]
)
def test_a_milestone_is_read_whatever_its_case_spaces_or_hyphens(text: str, milestone: Milestone | None) -> None:
    assert Milestone.parse(text) is milestone
