"""The UK9 contract performance notice key dates (Procurement Act 2023 s.71), worked by hand.

A contract with KPIs has a notice due for each 12 months of its life, and on
termination; over £5m it counts as having KPIs unless an exemption is
recorded (policies/contracts/key_dates.py says why).
"""

import dataclasses
import datetime as dt
from decimal import Decimal

from flows.common.calendars import working_day_calendar
from policies.calendars import Nation
from policies.contracts.clauses import ContractTerms
from policies.contracts.key_dates import KeyDate, KeyDateKind, derive_key_dates
from policies.money import Money

d = dt.date
ENG = working_day_calendar(Nation.ENGLAND_AND_WALES)
UK = working_day_calendar(Nation.UNITED_KINGDOM)

# £900,000, 3 years from 1 April 2024: its last day is 31 March 2027.
SMALL = ContractTerms(ref="K", start=d(2024, 4, 1), initial_term_months=36, value=Money(Decimal("900000")), kpis=3)


def uk9(terms: ContractTerms) -> list[KeyDate]:
    return [k for k in derive_key_dates(terms, ENG, UK) if k.kind is KeyDateKind.PERFORMANCE_NOTICE]


def test_a_contract_under_5m_with_kpis_has_a_notice_each_year() -> None:
    # Year 1 (from 1 April 2024) on its anniversary, 1 April 2025; year 2 on 1 April 2026; year 3's
    # anniversary, 1 April 2027, is after the last day, so its notice is due by the end, 31 March 2027.
    dates = uk9(SMALL)
    assert [(k.on, k.key) for k in dates] == [
        (d(2025, 4, 1), "performance_notice:1"),
        (d(2026, 4, 1), "performance_notice:2"),
        (d(2027, 3, 31), "performance_notice:3"),
    ]
    assert "year 1 from 2024-04-01" in dates[0].action


def test_the_same_contract_without_kpis_has_none() -> None:
    assert uk9(dataclasses.replace(SMALL, kpis=0)) == []


def test_an_extension_moves_the_last_years_notice_to_its_anniversary() -> None:
    # With a 1-year option used the last day is 31 March 2028: year 3 is due on 1 April 2027, year 4 by the end.
    terms = dataclasses.replace(SMALL, initial_term_months=48)
    assert [k.on for k in uk9(terms)] == [d(2025, 4, 1), d(2026, 4, 1), d(2027, 4, 1), d(2028, 3, 31)]


def test_a_contract_ended_early_has_its_notice_on_termination() -> None:
    # Broken to end on 30 September 2025: year 1 on 1 April 2025; year 2 (from 1 April 2025) on the
    # day it ends, 30 September 2025; no year 3.
    dates = uk9(dataclasses.replace(SMALL, ended_on=d(2025, 9, 30)))
    assert [(k.on, k.key) for k in dates] == [
        (d(2025, 4, 1), "performance_notice:1"),
        (d(2025, 9, 30), "performance_notice:2"),
    ]
    assert "on termination (ended 2025-09-30)" in dates[1].action


def test_over_5m_an_exemption_with_no_kpis_means_no_notice() -> None:
    # £6m, 2 years from 1 April 2024, exempt (e.g. performance cannot be assessed by KPIs), no KPIs: nothing
    # to rate. Without the exemption the notices are due (s.52 requires KPIs): 1 April 2025, 31 March 2026.
    large = ContractTerms(ref="L", start=d(2024, 4, 1), initial_term_months=24, value=Money(Decimal("6000000")))
    assert uk9(dataclasses.replace(large, kpi_exempt=True)) == []
    assert [k.on for k in uk9(large)] == [d(2025, 4, 1), d(2026, 3, 31)]
    # An exempt contract that has KPIs all the same has them rated.
    assert [k.on for k in uk9(dataclasses.replace(large, kpi_exempt=True, kpis=1))] == [d(2025, 4, 1), d(2026, 3, 31)]


def test_the_keys_stay_when_kpis_change() -> None:
    # Reminders and published notices are keyed on performance_notice:k: a KPI change keeps each year's key.
    assert [k.key for k in uk9(SMALL)] == [k.key for k in uk9(dataclasses.replace(SMALL, kpis=5))]


NOTICE = "Publish the contract performance notice (UK9) {}: each KPI rated"


def test_each_years_notice_says_which_year_and_only_the_last_says_by_the_end() -> None:
    # 1 April 2024 for 3 years: years 1 and 2 fall due on their anniversaries; year 3's anniversary (1 April 2027)
    # is after the last day, 31 March 2027, so it alone is "the last: due by the contract's end".
    assert [k.action for k in uk9(SMALL)] == [
        NOTICE.format("for year 1 from 2024-04-01"),
        NOTICE.format("for year 2 from 2025-04-01"),
        NOTICE.format("for year 3 from 2026-04-01, the last: due by the contract's end"),
    ]


def test_a_contract_ended_early_says_on_termination_only_for_the_year_it_ended() -> None:
    # Ended 30 September 2025: year 1 ran its full 12 months and is due on 1 April 2025 as usual.
    assert [k.action for k in uk9(dataclasses.replace(SMALL, ended_on=d(2025, 9, 30)))] == [
        NOTICE.format("for year 1 from 2024-04-01"),
        NOTICE.format("on termination (ended 2025-09-30), year 2 from 2025-04-01"),
    ]


def test_a_contract_ended_19_days_into_its_second_year_has_a_notice_for_that_year() -> None:
    # Ended 20 April 2025: year 2 began on 1 April 2025 (12 months after the start, not 13), so it has begun
    # before the last day and its notice is due that day, 19 days after year 1's.
    dates = uk9(dataclasses.replace(SMALL, ended_on=d(2025, 4, 20)))
    assert [(k.on, k.key) for k in dates] == [
        (d(2025, 4, 1), "performance_notice:1"),
        (d(2025, 4, 20), "performance_notice:2"),
    ]
