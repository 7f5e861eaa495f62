"""Validating outcome claims against a rate card: accepted, partly accepted or rejected, and why.

Rule: claims are checked in the order their outcomes were achieved (ties in
file order), each against the rate card in force on its achieved date and
against what has been accepted before it, from earlier imports or earlier in
the same file. A claim is rejected, with every reason that applies, when
its reference was already used for a different claim, its participant is
unknown, ineligible, referred outside the window or referred after the
outcome, its outcome is not on the card, the evidence the card asks for is
missing, the outcome was already accepted as often as it is payable, another
outcome of its mutually exclusive group was accepted, or a prerequisite is
missing or too recent. A claim that passes is priced at the card price (or
the amount claimed, if lower) and then capped, in this order: the
participant cap, the outcome cap, the contract cap. Cut to nothing it is
rejected; cut in part it is partly accepted.

A row identical to one already known (same reference and content) is
"unchanged", which is what makes re-importing a file a no-op.

Worked example (Fair Chance Fund): participant P-003 claims ACC_S6 on
2016-03-01 with ACC_ENTRY accepted on 2015-10-15 and ACC_S3 on 2016-01-15. The
card needs 6 months since entry, i.e. not before 2016-04-15, so the claim is
rejected as interval_too_short.
"""

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from policies.ratecard import RateCard, version_for

ZERO = Decimal(0)


def gbp(amount: Decimal) -> str:
    """£1,500.00: how an amount reads in a reason."""
    return f"-£{-amount:,.2f}" if amount < 0 else f"£{amount:,.2f}"


class Reason(StrEnum):
    MALFORMED = "malformed"
    DUPLICATE_CLAIM_REF = "duplicate_claim_ref"
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


@dataclass(slots=True)
class Claim:
    """One claim row as read: where it came from and what it says."""

    line: int
    ref: str
    participant: str
    outcome: str
    achieved_on: dt.date
    amount: Decimal | None  # what the provider claims; None means the card price
    evidence: str = ""  # evidence types supplied, lower case, comma-separated

    def fingerprint(self) -> str:
        """What makes two rows with one reference the same claim: everything but the line."""
        text = "\x1f".join(
            (self.ref, self.participant, self.outcome, self.achieved_on.isoformat(), str(self.amount), self.evidence)
        )
        return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


@dataclass(frozen=True, slots=True)
class Participant:
    ref: str
    referral_date: dt.date
    born: dt.date | None = None
    attributes: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Accepted:
    """A claim accepted earlier, as far as the rules need it."""

    ref: str
    participant: str
    outcome: str
    achieved_on: dt.date
    payable: Decimal


@dataclass(slots=True)
class Decision:
    claim: Claim
    fingerprint: str
    verdict: Verdict
    claimed: Decimal  # the amount claimed, or the card price (zero when no card prices it)
    price: Decimal  # the card price (zero when the outcome is not on the card)
    payable: Decimal  # what may be paid, after the caps
    capped: Decimal  # what the caps took off
    findings: tuple[Finding, ...]
    card: RateCard | None

    @property
    def codes(self) -> tuple[Reason, ...]:
        return tuple(f.code for f in self.findings)


@dataclass
class Book:
    """What a contract has accepted so far: the running state each claim is checked against."""

    refs: dict[str, str | set[str]] = field(default_factory=dict)  # claim reference -> fingerprint(s) seen
    by_participant: dict[str, dict[str, list[Accepted]]] = field(default_factory=dict)
    participant_total: dict[str, Decimal] = field(default_factory=dict)
    outcome_total: dict[str, Decimal] = field(default_factory=dict)
    contract_total: Decimal = ZERO
    accepted_refs: set[str] = field(default_factory=set)

    def add(self, accepted: Accepted) -> None:
        self.accepted_refs.add(accepted.ref)
        self.by_participant.setdefault(accepted.participant, {}).setdefault(accepted.outcome, []).append(accepted)
        self.participant_total[accepted.participant] = (
            self.participant_total.get(accepted.participant, ZERO) + accepted.payable
        )
        self.outcome_total[accepted.outcome] = self.outcome_total.get(accepted.outcome, ZERO) + accepted.payable
        self.contract_total += accepted.payable

    def remember(self, ref: str, fingerprint: str) -> None:
        """One string per reference (a million references are common); a set only when a reference repeats."""
        seen = self.refs.get(ref)
        if seen is None:
            self.refs[ref] = fingerprint
        elif isinstance(seen, str):
            if seen != fingerprint:
                self.refs[ref] = {seen, fingerprint}
        else:
            seen.add(fingerprint)

    def knows(self, ref: str, fingerprint: str) -> bool | None:
        """None if the reference is new; else whether this very claim was seen under it."""
        seen = self.refs.get(ref)
        if seen is None:
            return None
        return seen == fingerprint if isinstance(seen, str) else fingerprint in seen


@dataclass
class Validation:
    decisions: list[Decision]  # in the order checked (achieved date, then line)
    unchanged: list[Claim]  # rows identical to a claim already known


_EMPTY: tuple[Finding, ...] = ()


def validate_claims(
    cards: Sequence[RateCard],
    participants: Mapping[str, Participant],
    book: Book,
    claims: Iterable[Claim],
) -> Validation:
    """Decide every claim, updating ``book`` with what is accepted. ``cards`` are sorted by effective date."""
    unchanged: list[Claim] = []
    fresh: list[tuple[Claim, str, Finding | None]] = []
    first_line: dict[str, int] = {}
    for claim in claims:  # file order: the first use of a reference wins
        fingerprint = claim.fingerprint()
        known = book.knows(claim.ref, fingerprint)
        if known:
            unchanged.append(claim)
            continue
        duplicate = None
        # A reference is spent once a claim under it is accepted, or within one file; a rejected claim
        # may be sent again, corrected, under its reference.
        if known is not None and (claim.ref in first_line or claim.ref in book.accepted_refs):
            where = f"line {first_line[claim.ref]}" if claim.ref in first_line else "an earlier import"
            duplicate = Finding(
                Reason.DUPLICATE_CLAIM_REF,
                f"claim reference {claim.ref} was already used in {where} for a different claim",
            )
        if claim.ref not in first_line:
            first_line[claim.ref] = claim.line
        book.remember(claim.ref, fingerprint)
        fresh.append((claim, fingerprint, duplicate))
    fresh.sort(key=lambda item: item[0].achieved_on)  # stable: ties stay in file (line) order
    eligibility: dict[tuple[str, int], tuple[Finding, ...]] = {}
    in_force: dict[dt.date, RateCard | None] = {}
    decisions = [_decide(c, fp, dup, cards, participants, book, eligibility, in_force) for c, fp, dup in fresh]
    return Validation(decisions, unchanged)


def _decide(
    claim: Claim,
    fingerprint: str,
    duplicate: Finding | None,
    cards: Sequence[RateCard],
    participants: Mapping[str, Participant],
    book: Book,
    eligibility: dict[tuple[str, int], tuple[Finding, ...]],
    in_force: dict[dt.date, RateCard | None],
) -> Decision:
    findings: list[Finding] = [duplicate] if duplicate else []
    day = claim.achieved_on
    if day in in_force:
        card = in_force[day]
    else:
        card = in_force[day] = version_for(cards, day)
    outcome = card.outcomes.get(claim.outcome) if card else None
    price = outcome.price if outcome else ZERO
    claimed = claim.amount if claim.amount is not None else price
    if card is None or outcome is None:
        findings.append(
            Finding(
                Reason.NOT_ON_RATE_CARD,
                f"{claim.outcome} is not on the rate card in force on {claim.achieved_on}"
                if card
                else f"no rate card is in force on {claim.achieved_on}",
            )
        )
    person = participants.get(claim.participant)
    if person is None:
        findings.append(
            Finding(Reason.UNKNOWN_PARTICIPANT, f"participant {claim.participant} is not on this contract's list")
        )
    if card is None or outcome is None or person is None:
        return Decision(claim, fingerprint, Verdict.REJECTED, claimed, price, ZERO, ZERO, tuple(findings), card)

    key = (person.ref, id(card))
    standing = eligibility.get(key)
    if standing is None:  # the participant's own checks, once per participant and card
        standing = eligibility[key] = _standing(person, card)
    if standing:
        findings.extend(standing)
    if claim.achieved_on < person.referral_date:
        findings.append(
            Finding(
                Reason.BEFORE_REFERRAL,
                f"{claim.outcome} was achieved on {claim.achieved_on}, before referral on {person.referral_date}",
            )
        )
    needed = outcome.evidence
    if needed and claim.evidence != needed and needed not in claim.evidence.split(","):
        given = f"the claim gives {claim.evidence.replace(',', ', ')}" if claim.evidence else "none given"
        findings.append(
            Finding(Reason.EVIDENCE_MISSING, f"{claim.outcome} needs evidence of type {outcome.evidence}; {given}")
        )
    history = book.by_participant.get(person.ref, {})
    done = history.get(claim.outcome, ())
    if len(done) >= outcome.times_payable:
        times = "once" if outcome.times_payable == 1 else f"{outcome.times_payable} times"
        refs = ", ".join(a.ref for a in done)
        findings.append(
            Finding(
                Reason.ALREADY_PAID,
                f"{claim.outcome} was already accepted for {person.ref} (claim {refs}); it is payable {times}",
            )
        )
    if outcome.group:
        for code, accepted in history.items():
            other = card.outcomes.get(code)
            if code != claim.outcome and accepted and other is not None and other.group == outcome.group:
                findings.append(
                    Finding(
                        Reason.MUTUALLY_EXCLUSIVE,
                        f"{claim.outcome} and {code} (claim {accepted[0].ref}) are mutually exclusive "
                        f"({outcome.group}); only one is payable",
                    )
                )
                break
    for need in outcome.requires:
        earlier = history.get(need.outcome)
        if not earlier:
            findings.append(
                Finding(
                    Reason.PREREQUISITE_MISSING,
                    f"{claim.outcome} needs {need.outcome} accepted first; {person.ref} has none",
                )
            )
            continue
        first = min(a.achieved_on for a in earlier)
        if need.min_interval is not None:
            not_before = need.min_interval.after(first)
            if claim.achieved_on < not_before:
                findings.append(
                    Finding(
                        Reason.INTERVAL_TOO_SHORT,
                        f"{claim.outcome} on {claim.achieved_on} is too soon: it needs {need.min_interval} after "
                        f"{need.outcome} on {first}, so not before {not_before}",
                    )
                )
        elif first > claim.achieved_on:
            findings.append(
                Finding(
                    Reason.INTERVAL_TOO_SHORT,
                    f"{claim.outcome} on {claim.achieved_on} comes before {need.outcome} on {first}",
                )
            )
    if findings:
        return Decision(claim, fingerprint, Verdict.REJECTED, claimed, price, ZERO, ZERO, tuple(findings), card)

    if claimed <= ZERO:
        findings.append(Finding(Reason.MALFORMED, f"the claim is for {gbp(claimed)}; there is nothing to pay"))
        return Decision(claim, fingerprint, Verdict.REJECTED, claimed, price, ZERO, ZERO, tuple(findings), card)
    payable = claimed
    if claimed > price:
        payable = price
        findings.append(
            Finding(Reason.ABOVE_PRICE, f"{gbp(claimed)} claimed for {claim.outcome}; the rate card pays {gbp(price)}")
        )
    before_caps = payable
    if card.participant_cap is not None:
        used = book.participant_total.get(person.ref, ZERO)
        payable = _cap(
            payable, card.participant_cap, used, findings, Reason.OVER_PARTICIPANT_CAP, "participant", person.ref
        )
    if outcome.cap is not None:
        used = book.outcome_total.get(claim.outcome, ZERO)
        payable = _cap(payable, outcome.cap, used, findings, Reason.OVER_OUTCOME_CAP, "outcome", claim.outcome)
    if card.contract_cap is not None:
        used = book.contract_total
        payable = _cap(payable, card.contract_cap, used, findings, Reason.OVER_CONTRACT_CAP, "contract", card.contract)
    capped = ZERO if payable is before_caps else before_caps - payable
    if payable <= ZERO:
        return Decision(claim, fingerprint, Verdict.REJECTED, claimed, price, ZERO, capped, tuple(findings), card)
    book.add(Accepted(claim.ref, person.ref, claim.outcome, claim.achieved_on, payable))
    verdict = Verdict.PARTLY_ACCEPTED if payable < claimed else Verdict.ACCEPTED
    return Decision(claim, fingerprint, verdict, claimed, price, payable, capped, tuple(findings) or _EMPTY, card)


def _standing(person: Participant, card: RateCard) -> tuple[Finding, ...]:
    """What is wrong with the participant under this card, whatever the claim: eligibility and the window."""
    found = []
    problem = card.eligibility.problem(person.referral_date, person.born, person.attributes)
    if problem:
        found.append(Finding(Reason.INELIGIBLE, f"participant {person.ref} {problem}"))
    if not card.referral_from <= person.referral_date <= card.referral_to:
        found.append(
            Finding(
                Reason.REFERRAL_OUTSIDE_WINDOW,
                f"participant {person.ref} was referred on {person.referral_date}, outside the referral window "
                f"{card.referral_from} to {card.referral_to}",
            )
        )
    return tuple(found)


def _cap(
    payable: Decimal, cap: Decimal, used: Decimal, findings: list[Finding], code: Reason, kind: str, name: str
) -> Decimal:
    headroom = cap - used
    if payable <= headroom or payable <= ZERO:
        return payable
    headroom = max(headroom, ZERO)
    findings.append(
        Finding(
            code,
            f"the {kind} {name} cap of {gbp(cap)} leaves {gbp(headroom)} of the {gbp(payable)} due; "
            f"{gbp(payable - headroom)} is capped",
        )
    )
    return headroom
