"""Deliver 10,000 reminders to a webhook on loopback, through apprise, and report the rate.

Target (issue 4): report the rate. The portfolio is 2,000 contracts like
Housing First, each with five reminders due on 1 December 2026 (its break
notice deadline to the owner and the commissioning team, its recommissioning
start to those and finance): 10,000 reminders. Digest mode is off, so each
reminder is its own message and its own transaction (claim, send, record,
mark). The floor is apprise alone posting the same number of messages to the
same webhook, with no database. A second figure shows digest mode (the
default): one message per recipient tag.

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
    parser.add_argument("--smoke", action="store_true", help="500 reminders (for CI)")
    args = parser.parse_args()
    contracts = 100 if args.smoke else 2_000

    import apprise

    from flows.reminders.delivery import deliver
    from flows.reminders.outbox import list_reminders
    from flows.reminders.sweep import sweep
    from tests.support.servers import WebhookSink

    with tempfile.TemporaryDirectory(prefix="commissioning-bench-") as tmp, WebhookSink() as sink:
        settings = build(Path(tmp) / "one-by-one", contracts, sink.url(), digest=False)
        planned = sweep(settings, as_of=SWEEP_AT).planned
        start = time.perf_counter()
        report = deliver(settings, as_of=DELIVER_AT)
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

    print(f"reminders delivered one message each: {planned:,} in {elapsed:.2f} s = {planned / elapsed:,.0f} per second")
    print(f"  floor, apprise alone posting {planned:,} messages: {floor:.2f} s = {planned / floor:,.0f} per second")
    print(f"  ratio to the floor: {elapsed / floor:.2f}x (the rest is the outbox: claim, record, mark, commit)")
    print(
        f"digest mode (the default): {digest.sent:,} reminders in {digest.messages} messages, "
        f"{digest_elapsed:.2f} s = {digest.sent / digest_elapsed:,.0f} reminders per second"
    )
    print("target: report the rate (issue 4)" + ("; smoke size, figures not judged" if args.smoke else ""))


if __name__ == "__main__":
    main()
