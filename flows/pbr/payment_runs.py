"""Payment by results, step two: payment runs, and the payment schedule each writes per payer.

A run pays a period in arrears: accepted claims not yet paid, attachment and
service fees, less any recovery owed, split between the payers. It writes to
the append-only ledger (models/pbr/ledger.py) in one transaction with its event. A
run for a contract and period happens once; asking again shows the first. A
payment schedule per payer is written beside the database
(``<data dir>/payments/<contract>/<period>/<payer>.csv``) and rewritten from the
ledger if it is missing.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from flows.common.errors import UserError
from flows.common.runtime import database
from flows.common.settings import Settings
from flows.pbr.contract import contract_id, named_period, pbr_contract, required_cards
from flows.pbr.ledger import pence, pounds
from flows.pbr.participant_corrections import redecide_corrected
from flows.pbr.schedules import write_schedules
from models.contracts import Contract
from models.db import unit_of_work
from models.events import append_event
from models.pbr.bulk import bulk_insert, driver_value
from models.pbr.claims import accepted_claims, participant_facts
from models.pbr.ledger import (
    ACCRUAL,
    ATTACHMENT_FEE,
    LEDGER_COLUMNS,
    OUTCOME,
    PAYMENT,
    SERVICE_FEE,
    PaymentRun,
    accrued_fees,
    ledger_balances,
    net_paid,
    run_for,
    runs_of,
)
from policies.contracts.clauses import expiry
from policies.dates import local_date
from policies.pbr.participants import Participant
from policies.pbr.payments import ContractFacts, DueClaim, PaidSoFar, Period, plan_run, run_refusals
from policies.pbr.ratecard import RateCard

ZERO = Decimal(0)


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
        due = _due(session, cid, period.start - dt.timedelta(days=1))
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


def payment_run(
    settings: Settings,
    contract_ref: str,
    period_text: str,
    *,
    as_of: dt.datetime,
    actor: str,
    now: dt.datetime | None = None,
) -> RunResult:
    """Pay a period in arrears, once; a second request shows the first run. ``now`` is the real clock by default."""
    today = local_date(as_of, settings.timezone)
    with unit_of_work(database(settings)) as session:
        contract = pbr_contract(session, contract_ref)
        cid = contract_id(contract)
        cards = required_cards(session, contract)
        period = named_period(cards, period_text)
        existing = run_for(session=session, contract_id=cid, period=period.label)
        if existing is not None:
            return _result(settings, session, contract, existing, existing=True)
        # participants corrected since the last run: their claims are re-decided first (flows/pbr/...corrections.py)
        redecide_corrected(session, contract, cards, today=today, as_of=as_of, actor=actor)
        due = _due(session, cid, period.end)
        _refuse(settings, session, contract, cards, period, as_of, now, due)
        attachment_fees = any(card.attachment_fee for card in cards)
        plan = plan_run(
            period,
            cards,
            due,
            _paid_so_far(session, cid),
            unpaid_referrals=_unpaid_referrals(session, cid) if attachment_fees else (),
            service_months_paid=frozenset(
                accrued_fees(session=session, contract_id=cid, item=SERVICE_FEE, column="month")
            ),
            contract=ContractFacts(pounds(contract.value_pence), contract.start, contract.initial_term_months),
            balances={p: pounds(v) for p, v in ledger_balances(session=session, contract_id=cid).items()},
        )
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
            "capped": [
                {"claim": line.claim.ref, "capped": f"{line.capped:.2f}", "why": list(line.notes)}
                for line in plan.lines
                if line.capped
            ],
        }
        run = PaymentRun(
            contract_id=cid,
            period=period.label,
            period_start=period.start,
            period_end=period.end,
            run_on=today,
            summary=summary,
            created_at=as_of,
            actor=actor,
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
            reason=f"payment run for {period.label}",
            after={"period": period.label, "paid": summary["paid"], "claims": summary["claims"]},
        )
        return _result(settings, session, contract, run, existing=False)


def _ledger_row(entry: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(entry.get(c, "" if c == "memo" else None) for c in LEDGER_COLUMNS)


def _due(session: Any, cid: int, end: dt.date) -> list[DueClaim]:
    """Accepted claims achieved by ``end`` that no run has paid yet, in the order achieved."""
    return [
        DueClaim(claim_id, ref, participant, outcome, achieved_on, pounds(payable))
        for claim_id, ref, participant, outcome, achieved_on, payable in accepted_claims(
            session=session, contract_id=cid, unpaid_by=end
        )
    ]


def _paid_so_far(session: Any, cid: int) -> PaidSoFar:
    """Net paid per participant and outcome: accruals, less clawbacks, plus reversals of clawbacks."""
    participant, outcome = net_paid(session=session, contract_id=cid)
    return PaidSoFar(
        {who: pounds(amount) for who, amount in participant.items()},
        {what: pounds(amount) for what, amount in outcome.items()},
        pounds(sum(outcome.values())),
    )


def _unpaid_referrals(session: Any, cid: int) -> list[Participant]:
    paid = accrued_fees(session=session, contract_id=cid, item=ATTACHMENT_FEE, column="participant")
    return [
        Participant(ref, referral, born, attributes or {})
        for ref, referral, born, attributes in participant_facts(session=session, contract_id=cid)
        if ref not in paid
    ]


def _result(settings: Settings, session: Any, contract: Contract, run: PaymentRun, *, existing: bool) -> RunResult:
    schedules = write_schedules(settings, session, contract, run)
    return RunResult(
        contract.ref, contract.provider, run.period, existing, run.run_on.isoformat(), run.summary, schedules
    )
