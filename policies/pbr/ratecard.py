"""Rate cards for payment by results: what each outcome pays, when, for whom, and up to what cap.

Rule: a rate card belongs to one contract and takes effect from a date. It lists
outcomes (code, name, price, how many times each is payable per participant,
the evidence it needs, the outcomes it requires first with a minimum
interval since each, an optional mutually exclusive group and an optional cap)
and the terms around them: the referral window, eligibility at referral, a
cap per participant and for the contract, the split between payers, the fees
(an attachment fee per eligible referral, or a service fee of a percentage of
the contract's value paid monthly in arrears), and how often payment runs
(monthly or quarterly, in arrears). A new version applies to outcomes achieved
from its ``effective_from`` date; what was priced on an older version keeps
its price.

Worked example (Fair Chance Fund, DOMAIN.md): ACC_S6, "accommodation sustained
6 months", pays £1,500 once per participant, needs ACC_S3 first and at least 6
months since ACC_ENTRY; a participant can earn at most £15,000 in all.
"""

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from policies.dates import add_months
from policies.pbr.participants import Eligibility
from policies.wholes import too_large

_INTERVAL_RE = re.compile(r"^\s*(?P<n>[0-9]+)\s*(?P<unit>months?|weeks?|days?)\s*$", re.IGNORECASE)
HUNDRED = Decimal(100)


class IntervalUnit(StrEnum):
    MONTHS = "months"
    WEEKS = "weeks"
    DAYS = "days"


@dataclass(frozen=True)
class Interval:
    amount: int
    unit: IntervalUnit

    def __str__(self) -> str:
        unit = self.unit.value
        return f"{self.amount} {unit[:-1] if self.amount == 1 else unit}"

    def after(self, day: dt.date) -> dt.date:
        """The first day at least this long after ``day`` (months by the corresponding-date rule)."""
        if self.unit is IntervalUnit.MONTHS:
            return add_months(day, self.amount)
        if self.unit is IntervalUnit.WEEKS:
            return day + dt.timedelta(weeks=self.amount)
        return day + dt.timedelta(days=self.amount)


def parse_interval(text: str) -> tuple[Interval | None, str | None]:
    match = _INTERVAL_RE.match(text or "")
    if not match:
        return None, f"{text!r} is not an interval; write e.g. 3 months, 13 weeks or 90 days"
    word = match["unit"].lower()
    unit = IntervalUnit(word if word.endswith("s") else word + "s")
    big = too_large(int(match["n"]), unit.value)
    if big:
        return None, f"{text!r}: {big}"
    return Interval(int(match["n"]), unit), None


@dataclass(frozen=True)
class Prerequisite:
    """``outcome`` must have been accepted first, achieved at least ``min_interval`` earlier."""

    outcome: str
    min_interval: Interval | None = None

    def __str__(self) -> str:
        return self.outcome + (f" + {self.min_interval}" if self.min_interval else "")


@dataclass(frozen=True)
class Outcome:
    code: str
    name: str
    price: Decimal
    times_payable: int = 1
    requires: tuple[Prerequisite, ...] = ()
    group: str | None = None  # at most one outcome of a group is payable per participant
    evidence: str | None = None  # the evidence type a claim must carry
    cap: Decimal | None = None  # the most payable for this outcome across the contract


@dataclass(frozen=True)
class Payer:
    name: str
    share: Decimal  # percent; the shares of a card add up to 100


class Frequency(StrEnum):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"


@dataclass(frozen=True)
class RateCard:
    contract: str
    effective_from: dt.date
    referral_from: dt.date
    referral_to: dt.date
    outcomes: Mapping[str, Outcome]
    # Every field is set by policies/pbr/ratecard_reading.py, which holds the defaults a card may leave out.
    payers: tuple[Payer, ...]
    participant_cap: Decimal | None
    contract_cap: Decimal | None
    cohort: int | None
    attachment_fee: Decimal
    service_fee_percent: Decimal
    frequency: Frequency
    eligibility: Eligibility
    currency: str
    name: str

    def outcome_cap(self, code: str) -> Decimal | None:
        return self.outcomes[code].cap


def cap_over_value(card: RateCard, value: Decimal) -> str | None:
    """Why a card's contract cap looks wrong: more than the contract is worth (e.g. £600m on a £1.5m contract)."""
    if card.contract_cap is None or card.contract_cap <= value:
        return None
    return f"£{card.contract_cap:,.2f} is more than contract {card.contract} is worth (£{value:,.2f})"


def version_for(cards: Sequence[RateCard], day: dt.date) -> RateCard | None:
    """The card in force on ``day``: the latest whose effective_from is on or before it (cards sorted by date)."""
    chosen = None
    for card in cards:
        if card.effective_from <= day:
            chosen = card
        else:
            break
    return chosen
