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
import itertools
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from operator import attrgetter
from typing import NamedTuple

from policies.pbr.ratecard import Outcome, Prerequisite, RateCard, version_for

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


@dataclass(slots=True)
class Decision:
    """What was decided for one claim. Money is kept in pence; the Decimal properties read it in pounds."""

    claim: Claim
    verdict: Verdict
    claimed_pence: int  # the amount claimed, or the card price (zero when no card prices it)
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


# One accepted outcome in a participant's history: (achieved on, claim reference).
Held = tuple[dt.date, str]


@dataclass
class Book:
    """What a contract has accepted so far: the running state each claim is checked against.

    ``refs`` maps each claim reference seen to what was seen under it: a fingerprint, a set of
    them when a reference was reused, or the claim itself (fingerprinted only if it is ever
    compared: a million new references are the common case, and need no fingerprint here).
    """

    refs: dict[str, "str | set[str] | Claim"] = field(default_factory=dict)
    by_participant: dict[str, dict[str, list[Held]]] = field(default_factory=dict)
    participant_pence: dict[str, int] = field(default_factory=dict)
    outcome_pence: dict[str, int] = field(default_factory=dict)
    contract_pence: int = 0
    accepted_refs: set[str] = field(default_factory=set)
    # Whether accepted claims' references go into accepted_refs: only sorting a file's claims out reads
    # them (plan_claims); a book that decides a share apart, and forgets as it goes, stops keeping them.
    keeps_refs: bool = True

    @property
    def participant_total(self) -> dict[str, Decimal]:
        return {k: pounds(v) for k, v in self.participant_pence.items()}

    @property
    def outcome_total(self) -> dict[str, Decimal]:
        return {k: pounds(v) for k, v in self.outcome_pence.items()}

    @property
    def contract_total(self) -> Decimal:
        return pounds(self.contract_pence)

    def add(self, accepted: Accepted) -> None:
        self.hold(accepted.ref, accepted.participant, accepted.outcome, accepted.achieved_on, pence(accepted.payable))

    def hold(self, ref: str, participant: str, outcome: str, achieved_on: dt.date, payable: int) -> None:
        """Record an accepted claim, ``payable`` in pence."""
        if self.keeps_refs:
            self.accepted_refs.add(ref)
        history = self.by_participant.get(participant)
        if history is None:
            history = self.by_participant[participant] = {}
        held = history.get(outcome)
        if held is None:
            history[outcome] = [(achieved_on, ref)]
        else:
            held.append((achieved_on, ref))
        self.participant_pence[participant] = self.participant_pence.get(participant, 0) + payable
        self.outcome_pence[outcome] = self.outcome_pence.get(outcome, 0) + payable
        self.contract_pence += payable

    def forget(self, participant: str) -> None:
        """Drop a participant's history and total (see ``decide``)."""
        history = self.by_participant.pop(participant, None)
        if history and self.keeps_refs:
            for held in history.values():
                self.accepted_refs.difference_update(ref for _, ref in held)
        self.participant_pence.pop(participant, None)

    def remember(self, ref: str, fingerprint: str) -> None:
        """One string per reference; a set only when a reference repeats."""
        seen = self.refs.get(ref)
        if seen is None:
            self.refs[ref] = fingerprint
            return
        prints = _prints(seen)
        if fingerprint not in prints:
            self.refs[ref] = prints | {fingerprint}

    def knows(self, ref: str, fingerprint: str) -> bool | None:
        """None if the reference is new; else whether this very claim was seen under it."""
        seen = self.refs.get(ref)
        return None if seen is None else fingerprint in _prints(seen)


def _prints(seen: "str | set[str] | Claim") -> set[str]:
    if isinstance(seen, set):
        return seen
    return {seen if isinstance(seen, str) else seen.fingerprint()}


@dataclass
class Validation:
    decisions: list[Decision]  # one per claim decided, in file order
    unchanged: list[Claim]  # rows identical to a claim already known


_EMPTY: tuple[Finding, ...] = ()
_ACHIEVED = attrgetter("achieved_on")
_PARTICIPANT = attrgetter("participant")
_KIND = attrgetter("achieved_on", "outcome", "amount")


@dataclass(slots=True)
class _Rule:
    """One outcome of one card version, as the rules use it: money in pence, the group's other codes,
    and for each prerequisite the day the interval allows, remembered per start day."""

    outcome: Outcome
    price: int
    cap: int | None
    rivals: frozenset[str]  # the other outcomes of its mutually exclusive group
    requires: tuple[tuple[Prerequisite, dict[dt.date, dt.date]], ...]


@dataclass(slots=True)
class _CardRules:
    card: RateCard
    rules: dict[str, _Rule]
    participant_cap: int | None
    contract_cap: int | None
    standing: dict[str, tuple[Finding, ...]]  # per participant: what is wrong whatever the claim

    @classmethod
    def of(cls, card: RateCard) -> "_CardRules":
        groups: dict[str, set[str]] = {}
        for code, outcome in card.outcomes.items():
            if outcome.group:
                groups.setdefault(outcome.group, set()).add(code)
        rules = {
            code: _Rule(
                outcome,
                pence(outcome.price),
                None if outcome.cap is None else pence(outcome.cap),
                frozenset(groups[outcome.group] - {code}) if outcome.group else frozenset(),
                tuple((need, {}) for need in outcome.requires),
            )
            for code, outcome in card.outcomes.items()
        }
        return cls(
            card,
            rules,
            None if card.participant_cap is None else pence(card.participant_cap),
            None if card.contract_cap is None else pence(card.contract_cap),
            {},
        )


def validate_claims(
    cards: Sequence[RateCard],
    participants: Mapping[str, Participant],
    book: Book,
    claims: Iterable[Claim],
) -> Validation:
    """Decide every claim, updating ``book`` with what is accepted. ``cards`` are sorted by effective date.

    Each participant's claims are checked in the order achieved (then line). Only the contract and
    outcome caps join participants together, so as long as the claims could not reach them even if
    every one were paid in full, no claim's decision depends on another participant's. Those claims
    (all of them, usually; else the earliest achieved, up to the point where a cap could be reached)
    are checked participant by participant, which for a big file is twice as fast as walking it by
    date, because one participant's history stays in the processor's cache. The rest follow by date.
    """
    return _validate(cards, participants, book, claims, by_participant=None)


def _validate(
    cards: Sequence[RateCard],
    participants: Mapping[str, Participant],
    book: Book,
    claims: Iterable[Claim],
    *,
    by_participant: bool | None,
) -> Validation:
    """``by_participant``: None to choose as described above; True (all participant by participant) or
    False (all by date) to force it, for tests."""
    plan = plan_claims(cards, book, claims)
    return Validation(decide_in_file_order(plan, participants, book, by_participant=by_participant), plan.unchanged)


@dataclass
class ClaimPlan:
    """A file's claims sorted out for deciding: those to decide (``fresh``, in file order), a finding for
    each reused reference (by line), the rows already known, and how far the caps let participants be
    decided apart (``reach``: that many of the claims, taken by date, cannot reach a contract or outcome
    cap). ``independent`` plans may be decided in parts of whole participants, in any order, each part
    against its own copy of the book: no part's decisions depend on another's."""

    fresh: list[Claim]
    duplicates: dict[int, Finding]
    unchanged: list[Claim]
    by_day: dict[dt.date, "_CardRules | None"]
    pence_of: dict[Decimal, int]
    reach: int
    by_date: list[int] | None  # the claims by date, when the caps are in reach

    @property
    def independent(self) -> bool:
        return self.reach == len(self.fresh)

    def order(self, by_participant: bool | None = None) -> Iterable[int]:
        """The order to decide the claims in, as indexes into ``fresh`` (see ``validate_claims``)."""
        everything = range(len(self.fresh))
        if by_participant is not None:
            return _by_participant(self.fresh, everything) if by_participant else _by_date(self.fresh)
        if self.by_date is None:
            return _by_participant(self.fresh, everything)
        return itertools.chain(_by_participant(self.fresh, self.by_date[: self.reach]), self.by_date[self.reach :])

    def share_out(self, count: int) -> dict[str, int]:
        """An independent plan's participants dealt into ``count`` shares (0, 1, ...) of about equal numbers
        of claims, in the order they first appear in the file; ``part`` then gives each share's order."""
        if not self.independent:
            raise ValueError("the caps are in reach: the claims must be decided together")
        owner: dict[str, int] = {}
        done, share = 0, 0
        for participant, claims in Counter(map(_PARTICIPANT, self.fresh)).items():  # in order of first claim
            if share < count - 1 and done >= len(self.fresh) * (share + 1) / count:
                share += 1
            owner[participant] = share
            done += claims
        return owner

    def part(self, owner: Mapping[str, int], share: int) -> list[int]:
        """The claims of the participants ``owner`` puts in ``share``, as indexes into ``fresh``, in the
        order to decide them: file order, as far as the rules allow. A participant's claims must be decided
        in date order, so those of a participant the file does not give in date order are decided all
        together, in date order, at the place of the first. However the file is sorted, by participant or by
        date, a part's rows then come out in (nearly) line order."""
        fresh = self.fresh
        mine = [i for i, claim in enumerate(fresh) if owner[claim.participant] == share]
        latest: dict[str, dt.date] = {}
        jumbled: set[str] = set()
        for i in mine:
            claim = fresh[i]
            before = latest.get(claim.participant)
            if before is not None and claim.achieved_on < before:
                jumbled.add(claim.participant)
            latest[claim.participant] = claim.achieved_on
        if not jumbled:
            return mine
        order: list[int | list[int]] = []  # a jumbled participant's claims wait in a list at their first place
        waiting: dict[str, list[int]] = {}
        for i in mine:
            participant = fresh[i].participant
            if participant not in jumbled:
                order.append(i)
                continue
            theirs = waiting.get(participant)
            if theirs is None:
                theirs = waiting[participant] = []
                order.append(theirs)
            theirs.append(i)
        placed: list[int] = []
        for item in order:
            if isinstance(item, list):
                placed.extend(sorted(item, key=lambda i: fresh[i].achieved_on))  # stable: ties in line order
            else:
                placed.append(item)
        return placed

    def parts(self, count: int) -> list[list[int]]:
        """The orders of ``count`` shares of whole participants (``share_out`` and ``part``)."""
        owner = self.share_out(count)
        return [self.part(owner, share) for share in range(max(count, 1))]


def plan_claims(cards: Sequence[RateCard], book: Book, claims: Iterable[Claim]) -> ClaimPlan:
    """Sort a file's claims out for deciding (see ``ClaimPlan``); records their references in ``book``."""
    fresh, duplicates, unchanged = _sift(book, claims)
    kinds = Counter(map(_KIND, fresh))  # how many claims of each day, outcome and amount
    by_day = _rules_by_day(cards, {day for day, _, _ in kinds})
    pence_of: dict[Decimal, int] = {}
    by_date: list[int] | None = None
    reach = len(fresh)
    counted = ((day, outcome, amount, n) for (day, outcome, amount), n in kinds.items())
    if _first_over_caps(counted, by_day, book, pence_of) is not None:
        reach = _within_caps(fresh, range(len(fresh)), by_day, book, pence_of)
        if reach < len(fresh):  # by participant as far as the caps cannot be reached, in date order; then by date
            by_date = _by_date(fresh)
            reach = _within_caps(fresh, by_date, by_day, book, pence_of)
    return ClaimPlan(fresh, duplicates, unchanged, by_day, pence_of, reach, by_date)


def decide(
    plan: ClaimPlan,
    participants: Mapping[str, Participant],
    book: Book,
    order: Sequence[int],
    *,
    forget: bool = False,
) -> Iterator[Decision]:
    """Decide the plan's claims at ``order`` (indexes into ``plan.fresh``), one at a time, updating ``book``.

    ``forget``: for an order that holds each of its participants' claims whole (``parts`` gives such
    orders), drop each participant's history from the book once their last claim is decided, and keep no
    accepted references, to keep memory and time down. The book no longer says what was accepted: use it
    for nothing else afterwards."""
    fresh, duplicates, by_day, pence_of = plan.fresh, plan.duplicates, plan.by_day, plan.pence_of
    ends: set[int] = set()
    if forget:
        book.keeps_refs = False  # the plan is made: nothing reads them again
        book.accepted_refs.clear()
        last: dict[str, int] = {}
        for i in order:
            last[fresh[i].participant] = i
        ends = set(last.values())
        del last
    for i in order:
        claim = fresh[i]
        decision = _decide(claim, duplicates.get(claim.line), by_day[claim.achieved_on], participants, book, pence_of)
        if i in ends:
            book.forget(claim.participant)
        yield decision


def decide_in_file_order(
    plan: ClaimPlan, participants: Mapping[str, Participant], book: Book, *, by_participant: bool | None = None
) -> list[Decision]:
    """Every claim of the plan decided, in ``plan.order``; the decisions listed in file order."""
    order = list(plan.order(by_participant))
    decisions: list[Decision | None] = [None] * len(plan.fresh)
    for i, decision in zip(order, decide(plan, participants, book, order), strict=True):
        decisions[i] = decision
    return decisions  # type: ignore[return-value]  # every place is filled


def _sift(book: Book, claims: Iterable[Claim]) -> tuple[list[Claim], dict[int, Finding], list[Claim]]:
    """Split the rows, in file order, into claims to decide (with a finding, by line, for each reused
    reference) and rows identical to a claim already known. The first use of a reference wins."""
    unchanged: list[Claim] = []
    fresh: list[Claim] = []
    duplicates: dict[int, Finding] = {}
    here: dict[str, Claim] = {}  # the first claim of this file under each reference
    reused: dict[str, set[str]] = {}  # every fingerprint in this file under a reference used more than once
    refs = book.refs
    slow: set[str] = set()  # references met before, in the book or earlier in this file
    for claim in claims:
        ref = claim.ref
        first: Claim | None = here.setdefault(ref, claim)
        if first is claim:
            if ref not in refs:  # the common case: a new reference
                fresh.append(claim)
                continue
            del here[ref]
            first = None
        slow.add(ref)
        before = refs.get(ref)
        fingerprint = claim.fingerprint()
        seen = set() if before is None else set(_prints(before))
        if first is not None:
            in_file = reused.get(ref)
            if in_file is None:
                in_file = reused[ref] = {first.fingerprint()}
            seen |= in_file
        if fingerprint in seen:
            unchanged.append(claim)
            continue
        # A reference is spent once a claim under it is accepted, or within one file; a rejected claim
        # may be sent again, corrected, under its reference.
        if first is not None or ref in book.accepted_refs:
            where = f"line {first.line}" if first is not None else "an earlier import"
            duplicates[claim.line] = Finding(
                Reason.DUPLICATE_CLAIM_REF,
                f"claim reference {ref} was already used in {where} for a different claim",
            )
        if first is None:
            here[ref] = claim
            reused[ref] = {fingerprint}
        else:
            reused[ref].add(fingerprint)
        fresh.append(claim)
    merged: dict[str, str | set[str] | Claim] = {}
    for ref in slow:  # what the book knew of these references, with what this file added
        if ref in reused:
            before = refs.get(ref)
            merged[ref] = reused[ref] | (_prints(before) if before is not None else set())
    refs.update(here)  # a new reference keeps its claim, fingerprinted only if it is ever compared
    refs.update(merged)
    return fresh, duplicates, unchanged


def _rules_by_day(cards: Sequence[RateCard], days: Iterable[dt.date]) -> dict[dt.date, _CardRules | None]:
    """The rules of the card in force on each day, each card compiled once."""
    compiled: dict[int, _CardRules] = {}
    by_day: dict[dt.date, _CardRules | None] = {}
    for day in days:
        card = version_for(cards, day)
        if card is None:
            by_day[day] = None
            continue
        rules = compiled.get(id(card))
        if rules is None:
            rules = compiled[id(card)] = _CardRules.of(card)
        by_day[day] = rules
    return by_day


def _claimed(claim: Claim, rule: _Rule, pence_of: dict[Decimal, int]) -> int:
    """What a claim asks for, in pence: its amount, or the card price when it gives none."""
    return _asked(claim.amount, rule, pence_of)


def _asked(amount: Decimal | None, rule: _Rule, pence_of: dict[Decimal, int]) -> int:
    if amount is None:
        return rule.price
    known = pence_of.get(amount)
    if known is None:
        known = pence_of[amount] = pence(amount)
    return known


def _by_date(fresh: Sequence[Claim]) -> list[int]:
    return sorted(range(len(fresh)), key=lambda i: fresh[i].achieved_on)  # stable: ties in line order


def _by_participant(fresh: Sequence[Claim], indexes: Sequence[int]) -> Iterator[int]:
    """``indexes`` regrouped participant by participant, each participant's in date order (then line).

    Participants come in the order they first appear in the file: the claims were read, and are kept in
    memory, in that order, so the check walks memory in order (most of why grouping is quicker).
    """
    for group in _groups(fresh, indexes).values():
        yield from group


def _groups(fresh: Sequence[Claim], indexes: Sequence[int]) -> dict[str, list[int]]:
    """``indexes`` by participant, in the order participants first appear; each in date order (then line)."""
    groups: dict[str, list[int]] = {}
    for i in sorted(indexes):
        participant = fresh[i].participant
        group = groups.get(participant)
        if group is None:
            groups[participant] = [i]
        else:
            group.append(i)
    for group in groups.values():
        if len(group) > 1:  # stable: ties stay in line order
            group.sort(key=lambda i: fresh[i].achieved_on)
    return groups


def _within_caps(
    fresh: Sequence[Claim],
    indexes: Sequence[int],
    by_day: Mapping[dt.date, _CardRules | None],
    book: Book,
    pence_of: dict[Decimal, int],
) -> int:
    """How many of ``indexes``, from the first, cannot reach the contract or an outcome cap even if
    every one of them were paid in full. Among those, whatever the order, no contract or outcome cap bites."""
    claims = map(fresh.__getitem__, indexes)
    over = _first_over_caps(((c.achieved_on, c.outcome, c.amount, 1) for c in claims), by_day, book, pence_of)
    return len(indexes) if over is None else over


Kind = tuple[dt.date, str, Decimal | None, int]  # achieved on, outcome, amount, and how many claims


def _first_over_caps(
    kinds: Iterable[Kind], by_day: Mapping[dt.date, _CardRules | None], book: Book, pence_of: dict[Decimal, int]
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
        most = min(_asked(amount, rule, pence_of), rule.price) * count
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


def _decide(
    claim: Claim,
    duplicate: Finding | None,
    rules: _CardRules | None,
    participants: Mapping[str, Participant],
    book: Book,
    pence_of: dict[Decimal, int],
) -> Decision:
    findings: list[Finding] = [duplicate] if duplicate else []
    card = rules.card if rules else None
    rule = rules.rules.get(claim.outcome) if rules else None
    if rules is None or rule is None:
        price = 0
        claimed = 0 if claim.amount is None else pence(claim.amount)
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
    if rules is None or rule is None or person is None:
        if rule is not None:
            price, claimed = rule.price, _claimed(claim, rule, pence_of)
        return Decision(claim, Verdict.REJECTED, claimed, price, 0, 0, tuple(findings), card)

    outcome = rule.outcome
    price = rule.price
    claimed = _claimed(claim, rule, pence_of)
    standing = rules.standing.get(person.ref)
    if standing is None:  # the participant's own checks, once per participant and card
        standing = rules.standing[person.ref] = _standing(person, rules.card)
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
    history = book.by_participant.get(person.ref)
    if history:
        done = history.get(claim.outcome)
        if done and len(done) >= outcome.times_payable:
            times = "once" if outcome.times_payable == 1 else f"{outcome.times_payable} times"
            refs = ", ".join(ref for _, ref in done)
            findings.append(
                Finding(
                    Reason.ALREADY_PAID,
                    f"{claim.outcome} was already accepted for {person.ref} (claim {refs}); it is payable {times}",
                )
            )
        if rule.rivals:
            for code, held in history.items():  # the first accepted of the group names the clash
                if code in rule.rivals and held:
                    findings.append(
                        Finding(
                            Reason.MUTUALLY_EXCLUSIVE,
                            f"{claim.outcome} and {code} (claim {held[0][1]}) are mutually exclusive "
                            f"({outcome.group}); only one is payable",
                        )
                    )
                    break
    for need, allowed in rule.requires:
        earlier = history.get(need.outcome) if history else None
        if not earlier:
            findings.append(
                Finding(
                    Reason.PREREQUISITE_MISSING,
                    f"{claim.outcome} needs {need.outcome} accepted first; {person.ref} has none",
                )
            )
            continue
        first = earlier[0][0] if len(earlier) == 1 else min(earlier)[0]
        if need.min_interval is not None:
            not_before = allowed.get(first)
            if not_before is None:
                not_before = allowed[first] = need.min_interval.after(first)
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
        return Decision(claim, Verdict.REJECTED, claimed, price, 0, 0, tuple(findings), card)

    if claimed <= 0:
        findings.append(Finding(Reason.MALFORMED, f"the claim is for {gbp(pounds(claimed))}; there is nothing to pay"))
        return Decision(claim, Verdict.REJECTED, claimed, price, 0, 0, tuple(findings), card)
    payable = claimed
    if claimed > price:
        payable = price
        findings.append(
            Finding(
                Reason.ABOVE_PRICE,
                f"{gbp(pounds(claimed))} claimed for {claim.outcome}; the rate card pays {gbp(pounds(price))}",
            )
        )
    before_caps = payable
    cap = rules.participant_cap
    if cap is not None:
        used = book.participant_pence.get(person.ref, 0)
        if payable > cap - used:
            payable = _cap(payable, cap, used, findings, Reason.OVER_PARTICIPANT_CAP, "participant", person.ref)
    cap = rule.cap
    if cap is not None:
        used = book.outcome_pence.get(claim.outcome, 0)
        if payable > cap - used:
            payable = _cap(payable, cap, used, findings, Reason.OVER_OUTCOME_CAP, "outcome", claim.outcome)
    cap = rules.contract_cap
    if cap is not None:
        used = book.contract_pence
        if payable > cap - used:
            payable = _cap(payable, cap, used, findings, Reason.OVER_CONTRACT_CAP, "contract", rules.card.contract)
    if payable <= 0:
        return Decision(claim, Verdict.REJECTED, claimed, price, 0, before_caps, tuple(findings), card)
    book.hold(claim.ref, person.ref, claim.outcome, claim.achieved_on, payable)
    verdict = Verdict.PARTLY_ACCEPTED if payable < claimed else Verdict.ACCEPTED
    return Decision(
        claim, verdict, claimed, price, payable, before_caps - payable, tuple(findings) if findings else _EMPTY, card
    )


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


def _cap(payable: int, cap: int, used: int, findings: list[Finding], code: Reason, kind: str, name: str) -> int:
    """The part of ``payable`` (pence) the cap leaves, saying what it took; the caller has seen that it bites."""
    if payable <= 0:
        return payable
    headroom = max(cap - used, 0)
    findings.append(
        Finding(
            code,
            f"the {kind} {name} cap of {gbp(pounds(cap))} leaves {gbp(pounds(headroom))} of the "
            f"{gbp(pounds(payable))} due; {gbp(pounds(payable - headroom))} is capped",
        )
    )
    return headroom
