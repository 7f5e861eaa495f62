"""Clawbacks: a paid claim found invalid is clawed back from each payer, and a clawback may be reversed.

Both are first proposed (flows/approvals/service.py), with the entries they
would write as the preview; when a second finance user approves, they are
entries in the append-only ledger (models/pbr/ledger.py), written in the
approval's transaction with their event and reason: a clawback takes back what each payer
still holds for the claim (recovered from the next run), and a reversal undoes
the open clawbacks with entries of its own and, for a sampled claim, recomputes the recovery
extrapolated from its sample in the same transaction (flows/pbr/recovery_corrections.py); nothing
is edited or deleted.
"""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flows.approvals.kinds import Inputs, Kind, digest, register
from flows.approvals.service import propose, public
from flows.common.errors import UserError
from flows.common.runtime import database
from flows.common.settings import Settings
from flows.pbr.contract import contract_id, pbr_contract, refuse_before_run
from flows.pbr.ledger import held_by_payer, pounds, unreversed_clawbacks
from flows.pbr.recovery_corrections import reinstated
from models.approvals import Proposal
from models.contracts import Contract, contract_by_id
from models.db import unit_of_work
from models.events import append_event
from models.pbr.claims import claims_by_ref
from models.pbr.ledger import ACCRUAL, CLAWBACK, OUTCOME, REVERSAL, LedgerEntry, LedgerRow, ledger_of, runs_of
from policies.dates import local_date

KIND, REVERSE_KIND = "clawback", "clawback_reversal"


@dataclass
class ClawbackResult:
    contract: str
    claim: str
    entries: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


def propose_clawback(
    settings: Settings,
    contract_ref: str,
    claim_ref: str,
    *,
    reason: str,
    as_of: dt.datetime,
    actor: str,
    reverse: bool = False,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Propose clawing back a paid claim found invalid (recovered from the next run), or reversing its clawback;
    the ledger entries are written when a second finance user approves."""
    if not reason.strip():
        raise UserError("--reason: say why (it goes in the ledger and the audit log)")
    kind = REVERSE_KIND if reverse else KIND
    with unit_of_work(database(settings)) as session:
        contract = pbr_contract(session, contract_ref)
        claim, mine, entries = _entries(settings, session, contract, claim_ref, reverse, reason, as_of, actor)
        amount = -sum(e["amount_pence"] for e in entries)
        preview: dict[str, Any] = {"claim": claim_ref, "reason": reason, "entries": _shown(entries)}
        if reverse:  # what approval will do to the recovery of a sample the claim was in, made and rolled back
            savepoint = session.begin_nested()
            try:
                for entry in entries:
                    session.add(LedgerEntry(**entry))
                session.flush()
                recomputed = reinstated(session, settings, contract, claim, reason=reason, as_of=as_of, actor=actor)
            finally:
                savepoint.rollback()
            if recomputed:
                preview["recovery"] = recomputed
        proposal, pending = propose(
            settings,
            session,
            kind=kind,
            contract=contract,
            key=f"{kind}:{claim_ref}",
            subject=f"{'reversal of the clawback of' if reverse else 'clawback of'} claim {claim_ref}",
            payload={"contract": contract.ref, "claim": claim_ref, "reason": reason, "reverse": reverse},
            preview=preview,
            inputs={"the claim's ledger entries": digest([e.id for e in mine])},
            amount_pence=amount,
            actor=actor,
            as_of=as_of,
            now=now,
        )
        return {"proposal": public(session, proposal), "pending": pending}


def _entries(
    settings: Settings,
    session: Any,
    contract: Contract,
    claim_ref: str,
    reverse: bool,
    reason: str,
    as_of: dt.datetime,
    actor: str,
) -> tuple[Any, list[LedgerRow], list[dict[str, Any]]]:
    """The claim, its ledger, and the entries a clawback (or its reversal) writes; a refusal is a UserError."""
    cid = contract_id(contract)
    claim = claims_by_ref(session=session, contract_id=cid, refs=[claim_ref]).get(claim_ref)
    if claim is None:
        raise UserError(f"contract {contract.ref} has no accepted claim {claim_ref!r}")
    assert claim.id is not None
    mine = ledger_of(session=session, contract_id=cid, claim_id=claim.id)
    open_clawbacks = unreversed_clawbacks(mine)
    paid_by = {e.run_id for e in mine if e.kind == ACCRUAL and e.run_id is not None}
    runs = [r for r in runs_of(session=session, contract_id=cid) if r.id in paid_by]
    if runs:  # what is held was paid by these runs; taking it back comes after the last of them
        refuse_before_run(max(runs, key=lambda r: r.created_at), as_of, f"that paid claim {claim_ref}")
    base = {
        "contract_id": cid,
        "entry_on": local_date(as_of, settings.timezone),
        "claim_id": claim.id,
        "participant": claim.participant,
        "created_at": as_of,
        "actor": actor,
        "memo": reason,
    }
    if reverse:
        if not open_clawbacks:
            raise UserError(f"claim {claim_ref} has no clawback to reverse")
        entries = [{**base, "payer": e.payer, "kind": REVERSAL, "item": e.item, "amount_pence": -e.amount_pence,
                    "reverses_id": e.id} for e in open_clawbacks]  # fmt: skip
        return claim, mine, entries
    if open_clawbacks:
        raise UserError(f"claim {claim_ref} was already clawed back on {open_clawbacks[0].entry_on}")
    net = held_by_payer(mine, claim.id)
    if not any(net.values()):
        raise UserError(f"claim {claim_ref} has not been paid; nothing to claw back")
    entries = [{**base, "payer": payer, "kind": CLAWBACK, "item": OUTCOME, "amount_pence": -amount}
               for payer, amount in sorted(net.items()) if amount]  # fmt: skip
    return claim, mine, entries


def _apply(
    settings: Settings, session: Any, proposal: Proposal, as_of: dt.datetime, actor: str, now: dt.datetime | None
) -> dict[str, Any]:
    """At approval: the clawback's (or reversal's) entries and event, in the approval's transaction."""
    contract = contract_by_id(session=session, contract_id=proposal.contract_id)
    claim_ref, reverse, reason = proposal.payload["claim"], proposal.payload["reverse"], proposal.payload["reason"]
    claim, _, entries = _entries(settings, session, contract, claim_ref, reverse, reason, as_of, actor)
    for entry in entries:
        session.add(LedgerEntry(**entry))
    if reverse:  # a sampled claim reinstated: its sample's recovery is recomputed, in the approval's transaction
        session.flush()
        reinstated(session, settings, contract, claim, reason=reason, as_of=as_of, actor=actor)
    append_event(
        session=session,
        effective_at=as_of,
        actor=actor,
        entity="contract",
        entity_ref=contract.ref,
        action="clawback_reversed" if reverse else "clawback",
        reason=reason,
        after={
            "claim": claim_ref,
            "amount": f"{pounds(-sum(e['amount_pence'] for e in entries)):.2f}",
            "proposal": proposal.id,
            "proposed_by": proposal.proposed_by,
        },
    )
    return ClawbackResult(contract.ref, claim_ref, _shown(entries)).as_dict()


def _shown(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"payer": e["payer"], "kind": e["kind"], "amount": f"{pounds(e['amount_pence']):.2f}"} for e in entries]


def _inputs(session: Any, proposal: Proposal) -> Inputs:
    contract = contract_by_id(session=session, contract_id=proposal.contract_id)
    claim = claims_by_ref(session=session, contract_id=proposal.contract_id, refs=[proposal.payload["claim"]])
    found = claim.get(proposal.payload["claim"])
    mine = ledger_of(session=session, contract_id=contract_id(contract), claim_id=found.id) if found else []
    return {"the claim's ledger entries": digest([e.id for e in mine])}


register(Kind(KIND, "clawback", _inputs, _apply))
register(Kind(REVERSE_KIND, "clawback reversal", _inputs, _apply))
