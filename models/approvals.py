"""Proposals and their approvals: what waits for a second finance user before it reaches the ledger.

A proposal's ``preview`` is what the approver is shown; its ``payload`` is what the approval applies; its
``fingerprint`` is of the inputs it was computed from, so a proposal made stale by a later change is refused.
``pending_key`` is set only while it is pending: one pending proposal per (contract, thing proposed). Its
status moves once (policies/controls/approvals.py); every move is also an event.
"""

import datetime as dt
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, UniqueConstraint
from sqlmodel import Field, Session, SQLModel, col, select

import models.contracts  # noqa: F401  (the contract table)
from models.db import UTCDateTime


class Proposal(SQLModel, table=True):
    __tablename__ = "proposal"
    __table_args__ = (UniqueConstraint("contract_id", "pending_key", name="uq_proposal_pending"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=24, index=True)
    contract_id: int = Field(foreign_key="contract.id")
    period: str | None = Field(default=None, max_length=10)
    subject: str = Field(max_length=200)  # what is proposed, e.g. "payment run 2026-Q1" or "clawback C-1"
    pending_key: str | None = Field(default=None, max_length=200)
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    preview: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    fingerprint: str = Field(max_length=64)
    amount_pence: int = Field(sa_type=BigInteger)  # a run's total: £21.5m is past a 32-bit integer
    approvals_needed: int
    status: str = Field(max_length=10, index=True)
    proposed_by: str = Field(max_length=120)
    proposed_at: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    expires_at: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    decided_at: dt.datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    decided_by: str | None = Field(default=None, max_length=120)
    reason: str | None = None


class ProposalApproval(SQLModel, table=True):
    __tablename__ = "proposal_approval"
    __table_args__ = (UniqueConstraint("proposal_id", "approver", name="uq_proposal_approval"),)

    id: int | None = Field(default=None, primary_key=True)
    proposal_id: int = Field(foreign_key="proposal.id", index=True)
    approver: str = Field(max_length=120)
    approved_at: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


def proposal_by_id(*, session: Session, proposal_id: int, for_update: bool = False) -> Proposal | None:
    stmt = select(Proposal).where(Proposal.id == proposal_id)
    return session.exec(stmt.with_for_update() if for_update else stmt).first()


def pending_proposal(*, session: Session, contract_id: int, key: str) -> Proposal | None:
    stmt = select(Proposal).where(Proposal.contract_id == contract_id, Proposal.pending_key == key)
    return session.exec(stmt).first()


def proposed_since(*, session: Session, contract_id: int, kind: str, period: str, since: dt.datetime) -> bool:
    """Whether anything of ``kind`` for the contract's ``period`` was proposed at or after ``since``, whatever
    became of it (pending, approved, rejected or lapsed)."""
    stmt = select(Proposal.id).where(
        Proposal.contract_id == contract_id,
        Proposal.kind == kind,
        Proposal.period == period,
        col(Proposal.proposed_at) >= since,
    )
    return session.exec(stmt.limit(1)).first() is not None


def proposals(
    *, session: Session, status: str | None = None, contract_id: int | None = None, limit: int = 500
) -> list[Proposal]:
    """Newest first, filtered by status and contract when given."""
    stmt = select(Proposal)
    if status is not None:
        stmt = stmt.where(Proposal.status == status)
    if contract_id is not None:
        stmt = stmt.where(Proposal.contract_id == contract_id)
    return list(session.exec(stmt.order_by(col(Proposal.id).desc()).limit(limit)))


def proposal_ids(*, session: Session, contract_id: int, status: str) -> set[int]:
    """The ids of a contract's proposals in ``status``, however many."""
    stmt = select(Proposal.id).where(Proposal.status == status, Proposal.contract_id == contract_id)
    return {int(i) for i in session.exec(stmt) if i is not None}


def approvals_of(*, session: Session, proposal_id: int) -> list[ProposalApproval]:
    stmt = select(ProposalApproval).where(ProposalApproval.proposal_id == proposal_id)
    return list(session.exec(stmt.order_by(col(ProposalApproval.id))))
