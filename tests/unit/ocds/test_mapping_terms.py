"""A planned contract's key dates, variations and payments, its terms, and its reference (policies.ocds.mapping)."""

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from policies.contracts.clauses import ExtensionOption
from policies.contracts.notice import NoticePeriod, NoticeUnit
from policies.money import Money
from policies.ocds.mapping import ContractPlan, read_process, reference_for, terms_of

D = dt.date
# Cambridgeshire's integrated lifestyle service (Contracts Finder, 2020): 1 June 2020 to 31 May 2025.
LIFESTYLE = ContractPlan(
    key="e27b9353-b987-43f6-9551-a0bf2c2f5ef3",
    ocds_id="e27b9353-b987-43f6-9551-a0bf2c2f5ef3",
    title="Cambridgeshire and Peterborough Integrated Lifestyle Service",
    provider="Everyone Health Ltd; Cambridge City Council",
    value=Money(Decimal("14393173")),
    start=D(2020, 6, 1),
    end=D(2025, 5, 31),
    max_extent=None,
    award_on=D(2020, 5, 5),
    signed_on=D(2020, 5, 20),
)


def _contract(**fields: Any) -> ContractPlan:
    """The plan of one published contract with ``fields``, for its award of £14,393,173, June 2020 to May 2025."""
    award = {
        "id": "A-1",
        "value": {"amount": 14393173, "currency": "GBP"},
        "contractPeriod": {"startDate": "2020-06-01T00:00:00Z", "endDate": "2025-05-31T00:00:00Z"},
    }
    [plan] = read_process({"ocid": "ocds-x", "awards": [award], "contracts": [{"awardID": "A-1", **fields}]}).contracts
    return plan


def test_milestones_with_an_id_and_a_due_day_are_kept() -> None:
    milestones = [
        {"id": "term_end:0", "dueDate": "2025-05-31T00:00:00Z"},
        {"id": 7, "dueDate": "2023-05-31T00:00:00Z"},  # a number for an id, kept as text
        {"dueDate": "2024-05-31T00:00:00Z"},  # no id
        {"id": "annual_review:1", "dueDate": ""},  # no day
        "a note",
    ]
    assert _contract(milestones=milestones).milestones == (("term_end:0", D(2025, 5, 31)), ("7", D(2023, 5, 31)))


def test_amendments_with_a_date_are_kept_with_their_words() -> None:
    amendments = [
        {"date": "2022-04-01T09:30:00+01:00", "rationale": " Inflation uplift ", "description": "3% from April"},
        {"date": "April 2023", "rationale": "Scope"},  # not a date-time: left out
        {"date": "2023-10-01T00:00:00Z"},
    ]
    assert _contract(amendments=amendments).amendments == (
        (dt.datetime(2022, 4, 1, 8, 30, tzinfo=dt.UTC), "Inflation uplift", "3% from April"),
        (dt.datetime(2023, 10, 1, tzinfo=dt.UTC), "", ""),
    )


def test_transactions_with_a_date_and_a_value_are_the_payments_made() -> None:
    transactions = [
        {
            "id": "payment-1",
            "date": "2020-07-31T00:00:00Z",
            "value": {"amount": Decimal("239886.22")},
            "payer": {"name": "Cambridgeshire County Council"},
        },
        {"id": "payment-2", "date": "2020-08-31T00:00:00Z", "value": {"amount": -1200}, "payer": {"id": "x"}},
        {"id": "payment-3", "value": {"amount": 100}},  # no date
        {"id": "payment-4", "date": "2020-09-30T00:00:00Z"},  # no value
    ]
    assert _contract(implementation={"transactions": transactions}).transactions == (
        ("payment-1", D(2020, 7, 31), Money(Decimal("239886.22")), "Cambridgeshire County Council"),
        ("payment-2", D(2020, 8, 31), Money(Decimal(-1200)), "(payer not published)"),
    )
    assert _contract(implementation="none yet").transactions == ()


def test_a_whole_number_of_months_is_the_initial_term() -> None:
    terms = terms_of(LIFESTYLE, "CAMBS-LIFESTYLE")
    assert (terms.ref, terms.start, terms.initial_term_months) == ("CAMBS-LIFESTYLE", D(2020, 6, 1), 60)
    assert (terms.published_end, terms.extensions, terms.published_max_extent) == (None, (), None)
    assert (terms.value, terms.award_notice_on, terms.signed_on) == (
        Money(Decimal("14393173")),
        D(2020, 5, 5),
        D(2020, 5, 20),
    )


def test_an_end_that_is_not_whole_months_is_kept_to_the_day() -> None:
    # 1 June 2020 to 15 May 2025: 59 calendar months, and the published end kept as it is
    terms = terms_of(dataclasses.replace(LIFESTYLE, end=D(2025, 5, 15)), "CAMBS-LIFESTYLE")
    assert (terms.initial_term_months, terms.published_end) == (59, D(2025, 5, 15))


def test_a_max_extent_past_the_end_is_one_option_on_three_months_notice() -> None:
    # From 1 June 2025 to 31 May 2027: a 24-month option
    terms = terms_of(dataclasses.replace(LIFESTYLE, max_extent=D(2027, 5, 31)), "CAMBS-LIFESTYLE")
    assert terms.extensions == (ExtensionOption(24, NoticePeriod(3, NoticeUnit.MONTHS)),)
    assert terms.published_max_extent is None


def test_a_max_extent_that_is_not_whole_months_is_kept_to_the_day() -> None:
    # From 1 June 2025 to 15 May 2027: 23 calendar months, the max extent kept as published
    terms = terms_of(dataclasses.replace(LIFESTYLE, max_extent=D(2027, 5, 15)), "CAMBS-LIFESTYLE")
    assert [o.months for o in terms.extensions] == [23]
    assert terms.published_max_extent == D(2027, 5, 15)


def test_a_max_extent_on_the_end_is_no_option() -> None:
    terms = terms_of(dataclasses.replace(LIFESTYLE, max_extent=D(2025, 5, 31)), "CAMBS-LIFESTYLE")
    assert (terms.extensions, terms.published_max_extent) == ((), None)


def test_the_products_own_milestones_restore_the_terms() -> None:
    # The product's export: a 3-year term from 1 June 2020 and one 2-year option (a term end for each)
    milestones = (("term_end:0", D(2023, 5, 31)), ("term_end:1", D(2025, 5, 31)))
    terms = terms_of(dataclasses.replace(LIFESTYLE, milestones=milestones), "CAMBS-LIFESTYLE")
    assert (terms.initial_term_months, [o.months for o in terms.extensions], terms.extensions_used) == (36, [24], 1)


@pytest.mark.parametrize(
    ("candidate", "ref"),
    [
        (" hf-2026-01 ", "HF-2026-01"),
        ("LGSS001/DN453191.v2", "LGSS001/DN453191.V2"),
        ("A1", "A1"),  # two characters: the shortest
        ("A" * 40, "A" * 40),  # forty: the longest
        ("A" * 41, None),
        ("A", None),
        ("HF 2026", None),  # a space
        ("-HF", None),  # must start with a letter or digit
        ("", None),
        (None, None),
    ],
)
def test_a_reference_is_two_to_forty_letters_digits_or_dashes_slashes_dots(
    candidate: str | None, ref: str | None
) -> None:
    assert reference_for(candidate) == ref
