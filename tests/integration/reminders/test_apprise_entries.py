"""An apprise entry apprise cannot use is named (position, tags, scheme; never its secrets), and when its tag is
carried by no entry apprise can use, a sweep or delivery is refused before anything runs."""

import dataclasses
import datetime as dt
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from flows.common.errors import UserError
from flows.common.settings import Settings
from flows.reminders.run import run_reminder_flow
from notifications.apprise_notifier import AppriseNotifier
from notifications.base import NotifierConfigError
from tests.support.servers import WebhookSink

SECRETS = ("s3cretPASS", "tok9876xyz", "hookTOKEN42")


@pytest.fixture
def hook() -> Iterator[WebhookSink]:
    with WebhookSink() as sink:
        yield sink


def _config(tmp_path: Path, hook: WebhookSink, bad_tag: str) -> Path:
    path = tmp_path / "apprise.yml"
    path.write_text(
        "urls:\n"
        f"  - {hook.url()}:\n      - tag: owner\n"
        f"  - notaservice://user:{SECRETS[0]}@what/ever?token={SECRETS[1]}:\n      - tag: {bad_tag}\n"
        f"  - json://u:{SECRETS[2]}@:badport/h:\n      - tag: owner\n",
        encoding="utf-8",
    )
    return path


def test_each_bad_entry_is_named_by_position_tag_and_scheme_without_its_secrets(
    tmp_path: Path, hook: WebhookSink, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    path = _config(tmp_path, hook, "commissioning")

    notifier = AppriseNotifier.from_config(path)

    said = [r.getMessage() for r in caplog.records]
    assert (
        f"apprise config {path}: entry #2 (tag commissioning, notaservice://...): notaservice:// is not a "
        "service apprise knows; left out" in said
    )
    assert any(
        m.startswith(f"apprise config {path}: entry #3 (tag owner, json://...): apprise cannot read it") for m in said
    )
    assert notifier.lost_tags() == ["commissioning"]
    out, err = capfd.readouterr()
    assert [s for s in SECRETS for text in (caplog.text, out, err) if s in text] == []


def test_a_lost_tag_refuses_the_sweep_before_anything_runs(
    settings: Settings, tmp_path: Path, hook: WebhookSink
) -> None:
    configured = dataclasses.replace(settings, apprise_config=_config(tmp_path, hook, "commissioning"))
    with pytest.raises(UserError) as refused:
        run_reminder_flow(configured, as_of=dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC))
    message = str(refused.value)
    assert "entry #2 (tag commissioning, notaservice://...)" in message and "commissioning" in message
    assert [s for s in SECRETS if s in message] == []
    assert str(tmp_path) not in message  # the web's sweep page shows it: the file's name, not the server's folder
    dry = run_reminder_flow(configured, as_of=dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC), dry_run=True)
    assert dry["sweep"]["dry_run"] is True  # a dry run sends nothing, so a lost tag does not stop it


def test_a_bad_entry_whose_tag_another_entry_carries_is_only_warned_of(tmp_path: Path, hook: WebhookSink) -> None:
    notifier = AppriseNotifier.from_config(_config(tmp_path, hook, "owner"))
    assert [str(e).split(" (")[0] for e in notifier.bad_entries] == ["entry #2", "entry #3"]
    assert notifier.lost_tags() == []


def test_the_count_of_entries_left_out_is_the_number_named_and_no_secret_is_shown(
    tmp_path: Path, hook: WebhookSink, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    """apprise warns twice for one bad mailto://, not at all for a tag given a blank URL or a repeated entry, and
    its warnings were counted ("apprise reported 5 problems") beside three entries named (a hostile trial)."""
    caplog.set_level(logging.DEBUG)
    path = tmp_path / "apprise.txt"
    path.write_text(
        "# the council's targets\n"
        f"owner={hook.url()}?-token={SECRETS[1]}\n"
        f"finance=notaservice://user:{SECRETS[0]}@what/ever\n"
        f"owner=json://u:{SECRETS[2]}@:badport/h\n"
        "   \n"
        "escalation =   \t\n"
        f"owner={hook.url()}?-token={SECRETS[1]}\n"
        f"the password is {SECRETS[0]}\n"
        f"finance=mailto://{SECRETS[0]}@\n",
        encoding="utf-8",
    )

    notifier = AppriseNotifier.from_config(path)

    said = [r.getMessage().removeprefix(f"apprise config {path}: ") for r in caplog.records if r.levelname == "WARNING"]
    assert said[0] == "loaded 1 target; 6 entries left out"
    assert [s.split(" (")[0] for s in said[1:]] == ["line 3", "line 4", "line 6", "line 7", "line 8", "line 9"]
    assert said[1:] == [f"{entry}; left out" for entry in notifier.bad_entries]
    assert "line 6 (tag escalation): its URL is blank" in said[3]
    assert "line 7 (tag owner, json://...): the same URL and tags as line 2" in said[4]
    assert "line 8 (no tag): is neither a URL" in said[5]
    assert len(notifier.targets("owner")) == 1  # the repeat is left out, not sent to twice
    assert notifier.lost_tags() == ["escalation", "finance"]
    out, err = capfd.readouterr()
    assert [s for s in SECRETS for text in (caplog.text, out, err, repr(notifier.bad_entries)) if s in text] == []


def test_a_file_with_no_usable_entry_names_as_many_as_it_counts(tmp_path: Path) -> None:
    path = tmp_path / "apprise.txt"
    path.write_text(f"owner=mailto://{SECRETS[0]}@\nfinance=   \nowner=nosuch://u:{SECRETS[1]}@h\n", encoding="utf-8")
    with pytest.raises(NotifierConfigError) as refused:
        AppriseNotifier.from_config(path)
    message = str(refused.value)
    assert "(3 bad entries: line 1 (tag owner, mailto://...)" in message
    assert message.count("line ") == 3 and "\n" not in message
    assert [s for s in SECRETS if s in message] == []


def test_a_retry_count_on_a_tag_is_named_and_a_priority_is_not(tmp_path: Path, hook: WebhookSink) -> None:
    path = tmp_path / "apprise.txt"
    path.write_text(f"alerts:3={hook.url()}/a\n2:owner={hook.url()}/b\n", encoding="utf-8")
    notifier = AppriseNotifier.from_config(path)
    assert [str(e) for e in notifier.bad_entries] == [
        "line 1 (tag alerts:3, json://...): a tag cannot carry a retry count (tag:N); put ?retry=N in the URL"
    ]
    assert len(notifier.targets("owner")) == 1


def test_a_yaml_entry_apprise_loads_but_cannot_read_back_is_left_out_and_its_tag_lost(
    settings: Settings, tmp_path: Path, hook: WebhookSink
) -> None:
    # apprise's YAML reader turns json://:@@@@ into a target json:/// that sends nowhere; it was named as left out
    # but kept, so the finance tag seemed carried and its reminders went nowhere instead of the sweep refusing
    path = tmp_path / "apprise.yml"
    path.write_text(f'urls:\n  - {hook.url()}:\n      tag: owner\n  - "json://:@@@@":\n      tag: finance\n')
    notifier = AppriseNotifier.from_config(path)
    assert [str(e).split(" (")[0] for e in notifier.bad_entries] == ["entry #2"]
    assert (notifier.targets("owner") != [], notifier.targets("finance"), notifier.lost_tags()) == (
        True,
        [],
        ["finance"],
    )
    configured = dataclasses.replace(settings, apprise_config=path)
    with pytest.raises(UserError, match=r"entry #2 \(tag finance, json://...\)"):
        run_reminder_flow(configured, as_of=dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC))
