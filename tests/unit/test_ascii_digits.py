"""Numbers, dates and periods are written in the digits 0-9 only.

Python's ``\\d`` and ``int()`` also take other scripts' digits (fullwidth, U+FF10 to U+FF19; Arabic-Indic, U+0660
to U+0669). A parser that took them normalised the number but could keep the text as written: a payment run for
2026-Q3 in fullwidth digits was stored beside the one for ``2026-Q3``, so one quarter was paid twice.
Each reader below refuses them.
"""

import datetime as dt

import pytest

from flows.pbr.lists import PERIOD_RE
from policies.contracts.notice import parse_notice
from policies.dates import parse_iso_date
from policies.money import parse_money
from policies.pbr.payments import parse_period as pay_period
from policies.pbr.ratecard import Frequency
from policies.pbr.run_days import parse_run_schedule
from policies.performance.periods import parse_notice_period, parse_period
from policies.reminders.ladders import Lead
from policies.wholes import read_whole

FULLWIDTH_2026 = "２０２６"
ARABIC_INDIC_2026 = "٢٠٢٦"


@pytest.mark.parametrize("year", [FULLWIDTH_2026, ARABIC_INDIC_2026])
def test_a_payment_period_in_other_digits_is_refused(year: str) -> None:
    assert pay_period("2026-Q3", Frequency.QUARTERLY)[0] is not None
    period, why = pay_period(f"{year}-Q3", Frequency.QUARTERLY)
    assert period is None and why is not None and "is not a quarter such as 2026-Q3" in why
    assert pay_period(f"{year}-07", Frequency.MONTHLY)[0] is None
    assert PERIOD_RE.match("2026-Q3") and not PERIOD_RE.match(f"{year}-Q3")


@pytest.mark.parametrize("year", [FULLWIDTH_2026, ARABIC_INDIC_2026])
def test_a_reading_or_notice_period_in_other_digits_is_refused(year: str) -> None:
    assert parse_period("2026-Q2")[0] is not None
    assert parse_period(f"{year}-Q2")[0] is None
    assert parse_period(f"{year}-04")[0] is None
    assert parse_notice_period(year)[0] is None
    assert parse_notice_period(f"{year}-04-01..{year}-06-30")[0] is None


def test_dates_and_money_in_other_digits_are_refused() -> None:
    assert parse_iso_date("2026-07-01") == (dt.date(2026, 7, 1), None)
    assert parse_iso_date(f"{FULLWIDTH_2026}-07-01")[0] is None
    assert parse_money("£1,250.00")[0] is not None
    assert parse_money("£１２５０")[0] is None
    assert parse_money("٣٠٠")[0] is None


def test_counts_and_lengths_of_time_in_other_digits_are_refused() -> None:
    problems: list = []
    assert read_whole({"n": "12"}, "n", None, problems) == 12 and problems == []
    for written in ("１２", "1_000", "+5"):
        problems = []
        assert read_whole({"n": written}, "n", None, problems) is None
        assert [p.reason for p in problems] == [f"{written!r} is not a whole number (digits 0-9)"]
    assert parse_notice("3 months")[0] is not None and parse_notice("３ months")[0] is None
    assert Lead.parse("14d") is not None and Lead.parse("１４d") is None
    assert parse_run_schedule("quarterly, working day 5")[0] is not None
    assert parse_run_schedule("quarterly, working day ５")[0] is None
