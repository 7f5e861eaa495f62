"""Rate cards a commissioner would check by hand against the published Fair Chance Fund prices (DOMAIN.md).

Each outcome of examples/fair-chance-fund.yaml is given the line it sits on in
that file (``__line__``), as the importer does, so a problem names the line a
finance officer would open.
"""

import datetime as dt
import re
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from policies.pbr.participants import Eligibility, age_on
from policies.pbr.ratecard import (
    Frequency,
    Interval,
    IntervalUnit,
    Outcome,
    Payer,
    Prerequisite,
    RateCard,
    parse_interval,
    version_for,
)
from policies.pbr.ratecard_reading import CardProblem, read_rate_card

d = dt.date
EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "fair-chance-fund.yaml"
TEXT = EXAMPLE.read_text()
# The line each outcome sits on in the example file: "  - {code: ACC_S6, ..." -> ACC_S6.
LINES = {m[1]: n for n, row in enumerate(TEXT.splitlines(), 1) if (m := re.search(r"\{code: (\w+),", row))}


def fcf_fields() -> dict[str, Any]:
    fields: dict[str, Any] = yaml.safe_load(TEXT)
    for item in fields["outcomes"]:
        item["__line__"] = LINES[item["code"]]
    return fields


def outcome_fields(fields: dict[str, Any], code: str) -> dict[str, Any]:
    (item,) = [o for o in fields["outcomes"] if o["code"] == code]
    return item  # type: ignore[no-any-return]


def read(fields: dict[str, Any], **kwargs: Any) -> RateCard:
    card, problems = read_rate_card(fields, **kwargs)
    assert problems == [] and card is not None
    return card


def problems_of(fields: dict[str, Any], **kwargs: Any) -> list[CardProblem]:
    card, problems = read_rate_card(fields, **kwargs)
    assert card is None
    return problems


FCF = read(fcf_fields())

# --------------------------------------------------------------------------- the Fair Chance Fund card

# DOMAIN.md: the published Fair Chance Fund prices.
FCF_PRICES = {
    "ASSESS_1": "500.00",
    "ASSESS_2": "500.00",
    "ASSESS_3": "200.00",
    "ACC_ENTRY": "500.00",
    "ACC_S3": "1500.00",
    "ACC_S6": "1500.00",
    "ACC_S12": "1500.00",
    "ACC_S18": "1500.00",
    "EDU_ENTRY": "500.00",
    "EDU_ENTRY_LEVEL": "1500.00",
    "EDU_L1": "2500.00",
    "EDU_L2": "3500.00",
    "EMP_ENTRY": "500.00",
    "EMP_PT13": "3000.00",
    "EMP_PT26": "2000.00",
    "EMP_FT13": "4500.00",
    "EMP_FT26": "3500.00",
    "VOL_6": "500.00",
    "VOL_13": "500.00",
    "VOL_20": "250.00",
    "VOL_26": "250.00",
}


def test_the_fair_chance_fund_card_reads_with_the_published_prices() -> None:
    assert len(FCF.outcomes) == 21
    assert {code: o.price for code, o in FCF.outcomes.items()} == {c: Decimal(p) for c, p in FCF_PRICES.items()}
    # every price is exact to the penny, as written
    assert all(o.price.as_tuple().exponent == -2 for o in FCF.outcomes.values())
    assert all(o.times_payable == 1 for o in FCF.outcomes.values())
    # assessments 1,200 + accommodation 6,500 + education 8,000 + employment 13,500 + volunteering 1,500
    assert sum((o.price for o in FCF.outcomes.values()), Decimal(0)) == Decimal("30700.00")


def test_the_fair_chance_fund_card_terms() -> None:
    assert FCF.contract == "FCF-2025-01"
    assert (FCF.effective_from, FCF.referral_from, FCF.referral_to) == (d(2025, 10, 1), d(2025, 10, 1), d(2026, 9, 30))
    assert FCF.frequency is Frequency.QUARTERLY
    assert FCF.cohort == 300
    assert FCF.participant_cap == Decimal("15000.00")
    assert FCF.contract_cap == Decimal("1500000.00")
    assert FCF.payers == (Payer("central fund", Decimal(30)), Payer("council", Decimal(70)))
    assert FCF.attachment_fee == 0 and FCF.service_fee_percent == 0
    assert FCF.eligibility == Eligibility(min_age=18, max_age=24)


def test_a_cohort_cap_is_price_times_cohort() -> None:
    assert FCF.outcome_cap("ACC_ENTRY") == Decimal("150000.00")  # 500.00 x 300
    assert FCF.outcome_cap("ACC_S3") is None  # no cap written


def test_acc_s6_needs_acc_s3_and_six_months_since_entry() -> None:
    s6 = FCF.outcomes["ACC_S6"]
    assert s6 == Outcome(
        code="ACC_S6",
        name="Accommodation sustained 6 months",
        price=Decimal("1500.00"),
        requires=(Prerequisite("ACC_S3"), Prerequisite("ACC_ENTRY", Interval(6, IntervalUnit.MONTHS))),
        evidence="tenancy_check",
    )
    assert [str(p) for p in s6.requires] == ["ACC_S3", "ACC_ENTRY + 6 months"]


def test_groups_make_the_13_and_26_week_job_outcomes_exclusive() -> None:
    groups = {code: o.group for code, o in FCF.outcomes.items() if o.group}
    assert groups == {"EMP_PT13": "job_13", "EMP_FT13": "job_13", "EMP_PT26": "job_26", "EMP_FT26": "job_26"}
    assert FCF.outcomes["EMP_FT26"].requires == (Prerequisite("EMP_FT13", Interval(13, IntervalUnit.WEEKS)),)


# --------------------------------------------------------------------------- problems, each with field and line


def test_a_missing_contract_is_reported() -> None:
    fields = fcf_fields()
    del fields["contract"]
    assert problems_of(fields, line=4) == [
        CardProblem(4, "contract", "is missing (the reference of the payment-by-results contract)")
    ]


def test_a_date_not_in_iso_form_is_reported() -> None:
    fields = fcf_fields()
    fields["effective_from"] = "01/10/2025"  # 1 October or 10 January? ISO only
    assert problems_of(fields) == [
        CardProblem(None, "effective_from", "'01/10/2025' is not a date in ISO form (YYYY-MM-DD, e.g. 2026-03-31)")
    ]


def test_a_missing_date_is_reported() -> None:
    fields = fcf_fields()
    del fields["referral_to"]
    assert problems_of(fields) == [CardProblem(None, "referral_to", "is missing (an ISO date, e.g. 2026-04-01)")]


def test_a_window_that_ends_before_it_starts_is_reported() -> None:
    fields = fcf_fields()
    fields["referral_to"] = d(2025, 9, 30)
    assert problems_of(fields) == [
        CardProblem(None, "referral_to", "2025-09-30 is before referral_from 2025-10-01"),
    ]


def test_a_negative_price_is_reported_on_its_line() -> None:
    fields = fcf_fields()
    outcome_fields(fields, "ASSESS_3")["price"] = "-200.00"
    assert problems_of(fields) == [
        CardProblem(LINES["ASSESS_3"], "price", "-200.00 is negative; an amount here is never below zero")
    ]


def test_an_unquoted_decimal_price_is_refused_as_a_float() -> None:
    fields = fcf_fields()
    price = yaml.safe_load("price: 1500.5")["price"]  # what YAML makes of an unquoted amount
    assert isinstance(price, float)
    outcome_fields(fields, "ACC_S18")["price"] = price
    assert problems_of(fields) == [
        CardProblem(LINES["ACC_S18"], "price", "1500.5 was read as a floating-point number; write it in quotes")
    ]


def test_a_whole_unquoted_price_is_exact() -> None:
    fields = fcf_fields()
    outcome_fields(fields, "ACC_S18")["price"] = yaml.safe_load("price: 1500")["price"]
    assert read(fields).outcomes["ACC_S18"].price == Decimal("1500.00")


def test_a_fraction_of_a_penny_is_refused_on_its_line() -> None:
    fields = fcf_fields()
    outcome_fields(fields, "EDU_L2")["price"] = "1.001"
    (problem,) = problems_of(fields)
    assert (problem.line, problem.field) == (LINES["EDU_L2"], "price")
    assert "'1.001'" in problem.reason


def test_an_unknown_prerequisite_is_reported_on_its_line() -> None:
    fields = fcf_fields()
    outcome_fields(fields, "VOL_26")["requires"] = [{"outcome": "VOL_30", "after": "6 weeks"}]
    assert problems_of(fields) == [CardProblem(LINES["VOL_26"], "requires", "'VOL_30' is not an outcome on this card")]


def test_a_bad_interval_is_reported_on_its_line() -> None:
    fields = fcf_fields()
    outcome_fields(fields, "VOL_26")["requires"] = [{"outcome": "VOL_20", "after": "6 fortnights"}]
    assert problems_of(fields) == [
        CardProblem(
            LINES["VOL_26"], "requires", "'6 fortnights' is not an interval; write e.g. 3 months, 13 weeks or 90 days"
        )
    ]


BIG = "1" + "0" * 29  # 30 digits: past a 64-bit integer, and past any date


def test_whole_numbers_past_what_the_database_or_a_calendar_holds_are_refused_on_their_line() -> None:
    """Each of these was read as given: a cohort or times_payable past a 64-bit integer, an age range or an
    interval of 10^29 months, which overflowed at the first claim decided against the card."""
    fields = fcf_fields()
    fields["cohort"] = BIG
    fields["eligibility"]["age_at_referral"] = f"18-{BIG}"
    outcome_fields(fields, "VOL_26")["requires"] = [{"outcome": "VOL_20", "after": f"{BIG} months"}]
    outcome_fields(fields, "ASSESS_1")["times_payable"] = BIG
    problems = problems_of(fields)
    assert CardProblem(None, "cohort", "too large: at most 9,223,372,036,854,775,807") in problems
    assert CardProblem(None, "eligibility.age_at_referral", f"'18-{BIG}': too large: at most 200 years") in problems
    assert CardProblem(LINES["VOL_26"], "requires", f"'{BIG} months': too large: at most 2,400 months (200 years)") \
        in problems  # fmt: skip
    assert CardProblem(LINES["ASSESS_1"], "times_payable", "too large: at most 9,223,372,036,854,775,807") in problems
    # the largest taken: as written
    fields = fcf_fields()
    outcome_fields(fields, "VOL_26")["requires"] = [{"outcome": "VOL_20", "after": "2400 months"}]
    outcome_fields(fields, "ASSESS_1")["times_payable"] = str(2**63 - 1)
    card = read(fields)
    assert card.outcomes["ASSESS_1"].times_payable == 2**63 - 1


def test_circular_requirements_are_reported() -> None:
    fields = fcf_fields()
    outcome_fields(fields, "ASSESS_1")["requires"] = [{"outcome": "ASSESS_3"}]
    (problem,) = problems_of(fields)
    assert problem.field == "requires"
    assert problem.reason == "outcomes require each other in a circle: ASSESS_1 -> ASSESS_3 -> ASSESS_2 -> ASSESS_1"


def test_circular_requirements_name_a_line_of_the_circle() -> None:
    fields = fcf_fields()
    outcome_fields(fields, "ASSESS_1")["requires"] = [{"outcome": "ASSESS_3"}]
    (problem,) = problems_of(fields)
    assert problem.line in {LINES["ASSESS_1"], LINES["ASSESS_2"], LINES["ASSESS_3"]}


def test_a_self_requirement_is_a_circle() -> None:
    fields = fcf_fields()
    outcome_fields(fields, "VOL_6")["requires"] = [{"outcome": "VOL_6", "after": "1 week"}]
    (problem,) = problems_of(fields)
    assert (problem.field, problem.reason) == ("requires", "outcomes require each other in a circle: VOL_6 -> VOL_6")


def test_payer_shares_must_add_up_to_100() -> None:
    fields = fcf_fields()
    fields["payers"] = [{"name": "central fund", "share": 30}, {"name": "council", "share": 60}]
    assert problems_of(fields) == [CardProblem(None, "payers", "the shares add up to 90%, not 100%")]


def test_a_payer_named_twice_is_reported() -> None:
    fields = fcf_fields()
    fields["payers"] = "council:50; council:50"
    assert problems_of(fields) == [CardProblem(None, "payers", "a payer is named twice")]


def test_an_attachment_fee_and_a_service_fee_together_are_refused() -> None:
    fields = fcf_fields()
    fields["attachment_fee"] = "400.00"
    fields["service_fee_percent"] = 30
    assert problems_of(fields) == [
        CardProblem(None, "service_fee_percent", "a card has an attachment fee or a service fee, not both")
    ]


def test_either_fee_alone_is_read() -> None:
    fields = fcf_fields()
    fields["attachment_fee"] = "400.00"
    assert read(fields).attachment_fee == Decimal("400.00")
    fields = fcf_fields()
    fields["service_fee_percent"] = "30%"
    assert read(fields).service_fee_percent == Decimal(30)


def test_a_service_fee_over_100_percent_is_refused() -> None:
    fields = fcf_fields()
    fields["service_fee_percent"] = "130"
    assert problems_of(fields) == [CardProblem(None, "service_fee_percent", "'130' is over 100%")]


def test_a_bad_frequency_is_reported() -> None:
    fields = fcf_fields()
    fields["frequency"] = "weekly"
    assert problems_of(fields) == [CardProblem(None, "frequency", "'weekly' is not monthly or quarterly")]


def test_monthly_frequency_reads() -> None:
    fields = fcf_fields()
    fields["frequency"] = "Monthly"
    assert read(fields).frequency is Frequency.MONTHLY


def test_a_code_listed_twice_is_reported_on_the_second_line() -> None:
    fields = fcf_fields()
    fields["outcomes"].append({"code": "VOL_26", "name": "Again", "price": "250.00", "__line__": 70})
    assert problems_of(fields) == [CardProblem(70, "code", "VOL_26 is listed twice")]


def test_a_code_with_a_space_is_refused() -> None:
    fields = fcf_fields()
    fields["outcomes"].append({"code": "acc entry", "name": "Entry", "price": "500.00", "__line__": 71})
    assert problems_of(fields) == [
        CardProblem(71, "code", "'acc entry' is not an outcome code (capitals, digits and _, e.g. ACC_S3)")
    ]


def test_a_lower_case_code_is_refused_as_the_readme_says_codes_are_capitals() -> None:
    fields = fcf_fields()
    fields["outcomes"].append({"code": "b1", "name": "B one", "price": "250.00", "__line__": 72})
    assert problems_of(fields) == [
        CardProblem(72, "code", "'b1' is not an outcome code (capitals, digits and _, e.g. ACC_S3)")
    ]


def test_a_cohort_cap_without_a_cohort_is_reported() -> None:
    fields = fcf_fields()
    del fields["cohort"]
    assert problems_of(fields) == [
        CardProblem(LINES["ACC_ENTRY"], "cap", "'cohort' needs the card's cohort size (cohort: 300)")
    ]


def test_an_amount_cap_is_read() -> None:
    fields = fcf_fields()
    outcome_fields(fields, "EDU_L2")["cap"] = "35000.00"
    assert read(fields).outcome_cap("EDU_L2") == Decimal("35000.00")


def test_every_problem_is_reported_at_once() -> None:
    fields = fcf_fields()
    del fields["contract"]
    fields["frequency"] = "weekly"
    outcome_fields(fields, "ASSESS_3")["price"] = "-200.00"
    outcome_fields(fields, "VOL_26")["requires"] = "VOL_30"
    problems = problems_of(fields)
    assert [(p.line, p.field) for p in problems] == [
        (None, "contract"),
        (None, "frequency"),
        (LINES["ASSESS_3"], "price"),
        (LINES["VOL_26"], "requires"),
    ]


# --------------------------------------------------------------------------- the CSV forms


def test_payers_in_csv_form() -> None:
    fields = fcf_fields()
    fields["payers"] = "central fund:30; council:70"
    assert read(fields).payers == (Payer("central fund", Decimal(30)), Payer("council", Decimal(70)))


def test_no_payers_means_the_commissioner_pays_everything() -> None:
    fields = fcf_fields()
    del fields["payers"]
    assert read(fields).payers == (Payer("commissioner", Decimal(100)),)


def test_requirements_in_csv_form() -> None:
    fields = fcf_fields()
    outcome_fields(fields, "ACC_S6")["requires"] = "ACC_S3; ACC_ENTRY+6 months"
    assert read(fields).outcomes["ACC_S6"].requires == FCF.outcomes["ACC_S6"].requires


def test_eligibility_in_csv_form() -> None:
    fields = fcf_fields()
    fields["eligibility"] = "age_at_referral=18-24;local_authority=leeds|bradford"
    eligibility = read(fields).eligibility
    assert eligibility == Eligibility(18, 24, {"local_authority": frozenset({"leeds", "bradford"})})
    assert eligibility.describe() == {"age_at_referral": "18-24", "local_authority": ["bradford", "leeds"]}


def test_a_bad_age_range_is_reported() -> None:
    fields = fcf_fields()
    fields["eligibility"] = {"age_at_referral": "24-18"}
    assert problems_of(fields) == [
        CardProblem(None, "eligibility.age_at_referral", "'24-18' is not an age range such as 18-24")
    ]


# --------------------------------------------------------------------------- intervals


@pytest.mark.parametrize(
    ("text", "start", "expected"),
    [
        ("3 months", d(2025, 11, 30), d(2026, 2, 28)),  # corresponding-date rule: no 30 February
        ("3 months", d(2025, 10, 1), d(2026, 1, 1)),
        ("6 months", d(2025, 8, 31), d(2026, 2, 28)),  # from the anchor, clamped once
        ("12 months", d(2028, 2, 29), d(2029, 2, 28)),
        ("13 weeks", d(2025, 11, 3), d(2026, 2, 2)),  # 91 days
        ("1 week", d(2025, 12, 29), d(2026, 1, 5)),
        ("90 days", d(2025, 10, 1), d(2025, 12, 30)),  # 30 + 30 + 30
        ("90 days", d(2025, 11, 30), d(2026, 2, 28)),  # 1 + 31 + 31 + 27
    ],
)
def test_an_interval_after_a_day(text: str, start: dt.date, expected: dt.date) -> None:
    interval, why = parse_interval(text)
    assert interval is not None, why
    assert interval.after(start) == expected


def test_intervals_read_and_print_in_words() -> None:
    assert parse_interval("1 Month") == (Interval(1, IntervalUnit.MONTHS), None)
    assert str(Interval(1, IntervalUnit.WEEKS)) == "1 week"
    assert str(Interval(13, IntervalUnit.WEEKS)) == "13 weeks"
    assert parse_interval("soon") == (None, "'soon' is not an interval; write e.g. 3 months, 13 weeks or 90 days")


# --------------------------------------------------------------------------- versions


def test_version_for_picks_the_card_in_force_on_the_day() -> None:
    v2 = replace(FCF, effective_from=d(2026, 4, 1))
    cards = [FCF, v2]
    assert version_for(cards, d(2025, 9, 30)) is None
    assert version_for(cards, d(2025, 10, 1)) is FCF
    assert version_for(cards, d(2026, 3, 31)) is FCF
    assert version_for(cards, d(2026, 4, 1)) is v2
    assert version_for(cards, d(2030, 1, 1)) is v2
    assert version_for([], d(2026, 1, 1)) is None


# --------------------------------------------------------------------------- eligibility at referral


def test_age_24_on_the_referral_day_is_eligible() -> None:
    # born 2 October 2001: 24 on 1 October 2026, 25 the next day
    assert age_on(d(2001, 10, 2), d(2026, 10, 1)) == 24
    assert FCF.eligibility.problem(d(2026, 10, 1), d(2001, 10, 2), {}) is None


def test_turning_25_on_the_referral_day_is_not() -> None:
    assert FCF.eligibility.problem(d(2026, 10, 1), d(2001, 10, 1), {}) == (
        "was 25 at referral on 2026-10-01; the contract takes ages 18-24"
    )


def test_turning_18_on_the_referral_day_is_eligible() -> None:
    assert FCF.eligibility.problem(d(2025, 10, 1), d(2007, 10, 1), {}) is None
    assert FCF.eligibility.problem(d(2025, 10, 1), d(2007, 10, 2), {}) == (
        "was 17 at referral on 2025-10-01; the contract takes ages 18-24"
    )


def test_a_29_february_birthday_turns_over_on_1_march() -> None:
    born = d(2000, 2, 29)
    assert age_on(born, d(2025, 2, 28)) == 24
    assert age_on(born, d(2025, 3, 1)) == 25
    assert age_on(born, d(2024, 2, 29)) == 24  # a leap year: the birthday itself
    assert FCF.eligibility.problem(d(2025, 2, 28), born, {}) is None
    assert FCF.eligibility.problem(d(2025, 3, 1), born, {}) == (
        "was 25 at referral on 2025-03-01; the contract takes ages 18-24"
    )


def test_an_age_criterion_needs_a_date_of_birth() -> None:
    assert FCF.eligibility.problem(d(2026, 1, 5), None, {}) == "has no date of birth, which the age criterion needs"


def test_attribute_criteria_ignore_case() -> None:
    rule = Eligibility(18, 24, {"local_authority": frozenset({"leeds", "bradford"})})
    born = d(2004, 6, 1)
    assert rule.problem(d(2026, 1, 5), born, {"local_authority": "Leeds"}) is None
    assert rule.problem(d(2026, 1, 5), born, {"local_authority": "York"}) == (
        "has local_authority 'York'; the contract takes bradford, leeds"
    )
    assert rule.problem(d(2026, 1, 5), born, {}) == "has no local_authority"


def test_no_criteria_take_everyone() -> None:
    assert Eligibility().problem(d(2026, 1, 5), None, {}) is None
