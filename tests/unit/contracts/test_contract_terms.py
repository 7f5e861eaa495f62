"""Reading contracts from user input: the worked example, and each kind of bad input named."""

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from flows.common.calendars import working_day_calendar
from policies.calendars import Nation
from policies.contracts.clauses import Party, expiry, max_extent
from policies.contracts.notice import NoticeUnit
from policies.contracts.terms import PaymentModel, read_contract

CALENDARS = {n: working_day_calendar(n) for n in Nation}
HOUSING_FIRST = {
    "ref": "hf-2026-01",
    "title": "Housing First 18-24",
    "provider": "Northbridge YP Trust",
    "project": "HOM-2024-03",
    "value": "2,400,000",
    "start": "2026-04-01",
    "term": "3+1+1",
    "extension_notice": "12 weeks",
    "break_on": "2028-03-31",
    "break_notice": "3 months",
    "nation": "England",
    "kpis": "Tenancies sustained; Entries",
}


def problems_of(changes: dict[str, Any]) -> list[str]:
    draft, problems = read_contract({**HOUSING_FIRST, **changes}, CALENDARS)
    assert draft is None
    return [str(p) for p in problems]


def test_the_worked_example_reads_as_a_3_plus_1_plus_1_with_a_break() -> None:
    draft, problems = read_contract(HOUSING_FIRST, CALENDARS)
    assert problems == [] and draft is not None
    assert (draft.ref, draft.project, draft.nation, draft.payment_model) == (
        "HF-2026-01",
        "HOM-2024-03",
        Nation.ENGLAND_AND_WALES,
        PaymentModel.BLOCK,
    )
    terms = draft.terms
    assert terms.value.amount == Decimal("2400000")
    assert (expiry(terms), max_extent(terms)) == (dt.date(2029, 3, 31), dt.date(2031, 3, 31))
    assert [(o.months, o.notice.amount, o.notice.unit) for o in terms.extensions] == [
        (12, 12, NoticeUnit.WEEKS),
        (12, 12, NoticeUnit.WEEKS),
    ]
    [clause] = terms.breaks
    assert (clause.on, clause.party, clause.notice.amount) == (dt.date(2028, 3, 31), Party.AUTHORITY, 3)
    assert draft.kpis == ("Tenancies sustained", "Entries")


def test_an_end_date_instead_of_a_term() -> None:
    draft, problems = read_contract({**HOUSING_FIRST, "term": "", "end": "2029-03-31"}, CALENDARS)
    assert problems == [] and draft is not None and draft.terms.initial_term_months == 36


def test_dated_extension_options_that_follow_on() -> None:
    options = [
        {"from": dt.date(2029, 4, 1), "to": dt.date(2030, 3, 31), "notice": "12 weeks"},
        {"from": dt.date(2030, 4, 1), "to": dt.date(2031, 3, 31), "notice": "6 months"},
    ]
    draft, problems = read_contract({**HOUSING_FIRST, "term": "3 years", "extensions": options}, CALENDARS)
    assert problems == [] and draft is not None
    assert [(o.months, str(o.notice)) for o in draft.terms.extensions] == [(12, "12 weeks"), (12, "6 months")]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"break_on": "2032-03-31"},
            "break_on: the break date 2032-03-31 is outside the term (2026-04-01 to 2031-03-31",
        ),
        (
            {"break_on": "2026-06-30", "break_notice": "6 months"},
            "break_on: 6 months notice for a break on 2026-06-30 is longer than the time left",
        ),
        ({"term": "", "end": "2026-03-01"}, "end: 2026-03-01 is before the start 2026-04-01"),
        ({"start": "01/04/2026"}, "start: '01/04/2026' is not a date in ISO form"),
        ({"break_on": "31/03/2028"}, "break_on: '31/03/2028' is not a date in ISO form"),
        ({"nation": "Wessex"}, "nation: 'Wessex' is not a nation"),
        ({"value": "12,5"}, "value: '12,5' is not an amount of money"),
        ({"value": 2400000.5}, "value: 2400000.5 was read as a floating-point number"),
        ({"value": 10**23}, "value: too large: an amount is at most £92,233,720,368,547,758.07"),  # a TOML number
        ({"value": "99999999999999999999999"}, "value: too large: an amount is at most £92,233,720,368,547,758.07"),
        ({"value": "5,000,000.01"}, "kpis: a contract over £5m needs at least 3 KPIs (Procurement Act 2023); 2 given"),
        ({"term": "three years"}, "term: 'three years' is not a term"),
        ({"term": "3+0"}, "term: '3+0': every part must be at least a year"),
        ({"ref": "bad ref!"}, "ref: 'BAD REF!' must be 2-40 letters"),
        ({"payment_model": "vibes"}, "payment_model: must be block, payment_by_results or hybrid"),
        ({"break_party": "council"}, "break_party: 'council' is not authority, provider or either"),
        ({"extension_notice": "soon"}, "extension_notice: 'soon' is not a notice period"),
        # whole numbers past what the database or a calendar holds: refused, not an overflow traceback
        ({"pre_expiry_months": "1" + "0" * 29}, "pre_expiry_months: too large: at most 2,400 months (200 years)"),
        ({"recommissioning_lead_months": "2401"}, "recommissioning_lead_months: too large: at most 2,400 months"),
        ({"extensions_used": "1" + "0" * 29}, "extensions_used: too large: at most 9,223,372,036,854,775,807"),
        (
            {"extension_notice": "1" + "0" * 29 + " weeks"},
            "extension_notice: '1" + "0" * 29 + " weeks': too large: at most 10,436 weeks (200 years)",
        ),
        (
            {"break_on": "2028-03-31", "break_notice": "99999999999999999999 working days"},
            "break_notice: '99999999999999999999 working days': too large: at most 73,050 working days",
        ),
    ],
)
def test_bad_input_names_the_field_and_the_reason(changes: dict[str, Any], expected: str) -> None:
    assert any(p.startswith(expected) for p in problems_of(changes)), problems_of(changes)


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (
            [{"from": "2029-03-01", "to": "2030-02-28"}],
            "extensions[1]: overlaps the term before it, which runs to 2029-03-31",
        ),
        (
            [{"from": "2029-04-01", "to": "2030-03-31"}, {"from": "2030-01-01", "to": "2030-12-31"}],
            "extensions[2]: overlaps the term before it, which runs to 2030-03-31",
        ),
        ([{"from": "2029-05-01", "to": "2030-04-30"}], "extensions[1]: leaves a gap: it should begin on 2029-04-01"),
    ],
)
def test_overlapping_extension_options_are_refused(options: list[dict[str, str]], expected: str) -> None:
    assert expected in problems_of({"term": "3 years", "extensions": options})


def test_every_problem_in_a_row_is_reported() -> None:
    assert len(problems_of({"title": "", "start": "2026-13-01", "nation": "Mars"})) == 3


def test_a_malformed_break_date_gets_only_its_own_message() -> None:
    problems = problems_of({"break_on": "2028-02-30"})
    assert [p.split(":")[0] for p in problems] == ["break_on"], problems
    assert "not both" not in " ".join(problems)


def test_a_break_with_neither_date_says_neither_was_given() -> None:
    problems = problems_of({"break_on": "", "breaks": [{"notice": "3 months"}]})
    assert problems == ["breaks[1]: give a break date (on) or a rolling-from date; neither was given"]


def test_a_break_with_both_dates_says_not_both() -> None:
    problems = problems_of({"breaks": [{"on": "2028-03-31", "rolling_from": "2028-01-01"}]})
    assert problems == ["breaks[1]: give a break date (on) or a rolling-from date, not both"]


def test_a_break_before_the_start_is_not_hidden_behind_another_break_error() -> None:
    breaks = [{"on": "2028-03-31", "notice": "soon"}, {"on": "2025-01-01"}]
    problems = problems_of({"break_on": "", "breaks": breaks})
    assert "breaks[1].notice: 'soon' is not a notice period" in " ".join(problems)
    assert "breaks[2]: the break date 2025-01-01 is before the start 2026-04-01" in problems, problems


def test_a_published_period_keeps_its_end_to_the_day() -> None:
    """Contracts Finder: 2019-11-30 to 2021-10-31 is not a whole number of months, and is kept as published."""
    import dataclasses
    import datetime as dt
    from decimal import Decimal

    from policies.contracts.clauses import ContractTerms, ExtensionOption, expiry, max_extent, option_end
    from policies.contracts.notice import NoticePeriod, NoticeUnit
    from policies.money import Money

    notice = NoticePeriod(3, NoticeUnit.MONTHS)
    terms = ContractTerms(
        ref="CF-1",
        start=dt.date(2019, 11, 30),
        initial_term_months=23,
        value=Money(Decimal("100")),
        extensions=(ExtensionOption(12, notice),),
        published_end=dt.date(2021, 10, 31),
    )
    assert expiry(terms) == dt.date(2021, 10, 31)
    assert max_extent(terms) == dt.date(2022, 10, 31)  # the option runs on from the day after the published end
    published = dataclasses.replace(terms, published_max_extent=dt.date(2022, 12, 15))
    assert max_extent(published) == dt.date(2022, 12, 15)
    assert option_end(published, 0) == dt.date(2021, 10, 31)
    assert expiry(dataclasses.replace(published, extensions_used=1)) == dt.date(2022, 12, 15)


def test_a_published_max_extent_with_no_option_to_take_does_not_move_the_end() -> None:
    # A notice with no extension options but a maxExtentDate after its end (a publisher's slip): with no option to
    # take, the contract ends on its published end, 31 Oct 2021, and the stray 15 Dec 2021 is no end of it.
    import datetime as dt
    from decimal import Decimal

    from policies.contracts.clauses import ContractTerms, expiry, max_extent, option_end
    from policies.money import Money

    terms = ContractTerms(
        ref="CF-2019-77",
        start=dt.date(2019, 11, 30),
        initial_term_months=23,
        value=Money(Decimal("100")),
        published_end=dt.date(2021, 10, 31),
        published_max_extent=dt.date(2021, 12, 15),
    )
    assert option_end(terms, 0) == expiry(terms) == max_extent(terms) == dt.date(2021, 10, 31)
