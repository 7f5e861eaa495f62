"""When a payment run may happen: in arrears, never dated ahead of the clock, inside the contract's life, in order.

The contract: FCF-2025-01, from 1 October 2025 for 3 years (last day 30 September 2028), paid quarterly.
Today is Sunday 6 December 2026, so 2026-Q4 (to 31 December 2026) is not over.
"""

import datetime as dt

import pytest

from policies.pbr.payments import Period, parse_period, run_refusals
from policies.pbr.ratecard import Frequency

d = dt.date
NOW = dt.datetime(2026, 12, 6, 10, 0, tzinfo=dt.UTC)
START, END = d(2025, 10, 1), d(2028, 9, 30)


def quarter(label: str) -> Period:
    period, why = parse_period(label, Frequency.QUARTERLY)
    assert period is not None, why
    return period


def refusals(
    label: str,
    as_of: dt.datetime = NOW,
    *,
    run_on: dt.date | None = None,
    end: dt.date = END,
    unpaid: tuple[dt.date, ...] = (),
    run: frozenset[str] = frozenset(),
) -> list[str]:
    return run_refusals(
        quarter(label),
        as_of=as_of,
        now=NOW,
        run_on=run_on or as_of.date(),
        contract_start=START,
        contract_end=end,
        unpaid_achieved=unpaid,
        periods_run=run,
        frequency=Frequency.QUARTERLY,
    )


def test_a_past_quarter_inside_the_contract_with_nothing_unpaid_before_it_may_be_paid() -> None:
    assert refusals("2026-Q3") == []
    assert refusals("2025-Q4", unpaid=(d(2025, 10, 20),)) == []  # its own claims are what it pays


def test_an_as_of_later_than_now_is_refused_even_when_the_quarter_would_then_be_over() -> None:
    future = dt.datetime(2027, 1, 5, 9, 0, tzinfo=dt.UTC)
    assert refusals("2026-Q4", future) == [
        "--as-of 2027-01-05 09:00 UTC is later than now (2026-12-06 10:00 UTC); a payment run is final, "
        "so it is never dated in the future"
    ]


def test_a_quarter_not_yet_over_is_refused_as_paid_in_arrears() -> None:
    assert refusals("2026-Q4") == ["2026-Q4 ends on 2026-12-31; it is paid in arrears, from 2027-01-01"]


def test_a_quarter_before_the_contract_began_is_refused() -> None:
    assert refusals("2024-Q1") == ["2024-Q1 ends on 2024-03-31, before the contract starts on 2025-10-01"]


def test_a_quarter_after_the_contract_ends_is_refused_even_with_a_later_as_of() -> None:
    later = dt.datetime(2030, 4, 2, 9, 0, tzinfo=dt.UTC)
    assert refusals("2030-Q1", later, run_on=d(2030, 4, 2)) == [
        "--as-of 2030-04-02 09:00 UTC is later than now (2026-12-06 10:00 UTC); a payment run is final, "
        "so it is never dated in the future",
        "2030-Q1 starts on 2030-01-01, after the contract's last day, 2028-09-30 (extensions taken included)",
    ]


@pytest.mark.parametrize(("end", "refused"), [(d(2026, 6, 30), True), (d(2026, 7, 1), False)])
def test_a_contract_that_ended_early_pays_up_to_its_last_day(end: dt.date, refused: bool) -> None:
    # The quarter that holds the last day is paid; the one after it only if the contract reached it.
    assert refusals("2026-Q2", end=end) == []
    expected = [f"2026-Q3 starts on 2026-07-01, after the contract's last day, {end} (extensions taken included)"]
    assert refusals("2026-Q3", end=end) == (expected if refused else [])


def test_an_earlier_quarter_with_unpaid_accepted_claims_and_no_run_is_named_and_refused() -> None:
    unpaid = (d(2026, 2, 2), d(2026, 5, 4), d(2026, 8, 1))
    assert refusals("2026-Q3", unpaid=unpaid, run=frozenset({"2026-Q1"})) == [
        "2026-Q2 has accepted claims and no payment run; periods are paid in order, so pay 2026-Q2 first"
    ]
    # A claim accepted late for a quarter already run waits for the next run: no refusal.
    assert refusals("2026-Q3", unpaid=(d(2026, 2, 2),), run=frozenset({"2026-Q1", "2026-Q2"})) == []


def test_a_run_on_the_quarters_last_day_is_refused_and_the_next_day_may_pay() -> None:
    # 2026-Q3 ends on Wednesday 30 September 2026: paid in arrears, so from Thursday 1 October.
    assert refusals("2026-Q3", run_on=d(2026, 9, 30)) == [
        "2026-Q3 ends on 2026-09-30; it is paid in arrears, from 2026-10-01"
    ]
    assert refusals("2026-Q3", run_on=d(2026, 10, 1)) == []


def test_a_quarter_ending_on_the_contracts_first_day_may_be_paid() -> None:
    # A contract that began on 30 September 2025 has one day in 2025-Q3, which is paid like any other.
    def refusals_from(start: dt.date) -> list[str]:
        return run_refusals(
            quarter("2025-Q3"),
            as_of=NOW,
            now=NOW,
            run_on=NOW.date(),
            contract_start=start,
            contract_end=END,
            unpaid_achieved=(),
            periods_run=frozenset(),
            frequency=Frequency.QUARTERLY,
        )

    assert refusals_from(d(2025, 9, 30)) == []
    assert refusals_from(d(2025, 10, 1)) == ["2025-Q3 ends on 2025-09-30, before the contract starts on 2025-10-01"]


def test_a_claim_achieved_on_the_quarters_first_day_is_its_own_not_an_earlier_quarters() -> None:
    # Achieved on 1 July 2026, the first day of 2026-Q3: 2026-Q3 pays it; no earlier quarter is waiting.
    assert refusals("2026-Q3", unpaid=(d(2026, 7, 1),), run=frozenset({"2026-Q1", "2026-Q2"})) == []
    # Achieved on 30 June 2026, the last day of 2026-Q2, which has no run: that quarter comes first.
    assert refusals("2026-Q3", unpaid=(d(2026, 6, 30),), run=frozenset({"2026-Q1"})) == [
        "2026-Q2 has accepted claims and no payment run; periods are paid in order, so pay 2026-Q2 first"
    ]
