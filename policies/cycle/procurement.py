"""The procurement timeline of a project in Do: milestones, back-scheduling, statutory minimums.

Rule: a procurement runs through market engagement, the tender notice, the
clarification deadline, the submission deadline, evaluation, the award
decision (the contract award notice), the end of the standstill, signature,
mobilisation and go-live. Working back from the go-live date a commissioner
wants, each milestone is placed a usual interval before the next (policy
defaults below, which a caller may override), with the standstill counted
exactly: 8 working days beginning with the day of the award notice, in any
part of the UK (Procurement Act 2023). A plan is checked against the
statutory minimums: a tender period of at least 25 days for an open
procedure, or 10 days where a planned procurement notice was published 40
days to a year before; and no signature before the standstill has ended.

Worked example: go-live on 1 April 2027 back-schedules to signature on
4 February 2027 (8 weeks of mobilisation), the standstill ending on
28 January 2027, the award notice on 19 January 2027, evaluation done by
5 January 2027, submissions due 8 December 2026, the tender notice on
8 November 2026 (a 30-day tender period) and market engagement from
13 September 2026.
"""

import datetime as dt
import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from policies.calendars import WorkingDayCalendar

DAY = dt.timedelta(days=1)


class Milestone(StrEnum):
    MARKET_ENGAGEMENT = "market_engagement"
    TENDER_NOTICE = "tender_notice"
    CLARIFICATION_DEADLINE = "clarification_deadline"
    SUBMISSION_DEADLINE = "submission_deadline"
    EVALUATION = "evaluation"
    AWARD_DECISION = "award_decision"
    STANDSTILL_END = "standstill_end"
    SIGNATURE = "signature"
    MOBILISATION = "mobilisation"
    GO_LIVE = "go_live"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")

    @classmethod
    def parse(cls, text: str) -> "Milestone | None":
        try:
            return cls((text or "").strip().lower().replace("-", "_").replace(" ", "_"))
        except ValueError:
            return None


ORDER = tuple(Milestone)


@dataclass(frozen=True)
class Durations:
    """Usual intervals, in calendar days, used when back-scheduling."""

    engagement_to_tender: int = 56
    tender_period: int = 30
    clarification_before_submission: int = 10
    evaluation: int = 28
    approval: int = 14
    standstill_to_signature: int = 7
    mobilisation: int = 56


@dataclass(frozen=True)
class StatutoryMinimums:
    tender_period_days: int = 25
    tender_period_with_planned_notice_days: int = 10
    planned_notice_earliest_days: int = 40  # a planned procurement notice counts if 40 days...
    planned_notice_latest_days: int = 365  # ...to a year before the tender notice
    standstill_working_days: int = 8


@dataclass(frozen=True)
class Timeline:
    planned: Mapping[Milestone, dt.date]
    actual: Mapping[Milestone, dt.date] = field(default_factory=dict)
    planned_procurement_notice: dt.date | None = None

    def on(self, milestone: Milestone) -> dt.date | None:
        """The actual date if the milestone has happened, else the planned one."""
        return self.actual.get(milestone) or self.planned.get(milestone)


def back_schedule(
    go_live: dt.date,
    statutory: WorkingDayCalendar,
    durations: Durations = Durations(),
    minimums: StatutoryMinimums = StatutoryMinimums(),
) -> dict[Milestone, dt.date]:
    """Planned dates for every milestone, working back from the go-live date."""
    m = Milestone
    plan = {m.GO_LIVE: go_live}
    plan[m.SIGNATURE] = go_live - durations.mobilisation * DAY
    plan[m.MOBILISATION] = plan[m.SIGNATURE] + DAY
    plan[m.STANDSTILL_END] = plan[m.SIGNATURE] - durations.standstill_to_signature * DAY
    plan[m.AWARD_DECISION] = latest_award_notice(plan[m.STANDSTILL_END], statutory, minimums.standstill_working_days)
    plan[m.EVALUATION] = plan[m.AWARD_DECISION] - durations.approval * DAY
    plan[m.SUBMISSION_DEADLINE] = plan[m.EVALUATION] - durations.evaluation * DAY
    plan[m.CLARIFICATION_DEADLINE] = plan[m.SUBMISSION_DEADLINE] - durations.clarification_before_submission * DAY
    plan[m.TENDER_NOTICE] = plan[m.SUBMISSION_DEADLINE] - durations.tender_period * DAY
    plan[m.MARKET_ENGAGEMENT] = plan[m.TENDER_NOTICE] - durations.engagement_to_tender * DAY
    return {milestone: plan[milestone] for milestone in ORDER}


def latest_award_notice(standstill_end: dt.date, statutory: WorkingDayCalendar, working_days: int) -> dt.date:
    """The latest working day to publish the award notice so the standstill ends by ``standstill_end``."""
    day = standstill_end
    while not statutory.is_working_day(day) or statutory.last_of_working_days(day, working_days) > standstill_end:
        day -= DAY
    return day


def check_timeline(
    timeline: Timeline, statutory: WorkingDayCalendar, minimums: StatutoryMinimums = StatutoryMinimums()
) -> list[str]:
    """Every way the plan breaks a statutory minimum or runs out of order, as sentences."""
    warnings: list[str] = []
    dated = [(m, timeline.on(m)) for m in ORDER if timeline.on(m) is not None]
    for (first, a), (second, b) in itertools.pairwise(dated):
        if a is not None and b is not None and b < a:
            warnings.append(f"The {second.label} ({b}) is before the {first.label} ({a}).")
    notice, submission = timeline.on(Milestone.TENDER_NOTICE), timeline.on(Milestone.SUBMISSION_DEADLINE)
    if notice is not None and submission is not None:
        days = (submission - notice).days
        planned = timeline.planned_procurement_notice
        counts = planned is not None and (
            minimums.planned_notice_earliest_days <= (notice - planned).days <= minimums.planned_notice_latest_days
        )
        minimum = minimums.tender_period_with_planned_notice_days if counts else minimums.tender_period_days
        if days < minimum:
            why = (
                "with a planned procurement notice"
                if counts
                else "for an open procedure (10 with a planned procurement notice 40 days to a year before)"
            )
            warnings.append(
                f"The tender period is {days} days, from {notice} to {submission}; the minimum is {minimum} days {why}."
            )
    award, signature = timeline.on(Milestone.AWARD_DECISION), timeline.on(Milestone.SIGNATURE)
    if award is not None and signature is not None:
        ends = statutory.last_of_working_days(award, minimums.standstill_working_days)
        if signature <= ends:
            warnings.append(
                f"Signing on {signature} breaks the standstill: {minimums.standstill_working_days} "
                f"working days from the award notice on {award} end on {ends}; sign from "
                f"{ends + DAY} on."
            )
    return warnings


def next_milestone(timeline: Timeline) -> tuple[Milestone, dt.date] | None:
    """The first planned milestone after the latest one that has happened, with its planned date.

    A tender notice that has gone out means market engagement is over, even if
    nobody recorded the day it ended.
    """
    done = [i for i, m in enumerate(ORDER) if m in timeline.actual]
    for milestone in ORDER[(done[-1] + 1) if done else 0 :]:
        if milestone in timeline.planned:
            return milestone, timeline.planned[milestone]
    return None
