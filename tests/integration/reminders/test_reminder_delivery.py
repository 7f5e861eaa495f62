"""Delivery for real, on loopback: email to an SMTP server, JSON to a webhook, retries, failures, and two
deliverers at once. Every message goes through apprise configured from a file, as in production."""

import collections
import datetime as dt
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from flows.common.runtime import database
from flows.common.settings import Settings, load_settings
from flows.reminders.delivery import deliver
from flows.reminders.outbox import list_reminders
from flows.reminders.sweep import sweep
from tests.support.builders import housing_first
from tests.support.servers import SmtpSink, WebhookSink

pytestmark = pytest.mark.filterwarnings("ignore:'imghdr' is deprecated:DeprecationWarning")

UTC = dt.UTC
IDS = re.compile(r"reminder #(\d+)")
DEC_1 = dt.datetime(2026, 12, 1, 7, 0, tzinfo=UTC)  # the 30-day step of a 31 December break-notice deadline
ALL_TAGS = "owner, commissioning, finance, escalation"


def contracts(settings: Settings, count: int) -> None:
    """``count`` contracts like Housing First: each with a break-notice deadline on 31 December 2026."""
    housing_first(settings, count=count)


def configure(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, targets: list[tuple[str, str]], *, digest: bool = True
) -> Settings:
    """Point the settings at an apprise YAML file with these (url, tags) targets and a reminder policy."""
    config = tmp_path / "apprise.yml"
    lines = ["urls:"]
    for url, tags in targets:
        lines += [f"  - {url}:", f"      tag: {tags}"]
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    policy = tmp_path / "reminders.toml"
    policy.write_text(f"[send]\ndigest = {'true' if digest else 'false'}\n", encoding="utf-8")
    monkeypatch.setenv("COMMISSIONING_APPRISE_CONFIG", str(config))
    monkeypatch.setenv("COMMISSIONING_REMINDER_POLICY", str(policy))
    return load_settings()


@pytest.fixture
def webhook() -> Iterator[WebhookSink]:
    with WebhookSink() as sink:
        yield sink


def received_ids(sink: WebhookSink) -> list[int]:
    return [int(i) for r in sink.requests if r.json for i in IDS.findall(r.json.get("message", ""))]


def test_email_reaches_the_smtp_server_with_the_digest(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    contracts(settings, 2)
    with SmtpSink() as smtp:
        cfg = configure(monkeypatch, tmp_path, [(smtp.mailto("housing.lead@council.example"), "owner")])
        sweep(cfg, as_of=DEC_1)
        report = deliver(cfg, as_of=DEC_1 + dt.timedelta(hours=1, minutes=5))
        [mail] = smtp.wait_for(1)
    assert mail.rcpt_tos == ("housing.lead@council.example",) and mail.mail_from == "commissioning@council.example"
    assert "HF-2026-01" in mail.text and "HF-2026-02" in mail.text and "break notice deadline" in mail.text.lower()
    owner_ids = {r["id"] for r in list_reminders(cfg) if r["tag"] == "owner"}
    assert {int(i) for i in IDS.findall(mail.text)} == owner_ids
    # The other tags have no target in this file: kept for a retry, with the reason.
    waiting = [r for r in list_reminders(cfg, status="pending") if r["tag"] in ("commissioning", "finance")]
    assert waiting and all("no target" in (r["last_error"] or "") for r in waiting)
    assert report.sent == len(owner_ids)


def test_a_webhook_gets_one_digest_per_recipient_soonest_first(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, webhook: WebhookSink
) -> None:
    contracts(settings, 3)
    cfg = configure(monkeypatch, tmp_path, [(webhook.url("/owner"), "owner"), (webhook.url("/team"), ALL_TAGS)])
    sweep(cfg, as_of=DEC_1)
    report = deliver(cfg, as_of=DEC_1 + dt.timedelta(hours=1, minutes=5))
    paths = collections.Counter(r.path for r in webhook.requests)
    # owner: 2 targets; commissioning and finance: 1 each. One message per recipient tag, to each target.
    assert paths == {"/owner": 1, "/team": 3}
    assert (report.messages, report.failed, report.retrying) == (3, 0, 0)
    [owner] = [r for r in webhook.requests if r.path == "/owner"]
    body = owner.json["message"]
    positions = [body.index(f"HF-2026-0{i}") for i in (1, 2, 3)]
    assert body.index("2026-12-31") < body.index("2027-09-30")  # the break deadline before the recommissioning start
    assert positions == sorted(positions)
    sent = {r["id"] for r in list_reminders(cfg, status="sent")}
    assert set(received_ids(webhook)) == sent and len(sent) == 15  # 3 contracts x (2 break + 3 recommissioning)


def test_a_webhook_answering_500_is_retried_with_backoff_then_left_failed(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    contracts(settings, 1)
    with WebhookSink(statuses=500) as failing:
        secret_url = failing.url("/hook").replace("json://", "json://svc:s3cr3tpass@") + "?-X-Token=t0psecret"
        cfg = configure(monkeypatch, tmp_path, [(secret_url, ALL_TAGS)])
        sweep(cfg, as_of=DEC_1)
        first = DEC_1 + dt.timedelta(hours=1)  # 08:00
        # Attempts at 08:00, +5, +15, +60 and +240 minutes (the shipped backoff), then it gives up.
        schedule = [0, 5, 20, 80, 320]
        outcomes = []
        for minutes in [0, 4, 5, 19, 20, 79, 80, 319, 320, 2000]:
            report = deliver(cfg, as_of=first + dt.timedelta(minutes=minutes))
            outcomes.append((minutes, report.messages, report.retrying, report.failed))
        assert [m for m, messages, _, _ in outcomes if messages] == schedule
        # Three digests (owner, commissioning, finance) for 5 reminders: all give up together.
        assert outcomes[-2] == (320, 3, 0, 5)
        assert len(failing.requests) == 3 * len(schedule)
    failures = list_reminders(cfg, status="failed")
    assert [r["attempts"] for r in failures] == [5] * 5
    failed = failures[0]
    assert failed["reason"].startswith("gave up after 5 attempts")
    assert "500" in (failed["last_error"] or "") or "Internal Server Error" in (failed["last_error"] or "")
    with database(cfg).connect() as connection:
        stored = " ".join(
            str(v)
            for table in ("reminder", "reminder_attempt", "event")
            for row in connection.execute(text(f"SELECT * FROM {table}"))
            for v in row
        )
    assert "s3cr3tpass" not in stored and "t0psecret" not in stored


def test_a_late_retry_of_a_failed_send_is_worded_as_a_retry_not_as_downtime(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sends at 08:00, +5 and +20 minutes fail; the one at +80 minutes, an hour late, gets through. It was worded
    LATE "the system was not running when it was due": the system ran, and the send failed."""
    contracts(settings, 1)
    with WebhookSink(statuses=[500] * 9) as hook:  # three digests, three failed attempts each
        cfg = configure(monkeypatch, tmp_path, [(hook.url("/hook"), ALL_TAGS)])
        sweep(cfg, as_of=DEC_1)
        first = DEC_1 + dt.timedelta(hours=1)
        for minutes in (0, 5, 20, 80):
            deliver(cfg, as_of=first + dt.timedelta(minutes=minutes))
        bodies = [r.json.get("message", "") for r in hook.requests[9:] if r.json]
    assert len(bodies) == 3 and set(received_ids_of(bodies)) == {r["id"] for r in list_reminders(cfg, status="sent")}
    for body in bodies:
        assert "not running" not in body and "[LATE]" not in body
        assert "is a retry of that failed send." in body and "[RETRY]" in body


def received_ids_of(bodies: list[str]) -> list[int]:
    return [int(i) for body in bodies for i in IDS.findall(body)]


def test_a_retry_skips_targets_that_already_have_the_message(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, webhook: WebhookSink
) -> None:
    contracts(settings, 1)
    with WebhookSink(statuses=[500]) as flaky:
        targets = [(webhook.url("/good"), "owner"), (flaky.url("/flaky"), "owner"), (webhook.url("/team"), ALL_TAGS)]
        cfg = configure(monkeypatch, tmp_path, targets)
        sweep(cfg, as_of=DEC_1)
        eight = DEC_1 + dt.timedelta(hours=1)
        first = deliver(cfg, as_of=eight)
        assert (first.retrying, first.sent) == (2, 3)  # the owner's two reminders wait for the flaky target
        assert deliver(cfg, as_of=eight + dt.timedelta(minutes=5)).sent == 2
        assert [r.status for r in flaky.requests] == [500, 200]
    assert len([r for r in webhook.requests if r.path == "/good"]) == 1  # not sent twice to the good target
    # /team carries every tag: one digest each for owner, commissioning and finance; the owner's not repeated.
    assert len([r for r in webhook.requests if r.path == "/team"]) == 3


def test_two_deliveries_at_once_send_each_reminder_exactly_once(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, webhook: WebhookSink
) -> None:
    """On PostgreSQL the deliverers take disjoint rows (SKIP LOCKED); on SQLite they take turns."""
    contracts(settings, 30)
    cfg = configure(monkeypatch, tmp_path, [(webhook.url(), ALL_TAGS)], digest=False)
    sweep(cfg, as_of=DEC_1)
    expected = {r["id"] for r in list_reminders(cfg, status="pending")}
    assert len(expected) == 150
    start = threading.Barrier(2, timeout=30)
    reports = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            start.wait()
            reports.append(deliver(cfg, as_of=DEC_1 + dt.timedelta(hours=2)))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors and len(reports) == 2
    counts = collections.Counter(received_ids(webhook))
    assert set(counts) == expected
    assert max(counts.values()) == 1, [i for i, n in counts.items() if n > 1]
    assert sum(r.sent for r in reports) == len(expected)
    if cfg.database_url.startswith("postgresql"):
        assert all(r.sent > 0 for r in reports), "both deliverers should have worked in parallel"
