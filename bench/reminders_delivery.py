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
run. The webhook runs in a process of its own, as a real receiver would: in
the sender's process its threads would take the sender's interpreter lock
while it works between sends, a cost the floor, waiting on the socket, hardly
pays. Delivery and the floor alternate, ``--rounds`` times (each delivery on a
fresh copy of the portfolio), and the medians are compared; each figure has
its CPU time (the sender's process) beside its wall time, and the load is
printed. A last figure is what delivery costs beyond apprise's own send: the
same delivery with a notifier that sends nothing (claims, rendering, records,
commits). A second figure shows digest mode (the default): one message per
recipient tag. On a loaded machine read the ratio, not the rate: the floor
was 762 a second on a quiet one, where 500 a second is a ratio of 1.52x.

    .venv/bin/python bench/reminders_delivery.py           # full: 10,000 reminders, 3 rounds
    .venv/bin/python bench/reminders_delivery.py --smoke   # CI: 500 reminders, 1 round, figures not judged
"""

import argparse
import datetime as dt
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

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
    upgrade(engine(settings, create=True))
    housing_first(settings, count=contracts)
    return settings


class Sink:
    """The loopback webhook (tests/support/servers.py's WebhookSink) in a process of its own, told over a pipe to
    count or forget what it received."""

    def __enter__(self) -> "Sink":
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--sink"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        self.url = self._read()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=30)

    def _read(self) -> str:
        assert self.process.stdout is not None
        return self.process.stdout.readline().strip()

    def taken(self) -> int:
        """How many requests it received since the last call, which forgets them."""
        assert self.process.stdin is not None
        self.process.stdin.write("take\n")
        self.process.stdin.flush()
        return int(self._read())


def serve_sink() -> None:
    from tests.support.servers import WebhookSink

    with WebhookSink() as sink:
        print(sink.url(), flush=True)
        for line in sys.stdin:  # one command a line until the bench closes the pipe
            if line.strip() == "take":
                print(len(sink.requests), flush=True)
                sink.clear()


class NoSend:
    """A notifier that sends nothing and reports success: what delivery costs beyond apprise's own send."""

    def send(self, tag: str, message: object, *, skip: frozenset[str] = frozenset()) -> list[object]:
        from notifications.base import TargetResult

        return [TargetResult("webhook", True)]


def timed(work: "Callable[[], object]") -> tuple[float, float]:
    """Wall and CPU (this process) seconds of ``work``."""
    wall, cpu = time.perf_counter(), time.process_time()
    work()
    return time.perf_counter() - wall, time.process_time() - cpu


def one_round(data: Path, contracts: int, sink: Sink, batch: int) -> tuple[tuple[float, float], tuple[float, float]]:
    """apprise alone posting as many messages as the portfolio's reminders, then their delivery: (wall, CPU) each."""
    import apprise

    from flows.reminders.delivery import deliver
    from flows.reminders.outbox import list_reminders
    from flows.reminders.sweep import sweep

    settings = build(data, contracts, sink.url, digest=False)
    planned = sweep(settings, as_of=SWEEP_AT).planned
    assert planned == contracts * 5, planned
    bare = apprise.Apprise()
    bare.add(sink.url)
    floor = timed(lambda: [bare.notify(title=f"floor {i}", body="reminder #0") for i in range(planned)])
    assert sink.taken() == planned
    reports = []
    run = timed(lambda: reports.append(deliver(settings, as_of=DELIVER_AT, batch=batch)))
    received = sink.taken()
    assert reports[0].sent == planned == received, (reports[0].as_dict(), planned, received)
    assert not list_reminders(settings, status="pending")
    return floor, run


def main() -> None:
    if sys.argv[1:] == ["--sink"]:
        serve_sink()
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    from flows.reminders.delivery import BATCH_MESSAGES, deliver

    parser.add_argument("--smoke", action="store_true", help="500 reminders, one round (for CI)")
    parser.add_argument("--batch", type=int, default=BATCH_MESSAGES, help="messages per transaction")
    parser.add_argument("--rounds", type=int, default=None, help="delivery and floor pairs (default 3; smoke 1)")
    args = parser.parse_args()
    contracts = 100 if args.smoke else 2_000
    rounds = max(1, min(args.rounds or (1 if args.smoke else 3), 9))

    from flows.reminders.sweep import sweep

    load_before = os.getloadavg()
    runs: list[tuple[float, float]] = []
    floors: list[tuple[float, float]] = []
    with tempfile.TemporaryDirectory(prefix="commissioning-bench-") as tmp, Sink() as sink:
        for n in range(rounds):
            floor_run, run = one_round(Path(tmp) / f"one-by-one-{n}", contracts, sink, args.batch)
            floors.append(floor_run)
            runs.append(run)
        planned = contracts * 5

        beyond_settings = build(Path(tmp) / "no-send", contracts, sink.url, digest=False)
        sweep(beyond_settings, as_of=SWEEP_AT)
        beyond = timed(lambda: deliver(beyond_settings, as_of=DELIVER_AT, batch=args.batch, notifier=NoSend()))  # type: ignore[arg-type]
        assert sink.taken() == 0

        digest_settings = build(Path(tmp) / "digest", contracts, sink.url, digest=True)
        sweep(digest_settings, as_of=SWEEP_AT)
        digests = []
        digest_elapsed, _ = timed(lambda: digests.append(deliver(digest_settings, as_of=DELIVER_AT)))
        digest = digests[0]
    load_after = os.getloadavg()

    elapsed, cpu = statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs)
    floor, floor_cpu = statistics.median(w for w, _ in floors), statistics.median(c for _, c in floors)
    rate, floor_rate = planned / elapsed, planned / floor
    verdict = "met" if rate >= TARGET else "not met"
    each = ", ".join(f"{w:.2f}" for w, _ in runs)
    print(
        f"reminders delivered one message each, {args.batch} messages per transaction, median of {rounds} "
        f"round(s) ({each} s): {planned:,} in {elapsed:.2f} s = {rate:,.0f} per second, CPU {cpu:.2f} s; "
        f"target {TARGET} per second ({verdict})"
    )
    print(
        f"  floor, apprise alone posting {planned:,} messages, median ({', '.join(f'{w:.2f}' for w, _ in floors)} "
        f"s): {floor:.2f} s = {floor_rate:,.0f} per second, CPU {floor_cpu:.2f} s"
    )
    print(
        f"  ratio to apprise alone: {elapsed / floor:.2f}x the time ({rate / floor_rate:.0%} of its rate), "
        f"{cpu / floor_cpu:.2f}x the CPU; the target on the quiet machine's floor of {QUIET_FLOOR} per second is "
        f"{QUIET_FLOOR / TARGET:.2f}x"
    )
    print(
        f"  beyond apprise's own send (the same delivery, sending nothing): {beyond[0]:.2f} s, CPU {beyond[1]:.2f} s "
        f"({beyond[0] / planned * 1000:.2f} ms a message)"
    )
    print(
        f"digest mode (the default): {digest.sent:,} reminders in {digest.messages} messages, "
        f"{digest_elapsed:.2f} s = {digest.sent / digest_elapsed:,.0f} reminders per second"
    )
    print(f"load average (1 min) {load_before[0]:.1f} before, {load_after[0]:.1f} after, on {os.cpu_count()} core(s)")
    if args.smoke:
        print("smoke size: figures not judged")


if __name__ == "__main__":
    main()
