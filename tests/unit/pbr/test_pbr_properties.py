"""Properties of payment by results over random rate cards and random claim files.

A random card has a few outcomes with prices in pence, prerequisites that
form a DAG (an outcome requires only outcomes listed before it), random
mutually exclusive groups, times payable, evidence, caps or none, and payers
whose shares add up to 100. It is read by read_rate_card, as a user's file
would be. A random claim file mixes known and unknown participants, outcomes
on and off the card, dates before, inside and after the card and the
referral window, amounts below and above the price, reused references and
rows sent twice.
"""

import copy
import dataclasses
import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterator
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from itertools import pairwise
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policies.pbr.book import Book
from policies.pbr.claims import CAP_REASONS, Claim, Decision, Reason, Verdict
from policies.pbr.participants import Participant
from policies.pbr.payments import DueClaim, PaidSoFar, Period, RunPlan, period_of, plan_run, service_fee, split
from policies.pbr.ratecard import Frequency, Payer, RateCard
from policies.pbr.ratecard_reading import read_rate_card
from policies.pbr.validation import Validation, _validate, decide, plan_claims, validate_claims

d = dt.date
D = Decimal
ZERO = D(0)
WINDOW = (d(2025, 1, 1), d(2025, 12, 31))
FIRST_DAY, LAST_DAY = d(2024, 12, 21), d(2027, 2, 5)  # the first and last achieved dates a file can have
PEOPLE = [f"P{n}" for n in range(5)]  # P5 is claimed for but unknown
INTERVALS = ["", "", "1 month", "3 months", "2 weeks", "13 weeks", "30 days"]
EXAMPLES = 150


def pence(n: int) -> str:
    return f"{n // 100}.{n % 100:02d}"


@st.composite
def rate_cards(draw: st.DrawFn) -> RateCard:
    outcomes: list[dict[str, Any]] = []
    for i in range(draw(st.integers(1, 6))):
        item: dict[str, Any] = {
            "code": f"O{i}",
            "name": f"outcome {i}",
            "price": pence(draw(st.integers(1, 5000_00))),
            "times_payable": draw(st.integers(1, 3)),
            "__line__": 20 + i,
        }
        if i:
            earlier = draw(st.sampled_from([(), (), (i - 1,), (0,), (0, i - 1)]))
            item["requires"] = [{"outcome": f"O{j}", "after": draw(st.sampled_from(INTERVALS))} for j in earlier]
        if group := draw(st.sampled_from([None, None, "g1", "g2"])):
            item["group"] = group
        if draw(st.booleans()):
            item["evidence"] = "form"
        if cap := draw(st.sampled_from([None, None, None, "cohort", "0.00", "1234.56", "8000.00"])):
            item["cap"] = cap
        outcomes.append(item)
    cuts = sorted(draw(st.lists(st.integers(0, 100_00), max_size=2)))
    shares = [pence(b - a) for a, b in pairwise([0, *cuts, 100_00])]  # hundredths of a percent: 33.33
    fields: dict[str, Any] = {
        "contract": "PBR-1",
        "effective_from": WINDOW[0],
        "referral_from": WINDOW[0],
        "referral_to": WINDOW[1],
        "cohort": draw(st.integers(1, 5)),
        "payers": [{"name": f"payer {n}", "share": s} for n, s in enumerate(shares)],
        "outcomes": outcomes,
    }
    for name in ("participant_cap", "contract_cap"):
        if cap := draw(st.sampled_from([None, None, "0.00", "999.99", "5000.00", "12345.67", "30000.00"])):
            fields[name] = cap
    if draw(st.booleans()):
        fields["eligibility"] = {"age_at_referral": "18-24"}
    if draw(st.booleans()):
        fields["attachment_fee"] = pence(draw(st.integers(1, 1000_00)))
    card, problems = read_rate_card(fields)
    assert card is not None, problems
    return card


REFERRALS = [d(2024, 12, 31), d(2025, 1, 1), d(2025, 2, 14), d(2025, 3, 31), d(2025, 6, 30), d(2025, 9, 1)]
REFERRALS += [d(2025, 11, 30), d(2025, 12, 31), d(2026, 1, 1)]  # three of nine outside the 2025 window
BIRTHDAYS = [None, d(1999, 6, 1), d(2001, 1, 1), d(2002, 2, 28), d(2004, 2, 29), d(2006, 12, 31), d(2008, 1, 1)]
OFFSETS = [-10, 0, 1, 14, 30, 31, 45, 60, 91, 92, 100, 120, 183, 200, 240, 300, 365, 400]  # days after referral
AMOUNTS = [None, None, None, D("1.00"), D("250.00"), D("1000.00"), D("4999.99")]  # None: the card price


@st.composite
def claim_files(draw: st.DrawFn) -> tuple[RateCard, dict[str, Participant], list[Claim]]:
    card = draw(rate_cards())
    people = {
        ref: Participant(ref, draw(st.sampled_from(REFERRALS)), draw(st.sampled_from(BIRTHDAYS))) for ref in PEOPLE
    }
    codes = list(card.outcomes)
    rows: list[Claim] = []
    for n in range(draw(st.integers(0, 30))):
        who = draw(st.sampled_from([*PEOPLE, *PEOPLE, "P5"]))  # one in eleven unknown
        referred = people[who].referral_date if who in people else d(2025, 6, 1)
        rows.append(
            Claim(
                line=0,
                ref=f"C-{n}",
                participant=who,
                outcome=draw(st.sampled_from([*codes, *codes, *codes, "ZZ"])),
                achieved_on=referred + dt.timedelta(days=draw(st.sampled_from(OFFSETS))),
                amount=draw(st.sampled_from(AMOUNTS)),
                evidence=draw(st.sampled_from(["form", "form", "photo,form", ""])),
            )
        )
    if rows:
        for i in draw(st.lists(st.integers(0, len(rows) - 1), max_size=3)):
            rows.append(rows[i]._replace())  # the same row sent again
        for i in draw(st.lists(st.integers(0, len(rows) - 1), max_size=3)):
            rows.append(rows[i]._replace(outcome=draw(st.sampled_from(codes))))  # a reference reused
    order = draw(st.permutations(range(len(rows))))
    claims = [rows[i]._replace(line=n) for n, i in enumerate(order, 2)]
    return card, people, claims


def validate(case: tuple[RateCard, dict[str, Participant], list[Claim]]) -> tuple[Validation, Book]:
    card, people, claims = case
    book = Book()
    return validate_claims([card], people, book, claims), book


def paid_claims(validation: Validation) -> list[Decision]:
    return [x for x in validation.decisions if x.verdict is not Verdict.REJECTED]


# --------------------------------------------------------------------------- (i) counts and value


@settings(max_examples=EXAMPLES, deadline=None)
@given(claim_files())
def test_every_row_is_decided_once_or_unchanged_and_value_is_conserved(case: Any) -> None:
    _, _, claims = case
    validation, _ = validate(case)
    decided = [x.claim.line for x in validation.decisions]
    unchanged = [c.line for c in validation.unchanged]
    assert sorted(decided + unchanged) == [c.line for c in claims]
    # unchanged: the same reference and content seen on an earlier line; a reused reference otherwise
    seen: dict[str, set[str]] = {}
    expected_unchanged, reused = [], set()
    for c in claims:
        fingerprints = seen.setdefault(c.ref, set())
        if c.fingerprint() in fingerprints:
            expected_unchanged.append(c.line)
        elif fingerprints:
            reused.add(c.line)
        fingerprints.add(c.fingerprint())
    assert unchanged == expected_unchanged
    assert {x.claim.line for x in validation.decisions if Reason.DUPLICATE_CLAIM_REF in x.codes} == reused

    verdicts = Counter(x.verdict for x in validation.decisions)
    assert (
        len(validation.decisions)
        == verdicts[Verdict.ACCEPTED] + verdicts[Verdict.PARTLY_ACCEPTED] + verdicts[Verdict.REJECTED]
    )
    for x in validation.decisions:
        rejected_value = x.claimed - x.payable - x.capped
        assert x.payable >= 0 and x.capped >= 0 and rejected_value >= 0, x
        assert x.payable <= x.price, x
        assert (x.capped > 0) == any(code in CAP_REASONS for code in x.codes), x
        if x.verdict is Verdict.ACCEPTED:
            assert x.payable == x.claimed and x.capped == 0 and x.findings == (), x
        elif x.verdict is Verdict.PARTLY_ACCEPTED:
            assert 0 < x.payable < x.claimed, x
            assert x.codes and set(x.codes) <= CAP_REASONS | {Reason.ABOVE_PRICE}, x
        else:
            assert x.payable == 0 and x.findings, x
        if Reason.ABOVE_PRICE in x.codes:
            assert x.claimed > x.price, x
    claimed = sum((x.claimed for x in validation.decisions), ZERO)
    payable = sum((x.payable for x in validation.decisions), ZERO)
    capped = sum((x.capped for x in validation.decisions), ZERO)
    assert claimed >= payable + capped


@settings(max_examples=EXAMPLES, deadline=None)
@given(claim_files())
def test_checking_participant_by_participant_never_changes_a_decision(case: Any) -> None:
    # validate_claims walks participant by participant when the caps shared between participants
    # cannot be reached; whatever it chose, it must decide exactly as the walk through all by date
    card, people, claims = case
    by_date_book, chosen_book = Book(), Book()
    by_date = _validate([card], people, by_date_book, claims, by_participant=False)
    assert validate_claims([card], people, chosen_book, claims) == by_date
    assert chosen_book.by_participant == by_date_book.by_participant
    assert chosen_book.contract_pence == by_date_book.contract_pence


@settings(max_examples=EXAMPLES, deadline=None)
@given(claim_files(), st.integers(2, 4))
def test_deciding_shares_of_whole_participants_apart_decides_as_one_walk(case: Any, shares: int) -> None:
    # A big import decides shares of the participants in separate processes, each against its own copy
    # of the book (forgetting each participant once decided). With no contract or outcome cap (so none
    # can be reached), that must decide every claim exactly as validate_claims does.
    card, people, claims = case
    uncapped = dataclasses.replace(
        card,
        contract_cap=None,
        outcomes={code: dataclasses.replace(o, cap=None) for code, o in card.outcomes.items()},
    )
    whole = validate_claims([uncapped], people, Book(), claims)
    plan = plan_claims([uncapped], Book(), claims)
    assert plan.independent
    parts = plan.parts(shares)
    assert len(parts) == shares
    assert sorted(i for part in parts for i in part) == list(range(len(plan.fresh)))
    owner = {plan.fresh[i].participant: n for n, part in enumerate(parts) for i in part}
    assert all(owner[plan.fresh[i].participant] == n for n, part in enumerate(parts) for i in part)
    for part in parts:  # each part in file order, but that a participant's claims go in date order
        own: dict[str, list[int]] = defaultdict(list)
        for i in part:
            own[plan.fresh[i].participant].append(i)
        for indexes in own.values():
            assert indexes == sorted(indexes, key=lambda i: (plan.fresh[i].achieved_on, i))
        dated = [i for i in part if own[plan.fresh[i].participant] == sorted(own[plan.fresh[i].participant])]
        assert dated == sorted(dated)  # those the file gives in date order keep their places
    decided = [x for part in parts for x in decide(plan, people, copy.deepcopy(Book()), part, forget=True)]
    assert sorted(decided, key=lambda x: x.claim.line) == whole.decisions
    assert plan.unchanged == whole.unchanged


@settings(max_examples=EXAMPLES, deadline=None)
@given(claim_files())
def test_a_plan_whose_caps_are_in_reach_is_not_shared_out(case: Any) -> None:
    # Shared out only when the claims could not reach the contract cap or an outcome cap even if every
    # one were paid in full (the lower of the amount claimed and the price)
    card, _, claims = case
    plan = plan_claims([card], Book(), claims)
    most: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for claim in plan.fresh:
        outcome = card.outcomes.get(claim.outcome)
        if outcome is not None and claim.achieved_on >= card.effective_from:
            most[claim.outcome] += min(claim.amount if claim.amount is not None else outcome.price, outcome.price)
    reachable = (card.contract_cap is not None and sum(most.values(), ZERO) > card.contract_cap) or any(
        card.outcomes[code].cap is not None and total > card.outcomes[code].cap for code, total in most.items()
    )
    assert plan.independent is not reachable
    if reachable:
        with pytest.raises(ValueError, match="caps are in reach"):
            plan.parts(2)


# --------------------------------------------------------------------------- (ii) caps and rules


def totals(items: list[tuple[str, str, Decimal]]) -> tuple[dict[str, Decimal], dict[str, Decimal], Decimal]:
    by_participant: dict[str, Decimal] = defaultdict(lambda: ZERO)
    by_outcome: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for participant, outcome, amount in items:
        by_participant[participant] += amount
        by_outcome[outcome] += amount
    return dict(by_participant), dict(by_outcome), sum((a for *_, a in items), ZERO)


def assert_within_caps(
    card: RateCard, participant: dict[str, Decimal], outcome: dict[str, Decimal], total: Decimal
) -> None:
    if card.participant_cap is not None:
        assert all(v <= card.participant_cap for v in participant.values()), participant
    for code, v in outcome.items():
        cap = card.outcome_cap(code)
        assert cap is None or v <= cap, (code, v, cap)
    assert card.contract_cap is None or total <= card.contract_cap, total


@settings(max_examples=EXAMPLES, deadline=None)
@given(claim_files())
def test_what_is_payable_stays_within_the_caps_and_the_book_agrees(case: Any) -> None:
    card, _, _ = case
    validation, book = validate(case)
    participant, outcome, total = totals(
        [(x.claim.participant, x.claim.outcome, x.payable) for x in paid_claims(validation)]
    )
    assert_within_caps(card, participant, outcome, total)
    assert {k: v for k, v in book.participant_total.items()} == participant
    assert {k: v for k, v in book.outcome_total.items()} == outcome
    assert book.contract_total == total


@settings(max_examples=EXAMPLES, deadline=None)
@given(claim_files())
def test_what_is_accepted_obeys_the_card(case: Any) -> None:
    card, people, _ = case
    validation, _ = validate(case)
    # each participant's claims are decided in the order achieved, then line
    accepted = sorted(paid_claims(validation), key=lambda x: (x.claim.achieved_on, x.claim.line))
    per: dict[str, dict[str, list[dt.date]]] = defaultdict(lambda: defaultdict(list))
    for x in accepted:
        c = x.claim
        person = people[c.participant]  # never an unknown participant
        outcome = card.outcomes[c.outcome]  # never an outcome off the card
        assert card.referral_from <= person.referral_date <= card.referral_to
        assert card.effective_from <= c.achieved_on and person.referral_date <= c.achieved_on
        assert card.eligibility.problem(person.referral_date, person.born, person.attributes) is None
        assert outcome.evidence is None or outcome.evidence in c.evidence.split(",")
        for need in outcome.requires:
            # a prerequisite accepted earlier, long enough before
            earlier = per[c.participant][need.outcome]
            assert earlier, (c, need)
            first = min(earlier)
            assert (need.min_interval.after(first) if need.min_interval else first) <= c.achieved_on, (c, need)
        per[c.participant][c.outcome].append(c.achieved_on)
    for history in per.values():
        for code, days in history.items():
            assert len(days) <= card.outcomes[code].times_payable
        groups = [card.outcomes[code].group for code in history if card.outcomes[code].group]
        assert len(groups) == len(set(groups)), history


# --------------------------------------------------------------------------- (iii) payment runs


def quarters() -> list[Period]:
    out, day = [], FIRST_DAY
    while day <= LAST_DAY:
        out.append(period_of(day, Frequency.QUARTERLY))
        day = out[-1].end + dt.timedelta(days=1)
    return out


def due_claims(validation: Validation) -> list[DueClaim]:
    return [
        DueClaim(n, x.claim.ref, x.claim.participant, x.claim.outcome, x.claim.achieved_on, x.payable)
        for n, x in enumerate(paid_claims(validation))
    ]


def assert_run_adds_up(card: RateCard, plan: RunPlan, balances: dict[str, Decimal]) -> None:
    names = [p.name for p in card.payers]
    by_payer: dict[str, Decimal] = defaultdict(lambda: ZERO)
    fees_by_payer: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for line in plan.lines:
        assert [name for name, _ in line.shares] == names
        assert sum((share for _, share in line.shares), ZERO) == line.paid
        assert 0 <= line.paid <= line.claim.payable and line.paid + line.capped == line.claim.payable
        assert line.claim.achieved_on <= plan.period.end
        for name, share in line.shares:
            by_payer[name] += share
    for fee in plan.fees:
        assert sum((share for _, share in fee.shares), ZERO) == fee.amount
        for name, share in fee.shares:
            fees_by_payer[name] += share
    for total in plan.payers:
        assert total.outcomes == by_payer.get(total.payer, ZERO)
        assert total.fees == fees_by_payer.get(total.payer, ZERO)
        before = balances.get(total.payer, ZERO)
        assert total.owed_before == before
        assert total.payment == max(total.accrued + before, ZERO)
        if before <= 0:
            assert 0 <= total.recovered <= -before
            assert total.payment == total.accrued - total.recovered
            assert total.carried == before + total.recovered
    assert plan.total_paid == sum((p.payment for p in plan.payers), ZERO)


@settings(max_examples=EXAMPLES, deadline=None)
@given(claim_files())
def test_quarterly_runs_pay_every_accepted_claim_once_in_full_within_the_caps(case: Any) -> None:
    card, _, _ = case
    validation, _ = validate(case)
    remaining = due_claims(validation)
    paid = PaidSoFar({}, {}, ZERO)
    paid_ids: list[int] = []
    for period in quarters():
        plan = plan_run(period, [card], remaining, paid)
        assert {line.claim.claim_id for line in plan.lines} == {
            c.claim_id for c in remaining if c.achieved_on <= period.end
        }
        assert_run_adds_up(card, plan, {})
        for line in plan.lines:
            assert line.paid == line.claim.payable  # validation already kept within the caps
        participant, outcome, total = totals([(x.claim.participant, x.claim.outcome, x.paid) for x in plan.lines])
        paid = PaidSoFar(
            {k: paid.participant.get(k, ZERO) + participant.get(k, ZERO) for k in {*paid.participant, *participant}},
            {k: paid.outcome.get(k, ZERO) + outcome.get(k, ZERO) for k in {*paid.outcome, *outcome}},
            paid.contract + total,
        )
        assert_within_caps(card, dict(paid.participant), dict(paid.outcome), paid.contract)
        paid_ids += [line.claim.claim_id for line in plan.lines]
        remaining = [c for c in remaining if c.claim_id not in set(paid_ids)]
    assert remaining == []
    assert sorted(paid_ids) == list(range(len(paid_claims(validation))))
    assert paid.contract == sum((x.payable for x in validation.decisions), ZERO)


@st.composite
def earlier_payments(draw: st.DrawFn, card: RateCard) -> PaidSoFar:
    def upto(cap: Decimal | None) -> Decimal:
        top = int(cap * 100) if cap is not None else 30000_00
        return D(pence(draw(st.integers(0, top))))

    return PaidSoFar(
        {p: upto(card.participant_cap) for p in draw(st.lists(st.sampled_from(PEOPLE), unique=True))},
        {o: upto(card.outcome_cap(o)) for o in draw(st.lists(st.sampled_from(list(card.outcomes)), unique=True))},
        upto(card.contract_cap),
    )


@settings(max_examples=EXAMPLES, deadline=None)
@given(claim_files(), st.data())
def test_a_run_after_earlier_payments_never_pays_past_a_cap(case: Any, data: st.DataObject) -> None:
    card, people, _ = case
    validation, _ = validate(case)
    before = data.draw(earlier_payments(card))
    names = [p.name for p in card.payers]
    balances = {
        name: D(pence(data.draw(st.integers(-5000_00, 0))))
        for name in data.draw(st.lists(st.sampled_from(names), unique=True))
    }
    period = quarters()[-1]
    plan = plan_run(
        period, [card], due_claims(validation), before, unpaid_referrals=list(people.values()), balances=balances
    )
    assert_run_adds_up(card, plan, balances)
    participant, outcome, total = totals([(x.claim.participant, x.claim.outcome, x.paid) for x in plan.lines])
    assert_within_caps(
        card,
        {k: before.participant.get(k, ZERO) + v for k, v in participant.items()},
        {k: before.outcome.get(k, ZERO) + v for k, v in outcome.items()},
        before.contract + total,
    )
    # one attachment fee per eligible participant referred in the window by the period's end
    expected = sorted(
        p.ref
        for p in people.values()
        if card.attachment_fee
        and card.referral_from <= p.referral_date <= min(card.referral_to, period.end)
        and card.eligibility.problem(p.referral_date, p.born, p.attributes) is None
    )
    assert sorted(f.participant or "" for f in plan.fees) == expected
    assert all(f.amount == card.attachment_fee for f in plan.fees)


# --------------------------------------------------------------------------- (iv) idempotence


@settings(max_examples=EXAMPLES, deadline=None)
@given(claim_files())
def test_validating_the_same_file_again_decides_nothing(case: Any) -> None:
    card, people, claims = case
    _, book = validate(case)
    kept = copy.deepcopy(book)
    again = validate_claims([card], people, book, claims)
    assert again.decisions == []
    assert [c.line for c in again.unchanged] == [c.line for c in claims]
    assert book == kept


# --------------------------------------------------------------------------- (v) money is exact


def values(obj: Any) -> Iterator[Any]:
    """Every leaf value inside dataclasses, tuples, lists and mappings."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        for f in dataclasses.fields(obj):
            yield from values(getattr(obj, f.name))
    elif isinstance(obj, list | tuple | set | frozenset):
        for item in obj:
            yield from values(item)
    elif isinstance(obj, dict) or (hasattr(obj, "items") and not isinstance(obj, str)):
        for key, item in obj.items():
            yield from values(key)
            yield from values(item)
    else:
        yield obj


def assert_exact(obj: Any) -> int:
    amounts = 0
    for value in values(obj):
        assert not isinstance(value, float), obj
        if isinstance(value, Decimal):
            exponent = value.as_tuple().exponent
            assert isinstance(exponent, int) and exponent >= -2, value
            amounts += 1
    return amounts


@settings(max_examples=EXAMPLES, deadline=None)
@given(claim_files())
def test_every_amount_is_an_exact_decimal_to_the_penny(case: Any) -> None:
    card, people, _ = case
    validation, book = validate(case)
    assert assert_exact(card) >= len(card.outcomes) + len(card.payers)  # prices and shares, at least
    # no floats anywhere: the rules keep money in whole pence, and read it out as Decimal pounds
    assert_exact(validation.decisions)
    money = [m for x in validation.decisions for m in (x.claimed, x.price, x.payable, x.capped)]
    assert assert_exact(money) == 4 * len(validation.decisions)
    assert_exact(book)
    plan = plan_run(
        quarters()[-1], [card], due_claims(validation), PaidSoFar({}, {}, ZERO), unpaid_referrals=list(people.values())
    )
    assert_exact(plan)
    assert isinstance(plan.total_paid, Decimal)


# --------------------------------------------------------------------------- split and the service fee


@st.composite
def payer_lists(draw: st.DrawFn) -> tuple[Payer, ...]:
    cuts = sorted(draw(st.lists(st.integers(0, 100_00), max_size=4)))
    return tuple(Payer(f"payer {n}", D(pence(b - a))) for n, (a, b) in enumerate(pairwise([0, *cuts, 100_00])))


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 10_000_000_00), payer_lists())
def test_a_split_adds_up_to_the_penny(amount_pence: int, payers: tuple[Payer, ...]) -> None:
    amount = D(pence(amount_pence))
    parts = split(amount, payers)
    assert len(parts) == len(payers)
    assert sum(parts, ZERO) == amount
    exact = [amount * payer.share / 100 for payer in payers]
    for part, share in zip(parts, exact, strict=True):
        assert part >= 0 and abs(part - share) < D("0.01")
    # the pennies over went to the shares that lost most in rounding down (the earlier on a tie)
    rank = [(share.quantize(D("0.01"), rounding=ROUND_DOWN) - share, i) for i, share in enumerate(exact)]
    up = [r for r, part, share in zip(rank, parts, exact, strict=True) if part > share]
    down = [r for r, part, share in zip(rank, parts, exact, strict=True) if part < share]
    assert not up or not down or max(up) < min(down)
    if len(payers) == 2:  # two payers: the first rounded half up, the second the rest
        assert parts[0] == exact[0].quantize(D("0.01"), rounding=ROUND_HALF_UP)
    assert_exact(parts)


@settings(max_examples=200, deadline=None)
@given(
    st.integers(1000_00, 50_000_000_00),
    st.integers(1, 100),
    st.dates(d(2020, 1, 1), d(2030, 12, 1)),
    st.integers(1, 120),
)
def test_the_service_fee_months_add_up_to_the_percentage(
    value_pence: int, percent: int, start: dt.date, months: int
) -> None:
    value = D(pence(value_pence))
    total = (value * percent / 100).quantize(D("0.01"), rounding=ROUND_HALF_UP)
    index = start.year * 12 + start.month - 1
    term = [f"{(index + n) // 12}-{(index + n) % 12 + 1:02d}" for n in range(-1, months + 1)]
    fees = [service_fee(value, D(percent), start, months, month) for month in term]
    assert fees[0] == 0 and fees[-1] == 0  # the month before the term and the month after
    assert sum(fees, ZERO) == total
    assert len(set(fees[1:-2])) <= 1  # every month but the last the same; the last takes the pence left over
    assert_exact(fees)
