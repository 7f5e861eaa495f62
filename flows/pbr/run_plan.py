"""A payment run planned as its claims are read (flows/pbr/payment_runs.py): each line priced, capped and split
(policies/pbr/payments.py) and handed on at once, to the ledger at approval or to the draft schedules at a
proposal, and only the run's totals kept. However many claims a run pays, it holds none of them: its memory
is the participants' and outcomes' sums paid so far, and its time follows the claims it pays."""

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from flows.common.errors import UserError
from flows.common.settings import Settings
from flows.pbr.contract import contract_id
from flows.pbr.ledger import pounds
from flows.pbr.run_facts import DueTally, due_in_order, paid_so_far, unpaid_referrals
from models.contracts import Contract
from models.pbr.claims import unpaid_days
from models.pbr.ledger import SERVICE_FEE, accrued_fees, runs_of
from models.pbr.totals import ledger_balances
from policies.contracts.clauses import expiry
from policies.dates import local_date
from policies.pbr.payments import (
    ContractFacts,
    FeeLine,
    PayerTotal,
    Period,
    RunLine,
    fee_lines,
    payer_totals,
    priced_lines,
    run_refusals,
)
from policies.pbr.ratecard import RateCard

ZERO = Decimal(0)


@dataclass(frozen=True)
class PlannedRun:
    """What a run pays, without its lines (they went to ``each`` as they were priced)."""

    summary: dict[str, Any]
    fees: tuple[FeeLine, ...]
    payers: tuple[PayerTotal, ...]
    due: str  # models.pbr.claims.due_fingerprint of the claims the plan read


def refuse_run(
    settings: Settings,
    session: Any,
    contract: Contract,
    cards: list[RateCard],
    period: Period,
    as_of: dt.datetime,
    now: dt.datetime | None,
    *,
    unpaid: Iterable[dt.date] | None = None,
) -> None:
    """Raise the reasons a run for ``period`` may not happen, if any (policies.pbr.payments.run_refusals).

    ``unpaid``: the days on which claims no run has paid were achieved, when the caller has read them already
    (a plan, as it read its claims); otherwise they are read here."""
    cid = contract_id(contract)
    before = period.start - dt.timedelta(days=1)
    earlier = unpaid_days(session=session, contract_id=cid, by=before) if unpaid is None else unpaid
    zone = ZoneInfo(settings.timezone)  # instants in a refusal read in the organisation's zone
    reasons = run_refusals(
        period,
        as_of=as_of.astimezone(zone),
        now=(now or dt.datetime.now(dt.UTC)).astimezone(zone),  # the real clock, read once, here at the edge
        run_on=local_date(as_of, settings.timezone),
        contract_start=contract.start,
        contract_end=expiry(contract.to_terms()),
        unpaid_achieved=(day for day in earlier if day <= before),
        periods_run=frozenset(run.period for run in runs_of(session=session, contract_id=cid)),
        frequency=cards[-1].frequency,
    )
    if len(reasons) == 1:
        raise UserError(reasons[0])
    if reasons:
        raise UserError(f"no payment run for {period.label}: " + "; and ".join(reasons))


def plan_streamed(
    settings: Settings,
    session: Any,
    contract: Contract,
    cards: list[RateCard],
    period: Period,
    as_of: dt.datetime,
    now: dt.datetime | None,
    each: Callable[[RunLine], None],
) -> PlannedRun:
    """Plan a run of ``period`` as of now, handing each line to ``each`` as it is priced; its summary: per payer,
    per outcome, what the caps cut, and what it nets off. The claims are read once: the run's refusals
    (``refuse_run``) are decided once they are read, from the days they were achieved on; the caller discards
    what ``each`` was given (a refused approval rolls back)."""
    cid = contract_id(contract)
    tally = DueTally()
    # Everything read from the ledger is read before the first line (each participant's paid so far with its claims,
    # from the totals, which the approval brings up to date only after the last line): at approval, ``each`` writes
    # to it.
    paid = paid_so_far(session, cid)
    attachment_fees = any(card.attachment_fee for card in cards)
    referrals = unpaid_referrals(session, cid) if attachment_fees else ()
    months_paid = frozenset(accrued_fees(session=session, contract_id=cid, item=SERVICE_FEE, column="month"))
    balances = {p: pounds(v) for p, v in ledger_balances(session=session, contract_id=cid).items()}
    # Summed by outcome, and each payer's accruals by the lines' shares (a run splits few prices: the same shares,
    # the same object, line after line), then added up once the lines are read.
    by_outcome: dict[str, list[Any]] = {}  # outcome: [claims, paid, capped]
    by_shares: dict[int, list[Any]] = {}  # id(shares): [shares, times], the shares held so that the id stays theirs
    capped_lines: list[dict[str, Any]] = []
    for line in priced_lines(period, cards, due_in_order(session, cid, period.end, tally), paid):
        if (o := by_outcome.get(line.claim.outcome)) is None:
            o = by_outcome[line.claim.outcome] = [0, ZERO, ZERO]
        o[0] += 1
        o[1] += line.paid
        if line.capped:
            o[2] += line.capped
            capped_lines.append({"claim": line.claim.ref, "capped": f"{line.capped:.2f}", "why": list(line.notes)})
        if (counted := by_shares.get(id(line.shares))) is None:
            counted = by_shares[id(line.shares)] = [line.shares, 0]
        counted[1] += 1
        each(line)
    accrued: dict[str, list[Decimal]] = {}
    for shares, times in by_shares.values():
        for payer, share in shares:
            accrued.setdefault(payer, [ZERO, ZERO])[0] += share * times
    claims = sum(o[0] for o in by_outcome.values())
    outcomes = sum((o[1] for o in by_outcome.values()), ZERO)
    capped = sum((o[2] for o in by_outcome.values()), ZERO)
    refuse_run(settings, session, contract, cards, period, as_of, now, unpaid=tally.days)
    facts = ContractFacts(pounds(contract.value_pence), contract.start, contract.initial_term_months)
    fees = tuple(fee_lines(period, cards, referrals, months_paid, facts))
    payers = payer_totals(accrued, fees, balances)
    summary = {
        "claims": claims,
        "outcomes": f"{outcomes:.2f}",
        "capped_at_run": f"{capped:.2f}",
        "fees": f"{sum((f.amount for f in fees), ZERO):.2f}",
        "paid": f"{sum((p.payment for p in payers), ZERO):.2f}",
        "payers": {
            p.payer: {
                "outcomes": f"{p.outcomes:.2f}",
                "fees": f"{p.fees:.2f}",
                "owed_before": f"{p.owed_before:.2f}",
                "recovered": f"{p.recovered:.2f}",
                "payment": f"{p.payment:.2f}",
                "carried": f"{p.carried:.2f}",
            }
            for p in payers
        },
        "by_outcome": {
            name: {"claims": count, "paid": f"{paid_for:.2f}", "capped": f"{cut:.2f}"}
            for name, (count, paid_for, cut) in sorted(by_outcome.items())
        },
        "capped": capped_lines,
    }
    return PlannedRun(summary, fees, payers, tally.fingerprint())
