"""Background jobs of the web app, kept in the database so that every web process (``uvicorn --workers N``,
or several hosts behind a balancer) can show any of them.

A job runs in the process that started it (flows/web/jobs.py), which writes its stage as it goes and its
result or refusal at the end. ``updated_at`` is that process's heartbeat: a running job whose heartbeat stops
belonged to a process that stopped (flows/common/job_records.py says so in words). Rows hold what the job's
page shows and nothing else: a title, a stage and a result in words and counts, never a secret or a path.
"""

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Column, Text, delete, update
from sqlmodel import Field, Session, SQLModel, col, select

from models.db import UTCDateTime

RUNNING = "running"


class WebJob(SQLModel, table=True):
    __tablename__ = "web_job"

    id: str = Field(primary_key=True, max_length=40)
    owner: int = Field(index=True)
    title: str = Field(max_length=300)
    state: str = Field(max_length=10)  # running, done, refused, failed
    stage: str = Field(max_length=300)
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    result: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    runner: str = Field(max_length=120)  # the web process that runs it: host, process id and a start token
    started_at: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
    updated_at: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


def add_job(session: Session, job: WebJob) -> None:
    session.add(job)


def job_row(session: Session, job_id: str, owner: int) -> WebJob | None:
    """The job if it exists and is this user's."""
    row = session.get(WebJob, job_id)
    return row if row is not None and row.owner == owner else None


def note_progress(session: Session, runner: str, stages: dict[str, str], now: dt.datetime) -> None:
    """The runner's heartbeat: each of its running jobs' current stage, and ``updated_at`` now."""
    for job_id, stage in stages.items():
        session.execute(
            update(WebJob)
            .where(col(WebJob.id) == job_id, col(WebJob.runner) == runner, col(WebJob.state) == RUNNING)
            .values(stage=stage[:300], updated_at=now)
        )


def finish_job(
    session: Session, job_id: str, *, state: str, stage: str, error: str | None, result: Any, now: dt.datetime
) -> None:
    session.execute(
        update(WebJob)
        .where(col(WebJob.id) == job_id)
        .values(state=state, stage=stage[:300], error=error, result=result, updated_at=now)
    )


def forget_jobs_before(session: Session, cutoff: dt.datetime) -> None:
    """Jobs started before ``cutoff`` are forgotten: a job's page is for following it, not a record (the work
    itself is in the event log and in Prefect's history)."""
    session.execute(delete(WebJob).where(col(WebJob.started_at) < cutoff))


def running_jobs_of(session: Session, runner: str) -> list[str]:
    return list(session.exec(select(WebJob.id).where(WebJob.runner == runner, WebJob.state == RUNNING)).all())
