"""Post-payment sampling: a seeded sample of the claims a run paid, checked, and what it recovers.

A period's sample is drawn once (the same seed and size show it again); check
results are recorded from a file, and a result is final once its recovery is
raised (before that, while the recovery's proposal was rejected or expired, a
result may be given again, differently: nothing of it is in the ledger, and the
recovery is proposed afresh from the results as they are then). When every sampled
claim is checked, the clawback of the invalid ones and the error rate by value
extrapolated to the unsampled claims as a recovery, split between the payers
(policies/pbr/sampling.py), are proposed together. Each step writes its event in
the same transaction; the clawbacks and the recovery go to the append-only
ledger once, when a second finance user approves the proposal.
"""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flows.approvals.kinds import fingerprint, kind_of
from flows.approvals.service import expire_stale, supersede
from flows.common.errors import UserError
from flows.common.runtime import database
from flows.common.settings import Settings
from flows.common.tabular import open_table
from flows.pbr.contract import contract_id, named_period, pbr_contract, refuse_before_run, required_cards
from flows.pbr.ledger import pence, pounds
from flows.pbr.recoveries import conclusion_of, propose_recovery, sampled_clawbacks
from flows.pbr.recovery_corrections import recovery_proposal
from flows.pbr.sampling_policy import sampling_policy
from models.approvals import Proposal, proposal_by_id
from models.contracts import Contract
from models.db import unit_of_work
from models.events import append_event
from models.pbr.claims import PbrClaim
from models.pbr.ledger import (
    SampleItem,
    ValidationSample,
    ledger_of,
    run_for,
    run_paid,
    run_paid_claims,
    sample_for,
    sample_items,
    sample_written,
)
from policies.dates import local_date
from policies.pbr.payments import split
from policies.pbr.ratecard import RateCard, version_for
from policies.pbr.sampling import SamplingPolicy, drawn_positions, minimum_sample_size


@dataclass
class SampleResult:
    contract: str
    period: str
    seed: int
    size: int
    population: int
    population_value: str
    minimum_size: int | None
    size_reason: str | None
    existing: bool
    items: list[dict[str, Any]]
    concluded: dict[str, Any] | None

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


def sample_validation(
    settings: Settings,
    contract_ref: str,
    period_text: str,
    *,
    size: int,
    seed: int,
    results: Path | None,
    as_of: dt.datetime,
    actor: str,
    reason: str | None = None,
) -> SampleResult:
    """Draw (once) a seeded sample of the claims a run paid; record checks; when all are checked, recover.

    A sample smaller than the policy's minimum (policies/pbr/sampling.py) is drawn only with a reason."""
    if size < 1:
        raise UserError("--size: at least 1")
    policy = sampling_policy(settings)
    reason = (reason or "").strip() or None
    today = local_date(as_of, settings.timezone)
    checks = _read_results(results) if results else {}
    expire_stale(settings)  # a recovery proposal whose time ran out is closed, so it shows expired, not pending
    with unit_of_work(database(settings)) as session:
        contract = pbr_contract(session, contract_ref)
        cid = contract_id(contract)
        cards = required_cards(session, contract)
        period = named_period(cards, period_text)
        run = run_for(session=session, contract_id=cid, period=period.label)
        if run is None or run.id is None:
            raise UserError(f"{period.label} has no payment run for {contract_ref}; a sample checks what a run paid")
        refuse_before_run(run, as_of, "that the sample checks")
        sample = sample_for(session=session, contract_id=cid, period=period.label)
        existing = sample is not None
        if sample is None:
            population, _, population_pence = run_paid(session=session, run_id=run.id)
            minimum = minimum_sample_size(population, policy)
            if size < minimum and reason is None:
                raise UserError(
                    f"--size: {size} is below the minimum sample of {minimum} of the {population:,} claims paid "
                    f"({policy.confidence}% confidence, ±{policy.margin}%, from the sampling policy); "
                    f"give --size {minimum}, or --reason to record why fewer are checked"
                )
            chosen = _drawn(session, run.id, size, contract=contract.ref, period=period.label, seed=seed)
            sample = ValidationSample(
                contract_id=cid,
                period=period.label,
                run_id=run.id,
                seed=seed,
                size=size,
                population=population,
                population_pence=population_pence,
                drawn_at=as_of,
                actor=actor,
                minimum_size=minimum,
                size_reason=reason if size < minimum else None,
            )
            session.add(sample)
            session.flush()
            assert sample.id is not None
            for claim_id, paid_pence in chosen:
                session.add(SampleItem(sample_id=sample.id, claim_id=claim_id, paid_pence=paid_pence))
            append_event(
                session=session,
                effective_at=as_of,
                actor=actor,
                entity="contract",
                entity_ref=contract.ref,
                action="sample_drawn",
                reason=sample.size_reason,
                after={
                    "period": period.label,
                    "seed": seed,
                    "size": len(chosen),
                    "population": population,
                    "minimum_size": minimum,
                },
            )
            session.flush()
        elif (sample.seed, sample.size) != (seed, size):
            raise UserError(
                f"the sample for {period.label} was drawn with --seed {sample.seed} --size {sample.size}; "
                "a period has one sample, so give those to see or record it"
            )
        assert sample.id is not None
        items = sample_items(session=session, sample_id=sample.id)
        if checks:
            _record_checks(
                session, results, checks, items, as_of=as_of, actor=actor, contract=contract,
                open_again=_not_raised(session, sample),
            )  # fmt: skip
        concluded = _conclude(
            session,
            contract,
            cards,
            sample,
            items,
            policy=policy,
            today=today,
            as_of=as_of,
            actor=actor,
            settings=settings,
            asked=bool(checks),
        )
        shown = [
            {
                "claim": c.ref,
                "participant": c.participant,
                "outcome": c.outcome,
                "paid": f"{pounds(i.paid_pence):.2f}",
                "result": i.result,
                "note": i.note,
            }
            for i, c in items
        ]
        return SampleResult(
            contract.ref,
            period.label,
            sample.seed,
            sample.size,
            sample.population,
            f"{pounds(sample.population_pence):.2f}",
            sample.minimum_size,
            sample.size_reason,
            existing,
            shown,
            concluded,
        )


def _drawn(session: Any, run_id: int, size: int, *, contract: str, period: str, seed: int) -> list[tuple[int, int]]:
    """(claim id, pence paid) of the claims ``draw`` picks from those the run paid, in ref order: the references
    are read in order from the database and only the picked places are kept (policies/pbr/sampling.py). A
    reference paid for two claims stands once, for the later claim."""
    _, refs, _ = run_paid(session=session, run_id=run_id)
    places = set(drawn_positions(refs, size, contract=contract, period=period, seed=seed))
    picked: dict[int, tuple[int, int]] = {}
    place, previous = -1, None
    for ref, claim_id, paid in run_paid_claims(session=session, run_id=run_id):
        if ref != previous:
            previous, place = ref, place + 1
        if place in places:
            picked[place] = (claim_id, int(paid))
    return [picked[p] for p in sorted(picked)]


def _read_results(path: Path) -> dict[str, tuple[int, str, str]]:
    table = open_table(path, required=("claim_ref", "result"), optional=("note",))
    found: dict[str, tuple[int, str, str]] = {}
    problems = []
    for line, cells in table.rows():
        ref = cells[table.columns["claim_ref"]]
        result = cells[table.columns["result"]].lower()
        note = cells[table.columns["note"]] if "note" in table.columns and table.columns["note"] < len(cells) else ""
        if result not in ("valid", "invalid"):
            problems.append(f"{table.where(line)}: result: {result!r} is not valid or invalid")
        elif ref in found:
            problems.append(f"{table.where(line)}: claim_ref: {ref} is already given on line {found[ref][0]}")
        elif result == "invalid" and not note:
            problems.append(f"{table.where(line)}: note: say why {ref} is invalid")
        else:
            found[ref] = (line, result, note)
    if problems:
        raise UserError("no check results were recorded:\n" + "\n".join(f"  {p}" for p in problems[:20]))
    return found


def _record_checks(
    session: Any,
    path: Path | None,
    checks: dict[str, tuple[int, str, str]],
    items: list[tuple[SampleItem, PbrClaim]],
    *,
    as_of: dt.datetime,
    actor: str,
    contract: Contract,
    open_again: str | None = None,
) -> None:
    """Record the results not recorded yet. A result given differently is refused as final, unless
    ``open_again`` (the sample's recovery proposal was rejected or expired, in words): then nothing of the
    sample is in the ledger, so the result is changed, with its event saying what it was."""
    by_ref = {c.ref: i for i, c in items}
    problems = []
    changed: list[tuple[str, SampleItem, str, str]] = []
    for ref, (line, result, note) in checks.items():
        item = by_ref.get(ref)
        if item is None:
            problems.append(f"{path}:{line}: claim_ref: {ref} is not in this sample")
        elif item.result is not None and (item.result, item.note or "") != (result, note):
            if open_again is None:
                problems.append(
                    f"{path}:{line}: result: {ref} was already recorded as {item.result}; a result is final "
                    "once its recovery is raised (correct it with `recovery correct`)"
                )
            else:
                changed.append((ref, item, result, note))
    if problems:
        raise UserError("no check results were recorded:\n" + "\n".join(f"  {p}" for p in problems[:20]))
    recorded = 0
    for ref, (_, result, note) in checks.items():
        item = by_ref[ref]
        if item.result is None:
            item.result, item.note, item.checked_at, item.checked_by = result, note or None, as_of, actor
            session.add(item)
            recorded += 1
    if recorded:
        append_event(
            session=session,
            effective_at=as_of,
            actor=actor,
            entity="contract",
            entity_ref=contract.ref,
            action="sample_checked",
            after={"recorded": recorded, "source": str(path)},
        )
    for ref, item, result, note in changed:
        before = {"claim": ref, "result": item.result, "note": item.note, "checked_by": item.checked_by,
                  "checked_at": item.checked_at.isoformat() if item.checked_at else None}  # fmt: skip
        item.result, item.note, item.checked_at, item.checked_by = result, note or None, as_of, actor
        session.add(item)
        checked = {"checked_by": actor, "checked_at": as_of.isoformat()}
        append_event(
            session=session,
            effective_at=as_of,
            actor=actor,
            entity="contract",
            entity_ref=contract.ref,
            action="sample_rechecked",
            reason=f"{open_again}; the result given again, from {path.name if path else 'the results'}",
            before=before,
            after={"claim": ref, "result": result, "note": note or None, **checked},
        )


def _not_raised(session: Any, sample: ValidationSample) -> str | None:
    """Why a concluded sample's recovery is not in the ledger, when its proposal was rejected or expired (so
    its results may be given again); None otherwise (not concluded, raised, proposed nothing, or waiting)."""
    proposal = recovery_proposal(session, sample)
    if proposal is None or proposal.status not in ("rejected", "expired"):
        return None
    return f"its recovery (proposal {proposal.id}) was {proposal.status}"


def _conclude(
    session: Any,
    contract: Contract,
    cards: Sequence[RateCard],
    sample: ValidationSample,
    items: list[tuple[SampleItem, PbrClaim]],
    *,
    policy: SamplingPolicy,
    today: dt.date,
    as_of: dt.datetime,
    actor: str,
    settings: Settings,
    asked: bool,
) -> dict[str, Any] | None:
    """Once every sampled claim is checked: propose clawing back the invalid ones, with the extrapolated recovery.

    Nothing reaches the ledger here: both travel in one sampling-recovery proposal (flows/pbr/recoveries.py)."""
    if not items or any(i.result is None for i, _ in items):
        return None
    if sample.conclusion is not None:  # concluded before (and perhaps since withdrawn or recomputed)
        number = sample.conclusion.get("proposal")
        decided = proposal_by_id(session=session, proposal_id=number) if number else None
        if decided is None or not _propose_again(session, decided, asked=asked):
            return {**sample.conclusion, **({"proposal_status": _status(decided.status)} if decided else {})}
        # nothing raised and proposed again, from the ledger as it is now: a sampled claim clawed back since
        # is not clawed back twice, and the recovery is not lost with a rejected or stale proposal
    else:
        decided = None
    outcome, summary = conclusion_of(policy, sample, items)
    cid = contract_id(contract)
    assert sample.id is not None
    if sample_written(session=session, sample_id=sample.id):
        sample.conclusion = summary
        session.add(sample)
        return summary  # concluded before this code kept its conclusion
    invalid = [claim.id for item, claim in items if item.result == "invalid"]
    ledger = [e for k in invalid for e in ledger_of(session=session, contract_id=cid, claim_id=k)]  # theirs only
    clawbacks = sampled_clawbacks(ledger, items, sample.period)
    if outcome.recovery or clawbacks:  # proposed: the ledger gets both when a second finance user approves
        card = version_for(cards, today) or cards[-1]
        names = (p.name for p in card.payers)
        shares = [(n, pence(v)) for n, v in zip(names, split(outcome.recovery, card.payers), strict=True) if v]
        assert sample.id is not None
        summary["proposal"] = propose_recovery(
            settings, session, contract=contract, sample_id=sample.id, period=sample.period, shares=shares,
            clawbacks=clawbacks, memo=f"extrapolated recovery, sample {sample.period} ({summary['method']})",
            summary=dict(summary), as_of=as_of, actor=actor)["id"]  # fmt: skip
    if decided is not None and decided.status == "proposed":  # stale, and now nothing is to be proposed
        supersede(settings, session, decided, actor=actor, as_of=as_of)
    sample.conclusion = summary  # with the proposal's number
    session.add(sample)
    append_event(
        session=session,
        effective_at=as_of,
        actor=actor,
        entity="contract",
        entity_ref=contract.ref,
        action="sample_concluded",
        after={"period": sample.period, **summary},
    )
    return {**summary, "proposal_status": "pending"} if "proposal" in summary else summary


def _propose_again(session: Any, proposal: Proposal, *, asked: bool) -> bool:
    """Whether a concluded sample's recovery, not raised, is proposed again: always once its proposal expired
    undecided; when the results are given again (``asked``), also once it was rejected, or while it waits but
    is stale (a claim clawed back since, say), so that it reflects the ledger now. An approved one never."""
    if proposal.status == "expired":
        return True
    if not asked:
        return False
    if proposal.status == "rejected":
        return True
    return proposal.status == "proposed" and fingerprint(kind_of(proposal.kind).inputs(session, proposal)) != (
        proposal.fingerprint
    )


def _status(status: str) -> str:
    return "pending" if status == "proposed" else status
