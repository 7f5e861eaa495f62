"""A release checked field by field (policies.ocds.releases): each problem named by its JSON path, both edges."""

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from policies.ocds.releases import amount_of, check_release, day_of, instant_of

ROOT = "$.releases[4]"


def _release(**fields: Any) -> dict[str, Any]:
    """A Contracts Finder award release (the BFI's Cannes stand, 2019) with ``fields`` set over it."""
    release: dict[str, Any] = {
        "ocid": "ocds-b5fd17raw-0054a4e6-0715-42c6-9109-e219fe9d3289",
        "id": "ocds-b5fd17-0054a4e6-0715-42c6-9109-e219fe9d3289-358876-2019-210---award",
        "date": "2019-07-05T00:00:00Z",
    }
    return release | fields


def _problems(release: Any) -> list[str]:
    return [str(p) for p in check_release(release, ROOT, today=dt.date(2026, 12, 1))]


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("2020-04-01T00:00:00Z", dt.date(2020, 4, 1)),
        ("2020-04-01t00:00:00z", dt.date(2020, 4, 1)),  # lower-case T and Z are RFC 3339 too
        ("2020-03-31T23:30:00-01:00", dt.date(2020, 3, 31)),  # the day in its own offset, not in UTC
        ("2020-04-01T00:30:00.250+01:00", dt.date(2020, 4, 1)),
    ],
)
def test_a_date_time_names_the_day_written_in_it(text: str, day: dt.date) -> None:
    assert day_of(text) == (day, None)


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("", '"" is not a date-time (e.g. 2020-04-01T00:00:00Z)'),
        ("2020-04-01", '"2020-04-01" is not a date-time (e.g. 2020-04-01T00:00:00Z)'),  # a date with no time
        (20200401, "20200401 is not a date-time (e.g. 2020-04-01T00:00:00Z)"),
        ("2021-02-29T00:00:00Z", '"2021-02-29T00:00:00Z" is not a date-time: no such day or time'),
    ],
)
def test_what_is_not_a_date_time_says_why(value: Any, why: str) -> None:
    assert day_of(value) == (None, why)


def test_an_absent_date_is_no_day_and_no_problem() -> None:
    assert day_of(None) == (None, None)


def test_an_instant_keeps_its_offset() -> None:
    assert instant_of("2021-01-15T09:30:00+01:00") == dt.datetime(2021, 1, 15, 8, 30, tzinfo=dt.UTC)
    assert instant_of("2021-01-15T09:30:00Z") == dt.datetime(2021, 1, 15, 9, 30, tzinfo=dt.UTC)
    assert instant_of(None) is None
    assert instant_of("") is None


@pytest.mark.parametrize(
    ("value", "amount"),
    [(14393173, Decimal("14393173")), (Decimal("4999.99"), Decimal("4999.99")), (0, Decimal(0)), (None, None)],
)
def test_an_amount_is_a_whole_number_or_a_decimal(value: Any, amount: Decimal | None) -> None:
    assert amount_of(value) == (amount, None)


@pytest.mark.parametrize(
    ("value", "why"),
    [
        (True, "True is not a number"),  # a bool is an int to Python, not to JSON
        ("14393173", '"14393173" is not a number'),
        (4999.99, "4999.99 is not a number"),  # a float: the file was not read with Decimal
        (Decimal("NaN"), "Decimal('NaN') is not a number"),
        (Decimal("Infinity"), "Decimal('Infinity') is not a number"),
    ],
)
def test_what_is_not_an_amount_says_why(value: Any, why: str) -> None:
    assert amount_of(value) == (None, why)


def test_an_amount_is_at_most_what_64_bit_pence_hold_and_no_more() -> None:
    most = Decimal(2**63 - 1) / 100  # £92,233,720,368,547,758.07
    assert amount_of(most) == (most, None)
    assert amount_of(-most) == (-most, None)
    assert amount_of(most + Decimal("0.01")) == (None, "too large")
    assert amount_of(int("9" * 400)) == (None, "too large")  # 400 digits: no decimal.InvalidOperation
    assert amount_of(Decimal("1E+400")) == (None, "too large")


def test_a_value_cannot_be_negative_but_a_payment_can_reverse_one() -> None:
    contract = {"id": "C-1", "value": {"amount": -5000, "currency": "GBP"}}
    payment = {"id": "T1", "date": "2019-12-01T00:00:00Z", "value": {"amount": -5000, "currency": "GBP"}}
    assert _problems(_release(contracts=[contract | {"implementation": {"transactions": [payment]}}])) == [
        f"{ROOT}.contracts[0].value.amount: cannot be negative"
    ]
    assert _problems(_release(awards=[{"id": "A", "value": {"amount": 0, "currency": "GBP"}}])) == []


def test_something_done_may_be_dated_today_but_not_tomorrow() -> None:
    today = dt.date(2026, 12, 1)
    on = {"id": "A", "date": "2026-12-01T23:59:59Z", "contractPeriod": {"startDate": "2030-01-01T00:00:00Z"}}
    assert check_release(_release(awards=[on]), ROOT, today=today) == []  # a period may lie ahead
    after = {"id": "A", "date": "2026-12-02T00:00:00Z"}
    assert [str(p) for p in check_release(_release(awards=[after]), ROOT, today=today)] == [
        f"{ROOT}.awards[0].date: 2026-12-02 is in the future (after 2026-12-01)"
    ]


@pytest.mark.parametrize(
    ("where", "value"),
    [("awards", "2026-12-07T22:00:00-08:00"), ("release", "2026-12-07T23:30:00-05:00")],
)
def test_something_done_later_today_elsewhere_but_tomorrow_in_london_is_in_the_future(where: str, value: str) -> None:
    today = dt.date(2026, 12, 7)  # 22:00 in Los Angeles is 06:00 on 8 December in London; 23:30 in New York, 04:30
    release = _release(awards=[{"id": "A", "date": value}]) if where == "awards" else _release() | {"date": value}
    path = f"{ROOT}.awards[0].date" if where == "awards" else f"{ROOT}.date"
    assert [str(p) for p in check_release(release, ROOT, today=today)] == [
        f"{path}: {value} (2026-12-08 in Europe/London) is in the future (after 2026-12-07)"
    ]
    earlier = value.replace("T22:00", "T15:00").replace("T23:30", "T18:30")  # 23:00 and 23:30 in London: today
    fine = _release(awards=[{"id": "A", "date": earlier}]) if where == "awards" else _release() | {"date": earlier}
    assert check_release(fine, ROOT, today=today) == []


@pytest.mark.parametrize(("start", "end"), [("1899-01-01", "2201-12-31"), ("0001-01-01", "9999-12-31")])
def test_every_date_read_is_in_the_years_1900_to_2200(start: str, end: str) -> None:
    """The hostile trial's case: a contract period of 1899 to 2201 was imported with about 1,200 key dates, and
    one of 0001 to 9999 failed on "year 10000 is out of range", naming no file or path."""
    period = {"startDate": f"{start}T00:00:00Z", "endDate": f"{end}T00:00:00Z"}
    contract = {"id": "C", "dateSigned": f"{start}T00:00:00Z", "period": period,
                "milestones": [{"id": "M", "dueDate": f"{end}T00:00:00Z"}],
                "documents": [{"id": "D", "datePublished": f"{start}T00:00:00Z"}]}  # fmt: skip
    release = _release(awards=[{"id": "A", "date": f"{start}T00:00:00Z", "contractPeriod": period}])
    where = f"{ROOT}.awards[0]"
    assert _problems(release) == [
        f"{where}.date: {start} is outside the years 1900-2200",
        f"{where}.contractPeriod.startDate: {start} is outside the years 1900-2200",
        f"{where}.contractPeriod.endDate: {end} is outside the years 1900-2200",
    ]
    where = f"{ROOT}.contracts[0]"
    assert _problems(_release(contracts=[contract])) == [
        f"{where}.dateSigned: {start} is outside the years 1900-2200",
        f"{where}.period.startDate: {start} is outside the years 1900-2200",
        f"{where}.period.endDate: {end} is outside the years 1900-2200",
        f"{where}.milestones[0].dueDate: {end} is outside the years 1900-2200",
        f"{where}.documents[0].datePublished: {start} is outside the years 1900-2200",
    ]
    assert day_of("1900-01-01T00:00:00Z")[0] == dt.date(1900, 1, 1)
    assert day_of("2200-12-31T23:59:59Z")[0] == dt.date(2200, 12, 31)


def test_an_amount_with_fractions_of_a_penny_is_refused_not_rounded() -> None:
    award = {"id": "A", "value": {"amount": Decimal("100.005"), "currency": "GBP"}}
    assert _problems(_release(awards=[award])) == [
        f"{ROOT}.awards[0].value.amount: 100.005 has fractions of a penny; give whole pence"
    ]
    whole = {"id": "A", "value": {"amount": Decimal("100.500"), "currency": "GBP"}}  # £100.50, written long
    assert _problems(_release(awards=[whole])) == []


def test_a_long_value_is_cut_to_sixty_characters_in_a_message() -> None:
    fits = "x" * 58  # 58 characters and two quotes: 60, shown whole
    assert day_of(fits)[1] == f'"{fits}" is not a date-time (e.g. 2020-04-01T00:00:00Z)'
    cut = "y" * 59  # 61 with its quotes: the first 57 and "..."
    assert day_of(cut)[1] == f'"{"y" * 56}... is not a date-time (e.g. 2020-04-01T00:00:00Z)'


def test_the_worked_example_names_the_award_date_by_path() -> None:
    release = _release(awards=[{"id": "1", "date": ""}])
    assert _problems(release) == ['$.releases[4].awards[0].date: "" is not a date-time (e.g. 2020-04-01T00:00:00Z)']


def test_a_good_release_has_no_problems() -> None:
    award = {
        "id": "1",
        "date": "2019-07-05T00:00:00Z",
        "value": {"amount": 312000, "currency": "GBP"},
        "contractPeriod": {"startDate": "2019-09-01T00:00:00Z", "endDate": "2020-06-30T23:59:59Z"},
        "standstillPeriod": {"startDate": "2019-07-05T00:00:00Z", "endDate": "2019-07-15T00:00:00Z"},
    }
    assert _problems(_release(awards=[award], tender={"value": {"amount": 320000}})) == []


def test_a_release_needs_an_ocid_an_id_and_a_date() -> None:
    assert _problems([]) == ["$.releases[4]: is not a release (a JSON object)"]
    assert _problems({"ocid": "  ", "id": 42}) == [
        "$.releases[4].ocid: is not an id",
        "$.releases[4].id: is not an id",
        "$.releases[4].date: is missing",
    ]
    assert _problems(_release(ocid=None, date=None)) == [
        "$.releases[4].ocid: is missing",
        "$.releases[4].date: is missing",
    ]
    assert _problems(_release(date="")) == ['$.releases[4].date: "" is not a date-time (e.g. 2020-04-01T00:00:00Z)']


def test_a_period_may_end_on_its_start_day_but_not_before_it() -> None:
    one_day = {"startDate": "2020-06-01T00:00:00Z", "endDate": "2020-06-01T23:59:59Z"}
    backwards = {"startDate": "2020-06-01T00:00:00Z", "endDate": "2020-05-31T00:00:00Z"}
    assert _problems(_release(tender={"contractPeriod": one_day})) == []
    assert _problems(_release(tender={"contractPeriod": backwards})) == [
        "$.releases[4].tender.contractPeriod.endDate: 2020-05-31 is before the startDate 2020-06-01"
    ]


def test_a_max_extent_may_equal_the_end_but_not_come_before_it() -> None:
    period = {"startDate": "2020-06-01T00:00:00Z", "endDate": "2025-05-31T00:00:00Z"}
    on_the_end = period | {"maxExtentDate": "2025-05-31T00:00:00Z"}
    before_it = period | {"maxExtentDate": "2025-05-30T00:00:00Z"}
    assert _problems(_release(contracts=[{"period": on_the_end}])) == []
    assert _problems(_release(contracts=[{"period": before_it}])) == [
        "$.releases[4].contracts[0].period.maxExtentDate: 2025-05-30 is before the endDate 2025-05-31"
    ]


def test_half_a_period_is_checked_only_for_its_dates() -> None:
    # No start: nothing to compare the end with; no end: nothing for the max extent.
    assert _problems(_release(tender={"contractPeriod": {"endDate": "2020-05-31T00:00:00Z"}})) == []
    assert _problems(_release(tender={"contractPeriod": {"startDate": "2020-06-01T00:00:00Z"}})) == []
    no_end = {"startDate": "2020-06-01T00:00:00Z", "maxExtentDate": "2020-05-01T00:00:00Z"}
    assert _problems(_release(tender={"contractPeriod": no_end})) == []
    assert _problems(_release(tender={"contractPeriod": {"startDate": "1 June"}})) == [
        '$.releases[4].tender.contractPeriod.startDate: "1 June" is not a date-time (e.g. 2020-04-01T00:00:00Z)'
    ]


def test_a_period_or_value_that_is_no_object_is_named() -> None:
    assert _problems(_release(tender={"contractPeriod": "2020-2025", "value": 14393173})) == [
        "$.releases[4].tender.contractPeriod: is not an object with startDate and endDate",
        "$.releases[4].tender.value: is not an object with amount and currency",
    ]


@pytest.mark.parametrize(
    ("value", "problems"),
    [
        ({"amount": 14393173, "currency": "GBP"}, []),
        ({"amount": 14393173}, []),  # no currency: GBP is assumed where it is read
        ({"amount": "lots", "currency": "GBP"}, ['$.releases[4].awards[0].value.amount: "lots" is not a number']),
        (
            {"amount": 1, "currency": "gbp"},
            ['$.releases[4].awards[0].value.currency: "gbp" is not a currency code such as GBP'],
        ),
        (
            {"amount": 1, "currency": 826},
            ["$.releases[4].awards[0].value.currency: 826 is not a currency code such as GBP"],
        ),
    ],
)
def test_an_award_value_needs_a_number_and_a_currency_code(value: dict[str, Any], problems: list[str]) -> None:
    assert _problems(_release(awards=[{"value": value}])) == problems


def test_every_award_is_checked_past_one_that_is_no_object() -> None:
    awards = ["award 1", {"date": "5 July 2019"}, {"standstillPeriod": {"endDate": "soon"}}]
    assert _problems(_release(awards=awards)) == [
        "$.releases[4].awards[0]: is not an award (a JSON object)",
        '$.releases[4].awards[1].date: "5 July 2019" is not a date-time (e.g. 2020-04-01T00:00:00Z)',
        '$.releases[4].awards[2].standstillPeriod.endDate: "soon" is not a date-time (e.g. 2020-04-01T00:00:00Z)',
    ]


def test_every_contract_is_checked_past_one_that_is_no_object() -> None:
    contract = {
        "dateSigned": "",
        "value": {"amount": 1.5},
        "milestones": [{"dueDate": "2021-03-31T00:00:00Z"}, {"dueDate": "31/03/2022"}],
        "amendments": ["a note", {"date": "2021"}],
        "implementation": {
            "transactions": [{"date": "", "value": {"amount": 5000, "currency": "EUR"}}, {"value": {"amount": "5000"}}]
        },
    }
    assert _problems(_release(contracts=[None, contract])) == [
        "$.releases[4].contracts[0]: is not a contract (a JSON object)",
        '$.releases[4].contracts[1].dateSigned: "" is not a date-time (e.g. 2020-04-01T00:00:00Z)',
        "$.releases[4].contracts[1].value.amount: 1.5 is not a number",
        '$.releases[4].contracts[1].milestones[1].dueDate: "31/03/2022" is not a date-time (e.g. 2020-04-01T00:00:00Z)',
        '$.releases[4].contracts[1].amendments[1].date: "2021" is not a date-time (e.g. 2020-04-01T00:00:00Z)',
        '$.releases[4].contracts[1].implementation.transactions[0].date: ""'
        " is not a date-time (e.g. 2020-04-01T00:00:00Z)",
        '$.releases[4].contracts[1].implementation.transactions[1].value.amount: "5000" is not a number',
    ]


def test_the_future_is_judged_in_the_organisations_zone_not_always_london() -> None:
    # COMMISSIONING_TIMEZONE America/Los_Angeles, 17:00 on 7 December there: an award half an hour ago is today,
    # though in London it is already 8 December
    award = _release(awards=[{"id": "A", "date": "2026-12-07T16:30:00-08:00"}])
    assert check_release(award, ROOT, today=dt.date(2026, 12, 7), zone="America/Los_Angeles") == []
    assert [str(p) for p in check_release(award, ROOT, today=dt.date(2026, 12, 7))] == [
        f"{ROOT}.awards[0].date: 2026-12-07T16:30:00-08:00 (2026-12-08 in Europe/London) is in the future "
        "(after 2026-12-07)"
    ]


def test_an_amount_too_large_to_multiply_is_too_large_not_a_crash() -> None:
    award = {"id": "A", "value": {"amount": Decimal("1e999999999"), "currency": "GBP"}}
    assert _problems(_release(awards=[award])) == [f"{ROOT}.awards[0].value.amount: too large"]
