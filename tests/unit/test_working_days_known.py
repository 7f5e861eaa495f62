"""A count of working days that reaches a day outside the bank holidays known (2000-2060) is refused in words
naming what needed the day, on every path that counts them: key dates, the terms' checks, payment run days and
reminders (``DaysUnknown``, still a ValueError). The hostile trial found a bare ValueError instead."""

import dataclasses
import datetime as dt

import pytest

from policies.calendars import DaysUnknown, Nation, calendar_from
from policies.contracts.clauses import ContractTerms, validate_terms
from policies.contracts.key_dates import derive_key_dates
from policies.contracts.terms import read_contract
from policies.pbr.payments import period_of
from policies.pbr.ratecard import Frequency
from policies.pbr.run_days import RunSchedule, run_day
from policies.reminders.ladders import Lead, LeadUnit
from policies.reminders.planning import send_day

CAL = calendar_from("England and Wales", [dt.date(2060, 12, 25), dt.date(2060, 12, 26)], range(2000, 2061))
KNOWN = "working days are known up to 2060-12-31; "


def _terms(**fields: str) -> ContractTerms:
    given = {"ref": "C-1", "title": "t", "provider": "p", "project": "P-1", "value": "100", "start": "2058-01-01",
             "term": "3"} | fields  # fmt: skip
    draft, problems = read_contract(given, dict.fromkeys(Nation, CAL))
    assert draft is not None, problems
    return draft.terms


def test_the_calendar_says_which_day_it_needs_and_what_it_knows() -> None:
    with pytest.raises(DaysUnknown) as refused:
        CAL.last_of_working_days(dt.date(2060, 12, 28), 8)
    assert str(refused.value) == KNOWN + "a count of working days needs 2061-01-01"
    assert isinstance(refused.value, ValueError)
    with pytest.raises(DaysUnknown, match=r"^working days are known from 2000-01-01 to 2060-12-31; x needs 1999-"):
        try:
            CAL.working_days_before(dt.date(2000, 1, 3), 5)
        except DaysUnknown as exc:
            raise exc.needed_by("x") from None


def test_the_terms_name_the_break_and_the_standstill_that_need_a_day_past_2060() -> None:
    given = {"ref": "C-1", "title": "t", "provider": "p", "project": "P-1", "value": "100", "start": "2058-01-01",
             "term": "2+2", "break_notice": "10 working days", "break_on": "2061-06-01",
             "award_notice_on": "2060-12-28"}  # fmt: skip
    draft, problems = read_contract(given, dict.fromkeys(Nation, CAL))
    assert draft is None
    said = [f"{p.field}: {p.reason}" for p in problems]
    assert said == [
        f"break_on: {KNOWN}its 10 working days notice before 2061-06-01 needs 2061-05-31",
        f"award_notice_on: {KNOWN}its standstill of 8 working days needs 2061-01-01",
    ]


def test_key_dates_name_the_notice_that_needs_a_day_past_2060() -> None:
    terms = _terms(term="2+2", extension_notice="10 working days")
    assert validate_terms(terms, CAL) == []

    extended = dataclasses.replace(terms, extensions=(*terms.extensions, terms.extensions[0]))  # a second option
    with pytest.raises(DaysUnknown, match="^" + KNOWN + "extension option 2's 10 working days notice before 2061-"):
        derive_key_dates(extended, CAL, CAL)
    late = dataclasses.replace(terms, award_notice_on=dt.date(2060, 12, 28))
    with pytest.raises(DaysUnknown, match="^" + KNOWN + "the standstill of 8 working days from award_notice_on"):
        derive_key_dates(late, CAL, CAL)


def test_a_payment_run_day_past_2060_is_refused_naming_the_period() -> None:
    schedule = RunSchedule(Frequency.QUARTERLY, 5)
    with pytest.raises(DaysUnknown) as refused:
        run_day(period_of(dt.date(2060, 11, 1), Frequency.QUARTERLY), schedule, CAL)
    assert str(refused.value) == KNOWN + "the payment run of 2060-Q4 (working day 5 after it) needs 2061-01-01"


def test_a_reminder_moved_to_a_working_day_past_2060_is_refused_naming_it() -> None:
    from types import SimpleNamespace
    from typing import Any

    policy: Any = SimpleNamespace(working_days_only=True)  # all send_day reads of the policy
    assert send_day(Lead(14, LeadUnit.DAYS), dt.date(2060, 12, 13), policy, CAL) == dt.date(2060, 11, 29)
    with pytest.raises(DaysUnknown) as refused:
        send_day(Lead(14, LeadUnit.DAYS), dt.date(2061, 3, 1), policy, CAL)
    assert str(refused.value) == KNOWN + "the reminder 14 days before the key date on 2061-03-01 needs 2061-02-15"
