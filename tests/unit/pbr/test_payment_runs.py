"""Payment runs on the Fair Chance Fund card (30% central fund, 70% council), worked by hand.

The split rule: every payer but the last gets its share rounded half up to the
penny, and the last gets the rest. The service fee: a percentage of the
contract's value, the same each month to the penny, the last month taking the
odd pennies.
"""

import datetime as dt
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from policies.pbr.participants import Participant
from policies.pbr.payments import (
    ContractFacts,
    DueClaim,
    FeeLine,
    PaidSoFar,
    PayerTotal,
    Period,
    parse_period,
    period_of,
    plan_run,
    priced_lines,
    service_fee,
    split,
)
from policies.pbr.ratecard import Frequency, Payer, RateCard
from policies.pbr.ratecard_reading import read_rate_card

d = dt.date
D = Decimal
Q, M = Frequency.QUARTERLY, Frequency.MONTHLY
EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "fair-chance-fund.yaml"
NOTHING_PAID = PaidSoFar({}, {}, D(0))


def load_fcf() -> RateCard:
    card, problems = read_rate_card(yaml.safe_load(EXAMPLE.read_text()))
    assert card is not None, problems
    return card


FCF = load_fcf()


def period(text: str, frequency: Frequency = Q) -> Period:
    found, why = parse_period(text, frequency)
    assert found is not None, why
    return found


def due(claim_id: int, participant: str, outcome: str, on: dt.date, payable: str | None = None) -> DueClaim:
    amount = D(payable) if payable is not None else FCF.outcomes[outcome].price
    return DueClaim(claim_id, f"C-{claim_id:03d}", participant, outcome, on, amount)


# --------------------------------------------------------------------------- periods


@pytest.mark.parametrize(
    ("text", "frequency", "start", "end", "label"),
    [
        ("2026-Q1", Q, d(2026, 1, 1), d(2026, 3, 31), "2026-Q1"),
        ("2026-Q3", Q, d(2026, 7, 1), d(2026, 9, 30), "2026-Q3"),
        ("2026-q4", Q, d(2026, 10, 1), d(2026, 12, 31), "2026-Q4"),
        ("2026-07", M, d(2026, 7, 1), d(2026, 7, 31), "2026-07"),
        ("2028-02", M, d(2028, 2, 1), d(2028, 2, 29), "2028-02"),
        (" 2026-02 ", M, d(2026, 2, 1), d(2026, 2, 28), "2026-02"),
    ],
)
def test_a_period_reads(text: str, frequency: Frequency, start: dt.date, end: dt.date, label: str) -> None:
    assert parse_period(text, frequency) == (Period(start, end, label), None)


@pytest.mark.parametrize(
    ("text", "frequency", "why"),
    [
        ("2026-07", Q, "'2026-07' is not a quarter such as 2026-Q3 (this contract pays quarterly)"),
        ("2026-Q3", M, "'2026-Q3' is not a month such as 2026-07 (this contract pays monthly)"),
        ("2026-Q5", Q, "'2026-Q5' is not a quarter such as 2026-Q3"),
        ("2026-13", M, "'2026-13' is not a month such as 2026-07"),
        ("July 2026", M, "'July 2026' is not a month such as 2026-07"),
        ("", Q, "'' is not a quarter such as 2026-Q3"),
        ("9999-Q4", Q, "9999-Q4 is outside the years 1900-2200"),  # it would end in the year 10000
        ("9999-12", M, "9999-12 is outside the years 1900-2200"),
        ("0001-q1", Q, "0001-Q1 is outside the years 1900-2200"),
        ("2201-01", M, "2201-01 is outside the years 1900-2200"),
    ],
)
def test_a_period_in_the_wrong_form_is_refused_with_a_hint(text: str, frequency: Frequency, why: str) -> None:
    assert parse_period(text, frequency) == (None, why)


def test_the_months_of_a_period() -> None:
    assert period("2026-Q3").months() == ["2026-07", "2026-08", "2026-09"]
    assert period("2026-12", M).months() == ["2026-12"]


def test_the_period_a_day_falls_in() -> None:
    assert period_of(d(2026, 8, 15), Q) == Period(d(2026, 7, 1), d(2026, 9, 30), "2026-Q3")
    assert period_of(d(2026, 12, 31), Q) == Period(d(2026, 10, 1), d(2026, 12, 31), "2026-Q4")
    assert period_of(d(2026, 4, 1), Q).label == "2026-Q2"
    assert period_of(d(2028, 2, 10), M) == Period(d(2028, 2, 1), d(2028, 2, 29), "2028-02")


# --------------------------------------------------------------------------- split between payers


def payers(*shares: str) -> tuple[Payer, ...]:
    return tuple(Payer(f"payer {n}", D(s)) for n, s in enumerate(shares, 1))


@pytest.mark.parametrize(
    ("amount", "shares", "parts"),
    [
        ("1500.00", ("30", "70"), ("450.00", "1050.00")),
        ("0.01", ("30", "70"), ("0.00", "0.01")),  # 0.003 rounds to nothing; the council takes the penny
        ("0.01", ("70", "30"), ("0.01", "0.00")),  # 0.007 rounds up; nothing is left for the last
        ("100.01", ("33.33", "33.33", "33.34"), ("33.33", "33.33", "33.35")),  # 33.3333 twice, the rest
        ("0.05", ("50", "50"), ("0.03", "0.02")),  # 0.025: half up, not to even
        ("8333.33", ("30", "70"), ("2500.00", "5833.33")),  # 2499.999 rounds up
        ("1234.56", ("100",), ("1234.56",)),
        # half up for all but the last would give 0.03, 249.98 and -0.01; the last penny goes to the first,
        # whose 0.025 lost as much in rounding down as 249.975 did, and is earlier
        ("250.00", ("0.01", "99.99", "0"), ("0.03", "249.97", "0.00")),
        ("0.02", ("25", "25", "25", "25"), ("0.01", "0.01", "0.00", "0.00")),  # 0.005 each: two pennies
        ("-0.05", ("50", "50"), ("-0.03", "-0.02")),  # a recovery splits as its size
    ],
)
def test_split_by_hand(amount: str, shares: tuple[str, ...], parts: tuple[str, ...]) -> None:
    got = split(D(amount), payers(*shares))
    assert got == tuple(D(p) for p in parts)
    assert sum(got, D(0)) == D(amount)


# --------------------------------------------------------------------------- the service fee

VALUE = D("1000000.00")
START = d(2025, 10, 1)


def test_the_service_fee_is_30_percent_over_36_months_to_the_penny() -> None:
    # 30% of £1,000,000 = £300,000.00; / 36 = 8,333.333.. -> 8,333.33; 35 x 8,333.33 = 291,666.55
    assert service_fee(VALUE, D(30), START, 36, "2025-10") == D("8333.33")
    assert service_fee(VALUE, D(30), START, 36, "2028-08") == D("8333.33")  # the 35th month
    assert service_fee(VALUE, D(30), START, 36, "2028-09") == D("8333.45")  # the 36th: 300,000.00 - 291,666.55
    months = [f"{y}-{m:02d}" for y in (2025, 2026, 2027, 2028) for m in range(1, 13)]
    fees = [service_fee(VALUE, D(30), START, 36, month) for month in months]
    assert sum(1 for f in fees if f) == 36
    assert sum(fees, D(0)) == D("300000.00")


def test_no_service_fee_outside_the_term_or_without_a_percentage() -> None:
    assert service_fee(VALUE, D(30), START, 36, "2025-09") == 0
    assert service_fee(VALUE, D(30), START, 36, "2028-10") == 0
    assert service_fee(VALUE, D(0), START, 36, "2026-01") == 0


# --------------------------------------------------------------------------- plan_run: outcomes


def test_a_run_pays_what_was_achieved_by_the_end_of_the_period() -> None:
    claims = [
        due(1, "P-001", "ACC_S3", d(2026, 1, 20)),
        due(2, "P-002", "ACC_ENTRY", d(2026, 3, 31)),  # the last day of the quarter: paid
        due(3, "P-001", "EMP_FT13", d(2026, 4, 1)),  # the next quarter: waits
    ]
    plan = plan_run(period("2026-Q1"), [FCF], claims, NOTHING_PAID)
    assert [(x.claim.ref, x.paid, x.capped, x.notes) for x in plan.lines] == [
        ("C-001", D("1500.00"), D(0), ()),
        ("C-002", D("500.00"), D(0), ()),
    ]
    assert plan.lines[0].shares == (("central fund", D("450.00")), ("council", D("1050.00")))
    assert plan.lines[1].shares == (("central fund", D("150.00")), ("council", D("350.00")))
    assert plan.payers == (
        PayerTotal("central fund", D("600.00"), D(0), D(0), D(0), D("600.00"), D(0)),
        PayerTotal("council", D("1400.00"), D(0), D(0), D(0), D("1400.00"), D(0)),
    )
    assert plan.total_paid == D("2000.00")
    assert plan.fees == ()


def test_a_run_pays_in_the_order_achieved() -> None:
    claims = [due(1, "P-001", "ACC_S3", d(2026, 2, 1)), due(2, "P-002", "ASSESS_1", d(2026, 1, 5))]
    plan = plan_run(period("2026-Q1"), [FCF], claims, NOTHING_PAID)
    assert [x.claim.ref for x in plan.lines] == ["C-002", "C-001"]


def test_claims_read_one_at_a_time_are_priced_as_a_whole_run_prices_them() -> None:
    # What the flow does with a run of any size: the claims come from the database in pay order and each
    # line goes on as it is priced. The same caps bite: P-001 has £14,500 of its £15,000 paid, so its
    # £1,500 accommodation claim is cut to £500 and its later £200 assessment to nothing.
    paid = PaidSoFar({"P-001": D("14500.00")}, {}, D("14500.00"))
    claims = [due(1, "P-001", "ACC_S6", d(2026, 4, 20)), due(2, "P-001", "ASSESS_3", d(2026, 4, 27))]
    streamed = list(priced_lines(period("2026-Q2"), [FCF], iter(claims), paid))
    assert streamed == list(plan_run(period("2026-Q2"), [FCF], claims, paid).lines)
    assert [(x.paid, x.capped) for x in streamed] == [(D("500.00"), D("1000.00")), (D(0), D("200.00"))]


def test_what_a_participant_was_paid_may_come_with_its_claims() -> None:
    # How the flow reads it (with each claim due, from the running totals): the same caps bite as when it is in
    # PaidSoFar. P-001 has £14,500 of its £15,000 paid (given with both its claims, as read before the run), so
    # its £1,500 claim is cut to £500 and its £200 one to nothing; the second is capped on what the first was paid
    # in this run, not on the £14,500 it came with. P-002 comes with nothing paid and is paid in full.
    paid = PaidSoFar({"P-001": D("14500.00")}, {}, D("14500.00"))
    claims = [due(1, "P-001", "ACC_S6", d(2026, 4, 20)), due(2, "P-001", "ASSESS_3", d(2026, 4, 27)),
              due(3, "P-002", "ASSESS_3", d(2026, 4, 28))]  # fmt: skip
    before = {"P-001": D("14500.00"), "P-002": D(0)}
    given = [replace(c, participant_paid=before[c.participant]) for c in claims]
    read_with = list(priced_lines(period("2026-Q2"), [FCF], iter(given), replace(paid, participant={})))
    assert [(x.paid, x.capped, x.notes, x.shares) for x in read_with] == [
        (x.paid, x.capped, x.notes, x.shares) for x in priced_lines(period("2026-Q2"), [FCF], iter(claims), paid)
    ]
    assert [(x.paid, x.capped) for x in read_with] == [(D("500.00"), D("1000.00")), (D(0), D("200.00")),
                                                       (D("200.00"), D(0))]  # fmt: skip


def test_claims_read_out_of_pay_order_are_refused_not_mispriced() -> None:
    # A cap depends on what was paid before: a claim given after a later one would be priced wrongly.
    claims = [due(1, "P-001", "ACC_S3", d(2026, 2, 1)), due(2, "P-002", "ASSESS_1", d(2026, 1, 5))]
    with pytest.raises(ValueError, match="C-002 is out of order"):
        list(priced_lines(period("2026-Q1"), [FCF], iter(claims), NOTHING_PAID))


def test_the_participant_cap_is_guarded_again_at_run_time() -> None:
    paid = PaidSoFar({"P-001": D("14500.00")}, {}, D("14500.00"))
    claims = [due(1, "P-001", "ACC_S6", d(2026, 4, 20)), due(2, "P-001", "ASSESS_3", d(2026, 4, 27))]
    plan = plan_run(period("2026-Q2"), [FCF], claims, paid)
    first, second = plan.lines
    assert (first.paid, first.capped) == (D("500.00"), D("1000.00"))
    assert first.notes == ("the participant P-001 cap of £15,000.00 allows £500.00 of £1,500.00",)
    assert first.shares == (("central fund", D("150.00")), ("council", D("350.00")))
    assert (second.paid, second.capped) == (D(0), D("200.00"))
    assert second.notes == ("the participant P-001 cap of £15,000.00 allows £0.00 of £200.00",)
    assert plan.total_paid == D("500.00")


def test_the_outcome_and_contract_caps_are_guarded_at_run_time() -> None:
    # ACC_ENTRY's cap is 500.00 x 300 = 150,000.00 (200.00 left); the contract's 1,500,000.00 (1,000.00 left)
    paid = PaidSoFar({}, {"ACC_ENTRY": D("149800.00")}, D("1499000.00"))
    claims = [due(1, "P-001", "ACC_ENTRY", d(2026, 1, 10)), due(2, "P-002", "ACC_S3", d(2026, 1, 11))]
    first, second = plan_run(period("2026-Q1"), [FCF], claims, paid).lines
    assert (first.paid, first.capped) == (D("200.00"), D("300.00"))
    assert first.notes == ("the outcome ACC_ENTRY cap of £150,000.00 allows £200.00 of £500.00",)
    # the contract now has 1,000.00 - 200.00 = 800.00 left
    assert (second.paid, second.capped) == (D("800.00"), D("700.00"))
    assert second.notes == ("the contract FCF-2025-01 cap of £1,500,000.00 allows £800.00 of £1,500.00",)


def test_a_run_prices_each_claim_on_the_card_of_its_achieved_date() -> None:
    v2 = replace(FCF, effective_from=d(2026, 3, 1), payers=(Payer("council", D(100)),), participant_cap=D("1000.00"))
    claims = [
        due(1, "P-001", "ACC_S3", d(2026, 2, 28)),  # version 1: 30/70, cap 15,000
        due(2, "P-002", "ACC_S3", d(2026, 3, 1)),  # version 2: council pays all, cap 1,000
    ]
    first, second = plan_run(period("2026-Q1"), [FCF, v2], claims, NOTHING_PAID).lines
    assert (first.paid, first.shares) == (D("1500.00"), (("central fund", D("450.00")), ("council", D("1050.00"))))
    assert (second.paid, second.shares) == (D("1000.00"), (("council", D("1000.00")),))


# --------------------------------------------------------------------------- plan_run: fees


def test_an_attachment_fee_for_each_eligible_referral_inside_the_window() -> None:
    card = replace(FCF, attachment_fee=D("400.00"))
    referrals = [
        Participant("P-010", d(2026, 1, 5), d(2004, 6, 1)),  # eligible, in the window: a fee
        Participant("P-011", d(2026, 10, 1), d(2004, 6, 1)),  # the day after the window closed
        Participant("P-012", d(2026, 2, 1), d(1999, 6, 1)),  # 26 at referral
        Participant("P-013", d(2025, 9, 30), d(2004, 6, 1)),  # before the window and the card
        Participant("P-014", d(2026, 9, 30), d(2002, 1, 1)),  # the window's last day: a fee
    ]
    plan = plan_run(period("2026-Q4"), [card], [], NOTHING_PAID, unpaid_referrals=referrals)
    fee_shares = (("central fund", D("120.00")), ("council", D("280.00")))
    assert plan.fees == (
        FeeLine("attachment_fee", "P-010", None, D("400.00"), fee_shares),
        FeeLine("attachment_fee", "P-014", None, D("400.00"), fee_shares),
    )
    assert [(p.payer, p.fees, p.payment) for p in plan.payers] == [
        ("central fund", D("240.00"), D("240.00")),
        ("council", D("560.00"), D("560.00")),
    ]


def test_no_attachment_fee_before_the_referral() -> None:
    card = replace(FCF, attachment_fee=D("400.00"))
    later = [Participant("P-015", d(2026, 4, 2), d(2004, 6, 1))]
    assert plan_run(period("2026-Q1"), [card], [], NOTHING_PAID, unpaid_referrals=later).fees == ()
    assert plan_run(period("2026-Q2"), [card], [], NOTHING_PAID, unpaid_referrals=later).fees != ()


def test_no_attachment_fee_on_a_card_without_one() -> None:
    referrals = [Participant("P-010", d(2026, 1, 5), d(2004, 6, 1))]
    assert plan_run(period("2026-Q1"), [FCF], [], NOTHING_PAID, unpaid_referrals=referrals).fees == ()


def test_a_service_fee_for_the_months_of_the_period_not_yet_paid() -> None:
    card = replace(FCF, service_fee_percent=D(30))
    facts = ContractFacts(VALUE, START, 36)
    plan = plan_run(
        period("2026-Q1"), [card], [], NOTHING_PAID, contract=facts, service_months_paid=frozenset({"2026-01"})
    )
    shares = (("central fund", D("2500.00")), ("council", D("5833.33")))
    assert plan.fees == (
        FeeLine("service_fee", None, "2026-02", D("8333.33"), shares),
        FeeLine("service_fee", None, "2026-03", D("8333.33"), shares),
    )
    assert plan.total_paid == D("16666.66")


def test_the_last_quarter_of_the_term_takes_the_odd_pennies() -> None:
    card = replace(FCF, service_fee_percent=D(30))
    plan = plan_run(period("2028-Q3"), [card], [], NOTHING_PAID, contract=ContractFacts(VALUE, START, 36))
    assert [f.amount for f in plan.fees] == [D("8333.33"), D("8333.33"), D("8333.45")]
    # 8,333.45 x 30% = 2,500.035 -> 2,500.04; the council 5,833.41
    assert plan.fees[2].shares == (("central fund", D("2500.04")), ("council", D("5833.41")))
    assert [(p.payer, p.fees) for p in plan.payers] == [
        ("central fund", D("7500.04")),
        ("council", D("17500.07")),
    ]
    assert plan.total_paid == D("25000.11")
    after = plan_run(period("2028-Q4"), [card], [], NOTHING_PAID, contract=ContractFacts(VALUE, START, 36))
    assert after.fees == ()


# --------------------------------------------------------------------------- plan_run: recoveries

ONE_S3 = [due(1, "P-001", "ACC_S3", d(2026, 1, 20))]  # £1,500: central fund 450.00, council 1,050.00


def test_a_clawback_is_recovered_from_the_next_payment() -> None:
    plan = plan_run(period("2026-Q1"), [FCF], ONE_S3, NOTHING_PAID, balances={"council": D("-500.00")})
    assert plan.payers == (
        PayerTotal("central fund", D("450.00"), D(0), D(0), D(0), D("450.00"), D(0)),
        PayerTotal("council", D("1050.00"), D(0), D("-500.00"), D("500.00"), D("550.00"), D(0)),
    )
    assert plan.total_paid == D("1000.00")


def test_a_clawback_larger_than_the_payment_is_carried() -> None:
    plan = plan_run(period("2026-Q1"), [FCF], ONE_S3, NOTHING_PAID, balances={"council": D("-2000.00")})
    council = plan.payers[1]
    assert council == PayerTotal("council", D("1050.00"), D(0), D("-2000.00"), D("1050.00"), D(0), D("-950.00"))
    assert council.accrued == D("1050.00")
    assert plan.total_paid == D("450.00")


def test_a_payer_owed_back_with_nothing_accrued_carries_it_all() -> None:
    plan = plan_run(
        period("2026-Q1"), [FCF], [], NOTHING_PAID, balances={"council": D("-300.00"), "central fund": D(0)}
    )
    assert plan.payers == (PayerTotal("council", D(0), D(0), D("-300.00"), D(0), D(0), D("-300.00")),)


# --------------------------------------------------------------------------- bugs found, for the lead to fix


def test_the_last_month_of_a_service_fee_is_never_negative() -> None:
    assert service_fee(D("2.33"), D(30), START, 120, "2035-09") >= 0
