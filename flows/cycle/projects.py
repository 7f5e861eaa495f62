"""Commands and queries on commissioning projects that need no Prefect engine.

Each command is one transaction: validate, write the change and its event
together, or write nothing. The stage flows (``flows/cycle/stage_flows.py``) reuse the
loading and saving here so that the CLI and the flows agree.
"""

import datetime as dt
import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from flows.common.errors import UserError
from flows.common.runtime import database
from flows.common.settings import Settings
from models.contracts import contracts_of_project
from models.cycle import (
    Evidence,
    GateDecision,
    Project,
    StageRecordRow,
    current_records,
    find_evidence,
    get_project,
    latest_gate_decisions,
    list_evidence,
    list_gate_decisions,
    list_projects,
    list_records,
    saved_id,
)
from models.db import unit_of_work
from models.events import events_for, project_event
from policies.contracts.status import ContractStatus, contract_in_force
from policies.cycle.evidence import EvidenceKind, validate_evidence
from policies.cycle.gates import GatePolicy, ProjectFacts, assess
from policies.cycle.records import RecordKind, normalise_value
from policies.cycle.stages import STAGE_ORDER, Stage, Transition, check_move
from policies.dates import local_date

REF_RE = re.compile(r"^[A-Z0-9][A-Z0-9\-_/.]{1,39}$")


# --------------------------------------------------------------------------- loading


def require_project(session: Session, ref: str, *, for_update: bool = False) -> Project:
    """The project with this reference, or a user error that suggests near matches."""
    project = get_project(session=session, ref=ref, for_update=for_update)
    if project is None:
        known = [p.ref for p in list_projects(session=session)]
        close = difflib.get_close_matches(ref.upper(), known, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else "; `commission projects` lists them"
        raise UserError(f"no project with reference {ref!r}{hint}")
    return project


def load_facts(session: Session, project: Project, *, as_of: dt.datetime | None = None) -> ProjectFacts:
    """The project's evidence and this cycle's records, as they stood at ``as_of`` (default: all of them)."""
    evidence = list_evidence(session=session, project_id=saved_id(project))
    day = local_date(as_of or dt.datetime.now(dt.UTC))
    live = tuple(
        c.ref
        for c in contracts_of_project(session=session, project_id=saved_id(project))
        if (as_of is None or c.created_at <= as_of) and contract_in_force(c.to_terms(), ContractStatus(c.status), day)
    )
    notes: tuple[str, ...] = ()
    if project.stage == Stage.DO.value:
        from flows.cycle.procurement import timeline_notes, timeline_of  # the Do stage looks at its procurement

        notes = timeline_notes(timeline_of(session, project))
    return ProjectFacts(
        stage=Stage(project.stage),
        evidence=tuple(e.to_policy() for e in evidence if as_of is None or e.added_at <= as_of),
        records=current_records(session=session, project=project, as_of=as_of),
        live_contracts=live,
        notes=notes,
    )


def _refuse_backdating(project: Project, as_of: dt.datetime) -> None:
    if as_of < project.created_at:
        raise UserError(
            f"--as-of {as_of.isoformat()} is before {project.ref} was created ({project.created_at.isoformat()})"
        )


# --------------------------------------------------------------------------- commands


def create_project(
    settings: Settings,
    *,
    ref: str,
    title: str,
    service_area: str,
    owner: str,
    description: str,
    stage: str,
    as_of: dt.datetime,
    actor: str,
) -> Project:
    """Add a project to the portfolio (in Analyse unless it is being onboarded mid-cycle)."""
    ref = ref.strip().upper()
    if not REF_RE.match(ref):
        raise UserError(f"project reference {ref!r} must be 2-40 letters, digits or - _ / . (e.g. FAM-2026-01)")
    for name, value, limit in (("title", title, 200), ("service area", service_area, 120), ("owner", owner, 120)):
        if not value.strip():
            raise UserError(f"a project needs a {name}")
        if len(value.strip()) > limit:
            raise UserError(f"a project's {name} is at most {limit} characters; this one is {len(value.strip())}")
    start = Stage.parse(stage)
    if start is None or start is Stage.DECOMMISSIONED:
        allowed = ", ".join(s.value for s in STAGE_ORDER if s is not Stage.DECOMMISSIONED)
        raise UserError(f"{stage!r} is not a stage a project can start in; use one of {allowed}")
    with unit_of_work(database(settings)) as session:
        if get_project(session=session, ref=ref) is not None:
            raise UserError(f"project {ref} already exists; `commission show {ref}` shows it")
        project = Project(
            ref=ref,
            title=title.strip(),
            service_area=service_area.strip(),
            owner=owner.strip(),
            description=description.strip(),
            stage=start.value,
            cycle=1,
            stage_entered_at=as_of,
            created_at=as_of,
        )
        session.add(project)
        project_event(
            session,
            ref,
            "ProjectCreated",
            as_of=as_of,
            actor=actor,
            reason=None if start is Stage.ANALYSE else f"onboarded mid-cycle in {start.label}",
            after=project.snapshot(),
        )
    return project


def add_evidence(
    settings: Settings, *, ref: str, fields: Mapping[str, Any], as_of: dt.datetime, actor: str
) -> Evidence:
    """Add an item to a project's evidence register, after checking every field."""
    item, problems = validate_evidence(fields)
    if item is None:
        raise UserError("evidence not added: " + "; ".join(str(p) for p in problems))
    with unit_of_work(database(settings)) as session:
        project = require_project(session, ref)
        _refuse_backdating(project, as_of)
        existing = find_evidence(
            session=session, project_id=saved_id(project), kind=item.kind.value, source=item.source
        )
        if existing is not None:
            raise UserError(
                f"evidence of {item.kind.label} from {item.source!r} is already in {project.ref}'s register "
                f"(item {existing.id})"
            )
        row = Evidence(
            project_id=saved_id(project),
            cycle=project.cycle,
            kind=item.kind.value,
            source=item.source,
            produced_by=item.produced_by,
            independently_reviewed=item.independently_reviewed,
            method=item.method,
            context_fit=item.context_fit.value,
            strength_scale=item.strength.scale.value,
            strength_level=item.strength.level,
            summary=item.summary,
            link=item.link,
            added_at=as_of,
            added_by=actor,
        )
        session.add(row)
        session.flush()
        project_event(
            session,
            project.ref,
            "EvidenceAdded",
            as_of=as_of,
            actor=actor,
            after=row.public(),
        )
    return row


def add_record(
    settings: Settings,
    *,
    ref: str,
    kind: str,
    value: str,
    on: dt.date,
    note: str,
    link: str | None,
    as_of: dt.datetime,
    actor: str,
) -> StageRecordRow:
    """Record a stage document or decision (business case, route, award, review decision...)."""
    record_kind = RecordKind.parse(kind)
    if record_kind is None:
        raise UserError(f"{kind!r} is not a kind of record; use one of {', '.join(k.value for k in RecordKind)}")
    stored, why = normalise_value(record_kind, value)
    if stored is None:
        raise UserError(f"record not added: {why}")
    with unit_of_work(database(settings)) as session:
        project = require_project(session, ref)
        if on > local_date(as_of, settings.timezone):
            raise UserError(
                f"--on {on.isoformat()} is after the as-of date {local_date(as_of, settings.timezone).isoformat()}: "
                "a decision is recorded once it has been made"
            )
        return record_in(session, project, record_kind, stored, on=on, note=note, link=link, as_of=as_of, actor=actor)


def record_in(
    session: Session,
    project: Project,
    kind: RecordKind,
    value: str,
    *,
    on: dt.date,
    note: str,
    link: str | None,
    as_of: dt.datetime,
    actor: str,
) -> StageRecordRow:
    """Add a checked stage record and its event to the caller's transaction."""
    if project.stage == Stage.DECOMMISSIONED.value:
        raise UserError(f"project {project.ref} is decommissioned; nothing more can be recorded")
    _refuse_backdating(project, as_of)
    previous = current_records(session=session, project=project).get(kind)
    row = StageRecordRow(
        project_id=saved_id(project),
        cycle=project.cycle,
        kind=kind.value,
        value=value,
        recorded_on=on,
        note=note.strip(),
        link=link,
        recorded_at=as_of,
        recorded_by=actor,
    )
    session.add(row)
    session.flush()
    project_event(
        session,
        project.ref,
        "RecordAdded",
        as_of=as_of,
        actor=actor,
        reason=note.strip() or None,
        before={"kind": kind.value, "value": previous.value} if previous else None,
        after=row.public(),
    )
    return row


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
        decision = GateDecision(
            project_id=saved_id(project),
            cycle=project.cycle,
            from_stage=expected_stage.value,
            to_stage=transition.target.value if transition else None,
            outcome=assessment.outcome,
            unmet=[{"code": u.code, "sentence": u.sentence} for u in assessment.unmet],
            findings=list(assessment.findings),
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


# --------------------------------------------------------------------------- queries


def board(settings: Settings) -> list[dict[str, Any]]:
    """Every project with its stage and its latest gate result, in cycle order."""
    with unit_of_work(database(settings)) as session:
        latest = latest_gate_decisions(session=session)
        rows = []
        for p in list_projects(session=session):
            last = latest.get(saved_id(p))
            rows.append(
                {
                    **p.snapshot(),
                    "stage_entered_at": p.stage_entered_at.isoformat(),
                    "last_gate": None
                    if last is None
                    else {
                        "outcome": last.outcome,
                        "to_stage": last.to_stage,
                        "unmet": len(last.unmet),
                        "decided_at": last.decided_at.isoformat(),
                    },
                }
            )
    order = {s.value: i for i, s in enumerate(STAGE_ORDER)}
    return sorted(rows, key=lambda r: (order[r["stage"]], r["ref"]))


def project_detail(settings: Settings, policy: GatePolicy, ref: str) -> dict[str, Any]:
    """Everything about one project, with its gate as it stands now."""
    with unit_of_work(database(settings)) as session:
        project = require_project(session, ref)
        facts = load_facts(session, project)
        gate = assess(facts, policy)
        pid = saved_id(project)
        return {
            **project.snapshot(),
            "description": project.description,
            "stage_entered_at": project.stage_entered_at.isoformat(),
            "created_at": project.created_at.isoformat(),
            "gate": {
                "outcome": gate.outcome,
                "to_stage": gate.transition.target.value if gate.transition else None,
                "unmet": [{"code": u.code, "sentence": u.sentence} for u in gate.unmet],
                "findings": list(gate.findings),
            },
            "evidence": [e.public() for e in list_evidence(session=session, project_id=pid)],
            "records": [r.public() for r in list_records(session=session, project_id=pid)],
            "gate_decisions": [g.public() for g in list_gate_decisions(session=session, project_id=pid)],
            "history": [
                {
                    "at": e.effective_at.isoformat(),
                    "recorded_at": e.recorded_at.isoformat(),
                    "actor": e.actor,
                    "action": e.action,
                    "reason": e.reason,
                    "before": e.before,
                    "after": e.after,
                }
                for e in events_for(session=session, entity="project", entity_ref=project.ref)
            ],
        }


def evidence_register(settings: Settings, *, ref: str | None, kind: str | None) -> list[dict[str, Any]]:
    if kind is not None:
        parsed = EvidenceKind.parse(kind)
        if parsed is None:
            raise UserError(
                f"{kind!r} is not a kind of evidence; use one of {', '.join(k.value for k in EvidenceKind)}"
            )
        kind = parsed.value
    with unit_of_work(database(settings)) as session:
        project_id = saved_id(require_project(session, ref)) if ref else None
        refs = {saved_id(p): p.ref for p in list_projects(session=session)}
        return [
            {"project": refs[e.project_id], **e.public()}
            for e in list_evidence(session=session, project_id=project_id, kind=kind)
        ]
