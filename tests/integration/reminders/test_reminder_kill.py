"""Kill test: kill -9 the sweep-and-deliver process at random points, again and again.

Every due reminder must be delivered at least once, and a duplicate may
appear only for the message that was in flight when the process died (the
webhook had it, the database had not yet recorded it). Each run is a fresh
process from a fork server that has already imported the code, so a run
costs milliseconds, not an interpreter start; the kill is a real SIGKILL.
"""

import collections
import datetime as dt
import multiprocessing
import os
import random
import re
import signal
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from flows.common.runtime import database, engine
from flows.common.settings import Settings, load_settings
from flows.reminders.outbox import list_reminders
from tests.integration.reminders.test_reminder_delivery import ALL_TAGS, DEC_1, configure, contracts
from tests.support.reliability import sweep_and_deliver
from tests.support.servers import WebhookSink

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore:'imghdr' is deprecated:DeprecationWarning")]

RUNS = 60
IDS = re.compile(r"reminder #(\d+)")
AS_OF = DEC_1 + dt.timedelta(hours=2)


def sent_ids(settings: Settings) -> set[int]:
    with database(settings).connect() as connection:
        return {r[0] for r in connection.execute(text("SELECT id FROM reminder WHERE status = 'sent'"))}


def test_kill_nine_at_random_points_loses_nothing_and_duplicates_only_the_message_in_flight(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    contracts(settings, 200)
    rng = random.Random(20261123)
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["tests.support.reliability"])
    with WebhookSink(delay=0.008) as sink:
        cfg = configure(monkeypatch, tmp_path, [(sink.url(), ALL_TAGS)], digest=False)
        environment = {k: v for k, v in os.environ.items() if k.startswith("COMMISSIONING_")}
        engine(cfg).dispose()
        killed = 0
        in_flight: collections.Counter[int] = collections.Counter()
        for run in range(RUNS):
            before_requests = len(sink.requests)
            before_sent = sent_ids(cfg)
            child = context.Process(target=sweep_and_deliver, args=(environment, AS_OF.isoformat()))
            child.start()
            time.sleep(rng.uniform(0.05, 0.8))
            if child.is_alive():
                os.kill(child.pid or 0, signal.SIGKILL)
                killed += 1
            child.join(timeout=60)
            assert child.exitcode is not None, f"run {run}: the child did not end"
            this_run = sink.requests[before_requests:]
            received = [int(i) for r in this_run if r.json for i in IDS.findall(r.json.get("message", ""))]
            newly_sent = sent_ids(cfg) - before_sent
            unrecorded = set(received) - newly_sent - before_sent
            if unrecorded:
                # Only the last message the webhook got in this run can be unrecorded: the one in flight.
                last = {int(i) for i in IDS.findall(this_run[-1].json.get("message", ""))}
                assert unrecorded <= last, f"run {run}: {sorted(unrecorded)} unrecorded, in flight {sorted(last)}"
                in_flight.update(unrecorded)
        before_final = len(sent_ids(cfg))
        # A last run that is left to finish delivers whatever is still pending.
        final = context.Process(target=sweep_and_deliver, args=(environment, AS_OF.isoformat()))
        final.start()
        final.join(timeout=120)
        assert final.exitcode == 0

        counts = collections.Counter(int(i) for r in sink.requests if r.json for i in IDS.findall(r.json["message"]))
    due = {r["id"] for r in list_reminders(load_settings(), limit=10_000)}
    duplicates = {i: n for i, n in counts.items() if n > 1}
    report = (
        f"kill test ({cfg.database_url.split(':')[0]}): {RUNS} runs, {killed} killed with SIGKILL, "
        f"{len(due)} reminders due, {before_final} recorded sent before the last run, {len(counts)} delivered, "
        f"{sum(counts.values())} messages received, "
        f"{len(duplicates)} duplicated, {in_flight.total()} kills with a message in flight"
    )
    print(report)
    # Most runs are killed; once every reminder is sent (on a fast machine within the first runs), a run has
    # nothing to do and can end before its kill lands (49 of 60 were killed in one such run).
    assert killed >= RUNS // 2, report
    # Many sends recorded before the last run (on a slow machine fewer fit before each kill: 88 of 1,000 on
    # PostgreSQL at its slowest, 334 to 858 at its usual speed), and kills with a message in flight.
    assert before_final >= 50 and in_flight.total() >= 1, f"the kills should land mid-delivery: {report}"
    assert len(due) == 1000
    assert set(counts) == due, f"lost: {sorted(due - set(counts))}"
    assert sent_ids(cfg) == due
    # Each extra copy of a message is accounted for by a kill while that message was in flight.
    assert all(n - 1 <= in_flight[i] for i, n in duplicates.items()), report
