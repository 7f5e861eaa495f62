"""A flow's failure, said on a page or by the API, names no database: not its URL, nor its user or host.

The failure line is made for real: a connection to PostgreSQL as user "alice" on a port where nothing listens
(127.0.0.1:9, refused at once), through the same ``failure_line`` the payment flows use for their refusal.
"""

import time
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from flows.common.errors import UserError
from flows.common.failures import failure_line
from tests.support.web import csrf_of

Client = Callable[[str], TestClient]
UNREACHABLE = "postgresql+psycopg://alice@127.0.0.1:9/council"


@pytest.fixture
def failure(monkeypatch: pytest.MonkeyPatch) -> str:
    """The line a flow refuses with when its database cannot be reached (the URL named, as the CLI says it)."""
    engine = create_engine(UNREACHABLE, connect_args={"connect_timeout": 2})
    monkeypatch.setenv("COMMISSIONING_DATABASE_URL", UNREACHABLE)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:
        line = failure_line(exc)
    finally:
        engine.dispose()
        monkeypatch.undo()
    assert line is not None and "alice@127.0.0.1:9" in line  # the CLI's line names it: the page must not
    return line


def test_an_advance_that_fails_on_its_database_says_so_without_the_url(
    as_role: Client, failure: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*_: Any, **__: Any) -> Any:
        raise UserError(failure)

    monkeypatch.setattr("flows.web.pages.projects.advance_project", refuse)
    cara = as_role("commissioner")
    token = csrf_of(cara.get("/projects/FAM-1").text)
    # the redirect back to the project is followed: that page shows the refusal beside the Advance form
    page = cara.post("/projects/FAM-1/advance", data={"csrf_token": token, "to": "", "reason": ""}).text
    assert "the database:" in page.lower()  # the reason is still said
    for leak in ("postgresql", "alice", "127.0.0.1:9"):
        assert leak not in page, leak


def test_a_background_sweep_that_fails_on_its_database_says_so_without_the_url(
    app: Any, world: dict[str, str], failure: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*_: Any, **__: Any) -> Any:
        raise UserError(failure)

    monkeypatch.setattr("flows.reminders.run.run_reminder_flow", refuse)
    api = TestClient(app)
    bearer = {"Authorization": f"Bearer {world['commissioner']}"}
    status = api.post("/api/v1/reminders/sweep", json={"preview": True}, headers=bearer).json()
    for _ in range(300):  # bounded: the job fails at once
        status = api.get(f"/api/v1/jobs/{status['job']}", headers=bearer).json()
        if status["state"] != "running":
            break
        time.sleep(0.1)
    assert status["state"] == "failed" and status["error"].startswith("the database:"), status
    assert "alice" not in str(status) and "postgresql" not in str(status)
