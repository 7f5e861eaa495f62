"""The reminder commands as a user runs them, and `commission serve` started, stopped and restarted."""

import datetime as dt
import json
import re
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from policies.dates import add_months
from tests.e2e.conftest import Cli
from tests.e2e.serving import Serve
from tests.support.servers import WebhookSink

pytestmark = pytest.mark.filterwarnings("ignore:'imghdr' is deprecated:DeprecationWarning")

IDS = re.compile(r"reminder #(\d+)")


def add_contract(cli: Cli, today: dt.date) -> None:
    """A contract whose break-notice deadline is 10 days after ``today``: its 14-day step is due now."""
    cli.ok("project", "add", "--ref", "HOM-1", "--title", "Homelessness", "--area", "Housing", "--owner", "A",
           "--stage", "review")  # fmt: skip
    deadline = today + dt.timedelta(days=10)
    cli.ok(
        "contracts", "add", "--ref", "HF-1", "--title", "Housing First", "--provider", "Northbridge YP Trust",
        "--project", "HOM-1", "--value", "2400000", "--start", add_months(today, -12).isoformat(), "--term", "3+1+1",
        "--break-on", add_months(deadline, 3).isoformat(), "--break-notice", "3 months",
    )  # fmt: skip


# Sending happens on the real clock (a future --as-of is refused). Reminders go out at the policy's send time
# on their day (08:00 by default), so these tests send at midnight, London time, to pass at any hour.
SEND = "00:00"
TODAY = dt.datetime.now(ZoneInfo("Europe/London")).date()


def send_at_midnight(cli: Cli) -> Cli:
    """The reminder policy in the data dir, where `commission` finds it: the shipped one, sending at 00:00."""
    cli.data_dir.joinpath("reminders.toml").write_text(f'[send]\ntime = "{SEND}"\n', encoding="utf-8")
    return cli


@pytest.fixture
def with_contract(initialised: Cli) -> Cli:
    add_contract(send_at_midnight(initialised), TODAY)
    return initialised


def test_sweep_list_ack_and_snooze_from_the_command_line(with_contract: Cli) -> None:
    cli = with_contract
    dry = cli.json("sweep", "--as-of", (TODAY + dt.timedelta(days=1)).isoformat(), "--dry-run")
    assert dry["sweep"]["dry_run"] and dry["sweep"]["planned"] >= 2 and "delivery" not in dry
    assert cli.json("reminders", "list") == []
    line = cli.fails("sweep", "--as-of", (TODAY + dt.timedelta(days=2)).isoformat())
    assert "--as-of is in the future" in line and "--dry-run" in line

    done = cli.run("sweep", "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)  # the console reminders went to stderr, so stdout is clean JSON
    assert result["sweep"]["planned"] >= result["delivery"]["sent"] >= 2  # an escalation waits a day
    assert "=== to owner" in done.stderr and "HF-1" in done.stderr
    assert cli.json("sweep")["sweep"]["planned"] == 0  # idempotent

    sent = cli.json("reminders", "list", "--status", "sent")
    [owner] = [r for r in sent if r["tag"] == "owner" and r["kind"] == "break_notice_deadline"]
    assert owner["lead"] == "14d" and owner["due_on"] == (TODAY + dt.timedelta(days=10)).isoformat()
    out = cli.ok("reminders", "ack", str(owner["id"]), "--by", "Head of Housing")
    assert f"Acknowledged reminder #{owner['id']}" in out and "HF-1" in out
    assert "already acknowledged" in cli.ok("reminders", "ack", str(owner["id"]))
    assert [r["id"] for r in cli.json("reminders", "list", "--status", "acked")] == [owner["id"]]

    [team] = [r for r in sent if r["tag"] == "commissioning" and r["kind"] == "break_notice_deadline"]
    until = (TODAY + dt.timedelta(days=7)).isoformat()
    out = cli.ok("reminders", "snooze", str(team["id"]), "--until", until)
    assert f"until {until} {SEND}" in out
    shown = cli.json("reminders", "show", str(team["id"]))
    assert shown["status"] == "pending" and shown["snoozed_until"] == until
    assert [a["target"] for a in shown["attempts_log"]] == ["console"]
    table = cli.ok("reminders", "list")
    assert f"snoozed until {until}" in table and "acked" in table

    assert "no reminder #999" in cli.fails("reminders", "ack", "999")
    too_late = (TODAY + dt.timedelta(days=40)).isoformat()
    assert "is after the key date" in cli.fails("reminders", "snooze", str(team["id"]), "--until", too_late)
    assert "not a status" in cli.fails("reminders", "list", "--status", "lost")
    assert "ISO" in cli.fails("reminders", "snooze", str(team["id"]), "--until", "30/11/2026")


def test_a_bad_reminder_policy_or_apprise_file_is_refused_before_anything_runs(
    with_contract: Cli, tmp_path: Path
) -> None:
    cli = with_contract
    policy = tmp_path / "reminders.toml"
    policy.write_text('[send]\ntime = "01:30"\n', encoding="utf-8")
    line = cli.fails("sweep", COMMISSIONING_REMINDER_POLICY=str(policy))
    assert str(policy) in line and "send.time" in line and "01:00 and 02:00" in line
    line = cli.fails("sweep", COMMISSIONING_APPRISE_CONFIG=str(tmp_path / "missing.yml"))
    assert "missing.yml" in line
    assert cli.json("reminders", "list") == []


@pytest.fixture
def webhook() -> Iterator[WebhookSink]:
    with WebhookSink() as sink:
        yield sink


@pytest.mark.slow
def test_serve_catches_up_on_start_stops_on_sigterm_restarts_and_refuses_a_second(
    initialised: Cli, webhook: WebhookSink, tmp_path: Path
) -> None:
    cli = send_at_midnight(initialised)
    add_contract(cli, TODAY)  # serve runs on the real clock
    config = cli.data_dir / "apprise.yml"  # found in the data dir without any setting
    config.write_text(f"urls:\n  - {webhook.url()}:\n      tag: owner, commissioning, finance, escalation\n")

    first = Serve(cli, tmp_path / "serve1.log")
    try:
        text = first.wait_for(r"run at .*\"sent\": [1-9]")
        assert "commission serve: running against" in text and "apprise config" in text
        assert re.search(r"daily sweep 07:00 and delivery every 5 min \(Europe/London\)", text)
        delivered = {int(i) for r in webhook.requests for i in IDS.findall(r.json["message"])}
        assert delivered, "the catch-up run on start should have delivered the due reminders"

        second = cli.run("serve", "--port", "0", timeout=60)
        assert second.returncode == 1 and "already running" in second.stderr and "Traceback" not in second.stderr
    finally:
        code = first.stop()
    assert code == 0 and "commission serve: stopped" in first.output()
    assert "Traceback" not in first.output()

    # Restarted: the catch-up run finds nothing new to send, and sends nothing twice.
    before = len(webhook.requests)
    again = Serve(cli, tmp_path / "serve2.log")
    try:
        again.wait_for(r"run at .*\"planned\": 0, \"sent\": 0")
    finally:
        assert again.stop() == 0
    assert len(webhook.requests) == before
    sent = cli.json("reminders", "list", "--status", "sent")
    assert {r["id"] for r in sent} == delivered
