"""The web app's background jobs as every web process sees them: kept in the database (models/web_jobs.py).

The process that runs a job records its start, then every ``HEARTBEAT_SECONDS`` its stage (the heartbeat),
then its end. Any process reads it back; a job still "running" whose heartbeat is older than ``LOST_AFTER``
belonged to a process that stopped (a restart, a crash, a host taken out of the balancer) and is shown as
failed, in words: the work is one transaction, so nothing half-done was kept. Jobs are forgotten after
``KEPT_FOR``: the page is for following the work; the work itself is in the event log and Prefect's history.
"""

import datetime as dt
import json
import logging
import os
import secrets
import socket
import time
from dataclasses import dataclass
from typing import Any

from flows.common.runtime import database
from flows.common.settings import Settings
from models.db import reading, unit_of_work
from models.web_jobs import RUNNING, WebJob, add_job, finish_job, forget_jobs_before, job_row, note_progress

HEARTBEAT_SECONDS = 5.0
LOST_AFTER = dt.timedelta(minutes=2)
KEPT_FOR = dt.timedelta(days=7)
END_TRIES = 3
LOST = (
    "The web process that ran this job stopped before it finished; nothing half-done was kept "
    "(the work is one transaction). Start it again."
)
log = logging.getLogger("commissioning.web")


def runner_name() -> str:
    """This process, as a job's runner: its host, process id and a token (a process id is reused)."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(4)}"


@dataclass(frozen=True)
class JobRecord:
    """A job as read back: what its page and ``GET /api/v1/jobs/{id}`` show."""

    id: str
    owner: int
    title: str
    state: str  # running, done, refused, failed
    stage: str
    error: str | None
    result: dict[str, Any] | None


def _plain(result: dict[str, Any] | None) -> dict[str, Any] | None:
    """The result as JSON holds it: an amount (a Decimal) as its exact text."""
    return None if result is None else json.loads(json.dumps(result, default=str))


def record_start(settings: Settings, *, job_id: str, owner: int, title: str, stage: str, runner: str) -> None:
    now = dt.datetime.now(dt.UTC)
    with unit_of_work(database(settings)) as session:
        forget_jobs_before(session, now - KEPT_FOR)
        add_job(session, WebJob(id=job_id, owner=owner, title=title[:300], state=RUNNING, stage=stage[:300],
                                runner=runner, started_at=now, updated_at=now))  # fmt: skip


def record_progress(settings: Settings, runner: str, stages: dict[str, str]) -> None:
    with unit_of_work(database(settings)) as session:
        note_progress(session, runner, stages, dt.datetime.now(dt.UTC))


def record_end(
    settings: Settings, job_id: str, *, state: str, stage: str, error: str | None, result: dict[str, Any] | None
) -> None:
    """The job's end, tried ``END_TRIES`` times (a job left "running" would later be called stopped)."""
    for attempt in range(1, END_TRIES + 1):
        try:
            with unit_of_work(database(settings)) as session:
                finish_job(session, job_id, state=state, stage=stage, error=error, result=_plain(result),
                           now=dt.datetime.now(dt.UTC))  # fmt: skip
            return
        except Exception:
            if attempt == END_TRIES:
                raise
            time.sleep(attempt)


def recorded_job(settings: Settings, job_id: str, owner: int) -> JobRecord | None:
    """The job as kept, if it exists and is this user's; a running job whose process stopped, as failed."""
    if not job_id or len(job_id) > 40:
        return None
    with reading(database(settings)) as session:  # a read: it never waits for SQLite's write lock
        row = job_row(session, job_id, owner)
        if row is None:
            return None
        state, stage, error = row.state, row.stage, row.error
        if state == RUNNING and row.updated_at < dt.datetime.now(dt.UTC) - LOST_AFTER:
            state, stage, error = "failed", "failed", LOST
        return JobRecord(row.id, row.owner, row.title, state, stage, error, row.result)
