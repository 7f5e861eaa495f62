"""The history speaks the outbox's, payment by results' and procurement's events in words: £, days, local time."""

from pathlib import Path
from typing import Any

from flows.cli.event_words import event_said
from flows.common.settings import Settings

CFG = Settings(data_dir=Path("."), database_url="sqlite://", policy_file=None, timezone="Europe/London", actor="t")


def said(action: str, after: dict[str, Any], before: dict[str, Any] | None = None, reason: str | None = None) -> str:
    return str(event_said({"action": action, "after": after, "before": before, "reason": reason}, CFG))


def test_an_acknowledgement_says_which_reminder_and_how_many_steps_stopped() -> None:
    after = {"reminder": 3, "status": "acked", "key": "extension_decision:1", "due_on": "2027-03-08", "tag": "owner"}
    assert said("ReminderAcknowledged", {**after, "steps_stopped": 2}, {"reminder": 3, "status": "sent"}) == (
        "acknowledged reminder #3 (extension decision, 2027-03-08, to owner); 2 later steps stopped"
    )
    assert said("ReminderAcknowledged", {**after, "steps_stopped": 0}).endswith("to owner)")


def test_a_snooze_says_the_new_time_in_the_organisations_zone() -> None:
    before = {"reminder": 4, "status": "sent", "send_at": "2026-11-23T09:00:00+00:00"}
    after = {"reminder": 4, "status": "pending", "until": "2027-01-15", "send_at": "2027-01-15T08:00:00+00:00"}
    assert (
        said("ReminderSnoozed", after, before)
        == "snoozed reminder #4 until 2027-01-15 08:00 (was to go 2026-11-23 09:00)"
    )
    summer = {**after, "send_at": "2027-06-15T07:00:00+00:00"}
    assert "until 2027-06-15 08:00" in said("ReminderSnoozed", summer)  # British Summer Time


def test_payment_by_results_events_say_their_figures_in_pounds() -> None:
    run = said("payment_run", {"period": "2026-Q3", "paid": "51000.00", "claims": 12}, reason="payment run for 2026-Q3")
    assert run == "payment run 2026-Q3: 12 claims, paid £51,000.00"
    claims = {"source": "/x/fcf-claims.csv", "rows": 165, "claims": 160, "accepted": 150, "partly_accepted": 0}
    assert said("claims_imported", {**claims, "rejected": 10, "payable": "148000.00"}) == (
        "claims imported from fcf-claims.csv: 165 rows, 150 accepted, 10 rejected, payable £148,000.00"
    )
    older = said("claims_imported", {"source": "/x/c.csv", "claims": 160, "payable": "148000.00"})
    assert older == "claims imported from c.csv: 160 claims, payable £148,000.00"
    assert (
        said("participants_imported", {"added": 42, "source": "/x/p.csv"})
        == "participants imported from p.csv: 42 added"
    )
    card = said("rate_card_imported", {"effective_from": "2025-10-01", "outcomes": ["A", "B"]})
    assert card == "rate card from 2025-10-01: 2 outcomes (A, B)"
    drawn = said("sample_drawn", {"period": "2026-Q3", "seed": 7, "size": 20, "population": 150})
    assert drawn == "sample for 2026-Q3 drawn: 20 of 150 claims (seed 7)"
    assert said("clawback", {"claim": "C1", "amount": "500.00"}, reason="duplicate") == (
        "clawback of £500.00 on claim C1: duplicate"
    )


def test_a_milestone_says_its_name_and_dates() -> None:
    after = {"planned_on": "2026-10-30", "actual_on": "2026-11-06", "replanned": {"award": "2027-01-20"}}
    got = said("MilestoneRecorded", after, {"planned_on": "2026-10-30", "actual_on": None}, reason="tender_notice")
    assert got == "tender notice: actual 2026-11-06; replanned: award 2027-01-20"
    planned = said("MilestoneRecorded", {"planned_on": "2026-10-30", "actual_on": None}, {}, reason="award")
    assert planned == "award: planned 2026-10-30"


def test_other_actions_are_left_to_the_history_that_shows_them() -> None:
    assert event_said({"action": "ContractVaried", "after": {}, "before": {}}, CFG) is None


def test_a_samples_way_back_says_the_recovery_before_and_after() -> None:
    drawn = {"period": "2026-Q2", "seed": 42, "size": 5, "population": 47, "minimum_size": 42}
    assert said("sample_drawn", drawn, reason="spot check agreed with the fund") == (
        "sample for 2026-Q2 drawn: 5 of 47 claims (seed 42), below the minimum of 42: spot check agreed with the fund"
    )
    concluded = {"period": "2026-Q2", "error_rate": "60.00%", "invalid_value": "4500.00", "sampled_value": "7500.00",
                 "interval": "2.59% to 100.00%", "recovery": "1153.73", "basis": "lower_bound"}  # fmt: skip
    assert said("sample_concluded", concluded) == (
        "sample for 2026-Q2 concluded: 60.00% in error by value (£4,500.00 of £7,500.00), interval 2.59% to 100.00%, "
        "recovery £1,153.73 at the lower bound"
    )
    withdrawn = {"period": "2026-Q2", "recovery": "0.00", "withdrawn": {"on": "2026-12-06", "by": "farah.khan"}}
    assert said("recovery_withdrawn", withdrawn, {"recovery": "1153.73"}, "too few to extrapolate") == (
        "recovery for 2026-Q2 withdrawn: £1,153.73 before, £0.00 after: too few to extrapolate"
    )
    corrected = said("sample_check_corrected", {"period": "2026-Q2", "claim": "NB-0007", "result": "invalid"},
                     {"claim": "NB-0007", "result": "valid"})  # fmt: skip
    assert corrected == "sample check of claim NB-0007 (2026-Q2) corrected: valid to invalid"
