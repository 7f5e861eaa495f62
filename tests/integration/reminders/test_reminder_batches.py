"""Delivery in batches: a batch commits once, after its last send, and that is what bounds a crash's duplicates.

The guarantee is at least once (never lost) per recipient, with a duplicate
possible only for the messages of the batch in flight at a crash: sent, but
not yet recorded. These tests interrupt a batch between its sends and their
record (what a kill does to the transaction: it rolls back), and check that
the next pass sends again exactly that batch and nothing recorded before it.
"""

import collections
import datetime as dt
from pathlib import Path
from typing import Any

import pytest

import flows.reminders.delivery as delivery
from flows.common.settings import Settings
from flows.reminders.delivery import deliver
from flows.reminders.outbox import attempts_of, list_reminders
from flows.reminders.sweep import sweep
from tests.integration.reminders.test_reminder_delivery import ALL_TAGS, DEC_1, IDS, configure, contracts
from tests.support.servers import WebhookSink

pytestmark = pytest.mark.filterwarnings("ignore:'imghdr' is deprecated:DeprecationWarning")

AS_OF = DEC_1 + dt.timedelta(hours=2)


class Killed(BaseException):
    """Stands in for SIGKILL inside the process: nothing after it runs, and the transaction rolls back."""


def messages_received(sink: WebhookSink) -> list[set[int]]:
    return [{int(i) for i in IDS.findall(r.json.get("message", ""))} for r in sink.requests if r.json]


def test_a_batch_interrupted_between_send_and_record_is_sent_again_and_nothing_before_it(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    contracts(settings, 12)  # 60 reminders, one message each: 6 batches of 10
    with WebhookSink() as sink:
        cfg = configure(monkeypatch, tmp_path, [(sink.url(), ALL_TAGS)], digest=False)
        sweep(cfg, as_of=DEC_1)
        due = {r["id"] for r in list_reminders(cfg, status="pending")}
        assert len(due) == 60

        record = delivery.record_attempts
        calls = collections.Counter[str]()

        def record_then_die_on_the_third_batch(**kwargs: Any) -> None:
            calls["record"] += 1
            if calls["record"] == 3:
                raise Killed
            record(**kwargs)

        monkeypatch.setattr(delivery, "record_attempts", record_then_die_on_the_third_batch)
        with pytest.raises(Killed):
            deliver(cfg, as_of=AS_OF, batch=10)
        first_pass = messages_received(sink)
        assert len(first_pass) == 30  # three batches sent; the third never recorded
        recorded = {r["id"] for r in list_reminders(cfg, status="sent")}
        in_flight = set().union(*first_pass[20:])
        assert recorded == set().union(*first_pass[:20]) and len(in_flight) == 10
        assert not recorded & in_flight

        monkeypatch.setattr(delivery, "record_attempts", record)
        report = deliver(cfg, as_of=AS_OF, batch=10)
        assert (report.messages, report.sent) == (40, 40)
    counts = collections.Counter(i for ids in messages_received(sink) for i in ids)
    assert set(counts) == due  # nothing lost
    twice = {i for i, n in counts.items() if n > 1}
    assert twice == in_flight and max(counts.values()) == 2  # only the batch in flight, and only once more
    assert {r["id"] for r in list_reminders(cfg, status="sent")} == due
    # The first, unrecorded send left no trace: each reminder has the one attempt that was recorded.
    assert all(len(attempts_of(cfg, i)) == 1 for i in in_flight)


def test_a_batch_out_of_time_leaves_the_rest_pending_for_the_next_batch(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no time to spare, each batch sends its first message only; the rest are sent later, once each."""
    contracts(settings, 2)
    monkeypatch.setattr(delivery, "BATCH_SECONDS", -1.0)
    with WebhookSink() as sink:
        cfg = configure(monkeypatch, tmp_path, [(sink.url(), ALL_TAGS)], digest=False)
        sweep(cfg, as_of=DEC_1)
        report = deliver(cfg, as_of=AS_OF, batch=50)
    counts = collections.Counter(i for ids in messages_received(sink) for i in ids)
    assert (report.messages, report.sent, len(counts), max(counts.values())) == (10, 10, 10, 1)
    assert all(len(attempts_of(cfg, i)) == 1 for i in counts)


def test_one_batch_marks_each_message_by_its_own_result(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failing target delays only the messages for its tag; the rest of the batch is sent and marked."""
    contracts(settings, 2)
    with WebhookSink() as good, WebhookSink(statuses=500) as failing:
        targets = [(good.url(), "owner, commissioning, escalation"), (failing.url(), "finance")]
        cfg = configure(monkeypatch, tmp_path, targets, digest=False)
        sweep(cfg, as_of=DEC_1)
        report = deliver(cfg, as_of=AS_OF, batch=50)
    finance = [r for r in list_reminders(cfg) if r["tag"] == "finance"]
    others = [r for r in list_reminders(cfg) if r["tag"] != "finance"]
    assert finance and others
    assert {r["status"] for r in others} == {"sent"} and {r["status"] for r in finance} == {"pending"}
    assert all(r["attempts"] == 1 and r["last_error"] for r in finance)
    assert (report.sent, report.retrying) == (len(others), len(finance))
