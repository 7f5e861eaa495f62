"""Payment by results, step two: payment runs, and the payment schedule each writes per payer.

A run pays a period in arrears: accepted claims not yet paid, attachment and
service fees, less any recovery owed, split between the payers. It is first
proposed (flows/approvals/service.py): a preview per payer and per outcome, what
the caps cut and what it nets off, and DRAFT schedules. Only when a second
finance user approves does it write to the append-only ledger
(models/pbr/ledger.py), in the approval's transaction with its event, planned
again then; a change since the proposal (new claims, a new card, another run or
a clawback) makes the proposal stale and the approval is refused. A run for a
contract and period happens once; asking again shows the first. A
payment schedule per payer is written beside the database
(``<data dir>/payments/<contract>/<period>/<payer>.csv``) and rewritten from the
ledger if it is missing.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import select

from flows.approvals.kinds import Inputs, Kind, digest, register
from flows.approvals.service import propose, public
from flows.common.errors import UserError
from flows.common.runtime import database
from flows.common.settings import Settings
from flows.pbr.contract import contract_id, named_period, pbr_contract, required_cards
from flows.pbr.ledger import pence, pounds
from flows.pbr.participant_corrections import redecide_corrected
from flows.pbr.run_facts import due_claims, paid_so_far, unpaid_referrals
from flows.pbr.schedules import Item, discard_drafts, write_draft_schedules, write_schedules
from models.approvals import Proposal
from models.contracts import Contract, contract_by_id
from models.db import unit_of_work
from models.events import append_event
from models.pbr.bulk import bulk_insert, driver_value
from models.pbr.claims import PbrParticipant, participant_facts
from models.pbr.ledger import (
    ACCRUAL,
    LEDGER_COLUMNS,
    OUTCOME,
    PAYMENT,
    SERVICE_FEE,
    PaymentRun,
    accrued_fees,
    last_entry,
    ledger_balances,
    run_for,
    runs_of,
)
from models.pbr.ratecards import rate_cards_of
from policies.contracts.clauses import expiry
from policies.dates import local_date
from policies.pbr.payments import ContractFacts, DueClaim, Period, RunPlan, plan_run, run_refusals
from policies.pbr.ratecard import RateCard

ZERO = Decimal(0)
KIND = "payment_run"


@dataclass
class RunResult:
    contract: str
    provider: str
    period: str
    existing: bool
    run_on: str
    summary: dict[str, Any]
    schedules: list[str]

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


def check_payment_run(
    settings: Settings, contract_ref: str, period_text: str, *, as_of: dt.datetime, now: dt.datetime | None = None
) -> None:
    """Refuse, before any flow starts, a run that ``payment_run`` would refuse; writes nothing."""
    with unit_of_work(database(settings)) as session:
        contract = pbr_contract(session, contract_ref)
        cards = required_cards(session, contract)
        period = named_period(cards, period_text)
        if run_for(session=session, contract_id=contract_id(contract), period=period.label) is None:
            _refuse(settings, session, contract, cards, period, as_of, now)


def _refuse(
    settings: Settings,
    session: Any,
    contract: Contract,
    cards: list[RateCard],
    period: Period,
    as_of: dt.datetime,
    now: dt.datetime | None,
    due: list[DueClaim] | None = None,
) -> None:
    """Raise the reasons a run for ``period`` may not happen, if any (policies.pbr.payments.run_refusals)."""
    cid = contract_id(contract)
    if due is None:
        due = due_claims(session, cid, period.start - dt.timedelta(days=1))
    zone = ZoneInfo(settings.timezone)  # instants in a refusal read in the organisation's zone
    reasons = run_refusals(
        period,
        as_of=as_of.astimezone(zone),
        now=(now or dt.datetime.now(dt.UTC)).astimezone(zone),  # the real clock, read once, here at the edge
        run_on=local_date(as_of, settings.timezone),
        contract_start=contract.start,
        contract_end=expiry(contract.to_terms()),
        unpaid_achieved=(claim.achieved_on for claim in due),
        periods_run=frozenset(run.period for run in runs_of(session=session, contract_id=cid)),
        frequency=cards[-1].frequency,
    )
    if len(reasons) == 1:
        raise UserError(reasons[0])
    if reasons:
        raise UserError(f"no payment run for {period.label}: " + "; and ".join(reasons))


def propose_payment_run(
    settings: Settings,
    contract_ref: str,
    period_text: str,
    *,
    as_of: dt.datetime,
    actor: str,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Propose paying a period (its preview and DRAFT schedules); nothing reaches the ledger until approved.

    A period already paid shows its run (``run``); a proposal already pending for it is shown again."""
    with unit_of_work(database(settings)) as session:
        contract = pbr_contract(session, contract_ref)
        cid = contract_id(contract)
        cards = required_cards(session, contract)
        period = named_period(cards, period_text)
        existing = run_for(session=session, contract_id=cid, period=period.label)
        if existing is not None:
            return {"run": _result(settings, session, contract, existing, existing=True).as_dict(), "proposal": None}
        plan, summary = _previewed(settings, session, contract, cards, period, as_of, actor, now)
        proposal, pending = propose(
            settings,
            session,
            kind=KIND,
            contract=contract,
            key=f"{KIND}:{period.label}",
            subject=f"payment run {period.label}",
            payload={"contract": contract.ref},
            preview=summary,
            inputs=_inputs(session, contract, period),
            amount_pence=pence(plan.total_paid),
            actor=actor,
            as_of=as_of,
            period=period.label,
            now=now,
        )
        assert proposal.id is not None
        drafts = write_draft_schedules(settings, contract, period.label, proposal.id, summary, _items(plan))
        return {"run": None, "proposal": public(session, proposal), "pending": pending, "drafts": drafts}


def _plan(
    settings: Settings,
    session: Any,
    contract: Contract,
    cards: list[RateCard],
    period: Period,
    as_of: dt.datetime,
    now: dt.datetime | None,
) -> tuple[RunPlan, dict[str, Any]]:
    """What a run of ``period`` pays as of now, and its summary: per payer, per outcome, capped, netted off."""
    cid = contract_id(contract)
    due = due_claims(session, cid, period.end)
    _refuse(settings, session, contract, cards, period, as_of, now, due)
    attachment_fees = any(card.attachment_fee for card in cards)
    plan = plan_run(
        period,
        cards,
        due,
        paid_so_far(session, cid),
        unpaid_referrals=unpaid_referrals(session, cid) if attachment_fees else (),
        service_months_paid=frozenset(accrued_fees(session=session, contract_id=cid, item=SERVICE_FEE, column="month")),
        contract=ContractFacts(pounds(contract.value_pence), contract.start, contract.initial_term_months),
        balances={p: pounds(v) for p, v in ledger_balances(session=session, contract_id=cid).items()},
    )
    by_outcome: dict[str, dict[str, Any]] = {}
    for line in plan.lines:
        o = by_outcome.setdefault(line.claim.outcome, {"claims": 0, "paid": ZERO, "capped": ZERO})
        o["claims"] += 1
        o["paid"] += line.paid
        o["capped"] += line.capped
    summary = {
        "claims": len(plan.lines),
        "outcomes": f"{sum((line.paid for line in plan.lines), ZERO):.2f}",
        "capped_at_run": f"{sum((line.capped for line in plan.lines), ZERO):.2f}",
        "fees": f"{sum((f.amount for f in plan.fees), ZERO):.2f}",
        "paid": f"{plan.total_paid:.2f}",
        "payers": {
            p.payer: {
                "outcomes": f"{p.outcomes:.2f}",
                "fees": f"{p.fees:.2f}",
                "owed_before": f"{p.owed_before:.2f}",
                "recovered": f"{p.recovered:.2f}",
                "payment": f"{p.payment:.2f}",
                "carried": f"{p.carried:.2f}",
            }
            for p in plan.payers
        },
        "by_outcome": {
            name: {"claims": o["claims"], "paid": f"{o['paid']:.2f}", "capped": f"{o['capped']:.2f}"}
            for name, o in sorted(by_outcome.items())
        },
        "capped": [
            {"claim": line.claim.ref, "capped": f"{line.capped:.2f}", "why": list(line.notes)}
            for line in plan.lines
            if line.capped
        ],
    }
    return plan, summary


def _previewed(
    settings: Settings,
    session: Any,
    contract: Contract,
    cards: list[RateCard],
    period: Period,
    as_of: dt.datetime,
    actor: str,
    now: dt.datetime | None,
) -> tuple[RunPlan, dict[str, Any]]:
    """The plan as approval will make it: participants corrected since the last run have their claims re-decided
    (flows/pbr/participant_corrections.py) in a savepoint that is rolled back, so the preview shows the
    clawbacks that re-decision writes and what the run nets off, and nothing is written until approval."""
    savepoint = session.begin_nested()
    try:
        today = local_date(as_of, settings.timezone)
        redecided = redecide_corrected(session, contract, cards, today=today, as_of=as_of, actor=actor)
        plan, summary = _plan(settings, session, contract, cards, period, as_of, now)
    finally:
        savepoint.rollback()
    if redecided:
        summary["redecided"] = redecided
    return plan, summary


def _inputs(session: Any, contract: Contract, period: Period) -> Inputs:
    """What a run's plan is computed from, by name: any change makes a pending proposal stale."""
    cid = contract_id(contract)
    due = due_claims(session, cid, period.end)
    return {
        "the claims due in the period": digest([(c.claim_id, str(c.payable)) for c in due]),
        "the rate card": digest([(v.id, v.fingerprint) for v in rate_cards_of(session=session, contract_id=cid)]),
        "the ledger (another run, a clawback or a recovery)": str(last_entry(session=session, contract_id=cid)),
        "the participants": str(len(participant_facts(session=session, contract_id=cid))),
        "the participants corrected": digest(_corrected(session, cid)),
    }


def _corrected(session: Any, cid: int) -> list[str]:
    """The participants corrected since the last run, whose claims the run re-decides."""
    stmt = select(PbrParticipant.ref).where(PbrParticipant.contract_id == cid, PbrParticipant.redecide)
    return sorted(session.exec(stmt))


def _items(plan: RunPlan) -> list[Item]:
    """The lines a draft schedule shows, per payer, from the plan (the final one reads them from the ledger)."""
    items: list[Item] = []
    for line in plan.lines:
        c = line.claim
        items += [(payer, OUTCOME, c.ref, c.participant, c.outcome, c.achieved_on, share)
                  for payer, share in line.shares if share]  # fmt: skip
    for fee in plan.fees:
        items += [(payer, fee.item, "", fee.participant or "", "", None, share) for payer, share in fee.shares if share]
    return items


def _apply(
    settings: Settings, session: Any, proposal: Proposal, as_of: dt.datetime, actor: str, now: dt.datetime | None
) -> dict[str, Any]:
    """At approval: the run, its ledger entries and its event, in the approval's transaction; final schedules."""
    contract = contract_by_id(session=session, contract_id=proposal.contract_id)
    cid = contract_id(contract)
    cards = required_cards(session, contract)
    period = named_period(cards, proposal.period or "")
    today = local_date(as_of, settings.timezone)
    # participants corrected since the last run: their claims are re-decided and clawed back, as previewed
    redecided = redecide_corrected(session, contract, cards, today=today, as_of=as_of, actor=actor)
    plan, summary = _plan(settings, session, contract, cards, period, as_of, now)
    if redecided:
        summary["redecided"] = redecided
    run = PaymentRun(
        contract_id=cid,
        period=period.label,
        period_start=period.start,
        period_end=period.end,
        run_on=today,
        summary=summary,
        created_at=as_of,
        actor=proposal.proposed_by,
    )
    session.add(run)
    session.flush()
    assert run.id is not None
    # Every entry is written on the same day by the same run: its dates go in the driver's form once.
    base = {
        "contract_id": cid,
        "entry_on": driver_value(session, today),
        "run_id": run.id,
        "created_at": driver_value(session, as_of),
        "actor": actor,
    }
    entries: list[dict[str, Any]] = []
    for line in plan.lines:
        for payer, share in line.shares:
            if share:
                entries.append(
                    {
                        **base,
                        "payer": payer,
                        "kind": ACCRUAL,
                        "item": OUTCOME,
                        "amount_pence": pence(share),
                        "claim_id": line.claim.claim_id,
                        "participant": line.claim.participant,
                        "memo": f"{line.claim.outcome} {line.claim.ref}",
                    }
                )
    for fee in plan.fees:
        for payer, share in fee.shares:
            if share:
                memo = f"attachment fee {fee.participant}" if fee.participant else f"service fee {fee.month}"
                entries.append(
                    {
                        **base,
                        "payer": payer,
                        "kind": ACCRUAL,
                        "item": fee.item,
                        "amount_pence": pence(share),
                        "participant": fee.participant,
                        "month": fee.month,
                        "memo": memo,
                    }
                )
    for total in plan.payers:
        if total.payment:
            entries.append(
                {
                    **base,
                    "payer": total.payer,
                    "kind": PAYMENT,
                    "item": "run",
                    "amount_pence": -pence(total.payment),
                    "memo": f"payment for {period.label}",
                }
            )
    bulk_insert(session, "pbr_ledger", LEDGER_COLUMNS, (_ledger_row(e) for e in entries), prepared=True)
    append_event(
        session=session,
        effective_at=as_of,
        actor=actor,
        entity="contract",
        entity_ref=contract.ref,
        action="payment_run",
        reason=f"payment run for {period.label}, proposed by {proposal.proposed_by}",
        after={"period": period.label, "paid": summary["paid"], "claims": summary["claims"], "proposal": proposal.id},
    )
    return _result(settings, session, contract, run, existing=False).as_dict()


def _ledger_row(entry: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(entry.get(c, "" if c == "memo" else None) for c in LEDGER_COLUMNS)


def _result(settings: Settings, session: Any, contract: Contract, run: PaymentRun, *, existing: bool) -> RunResult:
    schedules = write_schedules(settings, session, contract, run)
    return RunResult(
        contract.ref, contract.provider, run.period, existing, run.run_on.isoformat(), run.summary, schedules
    )


def _proposal_inputs(session: Any, proposal: Proposal) -> Inputs:
    contract = contract_by_id(session=session, contract_id=proposal.contract_id)
    return _inputs(session, contract, named_period(required_cards(session, contract), proposal.period or ""))


def _discard(settings: Settings, proposal: Proposal) -> None:
    assert proposal.id is not None
    discard_drafts(settings, proposal.payload["contract"], proposal.id)


register(Kind(KIND, "payment run", _proposal_inputs, _apply, _discard))
