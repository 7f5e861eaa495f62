"""Clawbacks: a paid claim found invalid is clawed back from each payer, and a clawback may be reversed.

Both are entries in the append-only ledger (models/pbr/ledger.py), written in one
transaction with their event and reason: a clawback takes back what each payer
still holds for the claim (recovered from the next run), and a reversal undoes
the open clawbacks with entries of its own (and, for a sampled claim, recomputes
the recovery extrapolated from its sample: flows/pbr/recoveries.py); nothing is
edited or deleted.
"""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flows.common.errors import UserError
from flows.common.runtime import database
from flows.common.settings import Settings
from flows.pbr.contract import contract_id, pbr_contract, refuse_before_run
from flows.pbr.ledger import held_by_payer, pounds, unreversed_clawbacks
from flows.pbr.recoveries import reinstated
from models.db import unit_of_work
from models.events import append_event
from models.pbr.claims import claims_by_ref
from models.pbr.ledger import ACCRUAL, CLAWBACK, OUTCOME, REVERSAL, LedgerEntry, ledger_of, runs_of
from policies.dates import local_date


@dataclass
class ClawbackResult:
    contract: str
    claim: str
    entries: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


def clawback(
    settings: Settings,
    contract_ref: str,
    claim_ref: str,
    *,
    reason: str,
    as_of: dt.datetime,
    actor: str,
    reverse: bool = False,
) -> ClawbackResult:
    """Claw back a paid claim found invalid (recovered from the next run), or reverse such a clawback."""
    if not reason.strip():
        raise UserError("--reason: say why (it goes in the ledger and the audit log)")
    today = local_date(as_of, settings.timezone)
    with unit_of_work(database(settings)) as session:
        contract = pbr_contract(session, contract_ref)
        cid = contract_id(contract)
        claim = claims_by_ref(session=session, contract_id=cid, refs=[claim_ref]).get(claim_ref)
        if claim is None:
            raise UserError(f"contract {contract_ref} has no accepted claim {claim_ref!r}")
        assert claim.id is not None
        mine = ledger_of(session=session, contract_id=cid, claim_id=claim.id)
        open_clawbacks = unreversed_clawbacks(mine)
        paid_by = {e.run_id for e in mine if e.kind == ACCRUAL and e.run_id is not None}
        runs = [r for r in runs_of(session=session, contract_id=cid) if r.id in paid_by]
        if runs:  # what is held was paid by these runs; taking it back comes after the last of them
            refuse_before_run(max(runs, key=lambda r: r.created_at), as_of, f"that paid claim {claim_ref}")
        base = {
            "contract_id": cid,
            "entry_on": today,
            "claim_id": claim.id,
            "participant": claim.participant,
            "created_at": as_of,
            "actor": actor,
        }
        entries: list[dict[str, Any]] = []
        if reverse:
            if not open_clawbacks:
                raise UserError(f"claim {claim_ref} has no clawback to reverse")
            for e in open_clawbacks:
                entries.append(
                    {
                        **base,
                        "payer": e.payer,
                        "kind": REVERSAL,
                        "item": e.item,
                        "amount_pence": -e.amount_pence,
                        "reverses_id": e.id,
                        "memo": reason,
                    }
                )
        else:
            if open_clawbacks:
                raise UserError(f"claim {claim_ref} was already clawed back on {open_clawbacks[0].entry_on}")
            net = held_by_payer(mine, claim.id)
            if not any(net.values()):
                raise UserError(f"claim {claim_ref} has not been paid; nothing to claw back")
            for payer, amount in sorted(net.items()):
                if amount:
                    entries.append(
                        {
                            **base,
                            "payer": payer,
                            "kind": CLAWBACK,
                            "item": OUTCOME,
                            "amount_pence": -amount,
                            "memo": reason,
                        }
                    )
        for entry in entries:
            session.add(LedgerEntry(**entry))
        if reverse:  # a sampled claim reinstated: the recovery extrapolated from its sample is recomputed
            reinstated(session, settings, contract, claim, reason=reason, as_of=as_of, actor=actor)
        append_event(
            session=session,
            effective_at=as_of,
            actor=actor,
            entity="contract",
            entity_ref=contract.ref,
            action="clawback_reversed" if reverse else "clawback",
            reason=reason,
            after={"claim": claim_ref, "amount": f"{pounds(-sum(e['amount_pence'] for e in entries)):.2f}"},
        )
    shown = [{"payer": e["payer"], "kind": e["kind"], "amount": f"{pounds(e['amount_pence']):.2f}"} for e in entries]
    return ClawbackResult(contract_ref, claim_ref, shown)
