"""Reading a contract at the edges of each rule: the first value refused and the last accepted.

The contract is Housing First as a user writes it (HF-2026-01, £2,400,000, from 1 April 2026 for 3+1+1
years, a break on 31 March 2028) with one thing changed.
"""

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from policies.contracts.clauses import ReviewSchedule
from policies.contracts.terms import ContractDraft, read_contract
from tests.unit.contracts.test_contract_terms import CALENDARS, HOUSING_FIRST, problems_of

d = dt.date
NO_BREAK = {"break_on": "", "break_notice": ""}


def read(**changes: Any) -> ContractDraft:
    draft, problems = read_contract({**HOUSING_FIRST, **changes}, CALENDARS)
    assert draft is not None, [str(p) for p in problems]
    return draft


# --------------------------------------------------------------------------- dates


def test_the_years_allowed_begin_with_1900() -> None:
    # A historical contract from 1 January 1900 (1 year, no break) is read; 31 December 1899 is refused.
    assert read(start="1900-01-01", term="1", **NO_BREAK).terms.start == d(1900, 1, 1)
    assert problems_of({"start": "1899-12-31", "term": "1", **NO_BREAK}) == [
        "start: 1899-12-31 is outside the years 1900-2200"
    ]


@pytest.mark.parametrize("term", ["5", "5 years"])
def test_a_term_whose_next_day_falls_in_2200_is_allowed_one_a_month_later_is_not(term: str) -> None:
    # From 1 December 2195 for 5 years: the term ends 30 November 2200. From 1 January 2196 it ends on
    # 31 December 2200, and the day after it, from which the dates are counted, is in 2201: refused.
    assert read(start="2195-12-01", term=term, **NO_BREAK).terms.start == d(2195, 12, 1)
    assert problems_of({"start": "2196-01-01", "term": term, **NO_BREAK}) == [
        f"term: {term!r} from 2196-01-01 runs past 2200, the last year allowed"
    ]


def test_a_date_and_time_is_not_a_date_even_from_yaml() -> None:
    # YAML reads 2026-04-01 09:00:00 as a date and time: a start is a day, so it is refused as text.
    assert problems_of({"start": dt.datetime(2026, 4, 1, 9, 0)}) == [
        "start: '2026-04-01 09:00:00' is not a date in ISO form (YYYY-MM-DD, e.g. 2026-03-31); "
        "dates must be ISO so 01/04/2026 cannot be misread"
    ]


def test_only_a_date_in_the_wrong_form_gets_the_iso_hint() -> None:
    assert problems_of({"start": "2027-02-30"}) == ["start: '2027-02-30' is not a date: day is out of range for month"]


def test_a_missing_start_is_named_alone_even_with_dated_options() -> None:
    options = [{"from": "2029-04-01", "to": "2030-03-31"}]
    assert problems_of({"start": "", "term": "3", "extensions": options}) == [
        "start: is missing (an ISO date, e.g. 2026-04-01)"
    ]


# --------------------------------------------------------------------------- the term


@pytest.mark.parametrize(
    ("term", "end", "months"),
    [
        ("18 months", None, 18),
        ("1 month", None, 1),
        (None, "2026-04-30", 1),  # 1 April to 30 April: one month
        (None, "2027-03-31", 12),
    ],
)
def test_a_term_in_months_or_by_its_end_date(term: str | None, end: str | None, months: int) -> None:
    draft = read(term=term or "", end=end, **NO_BREAK)
    assert (draft.terms.initial_term_months, draft.terms.extensions) == (months, ())


def test_an_end_date_a_month_after_a_mid_month_start() -> None:
    # From 15 April 2026, one month ends on 14 May 2026 (the day before 15 May).
    assert read(start="2026-04-15", term="", end="2026-05-14", **NO_BREAK).terms.initial_term_months == 1


def test_an_end_date_on_the_start_is_not_a_whole_number_of_months() -> None:
    assert problems_of({"term": "", "end": "2026-04-01", **NO_BREAK}) == [
        "end: 2026-04-01 is not a whole number of months after the start 2026-04-01"
    ]


def test_a_term_of_no_months_is_refused() -> None:
    assert problems_of({"term": "0 months"}) == ["term: must be at least one month"]


def test_dated_options_of_one_month_and_of_ten_years_are_read() -> None:
    # After 3 years to 31 March 2029: a month to 30 April 2029, then ten years to 30 April 2039.
    options = [{"from": "2029-04-01", "to": "2029-04-30"}, {"from": "2029-05-01", "to": "2039-04-30"}]
    draft = read(term="3", extensions=options)
    assert [o.months for o in draft.terms.extensions] == [1, 120]


def test_dated_options_that_are_not_whole_months_or_end_first_are_refused() -> None:
    one_day = [{"from": "2029-04-01", "to": "2029-04-01"}]
    assert problems_of({"term": "3", "extensions": one_day}) == [
        "extensions[1]: 2029-04-01 to 2029-04-01 is not a whole number of months"
    ]
    backwards = [{"from": "2029-04-01", "to": "2029-03-01"}]
    assert problems_of({"term": "3", "extensions": backwards}) == [
        "extensions[1]: ends (2029-03-01) before it begins (2029-04-01)"
    ]
    # Longer than ten years (a month over) is not read as an option.
    too_long = [{"from": "2029-04-01", "to": "2039-04-30"}]
    assert [p.split(":")[0] for p in problems_of({"term": "3", "extensions": too_long})] == ["extensions[1]"]


def test_a_dated_option_without_its_end_names_what_is_missing() -> None:
    assert problems_of({"term": "3", "extensions": [{"from": "2029-04-01"}]}) == [
        "to: is missing (an ISO date, e.g. 2026-04-01)"
    ]
    assert problems_of({"term": "3", "extensions": [{"to": "2030-03-31"}]}) == [
        "from: is missing (an ISO date, e.g. 2026-04-01)"
    ]


# --------------------------------------------------------------------------- money and the KPIs


def test_a_value_as_yaml_gives_it() -> None:
    assert read(value=2400000).terms.value.amount == Decimal(2400000)
    assert read(value="0").terms.value.amount == 0  # a £0 contract, e.g. a grant-funded pilot
    assert read(value="0.50").terms.value.amount == Decimal("0.50")
    assert problems_of({"value": True}) == ["value: 'True' is not an amount of money (e.g. 5250000.00 or £5,250,000)"]


def test_exactly_5_million_needs_no_kpis_and_3_kpis_are_enough_above_it() -> None:
    assert read(value="5,000,000.00", kpis="").kpis == ()
    three = "Tenancies sustained; Entries; Exits to settled housing"
    assert len(read(value="5,000,000.01", kpis=three).kpis) == 3


# --------------------------------------------------------------------------- breaks


def test_no_break_columns_filled_in_means_no_break() -> None:
    assert read(break_on="", break_notice="").terms.breaks == ()


def test_breaks_must_be_a_list_of_clauses() -> None:
    for given in ("2028-03-31", [{"on": "2028-03-31"}, "2029-03-31"]):
        assert problems_of({**NO_BREAK, "breaks": given}) == ["breaks: must be a list of break clauses"]


def test_each_break_is_checked_however_many_are_wrong() -> None:
    breaks = [
        {"on": "2028-03-31", "party": "council"},
        {"on": "2028-02-30"},
        {"on": "2028-03-31", "rolling_from": "2028-01-01"},
        {"notice": "3 months"},
        {"on": "2026-04-01"},
        {"rolling_from": "2026-03-01"},
    ]
    assert problems_of({**NO_BREAK, "breaks": breaks}) == [
        "breaks[1].party: 'council' is not authority, provider or either",
        "breaks[2].on: '2028-02-30' is not a date: day is out of range for month",
        "breaks[3]: give a break date (on) or a rolling-from date, not both",
        "breaks[4]: give a break date (on) or a rolling-from date; neither was given",
        "breaks[5]: the break date 2026-04-01 is on the start 2026-04-01",
        "breaks[6]: the break date 2026-03-01 is before the start 2026-04-01",
    ]


def test_a_listed_break_keeps_its_own_name_in_the_checks_on_whole_terms() -> None:
    assert problems_of({**NO_BREAK, "breaks": [{"on": "2032-03-31"}]}) == [
        "breaks[1]: the break date 2032-03-31 is outside the term (2026-04-01 to 2031-03-31, all extensions used)"
    ]
    # A flat break_on keeps its column's name; another field's problem keeps its own.
    assert problems_of({"extensions_used": "3"}) == ["extensions_used: must be between 0 and 2"]


# --------------------------------------------------------------------------- reviews and numbers


def test_reviews_are_all_on_by_default_with_a_pre_expiry_decision_6_months_out() -> None:
    draft = read()
    assert draft.terms.reviews == ReviewSchedule(quarterly=True, annual=True, mid_term=True, pre_expiry_months=6)
    assert (draft.terms.recommissioning_lead_months, draft.terms.extensions_used) == (18, 0)


def test_yes_and_no_in_the_words_people_use() -> None:
    draft = read(quarterly_monitoring="No", annual_review="y", mid_term_review="false", pre_expiry_months="3")
    assert draft.terms.reviews == ReviewSchedule(quarterly=False, annual=True, mid_term=False, pre_expiry_months=3)
    assert read(annual_review="TRUE", quarterly_monitoring="1").terms.reviews.quarterly is True
    assert problems_of({"annual_review": "maybe"}) == ["annual_review: 'maybe' is not yes or no"]


def test_whole_numbers_of_zero_and_below() -> None:
    # No pre-expiry decision is written as 0; a lead time of 0 is no lead time, so the default 18 stands.
    draft = read(pre_expiry_months="0", recommissioning_lead_months="0", extensions_used="1")
    assert (draft.terms.reviews.pre_expiry_months, draft.terms.recommissioning_lead_months) == (None, 18)
    assert (draft.terms.extensions_used, read(recommissioning_lead_months="12").terms.recommissioning_lead_months) == (
        1,
        12,
    )
    assert problems_of({"pre_expiry_months": "-1"}) == ["pre_expiry_months: cannot be negative"]


@pytest.mark.parametrize(("name", "limit"), [("title", 200), ("provider", 200), ("project", 40)])
def test_text_up_to_its_limit_is_read_a_character_more_is_not(name: str, limit: int) -> None:
    assert read(**{name: "A" * limit}) is not None
    assert problems_of({name: "A" * (limit + 1)}) == [f"{name}: is longer than {limit} characters"]
