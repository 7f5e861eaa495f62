"""The book: what a contract has accepted so far, and the claim references it has seen.

Each claim is checked against the book, and the book records each claim accepted. Rule: a row
identical to one already known (same reference and content) is "unchanged", which is what makes
re-importing a file a no-op. A reference is spent once a claim under it is accepted, or within one
file: a different claim under it is a duplicate. A rejected claim may be sent again, corrected, under
its reference.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from policies.pbr.claims import Accepted, Claim, Finding, Reason, pence, pounds

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
    # Per participant, each outcome a cap cut to nothing (and nothing accepted since): (claim reference, the
    # cap's reason). A claim that needs it is then capped too, not rejected: the cap is what it cost.
    capped_out: dict[str, dict[str, tuple[str, Reason]]] = field(default_factory=dict)
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

    def cap_out(self, ref: str, participant: str, outcome: str, code: Reason) -> None:
        """Record a claim that the cap ``code`` cut to nothing."""
        lost = self.capped_out.get(participant)
        if lost is None:
            lost = self.capped_out[participant] = {}
        lost.setdefault(outcome, (ref, code))

    def forget(self, participant: str) -> None:
        """Drop a participant's history and total (see ``decide``)."""
        self.capped_out.pop(participant, None)
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


def sift(book: Book, claims: Iterable[Claim]) -> tuple[list[Claim], dict[int, Finding], list[Claim]]:
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
