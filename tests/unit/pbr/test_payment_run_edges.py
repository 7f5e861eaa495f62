"""Payment runs at the edges: caps met exactly or to the penny, two claims sharing a cap, a card that changes
in the middle of a quarter, a referral on the period's last day.

Fair Chance Fund card (30% central fund, 70% council); the contract is worth £1,000,000.00 from
1 October 2025 for 36 months. ACC_ENTRY pays £500.00; the participant cap is £15,000.00 and the contract
cap £1,500,000.00.
"""

import datetime as dt
from dataclasses import replace
from decimal import Decimal

import pytest

from policies.pbr.participants import Participant
from policies.pbr.payments import ContractFacts, PaidSoFar, PayerTotal, plan_run, priced_lines, service_fee, split
from policies.pbr.ratecard import Payer, RateCard
from tests.unit.pbr.test_payment_runs import FCF, NOTHING_PAID, START, VALUE, due, period

d = dt.date
D = Decimal


def capping(card: RateCard, outcome_cap: str) -> RateCard:
    return replace(
        card, outcomes={**card.outcomes, "ACC_ENTRY": replace(card.outcomes["ACC_ENTRY"], cap=D(outcome_cap))}
    )


def test_two_claims_for_one_outcome_in_one_run_that_together_pass_its_cap() -> None:
    # ACC_ENTRY capped at £1,200.00, £500.00 paid before: the first entry of the quarter takes £500.00
    # (£1,000.00 paid), the second gets the £200.00 left and £300.00 is capped.
    paid = PaidSoFar({}, {"ACC_ENTRY": D("500.00")}, D("500.00"))
    claims = [due(1, "P-001", "ACC_ENTRY", d(2026, 1, 10)), due(2, "P-002", "ACC_ENTRY", d(2026, 2, 10))]
    plan = plan_run(period("2026-Q1"), [capping(FCF, "1200.00")], claims, paid)
    assert [(x.paid, x.capped, x.notes) for x in plan.lines] == [
        (D("500.00"), D(0), ()),
        (D("200.00"), D("300.00"), ("the outcome ACC_ENTRY cap of £1,200.00 allows £200.00 of £500.00",)),
    ]
    assert plan.total_paid == D("700.00")


def test_a_claim_exactly_equal_to_each_caps_headroom_is_paid_in_full_without_a_note() -> None:
    # £500.00 left under each cap in turn: participant (14,500 of 15,000), outcome (700 of 1,200), contract.
    for paid in (
        PaidSoFar({"P-001": D("14500.00")}, {}, D("14500.00")),
        PaidSoFar({}, {"ACC_ENTRY": D("700.00")}, D("700.00")),
        PaidSoFar({}, {}, D("1499500.00")),
    ):
        (line,) = plan_run(
            period("2026-Q1"), [capping(FCF, "1200.00")], [due(1, "P-001", "ACC_ENTRY", d(2026, 1, 10))], paid
        ).lines
        assert (line.paid, line.capped, line.notes) == (D("500.00"), D(0), ())


def test_a_contract_cap_leaving_one_penny_pays_the_penny_to_the_last_payer() -> None:
    # £1,499,999.99 paid of £1,500,000.00: the entry gets £0.01; 30% of a penny rounds to nothing.
    paid = PaidSoFar({}, {}, D("1499999.99"))
    (line,) = plan_run(period("2026-Q1"), [FCF], [due(1, "P-001", "ACC_ENTRY", d(2026, 1, 10))], paid).lines
    assert (line.paid, line.capped) == (D("0.01"), D("499.99"))
    assert line.notes == ("the contract FCF-2025-01 cap of £1,500,000.00 allows £0.01 of £500.00",)
    assert line.shares == (("central fund", D("0.00")), ("council", D("0.01")))


def test_a_later_card_lowering_an_outcome_cap_below_what_was_paid_pays_nothing_more() -> None:
    # Version 1 caps ACC_ENTRY at £1,500.00 and £1,000.00 was paid; version 2, from 1 February 2026, caps it
    # at £800.00. An entry on 10 February finds £0.00 left: nothing paid, never a negative amount.
    v1 = capping(FCF, "1500.00")
    v2 = replace(capping(FCF, "800.00"), effective_from=d(2026, 2, 1))
    paid = PaidSoFar({}, {"ACC_ENTRY": D("1000.00")}, D("1000.00"))
    plan = plan_run(period("2026-Q1"), [v1, v2], [due(1, "P-001", "ACC_ENTRY", d(2026, 2, 10))], paid)
    (line,) = plan.lines
    assert (line.paid, line.capped) == (D(0), D("500.00"))
    assert line.notes == ("the outcome ACC_ENTRY cap of £800.00 allows £0.00 of £500.00",)
    assert line.shares == (("central fund", D(0)), ("council", D(0)))


def test_a_recovery_is_split_as_its_size_then_negated() -> None:
    # A £1,500.00 clawback on a 30/70 card: -£450.00 and -£1,050.00; a £0.05 one: -£0.03 (half up) and -£0.02.
    shares = (Payer("central fund", D(30)), Payer("council", D(70)))
    assert split(D("-1500.00"), shares) == (D("-450.00"), D("-1050.00"))
    assert split(D("-0.05"), (Payer("a", D(50)), Payer("b", D(50)))) == (D("-0.03"), D("-0.02"))


# --------------------------------------------------------------------------- fees


def test_a_card_change_in_the_middle_of_a_quarter_changes_the_service_fee_from_its_month() -> None:
    # 30% of £1,000,000.00 over 36 months is £8,333.33 a month; version 2 from 1 February 2026 makes it 20%:
    # £200,000.00 / 36 = £5,555.555.. -> £5,555.55. So 2026-Q1 pays January at 30%, February and March at 20%.
    v1 = replace(FCF, service_fee_percent=D(30))
    v2 = replace(FCF, service_fee_percent=D(20), effective_from=d(2026, 2, 1))
    plan = plan_run(period("2026-Q1"), [v1, v2], [], NOTHING_PAID, contract=ContractFacts(VALUE, START, 36))
    assert [(f.month, f.amount) for f in plan.fees] == [
        ("2026-01", D("8333.33")),
        ("2026-02", D("5555.55")),
        ("2026-03", D("5555.55")),
    ]
    assert plan.total_paid == D("19444.43")


def test_a_card_in_force_from_the_middle_of_the_first_month_sets_that_months_fee() -> None:
    # The only card takes effect on 15 October 2025: no card is in force on 1 October, so October's fee is
    # the card's in force at the end of the quarter: 3 x £8,333.33 = £24,999.99 for 2025-Q4.
    card = replace(FCF, service_fee_percent=D(30), effective_from=d(2025, 10, 15))
    plan = plan_run(period("2025-Q4"), [card], [], NOTHING_PAID, contract=ContractFacts(VALUE, START, 36))
    assert [f.month for f in plan.fees] == ["2025-10", "2025-11", "2025-12"]
    assert plan.total_paid == D("24999.99")


def test_an_attachment_fee_for_a_referral_on_the_periods_last_day() -> None:
    # Referred on 31 March 2026, the last day of 2026-Q1, aged 21: the £400.00 fee is paid in 2026-Q1.
    card = replace(FCF, attachment_fee=D("400.00"))
    person = [Participant("P-030", d(2026, 3, 31), d(2004, 6, 1))]
    plan = plan_run(period("2026-Q1"), [card], [], NOTHING_PAID, unpaid_referrals=person)
    assert [(f.item, f.participant, f.amount) for f in plan.fees] == [("attachment_fee", "P-030", D("400.00"))]
    assert plan.fees[0].shares == (("central fund", D("120.00")), ("council", D("280.00")))
    # A 2025-Q4 run (to 31 December 2025) is too early for it.
    assert plan_run(period("2025-Q4"), [card], [], NOTHING_PAID, unpaid_referrals=person).fees == ()


def test_a_card_from_the_second_of_a_month_sets_the_fee_from_the_next_month() -> None:
    # A month's service fee is the card's in force on its first day: version 2 (20%) from 2 February 2026
    # leaves February at 30% (£8,333.33) and changes March (£5,555.55).
    v1 = replace(FCF, service_fee_percent=D(30))
    v2 = replace(FCF, service_fee_percent=D(20), effective_from=d(2026, 2, 2))
    plan = plan_run(period("2026-Q1"), [v1, v2], [], NOTHING_PAID, contract=ContractFacts(VALUE, START, 36))
    assert [f.amount for f in plan.fees] == [D("8333.33"), D("8333.33"), D("5555.55")]


def test_no_service_fee_for_a_term_of_no_months() -> None:
    # Nothing to spread the percentage over: nothing is due (and no division by nought).
    assert service_fee(VALUE, D(30), START, 0, "2025-10") == D(0)


def test_a_balance_owed_to_the_provider_is_paid_and_nothing_is_recovered() -> None:
    # The council's ledger stands at +£0.50 (accrued, not yet paid): the run pays it with the £1,050.00
    # share of an ACC_S3, £1,050.50 in all, and recovers nothing.
    claims = [due(1, "P-001", "ACC_S3", d(2026, 1, 20))]
    plan = plan_run(period("2026-Q1"), [FCF], claims, NOTHING_PAID, balances={"council": D("0.50")})
    assert plan.payers[1] == PayerTotal("council", D("1050.00"), D(0), D("0.50"), D(0), D("1050.50"), D(0))


# --------------------------------------------------------------------------- the order claims are read in


def test_a_claim_achieved_after_the_period_is_refused_not_left_out_in_silence() -> None:
    # Paying 2026-Q1 (to 31 March 2026): the reader should give only the claims achieved by then. C-001, achieved
    # on 31 March, the quarter's last day, is Q1's and is priced; C-002, achieved on 1 April, is Q2's: a reader
    # that gave it has chosen the claims wrongly (its claims after it would be wrongly ordered too), so it is
    # refused rather than skipped.
    claims = [due(1, "P-001", "ACC_S3", d(2026, 3, 31)), due(2, "P-002", "ASSESS_1", d(2026, 4, 1))]
    lines = priced_lines(period("2026-Q1"), [FCF], iter(claims), NOTHING_PAID)
    assert next(lines).paid == D("1500.00")
    with pytest.raises(ValueError, match="C-002 was achieved on 2026-04-01, after 2026-Q1 ends"):
        next(lines)


def test_a_claim_read_twice_is_refused_not_paid_twice() -> None:
    # C-001, P-001's £1,500.00 accommodation claim of 20 January 2026, comes twice from the reader: paying both
    # would accrue £3,000.00 (£900.00 + £2,100.00) for one outcome. It is refused.
    claims = [due(1, "P-001", "ACC_S3", d(2026, 1, 20)), due(1, "P-001", "ACC_S3", d(2026, 1, 20))]
    with pytest.raises(ValueError, match="C-001 is out of order or given twice"):
        list(priced_lines(period("2026-Q1"), [FCF], iter(claims), NOTHING_PAID))
