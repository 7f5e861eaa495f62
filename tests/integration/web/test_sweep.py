"""The sweep button on the reminders page: a commissioner previews the sweep (nothing written or sent), then
runs it (the same flow as ``commission sweep``); no one else may."""

import re
import time
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from flows.reminders.outbox import list_reminders
from tests.support.web import csrf_of

Client = Callable[[str], TestClient]


def sweep(client: TestClient, mode: str) -> str:
    """Press the button, then follow the job's page (it refreshes itself while the sweep runs) to the reminders."""
    token = csrf_of(client.get("/reminders").text)
    answer = client.post("/reminders/sweep", data={"csrf_token": token, "mode": mode}, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/reminders/sweep/")
    for _ in range(600):  # up to about 2 minutes on a loaded machine
        page = client.get(answer.headers["location"], follow_redirects=False)
        if page.status_code == 303:
            assert page.headers["location"] == "/reminders"
            return client.get("/reminders").text
        assert page.status_code == 200 and 'http-equiv="refresh"' in page.text
        time.sleep(0.2)
    raise AssertionError("the sweep did not finish")


def test_a_commissioner_previews_then_runs_the_sweep(as_role: Client, settings: Any) -> None:
    cara = as_role("commissioner")
    assert "Preview the sweep" in cara.get("/reminders").text
    preview = sweep(cara, "preview")
    found = re.search(r"would plan (\d+) new reminder\(s\)", preview)
    assert found and int(found.group(1)) > 0, preview[-3000:]
    assert "Nothing was written or sent." in preview
    assert re.search(r"<li>\d{4}-\d\d-\d\dT\d\d:\d\dZ  HF-2026-01  ", preview)
    assert list_reminders(settings, limit=10) == []
    ran = sweep(cara, "run")
    assert f"planned {found.group(1)} new reminder(s)" in ran and "reminder(s) sent" in ran
    assert len(list_reminders(settings, limit=1000)) == int(found.group(1))
    assert "planned 0 new reminder(s)" in sweep(cara, "run")  # a second sweep today changes nothing


def test_only_a_commissioner_may_sweep(as_role: Client) -> None:
    for role in ("finance", "auditor", "provider", "admin"):
        client = as_role(role)
        token = csrf_of(client.get("/account").text)
        assert client.post("/reminders/sweep", data={"csrf_token": token, "mode": "run"}).status_code == 403
    assert "Preview the sweep" not in as_role("auditor").get("/reminders").text


def test_the_sweep_api_starts_a_job_whose_result_says_what_it_would_do(
    as_role: Client, app: Any, world: dict[str, str]
) -> None:
    api = TestClient(app)
    bearer = {"Authorization": f"Bearer {world['commissioner']}"}
    started = api.post("/api/v1/reminders/sweep", json={"preview": True}, headers=bearer)
    assert started.status_code == 202 and started.json()["title"] == "Sweep preview"
    status = started.json()
    for _ in range(600):  # up to about 2 minutes on a loaded machine
        status = api.get(f"/api/v1/jobs/{status['job']}", headers=bearer).json()
        if status["state"] != "running":
            break
        time.sleep(0.2)
    assert status["state"] == "done", status
    assert re.search(r"would plan \d+ new reminder\(s\)", status["result"]["message"])
    assert status["result"]["message"].endswith("Nothing was written or sent.")
    # the job is its owner's: another user, or no token, cannot read it
    assert as_role("finance").get(f"/api/v1/jobs/{status['job']}").status_code == 404
    assert api.post("/api/v1/reminders/sweep", json={}).status_code == 401
    # running sends messages, so it is asked for in so many words: without "preview" nothing starts
    assert api.post("/api/v1/reminders/sweep", json={}, headers=bearer).status_code == 400


def test_a_sweep_that_needs_a_day_past_the_bank_holidays_known_says_so_in_words(
    as_role: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The hostile trial's case: a working day past the calendar's last year (2060) raised a ValueError that the
    page said as a failure on our side. Here the calendar is made to end before this year, so that today's
    sweep needs a day past it: the page says which, and why."""
    import datetime as dt

    from policies.calendars import calendar_from

    ended = calendar_from("England and Wales", [], range(2000, dt.date.today().year))
    monkeypatch.setattr("flows.reminders.sweep._calendar_for", lambda nation: ended)
    page = sweep(as_role("commissioner"), "preview")
    assert "The sweep did not run: working days are known up to " in page, page[-3000:]
    assert re.search(r"the reminder \d+ (day|month)s? before the key date on \d{4}-\d\d-\d\d needs \d{4}", page)
    assert "on our side" not in page
