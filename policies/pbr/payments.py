"""Payment runs: what a contract pays for a period, to whom, after caps, fees and recoveries.

Rule: a run pays in arrears, once the period (a month, or a quarter such as
2026-Q3) has ended. It pays every accepted claim achieved on or before the
period's last day that no earlier run paid, in the order achieved. Caps are
applied again against what has been paid, net of clawbacks, in this order:
participant, outcome, contract (each from the card in force on the achieved
date), so that no run can pay past a cap whatever happened since the claim
was accepted. Each claim's amount is split between the card's payers by
largest remainder: each share rounded down to the penny, and the pennies left
go to the shares that lost most in rounding (with two payers, the first share
rounded half up and the second taking the rest), so the parts always add up
to the whole and none is negative.

Fees sit outside the outcome caps: an attachment fee for each eligible
participant referred inside the window on or before the period's end and not
yet paid one, or a service fee, a percentage of the contract's value (rounded half up to
the penny) spread over the months of its initial term in equal whole pence,
the last month taking the pence left over, for the months of the period.

Each payer's payment is what the run accrues for it less what it is owed
back (clawbacks and extrapolated recoveries not yet recovered). If that is
negative, the payment is nil and the rest is carried to the next run.

A run is final, so it may happen only when (``run_refusals``): its as-of instant
is no later than now; its period has ended by then (it is paid in arrears,
from the day after); the period lies inside the contract's life (it ends on
or after the start and starts on or before the last day, extensions taken
included); and no earlier period has unpaid accepted claims and no run of
its own (periods are paid in order). E.g. on 6 December 2026 a contract paid
quarterly from 1 October 2025 can pay 2026-Q3 but not 2026-Q4, even with an
as-of of 5 January 2027.

Worked example: a £1,500 outcome on a 30% central fund / 70% council card accrues £450.00 and
£1,050.00; an earlier clawback of £500 from the council is recovered by paying the council £550.00.
"""

import datetime as dt
import re
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import NamedTuple

from policies.dates import YEARS, add_months, outside_years
from policies.money import PENNY, ROUNDING
from policies.pbr.claims import gbp
from policies.pbr.participants import Participant
from policies.pbr.ratecard import Frequency, Payer, RateCard, version_for

ZERO = Decimal(0)
_QUARTER_RE = re.compile(r"^(?P<year>[0-9]{4})-Q(?P<q>[1-4])$", re.IGNORECASE)
_MONTH_RE = re.compile(r"^(?P<year>[0-9]{4})-(?P<month>0[1-9]|1[0-2])$")


@dataclass(frozen=True, order=True)
class Period:
    start: dt.date
    end: dt.date
    label: str

    def months(self) -> list[str]:
        out, day = [], self.start
        while day <= self.end:
            out.append(f"{day.year:04d}-{day.month:02d}")
            day = add_months(day, 1)
        return out


def parse_period(text: str, frequency: Frequency) -> tuple[Period | None, str | None]:
    """'2026-Q3' on a quarterly card, '2026-07' on a monthly one."""
    cleaned = (text or "").strip().upper()
    quarter, month = _QUARTER_RE.match(cleaned), _MONTH_RE.match(cleaned)
    if (quarter or month) and int(cleaned[:4]) not in YEARS:  # 9999-Q4 would end in the year 10000: no such date
        return None, outside_years(cleaned)
    if frequency is Frequency.QUARTERLY:
        if not quarter:
            hint = " (this contract pays quarterly)" if month else ""
            return None, f"{text!r} is not a quarter such as 2026-Q3{hint}"
        start = dt.date(int(quarter["year"]), 3 * int(quarter["q"]) - 2, 1)
        return Period(start, add_months(start, 3) - dt.timedelta(days=1), cleaned), None
    if not month:
        hint = " (this contract pays monthly)" if quarter else ""
        return None, f"{text!r} is not a month such as 2026-07{hint}"
    start = dt.date(int(month["year"]), int(month["month"]), 1)
    return Period(start, add_months(start, 1) - dt.timedelta(days=1), cleaned), None


def period_of(day: dt.date, frequency: Frequency) -> Period:
    label = f"{day.year}-Q{(day.month - 1) // 3 + 1}" if frequency is Frequency.QUARTERLY else f"{day:%Y-%m}"
    period, _ = parse_period(label, frequency)
    assert period is not None
    return period


def run_refusals(
    period: Period,
    *,
    as_of: dt.datetime,
    now: dt.datetime,
    run_on: dt.date,
    contract_start: dt.date,
    contract_end: dt.date,
    unpaid_achieved: Iterable[dt.date],
    periods_run: Collection[str],
    frequency: Frequency,
) -> list[str]:
    """Why a run for ``period`` may not happen (none: it may). ``run_on`` is ``as_of``'s local date;
    ``unpaid_achieved`` the achieved dates of accepted claims no run has paid; ``periods_run`` the labels run."""
    reasons = []
    if as_of > now:
        reasons.append(
            f"--as-of {_when(as_of)} is later than now ({_when(now)}); a payment run is final, "
            "so it is never dated in the future"
        )
    if run_on <= period.end:
        reasons.append(
            f"{period.label} ends on {period.end}; it is paid in arrears, from {period.end + dt.timedelta(days=1)}"
        )
    if period.end < contract_start:
        reasons.append(f"{period.label} ends on {period.end}, before the contract starts on {contract_start}")
    if period.start > contract_end:
        reasons.append(
            f"{period.label} starts on {period.start}, after the contract's last day, {contract_end} "
            "(extensions taken included)"
        )
    earlier = {period_of(day, frequency) for day in unpaid_achieved if day < period.start}
    unrun = sorted(p for p in earlier if p.label not in periods_run)
    if unrun:
        first = unrun[0].label
        reasons.append(
            f"{first} has accepted claims and no payment run; periods are paid in order, so pay {first} first"
        )
    return reasons


def _when(instant: dt.datetime) -> str:
    """2027-01-05 00:00 GMT: in the zone the instant is given in (the organisation's, from the flow)."""
    return instant.strftime("%Y-%m-%d %H:%M %Z")


def split(amount: Decimal, payers: Sequence[Payer]) -> tuple[Decimal, ...]:
    """``amount`` (whole pence) shared by percentage, to the penny, by largest remainder.

    Each payer gets its exact share rounded down to the penny; the pennies left over go one each to
    the payers whose shares lost most in rounding, the earlier payer on a tie. With two payers this is
    the first payer's share rounded half up and the second taking the rest. No part is ever negative
    (rounding half up for all but the last payer could leave the last less than nothing: three payers
    of 0.01%, 99.99% and 0% of £250.00), each is within a penny of its exact share, and the parts add
    up to the whole. A negative amount (a recovery) is split as its size, then negated.
    """
    return _split(amount, tuple(payers))


@lru_cache(maxsize=4096)  # a run splits few distinct prices between the same payers, claim after claim
def _split(amount: Decimal, payers: tuple[Payer, ...]) -> tuple[Decimal, ...]:
    """``split`` itself, cached."""
    if sum((p.share for p in payers), ZERO) != 100:
        raise ValueError(f"payer shares add up to {sum((p.share for p in payers), ZERO)}%, not 100%")
    pence = int(abs(amount) * 100)
    if pence != abs(amount) * 100:
        raise ValueError(f"{amount} is not a whole number of pence")
    exact = [Decimal(pence) * p.share / 100 for p in payers]
    parts = [int(x) for x in exact]  # rounded down: shares are never negative
    lost = sorted(range(len(payers)), key=lambda i: (parts[i] - exact[i], i))  # most lost first
    for i in lost[: pence - sum(parts)]:
        parts[i] += 1
    sign = -1 if amount < 0 else 1
    return tuple(Decimal(sign * part).scaleb(-2) for part in parts)


def service_fee(value: Decimal, percent: Decimal, start: dt.date, months: int, month: str) -> Decimal:
    """The service fee for calendar month ``month`` (YYYY-MM) of a term of ``months`` from ``start``."""
    if not percent or months < 1:
        return ZERO
    total = (value * percent / 100).quantize(PENNY, rounding=ROUNDING)
    monthly = Decimal(int(total * 100) // months) / 100  # whole pence; the last month takes the rest
    index = (int(month[:4]) - start.year) * 12 + int(month[5:]) - start.month
    if not 0 <= index < months:
        return ZERO
    return monthly if index < months - 1 else total - monthly * (months - 1)


@dataclass(slots=True)  # not frozen: a run makes one a claim, and a frozen one took six times as long to make
class DueClaim:
    """An accepted claim not yet paid (never changed once made)."""

    claim_id: int
    ref: str
    participant: str
    outcome: str
    achieved_on: dt.date
    payable: Decimal
    # what its participant was paid net before the run, when read with the claim; None: in ``PaidSoFar``
    participant_paid: Decimal | None = None


@dataclass(frozen=True)
class PaidSoFar:
    """Net paid so far (accruals less clawbacks), for the caps. A participant absent from ``participant`` has
    been paid its claim's ``participant_paid`` (a run reads it with each claim), else nothing."""

    participant: Mapping[str, Decimal]
    outcome: Mapping[str, Decimal]
    contract: Decimal


@dataclass(frozen=True)
class ContractFacts:
    value: Decimal
    start: dt.date
    term_months: int


class RunLine(NamedTuple):
    """A claim as a run pays it, capped and split (a named tuple: a run makes one a claim)."""

    claim: DueClaim
    paid: Decimal
    capped: Decimal
    notes: tuple[str, ...]
    shares: tuple[tuple[str, Decimal], ...]  # (payer, amount)


@dataclass(frozen=True)
class FeeLine:
    item: str  # attachment_fee or service_fee
    participant: str | None
    month: str | None
    amount: Decimal
    shares: tuple[tuple[str, Decimal], ...]


@dataclass(frozen=True)
class PayerTotal:
    payer: str
    outcomes: Decimal
    fees: Decimal
    owed_before: Decimal  # the ledger balance before the run: negative is owed back by the provider
    recovered: Decimal
    payment: Decimal
    carried: Decimal  # still owed back after this run (zero or negative)

    @property
    def accrued(self) -> Decimal:
        return self.outcomes + self.fees


@dataclass(frozen=True)
class RunPlan:
    period: Period
    lines: tuple[RunLine, ...]
    fees: tuple[FeeLine, ...]
    payers: tuple[PayerTotal, ...]

    @property
    def total_paid(self) -> Decimal:
        return sum((p.payment for p in self.payers), ZERO)


def plan_run(
    period: Period,
    cards: Sequence[RateCard],
    due: Sequence[DueClaim],
    paid: PaidSoFar,
    *,
    unpaid_referrals: Sequence[Participant] = (),
    service_months_paid: frozenset[str] = frozenset(),
    contract: ContractFacts | None = None,
    balances: Mapping[str, Decimal] | None = None,
) -> RunPlan:
    """Price, cap, split and net one run. Pure: the caller stores the result in the ledger."""
    ordered = sorted((c for c in due if c.achieved_on <= period.end), key=lambda c: (c.achieved_on, c.ref))
    lines = tuple(priced_lines(period, cards, ordered, paid))
    fees = tuple(fee_lines(period, cards, unpaid_referrals, service_months_paid, contract))
    accrued: dict[str, list[Decimal]] = {}
    for line in lines:
        for payer, share in line.shares:
            accrued.setdefault(payer, [ZERO, ZERO])[0] += share
    return RunPlan(period, lines, fees, payer_totals(accrued, fees, balances))


_Shares = dict[Decimal, tuple[tuple[str, Decimal], ...]]  # (payer, share) of an amount, by the amount


def priced_lines(
    period: Period, cards: Sequence[RateCard], due: Iterable[DueClaim], paid: PaidSoFar
) -> Iterator[RunLine]:
    """Each claim due, capped and split, one at a time: ``due`` in the order a run pays, achieved date then
    reference, each achieved by the period's end, so a run of any size is priced as it is read."""
    participant_paid = dict(paid.participant)
    outcome_paid = dict(paid.outcome)
    contract_paid = paid.contract
    last: tuple[dt.date, str] | None = None
    notes: tuple[str, ...]
    # A run pays claims achieved on a few hundred days, for a few outcomes, at a few prices: each day's card and
    # its caps for each outcome, and each price's split between a card's payers (by the card's identity: the cards
    # are the same objects throughout), are found once.
    terms_on: dict[tuple[dt.date, str], tuple[RateCard, Decimal | None, Decimal | None, Decimal | None, _Shares]] = {}
    shares_of: dict[int, _Shares] = {}  # id(card): its payers' shares of each amount
    for claim in due:
        day, who, what, payable = claim.achieved_on, claim.participant, claim.outcome, claim.payable
        if day > period.end:  # the callers choose the claims due by the period's end
            raise ValueError(f"claim {claim.ref} was achieved on {day}, after {period.label} ends")
        if last is not None and (day, claim.ref) <= last:  # equal: the same claim read twice
            raise ValueError(
                f"claim {claim.ref} is out of order or given twice: claims are paid once each, in the order "
                "achieved, then by ref"
            )
        last = (day, claim.ref)
        terms = terms_on.get((day, what))
        if terms is None:
            found = version_for(cards, day)
            assert found is not None, f"claim {claim.ref} was accepted without a rate card"
            split_by = shares_of.setdefault(id(found), {})
            terms = (found, found.participant_cap, found.outcome_cap(what), found.contract_cap, split_by)
            terms_on[(day, what)] = terms
        card, participant_cap, outcome_cap, contract_cap, split_by = terms
        what_paid = outcome_paid.get(what, ZERO)
        if (who_paid := participant_paid.get(who)) is None:
            who_paid = ZERO if claim.participant_paid is None else claim.participant_paid
        amount, notes = payable, ()
        who_then, what_then, all_then = who_paid + payable, what_paid + payable, contract_paid + payable
        if (  # most claims are under every cap: only the others are cut, cap by cap
            (participant_cap is not None and who_then > participant_cap)
            or (outcome_cap is not None and what_then > outcome_cap)
            or (contract_cap is not None and all_then > contract_cap)
        ):
            for cap, used, kind, name in (
                (participant_cap, who_paid, "participant", who),
                (outcome_cap, what_paid, "outcome", what),
                (contract_cap, contract_paid, "contract", card.contract),
            ):
                if cap is not None and amount > cap - used:
                    cut = max(cap - used, ZERO)
                    notes += (f"the {kind} {name} cap of {gbp(cap)} allows {gbp(cut)} of {gbp(amount)}",)
                    amount = cut
            who_then, what_then, all_then = who_paid + amount, what_paid + amount, contract_paid + amount
        participant_paid[who], outcome_paid[what], contract_paid = who_then, what_then, all_then
        if (shares := split_by.get(amount)) is None:
            shares = split_by[amount] = tuple(
                zip((p.name for p in card.payers), split(amount, card.payers), strict=True)
            )
        yield RunLine(claim, amount, payable - amount, notes, shares)


def fee_lines(
    period: Period,
    cards: Sequence[RateCard],
    unpaid_referrals: Iterable[Participant],
    service_months_paid: frozenset[str],
    contract: ContractFacts | None,
) -> Iterator[FeeLine]:
    """The attachment fees (referrals not yet paid one, in referral order) and the period's service fees."""
    for person in sorted(unpaid_referrals, key=lambda p: (p.referral_date, p.ref)):
        card = version_for(cards, person.referral_date)
        if (
            card is None
            or not card.attachment_fee
            or person.referral_date > period.end
            or not card.referral_from <= person.referral_date <= card.referral_to
            or card.eligibility.problem(person.referral_date, person.born, person.attributes)
        ):
            continue
        yield _fee("attachment_fee", person.ref, None, card.attachment_fee, card.payers)
    if contract is not None:
        for month in period.months():
            card = version_for(cards, dt.date(int(month[:4]), int(month[5:]), 1)) or version_for(cards, period.end)
            if card is None or month in service_months_paid:
                continue
            fee = service_fee(contract.value, card.service_fee_percent, contract.start, contract.term_months, month)
            if fee:
                yield _fee("service_fee", None, month, fee, card.payers)


def payer_totals(
    accrued: Mapping[str, Sequence[Decimal]], fees: Iterable[FeeLine], balances: Mapping[str, Decimal] | None
) -> tuple[PayerTotal, ...]:
    """Each payer's payment: ``accrued`` holds its outcomes (first) per payer, the fees are added here, and what
    it is owed back (a negative balance) is netted off; the rest carries to the next run."""
    sums = {payer: [outcomes, ZERO] for payer, (outcomes, *_) in accrued.items()}
    for line in fees:
        for payer, share in line.shares:
            sums.setdefault(payer, [ZERO, ZERO])[1] += share
    owed = dict(balances or {})
    totals = []
    for payer in sorted(set(sums) | {p for p, b in owed.items() if b}):
        outcomes, fee_total = sums.get(payer, [ZERO, ZERO])
        before = owed.get(payer, ZERO)
        net = outcomes + fee_total + before
        payment = max(net, ZERO)
        recovered = min(outcomes + fee_total, -before) if before < 0 else ZERO
        totals.append(PayerTotal(payer, outcomes, fee_total, before, recovered, payment, min(net, ZERO)))
    return tuple(totals)


def _fee(item: str, participant: str | None, month: str | None, amount: Decimal, payers: Sequence[Payer]) -> FeeLine:
    shares = tuple(zip((p.name for p in payers), split(amount, payers), strict=True))
    return FeeLine(item, participant, month, amount, shares)
