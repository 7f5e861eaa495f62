"""Outcome claims and what is decided about them: the claim as read, its fingerprint, the reason codes,
the verdict and the decision.

A claim is accepted, partly accepted or rejected, and each reason is a code and a sentence. The rules
for one claim are in ``policies.pbr.claim_rules``; the order a file's claims are decided in, in
``policies.pbr.validation``. The rules keep money in integer pence (``pence``, ``pounds``).
"""

import datetime as dt
import hashlib
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import NamedTuple

from policies.pbr.ratecard import RateCard


def gbp(amount: Decimal) -> str:
    """£1,500.00: how an amount reads in a reason."""
    return f"-£{-amount:,.2f}" if amount < 0 else f"£{amount:,.2f}"


class Reason(StrEnum):
    MALFORMED = "malformed"
    DUPLICATE_CLAIM_REF = "duplicate_claim_ref"
    ACHIEVED_IN_FUTURE = "achieved_in_future"
    UNKNOWN_PARTICIPANT = "unknown_participant"
    INELIGIBLE = "ineligible"
    REFERRAL_OUTSIDE_WINDOW = "referral_outside_window"
    BEFORE_REFERRAL = "before_referral"
    NOT_ON_RATE_CARD = "not_on_rate_card"
    EVIDENCE_MISSING = "evidence_missing"
    ALREADY_PAID = "already_paid"
    MUTUALLY_EXCLUSIVE = "mutually_exclusive"
    PREREQUISITE_MISSING = "prerequisite_missing"
    INTERVAL_TOO_SHORT = "interval_too_short"
    ABOVE_PRICE = "above_price"
    OVER_PARTICIPANT_CAP = "over_participant_cap"
    OVER_OUTCOME_CAP = "over_outcome_cap"
    OVER_CONTRACT_CAP = "over_contract_cap"


CAP_REASONS = frozenset({Reason.OVER_PARTICIPANT_CAP, Reason.OVER_OUTCOME_CAP, Reason.OVER_CONTRACT_CAP})


class Verdict(StrEnum):
    ACCEPTED = "accepted"
    PARTLY_ACCEPTED = "partly_accepted"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class Finding:
    code: Reason
    sentence: str


def fingerprint(ref: str, participant: str, outcome: str, achieved_on: str, amount: str, evidence: str) -> str:
    """A claim's content in 16 hex digits; the date in ISO form, the amount as str(Decimal) or "None"."""
    text = "\x1f".join((ref, participant, outcome, achieved_on, amount, evidence))
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


class Claim(NamedTuple):
    """One claim row as read: where it came from and what it says. A named tuple: a million are made
    and dropped in one import, and a tuple is made and freed in C."""

    line: int
    ref: str
    participant: str
    outcome: str
    achieved_on: dt.date
    amount: Decimal | None  # what the provider claims; None means the card price
    evidence: str = ""  # evidence types supplied, lower case, comma-separated

    def fingerprint(self) -> str:
        """What makes two rows with one reference the same claim: everything but the line."""
        return fingerprint(
            self.ref, self.participant, self.outcome, self.achieved_on.isoformat(), str(self.amount), self.evidence
        )


@dataclass(frozen=True, slots=True)
class Accepted:
    """A claim accepted earlier, as far as the rules need it."""

    ref: str
    participant: str
    outcome: str
    achieved_on: dt.date
    payable: Decimal


def pence(amount: Decimal) -> int:
    """A whole-penny amount as an integer number of pence (the rules add and compare integers)."""
    scaled = amount * 100
    whole = int(scaled)
    if whole != scaled:
        raise ValueError(f"{amount} is not a whole number of pence")
    return whole


def pounds(amount_pence: int) -> Decimal:
    """Pence back to pounds, with two decimal places: 150050 -> Decimal("1500.50")."""
    return Decimal(amount_pence).scaleb(-2)


# How the reason of a claim that no card prices ends when the claim gives no amount either: nothing was asked,
# and its claimed pence (zero) is no amount, not £0.00 (flows/pbr/claims_report.py reads it so).
NO_AMOUNT = "the claim gives no amount"


@dataclass(slots=True)
class Decision:
    """What was decided for one claim. Money is kept in pence; the Decimal properties read it in pounds."""

    claim: Claim
    verdict: Verdict
    claimed_pence: int  # the amount claimed, or the card price (zero when no card prices it and none is given)
    price_pence: int  # the card price (zero when the outcome is not on the card)
    payable_pence: int  # what may be paid, after the caps
    capped_pence: int  # what the caps took off
    findings: tuple[Finding, ...]
    card: RateCard | None

    @property
    def codes(self) -> tuple[Reason, ...]:
        return tuple(f.code for f in self.findings)

    @property
    def fingerprint(self) -> str:
        return self.claim.fingerprint()

    @property
    def claimed(self) -> Decimal:
        return pounds(self.claimed_pence)

    @property
    def price(self) -> Decimal:
        return pounds(self.price_pence)

    @property
    def payable(self) -> Decimal:
        return pounds(self.payable_pence)

    @property
    def capped(self) -> Decimal:
        return pounds(self.capped_pence)
