"""Propose, approve, reject and expire: the one service the CLI, the pages and the API call.

A proposal is made inside its kind's own transaction (``propose``), with its preview and the named inputs
it was computed from. ``approve`` checks the policy (policies/controls/approvals.py), then that nothing it
was computed from has changed since (a stale proposal is refused, naming what changed), records the
approval and, at the last approval needed, applies it: the ledger entries and the event in that one
transaction. ``reject`` and ``expire_stale`` close it; each step is an event (proposed, approved,
rejected, expired) on the contract's history, in the same transaction as the step.
"""

import datetime as dt
from collections.abc import Collection
from decimal import Decimal
from typing import Any

from sqlalchemy import event

from flows.approvals.kinds import Inputs, fingerprint, kind_of
from flows.approvals.policy import controls_policy
from flows.common.errors import UserError
from flows.common.runtime import database
from flows.common.settings import Settings
from models.approvals import Proposal, ProposalApproval, approvals_of, pending_proposal, proposal_by_id, proposals
from models.contracts import Contract, contract_by_id
from models.db import unit_of_work
from models.events import append_event
from policies.controls.approvals import (
    Action,
    Status,
    approval_refusals,
    bare_name,
    next_status,
    rejection_refusals,
)
from policies.dates import shown_instant


def propose(
    settings: Settings,
    session: Any,
    *,
    kind: str,
    contract: Contract,
    key: str,
    subject: str,
    payload: dict[str, Any],
    preview: dict[str, Any],
    inputs: Inputs,
    amount_pence: int,
    actor: str,
    as_of: dt.datetime,
    period: str | None = None,
    now: dt.datetime | None = None,
) -> tuple[Proposal, bool]:
    """The pending proposal for ``key`` (and True), or a new one (and False), in the caller's transaction.

    A pending one computed from other inputs is stale: it is closed (rejected, saying so) and replaced. It
    expires the policy's hours after it was entered (``now``, the real clock by default), whatever its as-of."""
    assert contract.id is not None
    entered = now or dt.datetime.now(dt.UTC)
    policy = controls_policy(settings)
    mark = fingerprint(inputs)
    pending = pending_proposal(session=session, contract_id=contract.id, key=key)
    if pending is not None and pending.expires_at <= entered:
        _close(
            settings, session, pending, Status.EXPIRED, by="policy", at=pending.expires_at, reason="not decided in time"
        )
        pending = None
    if pending is not None:
        if pending.fingerprint == mark:
            return pending, True
        _close(settings, session, pending, Status.REJECTED, by=actor, at=as_of,
               reason="superseded: " + _changed(pending, inputs))  # fmt: skip
        session.flush()
    proposal = Proposal(
        kind=kind,
        contract_id=contract.id,
        period=period,
        subject=subject,
        pending_key=key,
        payload={**payload, "inputs": inputs},
        preview=preview,
        fingerprint=mark,
        amount_pence=amount_pence,
        approvals_needed=policy.approvals_needed(Decimal(abs(amount_pence)) / 100),
        status=Status.PROPOSED.value,
        proposed_by=actor,
        proposed_at=as_of,
        expires_at=max(entered, as_of) + policy.expires_after,
    )
    session.add(proposal)
    session.flush()
    _event(session, contract.ref, proposal, "proposed", actor=actor, at=as_of)
    return proposal, False


def supersede(settings: Settings, session: Any, proposal: Proposal, *, actor: str, as_of: dt.datetime) -> None:
    """Close a pending proposal made stale, whose thing now proposes nothing (rejected, saying what changed), in
    the caller's transaction: as ``propose`` closes one it replaces."""
    changed = _changed(proposal, kind_of(proposal.kind).inputs(session, proposal)) or "nothing is left to propose"
    _close(settings, session, proposal, Status.REJECTED, by=actor, at=as_of, reason="superseded: " + changed)


def approve(
    settings: Settings,
    proposal_id: int,
    *,
    by: str,
    roles: Collection[str],
    as_of: dt.datetime,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Approve; at the last approval needed the proposal is applied. Refusals name every reason.

    ``as_of`` dates the approval and what it writes; ``now`` (the real clock by default) decides expiry."""
    clock = now or dt.datetime.now(dt.UTC)
    expire_stale(settings, now=clock)
    with unit_of_work(database(settings)) as session:
        proposal = _proposal(session, proposal_id)
        approvals = [a.approver for a in approvals_of(session=session, proposal_id=proposal_id)]
        reasons = approval_refusals(
            status=Status(proposal.status),
            approver=by,
            approver_roles=roles,
            proposer=proposal.proposed_by,
            approved_by=approvals,
            expires_at=proposal.expires_at,
            at=clock,
        )
        if as_of < proposal.proposed_at:
            reasons.append(f"an approval cannot be dated before the proposal ({shown_instant(proposal.proposed_at)})")
        if reasons:
            raise UserError(f"proposal {proposal_id} cannot be approved by {bare_name(by)}: " + "; ".join(reasons))
        kind = kind_of(proposal.kind)
        changed = _changed(proposal, kind.inputs(session, proposal))
        if changed:
            raise UserError(
                f"proposal {proposal_id} is stale: {changed} since it was proposed; reject it and propose it again"
            )
        session.add(ProposalApproval(proposal_id=proposal_id, approver=by, approved_at=as_of))
        contract = _contract(session, proposal)
        result: dict[str, Any] = {}
        if len(approvals) + 1 >= proposal.approvals_needed:
            result = kind.apply(settings, session, proposal, as_of, by, now)
            _close(settings, session, proposal, Status.APPROVED, by=by, at=as_of, contract=contract)
        else:
            _event(session, contract.ref, proposal, "approved", actor=by, at=as_of,
                   extra={"approvals": f"{len(approvals) + 1} of {proposal.approvals_needed}"})  # fmt: skip
        session.flush()
        return {"proposal": public(session, proposal), "result": result}


def reject(
    settings: Settings, proposal_id: int, *, by: str, roles: Collection[str], reason: str, as_of: dt.datetime
) -> dict[str, Any]:
    """Reject a pending proposal, with a reason; nothing it proposed is written."""
    if not reason.strip():
        raise UserError("--reason: say why it is rejected (it goes in the audit log)")
    expire_stale(settings)
    with unit_of_work(database(settings)) as session:
        proposal = _proposal(session, proposal_id)
        reasons = rejection_refusals(status=Status(proposal.status), who=by, roles=roles, proposer=proposal.proposed_by)
        if reasons:
            raise UserError(f"proposal {proposal_id} cannot be rejected by {bare_name(by)}: " + "; ".join(reasons))
        _close(settings, session, proposal, Status.REJECTED, by=by, at=as_of, reason=reason.strip())
        session.flush()
        return {"proposal": public(session, proposal), "result": {}}


def expire_stale(settings: Settings, *, now: dt.datetime | None = None) -> int:
    """Close every pending proposal whose time ran out by ``now`` (the real clock by default), each with its
    event dated when it expired; how many. Run on every read and decision, and by the sweep."""
    clock = now or dt.datetime.now(dt.UTC)
    with unit_of_work(database(settings)) as session:
        due = [p for p in proposals(session=session, status=Status.PROPOSED.value) if p.expires_at <= clock]
        for proposal in due:
            _close(settings, session, proposal, Status.EXPIRED, by="policy", at=proposal.expires_at,
                   reason="not decided in time")  # fmt: skip
        return len(due)


def list_proposals(
    settings: Settings, *, status: str | None = None, provider_names: Collection[str] | None = None
) -> list[dict[str, Any]]:
    """Proposals, newest first (expired ones closed first); ``provider_names`` limits them to those providers'."""
    if status is not None and status not in {s.value for s in Status} | {"pending"}:
        raise UserError(f"--status: {status!r} is not one of pending, approved, rejected, expired")
    expire_stale(settings)
    wanted = Status.PROPOSED.value if status == "pending" else status
    with unit_of_work(database(settings)) as session:
        rows = [public(session, p) for p in proposals(session=session, status=wanted)]
    if provider_names is not None:
        rows = [r for r in rows if r["provider"] in provider_names]
    return rows


def get_proposal(settings: Settings, proposal_id: int) -> dict[str, Any]:
    """One proposal with its preview and approvals."""
    expire_stale(settings)
    with unit_of_work(database(settings)) as session:
        return public(session, _proposal(session, proposal_id))


def public(session: Any, proposal: Proposal) -> dict[str, Any]:
    """A proposal as pages, the API and the CLI show it (no inputs digest: it says nothing to a person)."""
    assert proposal.id is not None
    contract = _contract(session, proposal)
    return {
        "id": proposal.id,
        "kind": proposal.kind,
        "contract": contract.ref,
        "provider": contract.provider,
        "period": proposal.period,
        "subject": proposal.subject,
        "amount": f"{proposal.amount_pence / 100:.2f}",
        "status": "pending" if proposal.status == Status.PROPOSED.value else proposal.status,
        "proposed_by": proposal.proposed_by,
        "proposed_at": proposal.proposed_at.isoformat(),
        "expires_at": proposal.expires_at.isoformat(),
        "approvals_needed": proposal.approvals_needed,
        "approved_by": [
            {"by": a.approver, "at": a.approved_at.isoformat()}
            for a in approvals_of(session=session, proposal_id=proposal.id)
        ],
        "decided_by": proposal.decided_by,
        "decided_at": proposal.decided_at.isoformat() if proposal.decided_at else None,
        "reason": proposal.reason,
        "preview": proposal.preview,
    }


def _proposal(session: Any, proposal_id: int) -> Proposal:
    in_range = 1 <= proposal_id < 2**63  # a number no database column holds is no proposal, not a database error
    proposal = proposal_by_id(session=session, proposal_id=proposal_id, for_update=True) if in_range else None
    if proposal is None:
        raise UserError(f"there is no proposal {proposal_id}; `commission proposals` lists them")
    return proposal


def _contract(session: Any, proposal: Proposal) -> Contract:
    return contract_by_id(session=session, contract_id=proposal.contract_id)


def _changed(proposal: Proposal, now: Inputs) -> str:
    """What changed among the named inputs since the proposal, in words ("" when nothing did)."""
    then: Inputs = proposal.payload.get("inputs", {})
    names = [name for name in sorted(set(then) | set(now)) if then.get(name) != now.get(name)]
    return ", ".join(names) + (" changed" if len(names) == 1 else " have changed") if names else ""


def _close(
    settings: Settings,
    session: Any,
    proposal: Proposal,
    status: Status,
    *,
    by: str,
    at: dt.datetime,
    reason: str | None = None,
    contract: Contract | None = None,
) -> None:
    action = {Status.APPROVED: Action.APPROVE, Status.REJECTED: Action.REJECT, Status.EXPIRED: Action.EXPIRE}[status]
    moved = next_status(Status(proposal.status), action)
    assert moved is status, (proposal.status, action)
    proposal.status, proposal.pending_key = status.value, None
    proposal.decided_at, proposal.decided_by, proposal.reason = at, by, reason
    session.add(proposal)
    _event(session, (contract or _contract(session, proposal)).ref, proposal, status.value, actor=by, at=at,
           reason=reason)  # fmt: skip
    discard = kind_of(proposal.kind).discard
    if discard is not None:
        # Once the decision is committed: one that never commits (kill -9, a full disk, a lost connection)
        # leaves the proposal pending, and so its drafts and kept lines, for the approver to read and approve.
        event.listen(session, "after_commit", lambda _session: discard(settings, proposal), once=True)


def _event(
    session: Any,
    contract_ref: str,
    proposal: Proposal,
    action: str,
    *,
    actor: str,
    at: dt.datetime,
    reason: str | None = None,
    extra: dict[str, Any] | None = None,
) -> None:
    append_event(
        session=session,
        effective_at=at,
        actor=actor,
        entity="contract",
        entity_ref=contract_ref,
        action=action,
        reason=reason,
        after={
            "proposal": proposal.id,
            "kind": proposal.kind,
            "subject": proposal.subject,
            "amount": f"{proposal.amount_pence / 100:.2f}",
            **(extra or {}),
        },
    )
