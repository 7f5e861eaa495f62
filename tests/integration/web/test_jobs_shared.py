"""Background jobs are kept in the database, so every web process shows every job: two apps on one database
stand for two web processes behind a balancer (``uvicorn --workers 2``, or two hosts). The upload runs in
the process it reached; its page, refreshed through the other process, shows its stage, then its report.
A job whose process stopped is said to have stopped, in words, after two minutes without a heartbeat."""

import datetime as dt
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from flows.common.job_records import LOST
from flows.common.runtime import database
from models.accounts import UserAccount
from models.db import unit_of_work
from models.web_jobs import WebJob
from tests.integration.web.test_background import CLAIMS, ROWS
from tests.integration.web.test_uploads import finished, pbr, post_claims
from tests.support.web import USERS, sign_in

__all__ = ["pbr"]


@pytest.fixture
def other_process(settings: Any, world: dict[str, str]) -> Iterator[Callable[[str], TestClient]]:
    """A second web app on the same database: another process, with its own memory and its own jobs."""
    from flows.web.app import create_app

    app, made = create_app(settings), list[TestClient]()

    def make(role: str) -> TestClient:
        client = TestClient(app)
        made.append(client)
        assert sign_in(client, USERS[role][0]).status_code == 303
        return client

    yield make
    for client in made:
        client.close()


def test_an_upload_on_one_process_is_followed_through_another(
    as_role: Callable[[str], TestClient],
    other_process: Callable[[str], TestClient],
    pbr: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from flows.pbr.uploads import import_contract_claims

    release, noted = threading.Event(), threading.Event()

    def held(*args: Any, progress: Callable[[str], None], **kwargs: Any) -> dict[str, Any]:
        progress("Checking every row of the file")
        noted.set()
        assert release.wait(60), "the test never let the import go on"
        return import_contract_claims(*args, progress=progress, **kwargs)

    monkeypatch.setattr("flows.web.pages.claims.import_contract_claims", held)
    monkeypatch.setattr("flows.web.jobs.HEARTBEAT_SECONDS", 0.05)  # the stage reaches the database at once
    on_a, on_b = as_role("finance"), other_process("finance")  # Finn, whose requests the balancer spreads
    location = post_claims(on_a, pbr, "claims.csv", CLAIMS)
    job = location.split("job=")[1]
    try:
        assert noted.wait(60)
        seen = {}
        for _ in range(600):  # bounded: the heartbeat writes the stage within a moment
            seen = on_b.get(f"/api/v1/jobs/{job}").json()
            if seen["stage"] != "Waiting to start":
                break
            threading.Event().wait(0.05)
        assert seen == {"job": job, "title": "claims.csv", "state": "running",
                        "stage": "Checking every row of the file", "error": None, "result": None}  # fmt: skip
        page = on_b.get(location).text
        assert 'id="progress"' in page and "Checking every row of the file" in page
        assert other_process("commissioner").get(f"/api/v1/jobs/{job}").status_code == 404  # only its owner's
    finally:
        release.set()
    done_on_a = finished(on_a, location)
    done_on_b = finished(on_b, location)
    assert f"claims.csv: {ROWS} claim(s) read" in done_on_b and "Validation report" in done_on_b
    assert on_b.get(f"/api/v1/jobs/{job}").json() == on_a.get(f"/api/v1/jobs/{job}").json()
    assert on_b.get(f"/api/v1/jobs/{job}").json()["state"] == "done"
    assert done_on_a.count("claim(s) read") == done_on_b.count("claim(s) read") == 1


def test_a_job_whose_process_stopped_is_said_to_have_stopped(
    settings: Any, as_role: Callable[[str], TestClient], pbr: str
) -> None:
    finn = as_role("finance")
    now = dt.datetime.now(dt.UTC)
    rows = {
        "gone": now - dt.timedelta(minutes=2, seconds=5),  # no heartbeat for over two minutes: its process stopped
        "slow": now - dt.timedelta(seconds=30),  # a heartbeat half a minute ago: still running elsewhere
        "old": now - dt.timedelta(days=8),  # started over a week ago: forgotten at the next job's start
    }
    with unit_of_work(database(settings)) as session:
        user_id = session.exec(select(UserAccount.id).where(UserAccount.username == "finn")).one()
        assert user_id is not None
        for name, at in rows.items():
            session.add(WebJob(id=name, owner=user_id, title="claims.csv", state="running", stage="Storing claims",
                               runner="host-b:4242:0a1b2c3d", started_at=at, updated_at=at))  # fmt: skip
    gone = finn.get("/api/v1/jobs/gone").json()
    assert (gone["state"], gone["error"]) == ("failed", LOST)
    assert LOST in finn.get(f"/contracts/{pbr}/claims?job=gone").text
    assert finn.get("/api/v1/jobs/slow").json()["state"] == "running"
    assert finn.get("/api/v1/jobs/old").status_code == 200
    finished(finn, post_claims(finn, pbr, "claims.csv", CLAIMS))  # a new job: the week-old one is forgotten
    assert finn.get("/api/v1/jobs/old").status_code == 404
    assert finn.get("/api/v1/jobs/slow").status_code == 200
