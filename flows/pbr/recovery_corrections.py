"""Every way back from a sample's recovery is an entry: withdraw it, or correct a check result and recompute it.

A concluded sample (flows/pbr/sampling.py) clawed back its invalid claims and
raised an extrapolated recovery by the policy's method (policies/pbr/sampling.py).
Withdrawing the recovery reverses its open ledger entries; correcting a check
result claws back or reinstates that claim and recomputes the recovery, reversing
the old entries and writing the new figure. Reinstating a sampled claim by
reversing its clawback (flows/pbr/clawbacks.py) is such a correction. Nothing in
the ledger is edited or deleted; each step writes its event, with who, when, why,
and the recovery before and after.
"""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flows.common.errors import UserError
from flows.common.settings import Settings
from flows.pbr.contract import contract_id, named_period, pbr_contract, required_cards
from flows.pbr.ledger import held_by_payer, pence, pounds, unreversed_clawbacks
from flows.pbr.recoveries import conclusion_of
from flows.pbr.sampling_policy import sampling_policy
from models.approvals import Proposal, proposal_by_id
from models.contracts import Contract
from models.events import append_event
from models.pbr.claims import PbrClaim
from models.pbr.ledger import (
    CLAWBACK,
    OUTCOME,
    RECOVERY,
    REVERSAL,
    LedgerEntry,
    LedgerRow,
    SampleItem,
    ValidationSample,
    ledger_of,
    sample_for,
    sample_items,
)
from policies.dates import local_date
from policies.pbr.payments import split
from policies.pbr.ratecard import version_for

RESULTS = ("valid", "invalid")


@dataclass
class RecoveryResult:
    contract: str
    period: str
    action: str  # withdrawn, recomputed, unchanged
    before: dict[str, Any]
    after: dict[str, Any]
    entries: list[dict[str, str]]

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


def _withdraw(
    session: Any, settings: Settings, contract_ref: str, period_text: str, *, reason: str, as_of: dt.datetime,
    actor: str,
) -> RecoveryResult:  # fmt: skip
    """Withdraw a sample's extrapolated recovery: reversing entries for what is still open, and its event."""
    contract, sample, _ = _concluded(session, contract_ref, period_text)
    before = dict(sample.conclusion or {})
    if before.get("withdrawn"):
        return RecoveryResult(contract.ref, sample.period, "unchanged", before, before, [])
    entries = _reverse_open(session, sample, local_date(as_of, settings.timezone), as_of, actor, reason)
    after = {
        **before,
        "recovery": "0.00",
        "withdrawn": {
            "on": local_date(as_of, settings.timezone).isoformat(),
            "at": as_of.isoformat(),
            "by": actor,
            "reason": reason,
        },
    }
    _record(session, contract, sample, "recovery_withdrawn", reason, before, after, as_of, actor)
    return RecoveryResult(contract.ref, sample.period, "withdrawn", before, after, entries)


def _correct(
    session: Any, settings: Settings, contract_ref: str, period_text: str, claim_ref: str, *, result: str,
    reason: str, as_of: dt.datetime, actor: str,
) -> RecoveryResult:  # fmt: skip
    """Correct a sampled claim's check result: claw it back or reinstate it, and recompute the recovery."""
    if result not in RESULTS:
        raise UserError(f"--result: {result!r} is not valid or invalid")
    contract, sample, items = _concluded(session, contract_ref, period_text)
    found = [(i, c) for i, c in items if c.ref == claim_ref]
    if not found:
        raise UserError(f"claim {claim_ref} is not in the {sample.period} sample of {contract.ref}")
    item, claim = found[0]
    if item.result == result:
        return RecoveryResult(contract.ref, sample.period, "unchanged", sample.conclusion or {}, {}, [])
    today = local_date(as_of, settings.timezone)
    ledger = ledger_of(session=session, contract_id=contract_id(contract))
    entries = _claim_entries(session, sample, claim, ledger, result, today, as_of, actor, reason)
    return _apply_correction(
        session, settings, contract, sample, items, item, result, reason, entries, as_of=as_of, actor=actor
    )


def reinstated(
    session: Any,
    settings: Settings,
    contract: Contract,
    claim: PbrClaim,
    *,
    reason: str,
    as_of: dt.datetime,
    actor: str,
) -> list[dict[str, Any]]:
    """A clawback of a sampled claim found invalid was reversed: the claim is valid after all, so its sample's
    recovery is recomputed, in the caller's transaction. What changed, per sample."""
    done = []
    for sample in _samples_with(session, contract, claim):
        items = sample_items(session=session, sample_id=sample.id or 0)
        item = next(i for i, c in items if c.id == claim.id)
        if (
            item.result == "invalid"
            and sample.conclusion
            and not sample.conclusion.get("withdrawn")
            and not not_raised(session, sample)
        ):
            done.append(
                _apply_correction(
                    session, settings, contract, sample, items, item, "valid", reason, [], as_of=as_of, actor=actor
                ).as_dict()
            )
    return done


def _apply_correction(
    session: Any,
    settings: Settings,
    contract: Contract,
    sample: ValidationSample,
    items: list[tuple[SampleItem, PbrClaim]],
    item: SampleItem,
    result: str,
    reason: str,
    entries: list[dict[str, str]],
    *,
    as_of: dt.datetime,
    actor: str,
) -> RecoveryResult:
    before = dict(sample.conclusion or {})
    claim_ref = next(c.ref for i, c in items if i is item)
    was = item.result
    item.result, item.note, item.checked_at, item.checked_by = result, reason, as_of, actor
    session.add(item)
    append_event(
        session=session,
        effective_at=as_of,
        actor=actor,
        entity="contract",
        entity_ref=contract.ref,
        action="sample_check_corrected",
        reason=reason,
        before={"period": sample.period, "claim": claim_ref, "result": was},
        after={"period": sample.period, "claim": claim_ref, "result": result},
    )
    if before.get("withdrawn"):  # the recovery is withdrawn: only the claim itself moves
        return RecoveryResult(contract.ref, sample.period, "corrected", before, before, entries)
    outcome, after = conclusion_of(sampling_policy(settings), sample, items)
    today = local_date(as_of, settings.timezone)
    if after["recovery"] != before.get("recovery"):
        entries += _reverse_open(session, sample, today, as_of, actor, reason)
        cards = required_cards(session, contract)
        card = version_for(cards, today) or cards[-1]
        for payer, share in zip((p.name for p in card.payers), split(outcome.recovery, card.payers), strict=True):
            if share:
                session.add(
                    LedgerEntry(
                        contract_id=contract_id(contract),
                        entry_on=today,
                        sample_id=sample.id,
                        created_at=as_of,
                        actor=actor,
                        payer=payer,
                        kind=CLAWBACK,
                        item=RECOVERY,
                        amount_pence=-pence(share),
                        memo=f"extrapolated recovery recomputed, sample {sample.period} ({after['method']})",
                    )
                )
                entries.append({"payer": payer, "kind": CLAWBACK, "amount": f"{-share:.2f}"})
    _record(session, contract, sample, "recovery_recomputed", reason, before, after, as_of, actor)
    return RecoveryResult(contract.ref, sample.period, "recomputed", before, after, entries)


def _claim_entries(
    session: Any,
    sample: ValidationSample,
    claim: PbrClaim,
    ledger: list[LedgerRow],
    result: str,
    today: dt.date,
    as_of: dt.datetime,
    actor: str,
    reason: str,
) -> list[dict[str, str]]:
    """Claw back a claim now found invalid, or reverse the open clawback of one now found valid."""
    base: dict[str, Any] = {
        "contract_id": sample.contract_id,
        "entry_on": today,
        "claim_id": claim.id,
        "participant": claim.participant,
        "created_at": as_of,
        "actor": actor,
        "memo": f"sample {sample.period} corrected: {reason}",
    }
    rows: list[dict[str, Any]] = []
    open_clawbacks = [e for e in unreversed_clawbacks(ledger) if e.claim_id == claim.id]
    if result == "valid":
        rows = [
            {
                **base,
                "payer": e.payer,
                "kind": REVERSAL,
                "item": e.item,
                "amount_pence": -e.amount_pence,
                "reverses_id": e.id,
            }
            for e in open_clawbacks
        ]
    elif not open_clawbacks:
        rows = [
            {**base, "payer": payer, "kind": CLAWBACK, "item": OUTCOME, "amount_pence": -amount, "sample_id": sample.id}
            for payer, amount in sorted(held_by_payer(ledger, claim.id).items())
            if amount
        ]
    for row in rows:
        session.add(LedgerEntry(**row))
    return [{"payer": r["payer"], "kind": r["kind"], "amount": f"{pounds(r['amount_pence']):.2f}"} for r in rows]


def _reverse_open(
    session: Any, sample: ValidationSample, today: dt.date, as_of: dt.datetime, actor: str, reason: str
) -> list[dict[str, str]]:
    """Reversing entries for the sample's recovery entries no reversal names yet."""
    ledger = ledger_of(session=session, contract_id=sample.contract_id)
    reversed_ids = {e.reverses_id for e in ledger if e.reverses_id}
    shown = []
    for e in ledger:
        if e.sample_id == sample.id and e.item == RECOVERY and e.kind == CLAWBACK and e.id not in reversed_ids:
            session.add(
                LedgerEntry(
                    contract_id=sample.contract_id,
                    entry_on=today,
                    sample_id=sample.id,
                    created_at=as_of,
                    actor=actor,
                    payer=e.payer,
                    kind=REVERSAL,
                    item=RECOVERY,
                    amount_pence=-e.amount_pence,
                    reverses_id=e.id,
                    memo=f"recovery of sample {sample.period} reversed: {reason}",
                )
            )
            shown.append({"payer": e.payer, "kind": REVERSAL, "amount": f"{pounds(-e.amount_pence):.2f}"})
    return shown


def _record(
    session: Any,
    contract: Contract,
    sample: ValidationSample,
    action: str,
    reason: str,
    before: dict[str, Any],
    after: dict[str, Any],
    as_of: dt.datetime,
    actor: str,
) -> None:
    sample.conclusion = after
    session.add(sample)
    append_event(
        session=session,
        effective_at=as_of,
        actor=actor,
        entity="contract",
        entity_ref=contract.ref,
        action=action,
        reason=reason,
        before={"period": sample.period, **before},
        after={"period": sample.period, **after},
    )


def _concluded(
    session: Any, contract_ref: str, period_text: str
) -> tuple[Contract, ValidationSample, list[tuple[SampleItem, PbrClaim]]]:
    contract = pbr_contract(session, contract_ref)
    period = named_period(required_cards(session, contract), period_text)
    sample = sample_for(session=session, contract_id=contract_id(contract), period=period.label)
    if sample is None or sample.id is None:
        raise UserError(f"{contract_ref} has no sample for {period.label}")
    items = sample_items(session=session, sample_id=sample.id)
    if sample.conclusion is None:
        raise UserError(f"the {period.label} sample of {contract_ref} is not concluded: every claim is checked first")
    undecided = not_raised(session, sample)
    if undecided:
        raise UserError(f"the {period.label} sample of {contract_ref}: {undecided}")
    return contract, sample, items


def not_raised(session: Any, sample: ValidationSample) -> str | None:
    """Why a concluded sample's clawbacks and recovery are not in the ledger (its proposal is pending, rejected
    or expired), in words; None when they are (or it proposed nothing). Nothing not raised is corrected."""
    proposal = recovery_proposal(session, sample)
    number = proposal.id if proposal else None
    if proposal is None or proposal.status == "approved":
        return None
    if proposal.status == "proposed":
        return f"its recovery (proposal {number}) waits for approval; approve or reject it first"
    return (
        f"its recovery (proposal {number}) was {proposal.status}, so nothing was raised to withdraw or correct; "
        "give the check results again with `commission sample ... --results FILE` (a wrong result may be given "
        "differently) to propose the recovery afresh"
    )


def recovery_proposal(session: Any, sample: ValidationSample) -> Proposal | None:
    """The proposal a concluded sample's clawbacks and recovery travel in (its conclusion names it), if any."""
    number = (sample.conclusion or {}).get("proposal")
    return proposal_by_id(session=session, proposal_id=number) if number else None


def _samples_with(session: Any, contract: Contract, claim: PbrClaim) -> list[ValidationSample]:
    from sqlmodel import select

    stmt = (
        select(ValidationSample)
        .join(SampleItem, SampleItem.sample_id == ValidationSample.id)  # type: ignore[arg-type]
        .where(ValidationSample.contract_id == contract_id(contract), SampleItem.claim_id == claim.id)
    )
    return list(session.exec(stmt))


def _reason(reason: str) -> str:
    if not reason.strip():
        raise UserError("--reason: say why (it goes in the ledger and the audit log)")
    return reason.strip()
