"""Every date a contract gives or derives stays within 1900-2200: a far date is a problem, never an overflow."""

import datetime as dt

import pytest

from tests.unit.contracts.test_contract_terms import problems_of


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"start": "9999-06-01", "term": "5"}, "start"),
        ({"start": "0001-01-01"}, "start"),
        ({"start": dt.date(9999, 6, 1), "term": "5"}, "start"),  # as YAML gives it
        ({"term": "99999 months"}, "term"),
        ({"term": "9000+1"}, "term"),
        ({"start": "2190-01-01", "term": "10+1+1"}, "term"),
        ({"break_on": "9999-01-01"}, "break_on"),
    ],
)
def test_a_date_outside_1900_2200_is_a_problem_named_by_field(changes: dict[str, object], field: str) -> None:
    problems = problems_of(changes)
    assert any(p.startswith(f"{field}:") and "2200" in p for p in problems), problems


def test_a_term_ending_in_2200_is_allowed() -> None:
    from policies.contracts.terms import read_contract
    from tests.unit.contracts.test_contract_terms import CALENDARS, HOUSING_FIRST

    fields = {**HOUSING_FIRST, "start": "2195-01-01", "term": "5 years", "break_on": None, "nation": "England"}
    _, problems = read_contract(fields, CALENDARS)
    assert not [p for p in problems if "2200" in str(p)], problems
