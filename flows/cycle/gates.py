"""A project's stage gate: the facts it is judged on, the checks before a flow starts, and the decision.

``load_facts`` gathers what the gate looks at (evidence, this cycle's records,
contracts in force and, in Do, the procurement timeline); ``check_advance``
refuses what can never succeed before any flow starts; ``decide_gate``
assesses the gate and writes the decision, any move and its events in one
transaction.
"""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from flows.common.errors import UserError
from flows.common.runtime import database
from flows.common.settings import Settings
from flows.cycle.procurement import timeline_notes, timeline_of
from flows.cycle.projects import require_project
from flows.performance.assessment import review_findings
from models.cycle import GateDecision, Project, current_records, list_evidence, saved_id
from models.db import unit_of_work
from models.events import project_event
from models.project_contracts import contracts_in_force
from policies.cycle.gates import GatePolicy, ProjectFacts, assess
from policies.cycle.stages import STAGE_ORDER, Stage, Transition, check_move
from policies.dates import local_date


def load_facts(session: Session, project: Project, *, as_of: dt.datetime | None = None) -> ProjectFacts:
    """The project's evidence and this cycle's records, as they stood at ``as_of`` (default: all of them); an item
    withdrawn (by ``as_of``) no longer counts."""
    evidence = [
        e
        for e in list_evidence(session=session, project_id=saved_id(project))
        if e.withdrawn_at is None or (as_of is not None and e.withdrawn_at > as_of)
    ]
    day = local_date(as_of or dt.datetime.now(dt.UTC))
    live = contracts_in_force(session=session, project_id=saved_id(project), day=day, as_of=as_of)
    notes: tuple[str, ...] = ()
    if project.stage == Stage.DO.value:  # the Do stage looks at its procurement
        notes = timeline_notes(timeline_of(session, project), day)
    return ProjectFacts(
        stage=Stage(project.stage),
        evidence=tuple(e.to_policy() for e in evidence if as_of is None or e.added_at <= as_of),
        records=current_records(session=session, project=project, as_of=as_of),
        live_contracts=live.refs,
        live_count=live.count,
        notes=notes,
    )


@dataclass(frozen=True)
class AdvanceRequest:
    """A checked request to run a project's current stage flow."""

    ref: str
    stage: Stage
    target: Stage | None
    reason: str | None


def check_advance(
    settings: Settings, *, ref: str, to: str | None, reason: str | None, as_of: dt.datetime
) -> AdvanceRequest:
    """Refuse, before any flow starts, what can never succeed: unknown ref, illegal move, time travel."""
    with unit_of_work(database(settings)) as session:
        project = require_project(session, ref)
        stage = Stage(project.stage)
        if as_of < project.stage_entered_at:
            raise UserError(
                f"--as-of {as_of.isoformat()} is before {project.ref} entered {stage.label} "
                f"({project.stage_entered_at.isoformat()})"
            )
        target: Stage | None = None
        if to is not None:
            target = Stage.parse(to)
            if target is None:
                raise UserError(f"{to!r} is not a stage; use one of {', '.join(s.value for s in STAGE_ORDER)}")
        if stage is Stage.DECOMMISSIONED:
            raise UserError(f"project {project.ref} is decommissioned; it cannot move any further")
        if target is not None:
            _, why = check_move(stage, target, reason)
            if why:
                raise UserError(f"illegal transition for {project.ref}: {why}")
        return AdvanceRequest(project.ref, stage, target, reason)


def decide_gate(
    engine: Any,
    policy: GatePolicy,
    *,
    ref: str,
    expected_stage: Stage,
    target: Stage | None,
    reason: str | None,
    as_of: dt.datetime,
    actor: str,
    flow_run_id: str | None,
) -> dict[str, Any]:
    """Assess a project's gate and write the decision, any move and its events, in one transaction.

    The project row is locked first (FOR UPDATE on PostgreSQL, BEGIN IMMEDIATE on
    SQLite), so the facts the gate sees cannot change before the decision is
    saved. If the project is no longer in ``expected_stage`` (another advance got
    there first), nothing is written and the result says so.
    """
    with unit_of_work(engine) as session:
        project = require_project(session, ref, for_update=True)
        if project.stage != expected_stage.value:
            return {
                "ref": ref,
                "outcome": "conflict",
                "stage_now": project.stage,
                "message": f"project {ref} is now in {Stage(project.stage).label}, not {expected_stage.label}: "
                "another change got there first; look at `commission show` and run advance again",
            }
        assessment = assess(load_facts(session, project, as_of=as_of), policy, target)
        transition = assessment.transition
        performance = review_findings(session, saved_id(project)) if expected_stage is Stage.REVIEW else []
        decision = GateDecision(
            project_id=saved_id(project),
            cycle=project.cycle,
            from_stage=expected_stage.value,
            to_stage=transition.target.value if transition else None,
            outcome=assessment.outcome,
            unmet=[{"code": u.code, "sentence": u.sentence} for u in assessment.unmet],
            findings=[*performance, *assessment.findings],  # the gate's own finding stays last
            reason=reason,
            decided_at=as_of,
            decided_by=actor,
            flow_run_id=flow_run_id,
            policy_sources=list(policy.sources),
        )
        session.add(decision)
        if assessment.outcome == "passed" and transition is not None:
            _move(session, project, transition, reason, as_of, actor)
        elif assessment.outcome == "refused":
            project_event(
                session,
                ref,
                "GateRefused",
                as_of=as_of,
                actor=actor,
                reason=reason,
                after={"to_stage": decision.to_stage, "unmet": decision.unmet},
            )
        else:
            project_event(
                session,
                ref,
                "StageHeld",
                as_of=as_of,
                actor=actor,
                reason=assessment.findings[-1] if assessment.findings else None,
            )
        session.flush()
        return {"ref": ref, **decision.public(), "stage_now": project.stage}


def _move(
    session: Session, project: Project, transition: Transition, reason: str | None, as_of: dt.datetime, actor: str
) -> None:
    before = {"stage": project.stage, "cycle": project.cycle}
    project.stage = transition.target.value
    project.stage_entered_at = as_of
    if transition.starts_new_cycle:
        project.cycle += 1
    session.add(project)
    project_event(
        session,
        project.ref,
        "StageChanged",
        as_of=as_of,
        actor=actor,
        reason=reason or f"gate passed: {transition.meaning}",
        before=before,
        after={"stage": project.stage, "cycle": project.cycle, "move": transition.move.value},
    )
