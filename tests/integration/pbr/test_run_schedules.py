"""Per-contract payment-run schedules: payment-runs.toml read, the run days planned on the contract's bank
holidays (England and Wales for FCF-2025-01), and the run a schedule starts proposing the period just ended."""

import datetime as dt
from pathlib import Path

import pytest

from flows.common.errors import UserError
from flows.common.settings import Settings
from flows.pbr.run_schedules import FILE, planned_runs, read_run_schedules, rrule_of, scheduled_payment_run
from policies.pbr.ratecard import Frequency
from policies.pbr.run_days import RunSchedule
from tests.support.builders import fcf_contract

FIFTH = RunSchedule(Frequency.QUARTERLY, 5)


def write(settings: Settings, text: str) -> Path:
    path = settings.data_dir / FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_no_file_means_no_schedules_and_a_file_names_each_contract(settings: Settings) -> None:
    assert read_run_schedules(settings) == {}
    write(settings, '[payment_runs]\n"FCF-2025-01" = "quarterly, working day 5"\n'
                    '"FCF-2025-02" = "monthly, working day 3"\n')  # fmt: skip
    assert read_run_schedules(settings) == {"FCF-2025-01": FIFTH, "FCF-2025-02": RunSchedule(Frequency.MONTHLY, 3)}


def test_a_bad_file_is_refused_naming_the_file_and_every_contract_wrong(settings: Settings) -> None:
    path = write(settings, '[payment_runs]\n"FCF-2025-01" = "quarterly, day 5"\n"FCF-2025-02" = 5\n')
    with pytest.raises(UserError) as refused:
        read_run_schedules(settings)
    assert str(refused.value) == (
        f"{path}: FCF-2025-01: 'quarterly, day 5' is not a payment-run schedule such as 'quarterly, working day 5'; "
        "FCF-2025-02: '5' is not a payment-run schedule such as 'quarterly, working day 5'"
    )
    write(settings, '[runs]\n"FCF-2025-01" = "quarterly, working day 5"\n')
    with pytest.raises(UserError, match=r"needs one table, \[payment_runs\]"):
        read_run_schedules(settings)
    write(settings, "[payment_runs\n")
    with pytest.raises(UserError, match="is not valid TOML"):
        read_run_schedules(settings)


def test_the_run_days_follow_the_contracts_bank_holidays_at_nine(settings: Settings) -> None:
    fcf_contract(settings)
    days = planned_runs(settings, "FCF-2025-01", FIFTH, after=dt.date(2026, 4, 8))
    # Q1 ends Tue 31 March 2026: 1, 2 April, then Good Friday and Easter Monday, then 7, 8, 9 April.
    assert [(r.period.label, r.day) for r in days[:3]] == [
        ("2026-Q1", dt.date(2026, 4, 9)),
        ("2026-Q2", dt.date(2026, 7, 7)),
        ("2026-Q3", dt.date(2026, 10, 7)),
    ]
    assert len(days) == 8
    assert rrule_of(days[:2]) == "DTSTART:20260409T090000\nRDATE:20260409T090000,20260707T090000"
    with pytest.raises(UserError, match="no contract with reference 'NOPE-1'"):
        planned_runs(settings, "NOPE-1", FIFTH, after=dt.date(2026, 4, 8))


def test_on_its_day_the_schedule_proposes_the_quarter_just_ended(settings: Settings) -> None:
    fcf_contract(settings)
    with pytest.raises(UserError, match="FCF-2025-01 has no payment-run schedule in"):
        scheduled_payment_run(settings, "FCF-2025-01", now=dt.datetime(2026, 4, 9, 8, 0, tzinfo=dt.UTC))
    write(settings, '[payment_runs]\n"FCF-2025-01" = "quarterly, working day 5"\n')
    # 09:00 in London on Thursday 9 April 2026 is 08:00 UTC (summer time): the run pays 2026-Q1.
    result = scheduled_payment_run(settings, "FCF-2025-01", now=dt.datetime(2026, 4, 9, 8, 0, tzinfo=dt.UTC))
    assert result["proposal"]["period"] == "2026-Q1"
    assert result["proposal"]["proposed_by"] == "payment-run schedule"
