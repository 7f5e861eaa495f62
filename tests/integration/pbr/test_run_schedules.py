"""Per-contract payment-run schedules: payment-runs.toml read, the run days on the contract's bank holidays
(England and Wales for FCF-2025-01), and the daily check proposing each contract's period just ended on its day,
once, naming what it cannot propose."""

import datetime as dt
from pathlib import Path

import pytest

from flows.common.errors import UserError
from flows.common.settings import Settings
from flows.pbr.run_schedules import FILE, planned_runs, read_run_schedules, result_lines, scheduled_payment_runs
from policies.pbr.ratecard import Frequency
from policies.pbr.run_days import RunSchedule
from tests.support.builders import FCF_CLAIMS, FCF_PARTICIPANTS, fcf_contract

FIFTH = RunSchedule(Frequency.QUARTERLY, 5)


def write(settings: Settings, text: str) -> Path:
    path = settings.data_dir / FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def fcf_claims(settings: Settings, folder: Path) -> None:
    """FCF-2025-01 with three participants and five claims in 2026-Q1, two rejected, none paid yet."""
    from flows.pbr.claims_import import import_claims
    from flows.pbr.participants import import_participants

    fcf_contract(settings)
    (folder / "people.csv").write_text(FCF_PARTICIPANTS, encoding="utf-8")
    import_participants(settings, folder / "people.csv", as_of=dt.datetime(2026, 3, 1, tzinfo=dt.UTC), actor="f")
    (folder / "claims.csv").write_text(FCF_CLAIMS, encoding="utf-8")
    import_claims(settings, folder / "claims.csv", as_of=dt.datetime(2026, 3, 2, tzinfo=dt.UTC), actor="f")


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


def test_the_next_run_days_follow_the_contracts_bank_holidays(settings: Settings) -> None:
    fcf_contract(settings)
    days = planned_runs(settings, "FCF-2025-01", FIFTH, after=dt.date(2026, 4, 8), count=3)
    # Q1 ends Tue 31 March 2026: 1, 2 April, then Good Friday and Easter Monday, then 7, 8, 9 April.
    assert [(r.period.label, r.day) for r in days] == [
        ("2026-Q1", dt.date(2026, 4, 9)),
        ("2026-Q2", dt.date(2026, 7, 7)),
        ("2026-Q3", dt.date(2026, 10, 7)),
    ]
    with pytest.raises(UserError, match="no contract with reference 'NOPE-1'"):
        planned_runs(settings, "NOPE-1", FIFTH, after=dt.date(2026, 4, 8), count=1)


def at_nine(day: dt.date) -> dt.datetime:
    """09:00 in London in summer time: 08:00 UTC."""
    return dt.datetime.combine(day, dt.time(8, 0), tzinfo=dt.UTC)


def test_each_day_proposes_only_the_runs_due_that_day_once_and_names_what_it_cannot(
    settings: Settings, tmp_path: Path
) -> None:
    from flows.approvals.service import list_proposals
    from tests.support.approvals import approved

    fcf_claims(settings, tmp_path)  # 2026-Q1: C-1, C-2, C-3 accepted, £4,500.00 (tests/integration/pbr/test_lists.py)
    write(settings, '[payment_runs]\n"FCF-2025-01" = "quarterly, working day 5"\n'
                    '"NOPE-1" = "quarterly, working day 5"\n')  # fmt: skip
    # Wednesday 8 April 2026 is Q1's fourth working day: nothing is due; the unknown contract is still named.
    eve = scheduled_payment_runs(settings, day=dt.date(2026, 4, 8), now=at_nine(dt.date(2026, 4, 8)))
    assert eve == {"day": "2026-04-08", "contracts": 2, "not_due": 1, "proposed": [], "skipped": [],
                   "problems": ["NOPE-1: no contract with reference 'NOPE-1'"]}  # fmt: skip
    assert list_proposals(settings) == []
    # Thursday 9 April, the fifth working day: 2026-Q1 is proposed, by the schedule, for £4,500.00.
    day = scheduled_payment_runs(settings, day=dt.date(2026, 4, 9), now=at_nine(dt.date(2026, 4, 9)))
    [proposal] = list_proposals(settings)
    assert day["proposed"] == [{"contract": "FCF-2025-01", "period": "2026-Q1", "proposal": proposal["id"],
                                "amount": "4500.00"}]  # fmt: skip
    assert (proposal["proposed_by"], proposal["status"]) == ("payment-run schedule", "pending")
    assert result_lines(day) == [
        "Scheduled payment runs on 2026-04-09: 2 contract(s) in payment-runs.toml, 0 not due today, 1 proposed, "
        "0 skipped, 1 problem(s).",
        f"FCF-2025-01 2026-Q1: proposal {proposal['id']} would pay 4500.00",
        "not proposed: NOPE-1: no contract with reference 'NOPE-1'",
    ]
    # Triggered again the same day (a retry, a second worker): nothing new, and it says why.
    again = scheduled_payment_runs(settings, day=dt.date(2026, 4, 9), now=at_nine(dt.date(2026, 4, 9)))
    assert again["proposed"] == [] and len(list_proposals(settings)) == 1
    assert again["skipped"] == [
        {"contract": "FCF-2025-01", "period": "2026-Q1", "why": f"proposal {proposal['id']} is already pending"}
    ]
    # Once approved, the period is paid: a third trigger skips it as paid.
    approved(settings, proposal, as_of=at_nine(dt.date(2026, 4, 9)))
    third = scheduled_payment_runs(settings, day=dt.date(2026, 4, 9), now=at_nine(dt.date(2026, 4, 9)))
    [skip] = third["skipped"]
    assert third["proposed"] == [] and skip["why"].startswith("already paid (payment run ")
    # The next day nothing is due at all.
    after = scheduled_payment_runs(settings, day=dt.date(2026, 4, 10), now=at_nine(dt.date(2026, 4, 10)))
    assert (after["not_due"], after["proposed"], after["skipped"]) == (1, [], [])


def test_a_run_day_missed_is_caught_up_within_seven_days_once_and_never_after_a_rejection(
    settings: Settings, tmp_path: Path
) -> None:
    """The scheduler was down on Thursday 9 April 2026, 2026-Q1's run day for FCF-2025-01."""
    from flows.approvals.service import list_proposals, reject
    from tests.support.approvals import CHECKERS, FINANCE

    fcf_claims(settings, tmp_path)  # 2026-Q1: C-1, C-2, C-3 accepted, £4,500.00
    write(settings, '[payment_runs]\n"FCF-2025-01" = "quarterly, working day 5"\n')
    # Back only on Friday 17 April, eight days after: too late to catch up (a finance user pays it by hand).
    late = scheduled_payment_runs(settings, day=dt.date(2026, 4, 17), now=at_nine(dt.date(2026, 4, 17)))
    assert (late["not_due"], late["proposed"], list_proposals(settings)) == (1, [], [])
    # Back on Friday 10 April: the missed day is caught up, and the line says so.
    day = scheduled_payment_runs(settings, day=dt.date(2026, 4, 10), now=at_nine(dt.date(2026, 4, 10)))
    [proposal] = list_proposals(settings)
    assert day["proposed"] == [{"contract": "FCF-2025-01", "period": "2026-Q1", "proposal": proposal["id"],
                                "amount": "4500.00", "missed": "2026-04-09"}]  # fmt: skip
    assert result_lines(day)[1] == f"FCF-2025-01 2026-Q1: proposal {proposal['id']} would pay 4500.00 (its run " \
                                   "day, 2026-04-09, was missed)"  # fmt: skip
    # Saturday: proposed since its run day, so nothing again, and no line about it each day of the week.
    sat = scheduled_payment_runs(settings, day=dt.date(2026, 4, 11), now=at_nine(dt.date(2026, 4, 11)))
    assert (sat["not_due"], sat["proposed"], sat["skipped"]) == (1, [], [])
    # A finance user rejects it: the schedule does not propose it again on Monday, within the seven days.
    reject(settings, proposal["id"], by=CHECKERS[0], roles=FINANCE, reason="C-2's evidence is being checked",
           as_of=at_nine(dt.date(2026, 4, 11)))  # fmt: skip
    monday = scheduled_payment_runs(settings, day=dt.date(2026, 4, 13), now=at_nine(dt.date(2026, 4, 13)))
    assert monday["proposed"] == [] and len(list_proposals(settings)) == 1


def test_a_day_that_was_checked_is_never_caught_up_and_each_check_is_in_the_audit_log(
    settings: Settings, tmp_path: Path
) -> None:
    """FCF-2025-01 is named in payment-runs.toml only from Friday 10 April 2026, the day after 2026-Q1's run
    day: the 9th was checked (with nothing named), so the 10th proposes nothing; finance pays it by hand."""
    from flows.approvals.service import list_proposals
    from flows.audit.log import audit_log

    fcf_claims(settings, tmp_path)
    write(settings, "[payment_runs]\n")
    scheduled_payment_runs(settings, day=dt.date(2026, 4, 9), now=at_nine(dt.date(2026, 4, 9)))
    write(settings, '[payment_runs]\n"FCF-2025-01" = "quarterly, working day 5"\n')
    friday = scheduled_payment_runs(settings, day=dt.date(2026, 4, 10), now=at_nine(dt.date(2026, 4, 10)))
    assert (friday["not_due"], friday["proposed"], list_proposals(settings)) == (1, [], [])
    checks = [e for e in audit_log(settings, actor="payment-run schedule")["events"]
              if e["entity"] == "payment_run_schedule"]  # fmt: skip
    assert sorted((e["entity_ref"], e["after"]["contracts"]) for e in checks) == [("2026-04-09", 0), ("2026-04-10", 1)]


def test_a_file_naming_no_contracts_proposes_nothing(settings: Settings) -> None:
    result = scheduled_payment_runs(settings, day=dt.date(2026, 4, 9), now=at_nine(dt.date(2026, 4, 9)))
    assert result == {"day": "2026-04-09", "contracts": 0, "not_due": 0, "proposed": [], "skipped": [],
                      "problems": []}  # fmt: skip


def test_the_daily_flow_ends_failed_naming_an_unknown_contract_after_proposing_the_rest(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os
    import tempfile

    from flows.approvals.service import list_proposals
    from flows.common.prefect_runs import local_run_settings
    from flows.common.runtime import start_prefect

    fcf_claims(settings, tmp_path)
    write(settings, '[payment_runs]\n"FCF-2025-01" = "quarterly, working day 5"\n"NOPE-1" = "monthly, working day 1"\n')
    # start_prefect points this process's TMPDIR at the data dir's scratch: put it back after the test, or later
    # tests' temporary files (a forkserver's socket, whose path has a length limit) land under this test's folder
    monkeypatch.setenv("TMPDIR", os.environ.get("TMPDIR") or tempfile.gettempdir())
    monkeypatch.setattr(tempfile, "tempdir", tempfile.tempdir)
    start_prefect(settings)
    from flows.pbr.pbr_flows import scheduled_payment_runs_flow

    with local_run_settings():
        state = scheduled_payment_runs_flow(day="2026-04-09", return_state=True)
    assert state.is_failed()
    assert state.message == "not proposed: NOPE-1: no contract with reference 'NOPE-1'"
    [proposal] = list_proposals(settings)
    assert (proposal["period"], proposal["amount"]) == ("2026-Q1", "4500.00")


def test_deploy_says_each_contracts_next_run_day_and_warns_of_an_unknown_one(settings: Settings) -> None:
    import re

    from flows.common.deployments import _contract_schedules

    fcf_contract(settings)
    write(settings, '[payment_runs]\n"FCF-2025-01" = "quarterly, working day 5"\n"NOPE-1" = "monthly, working day 1"\n')
    known, unknown = _contract_schedules(settings)
    # Which day is next depends on today's date (the days themselves are worked out above for fixed dates).
    assert re.fullmatch(r"Payment runs of FCF-2025-01 \(quarterly, working day 5\): next on \d{4}-\d\d-\d\d for "
                        r"\d{4}-Q[1-4], proposed by scheduled-payment-runs\.", known), known  # fmt: skip
    assert unknown == (
        "Warning: payment-runs.toml: NOPE-1: no contract with reference 'NOPE-1'; its runs will be reported, "
        "not proposed."
    )


def test_a_day_not_yet_come_or_not_a_date_is_refused_and_proposes_nothing(settings: Settings) -> None:
    from flows.approvals.service import list_proposals
    from flows.common.errors import UserError
    from flows.pbr.run_schedules import run_day, scheduled_payment_runs

    fcf_contract(settings)
    write(settings, '[payment_runs]\n"FCF-2025-01" = "quarterly, working day 5"\n')
    now = dt.datetime(2026, 4, 9, 8, 0, tzinfo=dt.UTC)  # 09:00 in London on 9 April 2026
    with pytest.raises(UserError, match="the scheduled payment runs of 2026-04-10 cannot run before that day"):
        scheduled_payment_runs(settings, day=dt.date(2026, 4, 10), now=now)
    with pytest.raises(UserError, match=r"day: '2026-02-30' is not a date"):
        run_day("2026-02-30")
    assert list_proposals(settings) == []
