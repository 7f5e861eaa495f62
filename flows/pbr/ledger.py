"""The append-only ledger read back: its pence as pounds, and what a claim still holds per payer.

The ledger keeps integer pence (models/pbr/ledger.py); the services show and plan in
pounds. A clawback is undone only by a reversing entry, so the clawbacks still
open are those no reversal names, and what a payer holds for a claim is its
accruals net of clawbacks and their reversals: the most a clawback, by hand or
after a sample, takes back.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal

from models.pbr.ledger import ACCRUAL, CLAWBACK, REVERSAL, LedgerRow


def pounds(pence: int) -> Decimal:
    return Decimal(pence) / 100


def pence(amount: Decimal) -> int:
    return int(amount * 100)


def unreversed_clawbacks(ledger: Sequence[LedgerRow]) -> list[LedgerRow]:
    """Clawbacks of single claims that no reversal has undone."""
    reversed_ids = {e.reverses_id for e in ledger if e.reverses_id}
    return [e for e in ledger if e.kind == CLAWBACK and e.claim_id is not None and e.id not in reversed_ids]


def held_by_payer(ledger: Iterable[LedgerRow], claim_id: int | None) -> dict[str, int]:
    """What each payer has paid for a claim and not clawed back (pence): the most a clawback takes."""
    net: dict[str, int] = defaultdict(int)
    for e in ledger:
        if e.claim_id == claim_id and e.kind in (ACCRUAL, CLAWBACK, REVERSAL):
            net[e.payer] += e.amount_pence
    return dict(net)
