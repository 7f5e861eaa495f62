"""The reminder outbox on SQLite and PostgreSQL: sweep, deliver, catch up, acknowledge, snooze, re-plan.

The worked contract: Housing First, HF-2026-01, a break on 31 March 2027 on
3 months' notice, so the break-notice deadline is Thursday 31 December 2026.
Its ladder: 2 Oct (90 days), 1 Nov (60), 1 Dec (30), 17 Dec (14), 24 Dec (7)
and 30 Dec (1, the last, which also escalates). Messages go to the console
notifier (the embedded default), written to a buffer the test reads.
"""

import datetime as dt
import io
import re

import pytest
from sqlalchemy import text

from flows.common.errors import UserError
from flows.common.runtime import database
from flows.common.settings import Settings
from flows.contracts.decisions import decide
from flows.reminders.delivery import deliver
from flows.reminders.outbox import acknowledge, list_reminders, snooze
from flows.reminders.sweep import sweep
from notifications.console import ConsoleNotifier
from tests.support.builders import housing_first
from tests.support.stored_order import scans_in_stored_order, stored

UTC = dt.UTC
BREAK = "break_notice_deadline"


def at(month: int, day: int, hour: int = 9, minute: int = 0, year: int = 2026) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def hf(settings: Settings) -> Settings:
    housing_first(settings)
    return settings


PAST = 2020  # the same contract six years back, for tests that act on days after today (see housing_first)


@pytest.fixture
def hf_past(settings: Settings) -> Settings:
    housing_first(settings, years_back=2026 - PAST)
    return settings


def reminders(settings: Settings, kind: str = BREAK, status: str | None = None) -> list[tuple[str, str, str]]:
    return sorted(
        (r["lead"], r["tag"], r["status"])
        for r in list_reminders(settings, status=status)
        if r["kind"] == kind and not r["escalation"]
    )


def deliver_to_buffer(settings: Settings, as_of: dt.datetime) -> tuple[dict[str, int], str]:
    buffer = io.StringIO()
    report = deliver(settings, as_of=as_of, notifier=ConsoleNotifier(buffer))
    return {k: v for k, v in report.as_dict().items() if k != "attempts"}, buffer.getvalue()


def test_the_first_sweep_plans_the_latest_due_step_once_and_a_rerun_changes_nothing(hf: Settings) -> None:
    first = sweep(hf, as_of=at(11, 23, 7))
    assert first.window_start is None and first.replanned_contracts == 1
    # Not the 90-day step as well: one reminder per recipient for a key date nobody was told of.
    assert reminders(hf) == [("60d", "commissioning", "pending"), ("60d", "owner", "pending")]
    assert reminders(hf, "recommissioning_start") == [
        ("12m", "commissioning", "pending"),
        ("12m", "finance", "pending"),
        ("12m", "owner", "pending"),
    ]
    assert first.planned == 5
    again = sweep(hf, as_of=at(11, 23, 7))
    assert (again.planned, again.replanned_contracts, again.window_start) == (0, 0, dt.date(2026, 11, 23))
    assert len(list_reminders(hf)) == 5


def test_each_step_goes_out_on_its_day_at_eight_local_time(hf: Settings) -> None:
    sweep(hf, as_of=at(11, 23, 7))
    counts, text = deliver_to_buffer(hf, at(11, 23, 9))
    assert counts == {
        "messages": 3,
        "sent": 5,
        "late": 0,
        "retrying": 0,
        "failed": 0,
        "cancelled": 0,
    }  # digests: owner, comm., finance
    assert "HF-2026-01" in text and "break notice deadline" in text
    assert sweep(hf, as_of=at(11, 24, 7)).planned == 0  # nothing new until 1 December

    planned = sweep(hf, as_of=at(12, 1, 7))
    assert planned.planned == 2
    assert reminders(hf, status="pending") == [("30d", "commissioning", "pending"), ("30d", "owner", "pending")]
    [pending] = {r["send_at"] for r in list_reminders(hf, status="pending")}
    assert pending == "2026-12-01T08:00:00+00:00"  # 08:00 GMT
    assert deliver_to_buffer(hf, at(12, 1, 7, 59))[0]["messages"] == 0  # not before 08:00
    counts, text = deliver_to_buffer(hf, at(12, 1, 8, 0))
    assert (counts["messages"], counts["sent"], counts["late"]) == (2, 2, 0)
    assert "in 30 days" in text
    ids = {int(i) for i in re.findall(r"reminder #(\d+)", text)}
    assert ids == {r["id"] for r in list_reminders(hf, status="sent") if r["lead"] == "30d"}


def test_a_server_down_over_christmas_catches_up_in_one_sweep_marked_late(hf: Settings) -> None:
    sweep(hf, as_of=at(12, 16, 7))  # plans the 30-day step
    deliver_to_buffer(hf, at(12, 16, 9))
    # Down from the 17th to the 29th: the 14-day and 7-day steps were missed.
    catch_up = sweep(hf, as_of=at(12, 29, 10))
    assert catch_up.window_start == dt.date(2026, 12, 16)
    assert reminders(hf, status="pending") == [
        ("14d", "commissioning", "pending"),
        ("14d", "owner", "pending"),
        ("7d", "commissioning", "pending"),
        ("7d", "owner", "pending"),
    ]
    counts, text = deliver_to_buffer(hf, at(12, 29, 10, 5))
    # The owner's digest also carries the 14-day step of the quarterly monitoring on 1 January (due 18 Dec).
    assert counts == {"messages": 2, "sent": 5, "late": 5, "retrying": 0, "failed": 0, "cancelled": 0}
    assert "quarterly monitoring" in text
    assert text.count("LATE") >= 2
    assert all(r["late"] for r in list_reminders(hf, status="sent") if r["lead"] in ("14d", "7d"))
    # The last step, on the 30th, also goes to the escalation tag.
    sweep(hf, as_of=at(12, 30, 7))
    escalations = [r for r in list_reminders(hf, status="pending") if r["escalation"]]
    assert [(r["tag"], r["lead"], r["kind"]) for r in escalations] == [("escalation", "1d", BREAK)]


def test_acknowledging_stops_the_ladder_for_that_recipient_and_is_recorded(hf: Settings) -> None:
    sweep(hf, as_of=at(12, 1, 7))
    deliver_to_buffer(hf, at(12, 1, 8))
    [owner_30] = [r for r in list_reminders(hf) if (r["kind"], r["lead"], r["tag"]) == (BREAK, "30d", "owner")]
    result = acknowledge(hf, owner_30["id"], as_of=at(12, 2), actor="Head of Housing")
    assert (result["status"], result["acked_by"], result["changed"]) == ("acked", "Head of Housing", True)
    assert acknowledge(hf, owner_30["id"], as_of=at(12, 3), actor="someone else")["changed"] is False

    sweep(hf, as_of=at(12, 17, 7))
    assert ("14d", "owner", "pending") not in reminders(hf)
    assert ("14d", "commissioning", "pending") in reminders(hf)
    # The owner acknowledged, the commissioning team did not: the last step still escalates.
    sweep(hf, as_of=at(12, 30, 7))
    tags = {(r["tag"], r["escalation"]) for r in list_reminders(hf, status="pending") if r["lead"] == "1d"}
    assert tags == {("commissioning", False), ("escalation", True)}

    from sqlmodel import select

    from flows.common.runtime import database
    from models.db import unit_of_work
    from models.events import Event

    with unit_of_work(database(hf)) as session:
        [event] = session.exec(select(Event).where(Event.action == "ReminderAcknowledged")).all()
        assert (event.entity_ref, event.actor, event.after and event.after["tag"]) == (
            "HF-2026-01",
            "Head of Housing",
            "owner",
        )


def test_snoozing_sends_again_on_the_day_and_holds_back_earlier_steps(hf_past: Settings) -> None:
    sweep(hf_past, as_of=at(12, 17, 7, year=PAST))
    deliver_to_buffer(hf_past, at(12, 17, 8, year=PAST))
    [comm] = [r for r in list_reminders(hf_past, status="sent") if (r["kind"], r["tag"]) == (BREAK, "commissioning")]
    with pytest.raises(UserError, match="after the key date itself"):
        snooze(hf_past, comm["id"], until=dt.date(PAST + 1, 1, 4), as_of=at(12, 17, 9, year=PAST), actor="a")
    with pytest.raises(UserError, match="not after today"):
        snooze(hf_past, comm["id"], until=dt.date(PAST, 12, 17), as_of=at(12, 17, 9, year=PAST), actor="a")
    snoozed = snooze(hf_past, comm["id"], until=dt.date(PAST, 12, 22), as_of=at(12, 17, 9, year=PAST), actor="a")
    assert (snoozed["status"], snoozed["send_at"]) == ("pending", f"{PAST}-12-22T08:00:00+00:00")
    assert deliver_to_buffer(hf_past, at(12, 21, 9, year=PAST))[0]["messages"] == 0
    counts, text = deliver_to_buffer(hf_past, at(12, 22, 8, year=PAST))
    assert counts["sent"] == 1 and f"reminder #{comm['id']}" in text
    sweep(hf_past, as_of=at(12, 24, 7, year=PAST))  # the 7-day step is after the snooze: it comes as usual
    assert ("7d", "commissioning", "pending") in reminders(hf_past)


def test_a_variation_that_moves_a_date_cancels_its_stale_reminders_and_plans_the_new_ones(hf: Settings) -> None:
    sweep(hf, as_of=at(11, 23, 7))  # the recommissioning start, 30 Sep 2027: its 12-month step is pending
    decide(
        hf,
        ref="HF-2026-01",
        action="vary",
        reason="Extended initial term",
        as_of=at(11, 23, 10),
        actor="a",
        end=dt.date(2029, 9, 30),
    )
    stale = [r for r in list_reminders(hf) if r["kind"] == "recommissioning_start"]
    assert {(r["due_on"], r["status"]) for r in stale} == {("2027-09-30", "cancelled")}
    assert all("moved" in (r["reason"] or "") for r in stale)
    assert reminders(hf) == [("60d", "commissioning", "pending"), ("60d", "owner", "pending")]  # untouched

    replan = sweep(hf, as_of=at(11, 23, 11))
    assert replan.replanned_contracts == 1
    fresh = {(r["due_on"], r["lead"], r["status"]) for r in list_reminders(hf) if r["kind"] == "recommissioning_start"}
    assert ("2028-03-30", "18m", "pending") in fresh  # 18 months before the new end, 30 Sep 2029
    _, text = deliver_to_buffer(hf, at(11, 23, 12))
    assert "2027-09-30" not in text and "2028-03-30" in text


def test_dry_run_writes_nothing(hf: Settings) -> None:
    report = sweep(hf, as_of=at(11, 23, 7), dry_run=True)
    assert report.planned == 5 and {p["contract"] for p in report.would_plan} == {"HF-2026-01"}
    assert list_reminders(hf) == []
    assert sweep(hf, as_of=at(11, 23, 7)).replanned_contracts == 1  # the dry run left the queue alone


def test_a_tag_no_target_carries_is_retried_and_says_why(hf: Settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from notifications.apprise_notifier import AppriseNotifier

    config = tmp_path / "apprise.yml"
    config.write_text("urls:\n  - json://127.0.0.1:9/hook:\n      tag: owner\n", encoding="utf-8")
    sweep(hf, as_of=at(11, 23, 7))
    report = deliver(hf, as_of=at(11, 23, 9), notifier=AppriseNotifier.from_config(config))
    untargeted = [r for r in list_reminders(hf) if r["tag"] in ("commissioning", "finance")]
    assert report.failed == 0 and len(untargeted) == 3
    # Kept pending for a retry (someone may fix the file), with the reason where `reminders list` shows it.
    assert {(r["status"], r["attempts"]) for r in untargeted} == {("pending", 1)}
    assert all("no target in the apprise configuration has the tag" in (r["last_error"] or "") for r in untargeted)


def test_the_escalation_waits_a_day_and_an_acknowledgement_of_the_last_step_stops_it(hf_past: Settings) -> None:
    sweep(hf_past, as_of=at(12, 30, 7, year=PAST))  # the last step (1 day before 31 December)
    [escalation] = [r for r in list_reminders(hf_past, status="pending") if r["escalation"]]
    assert escalation["send_at"] == f"{PAST}-12-31T08:00:00+00:00"
    deliver_to_buffer(hf_past, at(12, 30, 8, year=PAST))
    assert all(not r["escalation"] for r in list_reminders(hf_past, status="sent"))
    [owner] = [r for r in list_reminders(hf_past, status="sent") if (r["kind"], r["tag"]) == (BREAK, "owner")]
    result = acknowledge(hf_past, owner["id"], as_of=at(12, 30, 11, year=PAST), actor="Head of Housing")
    assert result["steps_stopped"] >= 1
    assert [r["status"] for r in list_reminders(hf_past) if r["escalation"]] == ["cancelled"]
    assert deliver_to_buffer(hf_past, at(12, 31, 9, year=PAST))[0]["sent"] == 0


def test_a_contract_that_ended_after_planning_gets_no_reminder(hf: Settings) -> None:
    sweep(hf, as_of=at(11, 23, 7))
    from flows.common.runtime import database

    with database(hf).begin() as connection:  # as if another process ended it between sweep and delivery
        connection.execute(text("UPDATE contract SET status = 'terminated'"))
    counts, text_out = deliver_to_buffer(hf, at(11, 23, 9))
    assert (counts["sent"], counts["cancelled"]) == (0, 5) and text_out == ""
    assert {r["status"] for r in list_reminders(hf)} == {"cancelled"}


def test_a_date_that_moves_and_moves_back_gets_its_reminders_back(hf: Settings) -> None:
    sweep(hf, as_of=at(11, 23, 7))
    for end in (dt.date(2029, 9, 30), dt.date(2029, 3, 31)):  # and back to the original term
        decide(hf, ref="HF-2026-01", action="vary", reason="Term", as_of=at(11, 23, 10), actor="a", end=end)
    sweep(hf, as_of=at(11, 23, 11))
    pending = {(r["due_on"], r["lead"], r["tag"]) for r in list_reminders(hf, status="pending")}
    assert {("2027-09-30", "12m", tag) for tag in ("owner", "commissioning", "finance")} <= pending


def test_a_contract_added_in_the_afternoon_is_told_at_once_and_not_late(hf: Settings) -> None:
    sweep(hf, as_of=at(11, 23, 15))
    [send_at] = {r["send_at"] for r in list_reminders(hf, status="pending")}
    assert send_at == "2026-11-23T15:00:00+00:00"
    counts, text_out = deliver_to_buffer(hf, at(11, 23, 15, 5))
    assert (counts["sent"], counts["late"]) == (5, 0) and "LATE" not in text_out


def test_a_sent_reminder_whose_date_moved_is_neither_snoozed_nor_acknowledged(hf: Settings) -> None:
    sweep(hf, as_of=at(11, 23, 7))
    deliver_to_buffer(hf, at(11, 23, 8))  # the recommissioning start's 12-month steps go out: sent, not pending
    [sent] = [r for r in list_reminders(hf, status="sent") if r["kind"] == "recommissioning_start"][:1]
    decide(
        hf, ref="HF-2026-01", action="vary", reason="Term", as_of=at(11, 23, 10), actor="a", end=dt.date(2029, 9, 30)
    )
    with pytest.raises(UserError, match="no longer has"):
        snooze(hf, sent["id"], until=dt.date(2026, 12, 1), as_of=at(11, 23, 11), actor="a")
    with pytest.raises(UserError, match="no longer has"):
        acknowledge(hf, sent["id"], as_of=at(11, 23, 11), actor="a")
    [after] = list_reminders(hf, reminder_id=sent["id"])
    assert after["status"] == "sent"


def test_reminders_sent_at_the_same_time_are_listed_by_contract_whatever_order_the_database_keeps_the_dates_in(
    settings: Settings,
) -> None:
    """HF-2026-01 and HF-2026-02 are two lots on the same terms: the same break-notice deadline, 31 December 2026.
    HF-2026-01's initial term is then varied to 30 September 2029 (its break is unchanged), which rewrites its key
    dates: on PostgreSQL they are kept after HF-2026-02's. The first sweep (23 November) plans each lot's 60-day
    step to go out now, to the same recipients at the same time; the outbox lists them by contract, as added."""
    housing_first(settings, count=2)
    decide(settings, ref="HF-2026-01", action="vary", reason="Extended initial term", as_of=at(11, 23, 6),
           actor="a", end=dt.date(2029, 9, 30))  # fmt: skip
    eng = database(settings)
    with scans_in_stored_order(eng) as plain:
        if plain:  # the order the bug would show: the varied lot's dates after the other's
            ref = "SELECT ref FROM contract c WHERE c.id = k.contract_id"
            sql = f"SELECT ({ref}) FROM contract_key_date k WHERE k.kind = '{BREAK}'"
            assert stored(eng, sql) == ["HF-2026-02", "HF-2026-01"]
        sweep(settings, as_of=at(11, 23, 7))
    listed = [(r["contract"], r["lead"], r["tag"]) for r in list_reminders(settings) if r["kind"] == BREAK]
    assert listed == [  # all four at 08:00 on 23 November: by contract, then as the ladder names them
        ("HF-2026-01", "60d", "owner"),
        ("HF-2026-01", "60d", "commissioning"),
        ("HF-2026-02", "60d", "owner"),
        ("HF-2026-02", "60d", "commissioning"),
    ]


def test_a_contract_recorded_after_its_steps_were_due_gets_only_the_latest_not_late(hf_past: Settings) -> None:
    from flows.contracts.files import Row
    from flows.contracts.importing import add_contracts

    sweep(hf_past, as_of=at(12, 16, 7, year=PAST))
    # Down from the 17th; on the 29th a second contract is recorded, its break-notice deadline the same 31 December.
    fields = {"ref": "HF-NEW", "title": "Housing First 2", "provider": "P", "project": "HOM-1", "value": "100000"}
    fields |= {"start": f"{PAST}-04-01", "term": "3", "break_on": f"{PAST + 1}-03-31", "break_notice": "3 months"}
    add_contracts(hf_past, [Row("line 2", fields)], as_of=at(12, 29, 10, year=PAST), actor="a")
    sweep(hf_past, as_of=at(12, 29, 11, year=PAST))

    steps = {
        (r["contract"], r["lead"], r["tag"]) for r in list_reminders(hf_past, status="pending") if r["kind"] == BREAK
    }
    # HF-2026-01 existed when its 14-day and 7-day steps were due: both missed, both sent late.
    assert {("HF-2026-01", lead, tag) for lead in ("14d", "7d") for tag in ("owner", "commissioning")} <= steps
    # HF-NEW did not: only its latest due step, the 7-day one, at once.
    assert {s for s in steps if s[0] == "HF-NEW"} == {("HF-NEW", "7d", "owner"), ("HF-NEW", "7d", "commissioning")}
    counts, _ = deliver_to_buffer(hf_past, at(12, 29, 11, 5, year=PAST))
    late = {(r["contract"], r["lead"]) for r in list_reminders(hf_past, status="sent") if r["late"]}
    assert ("HF-NEW", "7d") not in late and {("HF-2026-01", "14d"), ("HF-2026-01", "7d")} <= late
    assert counts["late"] == len([r for r in list_reminders(hf_past, status="sent") if r["late"]])
