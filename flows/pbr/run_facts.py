"""What a payment run reads before it plans: the claims due, what each participant and outcome has been paid
so far, and the referrals no attachment fee has yet paid for (flows/pbr/payment_runs.py)."""

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from flows.pbr.ledger import pounds
from models.pbr.bulk import date_from_driver
from models.pbr.claims import due_claim_rows, participant_facts
from models.pbr.ledger import ATTACHMENT_FEE, accrued_fees
from models.pbr.totals import net_paid_by_outcome
from policies.pbr.participants import Participant
from policies.pbr.payments import DueClaim, PaidSoFar


class DueTally:
    """What the claims a run read add up to, as they were read: the days they were achieved on, and
    ``models.pbr.claims.due_fingerprint`` of them, without reading them again."""

    def __init__(self) -> None:
        self.count = self.ids = self.pence = 0
        self.days: set[dt.date] = set()

    def fingerprint(self) -> str:
        return f"{self.count} {self.ids} {self.pence}"


def due_in_order(session: Any, cid: int, end: dt.date, tally: DueTally) -> Iterator[DueClaim]:
    """Accepted claims achieved by ``end`` that no run has paid yet, one at a time, in the order a run pays them
    (achieved, then ref), each with what its participant has been paid net so far; counted in ``tally`` once read
    (when the reading ends, or stops)."""
    days: dict[Any, dt.date] = {}
    prices: dict[int, Decimal] = {}  # each price in pounds, made once: a run pays a few prices
    count = ids = pence = 0  # into ``tally`` when the reading ends (in locals meanwhile: a run reads many claims)
    try:
        for claim_id, ref, participant, outcome, achieved, payable, paid in due_claim_rows(
            session=session, contract_id=cid, unpaid_by=end
        ):
            day = days.get(achieved)
            if day is None:
                day = days[achieved] = date_from_driver(achieved)
                tally.days.add(day)
            if (price := prices.get(payable)) is None:
                price = prices[payable] = pounds(payable)
            if (before := prices.get(paid)) is None:  # a participant's paid so far: a sum of a few prices
                before = prices[paid] = pounds(paid)
            count, ids, pence = count + 1, ids + claim_id, pence + payable
            yield DueClaim(claim_id, ref, participant, outcome, day, price, before)
    finally:
        tally.count, tally.ids, tally.pence = tally.count + count, tally.ids + ids, tally.pence + pence


def paid_so_far(session: Any, cid: int) -> PaidSoFar:
    """Net paid per outcome, and in all: accruals, less clawbacks, plus reversals of clawbacks. Each
    participant's is read with its claims (``due_in_order``)."""
    outcome = net_paid_by_outcome(session=session, contract_id=cid)
    return PaidSoFar({}, {what: pounds(amount) for what, amount in outcome.items()}, pounds(sum(outcome.values())))


def unpaid_referrals(session: Any, cid: int) -> list[Participant]:
    paid = accrued_fees(session=session, contract_id=cid, item=ATTACHMENT_FEE, column="participant")
    return [
        Participant(ref, referral, born, attributes or {})
        for ref, referral, born, attributes in participant_facts(session=session, contract_id=cid)
        if ref not in paid
    ]
