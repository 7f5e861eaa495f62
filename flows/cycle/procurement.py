"""A project's procurement timeline: plan it back from go-live, record milestones, check the law.

The planned procurement notice (UK3) is stored beside the milestones: it
shortens the minimum tender period when published 40 days to a year before
the tender notice.
"""

import datetime as dt
from typing import Any

from sqlmodel import Session

from flows.common.calendars import working_day_calendar
from flows.common.errors import UserError
from flows.common.runtime import database
from flows.common.settings import Settings
from flows.cycle.projects import require_project
from models.contracts import ProcurementMilestone, milestones_of
from models.cycle import Project, saved_id
from models.db import unit_of_work
from models.events import project_event
from policies.calendars import Nation
from policies.cycle.procurement import (
    ORDER,
    Milestone,
    Timeline,
    back_schedule,
    check_timeline,
    missed_milestones,
    next_milestone,
    replan_from_actuals,
)
from policies.cycle.stages import Stage
from policies.dates import local_date

PLANNED_NOTICE = "planned_procurement_notice"


def timeline_of(session: Session, project: Project) -> Timeline | None:
    """The project's timeline in its current cycle, or None if nothing is planned."""
    rows = milestones_of(session=session, project_id=saved_id(project), cycle=project.cycle)
    if not rows:
        return None
    planned = {Milestone(r.milestone): r.planned_on for r in rows if r.milestone != PLANNED_NOTICE and r.planned_on}
    actual = {Milestone(r.milestone): r.actual_on for r in rows if r.milestone != PLANNED_NOTICE and r.actual_on}
    notice = next((r.actual_on or r.planned_on for r in rows if r.milestone == PLANNED_NOTICE), None)
    return Timeline(planned, actual, notice)


def timeline_notes(timeline: Timeline | None, today: dt.date) -> tuple[str, ...]:
    """What the Do-stage flow reports about the timeline: the next milestone, any missed, and any warnings."""
    if timeline is None:
        return ("No procurement timeline is planned; `commission procurement plan` makes one.",)
    missed = missed_milestones(timeline, today)
    notes: list[str] = []
    upcoming = next_milestone(timeline)
    if upcoming:
        milestone, day = upcoming
        if milestone in missed:
            notes.append(
                f"Next procurement milestone: {milestone.label}, planned for {day}, is missed: "
                "no actual date is recorded."
            )
        else:
            notes.append(f"Next procurement milestone: {milestone.label} on {day}.")
    notes += [f"Missed: the {m.label} was planned for {timeline.planned[m]} and has no actual date." for m in missed]
    notes += [
        f"Procurement warning: {w}" for w in check_timeline(timeline, working_day_calendar(Nation.UNITED_KINGDOM))
    ]
    return tuple(notes)


def _in_do(session: Session, ref: str) -> Project:
    project = require_project(session, ref, for_update=True)
    if project.stage != Stage.DO.value:
        raise UserError(f"project {project.ref} is in {Stage(project.stage).label}; a procurement is planned in Do")
    return project


def _upsert(session: Session, project: Project, name: str) -> ProcurementMilestone:
    for row in milestones_of(session=session, project_id=saved_id(project), cycle=project.cycle):
        if row.milestone == name:
            return row
    row = ProcurementMilestone(project_id=saved_id(project), cycle=project.cycle, milestone=name)
    session.add(row)
    return row


def plan(settings: Settings, *, ref: str, go_live: dt.date, as_of: dt.datetime, actor: str) -> dict[str, Any]:
    """Plan every milestone back from the go-live date; dates already met are kept."""
    schedule = back_schedule(go_live, working_day_calendar(Nation.UNITED_KINGDOM))
    with unit_of_work(database(settings)) as session:
        project = _in_do(session, ref)
        for milestone, day in schedule.items():
            _upsert(session, project, milestone.value).planned_on = day
        project_event(
            session,
            project.ref,
            "ProcurementPlanned",
            as_of=as_of,
            actor=actor,
            reason=f"back-scheduled from go-live on {go_live}",
            after={m.value: d.isoformat() for m, d in schedule.items()},
        )
        session.flush()
        return _shown(session, project, local_date(as_of, settings.timezone))


def set_milestone(
    settings: Settings,
    *,
    ref: str,
    milestone: str,
    planned: dt.date | None,
    actual: dt.date | None,
    as_of: dt.datetime,
    actor: str,
) -> dict[str, Any]:
    """Record a milestone's planned or actual date (or the planned procurement notice's)."""
    name = PLANNED_NOTICE if milestone.strip().lower().replace("-", "_") == PLANNED_NOTICE else None
    if name is None:
        parsed = Milestone.parse(milestone)
        if parsed is None:
            known = ", ".join([PLANNED_NOTICE, *(m.value for m in ORDER)])
            raise UserError(f"{milestone!r} is not a procurement milestone; use one of {known}")
        name = parsed.value
    if planned is None and actual is None:
        raise UserError("give --planned and/or --actual")
    today = local_date(as_of, settings.timezone)
    if actual is not None and actual > today:
        raise UserError(
            f"--actual {actual.isoformat()} is after the as-of date {today.isoformat()}: an actual date is "
            "recorded once it has happened (a date still to come is --planned)"
        )
    with unit_of_work(database(settings)) as session:
        project = _in_do(session, ref)
        row = _upsert(session, project, name)
        before = {"planned_on": row.planned_on, "actual_on": row.actual_on}
        if planned is not None:
            row.planned_on = planned
        replanned: dict[str, str] = {}
        if actual is not None:
            row.actual_on = actual
            replanned = _replan(session, project)
        project_event(
            session,
            project.ref,
            "MilestoneRecorded",
            as_of=as_of,
            actor=actor,
            reason=name,
            before={k: v.isoformat() if v else None for k, v in before.items()},
            after={
                "planned_on": row.planned_on.isoformat() if row.planned_on else None,
                "actual_on": row.actual_on.isoformat() if row.actual_on else None,
                **({"replanned": replanned} if replanned else {}),
            },
        )
        session.flush()
        return _shown(session, project, local_date(as_of, settings.timezone))


def _replan(session: Session, project: Project) -> dict[str, str]:
    """Re-derive the planned milestones after the latest actual one; the ones moved, with their new dates."""
    session.flush()
    timeline = timeline_of(session, project)
    if timeline is None:
        return {}
    moved: dict[str, str] = {}
    for milestone, day in replan_from_actuals(timeline, working_day_calendar(Nation.UNITED_KINGDOM)).items():
        if timeline.planned.get(milestone) != day:
            _upsert(session, project, milestone.value).planned_on = day
            moved[milestone.value] = day.isoformat()
    return moved


def show(settings: Settings, *, ref: str, as_of: dt.datetime) -> dict[str, Any]:
    with unit_of_work(database(settings)) as session:
        return _shown(session, require_project(session, ref), local_date(as_of, settings.timezone))


def _shown(session: Session, project: Project, today: dt.date) -> dict[str, Any]:
    timeline = timeline_of(session, project)
    if timeline is None:
        return {"project": project.ref, "milestones": [], "notes": list(timeline_notes(None, today)), "warnings": []}
    uk = working_day_calendar(Nation.UNITED_KINGDOM)
    missed = missed_milestones(timeline, today)
    return {
        "project": project.ref,
        "planned_procurement_notice": timeline.planned_procurement_notice.isoformat()
        if timeline.planned_procurement_notice
        else None,
        "milestones": [
            {
                "milestone": m.value,
                "planned_on": _iso(timeline.planned.get(m)),
                "actual_on": _iso(timeline.actual.get(m)),
                "missed": m in missed,
            }
            for m in ORDER
        ],
        "warnings": check_timeline(timeline, uk),
        "notes": list(timeline_notes(timeline, today)),
    }


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None
