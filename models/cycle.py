"""Commissioning projects, their evidence, stage records and gate decisions.

Repository functions take a keyword-only ``session`` and never commit: the
caller (a flow or a command in ``flows/``) owns the transaction.
"""

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint, func
from sqlmodel import Field, Session, SQLModel, col, select

from models.db import UTCDateTime
from policies.cycle.evidence import ContextFit, EvidenceItem, EvidenceKind, Strength, StrengthScale
from policies.cycle.records import RecordKind, StageRecord


class Project(SQLModel, table=True):
    __tablename__ = "project"

    id: int | None = Field(default=None, primary_key=True)
    ref: str = Field(max_length=40, unique=True, index=True)
    title: str = Field(max_length=200)
    service_area: str = Field(max_length=120)
    owner: str = Field(max_length=120)
    description: str = Field(default="")
    stage: str = Field(max_length=20, index=True)
    cycle: int = Field(default=1)
    stage_entered_at: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    created_at: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))

    def snapshot(self) -> dict[str, Any]:
        return {
            "ref": self.ref,
            "title": self.title,
            "service_area": self.service_area,
            "owner": self.owner,
            "stage": self.stage,
            "cycle": self.cycle,
        }


class Evidence(SQLModel, table=True):
    __tablename__ = "evidence"
    __table_args__ = (UniqueConstraint("project_id", "kind", "source", name="uq_evidence_source"),)

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    cycle: int
    kind: str = Field(max_length=30)
    source: str = Field(max_length=300)
    produced_by: str = Field(max_length=200)
    independently_reviewed: bool
    method: str = Field(max_length=200)
    context_fit: str = Field(max_length=10)
    strength_scale: str = Field(max_length=10)
    strength_level: int
    summary: str
    link: str | None = Field(default=None, max_length=500)
    added_at: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    added_by: str = Field(max_length=120)
    # withdrawn (entered in error): kept in the register and the history, no longer counted by the gates
    withdrawn_at: dt.datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    withdrawn_by: str | None = Field(default=None, max_length=120)
    withdrawn_reason: str | None = None

    def to_policy(self) -> EvidenceItem:
        return EvidenceItem(
            kind=EvidenceKind(self.kind),
            source=self.source,
            produced_by=self.produced_by,
            independently_reviewed=self.independently_reviewed,
            method=self.method,
            context_fit=ContextFit(self.context_fit),
            strength=Strength(StrengthScale(self.strength_scale), self.strength_level),
            summary=self.summary,
            link=self.link,
        )

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "source": self.source,
            "produced_by": self.produced_by,
            "independently_reviewed": self.independently_reviewed,
            "method": self.method,
            "context_fit": self.context_fit,
            "strength": f"{self.strength_scale}:{self.strength_level}",
            "summary": self.summary,
            "link": self.link,
            "cycle": self.cycle,
            "added_at": self.added_at.isoformat(),
            "added_by": self.added_by,
            **(
                {
                    "withdrawn": {
                        "at": self.withdrawn_at.isoformat(),
                        "by": self.withdrawn_by,
                        "reason": self.withdrawn_reason,
                    }
                }
                if self.withdrawn_at is not None
                else {}
            ),
        }


class StageRecordRow(SQLModel, table=True):
    __tablename__ = "stage_record"

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    cycle: int
    kind: str = Field(max_length=30)
    value: str = Field(max_length=200)
    recorded_on: dt.date
    note: str = Field(default="")
    link: str | None = Field(default=None, max_length=500)
    recorded_at: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    recorded_by: str = Field(max_length=120)
    # entered in error: the record that supersedes it (the gates use that one), and why
    superseded_by: int | None = Field(default=None, foreign_key="stage_record.id")
    superseded_reason: str | None = None

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "cycle": self.cycle,
            "kind": self.kind,
            "value": self.value,
            "recorded_on": self.recorded_on.isoformat(),
            "note": self.note,
            "link": self.link,
            "recorded_by": self.recorded_by,
            **(
                {"superseded_by": self.superseded_by, "superseded_reason": self.superseded_reason}
                if self.superseded_by is not None
                else {}
            ),
        }


class GateDecision(SQLModel, table=True):
    __tablename__ = "gate_decision"

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    cycle: int
    from_stage: str = Field(max_length=20)
    to_stage: str | None = Field(default=None, max_length=20)
    outcome: str = Field(max_length=10)
    unmet: list[dict[str, str]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    findings: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    reason: str | None = Field(default=None)
    decided_at: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    decided_by: str = Field(max_length=120)
    flow_run_id: str | None = Field(default=None, max_length=64)
    policy_sources: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "cycle": self.cycle,
            "from_stage": self.from_stage,
            "to_stage": self.to_stage,
            "outcome": self.outcome,
            "unmet": self.unmet,
            "findings": self.findings,
            "reason": self.reason,
            "decided_at": self.decided_at.isoformat(),
            "decided_by": self.decided_by,
            "flow_run_id": self.flow_run_id,
            "policy_sources": self.policy_sources,
        }


# --------------------------------------------------------------------------- repositories


def get_project(*, session: Session, ref: str, for_update: bool = False) -> Project | None:
    stmt = select(Project).where(Project.ref == ref)
    if for_update:
        stmt = stmt.with_for_update()
    return session.exec(stmt).first()


def projects_by_ref(*, session: Session, refs: list[str]) -> dict[str, Project]:
    found: dict[str, Project] = {}
    for i in range(0, len(refs), 5000):
        found |= {p.ref: p for p in session.exec(select(Project).where(col(Project.ref).in_(refs[i : i + 5000])))}
    return found


def list_projects(*, session: Session) -> list[Project]:
    return list(session.exec(select(Project).order_by(col(Project.ref))))


def list_evidence(*, session: Session, project_id: int | None = None, kind: str | None = None) -> list[Evidence]:
    stmt = select(Evidence)
    if project_id is not None:
        stmt = stmt.where(Evidence.project_id == project_id)
    if kind is not None:
        stmt = stmt.where(Evidence.kind == kind)
    return list(session.exec(stmt.order_by(col(Evidence.project_id), col(Evidence.id))))


def find_evidence(*, session: Session, project_id: int, kind: str, source: str) -> Evidence | None:
    stmt = select(Evidence).where(Evidence.project_id == project_id, Evidence.kind == kind, Evidence.source == source)
    return session.exec(stmt).first()


def list_records(*, session: Session, project_id: int) -> list[StageRecordRow]:
    stmt = select(StageRecordRow).where(StageRecordRow.project_id == project_id)
    return list(session.exec(stmt.order_by(col(StageRecordRow.id))))


def current_records(
    *, session: Session, project: Project, as_of: dt.datetime | None = None
) -> dict[RecordKind, StageRecord]:
    """The latest record of each kind in the project's current cycle (made by ``as_of``, if given)."""
    latest: dict[RecordKind, StageRecord] = {}
    rows = list_records(session=session, project_id=saved_id(project))
    made = {row.id: row.recorded_at for row in rows}
    for row in rows:
        by = made.get(row.superseded_by) if row.superseded_by is not None else None
        if by is not None and (as_of is None or by <= as_of):
            continue  # entered in error, and superseded (by then)
        if row.cycle == project.cycle and (as_of is None or row.recorded_at <= as_of):
            latest[RecordKind(row.kind)] = StageRecord(RecordKind(row.kind), row.value, row.recorded_on.isoformat())
    return latest


def list_gate_decisions(*, session: Session, project_id: int) -> list[GateDecision]:
    stmt = select(GateDecision).where(GateDecision.project_id == project_id)
    return list(session.exec(stmt.order_by(col(GateDecision.decided_at), col(GateDecision.id))))


def latest_gate_decisions(*, session: Session) -> dict[int, GateDecision]:
    """The most recent gate decision of every project, by project id."""
    newest = (
        select(GateDecision.project_id, func.max(GateDecision.id).label("id"))
        .group_by(col(GateDecision.project_id))
        .subquery()
    )
    stmt = select(GateDecision).join(newest, col(GateDecision.id) == newest.c.id)
    return {row.project_id: row for row in session.exec(stmt)}


def saved_id(project: Project) -> int:
    """The saved project's primary key."""
    if project.id is None:
        raise ValueError(f"project {project.ref} has not been saved")
    return project.id
