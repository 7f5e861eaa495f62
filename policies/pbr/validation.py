"""Validating a file of outcome claims against a rate card: accepted, partly accepted or rejected, and why.

Rule: claims are checked in the order their outcomes were achieved (ties in
file order), each against the rate card in force on its achieved date and
against what has been accepted before it, from earlier imports or earlier in
the same file (the rules for one claim: ``policies.pbr.claim_rules``). Each
participant's claims are decided in date order; participants are decided
apart as far as the contract and outcome caps allow (``policies.pbr.caps``).
"""

import datetime as dt
import itertools
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from operator import attrgetter

from policies.pbr.book import Book, sift
from policies.pbr.caps import first_over_caps, within_caps
from policies.pbr.claim_rules import CardRules, decide_claim, rules_by_day
from policies.pbr.claims import Claim, Decision, Finding
from policies.pbr.participants import Participant
from policies.pbr.ratecard import RateCard


@dataclass
class Validation:
    decisions: list[Decision]  # one per claim decided, in file order
    unchanged: list[Claim]  # rows identical to a claim already known


_ACHIEVED = attrgetter("achieved_on")
_PARTICIPANT = attrgetter("participant")
_KIND = attrgetter("achieved_on", "outcome", "amount")


def validate_claims(
    cards: Sequence[RateCard],
    participants: Mapping[str, Participant],
    book: Book,
    claims: Iterable[Claim],
    *,
    today: dt.date | None = None,
) -> Validation:
    """Decide every claim, updating ``book`` with what is accepted. ``cards`` are sorted by effective date;
    ``today`` is the import's as-of day (a claim achieved after it is rejected).

    Each participant's claims are checked in the order achieved (then line). Only the contract and
    outcome caps join participants together, so as long as the claims could not reach them even if
    every one were paid in full, no claim's decision depends on another participant's. Those claims
    (all of them, usually; else the earliest achieved, up to the point where a cap could be reached)
    are checked participant by participant, which for a big file is twice as fast as walking it by
    date, because one participant's history stays in the processor's cache. The rest follow by date.
    """
    return _validate(cards, participants, book, claims, by_participant=None, today=today)


def _validate(
    cards: Sequence[RateCard],
    participants: Mapping[str, Participant],
    book: Book,
    claims: Iterable[Claim],
    *,
    by_participant: bool | None,
    today: dt.date | None = None,
) -> Validation:
    """``by_participant``: None to choose as described above; True (all participant by participant) or
    False (all by date) to force it, for tests."""
    plan = plan_claims(cards, book, claims, today=today)
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
    by_day: dict[dt.date, "CardRules | None"]
    pence_of: dict[Decimal, int]
    reach: int
    by_date: list[int] | None  # the claims by date, when the caps are in reach
    today: dt.date | None = None  # the import's as-of day: a claim achieved after it is rejected

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


def plan_claims(
    cards: Sequence[RateCard], book: Book, claims: Iterable[Claim], *, today: dt.date | None = None
) -> ClaimPlan:
    """Sort a file's claims out for deciding (see ``ClaimPlan``); records their references in ``book``."""
    fresh, duplicates, unchanged = sift(book, claims)
    kinds = Counter(map(_KIND, fresh))  # how many claims of each day, outcome and amount
    by_day = rules_by_day(cards, {day for day, _, _ in kinds})
    pence_of: dict[Decimal, int] = {}
    by_date: list[int] | None = None
    reach = len(fresh)
    counted = ((day, outcome, amount, n) for (day, outcome, amount), n in kinds.items())
    if first_over_caps(counted, by_day, book, pence_of) is not None:
        reach = within_caps(fresh, range(len(fresh)), by_day, book, pence_of)
        if reach < len(fresh):  # by participant as far as the caps cannot be reached, in date order; then by date
            by_date = _by_date(fresh)
            reach = within_caps(fresh, by_date, by_day, book, pence_of)
    return ClaimPlan(fresh, duplicates, unchanged, by_day, pence_of, reach, by_date, today)


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
    fresh, duplicates, by_day, pence_of, today = plan.fresh, plan.duplicates, plan.by_day, plan.pence_of, plan.today
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
        decision = decide_claim(
            claim, duplicates.get(claim.line), by_day[claim.achieved_on], participants, book, pence_of, today
        )
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
    day = [claim.achieved_on for claim in fresh].__getitem__  # a claim's day by index, without a Python call
    for group in groups.values():
        if len(group) > 1:
            group.sort(key=day)  # stable: ties stay in line order
    return groups
