"""Whether a file's claims could reach the contract cap or an outcome cap, were every one paid in full.

Only those caps join participants together: a claim's decision depends on another participant's
claims only through them. As long as the claims cannot reach them, participants may be decided apart,
in any order (see ``ClaimPlan`` in ``policies.pbr.validation``). The caps on one claim are applied in
``policies.pbr.claim_rules``.
"""

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal

from policies.pbr.book import Book
from policies.pbr.claim_rules import CardRules, asked
from policies.pbr.claims import Claim


def within_caps(
    fresh: Sequence[Claim],
    indexes: Sequence[int],
    by_day: Mapping[dt.date, CardRules | None],
    book: Book,
    pence_of: dict[Decimal, int],
) -> int:
    """How many of ``indexes``, from the first, cannot reach the contract or an outcome cap even if
    every one of them were paid in full. Among those, whatever the order, no contract or outcome cap bites."""
    claims = map(fresh.__getitem__, indexes)
    over = first_over_caps(((c.achieved_on, c.outcome, c.amount, 1) for c in claims), by_day, book, pence_of)
    return len(indexes) if over is None else over


Kind = tuple[dt.date, str, Decimal | None, int]  # achieved on, outcome, amount, and how many claims


def first_over_caps(
    kinds: Iterable[Kind], by_day: Mapping[dt.date, CardRules | None], book: Book, pence_of: dict[Decimal, int]
) -> int | None:
    """Where, in ``kinds`` taken in order, the claims so far could first pass the contract cap or an outcome
    cap (the lowest any of their cards sets), were every one paid in full (the lower of what it claims and
    the card price); None if they never could. Totals only grow and caps only fall along the way, so the
    claims of a file pass no cap together exactly when, counted by kind in any order, they never do."""
    total = 0
    by_outcome: dict[str, int] = {}
    contract_cap: int | None = None
    outcome_cap: dict[str, int] = {}
    for n, (day, code, amount, count) in enumerate(kinds):
        rules = by_day[day]
        rule = rules.rules.get(code) if rules else None
        if rules is None or rule is None:
            continue
        most = min(asked(amount, rule, pence_of), rule.price) * count
        total += most
        if rules.contract_cap is not None and (contract_cap is None or rules.contract_cap < contract_cap):
            contract_cap = rules.contract_cap
        if contract_cap is not None and book.contract_pence + total > contract_cap:
            return n
        if rule.cap is not None:
            so_far = by_outcome[code] = by_outcome.get(code, 0) + most
            cap = outcome_cap[code] = min(outcome_cap.get(code, rule.cap), rule.cap)
            if book.outcome_pence.get(code, 0) + so_far > cap:
                return n
    return None
