"""Deliver 10,000 reminders to a webhook on loopback, through apprise, and report the rate.

Target (issue 19, part 4): 10,000 reminders, one message each, to a loopback
webhook at 500 a second or more, with the ratio to apprise alone. The
portfolio is 2,000 contracts like Housing First, each with five reminders due
on 1 December 2026 (its break notice deadline to the owner and the
commissioning team, its recommissioning start to those and finance): 10,000
reminders. Digest mode is off, so each reminder is its own message; delivery
claims, records and commits a batch of messages at a time (``--batch``,
default flows.reminders.delivery.BATCH_MESSAGES; ``--batch 1`` is one
transaction per message, as before). The floor is apprise alone posting the
same number of messages to the same webhook, with no database, in the same
run. A second figure shows digest mode (the default): one message per
recipient tag. On a loaded machine read the ratio, not the rate: the floor
was 762 a second on a quiet one, where 500 a second is a ratio of 1.52x.

    .venv/bin/python bench/reminders_delivery.py           # full: 10,000 reminders
    .venv/bin/python bench/reminders_delivery.py --smoke   # CI: 500 reminders, figures not judged
"""

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flows.common.settings import Settings

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

UTC = dt.UTC
SWEEP_AT = dt.datetime(2026, 12, 1, 7, 0, tzinfo=UTC)
DELIVER_AT = dt.datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
TARGET = 500  # reminders a second, one message each (issue 19)
QUIET_FLOOR = 762  # apprise alone on a quiet machine, when the target was set


def build(data: Path, contracts: int, webhook_url: str, *, digest: bool) -> "Settings":
    """A migrated SQLite database with the portfolio, an apprise config and a reminder policy; the settings."""
    from flows.common.runtime import engine
    from flows.common.settings import load_settings
    from models.migrate import upgrade
    from tests.support.builders import housing_first

    data.mkdir(parents=True)
    (data / "apprise.yml").write_text(
        f"urls:\n  - {webhook_url}:\n      tag: owner, commissioning, finance, escalation\n", encoding="utf-8"
    )
    (data / "reminders.toml").write_text(f"[send]\ndigest = {str(digest).lower()}\n", encoding="utf-8")
    for name in [k for k in os.environ if k.startswith("COMMISSIONING_")]:
        del os.environ[name]
    os.environ["COMMISSIONING_DATA_DIR"] = str(data)
    settings = load_settings()
    upgrade(engine(settings))
    housing_first(settings, count=contracts)
    return settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    from flows.reminders.delivery import BATCH_MESSAGES, deliver

    parser.add_argument("--smoke", action="store_true", help="500 reminders (for CI)")
    parser.add_argument("--batch", type=int, default=BATCH_MESSAGES, help="messages per transaction")
    args = parser.parse_args()
    contracts = 100 if args.smoke else 2_000

    import apprise

    from flows.reminders.outbox import list_reminders
    from flows.reminders.sweep import sweep
    from tests.support.servers import WebhookSink

    with tempfile.TemporaryDirectory(prefix="commissioning-bench-") as tmp, WebhookSink() as sink:
        settings = build(Path(tmp) / "one-by-one", contracts, sink.url(), digest=False)
        planned = sweep(settings, as_of=SWEEP_AT).planned
        start = time.perf_counter()
        report = deliver(settings, as_of=DELIVER_AT, batch=args.batch)
        elapsed = time.perf_counter() - start
        received = len(sink.requests)
        assert report.sent == planned == received, (report.as_dict(), planned, received)
        assert not list_reminders(settings, status="pending")

        # Floor: apprise alone, the same number of posts to the same webhook.
        sink.clear()
        bare = apprise.Apprise()
        bare.add(sink.url())
        start = time.perf_counter()
        for i in range(planned):
            bare.notify(title=f"floor {i}", body="reminder #0")
        floor = time.perf_counter() - start

        sink.clear()
        digest_settings = build(Path(tmp) / "digest", contracts, sink.url(), digest=True)
        sweep(digest_settings, as_of=SWEEP_AT)
        start = time.perf_counter()
        digest = deliver(digest_settings, as_of=DELIVER_AT)
        digest_elapsed = time.perf_counter() - start

    rate, floor_rate = planned / elapsed, planned / floor
    verdict = "met" if rate >= TARGET else "not met"
    print(
        f"reminders delivered one message each, {args.batch} messages per transaction: "
        f"{planned:,} in {elapsed:.2f} s = {rate:,.0f} per second; target {TARGET} per second ({verdict})"
    )
    print(f"  floor, apprise alone posting {planned:,} messages: {floor:.2f} s = {floor_rate:,.0f} per second")
    print(
        f"  ratio to apprise alone: {elapsed / floor:.2f}x the time ({rate / floor_rate:.0%} of its rate); "
        f"the target on the quiet machine's floor of {QUIET_FLOOR} per second is {QUIET_FLOOR / TARGET:.2f}x"
    )
    print(
        f"digest mode (the default): {digest.sent:,} reminders in {digest.messages} messages, "
        f"{digest_elapsed:.2f} s = {digest.sent / digest_elapsed:,.0f} reminders per second"
    )
    if args.smoke:
        print("smoke size: figures not judged")


if __name__ == "__main__":
    main()
