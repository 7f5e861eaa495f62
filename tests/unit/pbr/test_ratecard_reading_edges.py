"""Reading a rate card at the edges: a one-day referral window, a single age, a cohort of 0, and several
problems of one kind in one file, each named."""

import datetime as dt
from decimal import Decimal
from typing import Any

from policies.pbr.participants import Eligibility
from policies.pbr.ratecard_reading import CardProblem
from tests.unit.pbr.test_ratecard import LINES, fcf_fields, outcome_fields, problems_of, read

L = LINES["ASSESS_1"]


class _ImpossibleDate(str):
    """What the YAML reader gives for an unquoted 2027-02-30: its text, with its own line."""

    line: int


def test_a_one_day_referral_window_is_allowed() -> None:
    # A pilot taking referrals on 1 October 2025 only.
    fields = fcf_fields()
    fields["referral_to"] = dt.date(2025, 10, 1)
    card = read(fields)
    assert (card.referral_from, card.referral_to) == (dt.date(2025, 10, 1), dt.date(2025, 10, 1))


def test_a_date_and_time_is_not_a_date() -> None:
    # YAML reads `effective_from: 2025-10-01 09:00` as a date and time; a card starts on a day.
    fields = fcf_fields()
    fields["effective_from"] = dt.datetime(2025, 10, 1, 9, 0)
    assert problems_of(fields) == [
        CardProblem(
            None, "effective_from", "'2025-10-01 09:00:00' is not a date in ISO form (YYYY-MM-DD, e.g. 2026-03-31)"
        )
    ]


def test_an_impossible_date_is_named_on_its_own_line() -> None:
    fields = fcf_fields()
    day = _ImpossibleDate("2027-02-30")
    day.line = 10
    fields["referral_to"] = day
    assert problems_of(fields) == [
        CardProblem(10, "referral_to", "'2027-02-30' is not a date: day is out of range for month")
    ]


def test_a_cohort_of_0_is_refused_and_of_1_allowed() -> None:
    fields = fcf_fields()
    fields["cohort"] = 0
    # With no cohort size, ACC_ENTRY's "cohort" cap cannot be worked out either: both are named.
    assert problems_of(fields) == [
        CardProblem(None, "cohort", "'0' is not a whole number of at least 1"),
        CardProblem(LINES["ACC_ENTRY"], "cap", "'cohort' needs the card's cohort size (cohort: 300)"),
    ]
    fields["cohort"] = 1
    # ACC_ENTRY's cap is "cohort": £500.00 x 1 participant x 1 time = £500.00.
    assert read(fields).outcome_cap("ACC_ENTRY") == Decimal("500.00")


def test_a_card_without_a_currency_is_in_pounds() -> None:
    fields = fcf_fields()
    fields.pop("currency", None)
    assert read(fields).currency == "GBP"


def test_payers_mixing_tables_and_text_are_refused() -> None:
    fields = fcf_fields()
    fields["payers"] = [{"name": "central fund", "share": 30}, "council:70"]
    assert problems_of(fields) == [
        CardProblem(None, "payers", "expected a list of {name, share} (or 'central fund:30; council:70')")
    ]


def test_eligibility_of_a_single_age_read_after_its_line_marker() -> None:
    # A YAML mapping carries __line__ first; the age range after it is still read. 18-18: eighteen-year-olds only.
    fields = fcf_fields()
    fields["eligibility"] = {"__line__": 11, "age_at_referral": "18-18"}
    assert read(fields).eligibility == Eligibility(18, 18, {})
    fields["eligibility"] = {"__line__": 11, "age_at_referral": "24-18"}
    assert problems_of(fields) == [
        CardProblem(None, "eligibility.age_at_referral", "'24-18' is not an age range such as 18-24")
    ]


def test_no_outcomes_or_outcomes_mixed_with_text_are_refused() -> None:
    refused = [CardProblem(None, "outcomes", "expected a list of outcomes, each with a code, name and price")]
    fields = fcf_fields()
    fields["outcomes"] = []
    assert problems_of(fields) == refused
    fields = fcf_fields()
    fields["outcomes"] = [*fields["outcomes"], "EMP_PT13"]
    assert problems_of(fields) == refused


def _two_outcomes(first: dict[str, Any], second: dict[str, Any]) -> dict[str, Any]:
    fields = fcf_fields()
    fields["outcomes"] = [{"__line__": L, **first}, {"__line__": L + 1, **second}]
    return fields


def test_two_bad_codes_are_both_named() -> None:
    fields = _two_outcomes({"code": "acc_s3", "name": "a", "price": "1.00"}, {"code": "3ACC", "name": "b"})
    assert problems_of(fields) == [
        CardProblem(L, "code", "'acc_s3' is not an outcome code (capitals, digits and _, e.g. ACC_S3)"),
        CardProblem(L + 1, "code", "'3ACC' is not an outcome code (capitals, digits and _, e.g. ACC_S3)"),
    ]


def test_an_outcome_listed_twice_is_named_and_the_next_still_read() -> None:
    fields = fcf_fields()
    first = {"code": "ASSESS_1", "name": "Initial assessment", "price": "500.00"}
    fields["outcomes"] = [
        {"__line__": L, **first},
        {"__line__": L + 1, **first},
        {"__line__": L + 2, "code": "ASSESS_2", "name": "Second assessment"},
    ]
    assert problems_of(fields) == [
        CardProblem(L + 1, "code", "ASSESS_1 is listed twice"),
        CardProblem(L + 2, "price", "is missing (an amount, e.g. 1500.00)"),
    ]


def test_a_cohort_cap_on_an_outcome_payable_0_times_names_only_the_times() -> None:
    # times_payable 0 is refused; its cohort cap is not worked out, and its prerequisites wait until it is fixed.
    fields = _two_outcomes(
        {"code": "ASSESS_1", "name": "Initial assessment", "price": "500.00"},
        {"code": "ACC_ENTRY", "name": "Entry", "price": "500.00", "times_payable": 0, "cap": "cohort", "requires": "N"},
    )
    assert problems_of(fields) == [CardProblem(L + 1, "times_payable", "'0' is not a whole number of at least 1")]


def test_a_cap_written_as_an_amount_is_read_and_a_bad_one_named() -> None:
    fields = fcf_fields()
    outcome_fields(fields, "ACC_S3")["cap"] = "45000.00"  # 30 sustained tenancies at £1,500.00
    assert read(fields).outcome_cap("ACC_S3") == Decimal("45000.00")
    outcome_fields(fields, "ACC_S3")["cap"] = "-1.00"
    assert problems_of(fields) == [
        CardProblem(LINES["ACC_S3"], "cap", "-1.00 is negative; an amount here is never below zero")
    ]


def test_every_bad_prerequisite_is_named() -> None:
    # Two unknown outcomes, then two unreadable intervals: four problems, in order.
    fields = fcf_fields()
    outcome_fields(fields, "ACC_S6")["requires"] = "ACC_S4; ACC_S5; ACC_S3+3 moons; ACC_ENTRY+six months"
    line = LINES["ACC_S6"]
    assert problems_of(fields) == [
        CardProblem(line, "requires", "'ACC_S4' is not an outcome on this card"),
        CardProblem(line, "requires", "'ACC_S5' is not an outcome on this card"),
        CardProblem(line, "requires", "'3 moons' is not an interval; write e.g. 3 months, 13 weeks or 90 days"),
        CardProblem(line, "requires", "'six months' is not an interval; write e.g. 3 months, 13 weeks or 90 days"),
    ]
