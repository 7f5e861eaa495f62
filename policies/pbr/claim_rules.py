"""The rules for one claim: against the rate card in force on its achieved date, its participant, and
what the contract has accepted before it.

Rule: a claim is rejected, with every reason that applies, when
its reference was already used for a different claim, its participant is
unknown, ineligible, referred outside the window or referred after the
outcome, its outcome is not on the card, the evidence the card asks for is
missing, the outcome was already accepted as often as it is payable, another
outcome of its mutually exclusive group was accepted, or a prerequisite is
missing or too recent. A claim that passes is priced at the card price (or
the amount claimed, if lower) and then capped, in this order: the
participant cap, the outcome cap, the contract cap. Cut to nothing it is
rejected; cut in part it is partly accepted.

Worked example (Fair Chance Fund): participant P-003 claims ACC_S6 on
2016-03-01 with ACC_ENTRY accepted on 2015-10-15 and ACC_S3 on 2016-01-15. The
card needs 6 months since entry, i.e. not before 2016-04-15, so the claim is
rejected as interval_too_short.
"""

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from policies.pbr.book import Book
from policies.pbr.claims import NO_AMOUNT, Claim, Decision, Finding, Reason, Verdict, gbp, pence, pounds
from policies.pbr.participants import Participant, Roster
from policies.pbr.ratecard import Outcome, Prerequisite, RateCard, version_for

_EMPTY: tuple[Finding, ...] = ()


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
class CardRules:
    card: RateCard
    rules: dict[str, _Rule]
    participant_cap: int | None
    contract_cap: int | None
    standing: dict[str, tuple[Finding, ...]]  # per participant: what is wrong whatever the claim

    @classmethod
    def of(cls, card: RateCard) -> "CardRules":
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


def rules_by_day(cards: Sequence[RateCard], days: Iterable[dt.date]) -> dict[dt.date, CardRules | None]:
    """The rules of the card in force on each day, each card compiled once."""
    compiled: dict[int, CardRules] = {}
    by_day: dict[dt.date, CardRules | None] = {}
    for day in days:
        card = version_for(cards, day)
        if card is None:
            by_day[day] = None
            continue
        rules = compiled.get(id(card))
        if rules is None:
            rules = compiled[id(card)] = CardRules.of(card)
        by_day[day] = rules
    return by_day


def _claimed(claim: Claim, rule: _Rule, pence_of: dict[Decimal, int]) -> int:
    """What a claim asks for, in pence: its amount, or the card price when it gives none."""
    return asked(claim.amount, rule, pence_of)


def asked(amount: Decimal | None, rule: _Rule, pence_of: dict[Decimal, int]) -> int:
    if amount is None:
        return rule.price
    known = pence_of.get(amount)
    if known is None:
        known = pence_of[amount] = pence(amount)
    return known


def decide_claim(
    claim: Claim,
    duplicate: Finding | None,
    rules: CardRules | None,
    participants: Mapping[str, Participant],
    book: Book,
    pence_of: dict[Decimal, int],
    today: dt.date | None = None,
) -> Decision:
    """Decide one claim (see the module's rule). ``today``: the import's as-of day; a claim achieved after
    it is rejected as achieved_in_future."""
    findings: list[Finding] = [duplicate] if duplicate else []
    if today is not None and claim.achieved_on > today:
        findings.append(
            Finding(
                Reason.ACHIEVED_IN_FUTURE,
                f"{claim.outcome} is said to be achieved on {claim.achieved_on}, after the import's date {today}",
            )
        )
    card = rules.card if rules else None
    rule = rules.rules.get(claim.outcome) if rules else None
    if rules is None or rule is None:
        price = 0
        claimed = 0 if claim.amount is None else pence(claim.amount)
        asked_for = NO_AMOUNT if claim.amount is None else f"it claims {gbp(claim.amount)}"
        findings.append(
            Finding(
                Reason.NOT_ON_RATE_CARD,
                f"{claim.outcome} is not on the rate card in force on {claim.achieved_on}; {asked_for}"
                if card
                else f"no rate card is in force on {claim.achieved_on}; {asked_for}",
            )
        )
    person = participants.get(claim.participant)
    if person is None:
        like = participants.named_like(claim.participant) if isinstance(participants, Roster) else None
        hint = f" (did you mean {like}?)" if like else ""
        findings.append(
            Finding(Reason.UNKNOWN_PARTICIPANT, f"participant {claim.participant} is not on this contract's list{hint}")
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
    early = _before_referral(claim.outcome, claim.achieved_on, person)
    if early is not None:
        findings.append(early)
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
    lost_to_caps: list[tuple[str, str, Reason]] = []  # prerequisites a cap cut to nothing: (outcome, ref, cap)
    for need, allowed in rule.requires:
        earlier = history.get(need.outcome) if history else None
        if not earlier:
            lost = book.capped_out.get(person.ref) if book.capped_out else None
            taken = lost.get(need.outcome) if lost else None
            if taken is not None:
                lost_to_caps.append((need.outcome, *taken))
                findings.append(
                    Finding(
                        Reason.PREREQUISITE_MISSING,
                        f"{claim.outcome} needs {need.outcome} accepted first; {person.ref}'s claim {taken[0]} "
                        f"for it was cut to nothing by the {_cap_name(taken[1], person.ref, need.outcome, rules)} cap",
                    )
                )
                continue
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
    if lost_to_caps and len(lost_to_caps) == len(findings) and claimed > 0:
        return _capped_with_prerequisite(claim, claimed, price, lost_to_caps, person.ref, rules, book)
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
        book.cap_out(claim.ref, person.ref, claim.outcome, findings[-1].code)  # the cap that took the last of it
        return Decision(claim, Verdict.REJECTED, claimed, price, 0, before_caps, tuple(findings), card)
    book.hold(claim.ref, person.ref, claim.outcome, claim.achieved_on, payable)
    verdict = Verdict.PARTLY_ACCEPTED if payable < claimed else Verdict.ACCEPTED
    return Decision(
        claim, verdict, claimed, price, payable, before_caps - payable, tuple(findings) if findings else _EMPTY, card
    )


def participant_standing(
    person: Participant, card: RateCard, outcome: str, achieved_on: dt.date
) -> tuple[Finding, ...]:
    """What is wrong, for a re-decision on corrected facts, with a claim for ``outcome`` achieved on that day:
    the participant's eligibility and referral window under this card, and an achievement before the referral."""
    early = _before_referral(outcome, achieved_on, person)
    return _standing(person, card) + ((early,) if early is not None else ())


def _before_referral(outcome: str, achieved_on: dt.date, person: Participant) -> Finding | None:
    if achieved_on >= person.referral_date:
        return None
    return Finding(
        Reason.BEFORE_REFERRAL, f"{outcome} was achieved on {achieved_on}, before referral on {person.referral_date}"
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


def _cap_name(code: Reason, participant: str, outcome: str, rules: CardRules) -> str:
    """The cap a reason names, as the sentences name it: "contract FCF-2025-01"."""
    if code is Reason.OVER_PARTICIPANT_CAP:
        return f"participant {participant}"
    if code is Reason.OVER_OUTCOME_CAP:
        return f"outcome {outcome}"
    return f"contract {rules.card.contract}"


def _capped_with_prerequisite(
    claim: Claim,
    claimed: int,
    price: int,
    lost: list[tuple[str, str, Reason]],
    participant: str,
    rules: CardRules,
    book: Book,
) -> Decision:
    """A claim whose only fault is a prerequisite a cap cut to nothing: what it would have paid is capped too,
    under that cap's reason, so the capped figures show what the cap cost."""
    due = min(claimed, price)
    findings = tuple(
        Finding(
            code,
            f"{claim.outcome} needs {outcome}, whose claim {ref} the {_cap_name(code, participant, outcome, rules)} "
            f"cap took; {gbp(pounds(due))} is capped with it",
        )
        for outcome, ref, code in lost
    )
    book.cap_out(claim.ref, participant, claim.outcome, lost[0][2])
    return Decision(claim, Verdict.REJECTED, claimed, price, 0, due, findings, rules.card)


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
