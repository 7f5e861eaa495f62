"""The recovery a concluded sample raises, as a proposal of kind ``sampling_recovery``.

A concluded sample (flows/pbr/sampling.py) writes nothing to the ledger: it proposes, in one proposal, the
clawback of each sampled claim found invalid (what each payer still holds for it) and the extrapolated
recovery, the share each payer is to recover. Both are previewed and written, in the approval's one
transaction, when a second finance user approves it (one clawback entry per claim and payer, item
``outcome``, and one per payer, item ``extrapolated_recovery``, all naming the sample). Rejecting it
writes nothing; a sampled claim clawed back another way since makes it stale. The preview and the
entries carry the policy's method (policies/pbr/sampling.py): the error rate, its interval, the rate
applied and the basis, as ``conclusion_of`` records them. Withdrawing or recomputing a recovery:
flows/pbr/recovery_corrections.py.
Worked example: 12.50% invalid by value on £500.00 not sampled is £62.50,
proposed as £18.75 from the central fund (30%) and £43.75 from the council (70%).
"""

import datetime as dt
from typing import Any

from flows.approvals.kinds import Inputs, Kind, digest, register
from flows.approvals.service import propose, public
from flows.common.settings import Settings
from flows.pbr.ledger import held_by_payer, pounds, unreversed_clawbacks
from models.approvals import Proposal
from models.contracts import Contract, contract_by_id
from models.events import append_event
from models.pbr.claims import PbrClaim
from models.pbr.ledger import (
    CLAWBACK,
    OUTCOME,
    RECOVERY,
    LedgerEntry,
    LedgerRow,
    SampleItem,
    ValidationSample,
    ledger_of,
    sample_items,
)
from policies.dates import local_date
from policies.pbr.sampling import Extrapolation, RecoveryBasis, SamplingPolicy, extrapolate, percent

KIND = "sampling_recovery"


def conclusion_of(
    policy: SamplingPolicy, sample: ValidationSample, items: list[tuple[SampleItem, PbrClaim]]
) -> tuple[Extrapolation, dict[str, Any]]:
    """The extrapolation of a checked sample by the policy's method, and its summary as recorded and shown."""
    basis = RecoveryBasis(sample.conclusion["basis"]) if sample.conclusion else policy.basis
    outcome = extrapolate(
        pounds(sample.population_pence),
        sample.population,
        [(pounds(i.paid_pence), i.result == "valid") for i, _ in items],
        z=policy.z,
        basis=basis,
    )
    interval = f"{percent(outcome.lower)} to {percent(outcome.upper)}"
    how = "the point estimate" if basis is RecoveryBasis.POINT_ESTIMATE else "the interval's lower bound"
    return outcome, {
        "sampled_value": f"{outcome.sampled_value:.2f}",
        "invalid_value": f"{outcome.invalid_value:.2f}",
        "error_rate": percent(outcome.error_rate),
        "standard_error": percent(outcome.standard_error) if outcome.standard_error is not None else None,
        "confidence": f"{policy.confidence}%",
        "interval": interval,
        "basis": basis.value,
        "applied_rate": percent(outcome.applied_rate),
        "method": f"{how} {percent(outcome.applied_rate)} of {percent(outcome.error_rate)} "
        f"by value, {policy.confidence}% interval {interval}",
        "unsampled_value": f"{outcome.unsampled_value:.2f}",
        "recovery": f"{outcome.recovery:.2f}",
        "withdrawn": None,
    }


def sampled_clawbacks(
    ledger: list[LedgerRow], items: list[tuple[SampleItem, PbrClaim]], period: str
) -> list[dict[str, Any]]:
    """The clawback of each sampled claim found invalid and not clawed back yet: what each payer holds for it."""
    clawed = {e.claim_id for e in unreversed_clawbacks(ledger)}
    found = []
    for item, claim in items:
        if item.result != "invalid" or claim.id in clawed:
            continue
        for payer, held in sorted(held_by_payer(ledger, claim.id).items()):
            if held:
                memo = f"sample {period}: {item.note or 'invalid'}"
                found.append({"claim_id": claim.id, "claim": claim.ref, "participant": claim.participant,
                              "payer": payer, "pence": held, "memo": memo})  # fmt: skip
    return found


def propose_recovery(
    settings: Settings,
    session: Any,
    *,
    contract: Contract,
    sample_id: int,
    period: str,
    shares: list[tuple[str, int]],
    clawbacks: list[dict[str, Any]],
    memo: str,
    summary: dict[str, Any],
    as_of: dt.datetime,
    actor: str,
) -> dict[str, Any]:
    """Propose clawing back the sampled ``clawbacks`` and recovering ``shares`` (payer, pence) from the payers,
    in the caller's transaction."""
    claimed = [{"payer": c["payer"], "kind": CLAWBACK, "claim": c["claim"], "amount": f"{pounds(-c['pence']):.2f}"}
               for c in clawbacks]  # fmt: skip
    proposal, _ = propose(
        settings,
        session,
        kind=KIND,
        contract=contract,
        key=f"{KIND}:{sample_id}",
        subject=f"recovery from the {period} sample",
        payload={"contract": contract.ref, "sample": sample_id, "shares": shares, "clawbacks": clawbacks, "memo": memo},
        preview={
            **summary,
            "entries": claimed + [{"payer": p, "kind": CLAWBACK, "amount": f"{pounds(-a):.2f}"} for p, a in shares],
        },
        inputs={
            "the sample's recovery": digest(shares),
            "the sample's conclusion": _concluded_as(summary),
            "the sampled claims' ledger": digest(clawbacks),
        },
        amount_pence=sum(a for _, a in shares) + sum(c["pence"] for c in clawbacks),
        actor=actor,
        as_of=as_of,
        period=period,
    )
    return public(session, proposal)


def _apply(
    settings: Settings, session: Any, proposal: Proposal, as_of: dt.datetime, actor: str, now: dt.datetime | None
) -> dict[str, Any]:
    contract = contract_by_id(session=session, contract_id=proposal.contract_id)
    day = local_date(as_of, settings.timezone)
    for c in proposal.payload.get("clawbacks", []):
        session.add(LedgerEntry(contract_id=proposal.contract_id, payer=c["payer"], kind=CLAWBACK, item=OUTCOME,
                                amount_pence=-c["pence"], entry_on=day, claim_id=c["claim_id"],
                                participant=c["participant"], sample_id=proposal.payload["sample"], memo=c["memo"],
                                created_at=as_of, actor=actor))  # fmt: skip
    for payer, amount in proposal.payload["shares"]:
        session.add(LedgerEntry(contract_id=proposal.contract_id, payer=payer, kind=CLAWBACK, item=RECOVERY,
                                amount_pence=-amount, entry_on=day,
                                sample_id=proposal.payload["sample"], memo=proposal.payload["memo"],
                                created_at=as_of, actor=actor))  # fmt: skip
    append_event(session=session, effective_at=as_of, actor=actor, entity="contract", entity_ref=contract.ref,
                 action="recovery_raised", reason=proposal.payload["memo"],
                 after={"period": proposal.period, "amount": f"{pounds(proposal.amount_pence):.2f}",
                        "proposal": proposal.id})  # fmt: skip
    return {"contract": contract.ref, "recovered": f"{pounds(proposal.amount_pence):.2f}"}


def _inputs(session: Any, proposal: Proposal) -> Inputs:
    """A check corrected or the recovery withdrawn since (flows/pbr/recovery_proposals.py) changes the sample's
    conclusion: the pending recovery is then stale, and refused at approval rather than raised twice."""
    sample = session.get(ValidationSample, proposal.payload["sample"])
    inputs = {
        "the sample's recovery": digest(proposal.payload["shares"]),
        "the sample's conclusion": _concluded_as(sample.conclusion if sample is not None else None),
    }
    if "clawbacks" in proposal.payload and sample is not None and sample.id is not None:
        ledger = ledger_of(session=session, contract_id=proposal.contract_id)
        items = sample_items(session=session, sample_id=sample.id)
        inputs["the sampled claims' ledger"] = digest(sampled_clawbacks(ledger, items, sample.period))
    return inputs


def _concluded_as(conclusion: dict[str, Any] | None) -> str:
    return digest({k: v for k, v in (conclusion or {}).items() if k != "proposal"})


register(Kind(KIND, "recovery from a sample", _inputs, _apply))
