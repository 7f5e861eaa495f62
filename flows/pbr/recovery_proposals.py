"""Withdrawing a sample's recovery, or correcting a check and recomputing it, as proposals that a second
finance user approves (kinds ``recovery_withdrawal`` and ``recovery_correction``).

Both move money (reversing entries, a claim clawed back or reinstated, a new recovery), so they follow the
rule for payments: proposed with a preview, written when someone other than the proposer approves. The
preview is the very change (flows/pbr/recovery_corrections.py) made in a savepoint and rolled back, so it
shows every entry the approval writes; at approval the change is made again, from the ledger as it is then,
in the approval's transaction. A proposal whose sample or ledger has moved since is refused as stale. A
withdrawal that would reverse nothing (the recovery was £0.00, or recomputed to it) is refused, not proposed.
"""

import datetime as dt
from typing import Any

from flows.approvals.kinds import Inputs, Kind, digest, register
from flows.approvals.service import propose, public
from flows.common.errors import UserError
from flows.common.runtime import database
from flows.common.settings import Settings
from flows.pbr.contract import contract_id, pbr_contract
from flows.pbr.recovery_corrections import RecoveryResult, _concluded, _correct, _withdraw
from models.approvals import Proposal
from models.contracts import contract_by_id
from models.db import unit_of_work
from models.pbr.totals import last_entry

WITHDRAW = "recovery_withdrawal"
CORRECT = "recovery_correction"


def propose_withdrawal(
    settings: Settings,
    contract_ref: str,
    period_text: str,
    *,
    reason: str,
    as_of: dt.datetime,
    actor: str,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Propose withdrawing a sample's recovery: ``result`` is the preview (or "unchanged", and no proposal)."""
    payload = {"contract": contract_ref, "period": period_text, "reason": _reason(reason)}
    return _propose(settings, WITHDRAW, payload, "withdrawal of the recovery", as_of=as_of, actor=actor, now=now)


def propose_correction(
    settings: Settings,
    contract_ref: str,
    period_text: str,
    claim_ref: str,
    *,
    result: str,
    reason: str,
    as_of: dt.datetime,
    actor: str,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Propose correcting a sampled claim's check (``result`` valid or invalid) and recomputing the recovery."""
    payload = {"contract": contract_ref, "period": period_text, "claim": claim_ref, "result": result,
               "reason": _reason(reason)}  # fmt: skip
    subject = f"correction of claim {claim_ref}'s check to {result}, and the recovery"
    return _propose(settings, CORRECT, payload, subject, as_of=as_of, actor=actor, now=now)


def _propose(
    settings: Settings,
    kind: str,
    payload: dict[str, Any],
    subject: str,
    *,
    as_of: dt.datetime,
    actor: str,
    now: dt.datetime | None,
) -> dict[str, Any]:
    with unit_of_work(database(settings)) as session:
        contract = pbr_contract(session, payload["contract"])
        savepoint = session.begin_nested()
        try:
            shown = _change(settings, session, kind, payload, as_of, actor)
        finally:
            savepoint.rollback()
        if shown.action == "unchanged":
            return {"result": shown.as_dict(), "proposal": None, "pending": False}
        if kind == WITHDRAW and not shown.entries:  # a proposal to move nothing: refused, not a £0.00 proposal
            raise UserError(
                f"{shown.contract} {shown.period}: the sample's recovery is £{shown.before.get('recovery', '0.00')} "
                "with no entry of it open in the ledger: nothing to withdraw, so nothing is proposed"
            )
        _, sample, _ = _concluded(session, payload["contract"], payload["period"])
        moved = sum(round(float(e["amount"]) * 100) for e in shown.entries)
        proposal, pending = propose(
            settings,
            session,
            kind=kind,
            contract=contract,
            key=f"{kind}:{sample.id}:{payload.get('claim', '')}",
            subject=f"{subject} of the {sample.period} sample",
            payload=payload,
            preview={"reason": payload["reason"], **{k: shown.as_dict()[k] for k in ("before", "after", "entries")}},
            inputs=_state(session, contract_id(contract), sample.conclusion),
            amount_pence=-moved,
            actor=actor,
            as_of=as_of,
            period=sample.period,
            now=now,
        )
        return {"result": shown.as_dict(), "proposal": public(session, proposal), "pending": pending}


def _change(
    settings: Settings, session: Any, kind: str, payload: dict[str, Any], as_of: dt.datetime, actor: str
) -> RecoveryResult:
    if kind == WITHDRAW:
        return _withdraw(session, settings, payload["contract"], payload["period"], reason=payload["reason"],
                         as_of=as_of, actor=actor)  # fmt: skip
    return _correct(session, settings, payload["contract"], payload["period"], payload["claim"],
                    result=payload["result"], reason=payload["reason"], as_of=as_of, actor=actor)  # fmt: skip


def _state(session: Any, cid: int, conclusion: Any) -> Inputs:
    return {
        "the sample's conclusion": digest(conclusion),
        "the ledger (a run, a clawback or a recovery)": str(last_entry(session=session, contract_id=cid)),
    }


def _apply(
    settings: Settings, session: Any, proposal: Proposal, as_of: dt.datetime, actor: str, now: dt.datetime | None
) -> dict[str, Any]:
    """At approval: the withdrawal or correction made, from the ledger as it is now, in this transaction."""
    return _change(settings, session, proposal.kind, proposal.payload, as_of, actor).as_dict()


def _inputs(session: Any, proposal: Proposal) -> Inputs:
    contract = contract_by_id(session=session, contract_id=proposal.contract_id)
    p = proposal.payload
    try:
        _, sample, _ = _concluded(session, p["contract"], p["period"])
    except UserError:
        return {"the sample's conclusion": "gone"}
    return _state(session, contract_id(contract), sample.conclusion)


def _reason(reason: str) -> str:
    if not reason.strip():
        raise UserError("--reason: say why (it goes in the ledger and the audit log)")
    return reason.strip()


register(Kind(WITHDRAW, "recovery withdrawal", _inputs, _apply))
register(Kind(CORRECT, "recovery correction", _inputs, _apply))
