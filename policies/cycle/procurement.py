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

Every milestone but go-live lands on a working day (bank holidays in any part
of the UK): one that would fall on a weekend or holiday moves back to the
working day before, so no interval gets shorter. Once a milestone has an actual
date, the planned milestones after it are re-derived forward from it (the usual
intervals, moved on to a working day; the standstill exactly as the law counts
it), and go-live moves only later, never earlier. A planned milestone whose day
has gone by with no actual date is missed.

Worked example: go-live on 1 April 2027 back-schedules to signature on
4 February 2027 (8 weeks of mobilisation), the standstill ending on
28 January 2027, the award notice on 19 January 2027, evaluation done by
5 January 2027, submissions due 8 December 2026, the tender notice on
Friday 6 November 2026 (30 days before is a Sunday) and market engagement
from 11 September 2026. If the award notice then goes out on 24 December
2026, the standstill ends on 8 January 2027 and signature moves to 15 January.
"""

import datetime as dt
import itertools
from collections.abc import Callable, Mapping
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


def _back(day: dt.date, calendar: WorkingDayCalendar) -> dt.date:
    """The day itself if it is a working day, else the working day before it."""
    while not calendar.is_working_day(day):
        day -= DAY
    return day


def _on(day: dt.date, calendar: WorkingDayCalendar) -> dt.date:
    """The day itself if it is a working day, else the working day after it."""
    while not calendar.is_working_day(day):
        day += DAY
    return day


def back_schedule(
    go_live: dt.date,
    statutory: WorkingDayCalendar,
    durations: Durations = Durations(),
    minimums: StatutoryMinimums = StatutoryMinimums(),
) -> dict[Milestone, dt.date]:
    """Planned dates for every milestone, working back from the go-live date, each on a working day."""
    m, cal = Milestone, statutory
    plan = {m.GO_LIVE: go_live}
    plan[m.SIGNATURE] = _back(go_live - durations.mobilisation * DAY, cal)
    plan[m.MOBILISATION] = _on(plan[m.SIGNATURE] + DAY, cal)
    plan[m.STANDSTILL_END] = _back(plan[m.SIGNATURE] - durations.standstill_to_signature * DAY, cal)
    plan[m.AWARD_DECISION] = latest_award_notice(plan[m.STANDSTILL_END], statutory, minimums.standstill_working_days)
    plan[m.EVALUATION] = _back(plan[m.AWARD_DECISION] - durations.approval * DAY, cal)
    plan[m.SUBMISSION_DEADLINE] = _back(plan[m.EVALUATION] - durations.evaluation * DAY, cal)
    plan[m.CLARIFICATION_DEADLINE] = _back(
        plan[m.SUBMISSION_DEADLINE] - durations.clarification_before_submission * DAY, cal
    )
    plan[m.TENDER_NOTICE] = _back(plan[m.SUBMISSION_DEADLINE] - durations.tender_period * DAY, cal)
    plan[m.MARKET_ENGAGEMENT] = _back(plan[m.TENDER_NOTICE] - durations.engagement_to_tender * DAY, cal)
    return {milestone: plan[milestone] for milestone in ORDER}


def _latest_done(timeline: Timeline) -> int | None:
    done = [i for i, m in enumerate(ORDER) if m in timeline.actual]
    return done[-1] if done else None


def replan_from_actuals(
    timeline: Timeline,
    statutory: WorkingDayCalendar,
    durations: Durations = Durations(),
    minimums: StatutoryMinimums = StatutoryMinimums(),
) -> dict[Milestone, dt.date]:
    """The planned dates, with every milestone after the latest actual one re-derived forward from it.

    Each follows the one before by the usual interval, moved on to a working day; the
    tender period is never below the statutory minimum, the standstill ends exactly
    where the law counts it, and go-live is never brought forward of the date wanted.
    """
    latest = _latest_done(timeline)
    if latest is None:
        return dict(timeline.planned)
    m, cal, d = Milestone, statutory, durations
    tender_period = max(d.tender_period, minimums.tender_period_days)
    steps: dict[Milestone, Callable[[dict[Milestone, dt.date]], dt.date]] = {
        m.TENDER_NOTICE: lambda on: _on(on[m.MARKET_ENGAGEMENT] + d.engagement_to_tender * DAY, cal),
        m.CLARIFICATION_DEADLINE: lambda on: _on(
            on[m.TENDER_NOTICE] + (tender_period - d.clarification_before_submission) * DAY, cal
        ),
        m.SUBMISSION_DEADLINE: lambda on: _on(
            max(
                on[m.CLARIFICATION_DEADLINE] + d.clarification_before_submission * DAY,
                on[m.TENDER_NOTICE] + tender_period * DAY,
            ),
            cal,
        ),
        m.EVALUATION: lambda on: _on(on[m.SUBMISSION_DEADLINE] + d.evaluation * DAY, cal),
        m.AWARD_DECISION: lambda on: _on(on[m.EVALUATION] + d.approval * DAY, cal),
        m.STANDSTILL_END: lambda on: cal.last_of_working_days(on[m.AWARD_DECISION], minimums.standstill_working_days),
        m.SIGNATURE: lambda on: _on(on[m.STANDSTILL_END] + d.standstill_to_signature * DAY, cal),
        m.MOBILISATION: lambda on: _on(on[m.SIGNATURE] + DAY, cal),
        m.GO_LIVE: lambda on: max(on[m.SIGNATURE] + d.mobilisation * DAY, timeline.planned.get(m.GO_LIVE, dt.date.min)),
    }
    plan = dict(timeline.planned)
    on = {milestone: day for milestone in ORDER if (day := timeline.on(milestone)) is not None}
    for milestone in ORDER[latest + 1 :]:
        try:
            plan[milestone] = on[milestone] = steps[milestone](on)
        except KeyError:  # an earlier milestone has no date at all: nothing to derive this one from
            continue
    return {milestone: plan[milestone] for milestone in ORDER if milestone in plan}


def missed_milestones(timeline: Timeline, today: dt.date) -> list[Milestone]:
    """Planned milestones after the latest one done whose day has gone by with no actual date."""
    latest = _latest_done(timeline)
    after = ORDER[(latest + 1) if latest is not None else 0 :]
    return [m for m in after if m not in timeline.actual and (p := timeline.planned.get(m)) is not None and p < today]


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
    latest = _latest_done(timeline)
    over = set(ORDER[:latest]) - set(timeline.actual) if latest is not None else set()  # passed, unrecorded
    dated = [(m, timeline.on(m)) for m in ORDER if timeline.on(m) is not None and m not in over]
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
    latest = _latest_done(timeline)
    for milestone in ORDER[(latest + 1) if latest is not None else 0 :]:
        if milestone in timeline.planned:
            return milestone, timeline.planned[milestone]
    return None
