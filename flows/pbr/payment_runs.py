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
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flows.common.errors import UserError
from flows.common.runtime import database
from flows.common.settings import Settings
from flows.pbr.contract import contract_id, named_period, pbr_contract, required_cards
from flows.pbr.exports import write_csv
from flows.pbr.ledger import pence, pounds
from models.contracts import Contract
from models.db import unit_of_work
from models.events import append_event
from models.pbr.bulk import bulk_insert, driver_value
from models.pbr.claims import accepted_claims, claim_facts, participant_facts
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
    ledger_of,
    net_paid,
    run_for,
)
from policies.dates import local_date
from policies.pbr.participants import Participant
from policies.pbr.payments import ContractFacts, DueClaim, PaidSoFar, plan_run

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


def payment_run(
    settings: Settings, contract_ref: str, period_text: str, *, as_of: dt.datetime, actor: str
) -> RunResult:
    """Pay a period in arrears, once; a second request shows the first run."""
    today = local_date(as_of, settings.timezone)
    with unit_of_work(database(settings)) as session:
        contract = pbr_contract(session, contract_ref)
        cid = contract_id(contract)
        cards = required_cards(session, contract)
        period = named_period(cards, period_text)
        existing = run_for(session=session, contract_id=cid, period=period.label)
        if existing is not None:
            return _result(settings, session, contract, existing, existing=True)
        if today <= period.end:
            raise UserError(
                f"{period.label} ends on {period.end}; it is paid in arrears, from {period.end + dt.timedelta(days=1)}"
            )
        attachment_fees = any(card.attachment_fee for card in cards)
        plan = plan_run(
            period,
            cards,
            _due(session, cid, period.end),
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


SCHEDULE_HEADER = (
    "contract",
    "provider",
    "period",
    "payer",
    "item",
    "claim_ref",
    "participant",
    "outcome",
    "achieved_on",
    "amount",
)


def write_schedules(settings: Settings, session: Any, contract: Contract, run: PaymentRun) -> list[str]:
    """One CSV per payer: every line the run accrued for it, any recovery netted off, and the payment."""
    folder = settings.data_dir / "payments" / _safe(contract.ref) / run.period
    entries = ledger_of(session=session, contract_id=contract_id(contract), run_id=run.id)
    claims = claim_facts(session=session, ids=sorted({e.claim_id for e in entries if e.claim_id}))
    paths = []
    for payer, summary in sorted(run.summary["payers"].items()):
        rows: list[list[Any]] = []
        for e in entries:
            if e.payer != payer or e.kind != ACCRUAL:
                continue
            claim = claims.get(e.claim_id) if e.claim_id else None
            rows.append(
                [
                    contract.ref,
                    contract.provider,
                    run.period,
                    payer,
                    e.item,
                    claim[0] if claim else "",
                    e.participant or "",
                    claim[2] if claim else "",
                    claim[3] if claim else None,
                    pounds(e.amount_pence),
                ]
            )
        before, recovered = Decimal(summary["owed_before"]), Decimal(summary["recovered"])
        if recovered:
            rows.append([contract.ref, contract.provider, run.period, payer, "recovery", "", "", "", None, -recovered])
        elif before > 0:
            rows.append(
                [contract.ref, contract.provider, run.period, payer, "brought forward", "", "", "", None, before]
            )
        rows.append(
            [
                contract.ref,
                contract.provider,
                run.period,
                payer,
                "payment",
                "",
                "",
                "",
                None,
                Decimal(summary["payment"]),
            ]
        )
        path = folder / f"{_safe(payer)}.csv"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            write_csv(path, SCHEDULE_HEADER, rows)
        paths.append(str(path))
    return paths


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") or "payer"
